//! The WeCom client against the fake WeCom server on 127.0.0.1 (port 0 only).

use std::time::Duration;

use notifydesk::domain::{ChannelKind, Mobile};
use notifydesk::personal::{
    ChannelError, Credentials, Disposition, ErrorKind, HttpOptions, LookupKey, Message,
    PersonalChannel, Resolution,
};
use notifydesk::wecom::{CONTENT_LIMIT, Client};
use secrecy::SecretString;
use serde_json::Value;
use wecom_fake::{FakeApp, FakeEndpoint, FakeMember, FakeWeCom, Fault, Oversize};

const CORP: &str = "ww5f3c9a1b2d4e6f70";
const AGENT: i64 = 1000002;
const SECRET: &str = "Wc0mS3cretAbCdEfGhIjKlMnOpQrStUvWxYz012345";
const OTHER_SECRET: &str = "An0therS3cretForAgent1000003xyz";
const MOBILE: &str = "13800138000";
const USER: &str = "ZhangSan";

async fn setup_with(timeout: Duration) -> (FakeWeCom, Client, Credentials) {
    let fake = FakeWeCom::start().await.unwrap();
    fake.add_app(FakeApp::new(CORP, AGENT, SECRET).visible_to(&[USER, "lisi", "ghost", "hidden2"]));
    fake.add_app(FakeApp::new(CORP, 1000003, OTHER_SECRET));
    fake.add_user(USER, MOBILE, "zs@example.com");
    fake.add_user("lisi", "13900139000", "");
    fake.add_user("hidden", "13700137000", "hidden@example.com");
    fake.add_member(FakeMember {
        userid: "wangwu".into(),
        mobile: "13600136000".into(),
        email: String::new(),
        biz_mail: "wangwu@corp.example".into(),
        active: true,
    });
    fake.update_app(CORP, AGENT, |a| {
        a.visibility.as_mut().unwrap().insert("wangwu".into());
    });
    let base = url::Url::parse(&fake.base_url()).unwrap();
    let opts = HttpOptions {
        timeout,
        connect_timeout: Duration::from_secs(2),
    };
    let client = Client::new(ChannelKind::WeCom, base, opts).unwrap();
    (fake, client, creds(SECRET, Some(AGENT)))
}

async fn setup() -> (FakeWeCom, Client, Credentials) {
    setup_with(Duration::from_secs(3)).await
}

fn creds(secret: &str, agent: Option<i64>) -> Credentials {
    Credentials {
        app_id: CORP.into(),
        secret: SecretString::from(secret.to_string()),
        agent_id: agent,
    }
}

fn msg(markdown: &str) -> Message {
    Message {
        title: "Disk almost full".into(),
        markdown: markdown.into(),
        text: "Disk almost full on node-7".into(),
        link: Some("https://console.example.com/events/42".into()),
        template_id: None,
        idempotency_key: "evt-42:member-7:wecom".into(),
    }
}

fn phone(s: &str) -> LookupKey {
    LookupKey::Phone(Mobile::parse(s).unwrap())
}

fn users(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// The secret and every token the fake issued: none may appear in an error.
fn secrets(fake: &FakeWeCom) -> Vec<String> {
    let mut out = vec![SECRET.to_string(), OTHER_SECRET.to_string()];
    out.extend(fake.issued_tokens());
    for c in fake.calls() {
        out.extend(c.query_param("access_token"));
    }
    out
}

fn assert_clean(fake: &FakeWeCom, e: &ChannelError) {
    let all = format!("{e} | {e:?}");
    for s in secrets(fake) {
        assert!(!all.contains(&s), "secret or token leaked: {all}");
        assert!(!all.contains(&s[..12]), "a piece of a secret leaked: {all}");
    }
}

async fn send_err(
    fake: &FakeWeCom,
    client: &Client,
    c: &Credentials,
    fault: Fault,
) -> ChannelError {
    fake.inject(FakeEndpoint::MessageSend, fault, 1);
    let e = client
        .send(c, &users(&[USER]), &msg("**hi**"))
        .await
        .unwrap_err();
    assert_clean(fake, &e);
    e
}

// ---- happy path and the call log

#[tokio::test]
async fn resolve_then_send_markdown_and_the_call_log_is_clean() {
    let (fake, client, c) = setup().await;
    let r = client.resolve(&c, &[phone(MOBILE)]).await.unwrap();
    assert_eq!(r, vec![Resolution::Found(USER.into())]);
    let report = client
        .send(&c, &users(&[USER, "lisi"]), &msg("**hi**"))
        .await
        .unwrap();
    assert!(report.rejected.is_empty());
    assert!(report.message_id.is_some());
    let out = fake.outbox();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].touser, vec!["lisi", "zhangsan"]);
    assert_eq!(out[0].msgtype, "markdown");
    for call in fake.calls() {
        let token = call.query_param("access_token");
        if call.endpoint == FakeEndpoint::GetToken {
            assert_eq!(call.method, "GET");
            assert_eq!(call.query_param("corpsecret").as_deref(), Some(SECRET));
            assert!(call.body.is_empty());
            assert!(token.is_none());
            continue;
        }
        // The secret only on gettoken; the token only as the query parameter.
        let token = token.expect("access_token in the query");
        assert!(!call.body.contains(SECRET) && !call.body.contains(&token));
        for (name, value) in &call.headers {
            assert!(!value.contains(SECRET) && !value.contains(&token), "{name}");
        }
        assert!(!call.query.as_deref().unwrap().contains(SECRET));
        assert_eq!(call.method, "POST");
    }
    let send = &fake.calls_to(FakeEndpoint::MessageSend)[0];
    let v = send.json();
    assert!(v["agentid"].is_i64(), "agentid is a JSON number");
    assert_eq!(v["agentid"], AGENT);
    assert_eq!(
        v["touser"], "lisi|zhangsan",
        "canonical: sorted, lower-case"
    );
    assert_eq!(v["enable_duplicate_check"], 1);
    assert_eq!(v["duplicate_check_interval"], 14_400);
    let content = v["markdown"]["content"].as_str().unwrap();
    assert!(
        content.starts_with(
            "**hi**\n\n[https://console.example.com/events/42](https://console.example.com/events/42)\n<font color=\"comment\">ref "
        ),
        "{content}"
    );
}

#[tokio::test]
async fn template_id_with_a_link_sends_a_text_notice_card() {
    let (fake, client, c) = setup().await;
    let mut m = msg("**hi**");
    m.template_id = Some("tpl-1".into());
    let report = client.send_test(&c, &phone(MOBILE), &m).await.unwrap();
    assert_eq!(report.user_id, USER);
    assert!(report.kind.contains("template card"));
    let v = fake.calls_to(FakeEndpoint::MessageSend)[0].json();
    assert_eq!(v["msgtype"], "template_card");
    assert_eq!(v["template_card"]["card_type"], "text_notice");
    assert_eq!(v["template_card"]["card_action"]["type"], 1);
    assert_eq!(
        v["template_card"]["card_action"]["url"],
        "https://console.example.com/events/42"
    );
    assert_eq!(fake.outbox().len(), 1);
}

// ---- tokens (contract 9.3)

#[tokio::test]
async fn one_token_for_many_calls_and_concurrent_callers_share_one_fetch() {
    let (fake, client, c) = setup().await;
    let (a, b, d) = tokio::join!(
        client.check_credentials(&c),
        client.check_credentials(&c),
        client.check_credentials(&c)
    );
    a.and(b).and(d).unwrap();
    for i in 0..5 {
        client
            .send(&c, &users(&[USER]), &msg(&format!("m{i}")))
            .await
            .unwrap();
    }
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 1);
    assert_eq!(fake.outbox().len(), 5);
}

#[tokio::test]
async fn token_is_refreshed_before_expiry() {
    let (fake, client, c) = setup().await;
    client.check_credentials(&c).await.unwrap();
    let step = Duration::from_secs(7200 - 300 + 1);
    client.advance_clock(step);
    fake.advance_clock(step);
    client.send(&c, &users(&[USER]), &msg("x")).await.unwrap();
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 2);
    // The old token was never presented after its refresh time: no 42001 answer.
    assert!(
        fake.calls()
            .iter()
            .all(|c| !c.response.contains("\"errcode\":42001"))
    );
}

#[tokio::test]
async fn revoked_token_gets_one_refresh_and_one_retry() {
    let (fake, client, c) = setup().await;
    client.check_credentials(&c).await.unwrap();
    fake.revoke_tokens();
    client.send(&c, &users(&[USER]), &msg("x")).await.unwrap();
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 2);
    assert_eq!(fake.calls_to(FakeEndpoint::MessageSend).len(), 2);
    assert_eq!(fake.outbox().len(), 1);
}

#[tokio::test]
async fn expired_token_42001_gets_one_refresh_and_one_retry() {
    let (fake, client, c) = setup().await;
    client.check_credentials(&c).await.unwrap();
    fake.advance_clock(Duration::from_secs(7201)); // the client does not know
    let r = client.resolve(&c, &[phone(MOBILE)]).await.unwrap();
    assert_eq!(r, vec![Resolution::Found(USER.into())]);
    let lookups = fake.calls_to(FakeEndpoint::GetUserId);
    assert!(lookups[0].response.contains("\"errcode\":42001"));
    assert_eq!(lookups.len(), 2);
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 2);
}

#[tokio::test]
async fn a_token_rejected_twice_fails_without_looping() {
    let (fake, client, c) = setup().await;
    fake.inject(FakeEndpoint::MessageSend, Fault::token_invalid(), 5);
    let e = client
        .send(&c, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TokenInvalid);
    assert_eq!(e.code, "40014");
    assert_eq!(fake.calls_to(FakeEndpoint::MessageSend).len(), 2);
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 2);
    assert!(fake.outbox().is_empty());
    assert_clean(&fake, &e);
}

#[tokio::test]
async fn bad_secret_is_not_retried_and_names_the_fix() {
    let (fake, client, _) = setup().await;
    let bad = creds("Wr0ngS3cretWr0ngS3cretWr0ng", Some(AGENT));
    let e = client
        .send(&bad, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::BadCredentials, "40001")
    );
    assert_eq!(e.disposition, Disposition::Permanent);
    assert!(e.fix.as_deref().unwrap().contains("Secret"));
    assert!(e.request_id.is_some(), "hint: [...] is the request id");
    assert_eq!(fake.calls().len(), 1, "only the one gettoken");
    assert!(!format!("{e} {e:?}").contains("Wr0ngS3cret"));
    fake.set_bad_secret_40091(true);
    let e = client.check_credentials(&bad).await.unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (ErrorKind::BadCredentials, "40091")
    );
}

#[tokio::test]
async fn unknown_corpid_says_agentid_is_often_pasted_there() {
    let (fake, client, _) = setup().await;
    let c = Credentials {
        app_id: "1000002".into(),
        secret: SecretString::from(SECRET.to_string()),
        agent_id: Some(AGENT),
    };
    let e = client.check_credentials(&c).await.unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::BadCredentials, "40013")
    );
    assert!(e.fix.as_deref().unwrap().contains("AgentId"), "{e}");
    assert_eq!(fake.calls().len(), 1);
    assert_clean(&fake, &e);
}

#[tokio::test]
async fn a_changed_secret_is_a_cache_miss() {
    let (fake, client, c) = setup().await;
    client.check_credentials(&c).await.unwrap();
    fake.update_app(CORP, AGENT, |a| {
        a.secret = "N3wS3cretAfterRotation0001".into()
    });
    let rotated = creds("N3wS3cretAfterRotation0001", Some(AGENT));
    client.check_credentials(&rotated).await.unwrap();
    assert_eq!(fake.calls_to(FakeEndpoint::GetToken).len(), 2);
}

#[tokio::test]
async fn agentid_of_another_app_is_bad_config_even_with_a_fresh_token() {
    let (fake, client, _) = setup().await;
    let c = creds(SECRET, Some(1000003));
    let e = client
        .send(&c, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::BadConfig, "301002")
    );
    assert!(
        e.message
            .contains("AgentId does not belong to this Secret's app")
    );
    assert_eq!(
        fake.calls_to(FakeEndpoint::MessageSend).len(),
        1,
        "not retried"
    );
    let e = client
        .send(&creds(SECRET, Some(999)), &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (ErrorKind::BadConfig, "40056"));
}

#[tokio::test]
async fn missing_agentid_is_bad_config_without_a_call() {
    let (fake, client, _) = setup().await;
    let c = creds(SECRET, None);
    for e in [
        client.check_credentials(&c).await.unwrap_err(),
        client.resolve(&c, &[phone(MOBILE)]).await.unwrap_err(),
        client
            .send(&c, &users(&[USER]), &msg("x"))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(e.kind, ErrorKind::BadConfig);
    }
    assert!(fake.calls().is_empty());
}

// ---- lookups

#[tokio::test]
async fn not_found_is_an_answer_and_is_not_asked_again() {
    let (fake, client, c) = setup().await;
    let keys = [phone("13500135000"), phone(MOBILE)];
    let r = client.resolve(&c, &keys).await.unwrap();
    assert_eq!(
        r,
        vec![Resolution::NotFound, Resolution::Found(USER.into())]
    );
    let r = client.resolve(&c, &keys[..1]).await.unwrap();
    assert_eq!(r, vec![Resolution::NotFound]);
    let asked: Vec<Value> = fake
        .calls_to(FakeEndpoint::GetUserId)
        .iter()
        .map(|c| c.json()["mobile"].clone())
        .collect();
    assert_eq!(
        asked,
        vec![Value::from("13500135000"), Value::from(MOBILE)],
        "the miss is cached"
    );
    // After an hour the miss is asked again.
    client.advance_clock(Duration::from_secs(3601));
    client.resolve(&c, &keys[..1]).await.unwrap();
    assert_eq!(fake.calls_to(FakeEndpoint::GetUserId).len(), 3);
}

#[tokio::test]
async fn member_outside_visibility_is_an_outside_scope_error() {
    let (fake, client, c) = setup().await;
    let e = client
        .resolve(&c, &[phone("13700137000")])
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::OutsideScope, "60011")
    );
    assert!(e.fix.as_deref().unwrap().contains("可见范围"));
    assert_eq!(e.disposition, Disposition::Permanent);
    assert_clean(&fake, &e);
}

#[tokio::test]
async fn email_tries_personal_then_corporate_and_login_needs_no_call() {
    let (fake, client, c) = setup().await;
    let r = client
        .resolve(
            &c,
            &[
                LookupKey::Email("zs@example.com".into()),
                LookupKey::Email("wangwu@corp.example".into()),
                LookupKey::Email("not-an-email".into()),
                LookupKey::Login("lisi".into()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        r,
        vec![
            Resolution::Found(USER.into()),
            Resolution::Found("wangwu".into()),
            Resolution::NotFound,
            Resolution::Found("lisi".into()),
        ]
    );
    let types: Vec<Value> = fake
        .calls_to(FakeEndpoint::GetUserIdByEmail)
        .iter()
        .map(|c| c.json()["email_type"].clone())
        .collect();
    assert_eq!(types, vec![Value::from(2), Value::from(2), Value::from(1)]);
    assert_eq!(fake.calls_to(FakeEndpoint::GetUserId).len(), 0);
}

#[tokio::test]
async fn too_many_wrong_lookups_block_lookups_as_throttled() {
    let (fake, client, c) = setup().await;
    fake.set_seat_limit(5); // 20 % = 1
    let r = client
        .resolve(&c, &[phone("13500135001"), phone("13500135002")])
        .await
        .unwrap();
    assert_eq!(r, vec![Resolution::NotFound, Resolution::NotFound]);
    let e = client.resolve(&c, &[phone(MOBILE)]).await.unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Throttled, "45009")
    );
    assert_eq!(e.disposition, Disposition::Retry);
    assert!(e.retry_after >= Some(Duration::from_secs(60)));
}

#[tokio::test]
async fn send_test_not_found_and_refused_receivers_are_errors() {
    let (fake, client, c) = setup().await;
    let e = client
        .send_test(&c, &phone("13500135000"), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(
        e.message.contains("not found or not visible to this app"),
        "{e}"
    );
    assert!(e.fix.is_some());
    // A login that is not a WeCom userid: 81013 from the platform.
    let e = client
        .send_test(&c, &LookupKey::Login("zhang.san@corp".into()), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::ReceiverRefused, "81013")
    );
    assert!(e.fix.as_deref().unwrap().contains("userid (账号)"), "{e}");
    assert!(e.fix.as_deref().unwrap().contains("use Phone"), "{e}");
    assert!(fake.outbox().is_empty());
    let ok = client
        .send_test(&c, &phone(MOBILE), &msg("x"))
        .await
        .unwrap();
    assert_eq!(ok.user_id, USER);
    assert_eq!(ok.kind, "markdown message");
}

// ---- partial failures, size, idempotency, pacing

#[tokio::test]
async fn invalid_and_unlicensed_receivers_are_rejected_per_receiver() {
    let (fake, client, c) = setup().await;
    fake.set_unlicensed("lisi");
    let report = client
        .send(&c, &users(&[USER, "Ghost", "lisi", "nobody"]), &msg("x"))
        .await
        .unwrap();
    let mut rejected: Vec<(String, String)> = report
        .rejected
        .iter()
        .map(|(id, e)| (id.clone(), e.code.clone()))
        .collect();
    rejected.sort();
    assert_eq!(
        rejected,
        vec![
            ("Ghost".into(), "invaliduser".into()),
            ("lisi".into(), "unlicenseduser".into()),
            ("nobody".into(), "invaliduser".into()),
        ]
    );
    assert!(
        report
            .rejected
            .iter()
            .all(|(_, e)| e.kind == ErrorKind::ReceiverRefused
                && e.disposition == Disposition::Permanent)
    );
    assert_eq!(fake.outbox()[0].touser, vec!["zhangsan"]);
}

#[tokio::test]
async fn long_markdown_is_cut_to_2048_bytes_at_a_char_boundary() {
    let (fake, client, c) = setup().await;
    fake.set_oversize(Oversize::Reject);
    let long = "告警内容".repeat(400); // 4800 bytes
    client.send(&c, &users(&[USER]), &msg(&long)).await.unwrap();
    let v = fake.calls_to(FakeEndpoint::MessageSend)[0].json();
    let content = v["markdown"]["content"].as_str().unwrap();
    assert!(content.len() <= CONTENT_LIMIT, "{}", content.len());
    // Cut before the reference line, which always stays.
    let (body, reference) = content.rsplit_once('\n').unwrap();
    assert!(body.ends_with('…'), "{body}");
    assert!(
        reference.starts_with("<font color=\"comment\">ref "),
        "{reference}"
    );
    assert_eq!(fake.outbox().len(), 1);
}

#[tokio::test]
async fn a_timed_out_send_may_have_been_delivered_and_its_retry_is_deduplicated() {
    let (fake, client, c) = setup_with(Duration::from_millis(500)).await;
    client.check_credentials(&c).await.unwrap();
    fake.inject(FakeEndpoint::MessageSend, Fault::Delay { ms: 1500 }, 1);
    let m = msg("**deploy failed**");
    let e = client.send(&c, &users(&[USER]), &m).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_eq!(e.disposition, Disposition::MayHaveBeenDelivered);
    assert_clean(&fake, &e);
    let report = client.send(&c, &users(&[USER]), &m).await.unwrap();
    let sends = fake.calls_to(FakeEndpoint::MessageSend);
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0].body, sends[1].body, "the retry is byte-identical");
    assert_eq!(sends[1].json()["enable_duplicate_check"], 1);
    assert_eq!(fake.outbox().len(), 1, "delivered once");
    assert_eq!(fake.duplicates(), 1);
    assert_eq!(
        report.message_id.as_deref(),
        Some(fake.outbox()[0].msgid.as_str())
    );
}

#[tokio::test]
async fn the_same_receivers_in_another_order_give_the_same_body() {
    let (fake, client, c) = setup().await;
    client
        .send(&c, &users(&["lisi", USER]), &msg("x"))
        .await
        .unwrap();
    client
        .send(&c, &users(&[USER, "LISI", "lisi"]), &msg("x"))
        .await
        .unwrap();
    let sends = fake.calls_to(FakeEndpoint::MessageSend);
    assert_eq!(sends[0].body, sends[1].body);
    assert_eq!(fake.outbox().len(), 1);
}

#[tokio::test]
async fn per_receiver_limit_is_enforced_before_wecom_drops_silently() {
    let (fake, client, c) = setup().await;
    for i in 0..30 {
        client
            .send(&c, &users(&[USER]), &msg(&format!("m{i}")))
            .await
            .unwrap();
    }
    let e = client
        .send(&c, &users(&[USER]), &msg("m30"))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.disposition),
        (ErrorKind::Throttled, Disposition::Retry)
    );
    assert!(e.retry_after.is_some_and(|w| w <= Duration::from_secs(60)));
    // Another receiver in the same call still gets it.
    let report = client
        .send(&c, &users(&[USER, "lisi"]), &msg("m31"))
        .await
        .unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].0, USER);
    assert!(
        fake.dropped().is_empty(),
        "nothing reached WeCom's silent drop"
    );
    assert_eq!(fake.calls_to(FakeEndpoint::MessageSend).len(), 31);
    // Spacing: a minute later it goes out again.
    client.advance_clock(Duration::from_secs(61));
    fake.advance_clock(Duration::from_secs(61));
    client
        .send(&c, &users(&[USER]), &msg("later"))
        .await
        .unwrap();
    assert!(fake.dropped().is_empty());
}

// ---- error mapping (contract sec. 6)

#[tokio::test]
async fn every_errcode_in_the_table_is_mapped() {
    let (fake, client, c) = setup().await;
    use Disposition::{Permanent, Retry};
    let cases: Vec<(Fault, &str, ErrorKind, Disposition)> = vec![
        (Fault::system_busy(), "-1", ErrorKind::Server, Retry),
        (Fault::freq_limit(), "45009", ErrorKind::Throttled, Retry),
        (
            Fault::too_concurrent(),
            "45033",
            ErrorKind::Throttled,
            Retry,
        ),
        (
            Fault::api_forbidden(),
            "48002",
            ErrorKind::MissingPermission { scope: None },
            Permanent,
        ),
        (
            Fault::no_privilege(),
            "60011",
            ErrorKind::OutsideScope,
            Permanent,
        ),
        (
            Fault::not_in_scope(),
            "50002",
            ErrorKind::OutsideScope,
            Permanent,
        ),
        (
            Fault::all_invalid("zhangsan"),
            "81013",
            ErrorKind::ReceiverRefused,
            Permanent,
        ),
        (
            Fault::all_empty(),
            "82001",
            ErrorKind::ReceiverRefused,
            Permanent,
        ),
        (
            Fault::errcode(40056, "invalid agentid"),
            "40056",
            ErrorKind::BadConfig,
            Permanent,
        ),
        (
            Fault::errcode(
                301002,
                "not allow operate another agent with this accesstoken.",
            ),
            "301002",
            ErrorKind::BadConfig,
            Permanent,
        ),
        (
            Fault::errcode(40058, "invalid Request Parameter"),
            "40058",
            ErrorKind::InvalidRequest,
            Permanent,
        ),
        (
            Fault::errcode(44004, "empty content"),
            "44004",
            ErrorKind::Content,
            Permanent,
        ),
        (
            Fault::errcode(45002, "content size out of limit"),
            "45002",
            ErrorKind::Content,
            Permanent,
        ),
        (
            Fault::errcode(46004, "user not found"),
            "46004",
            ErrorKind::NotFound,
            Permanent,
        ),
        (
            Fault::errcode(40013, "invalid corpid"),
            "40013",
            ErrorKind::BadCredentials,
            Permanent,
        ),
        (
            Fault::errcode(40091, "secret is invalid"),
            "40091",
            ErrorKind::Server,
            Permanent,
        ),
        (
            Fault::errcode(99999, "something new"),
            "99999",
            ErrorKind::Server,
            Permanent,
        ),
    ];
    for (fault, code, kind, disposition) in cases {
        let e = send_err(&fake, &client, &c, fault).await;
        assert_eq!(
            (e.code.as_str(), &e.kind, e.disposition),
            (code, &kind, disposition),
            "{e}"
        );
        assert!(e.fix.is_some(), "{code} has a fix");
        assert!(
            e.request_id.as_deref().is_some_and(|id| id.len() == 16),
            "{code}: {e:?}"
        );
        assert!(!e.message.contains("hint:"), "{e}");
    }
    assert_eq!(
        send_err(&fake, &client, &c, Fault::freq_limit())
            .await
            .retry_after,
        Some(Duration::from_secs(60))
    );
    assert!(fake.outbox().is_empty());
}

#[tokio::test]
async fn trusted_ip_refusal_names_the_ip_to_add() {
    let (fake, client, c) = setup().await;
    fake.update_app(CORP, AGENT, |a| {
        a.trusted_ips = Some(["10.1.2.3".to_string()].into())
    });
    let e = client
        .send(&c, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "60020");
    assert_eq!(
        e.kind,
        ErrorKind::IpNotAllowed {
            ip: Some("127.0.0.1".into())
        }
    );
    assert_eq!(e.disposition, Disposition::Permanent);
    assert!(
        e.fix
            .as_deref()
            .unwrap()
            .starts_with("add 127.0.0.1 to the app's Trusted IP (企业可信IP) list"),
        "{e}"
    );
    assert_eq!(
        fake.calls_to(FakeEndpoint::MessageSend).len(),
        1,
        "never retried"
    );
    assert_clean(&fake, &e);
    fake.update_app(CORP, AGENT, |a| {
        a.trusted_ips = Some(["127.0.0.1".to_string()].into())
    });
    client.send(&c, &users(&[USER]), &msg("x")).await.unwrap();
}

#[tokio::test]
async fn the_fake_takes_the_client_ip_from_the_test_header() {
    let (fake, client, c) = setup().await;
    fake.update_app(CORP, AGENT, |a| {
        a.trusted_ips = Some(["10.1.2.3".to_string()].into())
    });
    client.check_credentials(&c).await.unwrap();
    let token = fake.issued_tokens().pop().unwrap();
    let url = format!(
        "{}/cgi-bin/user/getuserid?access_token={token}",
        fake.base_url()
    );
    notifydesk::personal::install_tls_provider();
    let http = reqwest::Client::new();
    for (ip, code) in [("10.1.2.3", 0), ("198.51.100.7", 60020)] {
        let v: Value = http
            .post(&url)
            .header(wecom_fake::CLIENT_IP_HEADER, ip)
            .body(format!(r#"{{"mobile":"{MOBILE}"}}"#))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["errcode"], code, "{v}");
    }
}

#[tokio::test]
async fn unreadable_answers_on_a_send_may_have_been_delivered() {
    let (fake, client, c) = setup().await;
    for (fault, code, disposition) in [
        (
            Fault::Html { status: 502 },
            "http-502",
            Disposition::MayHaveBeenDelivered,
        ),
        (Fault::Html { status: 503 }, "http-503", Disposition::Retry),
        (
            Fault::InvalidJson,
            "bad-response",
            Disposition::MayHaveBeenDelivered,
        ),
        (
            Fault::Truncated,
            "bad-response",
            Disposition::MayHaveBeenDelivered,
        ),
        (
            Fault::ConnectionReset,
            "network",
            Disposition::MayHaveBeenDelivered,
        ),
    ] {
        let e = send_err(&fake, &client, &c, fault).await;
        assert_eq!((e.code.as_str(), e.disposition), (code, disposition), "{e}");
        assert_eq!(e.kind, ErrorKind::Server);
    }
    // The same faults before anything is sent (a lookup) are plain retries.
    fake.inject(FakeEndpoint::GetUserId, Fault::Html { status: 502 }, 1);
    let e = client.resolve(&c, &[phone(MOBILE)]).await.unwrap_err();
    assert_eq!(e.disposition, Disposition::Retry);
}

#[tokio::test]
async fn unreachable_server_is_a_retry() {
    let (fake, client, c) = setup().await;
    drop(fake);
    let e = client
        .send(&c, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable);
    assert_eq!(e.disposition, Disposition::Retry);
}

#[tokio::test]
async fn echoed_secret_and_token_never_reach_an_error() {
    let (fake, client, c) = setup().await;
    fake.inject(
        FakeEndpoint::GetToken,
        Fault::errcode(
            40058,
            &format!("bad corpsecret {SECRET} ({})", &SECRET[4..20]),
        ),
        1,
    );
    let e = client.check_credentials(&c).await.unwrap_err();
    assert!(e.message.contains("[redacted]"), "{e}");
    assert_clean(&fake, &e);
    client.check_credentials(&c).await.unwrap();
    let token = fake.issued_tokens().pop().unwrap();
    fake.inject(
        FakeEndpoint::MessageSend,
        Fault::errcode(
            40058,
            &format!("invalid Request Parameter access_token={token}"),
        ),
        1,
    );
    let e = client
        .send(&c, &users(&[USER]), &msg("x"))
        .await
        .unwrap_err();
    assert!(e.message.contains("[redacted]"), "{e}");
    assert_clean(&fake, &e);
    assert!(!format!("{client:?}").contains(SECRET));
}

/// A remembered "not found" never answers Test Message Sending: the admin may just have
/// added the member to the app's visibility scope and is asking again.
#[tokio::test]
async fn test_message_sending_asks_wecom_again_after_a_not_found() {
    let (fake, client, c) = setup().await;
    let unknown = "13500135000";
    let e = client
        .send_test(&c, &phone(unknown), &msg("x"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    fake.add_user("lisi", unknown, "lisi@example.com");
    let report = client
        .send_test(&c, &phone(unknown), &msg("x"))
        .await
        .unwrap();
    assert_eq!(report.user_id, "lisi");
}

/// An answer without `errcode` is not WeCom's (a proxy, a wrong base URL): a send that got it
/// is never a delivery.
#[tokio::test]
async fn an_answer_without_errcode_is_not_a_delivery() {
    let (fake, client, c) = setup().await;
    client.check_credentials(&c).await.unwrap();
    fake.inject(
        FakeEndpoint::MessageSend,
        Fault::Json { body: "{}".into() },
        1,
    );
    let e = client
        .send(&c, &users(&[USER]), &msg("hi"))
        .await
        .unwrap_err();
    assert_eq!(e.disposition, Disposition::MayHaveBeenDelivered, "{e}");
}
