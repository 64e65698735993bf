//! `notifydesk subscription …`: the Subscription tab for scripts.

use std::process::ExitCode;

use anyhow::bail;

use super::args::{OnOff, SubscriptionCommand, SubscriptionSet};
use super::out;
use crate::domain::subscription::{Method, MethodChange, SubscriptionRow};
use crate::store::Store;

/// The method columns of the grid, in order (Inbox first, always on).
const COLUMNS: [Method; 6] = Method::ALL;

pub fn run(cmd: SubscriptionCommand, mut store: Store) -> anyhow::Result<ExitCode> {
    match cmd {
        SubscriptionCommand::List { json } => list(&store, json),
        SubscriptionCommand::Set(args) => set(&mut store, args),
    }
}

fn list(store: &Store, json: bool) -> anyhow::Result<ExitCode> {
    let rows = store.subscription_rows()?;
    if json {
        out::stdout().json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut header = vec!["TYPE".to_string(), "NODE".into(), "RECEIVER".into()];
    header.extend(COLUMNS.iter().map(|m| m.title().to_string()));
    header.push("CUSTOM RECEIVERS".into());
    let cells: Vec<Vec<String>> = rows.iter().map(cells).collect();
    super::table::print_table(&header, &cells)?;
    Ok(ExitCode::SUCCESS)
}

fn cells(row: &SubscriptionRow) -> Vec<String> {
    let mut cells = vec![
        row.type_code.clone(),
        row.node_code.clone(),
        row.receiver.clone(),
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

fn set(store: &mut Store, args: SubscriptionSet) -> anyhow::Result<ExitCode> {
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
        out::stdout().line(format_args!("Saved: {}", summary(row)))?;
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

/// "sql_task/to_be_approved (SQL Task / To be approved): Inbox, Personal Channel; receivers:
/// Approvers + alice".
fn summary(row: &SubscriptionRow) -> String {
    let methods: Vec<&str> = row.methods.iter().map(Method::title).collect();
    let mut receivers = row.receiver.clone();
    for login in &row.custom_receivers {
        receivers.push_str(" + ");
        receivers.push_str(login);
    }
    format!(
        "{}/{} ({} / {}): {}; receivers: {}",
        row.type_code,
        row.node_code,
        row.type_label,
        row.node_label,
        methods.join(", "),
        receivers
    )
}
