//! `notifydesk subscription …`: the Subscription tab for scripts.

use std::process::ExitCode;

use anyhow::bail;

use super::args::{OnOff, SubscriptionCommand, SubscriptionSet};
use super::out;
use crate::domain::subscription::{Method, MethodChange, SubscriptionRow};
use crate::i18n::{Lang, words};
use crate::store::Store;

/// The method columns of the grid, in order (Inbox first, always on).
const COLUMNS: [Method; 6] = Method::ALL;

pub fn run(cmd: SubscriptionCommand, mut store: Store, lang: Lang) -> anyhow::Result<ExitCode> {
    match cmd {
        SubscriptionCommand::List { json } => list(&store, json, lang),
        SubscriptionCommand::Set(args) => set(&mut store, args, lang),
    }
}

fn list(store: &Store, json: bool, lang: Lang) -> anyhow::Result<ExitCode> {
    let rows = store.subscription_rows()?;
    if json {
        out::stdout().json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut header = vec![
        lang.tr("cli.subscription.type").to_string(),
        lang.tr("cli.subscription.node").into(),
        lang.tr("cli.subscription.receiver").into(),
    ];
    header.extend(COLUMNS.iter().map(|m| words::method(lang, *m).to_string()));
    header.push(lang.tr("cli.subscription.custom").into());
    let cells: Vec<Vec<String>> = rows.iter().map(|r| cells(r, lang)).collect();
    super::table::print_table(&header, &cells)?;
    Ok(ExitCode::SUCCESS)
}

fn cells(row: &SubscriptionRow, lang: Lang) -> Vec<String> {
    // The codes stay codes: they are what `subscription set` takes.
    let mut cells = vec![
        row.type_code.clone(),
        row.node_code.clone(),
        words::receiver_label(lang, &row.receiver).into_owned(),
    ];
    cells.extend(COLUMNS.iter().map(|m| {
        if row.methods.contains(*m) {
            "[x]".to_string()
        } else {
            "[ ]".to_string()
        }
    }));
    cells.push(if row.custom_receivers.is_empty() {
        "-".into()
    } else {
        row.custom_receivers.join(", ")
    });
    cells
}

fn set(store: &mut Store, args: SubscriptionSet, lang: Lang) -> anyhow::Result<ExitCode> {
    let rows = store.subscription_rows()?;
    check_codes(&rows, &args.type_code, &args.node_code)?;
    let changes: Vec<MethodChange> = [
        (Method::Sms, args.sms),
        (Method::Email, args.email),
        (Method::Phone, args.phone),
        (Method::Webhook, args.webhook),
        (Method::Personal, args.personal),
    ]
    .into_iter()
    .filter_map(|(method, value)| {
        value.map(|v| MethodChange {
            type_code: args.type_code.clone(),
            node_code: args.node_code.clone(),
            method,
            on: v == OnOff::On,
        })
    })
    .collect();
    if changes.is_empty() && args.receivers.is_none() {
        bail!(
            "nothing to change: pass at least one of --personal, --email, --sms, --phone, --webhook (on|off) or --receivers"
        );
    }
    // Receivers first: an unknown login is refused before any method is changed.
    if let Some(list) = &args.receivers {
        let logins: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        store.set_custom_receivers(&args.type_code, &args.node_code, &logins)?;
    }
    store.apply_method_changes(&changes)?;
    let rows = store.subscription_rows()?;
    if let Some(row) = rows
        .iter()
        .find(|r| r.type_code == args.type_code && r.node_code == args.node_code)
    {
        out::stdout().line(summary(row, lang))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuse an unknown type or node, listing the valid codes.
fn check_codes(rows: &[SubscriptionRow], type_code: &str, node_code: &str) -> anyhow::Result<()> {
    let mut types: Vec<&str> = Vec::new();
    for r in rows {
        if !types.contains(&r.type_code.as_str()) {
            types.push(&r.type_code);
        }
    }
    if !types.contains(&type_code) {
        bail!(
            "unknown subscription type {type_code:?}; valid types: {}",
            types.join(", ")
        );
    }
    let nodes: Vec<&str> = rows
        .iter()
        .filter(|r| r.type_code == type_code)
        .map(|r| r.node_code.as_str())
        .collect();
    if !nodes.contains(&node_code) {
        bail!(
            "unknown node {node_code:?} for subscription type {type_code}; valid nodes: {}",
            nodes.join(", ")
        );
    }
    Ok(())
}

/// "Saved: sql_task/to_be_approved (SQL Task / To be approved): Inbox, Personal Channel;
/// receivers: Approvers + alice".
fn summary(row: &SubscriptionRow, lang: Lang) -> String {
    let methods: Vec<&str> = row.methods.iter().map(|m| words::method(lang, m)).collect();
    let mut receivers = words::receiver_label(lang, &row.receiver).into_owned();
    for login in &row.custom_receivers {
        receivers.push_str(" + ");
        receivers.push_str(login);
    }
    let code = format!("{}/{}", row.type_code, row.node_code);
    lang.trf(
        "cli.subscription.saved",
        &[
            ("code", &code),
            (
                "type",
                &words::type_label(lang, &row.type_code, &row.type_label),
            ),
            (
                "node",
                &words::node_label(lang, &row.type_code, &row.node_code, &row.node_label),
            ),
            ("methods", &methods.join(lang.tr("word.list_separator"))),
            ("receivers", &receivers),
        ],
    )
}
