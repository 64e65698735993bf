//! Store benchmark (a harness, not a test): builds a database with 10,000 members, the full
//! catalogue and 50,000 deliveries, then times the Delivery Log's queries (keyset pages, counts)
//! and leaves the file for the start-up benchmark.
//! Run: `cargo run --release --example bench_store [PATH]` (default /tmp/notifydesk-bench.db)

use std::time::{Duration, Instant};

use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::{DeliveryFilter, DeliveryStatus, NewEvent, Store};
use secrecy::SecretString;

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "{name:<46} p50 {:>9.1} µs   p99 {:>9.1} µs",
        us(v[v.len() / 2]),
        us(v[(v.len() * 99) / 100])
    );
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/notifydesk-bench.db".into());
    let path = std::path::PathBuf::from(path);
    let _ = std::fs::remove_file(&path);
    let mut store = Store::open(&path).unwrap();
    let t = Instant::now();
    store
        .save_dingtalk(&DingTalkConfig {
            app_key: "dingbench".into(),
            app_secret: SecretString::from("bench-secret"),
            template_id: None,
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse("13900000001").unwrap()),
        })
        .unwrap();
    store
        .apply_method_changes(&[MethodChange {
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            method: Method::Personal,
            on: true,
        }])
        .unwrap();
    let members: Vec<NewMember> = (0..10_000)
        .map(|i| NewMember {
            name: format!("User {i}"),
            login: format!("u{i}"),
            phone: format!("139{i:08}"),
            email: None,
        })
        .collect();
    store.import_members(&members).unwrap();
    for e in 0..2_500 {
        store
            .enqueue_event(&NewEvent {
                event_id: format!("ev-{e}"),
                type_code: "sql_task".into(),
                node_code: "to_be_approved".into(),
                title: format!("Change {e}"),
                members: (0..20)
                    .map(|i| format!("u{}", (e * 20 + i) % 10_000))
                    .collect(),
                ..NewEvent::default()
            })
            .unwrap();
    }
    let c = store.delivery_counts().unwrap();
    println!(
        "built {} in {:.1} s: 10,000 members, {} deliveries",
        path.display(),
        t.elapsed().as_secs_f64(),
        c.pending
    );

    let all = DeliveryFilter::default();
    let failed = DeliveryFilter {
        status: Some(DeliveryStatus::Pending),
        text: None,
        ..DeliveryFilter::default()
    };
    let search = DeliveryFilter {
        status: None,
        text: Some("ev-1234".into()),
        ..DeliveryFilter::default()
    };
    let runs = 200;
    report(
        "first page (200 rows), all",
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                store.delivery_page(&all, None, 200).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    let mid = 25_000;
    report(
        "page before id 25,000 (200 rows)",
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                store.delivery_page(&all, Some(mid), 200).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    report(
        "first page, status filter",
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                store.delivery_page(&failed, None, 200).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    report(
        "first page, text search",
        (0..50)
            .map(|_| {
                let t = Instant::now();
                store.delivery_page(&search, None, 200).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    report(
        "count, all",
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                store.delivery_count(&all).unwrap();
                t.elapsed()
            })
            .collect(),
    );
    report(
        "counts by status (title bar)",
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                store.delivery_counts().unwrap();
                t.elapsed()
            })
            .collect(),
    );
}
