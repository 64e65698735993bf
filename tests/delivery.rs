//! Delivery against the fake DingTalk server: batching, pacing, retries, permanent failures,
//! token expiry, idempotency, invalid receivers, ambiguous sends and crash recovery.

mod common;

use std::time::{Duration, Instant};

use dingtalk_fake::{FakeEndpoint, Fault};
use notifydesk::delivery::{Clock, Worker, WorkerOptions};
use notifydesk::domain::member::NewMember;
use notifydesk::store::{DeliveryFilter, DeliveryStatus, EnqueueOutcome, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use common::outbox::{KEY, Setup, event, fast, now_ms, setup};

fn worker(s: &Setup, opts: WorkerOptions, timeout: Duration) -> Worker {
    s.worker(opts, timeout)
}

fn store(s: &Setup) -> Store {
    s.store()
}

fn status_of(s: &Setup, st: DeliveryStatus) -> usize {
    store(s)
        .delivery_page(
            &DeliveryFilter {
                status: Some(st),
                text: None,
                ..DeliveryFilter::default()
            },
            None,
            10_000,
        )
        .unwrap()
        .len()
}

/// The number of userIds in each batchSend call, in call order.
fn batch_sizes(s: &Setup) -> Vec<usize> {
    s.fake
        .calls_to(FakeEndpoint::BatchSend)
        .iter()
        .map(|c| c.json_body().unwrap()["userIds"].as_array().unwrap().len())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_one_recipients_go_as_twenty_then_one() {
    let s = setup(21).await;
    store(&s).enqueue_event(&event("e1", 1..=21)).unwrap();
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 21);
    assert_eq!(batch_sizes(&s), vec![20, 1]);
}

/// While the worker looks receivers up, its claim holds: another worker (here on another
/// host, whose liveness cannot be checked) gets nothing until the lease has run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_holds_while_the_lookup_is_in_flight() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake
        .inject(FakeEndpoint::GetByMobile, Fault::Delay { ms: 1_000 }, 1);
    let mut w = worker(&s, fast(), Duration::from_secs(30));
    let drain = tokio::spawn(async move { w.drain_once().await });
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.fake.calls_to(FakeEndpoint::GetByMobile).is_empty() {
        assert!(Instant::now() < deadline, "no lookup was made");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!drain.is_finished(), "the answer came before the check");
    // The default lease is 60 s.
    let (now, until) = (now_ms() + 55_000, now_ms() + 120_000);
    let other = store(&s)
        .claim_batch("elsewhere/1/x", now, until, 20)
        .unwrap();
    assert!(other.is_none(), "{other:?}");
    let until = leases_until(&s);
    assert!(until.iter().all(|u| *u <= now_ms() + 60_000), "{until:?}");
    let r = drain.await.unwrap().unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
}

/// Each delivery's lease expiry (Unix ms), read straight from the database.
fn leases_until(s: &Setup) -> Vec<i64> {
    let db = rusqlite::Connection::open(&s.db).unwrap();
    let mut stmt = db.prepare("SELECT lease_until FROM delivery").unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

/// The claim is renewed before each lookup, so slow lookups never let it lapse: with a 2 s
/// lease and 3 s lookups, another worker still gets nothing during the second lookup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_claim_is_renewed_before_each_lookup() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake
        .inject(FakeEndpoint::GetByMobile, Fault::Delay { ms: 3_000 }, 2);
    let opts = WorkerOptions {
        lease: Duration::from_secs(2),
        ..fast()
    };
    let mut w = worker(&s, opts, Duration::from_secs(30));
    let drain = tokio::spawn(async move { w.drain_once().await });
    let deadline = Instant::now() + Duration::from_secs(60);
    while s.fake.calls_to(FakeEndpoint::GetByMobile).len() < 2 {
        assert!(
            Instant::now() < deadline,
            "the second lookup was never made"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (now, until) = (now_ms(), now_ms() + 60_000);
    let other = store(&s)
        .claim_batch("elsewhere/1/x", now, until, 20)
        .unwrap();
    assert!(other.is_none(), "{other:?}");
    let r = drain.await.unwrap().unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
}

/// Deliveries are `sending` while batchSend is in flight, so a worker killed during the call
/// leaves them interrupted (never resent), not pending (resent as duplicates). The kill itself
/// is `cli_delivery::worker_killed_mid_run_loses_nothing_and_sends_nothing_twice`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_sending_while_the_call_is_in_flight() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 1_000 }, 1);
    let mut w = worker(&s, fast(), Duration::from_secs(30));
    let drain = tokio::spawn(async move { w.drain_once().await });
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.fake.calls_to(FakeEndpoint::BatchSend).is_empty() {
        assert!(Instant::now() < deadline, "batchSend was never called");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The fake records a call as it arrives and holds the answer for a second.
    assert!(!drain.is_finished(), "the answer came before the check");
    assert_eq!(status_of(&s, DeliveryStatus::Sending), 2, "during the call");
    assert_eq!(status_of(&s, DeliveryStatus::Pending), 0, "during the call");
    // The lease covers the worst case of the call (a call, a token refresh and the retried
    // call, 30 s each) plus the 60 s lease: a worker starting up even 145 s later leaves
    // them alone rather than calling them interrupted.
    let later = now_ms() + 145_000;
    assert_eq!(store(&s).recover_interrupted(later).unwrap(), 0);
    // …and no longer: a worker on another host recovers them once it has run out.
    let until = leases_until(&s);
    assert!(until.iter().all(|u| *u <= now_ms() + 150_000), "{until:?}");
    let r = drain.await.unwrap().unwrap();
    assert_eq!(r.sent, 2, "{r:?}");
    assert_eq!(status_of(&s, DeliveryStatus::Sent), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_five_recipients_go_in_three_batch_calls() {
    let s = setup(45).await;
    let out = store(&s).enqueue_event(&event("e1", 1..=45)).unwrap();
    assert_eq!(
        out,
        EnqueueOutcome::Queued {
            deliveries: 45,
            unknown: vec![]
        }
    );
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 45);
    assert_eq!(r.calls, 45 + 3, "45 lookups and 3 sends: {r:?}");
    assert_eq!(
        batch_sizes(&s),
        vec![20, 20, 5],
        "full batches of 20, then the rest"
    );
    // Every delivery records the processQueryKey of its call.
    let rows = store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 100)
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.status == DeliveryStatus::Sent && r.process_query_key.is_some())
    );
    // The rendered message carries the labels and the link.
    let param = s.fake.outbox()[0].msg_param.clone().unwrap();
    let text = param["text"].as_str().unwrap();
    assert!(
        text.contains("SQL Task · To be approved")
            && text.contains("https://console.example/task/1"),
        "{text}"
    );
    // Lookups were cached on the members: a second event needs no lookup.
    let lookups = s.fake.calls_to(FakeEndpoint::GetByMobile).len();
    store(&s).enqueue_event(&event("e2", 1..=45)).unwrap();
    worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(s.fake.calls_to(FakeEndpoint::GetByMobile).len(), lookups);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_ids_are_idempotent_and_skips_are_recorded() {
    let s = setup(3).await;
    let mut st = store(&s);
    assert!(matches!(
        st.enqueue_event(&event("same", [1, 2])).unwrap(),
        EnqueueOutcome::Queued { .. }
    ));
    assert_eq!(
        st.enqueue_event(&event("same", [1, 2, 3])).unwrap(),
        EnqueueOutcome::Duplicate
    );
    // Personal Channel unchecked for this node: recorded as skipped with the reason.
    let mut other = event("other", [1]);
    other.node_code = "approved".into();
    match st.enqueue_event(&other).unwrap() {
        EnqueueOutcome::Skipped { reason } => {
            assert!(reason.contains("Personal Channel"), "{reason}")
        }
        o => panic!("{o:?}"),
    }
    // Unknown logins are failed deliveries, never silently dropped.
    let mut unknown = event("unknown", [1]);
    unknown.members.push("nobody".into());
    match st.enqueue_event(&unknown).unwrap() {
        EnqueueOutcome::Queued {
            deliveries: 1,
            unknown,
        } => assert_eq!(unknown, vec!["nobody"]),
        o => panic!("{o:?}"),
    }
    drop(st);
    worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(
        s.fake
            .outbox()
            .iter()
            .map(|m| m.user_ids.len())
            .sum::<usize>(),
        3
    );
    assert_eq!(status_of(&s, DeliveryStatus::Skipped), 1);
    assert_eq!(status_of(&s, DeliveryStatus::Failed), 1);
    // Channel removed: new events are skipped.
    let mut st = store(&s);
    st.delete_channel(notifydesk::domain::ChannelKind::DingTalk)
        .unwrap();
    match st.enqueue_event(&event("later", [1])).unwrap() {
        EnqueueOutcome::Skipped { reason } => assert!(reason.contains("not configured")),
        o => panic!("{o:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failure_is_retried_then_succeeds() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::ServiceUnavailableEmpty, 1);
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::QpsLimitForAppkeyAndApi, 1);
    // A clock moved by hand: each retry happens exactly when the test says, whatever the
    // machine's load (real waits made this test flaky).
    let clock = Arc::new(AtomicI64::new(now_ms()));
    let opts = WorkerOptions {
        clock: Clock::manual(clock.clone()),
        ..fast()
    };
    let mut w = worker(&s, opts, Duration::from_secs(5));
    let mut sent = 0;
    for attempt in 1..=3 {
        let r = w.drain_ready().await.unwrap();
        sent += r.sent;
        assert_eq!(
            r.calls,
            1 + usize::from(attempt == 1) * 2,
            "try {attempt}: {r:?}"
        );
        let rows = store(&s)
            .delivery_page(&DeliveryFilter::default(), None, 10)
            .unwrap();
        if attempt < 3 {
            // Both receivers wait for ONE time, in the future: nothing goes before it.
            let due: Vec<i64> = rows.iter().map(|r| r.next_attempt_at).collect();
            assert!(
                due[0] == due[1] && due[0] > clock.load(Ordering::SeqCst),
                "{rows:?}"
            );
            assert_eq!(w.drain_ready().await.unwrap().calls, 0, "not due yet");
            clock.store(due[0], Ordering::SeqCst);
        }
    }
    assert_eq!(sent, 2);
    // One call per try, each with the whole batch.
    assert_eq!(batch_sizes(&s), vec![2, 2, 2]);
    let rows = store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 10)
        .unwrap();
    // The 503 counted as a failed attempt; the QPS throttle was a deferral, not a failure.
    assert!(
        rows.iter().all(|r| r.attempts == 2 && r.deferrals == 1),
        "{rows:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_give_up_after_max_attempts() {
    let s = setup(1).await;
    store(&s).enqueue_event(&event("e", [1])).unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::ServiceUnavailableEmpty, 10);
    let opts = WorkerOptions {
        max_attempts: 3,
        ..fast()
    };
    let r = worker(&s, opts, Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(s.fake.calls_to(FakeEndpoint::BatchSend).len(), 3);
    let row = &store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 1)
        .unwrap()[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("gave up after 3 attempts"),
        "{row:?}"
    );
}

/// A lookup the app may not make fails every receiver of the batch after one call: the
/// others would fail the same way, and waiting will not grant the permission.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_the_app_may_not_make_fails_the_batch_after_one_call() {
    let s = setup(2).await;
    s.fake.update_app(KEY, |a| {
        a.scopes.remove("qyapi_get_member_by_mobile");
    });
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.failed, r.deferred), (2, 0), "{r:?}");
    assert_eq!(s.fake.calls_to(FakeEndpoint::GetByMobile).len(), 1);
    assert!(s.fake.calls_to(FakeEndpoint::BatchSend).is_empty());
    assert_eq!(status_of(&s, DeliveryStatus::Failed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failure_is_not_retried() {
    let s = setup(2).await;
    s.fake.update_app(KEY, |a| {
        a.scopes.remove("qyapi_robot_sendmsg");
    });
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.failed, 2);
    assert_eq!(s.fake.calls_to(FakeEndpoint::BatchSend).len(), 1);
    let row = &store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 1)
        .unwrap()[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("qyapi_robot_sendmsg"),
        "{row:?}"
    );
    // A retry by hand goes back to pending.
    let mut st = store(&s);
    st.retry_delivery(row.id, false).unwrap();
    assert_eq!(
        st.delivery(row.id).unwrap().unwrap().status,
        DeliveryStatus::Pending
    );
    assert!(
        st.retry_delivery(row.id, false).is_err(),
        "only failed deliveries can be retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_expiry_mid_run_refreshes_and_continues() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("a", [1])).unwrap();
    let mut w = worker(&s, fast(), Duration::from_secs(5));
    assert_eq!(w.drain_once().await.unwrap().sent, 1);
    s.fake.expire_tokens();
    store(&s).enqueue_event(&event("b", [2])).unwrap();
    assert_eq!(w.drain_once().await.unwrap().sent, 1);
    assert_eq!(s.fake.outbox().len(), 2);
    assert!(s.fake.token_calls() >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_receiver_refreshes_the_cached_userid_then_fails() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("warm", [1])).unwrap();
    worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    // user1 is cached now; DingTalk starts refusing it.
    s.fake.force_invalid("user1");
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    let lookups_before = s.fake.calls_to(FakeEndpoint::GetByMobile).len();
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.sent, 1, "user2 still goes: {r:?}");
    assert_eq!(r.failed, 1);
    assert_eq!(
        s.fake.calls_to(FakeEndpoint::GetByMobile).len(),
        lookups_before + 2,
        "user2 looked up, and user1 looked up again after the refusal"
    );
    let failed = store(&s)
        .delivery_page(
            &DeliveryFilter {
                status: Some(DeliveryStatus::Failed),
                text: None,
                ..DeliveryFilter::default()
            },
            None,
            5,
        )
        .unwrap();
    assert_eq!(failed[0].login, "u1");
    assert!(
        failed[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("visibility scope")
    );
    // The refusal is recorded on the member: no userid, as of now (Unix seconds).
    let u1 = store(&s).member_by_login("u1").unwrap().unwrap();
    let at = u1.resolved_at.unwrap();
    assert!(
        u1.dingtalk_userid.is_none() && (at - now_ms() / 1000).abs() <= 60,
        "{u1:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_phone_fails_that_receiver_only() {
    let s = setup(2).await;
    let mut st = store(&s);
    st.add_member(&NewMember {
        name: "Ghost".into(),
        login: "ghost".into(),
        phone: "13700000000".into(),
        email: None,
    })
    .unwrap();
    let mut ev = event("e", [1]);
    ev.members.push("ghost".into());
    st.enqueue_event(&ev).unwrap();
    drop(st);
    let before = now_ms() / 1000;
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.failed), (1, 1));
    let after = now_ms() / 1000;
    // Both lookups are recorded with their time (Unix seconds), found or not.
    let ghost = store(&s).member_by_login("ghost").unwrap().unwrap();
    assert!(ghost.dingtalk_userid.is_none());
    assert!(
        (before..=after).contains(&ghost.resolved_at.unwrap()),
        "{ghost:?}"
    );
    let found = store(&s).member_by_login("u1").unwrap().unwrap();
    assert_eq!(found.dingtalk_userid.as_deref(), Some("user1"));
    assert!(
        (before..=after).contains(&found.resolved_at.unwrap()),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_paced_by_the_rate_limit() {
    let s = setup(1).await;
    for i in 0..11 {
        store(&s)
            .enqueue_event(&event(&format!("e{i}"), [1]))
            .unwrap();
    }
    let opts = WorkerOptions {
        rate_per_sec: 10.0,
        ..fast()
    };
    let mut w = worker(&s, opts, Duration::from_secs(5));
    let started = Instant::now();
    let r = w.drain_once().await.unwrap();
    assert_eq!(r.sent, 11);
    // 11 sends at 10/s need at least 1 s: the limiter never bursts.
    assert!(
        started.elapsed() >= Duration::from_millis(990),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_send_timeout_is_not_resent() {
    let s = setup(1).await;
    store(&s).enqueue_event(&event("e", [1])).unwrap();
    s.fake
        .inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 2_000 }, 1);
    let r = worker(&s, fast(), Duration::from_millis(300))
        .drain_once()
        .await
        .unwrap();
    assert_eq!(r.unknown, 1);
    assert_eq!(s.fake.calls_to(FakeEndpoint::BatchSend).len(), 1);
    let row = &store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 1)
        .unwrap()[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("may have been delivered"),
        "{row:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_left_sending_by_a_dead_sender_is_unknown_not_resent() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    // A sender (a process that has exited) claims the batch and dies before the answer.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = format!("{}/{}/0", host_and_ns(), child.id());
    child.wait().unwrap();
    let mut st = store(&s);
    let far = i64::MAX / 2;
    let claimed = st.claim_batch(&dead, 0, far, 20).unwrap().unwrap();
    assert_eq!(claimed.recipients.len(), 2);
    let ids: Vec<i64> = claimed.recipients.iter().map(|r| r.delivery_id).collect();
    assert_eq!(st.mark_sending(&dead, &ids, far).unwrap(), ids);
    drop(st);
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_once()
        .await
        .unwrap();
    assert_eq!((r.sent, r.interrupted), (0, 2));
    assert!(s.fake.outbox().is_empty());
    let rows = store(&s)
        .delivery_page(&DeliveryFilter::default(), None, 5)
        .unwrap();
    assert!(
        rows.iter().all(|r| r.status == DeliveryStatus::Unknown
            && r.error_code.as_deref() == Some("interrupted")),
        "{rows:?}"
    );
    // A retry by hand needs --force and says why.
    let mut st = store(&s);
    let e = st
        .retry_delivery(rows[0].id, false)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("may have been delivered") && e.contains("--force"),
        "{e}"
    );
    st.retry_delivery(rows[0].id, true).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_owners_claim_is_never_taken() {
    let s = setup(2).await;
    store(&s).enqueue_event(&event("e", [1, 2])).unwrap();
    let mut st = store(&s);
    let live = format!("{}/{}/live", host_and_ns(), std::process::id());
    let far = i64::MAX / 2;
    let claimed = st.claim_batch(&live, 0, far, 20).unwrap().unwrap();
    assert_eq!(claimed.recipients.len(), 2);
    // Another owner sees nothing to claim, and cannot move them to sending either.
    let mut other = store(&s);
    assert!(
        other
            .claim_batch("elsewhere/1/x", 0, far, 20)
            .unwrap()
            .is_none()
    );
    let ids: Vec<i64> = claimed.recipients.iter().map(|r| r.delivery_id).collect();
    assert!(
        other
            .mark_sending("elsewhere/1/x", &ids, far)
            .unwrap()
            .is_empty()
    );
    // A worker with its own owner id leaves them alone too.
    let r = worker(&s, fast(), Duration::from_secs(5))
        .drain_ready()
        .await
        .unwrap();
    assert_eq!(r.sent, 0);
    assert!(s.fake.calls_to(FakeEndpoint::BatchSend).is_empty());
    // An idle worker does not spin on them: they are due when the lease ends.
    assert_eq!(st.next_due("elsewhere/1/x", 0).unwrap(), Some(far));
    // Once the lease has expired, they are claimable again.
    assert!(
        other
            .claim_batch("elsewhere/1/x", far + 1, far + 2, 20)
            .unwrap()
            .is_some()
    );
}

/// `<host>/<pid namespace>` of owner ids made by this process.
fn host_and_ns() -> String {
    let id = notifydesk::store::owner::new_owner_id();
    let parts: Vec<&str> = id.split('/').collect();
    format!("{}/{}", parts[0], parts[1])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_recovery_still_corrects_the_state() {
    let s = setup(1).await;
    store(&s).enqueue_event(&event("e", [1])).unwrap();
    let mut st = store(&s);
    let owner = format!("{}/{}/slow", host_and_ns(), std::process::id());
    let claimed = st.claim_batch(&owner, 0, 10, 20).unwrap().unwrap();
    let ids: Vec<i64> = claimed.recipients.iter().map(|r| r.delivery_id).collect();
    st.mark_sending(&owner, &ids, 10).unwrap();
    // Its lease ran out while it waited (a locked database): another worker recovers it.
    assert_eq!(st.recover_interrupted(11).unwrap(), 1);
    assert_eq!(
        st.delivery(ids[0]).unwrap().unwrap().status,
        DeliveryStatus::Unknown
    );
    // The answer was a 429 (proof nothing was sent): it goes back to pending after all.
    let mark = notifydesk::store::RetryMark {
        code: "system.busy".into(),
        error: "throttled".into(),
        request_id: None,
        next_at_ms: 0,
        counted: false,
    };
    st.mark_retry(&owner, &ids, &mark).unwrap();
    assert_eq!(
        st.delivery(ids[0]).unwrap().unwrap().status,
        DeliveryStatus::Pending
    );
}
