//! `notifydesk worker --listen`: events pushed over HTTP, stored durably before the 202, then
//! delivered; status codes, auth, idempotency, health and metrics.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use notifydesk::store::Store;
use serde_json::{Value, json};

use common::cli_env::Env;

const SECRET: &str = common::cli_env::SECRET;
const TOKEN: &str = "ingest-token-0123456789abcdef";

/// The worker with an HTTP listener.
trait Listen {
    fn cmd_with_token(&self, args: &[&str], token: Option<&str>) -> Command;
    fn listen(&self, token: Option<&str>) -> (Child, String);
}

impl Listen for Env {
    fn cmd_with_token(&self, args: &[&str], token: Option<&str>) -> Command {
        let mut c = self.cmd(args);
        if let Some(t) = token {
            c.env("NOTIFYDESK_INGEST_TOKEN", t);
        }
        c
    }

    /// A worker listening on a free loopback port, and its base URL.
    fn listen(&self, token: Option<&str>) -> (Child, String) {
        let mut child = self
            .cmd_with_token(&["worker", "--listen", "127.0.0.1:0"], token)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("worker exited").unwrap();
            if let Some(rest) = line.split("accepting events on ").nth(1) {
                break rest.split("/v1/events").next().unwrap().trim().to_string();
            }
        };
        // Keep draining stderr so the worker never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        (child, url)
    }
}

fn event(id: &str, members: &[&str]) -> Value {
    json!({"event_id": id, "type": "sql_task", "node": "to_be_approved",
           "title": format!("Change {id}"), "text": "Please review.", "members": members})
}

async fn post(url: &str, token: Option<&str>, body: impl Into<reqwest::Body>) -> (u16, Value) {
    notifydesk::personal::install_tls_provider();
    let mut req = reqwest::Client::new()
        .post(format!("{url}/v1/events"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stop(mut child: Child) {
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_accepted_stored_and_delivered_once() {
    let env = Env::new(3);
    let (child, url) = env.listen(Some(TOKEN));
    let (status, body) = post(&url, Some(TOKEN), event("h-1", &["u1", "u2"]).to_string()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["events"][0]["outcome"], "queued");
    assert_eq!(body["events"][0]["deliveries"], 2);
    // An array, with the first event again: idempotent by event id.
    let batch = json!([event("h-1", &["u1"]), event("h-2", &["u3", "ghost"])]);
    let (status, body) = post(&url, Some(TOKEN), batch.to_string()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["events"][0]["outcome"], "duplicate");
    assert_eq!(body["events"][1]["unknown_members"], json!(["ghost"]));
    wait_until("3 messages at the fake", || {
        env.fake
            .outbox()
            .iter()
            .map(|m| m.user_ids.len())
            .sum::<usize>()
            == 3
    });
    // Health and metrics.
    let h: Value = reqwest::get(format!("{url}/healthz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (h["database"].as_str(), h["worker"].as_str()),
        (Some("ok"), Some("running")),
        "{h}"
    );
    assert_eq!(h["channels"]["dingtalk"], true);
    assert_eq!(h["channels"]["wecom"], false);
    let metrics = |token: Option<&str>| {
        notifydesk::personal::install_tls_provider();
        let mut req = reqwest::Client::new().get(format!("{url}/metrics"));
        if let Some(t) = token {
            req = req.header("authorization", format!("bearer {t}"));
        }
        req.send()
    };
    assert_eq!(metrics(None).await.unwrap().status().as_u16(), 401);
    let m = metrics(Some(TOKEN)).await.unwrap().text().await.unwrap();
    assert!(
        m.contains(r#"notifydesk_deliveries{channel="dingtalk",status="sent"} 3"#),
        "{m}"
    );
    assert!(
        m.contains("notifydesk_dingtalk_call_duration_seconds_bucket"),
        "{m}"
    );
    assert!(m.contains("notifydesk_ingest_events_total"), "{m}");
    assert!(!m.contains(SECRET) && !m.contains(TOKEN));
    stop(child);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_precise_status_codes_and_store_nothing() {
    let env = Env::new(1);
    let (child, url) = env.listen(Some(TOKEN));
    let good = event("ok-1", &["u1"]);
    // 401: no token, a wrong one.
    assert_eq!(post(&url, None, good.to_string()).await.0, 401);
    assert_eq!(post(&url, Some("wrong"), good.to_string()).await.0, 401);
    // 400: not JSON, a field missing, an unknown node — and the good event with them is
    // not stored either.
    let (s, b) = post(&url, Some(TOKEN), "{not json").await;
    assert_eq!(s, 400, "{b}");
    let mut no_title = event("bad-1", &["u1"]);
    no_title.as_object_mut().unwrap().remove("title");
    let (s, b) = post(&url, Some(TOKEN), json!([good, no_title]).to_string()).await;
    assert_eq!(s, 400, "{b}");
    assert!(b["error"].as_str().unwrap().contains("event 1"), "{b}");
    let mut unknown_node = event("bad-2", &["u1"]);
    unknown_node["node"] = json!("nope");
    let (s, b) = post(&url, Some(TOKEN), json!([good, unknown_node]).to_string()).await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["error"]
            .as_str()
            .unwrap()
            .contains("nothing of this request was stored")
    );
    // 413: a title over 1 KiB, a body over 8 MiB.
    let mut big = event("big", &["u1"]);
    big["title"] = json!("t".repeat(2000));
    let (s, b) = post(&url, Some(TOKEN), big.to_string()).await;
    assert_eq!(s, 413, "{b}");
    assert!(
        b["error"].as_str().unwrap().contains("limit is 1024"),
        "{b}"
    );
    // The server answers 413 as soon as the body passes the limit and closes the connection:
    // a client still writing the rest may see the connection closed before it reads the 413.
    notifydesk::personal::install_tls_provider();
    let sent = reqwest::Client::new()
        .post(format!("{url}/v1/events"))
        .header("content-type", "application/json")
        .bearer_auth(TOKEN)
        .body(vec![b' '; 9 << 20])
        .send()
        .await;
    match sent {
        Ok(resp) => assert_eq!(resp.status().as_u16(), 413),
        Err(e) => assert!(
            e.is_request() && format!("{e:?}").contains("BodyWrite"),
            "refused while the body was being written, nothing else: {e:?}"
        ),
    }
    let c = Store::open(&env.db()).unwrap().delivery_counts().unwrap();
    assert_eq!(c, Default::default(), "nothing stored");
    // The good event alone is fine.
    assert_eq!(post(&url, Some(TOKEN), good.to_string()).await.0, 202);
    stop(child);
}

#[test]
fn a_non_loopback_address_needs_a_token() {
    let env = Env::new(1);
    let o = env
        .cmd_with_token(&["worker", "--listen", "0.0.0.0:0"], None)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("without a token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_event_survives_a_kill_right_after_the_202() {
    let env = Env::new(1);
    // DingTalk is unreachable for a while: the event must be in the database, not in memory.
    env.fake.inject(
        dingtalk_fake::FakeEndpoint::GetByMobile,
        dingtalk_fake::Fault::Delay { ms: 5_000 },
        1,
    );
    let (mut child, url) = env.listen(None);
    let (status, body) = post(&url, None, event("durable", &["u1"]).to_string()).await;
    assert_eq!(status, 202, "{body}");
    child.kill().unwrap(); // SIGKILL at once
    child.wait().unwrap();
    let store = Store::open(&env.db()).unwrap();
    let rows = store.delivery_page(&Default::default(), None, 10).unwrap();
    assert_eq!(rows.len(), 1, "the accepted event is in the outbox");
    assert_eq!(rows[0].event_id, "durable");
    drop(store);
    // A restarted worker delivers it.
    let (child, _) = env.listen(None);
    wait_until("the delivery", || !env.fake.outbox().is_empty());
    stop(child);
}
