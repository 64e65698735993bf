//! `notify`, `deliver`, `worker` and `log` as a user runs them, including a worker killed
//! with SIGKILL in the middle of 500 deliveries.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use dingtalk_fake::{FakeDingTalk, FakeEndpoint, Fault};
use notifydesk::store::{DeliveryFilter, DeliveryStatus, Store};

use common::cli_env::{Env, SECRET, err, out};

fn notify_args<'a>(id: &'a str, members: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "notify",
        "--type",
        "sql_task",
        "--node",
        "to_be_approved",
        "--event-id",
        id,
        "--title",
        "Alter table orders",
        "--text",
        "Please **review**.",
    ];
    for m in members {
        v.push("--member");
        v.push(m);
    }
    v
}

#[test]
fn notify_deliver_and_log() {
    let env = Env::new(3);
    let o = env.run(&notify_args("T-1", &["u1", "u2"]));
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).contains("queued 2 deliveries"), "{}", out(&o));
    let dup = env.run(&notify_args("T-1", &["u1", "u2", "u3"]));
    assert!(dup.status.success());
    assert!(out(&dup).contains("already received"), "{}", out(&dup));
    // An unknown type is named as clearly as `subscription set` names it.
    let mut typo = notify_args("T-typo", &["u1"]);
    typo[2] = "sqltask";
    let o = env.run(&typo);
    assert!(!o.status.success());
    assert!(
        err(&o).contains("unknown subscription type \"sqltask\"; valid types: sql_task"),
        "{}",
        err(&o)
    );
    let bad = env.run(&[
        "notify",
        "--type",
        "sql_task",
        "--node",
        "nope",
        "--event-id",
        "X",
        "--title",
        "t",
        "--member",
        "u1",
    ]);
    assert!(!bad.status.success());
    assert!(
        err(&bad).contains("to_be_approved"),
        "lists valid codes: {}",
        err(&bad)
    );

    let d = env.run(&["deliver"]);
    assert!(d.status.success(), "{}", err(&d));
    assert!(out(&d).contains("sent 2"), "{}", out(&d));
    assert_eq!(
        env.fake.outbox().len(),
        1,
        "one batchSend for the two receivers"
    );

    let log = env.run(&["log", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&log.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "sent" && r["process_query_key"].is_string())
    );
    // The log's search, as the TUI's `/`: by event id, title or login, any case.
    let o = env.run(&notify_args("T-2", &["u3"]));
    assert!(o.status.success(), "{}", err(&o));
    let found = |args: &[&str]| -> Vec<String> {
        let o = env.run(&[&["log", "--json"], args].concat());
        assert!(o.status.success(), "{}", err(&o));
        let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut logins: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}:{}",
                    r["event_id"].as_str().unwrap(),
                    r["login"].as_str().unwrap()
                )
            })
            .collect();
        logins.sort();
        logins
    };
    assert_eq!(found(&["--search", "t-2"]), ["T-2:u3"]);
    assert_eq!(found(&["--search", "U1"]), ["T-1:u1"]);
    assert_eq!(found(&["--search", "ALTER TABLE"]).len(), 3);
    assert_eq!(
        found(&["--search", "orders", "--status", "pending"]),
        ["T-2:u3"]
    );
    assert!(found(&["--search", "nothing like it"]).is_empty());
    let text = env.run(&["log"]);
    assert!(
        out(&text).contains("sql_task/to_be_approved"),
        "{}",
        out(&text)
    );
    assert!(!out(&text).contains(SECRET) && !err(&d).contains(SECRET));
    // An event skipped earlier says so, why, and how to send it.
    let mut other = notify_args("T-skip", &["u1"]);
    other[4] = "approved";
    assert!(env.run(&other).status.success());
    let again = env.run(&other);
    let text = out(&again);
    assert!(
        text.contains("skipped then: Personal Channel is not checked")
            && text.contains("new --event-id"),
        "{text}"
    );
}

#[test]
fn stdin_json_reports_bad_lines_and_failed_delivery_can_be_retried() {
    let env = Env::new(2);
    let mut child = env
        .cmd(&["notify", "--stdin-json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = concat!(
        r#"{"event_id":"J-1","type":"sql_task","node":"to_be_approved","title":"one","members":["u1"]}"#,
        "\n",
        "this is not json\n",
        "\n",
        r#"{"event_id":"J-2","type":"sql_task","node":"to_be_approved","title":"two","members":["u2","ghost"]}"#,
        "\n",
    );
    child
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success(), "a bad line makes the exit code 1");
    assert!(err(&o).contains("stdin:2:"), "{}", err(&o));
    assert!(
        out(&o).contains("J-1") && out(&o).contains("J-2"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("ghost"),
        "unknown member reported: {}",
        out(&o)
    );

    // The unknown member failed when the event came in; this run itself sends the rest.
    let d = env.run(&["deliver"]);
    assert!(d.status.success(), "{}", err(&d));
    assert!(out(&d).contains("sent 2"), "{}", out(&d));
    let failed = env.run(&["log", "--status", "failed", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&failed.stdout).unwrap();
    let id = rows[0]["id"].as_i64().unwrap();
    assert_eq!(rows[0]["login"], "ghost");
    // Not a member yet: the retry says what to do first.
    let r = env.run(&["log", "--retry", &id.to_string()]);
    assert!(
        !r.status.success() && err(&r).contains("member add"),
        "{}",
        err(&r)
    );
    let add = env.run(&[
        "member",
        "add",
        "--name",
        "Ghost",
        "--login",
        "ghost",
        "--phone",
        "13900009999",
    ]);
    assert!(add.status.success(), "{}", err(&add));
    // Now it becomes a delivery on the configured channel, in place of the failed row.
    let r = env.run(&["log", "--retry", &id.to_string()]);
    assert!(r.status.success(), "{}", err(&r));
    let rows: serde_json::Value =
        serde_json::from_slice(&env.run(&["log", "--json"]).stdout).unwrap();
    let ghost: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["login"] == "ghost")
        .collect();
    assert_eq!(ghost.len(), 1, "{ghost:?}");
    assert_eq!(
        (ghost[0]["status"].as_str(), ghost[0]["channel"].as_str()),
        (Some("pending"), Some("dingtalk"))
    );
    let again = env.run(&["log", "--retry", &id.to_string()]);
    assert!(!again.status.success(), "{}", err(&again));
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many times each (message title, userid) reached the fake.
fn receipts(fake: &FakeDingTalk) -> std::collections::HashMap<(String, String), usize> {
    let mut seen = std::collections::HashMap::new();
    for m in fake.outbox() {
        let title = m.msg_param.as_ref().unwrap()["title"]
            .as_str()
            .unwrap()
            .to_string();
        for u in &m.user_ids {
            *seen.entry((title.clone(), u.clone())).or_insert(0) += 1;
        }
    }
    seen
}

/// `events` events × `members` receivers, queued directly in the store.
fn enqueue(db: &Path, prefix: &str, events: usize, members: usize) {
    let mut store = Store::open(db).unwrap();
    for e in 0..events {
        store
            .enqueue_event(&notifydesk::store::NewEvent {
                event_id: format!("{prefix}-{e}"),
                type_code: "sql_task".into(),
                node_code: "to_be_approved".into(),
                title: format!("{prefix} {e}"),
                text: String::new(),
                link: None,
                members: (1..=members).map(|i| format!("u{i}")).collect(),
            })
            .unwrap();
    }
}

fn sigterm_and_wait(child: &mut std::process::Child) -> std::process::ExitStatus {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    child.wait().unwrap()
}

#[test]
fn two_workers_by_two_names_send_each_message_once() {
    let env = Env::new(100);
    enqueue(&env.db(), "twin", 4, 100);
    let link = env.dir.path().join("link.db");
    std::os::unix::fs::symlink(env.db(), &link).unwrap();
    let spawn = |db: &Path| {
        env.cmd(&["--db", db.to_str().unwrap(), "worker", "--rate-limit", "40"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut a = spawn(&env.db());
    let mut b = spawn(&link);
    wait_until("the outbox to drain", Duration::from_secs(60), || {
        let c = counts(&env.db());
        c.pending + c.sending == 0
    });
    assert!(sigterm_and_wait(&mut a).success());
    assert!(sigterm_and_wait(&mut b).success());
    let seen = receipts(&env.fake);
    let dupes = seen.values().filter(|n| **n > 1).count();
    assert_eq!(dupes, 0, "duplicates through a symlink");
    assert_eq!(seen.len(), 400, "every receiver got every message");
    assert_eq!(counts(&env.db()).sent, 400);

    // A hard link is a second name SQLite cannot tell apart (it would keep a journal per
    // name and corrupt the file): refused by every name, without touching the file.
    enqueue(&env.db(), "hard", 1, 20);
    let hard = env.dir.path().join("hard.db");
    std::fs::hard_link(env.db(), &hard).unwrap();
    for db in [&env.db(), &hard] {
        let o = env.run(&["--db", db.to_str().unwrap(), "deliver"]);
        assert!(!o.status.success());
        assert!(err(&o).contains("hard links"), "{}", err(&o));
    }
    assert_eq!(
        receipts(&env.fake).len(),
        400,
        "nothing sent through a hard link"
    );
    std::fs::remove_file(&hard).unwrap();
    let o = env.run(&["deliver"]);
    assert!(o.status.success(), "{}", err(&o));
    let seen = receipts(&env.fake);
    assert_eq!(seen.len(), 420);
    assert!(seen.values().all(|n| *n == 1));
}

#[test]
fn a_write_lock_held_for_ten_seconds_is_waited_out() {
    let env = Env::new(40);
    let mut worker = env
        .cmd(&["worker", "--rate-limit", "40"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    enqueue(&env.db(), "warm", 1, 40);
    wait_until("the first event", Duration::from_secs(30), || {
        counts(&env.db()).sent == 40
    });
    // The next answer comes back while another process holds the write lock, so the write
    // that records the accepted send has to wait (longer than the 5 s busy timeout).
    env.fake
        .inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 3_000 }, 1);
    let calls = env.fake.calls_to(FakeEndpoint::BatchSend).len();
    enqueue(&env.db(), "locked", 1, 40);
    wait_until("a call in flight", Duration::from_secs(30), || {
        env.fake.calls_to(FakeEndpoint::BatchSend).len() > calls
    });
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::sleep(Duration::from_secs(10));
    assert!(
        worker.try_wait().unwrap().is_none(),
        "the worker kept running"
    );
    conn.execute_batch("COMMIT").unwrap();
    drop(conn);
    wait_until("the outbox to drain", Duration::from_secs(30), || {
        let c = counts(&env.db());
        c.pending + c.sending == 0
    });
    assert!(sigterm_and_wait(&mut worker).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(worker.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("database busy"), "{stderr}");
    let c = counts(&env.db());
    assert_eq!((c.sent, c.unknown, c.failed), (80, 0, 0), "{c:?}");
    let seen = receipts(&env.fake);
    assert_eq!(seen.len(), 80);
    assert!(seen.values().all(|n| *n == 1), "each sent once");
}

#[test]
fn retrying_a_delivery_that_may_have_been_delivered_needs_force() {
    let env = Env::new(1);
    env.fake
        .inject(FakeEndpoint::BatchSend, Fault::SystemError500, 1);
    assert!(env.run(&notify_args("amb", &["u1"])).status.success());
    let o = env.run(&["deliver"]);
    assert!(!o.status.success());
    assert!(out(&o).contains("may have been delivered 1"), "{}", out(&o));
    assert_eq!(
        env.fake.calls_to(FakeEndpoint::BatchSend).len(),
        1,
        "not resent"
    );
    let id = Store::open(&env.db())
        .unwrap()
        .delivery_page(&DeliveryFilter::default(), None, 1)
        .unwrap()[0]
        .id
        .to_string();
    let o = env.run(&["log"]);
    assert!(out(&o).contains("maybe-sent"), "{}", out(&o));
    let o = env.run(&["log", "--retry", &id]);
    assert!(!o.status.success());
    assert!(
        err(&o).contains("--force") && err(&o).contains("may have been delivered"),
        "{}",
        err(&o)
    );
    let o = env.run(&["log", "--retry", &id, "--force"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(env.run(&["deliver"]).status.success());
    assert_eq!(env.fake.outbox().len(), 1);
}

#[test]
fn an_oversized_event_is_refused_with_the_limit_and_the_rest_still_queued() {
    let env = Env::new(1);
    let line = |id: &str, title: &str| {
        serde_json::json!({"event_id": id, "type": "sql_task", "node": "to_be_approved",
            "title": title, "members": ["u1"]})
        .to_string()
    };
    let input = format!(
        "{}\n{}\n{}\n",
        line("huge", &"t".repeat(2 * 1024 * 1024)),
        line("long-title", &"t".repeat(2000)),
        line("fine", "ok")
    );
    let mut child = env
        .cmd(&["notify", "--stdin-json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(!o.status.success());
    let e = err(&o);
    assert!(e.contains("stdin:1:") && e.contains("limit"), "{e}");
    assert!(
        e.contains("stdin:2:") && e.contains("title is 2000 bytes; the limit is 1024"),
        "{e}"
    );
    assert!(out(&o).contains("event fine: queued 1"), "{}", out(&o));
    assert_eq!(
        counts(&env.db()).pending,
        1,
        "only the valid event was stored"
    );
}

#[test]
fn an_idle_worker_notices_an_event_enqueued_by_another_process() {
    let env = Env::new(1);
    let mut worker = env
        .cmd(&["worker"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Idle: nothing pending, so the worker sleeps (up to a minute) unless woken.
    std::thread::sleep(Duration::from_millis(500));
    assert!(env.run(&notify_args("wake-1", &["u1"])).status.success());
    wait_until("the send", Duration::from_secs(10), || {
        !env.fake.outbox().is_empty()
    });
    assert!(sigterm_and_wait(&mut worker).success());
}

fn counts(db: &Path) -> notifydesk::store::DeliveryCounts {
    Store::open(db).unwrap().delivery_counts().unwrap()
}

#[test]
fn worker_killed_mid_run_loses_nothing_and_sends_nothing_twice() {
    let env = Env::new(100);
    // 5 events × 100 receivers = 500 deliveries = 25 batchSend calls.
    let mut store = Store::open(&env.db()).unwrap();
    for e in 0..5 {
        let members: Vec<String> = (1..=100).map(|i| format!("u{i}")).collect();
        store
            .enqueue_event(&notifydesk::store::NewEvent {
                event_id: format!("crash-{e}"),
                type_code: "sql_task".into(),
                node_code: "to_be_approved".into(),
                title: format!("event {e}"),
                text: String::new(),
                link: None,
                members,
            })
            .unwrap();
    }
    drop(store);
    let spawn = || {
        env.cmd(&["worker", "--rate-limit", "40"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    wait_until("the first sends", Duration::from_secs(30), || {
        env.fake.outbox().len() >= 4
    });
    // The next call hangs: kill the worker while DingTalk holds it.
    env.fake
        .inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 3_000 }, 1);
    let calls = env.fake.calls_to(FakeEndpoint::BatchSend).len();
    wait_until("a call in flight", Duration::from_secs(30), || {
        env.fake.calls_to(FakeEndpoint::BatchSend).len() > calls
    });
    std::thread::sleep(Duration::from_millis(200));
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let sent_before_restart = env.fake.outbox().len();
    assert!(sent_before_restart < 25, "killed too late to test anything");

    let mut second = spawn();
    wait_until("the outbox to drain", Duration::from_secs(60), || {
        let c = counts(&env.db());
        c.pending + c.sending == 0
    });
    // SIGTERM stops the worker cleanly.
    unsafe { libc::kill(second.id() as i32, libc::SIGTERM) };
    let status = second.wait().unwrap();
    assert!(status.success(), "{status:?}");

    // Every (event, receiver) pair reached DingTalk at most once.
    let seen = receipts(&env.fake);
    assert!(
        seen.values().all(|n| *n == 1),
        "a receiver got a message twice"
    );
    let store = Store::open(&env.db()).unwrap();
    let all = store
        .delivery_page(&DeliveryFilter::default(), None, 1000)
        .unwrap();
    assert_eq!(all.len(), 500, "nothing lost");
    let sent = all
        .iter()
        .filter(|r| r.status == DeliveryStatus::Sent)
        .count();
    let interrupted = all
        .iter()
        .filter(|r| {
            r.status == DeliveryStatus::Unknown && r.error_code.as_deref() == Some("interrupted")
        })
        .count();
    assert!(
        interrupted > 0,
        "the kill landed while a send was in flight"
    );
    assert_eq!(
        sent + interrupted,
        500,
        "only interrupted deliveries are not sent"
    );
    // Sent ones were received exactly once; interrupted ones at most once (in `seen` or not).
    assert!(seen.len() >= sent && seen.len() <= sent + interrupted);
    assert!(interrupted <= 20, "at most one batch can be in flight");
    println!(
        "crash test: {sent} sent, {interrupted} interrupted (possibly delivered), received {}",
        seen.len()
    );
}

#[test]
fn message_language_setting_switches_the_template() {
    let env = Env::new(1);
    let bad = env.run(&["settings", "set", "message.language", "fr"]);
    assert!(
        !bad.status.success() && err(&bad).contains("en, zh"),
        "{}",
        err(&bad)
    );
    let ok = env.run(&["settings", "set", "message.language", "zh"]);
    assert!(ok.status.success(), "{}", err(&ok));
    assert!(out(&env.run(&["settings", "list"])).contains("message.language = zh"));
    env.run(&notify_args("Z-1", &["u1"]));
    let d = env.run(&["deliver"]);
    assert!(d.status.success(), "{}", err(&d));
    let text = env.fake.outbox()[0].msg_param.as_ref().unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("SQL 任务 · 待审批"), "{text}");
}
