//! A database with the DingTalk channel, Personal Channel on for SQL Task / To be approved and
//! `n` members known to an in-process fake, and a worker on it: shared by the delivery tests.

#![allow(dead_code)]

use std::time::Duration;

use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint};
use notifydesk::delivery::{Worker, WorkerOptions};
use notifydesk::dingtalk::{Client, ClientOptions, Endpoints};
use notifydesk::store::{DeliveryFilter, DeliveryRow, NewEvent, Store};

pub const KEY: &str = "dingdeliver0001";
pub const SECRET: &str = "deliver-secret-77";

/// Member i's phone (the fake knows it as userid `user{i}`).
pub fn phone(i: usize) -> String {
    format!("1390000{i:04}")
}

pub struct Setup {
    pub fake: FakeDingTalk,
    _dir: tempfile::TempDir,
    pub db: std::path::PathBuf,
}

/// Members u1..=n (phones `phone(i)`), the channel configured with `KEY`/`SECRET`.
pub async fn setup(members: usize) -> Setup {
    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new(KEY, SECRET));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nd.db");
    let mut store = Store::open(&db).unwrap();
    super::fixtures::channel_with_personal(&mut store, KEY, SECRET, &phone(1));
    super::fixtures::members(&fake, &mut store, members, phone);
    Setup {
        fake,
        _dir: dir,
        db,
    }
}

/// An event of SQL Task / To be approved naming members u{i}.
pub fn event(id: &str, members: impl IntoIterator<Item = usize>) -> NewEvent {
    NewEvent {
        event_id: id.into(),
        type_code: "sql_task".into(),
        node_code: "to_be_approved".into(),
        title: format!("Change {id}"),
        text: "Please review.".into(),
        link: Some("https://console.example/task/1".into()),
        members: members.into_iter().map(|i| format!("u{i}")).collect(),
    }
}

/// Fast pacing and short backoffs, so retries happen within a test.
pub fn fast() -> WorkerOptions {
    WorkerOptions {
        rate_per_sec: 200.0,
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(200),
        ..WorkerOptions::default()
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Setup {
    pub fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    /// A worker on its own connection, with this per-call timeout.
    pub fn worker(&self, opts: WorkerOptions, timeout: Duration) -> Worker {
        let client = Client::new(
            Endpoints::single(&self.fake.base_url()).unwrap(),
            ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
        .unwrap();
        Worker::new(self.store(), client, opts).unwrap()
    }

    /// Every delivery, newest first.
    pub fn rows(&self) -> Vec<DeliveryRow> {
        self.store()
            .delivery_page(&DeliveryFilter::default(), None, 10_000)
            .unwrap()
    }

    /// batchSend calls the fake received.
    pub fn sends(&self) -> usize {
        self.fake.calls_to(FakeEndpoint::BatchSend).len()
    }
}
