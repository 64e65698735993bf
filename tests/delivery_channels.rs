//! Delivery with all four personal channels configured, against the four fakes: each member
//! receives each message once per channel, and each platform's refusals, timeouts and
//! throttling end as DingTalk's do (never "sent" when it will not arrive, never twice).

mod common;

use std::time::Duration;

use dingtalk_fake::{FakeApp as DtApp, FakeDingTalk};
use feishu_fake::{FakeApp as FsApp, FakeEndpoint as FsEndpoint, FakeFeishu, FakeUser, Fault};
use notifydesk::delivery::{PersonalClients, PersonalEndpoints, Worker};
use notifydesk::dingtalk::{Client, ClientOptions, Endpoints};
use notifydesk::domain::member::NewMember;
use notifydesk::domain::{ChannelFields, ChannelKind, SourceColumn, validate_channel};
use notifydesk::personal::HttpOptions;
use notifydesk::store::{DeliveryFilter, DeliveryRow, DeliveryStatus, Store};
use wecom_fake::{FakeApp as WcApp, FakeEndpoint as WcEndpoint, FakeWeCom};

use common::outbox::{event, fast, phone};

const SECRET: &str = "all-channels-secret";
const CORP: &str = "wwdeliver01";
const AGENT: i64 = 1000002;
const FEISHU_APP: &str = "cli_deliver01";
const LARK_APP: &str = "cli_deliverlark";

struct Four {
    dingtalk: FakeDingTalk,
    wecom: FakeWeCom,
    feishu: FakeFeishu,
    lark: FakeFeishu,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
}

fn login(i: usize) -> String {
    format!("u{i}")
}

fn email(i: usize) -> String {
    format!("u{i}@example.com")
}

fn configure(store: &mut Store, kind: ChannelKind, app_id: &str, column: SourceColumn) {
    let f = ChannelFields {
        app_id: app_id.into(),
        secret: SECRET.into(),
        agent_id: if kind == ChannelKind::WeCom {
            AGENT.to_string()
        } else {
            String::new()
        },
        source_column: Some(column),
        ..ChannelFields::default()
    };
    store
        .save_channel_tested(&validate_channel(kind, &f, false).unwrap(), None)
        .unwrap();
}

/// Members u1..=n on every platform; DingTalk by phone, WeCom by phone, Feishu by login
/// (the tenant user_id), Lark by email.
async fn four(n: usize) -> Four {
    let dingtalk = FakeDingTalk::start().await.unwrap();
    let wecom = FakeWeCom::start().await.unwrap();
    let feishu = FakeFeishu::start().await.unwrap();
    let lark = FakeFeishu::start().await.unwrap();
    dingtalk.add_app(DtApp::new("dingall0001", SECRET));
    wecom.add_app(WcApp::new(CORP, AGENT, SECRET));
    feishu.add_app(FsApp::new(FEISHU_APP, SECRET));
    lark.add_app(FsApp::new(LARK_APP, SECRET));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nd.db");
    let mut store = Store::open(&db).unwrap();
    common::fixtures::channel_with_personal(&mut store, "dingall0001", SECRET, &phone(1));
    configure(&mut store, ChannelKind::WeCom, CORP, SourceColumn::Phone);
    configure(
        &mut store,
        ChannelKind::Feishu,
        FEISHU_APP,
        SourceColumn::Login,
    );
    configure(
        &mut store,
        ChannelKind::FeishuLark,
        LARK_APP,
        SourceColumn::Email,
    );
    let members: Vec<NewMember> = (1..=n)
        .map(|i| {
            dingtalk.add_user(&phone(i), &format!("user{i}"));
            wecom.add_user(&login(i), &phone(i), &email(i));
            for f in [&feishu, &lark] {
                f.add_user(FakeUser::new(&login(i)).mobile(&phone(i)).email(&email(i)));
            }
            NewMember {
                name: format!("User {i}"),
                login: login(i),
                phone: phone(i),
                email: Some(email(i)),
            }
        })
        .collect();
    store.import_members(&members).unwrap();
    Four {
        dingtalk,
        wecom,
        feishu,
        lark,
        _dir: dir,
        db,
    }
}

impl Four {
    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn worker(&self, timeout: Duration) -> Worker {
        let client = Client::new(
            Endpoints::single(&self.dingtalk.base_url()).unwrap(),
            ClientOptions {
                timeout,
                ..ClientOptions::default()
            },
        )
        .unwrap();
        let url = |s: String| url::Url::parse(&s).unwrap();
        let personal = PersonalClients::new(
            &PersonalEndpoints {
                wecom: url(self.wecom.base_url()),
                feishu: url(self.feishu.base_url()),
                lark: url(self.lark.base_url()),
            },
            HttpOptions {
                timeout,
                ..HttpOptions::default()
            },
        )
        .unwrap();
        Worker::new(self.store(), client, fast())
            .unwrap()
            .with_personal(personal)
    }

    fn rows(&self) -> Vec<DeliveryRow> {
        self.store()
            .delivery_page(&DeliveryFilter::default(), None, 10_000)
            .unwrap()
    }

    fn row(&self, login: &str, kind: ChannelKind) -> DeliveryRow {
        self.rows()
            .into_iter()
            .find(|r| r.login == login && r.channel == Some(kind))
            .unwrap_or_else(|| panic!("no delivery for {login} on {kind:?}"))
    }

    /// Messages each receiver got on each platform.
    fn received(&self, i: usize) -> [usize; 4] {
        let dt = self
            .dingtalk
            .outbox()
            .iter()
            .filter(|m| m.user_ids.contains(&format!("user{i}")))
            .count();
        let wc = self
            .wecom
            .outbox()
            .iter()
            .filter(|m| m.touser.contains(&login(i)))
            .count();
        let fs = |f: &FakeFeishu| f.outbox().iter().filter(|m| m.user_id == login(i)).count();
        [dt, wc, fs(&self.feishu), fs(&self.lark)]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_member_gets_each_message_once_on_every_channel() {
    let f = four(5).await;
    let out = f.store().enqueue_event(&event("e1", 1..=5)).unwrap();
    assert!(
        matches!(
            out,
            notifydesk::store::EnqueueOutcome::Queued { deliveries: 20, .. }
        ),
        "{out:?}"
    );
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!((r.sent, r.failed, r.unknown), (20, 0, 0), "{r:?}");
    for i in 1..=5 {
        assert_eq!(f.received(i), [1, 1, 1, 1], "member {i}");
    }
    // DingTalk takes the members in one call; WeCom, Feishu and Lark one per member (each
    // message its own idempotent body).
    assert_eq!(f.dingtalk.outbox().len(), 1);
    assert_eq!(f.wecom.outbox().len(), 5);
    assert_eq!(f.feishu.outbox().len(), 5);
    assert_eq!(f.lark.outbox().len(), 5);
    // The same event again is a duplicate, and a second drain sends nothing.
    assert_eq!(
        f.store().enqueue_event(&event("e1", 1..=5)).unwrap(),
        notifydesk::store::EnqueueOutcome::Duplicate
    );
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(r.sent, 0);
    for i in 1..=5 {
        assert_eq!(f.received(i), [1, 1, 1, 1], "member {i}");
    }
    // Cached ids: the next event needs no lookup on WeCom, Feishu or Lark.
    let lookups = |f: &Four| {
        (
            f.wecom.calls_to(WcEndpoint::GetUserId).len(),
            f.lark.calls_to(FsEndpoint::BatchGetId).len(),
        )
    };
    let before = lookups(&f);
    f.store().enqueue_event(&event("e2", 1..=5)).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(r.sent, 20);
    assert_eq!(lookups(&f), before, "ids come from the cache");
    let member = f.store().member_by_login("u1").unwrap().unwrap();
    assert_eq!(member.channel_ids.len(), 3, "{:?}", member.channel_ids);
    // The counts /metrics reports, per channel.
    let by = f.store().delivery_counts_by_channel().unwrap();
    let kinds: Vec<_> = by.iter().map(|(k, c)| (*k, c.sent)).collect();
    assert_eq!(
        kinds,
        ChannelKind::ALL.map(|k| (Some(k), 10)).to_vec(),
        "{by:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feishu_send_that_timed_out_is_retried_with_its_uuid_and_arrives_once() {
    let f = four(2).await;
    f.feishu
        .inject(FsEndpoint::SendMessage, Fault::Delay { ms: 1500 }, 1);
    f.store().enqueue_event(&event("e1", 1..=2)).unwrap();
    let r = f
        .worker(Duration::from_millis(500))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.unknown, 0, "{r:?}");
    for i in 1..=2 {
        assert_eq!(f.received(i), [1, 1, 1, 1], "member {i}");
    }
    let sends = f.feishu.calls_to(FsEndpoint::SendMessage);
    assert!(sends.len() >= 3, "the timed-out send was retried");
    let uuid = |c: &feishu_fake::CallRecord| {
        serde_json::from_str::<serde_json::Value>(&c.body).unwrap()["uuid"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = uuid(&sends[0]);
    assert_eq!(
        sends.iter().filter(|c| uuid(c) == first).count(),
        2,
        "the retry carried the same uuid"
    );
    assert_eq!(
        f.row("u1", ChannelKind::Feishu).status,
        DeliveryStatus::Sent
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_on_one_platform_never_read_sent_and_leave_the_others_alone() {
    let f = four(3).await;
    // WeCom: u2 is licensed-less (errcode 0 with unlicenseduser); u3 is not in WeCom at all.
    f.wecom.set_unlicensed("u2");
    f.wecom
        .add_user("u3", "13999999999", "elsewhere@example.com");
    // Feishu: u1 is outside the app's availability (230013).
    // (The fake keeps availability by tenant user_id.)
    let visible: std::collections::BTreeSet<String> = [2, 3].iter().map(|i| login(*i)).collect();
    f.feishu
        .update_app(FEISHU_APP, |a| a.availability = Some(visible));
    // Lark: the saved secret is wrong, so no Lark delivery can go.
    f.lark
        .update_app(LARK_APP, |a| a.app_secret = "rotated".into());
    f.store().enqueue_event(&event("e1", 1..=3)).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    let status = |l: &str, k| f.row(l, k).status;
    let error = |l: &str, k| f.row(l, k).last_error.unwrap_or_default();
    // DingTalk: everyone.
    for i in 1..=3 {
        assert_eq!(
            status(&login(i), ChannelKind::DingTalk),
            DeliveryStatus::Sent
        );
    }
    // WeCom.
    assert_eq!(status("u1", ChannelKind::WeCom), DeliveryStatus::Sent);
    assert_eq!(status("u2", ChannelKind::WeCom), DeliveryStatus::Failed);
    assert_eq!(status("u3", ChannelKind::WeCom), DeliveryStatus::Failed);
    assert!(
        error("u3", ChannelKind::WeCom).contains("found no member"),
        "{}",
        error("u3", ChannelKind::WeCom)
    );
    // Feishu.
    assert_eq!(status("u1", ChannelKind::Feishu), DeliveryStatus::Failed);
    assert!(
        error("u1", ChannelKind::Feishu).contains("230013"),
        "{}",
        error("u1", ChannelKind::Feishu)
    );
    assert_eq!(
        status("u2", ChannelKind::Feishu),
        DeliveryStatus::Sent,
        "{}",
        error("u2", ChannelKind::Feishu)
    );
    // Lark: failed with the platform's code and a fix, never retried blindly.
    for i in 1..=3 {
        assert_eq!(
            status(&login(i), ChannelKind::FeishuLark),
            DeliveryStatus::Failed
        );
    }
    assert!(error("u1", ChannelKind::FeishuLark).contains("Fix:"));
    assert!(!error("u1", ChannelKind::FeishuLark).contains(SECRET));
    assert_eq!(r.sent, 3 + 1 + 2, "{r:?}");
    assert_eq!(f.lark.outbox().len(), 0);
    // The not-found WeCom member is not looked up again for the next event.
    let asked = f.wecom.calls_to(WcEndpoint::GetUserId).len();
    f.store().enqueue_event(&event("e2", [3])).unwrap();
    f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(f.wecom.calls_to(WcEndpoint::GetUserId).len(), asked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feishu_throttling_is_waited_out_without_using_attempts() {
    let f = four(1).await;
    f.feishu
        .inject(FsEndpoint::SendMessage, Fault::RateLimited { reset: 1 }, 1);
    f.store().enqueue_event(&event("e1", [1])).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(r.sent, 4, "{r:?}");
    let row = f.row("u1", ChannelKind::Feishu);
    assert_eq!(row.status, DeliveryStatus::Sent);
    assert_eq!(row.deferrals, 1);
    assert_eq!(f.received(1), [1, 1, 1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_configured_later_gets_only_later_events() {
    let f = four(1).await;
    f.store().delete_channel(ChannelKind::WeCom).unwrap();
    f.store().enqueue_event(&event("e1", [1])).unwrap();
    configure(
        &mut f.store(),
        ChannelKind::WeCom,
        CORP,
        SourceColumn::Phone,
    );
    f.store().enqueue_event(&event("e2", [1])).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(r.sent, 3 + 4);
    assert_eq!(f.received(1), [2, 1, 2, 2]);
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !f() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A `notifydesk worker` process on the test's database, pointed at the four fakes only.
fn spawn_worker(f: &Four) -> std::process::Child {
    let dt = f.dingtalk.base_url();
    std::process::Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args([
            "--db",
            f.db.to_str().unwrap(),
            "worker",
            "--rate-limit",
            "40",
        ])
        .env("NOTIFYDESK_DINGTALK_API", &dt)
        .env("NOTIFYDESK_DINGTALK_OAPI", &dt)
        .env("NOTIFYDESK_WECOM_API", f.wecom.base_url())
        .env("NOTIFYDESK_FEISHU_API", f.feishu.base_url())
        .env("NOTIFYDESK_LARK_API", f.lark.base_url())
        .env_remove("NOTIFYDESK_INGEST_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// How many times each (event title, member) reached WeCom and Feishu.
fn receipts(f: &Four) -> std::collections::HashMap<(String, String, String), usize> {
    let mut seen = std::collections::HashMap::new();
    for m in f.wecom.outbox() {
        let text = m.payload["content"].as_str().unwrap_or_default();
        let event = text
            .split("Change ")
            .nth(1)
            .unwrap_or("?")
            .split(['*', '\n', ' '])
            .next();
        for u in &m.touser {
            *seen
                .entry(("wecom".into(), event.unwrap_or("?").to_string(), u.clone()))
                .or_default() += 1;
        }
    }
    for m in f.feishu.outbox() {
        let event = m.content.to_string();
        let event = event
            .split("Change ")
            .nth(1)
            .unwrap_or("?")
            .split(['"', '*', '\\', ' '])
            .next();
        *seen
            .entry((
                "feishu".into(),
                event.unwrap_or("?").to_string(),
                m.user_id.clone(),
            ))
            .or_default() += 1;
    }
    seen
}

/// A worker killed with SIGKILL while WeCom and Feishu hold a send: on restart the interrupted
/// sends go out again with the same idempotency key (Feishu `uuid`, WeCom's identical body),
/// so every member gets every message exactly once and nothing waits for a person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_send_resends_with_the_same_key_and_delivers_exactly_once() {
    let f = four(20).await;
    let mut store = f.store();
    store.delete_channel(ChannelKind::DingTalk).unwrap();
    store.delete_channel(ChannelKind::FeishuLark).unwrap();
    for e in 1..=3 {
        store
            .enqueue_event(&event(&format!("k{e}"), 1..=20))
            .unwrap();
    }
    drop(store);
    let total = 3 * 20 * 2;
    let mut first = spawn_worker(&f);
    wait_until("the first sends", Duration::from_secs(30), || {
        f.feishu.outbox().len() >= 3 && !f.wecom.outbox().is_empty()
    })
    .await;
    // The next call on each platform hangs: kill the worker while they hold it.
    f.feishu
        .inject(FsEndpoint::SendMessage, Fault::Delay { ms: 3_000 }, 1);
    f.wecom.inject(
        WcEndpoint::MessageSend,
        wecom_fake::Fault::Delay { ms: 3_000 },
        1,
    );
    let calls = (
        f.feishu.calls_to(FsEndpoint::SendMessage).len(),
        f.wecom.calls_to(WcEndpoint::MessageSend).len(),
    );
    wait_until("calls in flight", Duration::from_secs(30), || {
        f.feishu.calls_to(FsEndpoint::SendMessage).len() > calls.0
            && f.wecom.calls_to(WcEndpoint::MessageSend).len() > calls.1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let before = f.feishu.outbox().len() + f.wecom.outbox().len();
    assert!(before < total, "killed too late to test anything");
    // Let the held calls finish on the fakes' side (the messages may have gone out).
    tokio::time::sleep(Duration::from_millis(3_200)).await;

    let mut second = spawn_worker(&f);
    wait_until("the outbox to drain", Duration::from_secs(60), || {
        let c = f.store().delivery_counts().unwrap();
        c.pending + c.sending == 0
    })
    .await;
    unsafe { libc::kill(second.id() as i32, libc::SIGTERM) };
    assert!(second.wait().unwrap().success());

    let c = f.store().delivery_counts().unwrap();
    assert_eq!(
        (c.sent, c.unknown, c.failed),
        (total as u64, 0, 0),
        "every delivery sent, none left for a person"
    );
    let seen = receipts(&f);
    assert_eq!(
        seen.len(),
        total,
        "every (platform, event, member) received: {seen:?}"
    );
    assert!(
        seen.values().all(|n| *n == 1),
        "a member got a message twice: {:?}",
        seen.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
}

/// Only `keep` stays configured.
fn only(f: &Four, keep: ChannelKind) {
    let mut store = f.store();
    for k in ChannelKind::ALL {
        if k != keep {
            store.delete_channel(k).unwrap();
        }
    }
}

fn sql(f: &Four, statement: &str) {
    rusqlite::Connection::open(&f.db)
        .unwrap()
        .execute_batch(statement)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retrying_a_login_that_became_a_member_sends_on_the_channels_configured_now() {
    let f = four(1).await;
    only(&f, ChannelKind::WeCom);
    let mut ev = event("e1", [1]);
    ev.members.push("zz".into());
    f.store().enqueue_event(&ev).unwrap();
    let failed = f
        .rows()
        .into_iter()
        .find(|r| r.login == "zz")
        .expect("a failed row for the unknown login");
    assert_eq!(failed.channel, None);
    // Retrying before the login is a member says what to do.
    let e = f.store().retry_delivery(failed.id, false).unwrap_err();
    assert!(e.to_string().contains("member add"), "{e}");
    f.store()
        .add_member(&NewMember {
            name: "Zed".into(),
            login: "zz".into(),
            phone: phone(9),
            email: None,
        })
        .unwrap();
    f.wecom.add_user("zz", &phone(9), "zz@example.com");
    f.store().retry_delivery(failed.id, false).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    let zz: Vec<DeliveryRow> = f.rows().into_iter().filter(|r| r.login == "zz").collect();
    assert_eq!(zz.len(), 1, "{zz:?}");
    assert_eq!(
        (zz[0].channel, zz[0].status),
        (Some(ChannelKind::WeCom), DeliveryStatus::Sent)
    );
    assert!(f.wecom.outbox().iter().any(|m| m.touser == ["zz"]));
    assert_eq!(f.dingtalk.outbox().len(), 0, "DingTalk is not configured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_wecom_userid_that_wecom_no_longer_takes_is_looked_up_again() {
    let f = four(1).await;
    only(&f, ChannelKind::WeCom);
    f.store().enqueue_event(&event("e1", [1])).unwrap();
    f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    // The WeCom admin re-creates the member under a new account.
    f.wecom.add_member(wecom_fake::FakeMember {
        userid: "u1".into(),
        mobile: "10000000000".into(),
        email: String::new(),
        biz_mail: String::new(),
        active: false,
    });
    f.wecom.add_user("u1-new", &phone(1), &email(1));
    f.store().enqueue_event(&event("e2", [1])).unwrap();
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    assert!(f.wecom.outbox().iter().any(|m| m.touser == ["u1-new"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_pacing_per_member_holds_across_workers() {
    let f = four(1).await;
    only(&f, ChannelKind::WeCom);
    for e in 0..30 {
        f.store()
            .enqueue_event(&event(&format!("p{e}"), [1]))
            .unwrap();
    }
    let r = f
        .worker(Duration::from_secs(5))
        .drain_ready()
        .await
        .unwrap();
    assert_eq!(r.sent, 30);
    // A new process (a cron `deliver`) within the same minute: the 31st waits.
    f.store().enqueue_event(&event("p30", [1])).unwrap();
    let r = f
        .worker(Duration::from_secs(5))
        .drain_ready()
        .await
        .unwrap();
    assert_eq!(r.sent, 0, "{r:?}");
    assert_eq!(f.wecom.outbox().len(), 30);
    assert!(f.wecom.dropped().is_empty(), "WeCom would have dropped it");
    let row = f.rows().into_iter().find(|r| r.event_id == "p30").unwrap();
    assert_eq!(row.status, DeliveryStatus::Pending);
    assert_eq!(row.error_code.as_deref(), Some("receiver_rate"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maybe_delivered_feishu_send_past_the_uuid_window_is_not_resent() {
    let f = four(1).await;
    only(&f, ChannelKind::Feishu);
    f.store().enqueue_event(&event("e1", [1])).unwrap();
    // As if the first attempt timed out more than an hour ago.
    sql(
        &f,
        "UPDATE delivery SET error_code = 'maybe-delivered:timeout', attempts = 1,
            created_at = created_at - 4000 WHERE channel = 'feishu'",
    );
    let r = f.worker(Duration::from_secs(5)).drain_once().await.unwrap();
    assert_eq!((r.sent, r.unknown), (0, 1), "{r:?}");
    assert_eq!(f.feishu.outbox().len(), 0);
    let row = f.row("u1", ChannelKind::Feishu);
    assert_eq!(row.status, DeliveryStatus::Unknown);
    assert!(row.last_error.unwrap().contains("--force"));
}
