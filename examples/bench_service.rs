//! Service-mode benchmark (a harness, not a test), against the release binary and the
//! in-process fake DingTalk:
//! 1. `notify --stdin-json` events/s with 20 and with 100,000 members (the ratio is the point);
//! 2. latency from `notify` returning to the fake receiving the send, worker idle;
//! 3. `worker --listen`: 10,000 events over 50 concurrent connections — accept latency, and
//!    every event delivered exactly once.
//!
//! Run: `cargo build --release --bin notifydesk --examples && cargo run --release --example bench_service`

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dingtalk_fake::{FakeApp, FakeDingTalk};
use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::Store;
use secrecy::SecretString;

const KEY: &str = "dingbenchsvc";
const SECRET: &str = "bench-service-secret";

fn binary() -> PathBuf {
    // target/release/examples/bench_service → target/release/notifydesk
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("notifydesk")
}

fn pct(v: &mut [Duration], p: usize) -> f64 {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e3
}

/// A database with the channel, Personal Channel on for SQL Task / To be approved, and
/// `members` members (u0…), of which the first 20 are known to the fake.
fn database(dir: &Path, fake: &FakeDingTalk, name: &str, members: usize) -> PathBuf {
    let db = dir.join(format!("{name}.db"));
    let mut store = Store::open(&db).unwrap();
    store
        .save_dingtalk(&DingTalkConfig {
            app_key: KEY.into(),
            app_secret: SecretString::from(SECRET),
            template_id: None,
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse("13900000000").unwrap()),
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
    let list: Vec<NewMember> = (0..members)
        .map(|i| NewMember {
            name: format!("User {i}"),
            login: format!("u{i}"),
            phone: format!("139{i:08}"),
            email: None,
        })
        .collect();
    for chunk in list.chunks(10_000) {
        store.import_members(chunk).unwrap();
    }
    for i in 0..20 {
        fake.add_user(&format!("139{i:08}"), &format!("user{i}"));
    }
    db
}

fn cmd(db: &Path, fake: &FakeDingTalk, args: &[&str]) -> Command {
    let mut c = Command::new(binary());
    c.env("NOTIFYDESK_DB", db)
        .env("NOTIFYDESK_DINGTALK_API", fake.base_url())
        .env("NOTIFYDESK_DINGTALK_OAPI", fake.base_url())
        .args(args);
    c
}

fn event_line(id: &str, members: &[String]) -> String {
    serde_json::json!({"event_id": id, "type": "sql_task", "node": "to_be_approved",
        "title": format!("Change {id}"), "text": "Please review.", "members": members})
    .to_string()
}

fn enqueue_rate(db: &Path, fake: &FakeDingTalk, events: usize, members: usize) -> f64 {
    let input: String = (0..events)
        .map(|i| {
            let m = vec![
                format!("u{}", i % members),
                format!("u{}", (i * 7) % members),
            ];
            event_line(&format!("rate-{members}-{i}"), &m) + "\n"
        })
        .collect();
    let started = Instant::now();
    let mut child = cmd(db, fake, &["notify", "--stdin-json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    events as f64 / started.elapsed().as_secs_f64()
}

fn worker(db: &Path, fake: &FakeDingTalk, extra: &[&str]) -> (Child, Option<String>) {
    let mut args = vec!["worker", "--rate-limit", "1000"];
    args.extend_from_slice(extra);
    let mut child = cmd(db, fake, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("accepting events on ").nth(1) {
            url = Some(rest.split("/v1/events").next().unwrap().trim().to_string());
        }
        if line.contains("delivering;") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

fn stop(mut child: Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}

fn received(fake: &FakeDingTalk) -> usize {
    fake.outbox().iter().map(|m| m.user_ids.len()).sum()
}

fn main() {
    assert!(
        binary().exists(),
        "build first: cargo build --release --bin notifydesk"
    );
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDingTalk::start_background();
    fake.add_app(FakeApp::new(KEY, SECRET));

    // 1. Enqueue rate.
    let small = database(dir.path(), &fake, "small", 20);
    let large = database(dir.path(), &fake, "large", 100_000);
    let n = 20_000;
    let r20 = enqueue_rate(&small, &fake, n, 20);
    let r100k = enqueue_rate(&large, &fake, n, 100_000);
    println!(
        "enqueue (notify --stdin-json, {n} events): 20 members {r20:.0} events/s · 100,000 members {r100k:.0} events/s · ratio {:.2}",
        r100k / r20
    );

    // 2. notify → send latency, worker idle.
    let db = database(dir.path(), &fake, "latency", 1);
    let (w, _) = worker(&db, &fake, &[]);
    std::thread::sleep(Duration::from_millis(300));
    let mut lat = Vec::new();
    for i in 0..200 {
        let before = received(&fake);
        let line = event_line(&format!("lat-{i}"), &["u0".to_string()]);
        let mut child = cmd(&db, &fake, &["notify", "--stdin-json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
        let returned = Instant::now();
        while received(&fake) == before {
            std::thread::sleep(Duration::from_micros(100));
        }
        lat.push(returned.elapsed());
        // Let the worker go idle again.
        std::thread::sleep(Duration::from_millis(20));
    }
    stop(w);
    println!(
        "notify returned → fake received the send (worker idle, 200 events): p50 {:.1} ms · p99 {:.1} ms",
        pct(&mut lat, 50),
        pct(&mut lat, 99)
    );

    // 3. HTTP ingest: 10,000 events over 50 concurrent connections.
    let db = database(dir.path(), &fake, "ingest", 20);
    let before = received(&fake);
    let (w, url) = worker(&db, &fake, &["--listen", "127.0.0.1:0"]);
    let url = url.expect("listening");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let mut accept: Vec<Duration> = rt.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..50 {
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                notifydesk::personal::install_tls_provider();
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut times = Vec::new();
                for i in 0..200 {
                    let body =
                        event_line(&format!("http-{c}-{i}"), &[format!("u{}", (c + i) % 20)]);
                    let t = Instant::now();
                    let r = client
                        .post(format!("{url}/v1/events"))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status().as_u16(), 202);
                    times.push(t.elapsed());
                }
                times
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    let accepted_in = started.elapsed();
    while received(&fake) < before + 10_000 {
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "delivery stalled"
        );
    }
    let delivered_in = started.elapsed();
    stop(w);
    let mut seen = std::collections::HashMap::new();
    for m in fake.outbox() {
        let title = m.msg_param.as_ref().unwrap()["title"].to_string();
        if title.contains("http-") {
            for u in &m.user_ids {
                *seen.entry((title.clone(), u.clone())).or_insert(0usize) += 1;
            }
        }
    }
    let dupes = seen.values().filter(|n| **n > 1).count();
    println!(
        "ingest: 10,000 events over 50 connections accepted in {:.2} s ({:.0} events/s), accept p50 {:.2} ms · p99 {:.2} ms; all delivered after {:.1} s; received {} · duplicates {dupes} · lost {}",
        accepted_in.as_secs_f64(),
        10_000.0 / accepted_in.as_secs_f64(),
        pct(&mut accept, 50),
        pct(&mut accept, 99),
        delivered_in.as_secs_f64(),
        seen.len(),
        10_000 - seen.len().min(10_000),
    );
}
