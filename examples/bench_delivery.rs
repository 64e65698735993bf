//! Delivery throughput (a harness, not a test): N recipients against the in-process sandbox
//! with the limiter at 20 calls/s and 20 users per call, i.e. a ceiling of 400 messages/s.
//! Userids are cached first (as after the first delivery to each member).
//! Run: `cargo run --release --example bench_delivery [N]`

use std::time::Instant;

use dingtalk_fake::{FakeApp, FakeDingTalk};
use notifydesk::delivery::{Worker, WorkerOptions};
use notifydesk::dingtalk::{Client, ClientOptions, Endpoints};
use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::{NewEvent, Store};
use secrecy::SecretString;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new("dingbench", "bench-secret"));
    let dir = std::env::temp_dir().join(format!("nd-bench-delivery-{}", std::process::id()));
    let db = dir.join("bench.db");
    let mut store = Store::open(&db).unwrap();
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
    let members: Vec<NewMember> = (0..n)
        .map(|i| {
            let phone = format!("139{i:08}");
            fake.add_user(&phone, &format!("user{i}"));
            NewMember {
                name: format!("U{i}"),
                login: format!("u{i}"),
                phone,
                email: None,
            }
        })
        .collect();
    store.import_members(&members).unwrap();
    for m in store.members().unwrap() {
        let userid = format!("user{}", &m.login[1..]);
        store.set_member_userid(m.id, Some(&userid), 0).unwrap();
    }
    // An event names at most 1,000 members: the receivers come in events of 1,000.
    let logins: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    for (i, chunk) in logins
        .chunks(notifydesk::store::MAX_EVENT_MEMBERS)
        .enumerate()
    {
        store
            .enqueue_event(&NewEvent {
                event_id: format!("bench-{i}"),
                type_code: "sql_task".into(),
                node_code: "to_be_approved".into(),
                title: "Throughput".into(),
                members: chunk.to_vec(),
                ..NewEvent::default()
            })
            .unwrap();
    }
    drop(store);
    let client = Client::new(
        Endpoints::single(&fake.base_url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let opts = WorkerOptions {
        rate_per_sec: 20.0,
        batch_size: 20,
        ..WorkerOptions::default()
    };
    let mut worker = Worker::new(Store::open(&db).unwrap(), client, opts).unwrap();
    let started = Instant::now();
    let r = worker.drain_once().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let received: usize = fake.outbox().iter().map(|m| m.user_ids.len()).sum();
    assert_eq!(received, n);
    let rate = r.sent as f64 / secs;
    println!("delivery of {n} messages at 20 calls/s × 20 users/call (ceiling 400 msg/s):");
    println!(
        "  sent {} in {secs:.2} s with {} batchSend calls",
        r.sent, r.calls
    );
    println!(
        "  throughput {rate:.1} msg/s, {:.1} % of the ceiling",
        rate / 400.0 * 100.0
    );
    drop(worker);
    let _ = std::fs::remove_dir_all(&dir);
}
