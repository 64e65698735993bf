//! The Feishu/Lark client against the fake server on 127.0.0.1 (port 0 only).

use std::time::Duration;

use feishu_fake::{
    CallRecord, FakeApp, FakeEndpoint, FakeFeishu, FakeTemplate, FakeUser, Fault, SCOPE_LOOKUP,
    SEND_SCOPES, open_id_for,
};
use notifydesk::domain::{ChannelKind, Mobile};
use notifydesk::feishu::{Client, FEISHU_API, LARK_API};
use notifydesk::personal::{
    ChannelError, Credentials, Disposition, ErrorKind, HttpOptions, LookupKey, Message,
    PersonalChannel, Resolution, parse_base_url,
};
use secrecy::SecretString;
use serde_json::Value;

const APP: &str = "cli_a41bc75349bc0001";
const SECRET: &str = "S3cr3t-AppSecret-9f8e7d6c5b4a";
const MOBILE: &str = "13800138000";
const EMAIL: &str = "zhang.san@example.com";
const USER: &str = "zhangsan";
const TEMPLATE: &str = "AAqk1template";

struct Env {
    fake: FakeFeishu,
    client: Client,
    creds: Credentials,
}

fn creds(secret: &str) -> Credentials {
    Credentials {
        app_id: APP.into(),
        secret: SecretString::from(secret.to_string()),
        agent_id: None,
    }
}

async fn setup_kind(kind: ChannelKind) -> Env {
    let fake = FakeFeishu::start().await.unwrap();
    fake.add_app(FakeApp::new(APP, SECRET));
    fake.add_user(FakeUser::new(USER).mobile(MOBILE).email(EMAIL));
    fake.add_template(FakeTemplate::new(TEMPLATE, APP));
    let opts = HttpOptions {
        timeout: Duration::from_millis(800),
        connect_timeout: Duration::from_millis(800),
    };
    let base = parse_base_url("Feishu", &fake.base_url()).unwrap();
    let client = Client::new(kind, base, opts).unwrap();
    Env {
        fake,
        client,
        creds: creds(SECRET),
    }
}

async fn setup() -> Env {
    setup_kind(ChannelKind::Feishu).await
}

fn message(key: &str) -> Message {
    Message {
        title: "Disk almost full".into(),
        markdown: "**db-1**: 95% used".into(),
        text: "db-1: 95% used\nact now".into(),
        link: Some("https://example.com/alerts/1".into()),
        template_id: None,
        idempotency_key: key.into(),
    }
}

fn open_id() -> String {
    open_id_for(APP, USER)
}

/// The error explains itself and never contains the secret or any token.
fn check(e: &ChannelError, fake: &FakeFeishu) {
    let texts = [e.to_string(), format!("{e:?}"), format!("{e:#?}")];
    let mut secrets = vec![SECRET.to_string()];
    secrets.extend(fake.all_tokens());
    for s in &secrets {
        for t in &texts {
            assert!(!t.contains(s.as_str()), "secret {s:?} leaked in {t}");
        }
    }
    assert!(!e.message.is_empty() && !e.code.is_empty(), "{e:?}");
    assert!(
        e.fix.as_deref().is_some_and(|f| !f.is_empty()),
        "no fix: {e:?}"
    );
}

async fn send_err(env: &Env) -> ChannelError {
    let e = env
        .client
        .send(&env.creds, &[open_id()], &message("k-err"))
        .await
        .unwrap_err();
    check(&e, &env.fake);
    e
}

fn sends(fake: &FakeFeishu) -> Vec<CallRecord> {
    fake.calls_to(FakeEndpoint::SendMessage)
}

// ---- token handling (contract 10.3)

#[tokio::test]
async fn one_token_call_serves_many_sends_and_the_wire_is_as_documented() {
    let env = setup().await;
    for i in 0..3 {
        let r = env
            .client
            .send(&env.creds, &[open_id()], &message(&format!("k{i}")))
            .await
            .unwrap();
        assert!(r.message_id.unwrap().starts_with("om_"));
        assert!(r.request_id.is_some(), "X-Tt-Logid kept");
        assert!(r.rejected.is_empty());
    }
    assert_eq!(env.fake.token_calls(), 1);
    assert_eq!(env.fake.outbox().len(), 3);
    let token = env.fake.valid_tokens().pop().unwrap();
    for c in env.fake.calls() {
        let query = c.query.clone().unwrap_or_default();
        assert!(!query.contains(&token) && !query.contains(SECRET), "{c:?}");
        if c.endpoint == FakeEndpoint::Token {
            assert!(c.body.contains(SECRET) && c.header("authorization").is_none());
        } else {
            assert!(
                !c.body.contains(SECRET) && !c.body.contains(&token),
                "{c:?}"
            );
            assert_eq!(
                c.header("authorization"),
                Some(format!("Bearer {token}").as_str())
            );
        }
        assert!(
            c.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
    let send = &sends(&env.fake)[0];
    assert_eq!(
        send.query_param("receive_id_type").as_deref(),
        Some("open_id")
    );
    let body = send.json_body().unwrap();
    assert!(body["content"].is_string(), "content goes out as a string");
    assert_eq!(body["uuid"], "k0");
    assert_eq!(body["msg_type"], "post");
    let post = &env.fake.outbox()[0].content["zh_cn"];
    assert_eq!(post["title"], "Disk almost full");
    assert_eq!(post["content"][0][0]["text"], "db-1: 95% used");
    assert_eq!(
        post["content"][2][0]["href"],
        "https://example.com/alerts/1"
    );
}

#[tokio::test]
async fn token_is_refreshed_ten_minutes_before_expiry() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    let first = env.fake.valid_tokens();
    // 5 s short of the refresh point: still cached.
    env.client.advance_clock(Duration::from_secs(6595));
    env.fake.advance_clock(Duration::from_secs(6595));
    env.client.check_credentials(&env.creds).await.unwrap();
    assert_eq!(env.fake.token_calls(), 1);
    env.client.advance_clock(Duration::from_secs(10));
    env.fake.advance_clock(Duration::from_secs(10));
    env.client
        .send(&env.creds, &[open_id()], &message("k"))
        .await
        .unwrap();
    assert_eq!(env.fake.token_calls(), 2);
    let used = sends(&env.fake)[0]
        .header("authorization")
        .unwrap()
        .to_string();
    assert!(
        !used.ends_with(&first[0]),
        "a new token (under 30 min left at the fake)"
    );
}

#[tokio::test]
async fn a_reused_tokens_expire_counts_from_now() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    env.fake.advance_clock(Duration::from_secs(3000));
    // A fresh client gets the same token with 4200 s left, not 7200.
    let base = parse_base_url("Feishu", &env.fake.base_url()).unwrap();
    let other = Client::new(ChannelKind::Feishu, base, HttpOptions::default()).unwrap();
    other.check_credentials(&env.creds).await.unwrap();
    assert_eq!(env.fake.token_calls(), 2);
    assert_eq!(env.fake.valid_tokens().len(), 1, "same token handed out");
    other.advance_clock(Duration::from_secs(3601));
    env.fake.advance_clock(Duration::from_secs(3601));
    other.check_credentials(&env.creds).await.unwrap();
    assert_eq!(env.fake.token_calls(), 3, "refreshed at remaining − 600 s");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_once_and_the_call_retried_once() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    env.fake.revoke_tokens();
    env.client
        .send(&env.creds, &[open_id()], &message("k1"))
        .await
        .unwrap();
    assert_eq!(env.fake.token_calls(), 2);
    assert_eq!(sends(&env.fake).len(), 2);
    let bodies: Vec<String> = sends(&env.fake).iter().map(|c| c.body.clone()).collect();
    assert_eq!(bodies[0], bodies[1], "the retry sends the same bytes");
    // Rejected again after the refresh: fail, no loop.
    env.fake
        .inject(FakeEndpoint::SendMessage, Fault::TokenInvalid, 5);
    let e = send_err(&env).await;
    assert_eq!(e.kind.clone(), ErrorKind::TokenInvalid);
    assert_eq!(e.code, "99991663");
    assert_eq!(env.fake.token_calls(), 3);
    assert_eq!(sends(&env.fake).len(), 4);
}

#[tokio::test]
async fn a_bad_secret_is_not_retried_and_not_cached() {
    let env = setup().await;
    let bad = creds("wrong-secret-value-123");
    for status in [200, 400] {
        env.fake.set_token_error_status(status);
        let e = env.client.check_credentials(&bad).await.unwrap_err();
        check(&e, &env.fake);
        assert_eq!(e.kind.clone(), ErrorKind::BadCredentials);
        assert_eq!(e.code, "10014");
        assert_eq!(e.disposition, Disposition::Permanent);
        assert!(e.fix.clone().unwrap().contains("open.feishu.cn/app"));
        assert!(!e.to_string().contains("wrong-secret-value-123"));
    }
    assert_eq!(
        env.fake.token_calls(),
        2,
        "one call per attempt, none cached"
    );
    let e = env
        .client
        .send(&bad, &[open_id()], &message("k"))
        .await
        .unwrap_err();
    assert_eq!(e.kind.clone(), ErrorKind::BadCredentials);
    assert!(sends(&env.fake).is_empty());
    let empty = creds("");
    let e = env.client.check_credentials(&empty).await.unwrap_err();
    assert_eq!(e.kind.clone(), ErrorKind::BadCredentials);
    assert_eq!(env.fake.token_calls(), 3);
}

#[tokio::test]
async fn a_changed_secret_is_a_cache_miss() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    env.fake
        .update_app(APP, |a| a.app_secret = "rotated-secret-0001".into());
    let e = env
        .client
        .check_credentials(&creds("rotated-secret-0002"))
        .await
        .unwrap_err();
    assert_eq!(e.kind.clone(), ErrorKind::BadCredentials);
    env.client
        .check_credentials(&creds("rotated-secret-0001"))
        .await
        .unwrap();
    assert_eq!(env.fake.token_calls(), 3);
}

#[tokio::test]
async fn concurrent_first_calls_share_one_token_request() {
    let env = setup().await;
    let (a, b, c) = tokio::join!(
        env.client.check_credentials(&env.creds),
        env.client.check_credentials(&env.creds),
        env.client.check_credentials(&env.creds),
    );
    a.and(b).and(c).unwrap();
    assert_eq!(env.fake.token_calls(), 1);
}

// ---- lookup

#[tokio::test]
async fn resolve_by_phone_email_and_login() {
    let env = setup().await;
    env.fake
        .add_user(FakeUser::new("hk1").mobile("+85291234567"));
    let keys = [
        LookupKey::Phone(Mobile::parse("+86 138-0013-8000").unwrap()),
        LookupKey::Email("Zhang.San@example.com".into()),
        LookupKey::Phone(Mobile::parse("+852 9123 4567").unwrap()),
        LookupKey::Email("nobody@example.com".into()),
        LookupKey::Login("lisi".into()),
        LookupKey::Phone(Mobile::parse("13900000000").unwrap()),
    ];
    let r = env.client.resolve(&env.creds, &keys).await.unwrap();
    assert_eq!(
        r,
        vec![
            Resolution::Found(open_id()),
            Resolution::Found(open_id()),
            Resolution::Found(open_id_for(APP, "hk1")),
            Resolution::NotFound,
            Resolution::Found("user_id:lisi".into()),
            Resolution::NotFound,
        ]
    );
    let calls = env.fake.calls_to(FakeEndpoint::BatchGetId);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].query_param("user_id_type").as_deref(),
        Some("open_id")
    );
    let body = calls[0].json_body().unwrap();
    assert_eq!(
        body["mobiles"],
        serde_json::json!(["13800138000", "+85291234567", "13900000000"])
    );
    // Login only: no call at all.
    let r = env
        .client
        .resolve(&env.creds, &[LookupKey::Login("lisi".into())])
        .await
        .unwrap();
    assert_eq!(r, vec![Resolution::Found("user_id:lisi".into())]);
    assert_eq!(env.fake.calls_to(FakeEndpoint::BatchGetId).len(), 1);
}

#[tokio::test]
async fn resolve_splits_more_than_fifty_keys_and_hidden_members_are_not_found() {
    let env = setup().await;
    let mut keys: Vec<LookupKey> = (0..120)
        .map(|i| LookupKey::Email(format!("user{i}@example.com")))
        .collect();
    keys.push(LookupKey::Email(EMAIL.into()));
    let r = env.client.resolve(&env.creds, &keys).await.unwrap();
    assert_eq!(r.len(), 121);
    assert_eq!(r[120], Resolution::Found(open_id()));
    assert!(r[..120].iter().all(|x| *x == Resolution::NotFound));
    let calls = env.fake.calls_to(FakeEndpoint::BatchGetId);
    let sizes: Vec<usize> = calls
        .iter()
        .map(|c| c.json_body().unwrap()["emails"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![50, 50, 21]);
    env.fake
        .update_app(APP, |a| a.contact_scope = Some(Default::default()));
    let r = env
        .client
        .resolve(&env.creds, &[LookupKey::Email(EMAIL.into())])
        .await
        .unwrap();
    assert_eq!(r, vec![Resolution::NotFound]);
}

#[tokio::test]
async fn lookup_without_scope_names_the_scope_and_the_console_link() {
    let env = setup().await;
    env.fake.update_app(APP, |a| {
        a.scopes.remove(SCOPE_LOOKUP);
    });
    let e = env
        .client
        .resolve(&env.creds, &[LookupKey::Email(EMAIL.into())])
        .await
        .unwrap_err();
    check(&e, &env.fake);
    assert_eq!(
        e.kind,
        ErrorKind::MissingPermission {
            scope: Some(SCOPE_LOOKUP.into())
        }
    );
    assert_eq!(e.disposition, Disposition::Permanent);
    let fix = e.fix.clone().unwrap();
    assert!(
        fix.contains(SCOPE_LOOKUP) && fix.contains(&format!("/app/{APP}/auth")),
        "{fix}"
    );
    assert!(fix.contains("publish"), "{fix}");
    assert!(e.request_id.is_some());
}

// ---- Test Message Sending

#[tokio::test]
async fn send_test_looks_up_then_sends_and_not_found_is_an_error() {
    let env = setup().await;
    let phone = LookupKey::Phone(Mobile::parse(MOBILE).unwrap());
    let r = env
        .client
        .send_test(&env.creds, &phone, &message("t1"))
        .await
        .unwrap();
    assert_eq!(r.user_id, open_id());
    assert!(r.message_id.unwrap().starts_with("om_"));
    assert_eq!(r.kind, "post message");
    let missing = LookupKey::Phone(Mobile::parse("13900000000").unwrap());
    let e = env
        .client
        .send_test(&env.creds, &missing, &message("t2"))
        .await
        .unwrap_err();
    check(&e, &env.fake);
    assert_eq!(e.kind.clone(), ErrorKind::NotFound);
    assert!(
        e.message.contains("not found or not visible to this app"),
        "{e}"
    );
    assert!(!e.message.contains("13900000000"), "number masked: {e}");
    // A refused receiver is an error, never a success.
    env.fake
        .update_app(APP, |a| a.availability = Some(Default::default()));
    let e = env
        .client
        .send_test(&env.creds, &phone, &message("t3"))
        .await
        .unwrap_err();
    assert_eq!(e.kind.clone(), ErrorKind::OutsideScope);
    assert_eq!(env.fake.outbox().len(), 1);
}

#[tokio::test]
async fn send_test_with_login_and_template() {
    let env = setup().await;
    let mut m = message("t1");
    m.template_id = Some(TEMPLATE.into());
    let r = env
        .client
        .send_test(&env.creds, &LookupKey::Login(USER.into()), &m)
        .await
        .unwrap();
    assert_eq!(r.user_id, USER);
    assert_eq!(r.kind, format!("template card {TEMPLATE}"));
    assert!(env.fake.calls_to(FakeEndpoint::BatchGetId).is_empty());
    let sent = &env.fake.outbox()[0];
    assert_eq!(sent.receive_id_type, "user_id");
    assert_eq!(sent.msg_type, "interactive");
    assert_eq!(sent.content["type"], "template");
    assert_eq!(sent.content["data"]["template_id"], TEMPLATE);
    let vars = &sent.content["data"]["template_variable"];
    assert_eq!(vars["title"], "Disk almost full");
    assert!(vars["content"].as_str().unwrap().starts_with("**db-1**"));
    // An unknown login is an error naming the Login Name rule.
    let e = env
        .client
        .send_test(
            &env.creds,
            &LookupKey::Login("ghost".into()),
            &message("t2"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::NotFound, "99992360")
    );
    assert!(e.fix.clone().unwrap().contains("Login Name"));
}

// ---- sending: limits and idempotency

#[tokio::test]
async fn one_receiver_per_call_and_oversized_messages_are_refused_before_sending() {
    let env = setup().await;
    let e = env
        .client
        .send(&env.creds, &[open_id(), open_id()], &message("k"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.disposition),
        (ErrorKind::InvalidRequest, Disposition::Permanent)
    );
    assert!(sends(&env.fake).is_empty());
    // Over 30 KB the text is cut (marked …) to fit, never refused as a whole.
    let mut big = message("k");
    big.text = "x\n".repeat(16 * 1024);
    env.client
        .send(&env.creds, &[open_id()], &big)
        .await
        .unwrap();
    let sent = sends(&env.fake);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.len() <= 30 * 1024, "{}", sent[0].body.len());
    assert!(sent[0].body.contains('…'));
    // The platform's own limit (here lowered) maps to Content too.
    env.fake.set_size_limits(150 * 1024, 200);
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Content, "230025")
    );
    let limits = env.client.limits();
    assert_eq!(
        (
            limits.receivers_per_send,
            limits.keys_per_lookup,
            limits.sends_per_second
        ),
        (1, 50, 50)
    );
    assert!(limits.idempotent_send && limits.per_receiver_per_minute.is_none());
}

#[tokio::test]
async fn a_send_that_timed_out_is_retried_with_the_same_uuid_and_delivered_once() {
    let env = setup().await;
    let long_key = format!("event-{}:member-42:channel-7", "9".repeat(40));
    env.fake
        .inject(FakeEndpoint::SendMessage, Fault::Delay { ms: 1500 }, 1);
    let e = env
        .client
        .send(&env.creds, &[open_id()], &message(&long_key))
        .await
        .unwrap_err();
    check(&e, &env.fake);
    assert_eq!(e.kind.clone(), ErrorKind::Timeout);
    assert_eq!(e.disposition, Disposition::MayHaveBeenDelivered);
    // Let the delayed request land, then retry.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let r = env
        .client
        .send(&env.creds, &[open_id()], &message(&long_key))
        .await
        .unwrap();
    let calls = sends(&env.fake);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].body, calls[1].body, "byte-identical retry");
    let uuid = calls[0].json_body().unwrap()["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uuid.len() <= 50 && uuid != long_key, "{uuid}");
    let outbox = env.fake.outbox();
    assert_eq!(outbox.len(), 1, "deduplicated by uuid");
    assert_eq!(r.message_id.as_deref(), Some(outbox[0].message_id.as_str()));
}

// ---- error mapping (contract section 5)

#[tokio::test]
async fn every_code_in_the_table_maps_to_a_kind_and_a_disposition() {
    use Disposition::{Permanent, Retry};
    let table: Vec<(i64, u16, ErrorKind, Disposition)> = vec![
        (10014, 400, ErrorKind::BadCredentials, Permanent),
        (10015, 400, ErrorKind::BadCredentials, Permanent),
        (10003, 400, ErrorKind::InvalidRequest, Permanent),
        (99991661, 400, ErrorKind::TokenInvalid, Retry),
        (99991663, 400, ErrorKind::TokenInvalid, Retry),
        (99991664, 401, ErrorKind::TokenInvalid, Retry),
        (99991665, 400, ErrorKind::TokenInvalid, Retry),
        (99991668, 400, ErrorKind::InvalidRequest, Permanent),
        (99991671, 400, ErrorKind::InvalidRequest, Permanent),
        (99991400, 429, ErrorKind::Throttled, Retry),
        (99991403, 400, ErrorKind::Throttled, Permanent),
        (99991673, 400, ErrorKind::BadCredentials, Permanent),
        (99991662, 400, ErrorKind::BadCredentials, Permanent),
        (99992351, 400, ErrorKind::NotFound, Permanent),
        (99992359, 400, ErrorKind::NotFound, Permanent),
        (99992360, 400, ErrorKind::NotFound, Permanent),
        (99992361, 400, ErrorKind::NotFound, Permanent),
        (99992402, 400, ErrorKind::InvalidRequest, Permanent),
        (230001, 400, ErrorKind::InvalidRequest, Permanent),
        (230006, 400, ErrorKind::BotNotEnabled, Permanent),
        (230013, 400, ErrorKind::OutsideScope, Permanent),
        (230020, 400, ErrorKind::Throttled, Retry),
        (230025, 400, ErrorKind::Content, Permanent),
        (19036, 400, ErrorKind::Content, Permanent),
        (230022, 400, ErrorKind::Content, Permanent),
        (230028, 400, ErrorKind::Content, Permanent),
        (230029, 400, ErrorKind::ReceiverRefused, Permanent),
        (230034, 400, ErrorKind::NotFound, Permanent),
        (230035, 400, ErrorKind::ReceiverRefused, Permanent),
        (230038, 400, ErrorKind::ReceiverRefused, Permanent),
        (230053, 400, ErrorKind::ReceiverRefused, Permanent),
        (230099, 400, ErrorKind::Template, Permanent),
        (11232, 200, ErrorKind::Throttled, Retry),
        (11233, 200, ErrorKind::Throttled, Retry),
        (11247, 200, ErrorKind::Throttled, Retry),
        (1500, 500, ErrorKind::Server, Retry),
        (5000, 500, ErrorKind::Server, Retry),
        (2200, 200, ErrorKind::Server, Retry),
        (55001, 503, ErrorKind::Server, Retry),
        (99991201, 404, ErrorKind::BadConfig, Permanent),
        (424242, 400, ErrorKind::Server, Permanent),
        (424243, 502, ErrorKind::Server, Retry),
    ];
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    for (code, status, kind, disposition) in table {
        // Token-invalid codes are retried once after a refresh: inject twice.
        let times = if [99991661, 99991663, 99991664, 99991665].contains(&code) {
            2
        } else {
            1
        };
        let msg = format!("msg for {code} echoing {SECRET}");
        env.fake.inject(
            FakeEndpoint::SendMessage,
            Fault::Code { status, code, msg },
            times,
        );
        let e = send_err(&env).await;
        assert_eq!(
            (&e.kind, e.disposition),
            (&kind, disposition),
            "code {code}: {e}"
        );
        assert_eq!(e.code, code.to_string());
        assert!(e.message.contains(&format!("msg for {code}")), "{e}");
        assert!(e.request_id.is_some(), "log id kept for {code}");
    }
}

#[tokio::test]
async fn throttling_carries_the_platforms_wait() {
    let env = setup().await;
    env.fake.inject(
        FakeEndpoint::SendMessage,
        Fault::RateLimited { reset: 2 },
        1,
    );
    env.fake
        .inject(FakeEndpoint::SendMessage, Fault::RateLimited400, 1);
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Throttled, "99991400")
    );
    assert_eq!(e.retry_after, Some(Duration::from_secs(2)));
    let e = send_err(&env).await;
    assert_eq!(e.kind.clone(), ErrorKind::Throttled);
    assert_eq!(e.retry_after, Some(Duration::from_secs(1)));
    assert_eq!(env.fake.outbox().len(), 0);
    // The fake's real per-member limit.
    for i in 0..5 {
        env.client
            .send(&env.creds, &[open_id()], &message(&format!("q{i}")))
            .await
            .unwrap();
    }
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Throttled, "230020")
    );
}

#[tokio::test]
async fn app_and_receiver_states_from_the_fake() {
    let env = setup().await;
    env.fake.set_client_ip("203.0.113.7");
    env.fake.update_app(APP, |a| {
        a.ip_allowlist = Some(["198.51.100.1".to_string()].into())
    });
    let e = send_err(&env).await;
    assert_eq!(
        e.kind,
        ErrorKind::IpNotAllowed {
            ip: Some("203.0.113.7".into())
        }
    );
    assert!(e.fix.clone().unwrap().contains("add 203.0.113.7"));
    env.fake.update_app(APP, |a| {
        a.ip_allowlist = None;
        a.scopes.retain(|s| !SEND_SCOPES.contains(&s.as_str()));
    });
    let e = send_err(&env).await;
    assert!(
        matches!(e.kind.clone(), ErrorKind::MissingPermission { scope: Some(ref s) } if s == "im:message:send_as_bot"),
        "{e}"
    );
    env.fake.update_app(APP, |a| {
        a.scopes.insert("im:message".into());
        a.published = false;
    });
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::BotNotEnabled, "230006")
    );
    assert!(e.is_app_level());
    env.fake.update_app(APP, |a| a.published = true);
    env.fake.update_user(USER, |u| u.blocked_bot = true);
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::ReceiverRefused, "230053")
    );
    env.fake.update_user(USER, |u| u.resigned = true);
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::ReceiverRefused, "230029")
    );
    env.fake.add_app(FakeApp::new("cli_other", "other-secret"));
    let e = env
        .client
        .send(&env.creds, &[open_id_for("cli_other", USER)], &message("k"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::NotFound, "99992361")
    );
    env.fake.update_app(APP, |a| a.monthly_quota = Some(0));
    let e = send_err(&env).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Throttled, "99991403")
    );
}

#[tokio::test]
async fn template_errors_name_the_problem() {
    let env = setup().await;
    let mut private = FakeTemplate::new("AAqprivate", APP);
    private.shared_with_apps.clear();
    env.fake.add_template(private);
    for (id, expect) in [("AAqnope", "does not exist"), ("AAqprivate", "not shared")] {
        let mut m = message(id);
        m.template_id = Some(id.into());
        let e = env
            .client
            .send(&env.creds, &[open_id()], &m)
            .await
            .unwrap_err();
        check(&e, &env.fake);
        assert_eq!(
            (e.kind.clone(), e.code.as_str()),
            (ErrorKind::Template, "230099")
        );
        assert!(e.message.contains(expect), "{e}");
    }
    env.fake.inject(
        FakeEndpoint::SendMessage,
        Fault::CardError { sub_code: 200732 },
        1,
    );
    let mut m = message("k");
    m.template_id = Some(TEMPLATE.into());
    let e = env
        .client
        .send(&env.creds, &[open_id()], &m)
        .await
        .unwrap_err();
    assert!(e.fix.clone().unwrap().contains("`title` and `content`"));
}

#[tokio::test]
async fn unreadable_answers_and_transport_failures() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    let faults = [
        (Fault::Html { status: 502 }, "http-502"),
        (Fault::Html { status: 503 }, "http-503"),
        (Fault::InvalidJson, "http-200"),
        (Fault::TruncatedBody, "http-200"),
        (Fault::DropConnection, "network"),
    ];
    for (fault, code) in faults {
        env.fake.inject(FakeEndpoint::SendMessage, fault.clone(), 1);
        let e = send_err(&env).await;
        assert_eq!(e.code, code, "{fault:?}");
        assert_eq!(
            e.disposition,
            Disposition::MayHaveBeenDelivered,
            "{fault:?} after a send"
        );
        env.fake.inject(FakeEndpoint::BatchGetId, fault.clone(), 1);
        let e = env
            .client
            .resolve(&env.creds, &[LookupKey::Email(EMAIL.into())])
            .await
            .unwrap_err();
        check(&e, &env.fake);
        assert_eq!(
            (e.code.as_str(), e.disposition),
            (code, Disposition::Retry),
            "{fault:?} on lookup"
        );
    }
    env.fake
        .inject(FakeEndpoint::BatchGetId, Fault::Delay { ms: 1500 }, 1);
    let e = env
        .client
        .resolve(&env.creds, &[LookupKey::Email(EMAIL.into())])
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.disposition),
        (ErrorKind::Timeout, Disposition::Retry)
    );
    env.fake
        .inject(FakeEndpoint::Token, Fault::Html { status: 502 }, 1);
    let e = env
        .client
        .check_credentials(&creds("another-secret-1234"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.disposition),
        (ErrorKind::Server, Disposition::Retry)
    );
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = parse_base_url("Feishu", &format!("http://{addr}")).unwrap();
    let client = Client::new(ChannelKind::Feishu, base, HttpOptions::default()).unwrap();
    let e = client.check_credentials(&creds(SECRET)).await.unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.disposition),
        (ErrorKind::Unreachable, Disposition::Retry)
    );
    assert!(!format!("{e:?}").contains(SECRET));
}

// ---- platform choice and secrecy

#[tokio::test]
async fn lark_is_the_same_client_with_its_own_console() {
    let env = setup_kind(ChannelKind::FeishuLark).await;
    assert_eq!(env.client.kind(), ChannelKind::FeishuLark);
    let e = env
        .client
        .check_credentials(&creds("wrong-secret-value-123"))
        .await
        .unwrap_err();
    assert_eq!(e.channel, ChannelKind::FeishuLark);
    assert!(e.fix.clone().unwrap().contains("open.larksuite.com/app"));
    assert!(e.message.contains("Lark said"));
    assert!(parse_base_url("Feishu", FEISHU_API).is_ok());
    assert!(parse_base_url("Lark", LARK_API).is_ok());
    let base = parse_base_url("Feishu", FEISHU_API).unwrap();
    let e = Client::new(ChannelKind::WeCom, base, HttpOptions::default()).unwrap_err();
    assert_eq!(e.kind.clone(), ErrorKind::BadConfig);
}

#[tokio::test]
async fn secrets_stay_out_of_debug_output_and_echoed_errors() {
    let env = setup().await;
    env.client.check_credentials(&env.creds).await.unwrap();
    let token = env.fake.valid_tokens().pop().unwrap();
    let debug = format!("{:?} {:?}", env.client, env.creds);
    assert!(
        !debug.contains(SECRET) && !debug.contains(&token),
        "{debug}"
    );
    let msg = format!("bad header Authorization: Bearer {token}; app_secret={SECRET}");
    env.fake.inject(
        FakeEndpoint::SendMessage,
        Fault::Code {
            status: 400,
            code: 230001,
            msg,
        },
        1,
    );
    let e = send_err(&env).await;
    assert!(e.message.contains("[redacted]"), "{e}");
    let body: Value = sends(&env.fake)[0].json_body().unwrap();
    assert!(!body.to_string().contains(&token));
}
