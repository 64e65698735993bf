//! Warm Test Message Sending against the in-process sandbox, against the same HTTP calls
//! (lookup by mobile, then batchSend) made with a bare reqwest client and a cached token.
//! A harness, not a test. Run: `cargo run --release --example bench_test_send [N]`

use std::time::{Duration, Instant};

use dingtalk_fake::{FakeApp, FakeDingTalk};
use notifydesk::dingtalk::{Client, ClientOptions, Credentials, Endpoints};
use notifydesk::domain::Mobile;
use secrecy::ExposeSecret;

const KEY: &str = "dingbench0001";
const SECRET: &str = "bench-secret";
const PHONE: &str = "13800000001";

fn p(v: &mut [Duration], q: f64) -> f64 {
    v.sort();
    v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500);
    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new(KEY, SECRET));
    fake.add_user(PHONE, "benchuser");
    let base = fake.base_url();
    let client = Client::new(Endpoints::single(&base).unwrap(), ClientOptions::default()).unwrap();
    let creds = Credentials::new(KEY, SECRET);
    let mobile = Mobile::parse(PHONE).unwrap();
    // Warm up: token cached, connections open.
    for _ in 0..20 {
        client
            .send_test_message(&creds, &mobile, &markdown())
            .await
            .unwrap();
    }
    let mut ours: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        client
            .send_test_message(&creds, &mobile, &markdown())
            .await
            .unwrap();
        ours.push(t.elapsed());
    }

    notifydesk::personal::install_tls_provider();
    let http = reqwest::Client::new();
    let token = client.access_token(&creds).await.unwrap();
    let token = token.expose_secret().to_string();
    let bare = || async {
        let r: serde_json::Value = http
            .post(format!(
                "{base}/topapi/v2/user/getbymobile?access_token={token}"
            ))
            .json(&serde_json::json!({ "mobile": PHONE }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let userid = r["result"]["userid"].as_str().unwrap().to_string();
        let param =
            serde_json::json!({"title": "notifydesk test message", "text": "bench"}).to_string();
        let resp = http
            .post(format!("{base}/v1.0/robot/oToMessages/batchSend"))
            .header("x-acs-dingtalk-access-token", &token)
            .json(&serde_json::json!({"robotCode": KEY, "userIds": [userid], "msgKey": "sampleMarkdown", "msgParam": param}))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        let _: serde_json::Value = resp.json().await.unwrap();
    };
    for _ in 0..20 {
        bare().await;
    }
    let mut reference: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        bare().await;
        reference.push(t.elapsed());
    }
    let (o50, o99) = (p(&mut ours, 0.5), p(&mut ours, 0.99));
    let (r50, r99) = (p(&mut reference, 0.5), p(&mut reference, 0.99));
    println!("warm Test Message Sending against the sandbox, {n} runs each (lookup + send):");
    println!("  notifydesk client  p50 {o50:8.1} µs   p99 {o99:8.1} µs");
    println!("  bare reqwest       p50 {r50:8.1} µs   p99 {r99:8.1} µs");
    println!("  ratio (p50)        {:.2}x", o50 / r50);
}

fn markdown() -> notifydesk::dingtalk::TestContent {
    notifydesk::dingtalk::TestContent::Markdown {
        title: "notifydesk test message".into(),
        text: "#### notifydesk test message".into(),
    }
}
