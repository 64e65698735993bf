//! Delivery promises that an independent trial broke once: a throttled batch comes back as
//! one call, DingTalk's waits are honoured, flow control defers instead of failing, cards go
//! out exactly once, ambiguous answers are never resent on their own, and events are bounded.

mod common;

use std::time::Duration;

use dingtalk_fake::{FakeApp, FakeEndpoint, Fault, SCOPE_SEND};
use notifydesk::delivery::{RESEND_AMBIGUOUS, WorkerOptions};
use notifydesk::dingtalk::{Client, ClientOptions, Endpoints};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::{DeliveryFilter, DeliveryStatus, NewEvent, StoreError};
use secrecy::SecretString;

use common::outbox::{KEY, SECRET, Setup, event, fast, now_ms, phone, setup};

/// When the first delivery of this event is tried next, in ms from now.
fn next_try_in(s: &Setup, event_id: &str) -> i64 {
    let row = s
        .rows()
        .into_iter()
        .find(|r| r.event_id == event_id)
        .unwrap();
    row.next_attempt_at - now_ms()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_batch_comes_back_as_one_call() {
    // Six runs: per-receiver jitter split the batch in 5 of 6 runs before.
    for run in 0..6 {
        let s = setup(2).await;
        s.store().enqueue_event(&event("e", [1, 2])).unwrap();
        s.fake
            .inject(FakeEndpoint::BatchSend, Fault::SystemBusy429, 1);
        let r = s
            .worker(fast(), Duration::from_secs(5))
            .drain_once()
            .await
            .unwrap();
        assert_eq!(r.sent, 2, "run {run}: {r:?}");
        let calls = s.fake.calls_to(FakeEndpoint::BatchSend);
        assert_eq!(
            calls.len(),
            2,
            "run {run}: the throttled call, then one retry"
        );
        let ids = calls[1].json_body().unwrap()["userIds"].clone();
        assert_eq!(ids, serde_json::json!(["user1", "user2"]), "run {run}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_ban_holds_every_call_for_five_minutes() {
    let s = setup(2).await;
    s.store().enqueue_event(&event("a", [1])).unwrap();
    s.store().enqueue_event(&event("b", [2])).unwrap();
    s.fake.inject(FakeEndpoint::GetByMobile, Fault::IpBan, 1);
    let mut w = s.worker(fast(), Duration::from_secs(5));
    let r = w.drain_ready().await.unwrap();
    assert_eq!((r.sent, r.failed), (0, 0), "{r:?}");
    // One call hit the ban; the second event was not even tried.
    assert_eq!(s.fake.calls_to(FakeEndpoint::GetByMobile).len(), 1);
    let rows = s.rows();
    let banned = rows.iter().find(|r| r.event_id == "a").unwrap();
    assert_eq!(
        (banned.attempts, banned.deferrals),
        (0, 1),
        "not a failed attempt"
    );
    let wait = next_try_in(&s, "a");
    assert!(wait >= 4 * 60 * 1000 + 59_000, "{wait}");
    // Still held: another round calls nothing, even for work that is due.
    s.store().enqueue_event(&event("c", [1])).unwrap();
    let r = w.drain_ready().await.unwrap();
    assert_eq!(r.calls, 0);
    assert_eq!(s.fake.calls().len(), 2, "token + the banned lookup only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_controlled_receivers_are_deferred_for_minutes_not_failed() {
    let s = setup(2).await;
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake.force_flow_controlled("user2");
    let opts = WorkerOptions {
        max_attempts: 2,
        ..fast()
    };
    let r = s
        .worker(opts.clone(), Duration::from_secs(5))
        .drain_ready()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed, r.deferred), (1, 0, 1), "{r:?}");
    let u2 = s.rows().into_iter().find(|r| r.login == "u2").unwrap();
    assert_eq!(u2.status, DeliveryStatus::Pending);
    assert_eq!((u2.attempts, u2.deferrals), (0, 1));
    assert_eq!(u2.error_code.as_deref(), Some("flowControlledStaffIdList"));
    // Minutes, not seconds (5 min ± jitter by default).
    let wait = next_try_in(&s, "e");
    assert!(wait >= 3 * 60 * 1000, "{wait}");
    // Skipped again when due: the wait doubles (10 min ± 25%).
    let db = rusqlite::Connection::open(&s.db).unwrap();
    db.execute(
        "UPDATE delivery SET next_attempt_at = 0 WHERE login = 'u2'",
        [],
    )
    .unwrap();
    s.worker(opts.clone(), Duration::from_secs(5))
        .drain_ready()
        .await
        .unwrap();
    let wait = next_try_in(&s, "e");
    assert!(wait >= 7 * 60 * 1000, "{wait}");

    // Deferred again and again (short delays here): never a permanent failure, whatever
    // max_attempts says, while the delivery is younger than the give-up age.
    let s = setup(2).await;
    s.store().enqueue_event(&event("e", [2])).unwrap();
    s.fake.force_flow_controlled("user2");
    let opts = WorkerOptions {
        flow_control_delay: Duration::from_millis(1),
        backoff_base: Duration::from_millis(1),
        backoff_cap: Duration::from_millis(5),
        ..opts
    };
    let mut w = s.worker(opts, Duration::from_secs(5));
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(30)).await;
        w.drain_ready().await.unwrap();
    }
    let u2 = s.rows().into_iter().find(|r| r.login == "u2").unwrap();
    assert_eq!(u2.status, DeliveryStatus::Pending, "{u2:?}");
    assert!(u2.deferrals >= 5, "{u2:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_answers_are_not_resent_unless_the_user_prefers_duplicates() {
    for (fault, code) in [
        (Fault::HtmlPage, "html-page"),
        (Fault::SystemError500, "system.error"),
        (
            Fault::NewApiError {
                status: 502,
                code: String::new(),
                message: String::new(),
            },
            "HTTP 502",
        ),
    ] {
        let s = setup(2).await;
        s.store().enqueue_event(&event("e", [1, 2])).unwrap();
        s.fake.inject(FakeEndpoint::BatchSend, fault.clone(), 1);
        let r = s
            .worker(fast(), Duration::from_secs(5))
            .drain_once()
            .await
            .unwrap();
        assert_eq!((r.sent, r.unknown), (0, 2), "{fault:?}: {r:?}");
        assert_eq!(s.sends(), 1, "{fault:?}: not resent");
        let rows = s.rows();
        assert!(
            rows.iter().all(|r| r.status == DeliveryStatus::Unknown
                && r.error_code.as_deref() == Some(code)
                && r.last_error
                    .as_deref()
                    .unwrap()
                    .contains("may have been delivered")),
            "{fault:?}: {rows:?}"
        );
    }
    // The documented opt-in: a possible duplicate rather than a possible gap.
    let s = setup(1).await;
    s.store().set_setting(RESEND_AMBIGUOUS, "on").unwrap();
    s.store().enqueue_event(&event("e", [1])).unwrap();
    s.fake.inject(FakeEndpoint::BatchSend, Fault::HtmlPage, 1);
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.unknown), (1, 0), "{r:?}");
    assert_eq!(s.sends(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_that_prove_nothing_was_sent_are_retried() {
    for fault in [
        Fault::ServiceUnavailableEmpty,
        Fault::SystemBusy429,
        Fault::QpsLimitForAppkeyAndApi,
        Fault::SendTooFast,
        Fault::NewApiError {
            status: 500,
            code: "system.busy".into(),
            message: "busy".into(),
        },
    ] {
        let s = setup(1).await;
        s.store().enqueue_event(&event("e", [1])).unwrap();
        s.fake.inject(FakeEndpoint::BatchSend, fault.clone(), 1);
        let r = s
            .worker(fast(), Duration::from_secs(5))
            .drain_once()
            .await
            .unwrap();
        assert_eq!((r.sent, r.unknown, r.failed), (1, 0, 0), "{fault:?}: {r:?}");
        assert_eq!(s.sends(), 2, "{fault:?}");
        assert_eq!(s.fake.outbox().len(), 1, "{fault:?}");
    }
}

/// A set-up whose app has the card template `tpl.approval` and whose channel uses it.
async fn card_setup(members: usize) -> Setup {
    let s = setup(members).await;
    s.fake
        .add_app(FakeApp::new(KEY, SECRET).with_card_template("tpl.approval"));
    with_template(&s, "tpl.approval");
    s
}

/// The channel with a Template ID: deliveries are interactive cards.
fn with_template(s: &Setup, template: &str) {
    s.store()
        .save_dingtalk(&DingTalkConfig {
            app_key: KEY.into(),
            app_secret: SecretString::from(SECRET),
            template_id: Some(template.into()),
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse(&phone(1)).unwrap()),
        })
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_template_id_deliveries_are_the_card_the_test_sent() {
    let s = setup(3).await;
    // The app can send cards but has no robot-message permission: the test passed before
    // while every delivery failed with 403.
    s.fake.add_app(
        FakeApp::new(KEY, SECRET)
            .without_scope(SCOPE_SEND)
            .with_card_template("tpl.approval"),
    );
    with_template(&s, "tpl.approval");
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 3, "{r:?}");
    assert_eq!(s.sends(), 0, "no robot markdown message");
    let cards = s.fake.outbox();
    assert_eq!(cards.len(), 3);
    let params = cards[0].card_params.clone().unwrap();
    assert!(params["title"].contains("Change e"), "{params:?}");
    assert_eq!(params["text"], "Please review.");
    assert_eq!(params["link"], "https://console.example/task/1");
    assert_eq!(
        (params["type"].as_str(), params["node"].as_str()),
        ("SQL Task", "To be approved")
    );
    assert!(!params["time"].is_empty());
    let ids: std::collections::HashSet<_> = cards
        .iter()
        .map(|c| c.out_track_id.clone().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "one outTrackId per delivery");
}

/// A card one receiver cannot get fails that receiver only; the others still get theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_one_receiver_cannot_get_fails_only_that_receiver() {
    let s = card_setup(3).await;
    // deliverResults says success=false for user1: outside the app's visibility.
    s.fake.force_invalid("user1");
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 1), "{r:?}");
    assert_eq!(s.fake.calls_to(FakeEndpoint::CardDeliver).len(), 3);
    assert_eq!(r.calls, 3 + 3, "3 lookups and 3 cards: {r:?}");
    let failed: Vec<String> = s
        .rows()
        .into_iter()
        .filter(|r| r.status == DeliveryStatus::Failed)
        .map(|r| r.login)
        .collect();
    assert_eq!(failed, ["u1"]);
}

/// A card the app may not send (a missing permission) fails the whole batch after one call:
/// the other receivers' cards would fail the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_the_app_may_not_send_fails_the_batch_after_one_call() {
    let s = card_setup(3).await;
    s.fake.inject(
        FakeEndpoint::CardDeliver,
        Fault::AccessTokenPermissionDenied {
            scope: "qyapi_chat_manage".into(),
        },
        1,
    );
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (0, 3), "{r:?}");
    assert_eq!(s.fake.calls_to(FakeEndpoint::CardDeliver).len(), 1);
    assert!(s.fake.outbox().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_retry_reuses_its_out_track_id_so_it_arrives_once() {
    let s = card_setup(1).await;
    s.store().enqueue_event(&event("e", [1])).unwrap();
    // DingTalk creates the card but the answer comes too late: a timeout.
    s.fake
        .inject(FakeEndpoint::CardDeliver, Fault::Delay { ms: 1_500 }, 1);
    let r = s
        .worker(fast(), Duration::from_millis(400))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let calls = s.fake.calls_to(FakeEndpoint::CardDeliver);
    assert_eq!(calls.len(), 2, "retried");
    let track = |i: usize| calls[i].json_body().unwrap()["outTrackId"].clone();
    assert_eq!(track(0), track(1), "same idempotency key");
    assert_eq!(s.fake.outbox().len(), 1, "delivered once");
}

/// Each event limit is exact: at the limit is accepted, one more is refused naming the field.
#[test]
fn every_event_limit_is_exact() {
    use notifydesk::store::{
        MAX_EVENT_ID_BYTES, MAX_EVENT_MEMBERS, MAX_LINK_BYTES, MAX_LOGIN_BYTES, MAX_TEXT_BYTES,
        MAX_TITLE_BYTES,
    };
    type Set = fn(&mut NewEvent, usize);
    let limits: [(&str, usize, Set); 6] = [
        ("id", MAX_EVENT_ID_BYTES, |e, n| e.event_id = "i".repeat(n)),
        ("title", MAX_TITLE_BYTES, |e, n| e.title = "t".repeat(n)),
        ("text", MAX_TEXT_BYTES, |e, n| e.text = "x".repeat(n)),
        ("link", MAX_LINK_BYTES, |e, n| e.link = Some("l".repeat(n))),
        ("members", MAX_EVENT_MEMBERS, |e, n| {
            e.members = (0..n).map(|i| format!("u{i}")).collect()
        }),
        ("member login", MAX_LOGIN_BYTES, |e, n| {
            e.members = vec!["m".repeat(n)]
        }),
    ];
    for (what, max, set) in limits {
        let mut at = event("e", [1]);
        set(&mut at, max);
        assert_eq!(at.problem(), None, "{what} at the limit");
        let mut over = event("e", [1]);
        set(&mut over, max + 1);
        let problem = over.problem().unwrap_or_default();
        assert!(
            problem.contains(what) && problem.contains(&format!("{}", max + 1)),
            "{what}: {problem:?}"
        );
    }
}

#[test]
fn event_text_may_break_lines_but_carries_no_escapes() {
    let text = |t: &str| NewEvent {
        text: t.into(),
        ..event("e", [1])
    };
    assert_eq!(text("line one\r\nline two\tcolumn").problem(), None);
    let refused = text("bold \u{1b}[1m").problem().unwrap_or_default();
    assert!(
        refused.contains("text contains control characters"),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_search_matches_text_and_a_blank_search_matches_everything() {
    let s = setup(3).await;
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let page = |text: &str| {
        let f = DeliveryFilter {
            status: None,
            text: Some(text.into()),
            ..DeliveryFilter::default()
        };
        let rows = s.store().delivery_page(&f, None, 10).unwrap();
        let mut logins: Vec<String> = rows.into_iter().map(|r| r.login).collect();
        logins.sort();
        logins
    };
    assert_eq!(page("U2"), ["u2"], "case-insensitive, by login");
    assert_eq!(page("  "), ["u1", "u2", "u3"]);
    assert!(page("no such text").is_empty());
}

/// A login named twice (in any case) or left blank gives no second or empty delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_receiver_gets_one_delivery_however_often_it_is_named() {
    let s = setup(2).await;
    let mut ev = event("e", [1, 2]);
    ev.members.extend(["U1".into(), " ".into(), "u2 ".into()]);
    s.store().enqueue_event(&ev).unwrap();
    let mut logins: Vec<String> = s.rows().into_iter().map(|r| r.login).collect();
    logins.sort();
    assert_eq!(logins, ["u1", "u2"]);
}

/// Throttled deliveries are deferred, but one deferred for longer than
/// `give_up_deferred_after` fails instead, saying why; a younger one is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_deferred_too_long_fails_and_a_young_one_is_kept() {
    let s = setup(2).await;
    s.store().enqueue_event(&event("old", [1])).unwrap();
    s.store().enqueue_event(&event("young", [2])).unwrap();
    // The "old" delivery was created a minute ago.
    let db = rusqlite::Connection::open(&s.db).unwrap();
    db.execute(
        "UPDATE delivery SET created_at = created_at - 60
         WHERE event_ref = (SELECT id FROM event WHERE event_id = 'old')",
        [],
    )
    .unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::SystemBusy429, 2);
    let opts = WorkerOptions {
        give_up_deferred_after: Duration::from_secs(30),
        ..fast()
    };
    let mut w = s.worker(opts, Duration::from_secs(5));
    w.drain_once().await.unwrap();
    let rows = s.rows();
    let row = |id: &str| rows.iter().find(|r| r.event_id == id).unwrap();
    assert_eq!(row("old").status, DeliveryStatus::Failed, "{rows:?}");
    let why = row("old").last_error.clone().unwrap_or_default();
    assert!(why.starts_with("gave up after deferring"), "{why}");
    assert_ne!(row("young").status, DeliveryStatus::Failed, "{rows:?}");
}

/// Throttled again when due: the backoff doubles with each deferral (10 s, then 20 s ± 25%).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_throttling_of_a_delivery_doubles_its_wait() {
    let s = setup(1).await;
    s.store().enqueue_event(&event("e", [1])).unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::SystemBusy429, 2);
    let opts = WorkerOptions {
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(600),
        ..fast()
    };
    let mut w = s.worker(opts, Duration::from_secs(5));
    w.drain_ready().await.unwrap();
    let first = next_try_in(&s, "e");
    assert!((7_000..=13_000).contains(&first), "{first}");
    let db = rusqlite::Connection::open(&s.db).unwrap();
    db.execute("UPDATE delivery SET next_attempt_at = 0", [])
        .unwrap();
    w.drain_ready().await.unwrap();
    let second = next_try_in(&s, "e");
    assert!((14_000..=26_000).contains(&second), "{second}");
}

/// The log pages newest first with a filter and a cursor, and counts what the filter finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_pages_and_counts_with_a_filter() {
    let s = setup(3).await;
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let st = s.store();
    let pending = DeliveryFilter {
        status: Some(DeliveryStatus::Pending),
        text: None,
        ..DeliveryFilter::default()
    };
    let first = st.delivery_page(&pending, None, 2).unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0].id > first[1].id, "newest first");
    let rest = st.delivery_page(&pending, Some(first[1].id), 2).unwrap();
    assert_eq!(rest.len(), 1);
    assert!(rest[0].id < first[1].id);
    let all = DeliveryFilter::default();
    assert_eq!(
        st.delivery_page(&all, Some(first[1].id), 5).unwrap().len(),
        1
    );
    assert_eq!(st.delivery_count(&all).unwrap(), 3);
    assert_eq!(st.delivery_count(&pending).unwrap(), 3);
    let sent = DeliveryFilter {
        status: Some(DeliveryStatus::Sent),
        text: None,
        ..DeliveryFilter::default()
    };
    assert_eq!(st.delivery_count(&sent).unwrap(), 0);
    let c = st.delivery_counts().unwrap();
    assert_eq!((c.pending, c.sent, c.failed), (3, 0, 0), "{c:?}");
    s.worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    let c = s.store().delivery_counts().unwrap();
    assert_eq!((c.pending, c.sending, c.sent), (0, 0, 3), "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopping_worker_gives_its_claims_back_at_once() {
    let s = setup(2).await;
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    let mut st = s.store();
    let (now, far) = (now_ms(), now_ms() + 3_600_000);
    assert!(
        st.claim_batch("elsewhere/1/a", now, far, 20)
            .unwrap()
            .is_some()
    );
    assert!(
        st.claim_batch("elsewhere/1/b", now, far, 20)
            .unwrap()
            .is_none()
    );
    st.release_claims("elsewhere/1/a").unwrap();
    let taken = st.claim_batch("elsewhere/1/b", now, far, 20).unwrap();
    assert_eq!(taken.map(|b| b.recipients.len()), Some(2));
    // Retrying a delivery that does not exist says so.
    let e = st.retry_delivery(9_999, false).unwrap_err();
    assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");
}

#[test]
fn a_status_reads_as_its_code_except_may_have_been_delivered() {
    for st in DeliveryStatus::ALL {
        let want = match st {
            DeliveryStatus::Unknown => "may have been delivered",
            other => other.code(),
        };
        assert_eq!(st.label(), want);
    }
    let codes: Vec<&str> = DeliveryStatus::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(
        codes,
        ["pending", "sending", "sent", "failed", "skipped", "unknown"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_unsafe_events_are_refused_before_anything_is_stored() {
    let s = setup(1).await;
    let mut st = s.store();
    let cases: Vec<(NewEvent, &str)> = vec![
        (
            NewEvent {
                title: "t".repeat(1025),
                ..event("big-title", [1])
            },
            "title is 1025 bytes; the limit is 1024",
        ),
        (
            NewEvent {
                text: "x".repeat(64 * 1024 + 1),
                ..event("big-text", [1])
            },
            "text is 65537 bytes; the limit is 65536",
        ),
        (
            event("id\u{1b}]2;PWNED\u{7}", [1]),
            "id contains control characters",
        ),
        (
            NewEvent {
                members: vec!["x\u{1b}]2;PWNED\u{7}".into()],
                ..event("login", [])
            },
            "member login contains control characters",
        ),
        (event("bidi\u{202e}", [1]), "id contains control characters"),
    ];
    for (ev, want) in cases {
        match st.enqueue_event(&ev) {
            Err(StoreError::Invalid { what }) => assert!(what.contains(want), "{what}"),
            other => panic!("{want}: {other:?}"),
        }
    }
    // Exactly at the limits is fine, and nothing of the refused ones was stored.
    let ok = NewEvent {
        title: "t".repeat(1024),
        text: "x".repeat(64 * 1024),
        ..event("at-limit", [1])
    };
    st.enqueue_event(&ok).unwrap();
    assert_eq!(s.rows().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured_in_seconds_and_as_an_http_date() {
    let in_10s = (chrono::Utc::now() + chrono::Duration::seconds(10))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    for (fault, floor_ms) in [
        (
            Fault::TooManyRequests {
                retry_after: Some("7".into()),
            },
            6_900,
        ),
        (
            Fault::Unavailable {
                retry_after: Some("30".into()),
            },
            29_900,
        ),
        (
            Fault::TooManyRequests {
                retry_after: Some(in_10s),
            },
            8_000,
        ),
    ] {
        let s = setup(1).await;
        s.store().enqueue_event(&event("e", [1])).unwrap();
        s.fake.inject(FakeEndpoint::BatchSend, fault.clone(), 1);
        let r = s
            .worker(fast(), Duration::from_secs(5))
            .drain_ready()
            .await
            .unwrap();
        assert_eq!((r.sent, r.deferred), (0, 1), "{fault:?}: {r:?}");
        let wait = next_try_in(&s, "e");
        assert!(wait >= floor_ms, "{fault:?}: retried after {wait} ms");
        // Not capped by our own 60 s backoff cap either way, and not sooner than asked.
        assert_eq!(s.sends(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_codes_defer_instead_of_failing() {
    for code in ["Throttling", "Throttling.User", "Throttling.Api"] {
        let s = setup(1).await;
        s.store().enqueue_event(&event("e", [1])).unwrap();
        s.fake.inject(
            FakeEndpoint::BatchSend,
            Fault::Throttling { code: code.into() },
            1,
        );
        let r = s
            .worker(fast(), Duration::from_secs(5))
            .drain_once()
            .await
            .unwrap();
        assert_eq!((r.sent, r.failed), (1, 0), "{code}: {r:?}");
        let row = &s.rows()[0];
        assert_eq!((row.attempts, row.deferrals), (1, 1), "{code}: {row:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_receiver_is_a_failure_never_sent() {
    let s = setup(2).await;
    s.fake.force_filtered("user2");
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    let u2 = s.rows().into_iter().find(|r| r.login == "u2").unwrap();
    assert_eq!(u2.status, DeliveryStatus::Failed);
    assert_eq!(u2.error_code.as_deref(), Some("filteredStaffIdList"));
    assert!(u2.last_error.unwrap().contains("not delivered"));
    assert!(u2.process_query_key.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_cached_userid_is_looked_up_again_and_the_batch_still_goes() {
    let s = setup(2).await;
    s.store().enqueue_event(&event("warm", [1, 2])).unwrap();
    s.worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    let lookups = s.fake.calls_to(FakeEndpoint::GetByMobile).len();
    let sends = s.sends();
    // DingTalk re-created user1's account: the cached userid no longer exists.
    s.fake.rename_user("user1", "user1b");
    s.fake.force_stale("user1");
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 0), "{r:?}");
    assert_eq!(
        s.sends(),
        sends + 2,
        "the refused call, then one call to both"
    );
    assert_eq!(
        s.fake.calls_to(FakeEndpoint::GetByMobile).len(),
        lookups + 2,
        "both cached userids of the batch looked up again, once"
    );
    let m = s.store().member_by_login("u1").unwrap().unwrap();
    assert_eq!(m.dingtalk_userid.as_deref(), Some("user1b"));
}

/// A userid looked up moments ago and still "not existing" is not looked up again (that
/// would loop): the batch is split, so only that receiver fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_userid_refused_as_stale_is_not_looked_up_again() {
    let s = setup(2).await;
    s.fake.force_stale("user1");
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    let mut w = s.worker(fast(), Duration::from_secs(5));
    let r = tokio::time::timeout(Duration::from_secs(20), w.drain_once())
        .await
        .expect("the worker kept looking the receivers up")
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    assert_eq!(s.sends(), 3, "the refused batch, then each receiver alone");
    assert_eq!(s.fake.calls_to(FakeEndpoint::GetByMobile).len(), 2);
}

/// A card refused for a cached userid looks the member up again and still arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_for_a_stale_cached_userid_looks_the_member_up_again() {
    let s = card_setup(1).await;
    s.store().enqueue_event(&event("warm", [1])).unwrap();
    s.worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    let lookups = s.fake.calls_to(FakeEndpoint::GetByMobile).len();
    s.fake.rename_user("user1", "user1b");
    s.fake.inject(
        FakeEndpoint::CardDeliver,
        Fault::NewApiError {
            status: 400,
            code: "staffId.notExisted".into(),
            message: "员工不存在".into(),
        },
        1,
    );
    s.store().enqueue_event(&event("e", [1])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 0), "{r:?}");
    assert_eq!(
        s.fake.calls_to(FakeEndpoint::GetByMobile).len(),
        lookups + 1
    );
    let m = s.store().member_by_login("u1").unwrap().unwrap();
    assert_eq!(m.dingtalk_userid.as_deref(), Some("user1b"));
}

/// The same for a card: a fresh userid DingTalk does not know fails that receiver only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_for_a_fresh_unknown_userid_fails_without_looking_up_again() {
    let s = card_setup(2).await;
    s.fake.inject(
        FakeEndpoint::CardDeliver,
        Fault::NewApiError {
            status: 400,
            code: "staffId.notExisted".into(),
            message: "员工不存在".into(),
        },
        1,
    );
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    let mut w = s.worker(fast(), Duration::from_secs(5));
    let r = tokio::time::timeout(Duration::from_secs(20), w.drain_once())
        .await
        .expect("the worker kept looking the receiver up")
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 1), "{r:?}");
    assert_eq!(s.fake.calls_to(FakeEndpoint::GetByMobile).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_robot_conversation_fails_only_that_receiver() {
    let s = setup(3).await;
    s.fake.force_no_conversation("user2");
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 1), "{r:?}");
    let u2 = s.rows().into_iter().find(|r| r.login == "u2").unwrap();
    let e = u2.last_error.unwrap();
    assert_eq!(u2.error_code.as_deref(), Some("robot.oto.notExist"));
    assert!(!e.contains("not enabled"), "{e}");
    let delivered: usize = s.fake.outbox().iter().map(|m| m.user_ids.len()).sum();
    assert_eq!(delivered, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dingtalks_request_id_is_kept_with_the_failure() {
    let s = setup(1).await;
    s.fake.update_app(KEY, |a| {
        a.scopes.remove(SCOPE_SEND);
    });
    s.store().enqueue_event(&event("e", [1])).unwrap();
    s.worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    let row = &s.rows()[0];
    let id = row.request_id.clone().expect("request id stored");
    assert!(!id.is_empty());
    assert!(row.last_error.as_deref().unwrap().contains(&id), "{row:?}");
    let json = serde_json::to_value(row).unwrap();
    assert_eq!(json["request_id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_message_sending_sends_what_deliveries_send() {
    use notifydesk::delivery::{Language, send_test_message};
    use notifydesk::dingtalk::TestMessageKind;
    let s = setup(1).await;
    s.fake.add_app(
        FakeApp::new(KEY, SECRET)
            .without_scope(SCOPE_SEND)
            .with_card_template("tpl.approval"),
    );
    let client = Client::new(
        Endpoints::single(&s.fake.base_url()).unwrap(),
        ClientOptions::default(),
    )
    .unwrap();
    let mut config = s.store().load_dingtalk().unwrap().unwrap();
    let mobile = Mobile::parse(&phone(1)).unwrap();
    // Without a Template ID both the test and deliveries use the robot message, which this
    // app may not send: the test must fail, as deliveries would.
    let e = send_test_message(&client, &config, &mobile, Language::En)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("qyapi_robot_sendmsg"), "{e}");
    // With one, both send the card, with the same variables.
    config.template_id = Some("tpl.approval".into());
    let report = send_test_message(&client, &config, &mobile, Language::En)
        .await
        .unwrap();
    assert_eq!(
        report.kind,
        TestMessageKind::Card {
            template_id: "tpl.approval".into()
        }
    );
    with_template(&s, "tpl.approval");
    s.store().enqueue_event(&event("e", [1])).unwrap();
    s.worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    let cards = s.fake.outbox();
    assert_eq!(cards.len(), 2);
    let keys = |i: usize| {
        cards[i]
            .card_params
            .clone()
            .unwrap()
            .into_keys()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(0),
        keys(1),
        "the test fills the variables deliveries fill"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_keeps_timing_out_ends_may_have_been_delivered_not_failed() {
    let s = card_setup(1).await;
    s.store().enqueue_event(&event("e", [1])).unwrap();
    s.fake
        .inject(FakeEndpoint::CardDeliver, Fault::Delay { ms: 1_000 }, 5);
    let opts = WorkerOptions {
        max_attempts: 2,
        ..fast()
    };
    let r = s
        .worker(opts, Duration::from_millis(300))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.failed, r.unknown), (0, 1), "{r:?}");
    let row = &s.rows()[0];
    assert_eq!(row.status, DeliveryStatus::Unknown, "{row:?}");
    // Every call carried the same outTrackId: at most one card can exist.
    let calls = s.fake.calls_to(FakeEndpoint::CardDeliver);
    assert_eq!(calls.len(), 2, "max_attempts");
    let track = |i: usize| calls[i].json_body().unwrap()["outTrackId"].clone();
    assert_eq!(track(0), track(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_dingtalk_already_created_is_sent_not_failed() {
    let s = card_setup(2).await;
    s.store().enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake.inject(
        FakeEndpoint::CardDeliver,
        Fault::NewApiError {
            status: 400,
            code: "param.cardAlreadyExist".into(),
            message: "卡片已存在".into(),
        },
        1,
    );
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 0), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_userid_stale_even_when_fresh_fails_alone_not_the_batch() {
    let s = setup(3).await;
    // DingTalk's lookup still answers user2, but sending to it says it does not exist.
    s.fake.force_stale("user2");
    s.store().enqueue_event(&event("e", [1, 2, 3])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (2, 1), "{r:?}");
    let u2 = s.rows().into_iter().find(|r| r.login == "u2").unwrap();
    assert_eq!(u2.status, DeliveryStatus::Failed);
    let delivered: usize = s.fake.outbox().iter().map(|m| m.user_ids.len()).sum();
    assert_eq!(delivered, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_retried_by_hand_after_a_failure_is_a_new_card() {
    let s = card_setup(1).await;
    // Outside the app's visibility scope: DingTalk creates the card but cannot deliver it.
    s.fake.add_user_with(&phone(1), "user1", true, false);
    s.store().enqueue_event(&event("e", [1])).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.failed, 1, "{r:?}");
    // The admin fixes the scope; a retry by hand must deliver a card, not find the old one.
    s.fake.add_user_with(&phone(1), "user1", true, true);
    let id = s.rows()[0].id;
    s.store().retry_delivery(id, false).unwrap();
    let r = s
        .worker(fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(s.fake.outbox().len(), 1, "delivered now");
    let calls = s.fake.calls_to(FakeEndpoint::CardDeliver);
    let track = |i: usize| calls[i].json_body().unwrap()["outTrackId"].clone();
    assert_ne!(track(0), track(1));
}
