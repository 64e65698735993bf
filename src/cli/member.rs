//! `notifydesk member …`: add, list, import and delete members.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::EXIT_FAILED;
use super::args::MemberCommand;
use super::out;
use crate::domain::member::{Member, NewMember, parse_members_csv, split_existing};
use crate::i18n::{Lang, known};
use crate::store::Store;

pub fn run(cmd: MemberCommand, mut store: Store, lang: Lang) -> anyhow::Result<ExitCode> {
    match cmd {
        MemberCommand::Add {
            name,
            login,
            phone,
            email,
        } => {
            let m = store.add_member(&NewMember {
                name,
                login,
                phone,
                email,
            })?;
            out::stdout().line(lang.trf(
                "cli.member.added",
                &[("name", &m.name), ("login", &m.login), ("phone", &m.mobile)],
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::List { json } => list(&store, json, lang),
        MemberCommand::Import { file, skip_invalid } => {
            import(&mut store, &file, skip_invalid, lang)
        }
        MemberCommand::Delete { login } => {
            let Some(m) = store.member_by_login(&login)? else {
                bail!("no member has the login {login:?}; see `notifydesk member list`");
            };
            store.delete_member(m.id)?;
            out::stdout().line(lang.trf(
                "cli.member.deleted",
                &[("name", &m.name), ("login", &m.login)],
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(store: &Store, json: bool, lang: Lang) -> anyhow::Result<ExitCode> {
    let members = store.members()?;
    if json {
        out::stdout().json(&members)?;
        return Ok(ExitCode::SUCCESS);
    }
    let cells: Vec<[String; 5]> = members.iter().map(|m| cells(m, lang)).collect();
    let header = [
        lang.tr("cli.member.name"),
        lang.tr("cli.member.login"),
        lang.tr("cli.member.phone"),
        lang.tr("cli.member.email"),
        lang.tr("cli.member.userid"),
    ]
    .map(String::from);
    super::table::print_table(&header, &cells)?;
    Ok(ExitCode::SUCCESS)
}

fn cells(m: &Member, lang: Lang) -> [String; 5] {
    let userid = match (&m.dingtalk_userid, m.resolved_at) {
        (Some(u), _) => u.clone(),
        (None, Some(_)) => lang.tr("cli.member.not_found").into(),
        (None, None) => "-".into(),
    };
    [
        m.name.clone(),
        m.login.clone(),
        m.mobile.to_string(),
        m.email.clone().unwrap_or("-".into()),
        userid,
    ]
}

fn import(
    store: &mut Store,
    file: &Path,
    skip_invalid: bool,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (rows, mut problems) = parse_members_csv(&bytes);
    let (rows, mut existing) = split_existing(rows, &store.members()?);
    problems.append(&mut existing);
    problems.sort_by_key(|p| p.line);
    let shown = file.display();
    let mut err = out::stderr();
    for p in &problems {
        let message = known::translate(lang, &p.message);
        err.line(format_args!("{shown}:{}: {message}", p.line))?;
    }
    let bad_lines = problems
        .iter()
        .map(|p| p.line)
        .collect::<BTreeSet<_>>()
        .len();
    if !problems.is_empty() && (!skip_invalid || rows.is_empty()) {
        let hint = if skip_invalid || rows.is_empty() {
            String::new()
        } else {
            lang.trf("cli.member.invalid_hint", &[("valid", &rows.len())])
        };
        let text = lang.trf(
            "cli.member.invalid",
            &[("bad", &bad_lines), ("file", &shown), ("hint", &hint)],
        );
        err.line(format_args!("notifydesk: {text}"))?;
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let members: Vec<NewMember> = rows.into_iter().map(|(_, m)| m).collect();
    let count = store.import_members(&members)?;
    let mut out = out::stdout();
    let args: [(&str, &dyn std::fmt::Display); 3] =
        [("count", &count), ("file", &shown), ("bad", &bad_lines)];
    if bad_lines > 0 {
        out.line(lang.trf("cli.member.imported_skipped", &args))?;
    } else {
        out.line(lang.trf("cli.member.imported", &args))?;
    }
    Ok(ExitCode::SUCCESS)
}
