//! `notifydesk member …`: add, list, import and delete members.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::EXIT_FAILED;
use super::args::MemberCommand;
use super::out;
use crate::domain::member::{Member, NewMember, parse_members_csv, split_existing};
use crate::store::Store;

pub fn run(cmd: MemberCommand, mut store: Store) -> anyhow::Result<ExitCode> {
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
            out::stdout().line(format_args!(
                "Added member {} ({}), phone {}",
                m.name, m.login, m.mobile
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        MemberCommand::List { json } => list(&store, json),
        MemberCommand::Import { file, skip_invalid } => import(&mut store, &file, skip_invalid),
        MemberCommand::Delete { login } => {
            let Some(m) = store.member_by_login(&login)? else {
                bail!("no member has the login {login:?}; see `notifydesk member list`");
            };
            store.delete_member(m.id)?;
            out::stdout().line(format_args!("Deleted member {} ({})", m.name, m.login))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let members = store.members()?;
    if json {
        out::stdout().json(&members)?;
        return Ok(ExitCode::SUCCESS);
    }
    let cells: Vec<[String; 5]> = members.iter().map(cells).collect();
    let header = ["NAME", "LOGIN", "PHONE", "EMAIL", "DINGTALK USERID"].map(String::from);
    super::table::print_table(&header, &cells)?;
    Ok(ExitCode::SUCCESS)
}

fn cells(m: &Member) -> [String; 5] {
    let userid = match (&m.dingtalk_userid, m.resolved_at) {
        (Some(u), _) => u.clone(),
        (None, Some(_)) => "(not found)".into(),
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

fn import(store: &mut Store, file: &Path, skip_invalid: bool) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (rows, mut problems) = parse_members_csv(&bytes);
    let (rows, mut existing) = split_existing(rows, &store.members()?);
    problems.append(&mut existing);
    problems.sort_by_key(|p| p.line);
    let shown = file.display();
    let mut err = out::stderr();
    for p in &problems {
        err.line(format_args!("{shown}:{}: {}", p.line, p.message))?;
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
            format!(
                " (fix them, or pass --skip-invalid to import the {} valid line(s))",
                rows.len()
            )
        };
        err.line(format_args!(
            "notifydesk: {bad_lines} invalid line(s) in {shown}; nothing imported{hint}"
        ))?;
        return Ok(ExitCode::from(EXIT_FAILED));
    }
    let members: Vec<NewMember> = rows.into_iter().map(|(_, m)| m).collect();
    let count = store.import_members(&members)?;
    let mut out = out::stdout();
    if bad_lines > 0 {
        out.line(format_args!(
            "Imported {count} member(s) from {shown}; skipped {bad_lines} invalid line(s)"
        ))?;
    } else {
        out.line(format_args!("Imported {count} member(s) from {shown}"))?;
    }
    Ok(ExitCode::SUCCESS)
}
