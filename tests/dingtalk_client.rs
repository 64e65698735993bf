//! The DingTalk client against the fake server on 127.0.0.1.

mod common;

use common::test_content::{card, markdown};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint, Fault};
use notifydesk::dingtalk::{
    Client, ClientOptions, Credentials, DingTalkError, Endpoints, ErrorKind, Step,
};
use notifydesk::domain::Mobile;
use secrecy::ExposeSecret;
use serde_json::Value;

const KEY: &str = "dingk3yapp0001";
const SECRET: &str = "S3cr3t-AppSecret-9f8e7d6c5b4a";
const MOBILE: &str = "13800138000";
const USER: &str = "manager4711";
const TEMPLATE: &str = "tpl-0001.schema";

async fn setup_with(options: ClientOptions) -> (FakeDingTalk, Client, Credentials) {
    let fake = FakeDingTalk::start().await.unwrap();
    fake.add_app(FakeApp::new(KEY, SECRET).with_card_template(TEMPLATE));
    fake.add_user(MOBILE, USER);
    let client = Client::new(Endpoints::single(&fake.base_url()).unwrap(), options).unwrap();
    (fake, client, Credentials::new(KEY, SECRET))
}

async fn setup() -> (FakeDingTalk, Client, Credentials) {
    setup_with(ClientOptions {
        timeout: Duration::from_secs(3),
        ..ClientOptions::default()
    })
    .await
}

fn mobile(s: &str) -> Mobile {
    Mobile::parse(s).unwrap()
}

/// Every token the fake ever saw or issued, plus the secret.
fn secrets(fake: &FakeDingTalk) -> Vec<String> {
    let mut out = vec![SECRET.to_string()];
    out.extend(fake.valid_tokens());
    for c in fake.calls() {
        if let Some(t) = c.header("x-acs-dingtalk-access-token") {
            out.push(t.to_string());
        }
        if let Some(q) = &c.query {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                if k == "access_token" {
                    out.push(v.into_owned());
                }
            }
        }
    }
    out.retain(|s| s.len() >= 8 && s != "bad-token");
    out
}

/// The error's Display/Debug/meaning/fix never contain a secret, and it explains itself.
fn check(e: &DingTalkError, fake: &FakeDingTalk) {
    let texts = [
        e.to_string(),
        format!("{e:?}"),
        format!("{e:#?}"),
        e.meaning(),
        e.fix(),
    ];
    for s in secrets(fake) {
        for t in &texts {
            assert!(!t.contains(&s), "secret {s:?} leaked in {t}");
        }
    }
    let line = e.to_string();
    assert!(
        line.starts_with(&format!("DingTalk error {}: ", e.code)),
        "{line}"
    );
    assert!(line.contains(". Fix: "), "{line}");
    assert!(!line.contains('\n'));
    assert!(!e.meaning().is_empty() && !e.fix().is_empty());
}

fn body(c: &dingtalk_fake::CallRecord) -> Value {
    c.json_body().expect("JSON body")
}

#[tokio::test]
async fn success_path_uses_one_token_and_sends_msgparam_as_string() {
    let (fake, client, creds) = setup().await;
    let uid = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap();
    assert_eq!(uid, USER);
    for i in 0..3 {
        let r = client
            .send_markdown(
                &creds,
                std::slice::from_ref(&uid),
                &format!("T{i}"),
                "**hello**",
            )
            .await
            .unwrap();
        assert!(!r.process_query_key.is_empty());
        assert!(r.invalid_user_ids.is_empty() && r.flow_controlled_user_ids.is_empty());
    }
    let report = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap();
    assert_eq!(report.user_id, USER);
    assert_eq!(fake.token_calls(), 1, "token cached across 5 operations");

    let outbox = fake.outbox();
    assert_eq!(outbox.len(), 4);
    assert_eq!(outbox[3].msg_key.as_deref(), Some("sampleMarkdown"));
    assert_eq!(
        outbox[3].msg_param.as_ref().unwrap()["title"],
        "notifydesk test message"
    );
    assert_eq!(outbox[3].process_query_key, report.process_query_key);
    assert_eq!(
        outbox[0].robot_code, KEY,
        "robotCode defaults to the AppKey"
    );

    let tokens = fake.valid_tokens();
    assert_eq!(tokens.len(), 1);
    let token = &tokens[0];
    for c in fake.calls_to(FakeEndpoint::BatchSend) {
        let b = body(&c);
        assert!(b["msgParam"].is_string(), "msgParam must be a JSON string");
        let p: Value = serde_json::from_str(b["msgParam"].as_str().unwrap()).unwrap();
        assert!(p["title"].is_string() && p["text"].is_string());
        assert_eq!(b["msgKey"], "sampleMarkdown");
        assert_eq!(
            c.header("x-acs-dingtalk-access-token"),
            Some(token.as_str())
        );
        assert!(c.query.is_none(), "no token in the query of new-API calls");
        assert!(
            c.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
    for c in fake.calls_to(FakeEndpoint::GetByMobile) {
        assert_eq!(
            c.query.as_deref(),
            Some(format!("access_token={token}").as_str())
        );
        assert!(c.header("x-acs-dingtalk-access-token").is_none());
        assert!(c.header("authorization").is_none());
        assert_eq!(body(&c), serde_json::json!({"mobile": MOBILE}));
    }
    let token_call = &fake.calls_to(FakeEndpoint::Token)[0];
    assert!(token_call.query.is_none(), "secret never in a query string");
    assert_eq!(body(token_call)["appKey"], KEY);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let (fake, client, creds) = setup().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, creds) = (client.clone(), creds.clone());
        tasks.push(tokio::spawn(async move {
            client.access_token(&creds).await.unwrap()
        }));
    }
    let mut seen = Vec::new();
    for t in tasks {
        seen.push(t.await.unwrap().expose_secret().to_string());
    }
    seen.dedup();
    assert_eq!(seen.len(), 1);
    assert_eq!(fake.token_calls(), 1);
    client.invalidate_token(KEY);
    client.access_token(&creds).await.unwrap();
    assert_eq!(
        fake.token_calls(),
        2,
        "invalidate_token forces a new request"
    );
    // A changed secret is a different cache entry (and here: bad credentials).
    let other = Credentials::new(KEY, "another-secret-value");
    let e = client.access_token(&other).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadCredentials);
    check(&e, &fake);
}

#[tokio::test]
async fn refreshes_before_expiry_at_ttl_minus_margin() {
    let (fake, client, creds) = setup().await;
    let t1 = client.access_token(&creds).await.unwrap();
    // Just before TTL - margin (7200 - 300): still cached.
    fake.advance_clock(Duration::from_secs(6800));
    client.advance_clock(Duration::from_secs(6800));
    client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap();
    assert_eq!(fake.token_calls(), 1);
    // Past TTL - margin: refreshed before DingTalk would reject it.
    fake.advance_clock(Duration::from_secs(120));
    client.advance_clock(Duration::from_secs(120));
    client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap();
    assert_eq!(fake.token_calls(), 2);
    let t2 = client.access_token(&creds).await.unwrap();
    assert_eq!(
        t1.expose_secret(),
        t2.expose_secret(),
        "DingTalk returns the same token (extended) while it is valid"
    );
    assert_eq!(fake.token_calls(), 2);
    assert_eq!(
        fake.calls_to(FakeEndpoint::BatchSend).len(),
        2,
        "no rejected call"
    );
}

#[tokio::test]
async fn server_side_expiry_refreshes_once_and_retries_once() {
    let (fake, client, creds) = setup().await;
    let t1 = client.access_token(&creds).await.unwrap();
    fake.expire_tokens();
    client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap();
    assert_eq!(fake.token_calls(), 2);
    let sends = fake.calls_to(FakeEndpoint::BatchSend);
    assert_eq!(sends.len(), 2);
    assert_eq!(
        sends[0].header("x-acs-dingtalk-access-token"),
        Some(t1.expose_secret())
    );
    assert_ne!(
        sends[1].header("x-acs-dingtalk-access-token"),
        Some(t1.expose_secret())
    );

    // Legacy family: 88/40014, and 88/42001 when the fake reports expiry that way.
    fake.expire_tokens();
    assert_eq!(
        client
            .user_id_by_mobile(&creds, &mobile(MOBILE))
            .await
            .unwrap(),
        USER
    );
    assert_eq!(fake.token_calls(), 3);
    fake.set_expired_token_code_42001(true);
    fake.expire_tokens();
    assert_eq!(
        client
            .user_id_by_mobile(&creds, &mobile(MOBILE))
            .await
            .unwrap(),
        USER
    );
    assert_eq!(fake.token_calls(), 4);
    let lookups = fake.calls_to(FakeEndpoint::GetByMobile);
    assert_eq!(lookups.len(), 4);

    // Cards too.
    fake.expire_tokens();
    let params = BTreeMap::from([("title".to_string(), "x".to_string())]);
    client
        .send_card(&creds, TEMPLATE, USER, "track-1", &params)
        .await
        .unwrap();
    assert_eq!(fake.token_calls(), 5);
}

#[tokio::test]
async fn token_still_rejected_after_refresh_fails_without_more_retries() {
    let (fake, client, creds) = setup().await;
    fake.inject(FakeEndpoint::BatchSend, Fault::InvalidAuthentication, 5);
    let e = client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::TokenInvalid);
    assert_eq!(e.code, "InvalidAuthentication");
    assert_eq!(e.http_status, Some(400));
    assert_eq!(e.step, Step::Send);
    assert!(!e.is_transient());
    check(&e, &fake);
    assert_eq!(
        fake.calls_to(FakeEndpoint::BatchSend).len(),
        2,
        "exactly one retry"
    );
    assert_eq!(fake.token_calls(), 2);

    fake.inject(FakeEndpoint::GetByMobile, Fault::LegacyInvalidToken, 2);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::TokenInvalid, "88/40014")
    );
    check(&e, &fake);
    assert_eq!(fake.calls_to(FakeEndpoint::GetByMobile).len(), 2);
}

#[tokio::test]
async fn bad_credentials_are_not_retried() {
    let (fake, client, _) = setup().await;
    let creds = Credentials::new(KEY, "wrong-secret-123456");
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadCredentials);
    assert_eq!(e.code, "invalidClientIdOrSecret");
    assert_eq!(e.step, Step::Token);
    assert!(e.fix().contains("Client Secret"), "{}", e.fix());
    assert!(e.fix().contains("Credentials & Basic Info"));
    assert!(!e.is_transient());
    assert!(!e.to_string().contains("wrong-secret-123456"));
    check(&e, &fake);
    assert_eq!(fake.token_calls(), 1);
    assert!(fake.calls_to(FakeEndpoint::GetByMobile).is_empty());
    // Unknown app key: same.
    let e = client
        .access_token(&Credentials::new("nokey", SECRET))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadCredentials);
    check(&e, &fake);
    assert_eq!(fake.token_calls(), 2);
}

struct Case {
    endpoint: FakeEndpoint,
    fault: Fault,
    kind: ErrorKind,
    code: &'static str,
    status: Option<u16>,
    /// `is_transient()`: safe to retry the same call (for sends: proven not delivered).
    transient: bool,
}

fn case(
    endpoint: FakeEndpoint,
    fault: Fault,
    kind: ErrorKind,
    code: &'static str,
    status: Option<u16>,
    transient: bool,
) -> Case {
    Case {
        endpoint,
        fault,
        kind,
        code,
        status,
        transient,
    }
}

#[tokio::test]
async fn every_injected_fault_maps_to_its_error() {
    use ErrorKind as K;
    use FakeEndpoint as E;
    let scope = |s: &str| K::MissingPermission { scope: s.into() };
    let cases = vec![
        // New API, on batchSend.
        case(
            E::BatchSend,
            Fault::QpsLimitForAppkeyAndApi,
            K::RateLimited,
            "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
            Some(403),
            true,
        ),
        case(
            E::BatchSend,
            Fault::QpsLimitForApi,
            K::RateLimited,
            "Forbidden.AccessDenied.QpsLimitForApi",
            Some(403),
            true,
        ),
        case(
            E::BatchSend,
            Fault::QpmLimitForAppkeyAndApi,
            K::RateLimited,
            "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi",
            Some(403),
            true,
        ),
        case(
            E::BatchSend,
            Fault::AccessTokenPermissionDenied {
                scope: "qyapi_robot_sendmsg".into(),
            },
            scope("qyapi_robot_sendmsg"),
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            Some(403),
            false,
        ),
        case(
            E::BatchSend,
            Fault::IpNotInWhiteList,
            K::IpNotAllowed,
            "Forbidden.AccessDenied.IpNotInWhiteList",
            Some(403),
            false,
        ),
        case(
            E::BatchSend,
            Fault::ApiCountLimitForOrg,
            K::QuotaExceeded,
            "Forbidden.AccessDenied.ApiCountLimitForOrg",
            Some(403),
            false,
        ),
        case(
            E::BatchSend,
            Fault::SystemBusy429,
            K::RateLimited,
            "system.busy",
            Some(429),
            true,
        ),
        case(
            E::BatchSend,
            Fault::SendTooFast,
            K::RateLimited,
            "send.too.fast",
            Some(400),
            true,
        ),
        case(
            E::BatchSend,
            Fault::SystemError500,
            K::ServerBusy,
            "system.error",
            Some(500),
            false,
        ),
        case(
            E::BatchSend,
            Fault::UnknownError500,
            K::ServerBusy,
            "unknownError",
            Some(500),
            false,
        ),
        case(
            E::BatchSend,
            Fault::ServiceUnavailableEmpty,
            K::ServerBusy,
            "HTTP 503",
            Some(503),
            true,
        ),
        case(
            E::BatchSend,
            Fault::IpBan,
            K::IpBanned,
            "ip-ban",
            Some(200),
            true,
        ),
        case(
            E::BatchSend,
            Fault::HtmlPage,
            K::BadResponse,
            "html-page",
            Some(200),
            false,
        ),
        case(
            E::BatchSend,
            Fault::InvalidJson,
            K::BadResponse,
            "invalid-json",
            Some(200),
            false,
        ),
        case(
            E::BatchSend,
            Fault::TruncatedBody,
            K::BadResponse,
            "invalid-json",
            Some(200),
            false,
        ),
        case(
            E::BatchSend,
            Fault::DropConnection,
            K::Network,
            "network",
            None,
            false,
        ),
        case(
            E::BatchSend,
            Fault::NewApiError {
                status: 400,
                code: "template.stopped".into(),
                message: "机器人模板已经停用".into(),
            },
            K::RobotCodeMismatch,
            "template.stopped",
            Some(400),
            false,
        ),
        // Legacy, on getbymobile.
        case(
            E::GetByMobile,
            Fault::LegacySystemBusy,
            K::ServerBusy,
            "-1",
            Some(200),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyAppQps,
            K::RateLimited,
            "90018",
            Some(200),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyGlobalQps,
            K::RateLimited,
            "88/90002",
            Some(200),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyQuota,
            K::QuotaExceeded,
            "90020",
            Some(200),
            false,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyMissingScope {
                scope: "qyapi_get_member_by_mobile".into(),
            },
            scope("qyapi_get_member_by_mobile"),
            "88/60011",
            Some(200),
            false,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyIpNotAllowed,
            K::IpNotAllowed,
            "88/60020",
            Some(200),
            false,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyOutsideScope,
            K::OutsideVisibility,
            "50002",
            Some(200),
            false,
        ),
        case(
            E::GetByMobile,
            Fault::LegacyError {
                errcode: 40104,
                sub_code: None,
                errmsg: "企业中无效的手机号".into(),
            },
            K::InvalidMobile,
            "40104",
            Some(200),
            false,
        ),
        case(
            E::GetByMobile,
            Fault::IpBan,
            K::IpBanned,
            "ip-ban",
            Some(200),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::HtmlPage,
            K::BadResponse,
            "html-page",
            Some(200),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::ServiceUnavailableEmpty,
            K::ServerBusy,
            "HTTP 503",
            Some(503),
            true,
        ),
        case(
            E::GetByMobile,
            Fault::DropConnection,
            K::Network,
            "network",
            None,
            true,
        ),
        case(
            E::GetByMobile,
            Fault::QpsLimitForAppkeyAndApi,
            K::RateLimited,
            "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
            Some(403),
            true,
        ),
        // Token endpoint.
        case(
            E::Token,
            Fault::SystemError500,
            K::ServerBusy,
            "system.error",
            Some(500),
            true,
        ),
        case(
            E::Token,
            Fault::TruncatedBody,
            K::BadResponse,
            "invalid-json",
            Some(200),
            true,
        ),
        case(
            E::Token,
            Fault::HtmlPage,
            K::BadResponse,
            "html-page",
            Some(200),
            true,
        ),
        case(
            E::Token,
            Fault::IpBan,
            K::IpBanned,
            "ip-ban",
            Some(200),
            true,
        ),
        case(
            E::Token,
            Fault::DropConnection,
            K::Network,
            "network",
            None,
            true,
        ),
        case(
            E::Token,
            Fault::SystemBusy429,
            K::RateLimited,
            "system.busy",
            Some(429),
            true,
        ),
        // Cards.
        case(
            E::CardDeliver,
            Fault::NewApiError {
                status: 500,
                code: "system.busy".into(),
                message: "系统繁忙".into(),
            },
            K::ServerBusy,
            "system.busy",
            Some(500),
            true,
        ),
        case(
            E::CardDeliver,
            Fault::AccessTokenPermissionDenied {
                scope: "Card.Instance.Write".into(),
            },
            scope("Card.Instance.Write"),
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            Some(403),
            false,
        ),
        case(
            E::CardDeliver,
            Fault::InvalidJson,
            K::BadResponse,
            "invalid-json",
            Some(200),
            false,
        ),
    ];
    let (fake, client, creds) = setup().await;
    let params = BTreeMap::from([("title".to_string(), "t".to_string())]);
    for (i, c) in cases.into_iter().enumerate() {
        if c.endpoint == E::Token {
            client.invalidate_token(KEY);
        }
        fake.inject(c.endpoint, c.fault.clone(), 1);
        let before = fake.calls_to(c.endpoint).len();
        let result = match c.endpoint {
            E::Token => client.access_token(&creds).await.map(|_| ()),
            E::GetByMobile => client
                .user_id_by_mobile(&creds, &mobile(MOBILE))
                .await
                .map(|_| ()),
            E::BatchSend => client
                .send_markdown(&creds, &[USER.into()], "t", "x")
                .await
                .map(|_| ()),
            E::CardDeliver => client
                .send_card(&creds, TEMPLATE, USER, &format!("track-{i}"), &params)
                .await
                .map(|_| ()),
            _ => unreachable!(),
        };
        let e = result.expect_err(&format!("{:?} should fail", c.fault));
        let what = format!("{:?} → {e}", c.fault);
        assert_eq!(e.kind, c.kind, "{what}");
        assert_eq!(e.code, c.code, "{what}");
        assert_eq!(e.http_status, c.status, "{what}");
        assert_eq!(e.is_transient(), c.transient, "{what}");
        assert_eq!(
            fake.calls_to(c.endpoint).len(),
            before + 1,
            "not retried: {what}"
        );
        check(&e, &fake);
        if let K::MissingPermission { scope } = &e.kind {
            assert!(e.fix().contains(scope.as_str()), "{what}");
            assert!(e.fix().contains("Permission Management"));
        }
        if c.kind == K::IpBanned {
            assert!(e.fix().contains("5 minutes"), "{what}");
            assert_eq!(e.retry_after(), Some(Duration::from_secs(300)));
        }
        if e.step == Step::Send && matches!(c.kind, K::Network | K::BadResponse) {
            assert!(e.may_have_been_delivered(), "{what}");
        }
    }
    // Faults are consumed: everything works again.
    client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap();
}

#[tokio::test]
async fn lookup_errors_user_not_found_and_invalid_mobile() {
    let (fake, client, creds) = setup().await;
    fake.add_user_with("13900139000", "gone", false, true);
    for number in ["13700137000", "13900139000"] {
        let e = client
            .user_id_by_mobile(&creds, &mobile(number))
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind.clone(), e.code.as_str()),
            (ErrorKind::UserNotFound, "60121")
        );
        assert!(
            e.meaning()
                .contains("no active member of the organisation has this phone number")
        );
        assert!(e.fix().contains("currently employed"));
        assert!(!e.is_transient());
        check(&e, &fake);
    }
    // The fake's exact-match rule pins what the client sends: "+86..." input is sent as 11 digits.
    client
        .user_id_by_mobile(&creds, &mobile("+86 138-0013-8000"))
        .await
        .unwrap();
    assert_eq!(
        body(fake.calls_to(FakeEndpoint::GetByMobile).last().unwrap())["mobile"],
        MOBILE
    );
    fake.inject(
        FakeEndpoint::GetByMobile,
        Fault::LegacyError {
            errcode: 40104,
            sub_code: None,
            errmsg: "企业中无效的手机号".into(),
        },
        1,
    );
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.step),
        (ErrorKind::InvalidMobile, Step::Lookup)
    );
    assert!(
        e.to_string().contains("企业中无效的手机号"),
        "DingTalk's message is kept"
    );
    check(&e, &fake);
}

#[tokio::test]
async fn missing_scopes_are_named() {
    let (fake, client, creds) = setup().await;
    fake.update_app(KEY, |a| {
        a.scopes.remove("qyapi_get_member_by_mobile");
    });
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(e.code, "88/60011");
    assert_eq!(e.step, Step::Lookup);
    assert_eq!(
        e.kind,
        ErrorKind::MissingPermission {
            scope: "qyapi_get_member_by_mobile".into()
        }
    );
    assert!(e.fix().contains("`qyapi_get_member_by_mobile`"));
    assert!(e.fix().contains("Permission Management") && e.fix().contains("publish"));
    check(&e, &fake);

    fake.update_app(KEY, |a| {
        a.scopes.insert("qyapi_get_member_by_mobile".into());
        a.scopes.remove("qyapi_robot_sendmsg");
    });
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(e.code, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!((e.step, e.http_status), (Step::Send, Some(403)));
    assert_eq!(
        e.kind,
        ErrorKind::MissingPermission {
            scope: "qyapi_robot_sendmsg".into()
        }
    );
    assert!(e.fix().contains("`qyapi_robot_sendmsg`"));
    check(&e, &fake);

    fake.update_app(KEY, |a| {
        a.scopes.remove("Card.Instance.Write");
    });
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &card(TEMPLATE))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.step),
        (
            ErrorKind::MissingPermission {
                scope: "Card.Instance.Write".into()
            },
            Step::Card
        )
    );
    check(&e, &fake);
}

#[tokio::test]
async fn ip_allow_list_robot_disabled_and_robot_code_mismatch() {
    let (fake, client, creds) = setup().await;
    fake.update_app(KEY, |a| a.ip_allowed = false);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::IpNotAllowed, "88/60020")
    );
    assert!(e.fix().contains("egress"));
    check(&e, &fake);
    let e = client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (
            ErrorKind::IpNotAllowed,
            "Forbidden.AccessDenied.IpNotInWhiteList"
        )
    );
    check(&e, &fake);

    fake.update_app(KEY, |a| {
        a.ip_allowed = true;
        a.robot_enabled = false;
    });
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::RobotNotEnabled, "chatbotId.notAllow.sendOTO")
    );
    assert!(e.fix().contains("Robot capability") && e.fix().contains("publish"));
    check(&e, &fake);

    fake.update_app(KEY, |a| a.robot_enabled = true);
    fake.add_app(FakeApp::new("otherapp", "other-secret"));
    let mut wrong = creds.clone();
    wrong.robot_code = Some("otherapp".into());
    let e = client
        .send_markdown(&wrong, &[USER.into()], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (
            ErrorKind::RobotCodeMismatch,
            "invalidParameter.robotCode.auth"
        )
    );
    check(&e, &fake);
    assert_eq!(
        body(fake.calls_to(FakeEndpoint::BatchSend).last().unwrap())["robotCode"],
        "otherapp"
    );
}

#[tokio::test]
async fn partial_results_and_test_send_outcomes() {
    let (fake, client, creds) = setup().await;
    fake.add_user_with("13900139000", "outsider", true, false);
    fake.add_user("13700137000", "busy");
    fake.force_flow_controlled("busy");
    let ids: Vec<String> = vec![USER.into(), "outsider".into(), "busy".into()];
    let r = client.send_markdown(&creds, &ids, "t", "x").await.unwrap();
    assert_eq!(r.invalid_user_ids, vec!["outsider"]);
    assert_eq!(r.flow_controlled_user_ids, vec!["busy"]);
    assert_eq!(fake.outbox()[0].user_ids, vec![USER]);

    let e = client
        .send_test_message(&creds, &mobile("13900139000"), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::OutsideVisibility, "invalidStaffIdList")
    );
    assert!(!e.is_transient());
    assert!(e.fix().contains("visibility scope"));
    check(&e, &fake);

    let e = client
        .send_test_message(&creds, &mobile("13700137000"), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::RateLimited, "flowControlledStaffIdList")
    );
    assert!(e.is_transient());
    check(&e, &fake);

    fake.force_invalid(USER);
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutsideVisibility);
}

#[tokio::test]
async fn too_many_or_no_receivers_are_rejected_before_any_request() {
    let (fake, client, creds) = setup().await;
    let ids: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    let e = client
        .send_markdown(&creds, &ids, "t", "x")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::InvalidRequest, "userIds.overMax")
    );
    check(&e, &fake);
    let e = client
        .send_markdown(&creds, &[], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidRequest);
    assert!(fake.calls().is_empty(), "nothing was sent");
    // 20 is fine.
    let ids: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
    let r = client.send_markdown(&creds, &ids, "t", "x").await.unwrap();
    assert_eq!(r.invalid_user_ids.len(), 20);
}

#[tokio::test]
async fn timeout_is_fast_and_not_retried() {
    let (fake, client, creds) = setup_with(ClientOptions {
        timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    })
    .await;
    client.access_token(&creds).await.unwrap();
    // The answer would take a minute: only the client's 300 ms timeout ends the call this
    // early, however loaded the machine is.
    fake.inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 60_000 }, 1);
    let started = Instant::now();
    let e = client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Timeout, "timeout")
    );
    assert!(e.meaning().contains("within 0.3 s"), "{}", e.meaning());
    assert!(e.meaning().contains("may or may not have been sent"));
    assert!(e.may_have_been_delivered());
    assert!(
        !e.is_transient(),
        "an ambiguous send is not retried blindly"
    );
    check(&e, &fake);
    assert_eq!(fake.calls_to(FakeEndpoint::BatchSend).len(), 1);

    fake.inject(FakeEndpoint::GetByMobile, Fault::Delay { ms: 2000 }, 1);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!((e.kind.clone(), e.step), (ErrorKind::Timeout, Step::Lookup));
    assert!(!e.meaning().contains("may or may not"));
    check(&e, &fake);

    // A delay shorter than the timeout is just slow.
    fake.inject(FakeEndpoint::BatchSend, Fault::Delay { ms: 50 }, 1);
    client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap();
}

#[tokio::test]
async fn card_send_with_template_id() {
    let (fake, client, creds) = setup().await;
    let report = client
        .send_test_message(&creds, &mobile(MOBILE), &card(TEMPLATE))
        .await
        .unwrap();
    assert_eq!(report.user_id, USER);
    assert!(!report.process_query_key.is_empty());
    let outbox = fake.outbox();
    assert_eq!(outbox.len(), 1);
    let sent = &outbox[0];
    assert_eq!(sent.card_template_id.as_deref(), Some(TEMPLATE));
    assert_eq!(sent.user_ids, vec![USER]);
    assert_eq!(
        sent.card_params.as_ref().unwrap()["title"],
        "notifydesk test message"
    );
    assert!(fake.calls_to(FakeEndpoint::BatchSend).is_empty());
    let call = &fake.calls_to(FakeEndpoint::CardDeliver)[0];
    let b = body(call);
    assert_eq!(b["openSpaceId"], format!("dtv1.card//IM_ROBOT.{USER}"));
    assert_eq!(b["imRobotOpenDeliverModel"]["spaceType"], "IM_ROBOT");
    assert_eq!(b["imRobotOpenDeliverModel"]["robotCode"], KEY);
    assert_eq!(b["cardTemplateId"], TEMPLATE);
    assert!(call.query.is_none());

    // Same outTrackId again: idempotent, no second card.
    let params = BTreeMap::from([("title".to_string(), "x".to_string())]);
    let r1 = client
        .send_card(&creds, TEMPLATE, USER, "trk", &params)
        .await
        .unwrap();
    let r2 = client
        .send_card(&creds, TEMPLATE, USER, "trk", &params)
        .await
        .unwrap();
    assert_eq!(r1, r2);
    assert_eq!(r1.out_track_id, "trk");
    assert_eq!(fake.outbox().len(), 2);

    let e = client
        .send_card(&creds, "no-such-template", USER, "trk2", &params)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::TemplateNotFound, "param.templateNotExist")
    );
    check(&e, &fake);

    fake.add_user_with("13900139000", "outsider", true, false);
    let e = client
        .send_test_message(&creds, &mobile("13900139000"), &card(TEMPLATE))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.step),
        (ErrorKind::OutsideVisibility, Step::Card)
    );
    check(&e, &fake);
}

#[tokio::test]
async fn connection_refused_is_a_network_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let client = Client::new(Endpoints::single(&base).unwrap(), ClientOptions::default()).unwrap();
    let e = client
        .access_token(&Credentials::new(KEY, SECRET))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::Network, "connect")
    );
    assert!(e.is_transient());
    assert!(!format!("{e} {e:?}").contains(SECRET));
    // A local failure says which host it could not reach, not "DingTalk error".
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("Could not reach 127.0.0.1:{port}:")),
        "{text}"
    );
    assert!(text.contains("--dingtalk-api"), "{text}");
}

#[test]
fn background_fake_serves_admin_endpoints_to_other_processes() {
    let fake = FakeDingTalk::start_background();
    fake.add_app(FakeApp::new(KEY, SECRET));
    fake.add_user(MOBILE, USER);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        notifydesk::personal::install_tls_provider();
        let http = reqwest::Client::new();
        let base = fake.base_url();
        let admin = |path: &str, body: Value| {
            let req = http.post(format!("{base}/__fake/{path}")).json(&body);
            async move { req.send().await.unwrap().status().as_u16() }
        };
        let inject = serde_json::json!({"endpoint": "batch_send", "fault": {"type": "system_error500"}, "times": 1});
        assert_eq!(admin("inject", inject).await, 200);
        assert_eq!(admin("inject", serde_json::json!({"endpoint": "nope"})).await, 400);
        let client = Client::new(Endpoints::single(&base).unwrap(), ClientOptions::default()).unwrap();
        let creds = Credentials::new(KEY, SECRET);
        let e = client
            .send_test_message(&creds, &mobile(MOBILE), &markdown())
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ServerBusy);
        client.send_test_message(&creds, &mobile(MOBILE), &markdown()).await.unwrap();
        assert_eq!(admin("token/expire", Value::Null).await, 200);
        assert_eq!(admin("clock/advance", serde_json::json!({"seconds": 60})).await, 200);
        let state: Value = http
            .get(format!("{base}/__fake/state"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(state["outbox"].as_array().unwrap().len(), 1);
        assert_eq!(state["token_calls"], 1);
        assert!(state["calls"].as_array().unwrap().len() >= 4);
        assert_eq!(admin("reset", Value::Null).await, 200);
    });
    assert!(fake.outbox().is_empty());
    assert!(fake.valid_tokens().is_empty());
    let addr = fake.addr();
    drop(fake);
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
        "stopped on drop"
    );
}

#[tokio::test]
async fn fake_refuses_non_loopback_addresses() {
    let e = FakeDingTalk::start_on("0.0.0.0:0".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}
