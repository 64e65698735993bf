//! How far the DingTalk client trusts what comes back: retry hints, throttling, ambiguous send
//! outcomes, filtered/stale receivers, redirects, echoed secrets, request ids, overseas numbers.
//! Everything runs against the fake (or raw listeners) on 127.0.0.1.

mod common;

use common::test_content::{card, markdown};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint, Fault};
use notifydesk::dingtalk::{
    Client, ClientOptions, Credentials, DingTalkError, Disposition, Endpoints, ErrorKind, Step,
    TestMessageKind,
};
use notifydesk::domain::Mobile;
use secrecy::ExposeSecret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const KEY: &str = "dingk3yapp0002";
/// Random-looking on purpose: no 6-character piece of it occurs in our own wording.
const SECRET: &str = "Zq7Wx2Kp9Lm4Rt8Vb3Nc6Hj5";
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

async fn send_err(client: &Client, creds: &Credentials) -> DingTalkError {
    client
        .send_markdown(creds, &[USER.into()], "t", "x")
        .await
        .unwrap_err()
}

/// No 6-character piece of `secret` in `text`.
fn assert_no_piece(text: &str, secret: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for w in chars.windows(6) {
        let piece: String = w.iter().collect();
        assert!(
            !text.contains(&piece),
            "piece {piece:?} of a secret in {text}"
        );
    }
}

/// Everything an error can show.
fn all_text(e: &DingTalkError) -> String {
    format!(
        "{e}\n{e:?}\n{}\n{}\n{}\n{:?}",
        e.meaning(),
        e.fix(),
        e.code,
        e.request_id
    )
}

// ---- item 4: Retry-After

#[tokio::test]
async fn retry_after_header_seconds_and_http_date_are_captured() {
    let (fake, client, creds) = setup().await;
    let cases: Vec<(Fault, Option<Duration>, Duration)> = vec![
        (
            Fault::TooManyRequests {
                retry_after: Some("7".into()),
            },
            Some(Duration::from_secs(7)),
            Duration::from_secs(7),
        ),
        (
            Fault::TooManyRequests {
                retry_after: Some("0".into()),
            },
            Some(Duration::ZERO),
            Duration::from_secs(1),
        ),
        (
            Fault::TooManyRequests { retry_after: None },
            None,
            Duration::from_secs(1),
        ),
        (
            Fault::Unavailable {
                retry_after: Some("120".into()),
            },
            Some(Duration::from_secs(120)),
            Duration::from_secs(120),
        ),
        (
            Fault::Unavailable {
                retry_after: Some("soon".into()),
            },
            None,
            Duration::from_secs(1),
        ),
    ];
    for (fault, server, least) in cases {
        fake.inject(FakeEndpoint::BatchSend, fault.clone(), 1);
        let e = send_err(&client, &creds).await;
        assert_eq!(e.server_retry_after, server, "{fault:?}: {e}");
        assert_eq!(e.retry_after(), Some(least), "{fault:?}: {e}");
        assert_eq!(e.disposition(), Disposition::Retry, "{fault:?}: {e}");
    }

    // An HTTP date about two minutes ahead.
    let at = chrono::Utc::now() + chrono::Duration::seconds(120);
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::Unavailable {
            retry_after: Some(date.clone()),
        },
        1,
    );
    let e = send_err(&client, &creds).await;
    let wait = e.server_retry_after.expect(&date);
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(121),
        "{date}: {wait:?}"
    );
    assert_eq!(e.retry_after(), Some(wait));
    // A date in the past means "now": the kind's own minimum applies.
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::Unavailable {
            retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        },
        1,
    );
    let e = send_err(&client, &creds).await;
    assert_eq!(e.server_retry_after, Some(Duration::ZERO));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));

    // The token endpoint too.
    client.invalidate_token(KEY);
    fake.inject(
        FakeEndpoint::Token,
        Fault::TooManyRequests {
            retry_after: Some("30".into()),
        },
        1,
    );
    let e = client.access_token(&creds).await.unwrap_err();
    assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
}

// ---- item 5: IP ban

#[tokio::test]
async fn ip_ban_json_or_html_waits_at_least_five_minutes() {
    let (fake, client, creds) = setup().await;
    for fault in [Fault::IpBan, Fault::IpBanPage] {
        fake.inject(FakeEndpoint::BatchSend, fault.clone(), 1);
        let e = send_err(&client, &creds).await;
        assert_eq!(e.kind, ErrorKind::IpBanned, "{fault:?}: {e}");
        assert!(
            e.retry_after().unwrap() >= Duration::from_secs(300),
            "{fault:?}: {e}"
        );
        assert_eq!(e.disposition(), Disposition::Retry, "{fault:?}");
        assert!(e.fix().contains("5 minutes"));
        fake.inject(FakeEndpoint::GetByMobile, fault.clone(), 1);
        let e = client
            .user_id_by_mobile(&creds, &mobile(MOBILE))
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::IpBanned, "{fault:?}: {e}");
        assert!(e.retry_after().unwrap() >= Duration::from_secs(300));
    }
    // A plain HTML page (captive portal, proxy) is not a ban.
    fake.inject(FakeEndpoint::GetByMobile, Fault::HtmlPage, 1);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadResponse);
}

// ---- item 7: throttling codes

#[tokio::test]
async fn throttling_codes_are_rate_limited_with_precise_wording() {
    let (fake, client, creds) = setup().await;
    let new_api = [
        ("Throttling", "flow control"),
        ("Throttling.User", "per-user flow control"),
        ("Throttling.Api", "shared by all"),
    ];
    for (code, wording) in new_api {
        fake.inject(
            FakeEndpoint::BatchSend,
            Fault::Throttling { code: code.into() },
            1,
        );
        let e = send_err(&client, &creds).await;
        assert_eq!(
            (e.kind.clone(), e.code.as_str()),
            (ErrorKind::RateLimited, code)
        );
        assert!(e.meaning().contains(wording), "{code}: {}", e.meaning());
        assert_eq!(e.disposition(), Disposition::Retry, "{code}");
        assert!(e.retry_after() >= Some(Duration::from_secs(1)));
    }
    // The same codes with 400 instead of 403.
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::NewApiError {
            status: 400,
            code: "Throttling.User".into(),
            message: "Request was denied due to user flow control.".into(),
        },
        1,
    );
    assert_eq!(send_err(&client, &creds).await.kind, ErrorKind::RateLimited);

    fake.inject(FakeEndpoint::BatchSend, Fault::QpsLimitForAppkeyAndApi, 1);
    let e = send_err(&client, &creds).await;
    assert!(e.meaning().contains("per-app"), "{}", e.meaning());
    fake.inject(FakeEndpoint::BatchSend, Fault::QpsLimitForApi, 1);
    let e = send_err(&client, &creds).await;
    assert!(e.meaning().contains("shared by all"), "{}", e.meaning());

    // Legacy: 90018 (per app) and 90002 (per API, all tenants), top level or as sub_code.
    let legacy = [
        (90018, None, "90018", "per-app"),
        (88, Some("90018"), "88/90018", "per-app"),
        (90002, None, "90002", "shared by all"),
        (88, Some("90002"), "88/90002", "shared by all"),
    ];
    for (errcode, sub, code, wording) in legacy {
        fake.inject(
            FakeEndpoint::GetByMobile,
            Fault::LegacyError {
                errcode,
                sub_code: sub.map(String::from),
                errmsg: "调用太频繁".into(),
            },
            1,
        );
        let e = client
            .user_id_by_mobile(&creds, &mobile(MOBILE))
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind.clone(), e.code.as_str()),
            (ErrorKind::RateLimited, code)
        );
        assert!(e.meaning().contains(wording), "{code}: {}", e.meaning());
        assert_eq!(e.disposition(), Disposition::Retry);
    }
}

// ---- item 8: filteredStaffIdList

#[tokio::test]
async fn filtered_receiver_is_reported_and_fails_the_test_message() {
    let (fake, client, creds) = setup().await;
    fake.add_user("13700137000", "other");
    fake.force_filtered(USER);
    let r = client
        .send_markdown(&creds, &[USER.into(), "other".into()], "t", "x")
        .await
        .unwrap();
    assert_eq!(r.filtered_user_ids, vec![USER]);
    assert!(r.invalid_user_ids.is_empty() && r.flow_controlled_user_ids.is_empty());
    assert_eq!(fake.outbox()[0].user_ids, vec!["other"]);

    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str(), e.step),
        (ErrorKind::Filtered, "filteredStaffIdList", Step::Send)
    );
    assert!(e.meaning().contains("filtered"), "{}", e.meaning());
    assert!(e.fix().contains("blocked"), "{}", e.fix());
    assert!(e.to_string().contains(USER));
    assert_eq!(e.disposition(), Disposition::Permanent);
}

// ---- item 10: stale userid, no robot conversation

#[tokio::test]
async fn stale_userid_and_missing_robot_conversation_are_named() {
    let (fake, client, creds) = setup().await;
    fake.rename_user(USER, "manager4711-new");
    fake.force_stale(USER);
    let e = send_err(&client, &creds).await;
    assert_eq!(
        (e.kind.clone(), e.code.as_str(), e.http_status),
        (ErrorKind::StaleUserId, "staffId.notExisted", Some(400))
    );
    assert_eq!(e.disposition(), Disposition::Permanent);
    assert!(e.meaning().contains("no longer exists"), "{}", e.meaning());
    assert!(fake.outbox().is_empty());
    // The caller looks the member up again and gets the new userid.
    let fresh = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap();
    assert_eq!(fresh, "manager4711-new");
    client
        .send_markdown(&creds, std::slice::from_ref(&fresh), "t", "x")
        .await
        .unwrap();

    fake.force_no_conversation(&fresh);
    let e = client
        .send_markdown(&creds, &[fresh], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::NoRobotConversation, "robot.oto.notExist")
    );
    assert_ne!(e.kind, ErrorKind::RobotNotEnabled);
    assert!(
        e.meaning().contains("one-to-one conversation"),
        "{}",
        e.meaning()
    );
    assert_eq!(e.disposition(), Disposition::Permanent);
    assert_eq!(fake.outbox().len(), 1);
}

// ---- item 11: dispositions

/// Issues one token, then closes: the next call finds nobody listening (connection refused
/// before anything was written).
async fn token_then_gone() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        drop(listener);
        read_request(&mut sock).await;
        let body = r#"{"accessToken":"0123456789abcdef0123456789abcdef","expireIn":7200}"#;
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(resp.as_bytes()).await.unwrap();
        sock.shutdown().await.ok();
    });
    format!("http://{addr}")
}

/// Read one HTTP/1.1 request with a Content-Length body.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return buf;
            }
        }
    }
}

#[tokio::test]
async fn send_failures_are_retry_permanent_or_ambiguous() {
    use Disposition::{MayHaveBeenDelivered as Maybe, Permanent, Retry};
    use FakeEndpoint as E;
    let api = |status: u16, code: &str| Fault::NewApiError {
        status,
        code: code.into(),
        message: "m".into(),
    };
    let (fake, client, creds) = setup().await;
    let trap_addr = "http://127.0.0.1:9/elsewhere".to_string();
    let cases: Vec<(E, Fault, usize, Disposition)> = vec![
        // Proven not sent, may work later.
        (E::BatchSend, Fault::SystemBusy429, 1, Retry),
        (E::BatchSend, api(429, "whatever"), 1, Retry),
        (
            E::BatchSend,
            Fault::TooManyRequests { retry_after: None },
            1,
            Retry,
        ),
        (E::BatchSend, Fault::QpsLimitForAppkeyAndApi, 1, Retry),
        (E::BatchSend, Fault::QpsLimitForApi, 1, Retry),
        (E::BatchSend, Fault::QpmLimitForAppkeyAndApi, 1, Retry),
        (E::BatchSend, Fault::SendTooFast, 1, Retry),
        (
            E::BatchSend,
            Fault::Throttling {
                code: "Throttling.Api".into(),
            },
            1,
            Retry,
        ),
        (E::BatchSend, api(500, "system.busy"), 1, Retry),
        (E::BatchSend, api(400, "systemBusy"), 1, Retry),
        (E::BatchSend, api(503, "system.error"), 1, Maybe),
        (E::BatchSend, Fault::ServiceUnavailableEmpty, 1, Retry),
        (
            E::BatchSend,
            Fault::Unavailable { retry_after: None },
            1,
            Retry,
        ),
        (E::BatchSend, Fault::IpBan, 1, Retry),
        (E::BatchSend, Fault::IpBanPage, 1, Retry),
        // Needs someone to change something.
        (E::BatchSend, Fault::InvalidAuthentication, 2, Permanent),
        (
            E::BatchSend,
            Fault::AccessTokenPermissionDenied {
                scope: "qyapi_robot_sendmsg".into(),
            },
            1,
            Permanent,
        ),
        (E::BatchSend, Fault::IpNotInWhiteList, 1, Permanent),
        (E::BatchSend, Fault::ApiCountLimitForOrg, 1, Permanent),
        (
            E::BatchSend,
            api(400, "invalidParameter.msgParam.invalid"),
            1,
            Permanent,
        ),
        (
            E::BatchSend,
            api(400, "chatbotId.notAllow.sendOTO"),
            1,
            Permanent,
        ),
        (E::BatchSend, api(400, "staffId.notExisted"), 1, Permanent),
        (E::BatchSend, api(400, "robot.oto.notExist"), 1, Permanent),
        (E::BatchSend, api(400, "some.unknown.code"), 1, Permanent),
        (
            E::BatchSend,
            Fault::Redirect {
                status: 307,
                location: trap_addr.clone(),
            },
            1,
            Permanent,
        ),
        // DingTalk may have delivered it.
        (E::BatchSend, Fault::SystemError500, 1, Maybe),
        (E::BatchSend, Fault::UnknownError500, 1, Maybe),
        (E::BatchSend, api(502, ""), 1, Maybe),
        (E::BatchSend, api(504, "server.error"), 1, Maybe),
        (E::BatchSend, Fault::HtmlPage, 1, Maybe),
        (E::BatchSend, Fault::InvalidJson, 1, Maybe),
        (E::BatchSend, Fault::TruncatedBody, 1, Maybe),
        (E::BatchSend, api(200, "x"), 1, Maybe),
        (E::BatchSend, Fault::DropConnection, 1, Maybe),
        // Cards follow the same rules.
        (E::CardDeliver, api(500, "system.busy"), 1, Retry),
        (E::CardDeliver, Fault::SystemError500, 1, Maybe),
        (E::CardDeliver, Fault::InvalidJson, 1, Maybe),
        (E::CardDeliver, Fault::IpBan, 1, Retry),
        // Lookups and tokens: transient kinds retry, nothing is ambiguous.
        (E::GetByMobile, Fault::SystemError500, 1, Retry),
        (E::GetByMobile, Fault::HtmlPage, 1, Retry),
        (E::GetByMobile, Fault::DropConnection, 1, Retry),
        (E::GetByMobile, Fault::LegacySystemBusy, 1, Retry),
        (
            E::GetByMobile,
            Fault::LegacyError {
                errcode: 40104,
                sub_code: None,
                errmsg: "x".into(),
            },
            1,
            Permanent,
        ),
        (E::Token, Fault::TruncatedBody, 1, Retry),
        (
            E::Token,
            Fault::Redirect {
                status: 308,
                location: trap_addr.clone(),
            },
            1,
            Permanent,
        ),
    ];
    let params = std::collections::BTreeMap::from([("title".to_string(), "t".to_string())]);
    for (i, (endpoint, fault, times, want)) in cases.into_iter().enumerate() {
        if endpoint == E::Token {
            client.invalidate_token(KEY);
        }
        fake.inject(endpoint, fault.clone(), times);
        let e = match endpoint {
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
                .send_card(&creds, TEMPLATE, USER, &format!("trk-{i}"), &params)
                .await
                .map(|_| ()),
            _ => unreachable!(),
        }
        .expect_err(&format!("{fault:?} should fail"));
        assert_eq!(e.disposition(), want, "{endpoint:?} {fault:?}: {e}");
        assert_eq!(e.is_transient(), want == Retry, "{fault:?}");
        assert_eq!(e.may_have_been_delivered(), want == Maybe, "{fault:?}");
    }

    // A timeout after the request went out: ambiguous for a send, retryable for a lookup.
    let (fake, client, creds) = setup_with(ClientOptions {
        timeout: Duration::from_millis(300),
        ..ClientOptions::default()
    })
    .await;
    client.access_token(&creds).await.unwrap();
    fake.inject(E::BatchSend, Fault::Delay { ms: 2000 }, 1);
    let e = send_err(&client, &creds).await;
    assert_eq!(
        (e.kind.clone(), e.disposition()),
        (ErrorKind::Timeout, Maybe)
    );
    fake.inject(E::GetByMobile, Fault::Delay { ms: 2000 }, 1);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(e.disposition(), Retry);

    // Connection refused before anything was written: safe to retry even for a send.
    let base = token_then_gone().await;
    let client = Client::new(Endpoints::single(&base).unwrap(), ClientOptions::default()).unwrap();
    let e = send_err(&client, &creds).await;
    assert_eq!(
        (e.kind.clone(), e.step),
        (ErrorKind::Network, Step::Send),
        "{e}"
    );
    assert_eq!(e.disposition(), Retry, "{e}");
    assert!(e.meaning().contains("nothing was sent"), "{}", e.meaning());
}

// ---- item 12: redirects

/// A listener that records every connection and every byte it is sent.
struct Trap {
    base: String,
    connections: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
}

async fn trap() -> Trap {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (c, r) = (connections.clone(), received.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let req = read_request(&mut sock).await;
            r.lock().unwrap().extend_from_slice(&req);
            sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
                .await
                .ok();
        }
    });
    Trap {
        base,
        connections,
        received,
    }
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let (fake, client, creds) = setup().await;
    let trap = trap().await;
    let port = trap.base.rsplit(':').next().unwrap().to_string();
    let host = format!("127.0.0.1:{port}");
    let to_trap = |status: u16, path: &str| Fault::Redirect {
        status,
        location: format!("{}{path}", trap.base),
    };

    fake.inject(
        FakeEndpoint::Token,
        to_trap(307, "/v1.0/oauth2/accessToken"),
        1,
    );
    let e = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.step, e.http_status),
        (
            ErrorKind::Redirected { host: host.clone() },
            Step::Token,
            Some(307)
        )
    );
    assert!(e.to_string().contains(&host), "{e}");
    assert!(e.fix().contains("--dingtalk-api"), "{}", e.fix());
    assert_eq!(e.disposition(), Disposition::Permanent);

    client.access_token(&creds).await.unwrap();
    fake.inject(
        FakeEndpoint::BatchSend,
        to_trap(308, "/v1.0/robot/oToMessages/batchSend"),
        1,
    );
    let e = send_err(&client, &creds).await;
    assert_eq!(e.kind, ErrorKind::Redirected { host: host.clone() });
    fake.inject(
        FakeEndpoint::GetByMobile,
        to_trap(307, "/topapi/v2/user/getbymobile"),
        1,
    );
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Redirected { host: host.clone() });
    // A redirect without a Location names no host.
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::NewApiError {
            status: 302,
            code: "moved".into(),
            message: "m".into(),
        },
        1,
    );
    let e = send_err(&client, &creds).await;
    assert_eq!(
        e.kind,
        ErrorKind::Redirected {
            host: "unknown".into()
        }
    );

    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = String::from_utf8_lossy(&trap.received.lock().unwrap()).to_string();
    assert_eq!(
        trap.connections.load(Ordering::SeqCst),
        0,
        "the redirect target received: {got}"
    );
    assert!(!got.contains(SECRET) && !got.to_ascii_lowercase().contains("referer"));
}

// ---- item 13: redaction before truncation

#[tokio::test]
async fn secrets_echoed_by_the_server_are_redacted_whole_and_in_pieces() {
    let (fake, client, creds) = setup().await;
    let token = client.access_token(&creds).await.unwrap();
    let token = token.expose_secret().to_string();
    let check = |e: &DingTalkError, what: &str| {
        let text = all_text(e);
        assert!(text.contains("[redacted]"), "{what}: {text}");
        assert_no_piece(&text, SECRET);
        assert_no_piece(&text, &token);
    };

    // The server echoes the request: the token in the code, the body in the message.
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::EchoRequest { status: 400 },
        1,
    );
    let text = format!("{}{SECRET} and {}", "p".repeat(150), &SECRET[2..11]);
    let e = client
        .send_markdown(&creds, &[USER.into()], "t", &text)
        .await
        .unwrap_err();
    check(&e, "batchSend echo");
    fake.inject(
        FakeEndpoint::GetByMobile,
        Fault::EchoRequest { status: 400 },
        1,
    );
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    check(&e, "lookup echo (token in the query)");
    client.invalidate_token(KEY);
    fake.inject(FakeEndpoint::Token, Fault::EchoRequest { status: 400 }, 1);
    let e = client.access_token(&creds).await.unwrap_err();
    check(&e, "token echo (secret in the body)");
    let token = client.access_token(&creds).await.unwrap();
    let token = token.expose_secret().to_string();
    let check = |e: &DingTalkError, what: &str| {
        let text = all_text(e);
        assert!(text.contains("[redacted]"), "{what}: {text}");
        assert_no_piece(&text, SECRET);
        assert_no_piece(&text, &token);
    };

    // Whole and partial secrets placed around the 200-character cut.
    for at in (185..=205).step_by(4) {
        let pad = "x".repeat(at);
        let messages = [
            format!("{pad}{SECRET}"),
            format!("{pad}{token}"),
            format!("{pad}{}", &SECRET[..10]),
            format!("{pad}{}", &token[7..15]),
            format!("{}{pad}{}", &SECRET[12..], &token[..6]),
        ];
        for m in messages {
            fake.inject(
                FakeEndpoint::BatchSend,
                Fault::NewApiError {
                    status: 400,
                    code: format!("bad.{}", &token[..9]),
                    message: m.clone(),
                },
                1,
            );
            let e = send_err(&client, &creds).await;
            check(&e, &m);
            fake.inject(
                FakeEndpoint::GetByMobile,
                Fault::LegacyError {
                    errcode: 400002,
                    sub_code: None,
                    errmsg: m.clone(),
                },
                1,
            );
            let e = client
                .user_id_by_mobile(&creds, &mobile(MOBILE))
                .await
                .unwrap_err();
            let text = all_text(&e);
            assert_no_piece(&text, SECRET);
            assert_no_piece(&text, &token);
        }
    }
}

// ---- item 16: request ids

#[tokio::test]
async fn request_ids_are_kept_and_shown() {
    let (fake, client, creds) = setup().await;
    fake.inject(FakeEndpoint::BatchSend, Fault::SystemError500, 1);
    let e = send_err(&client, &creds).await;
    let id = e.request_id.clone().expect("new-API requestid");
    assert!(!id.is_empty() && id.len() <= 64, "{id}");
    assert!(
        e.to_string().ends_with(&format!(" [request id: {id}]")),
        "{e}"
    );
    fake.inject(FakeEndpoint::GetByMobile, Fault::LegacySystemBusy, 1);
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    let id = e.request_id.clone().expect("legacy request_id");
    assert!(
        e.to_string().contains(&format!("[request id: {id}]")),
        "{e}"
    );
    // Wrapped legacy errors carry it too.
    fake.inject(
        FakeEndpoint::GetByMobile,
        Fault::LegacyError {
            errcode: 88,
            sub_code: Some("60020".into()),
            errmsg: "x".into(),
        },
        1,
    );
    let e = client
        .user_id_by_mobile(&creds, &mobile(MOBILE))
        .await
        .unwrap_err();
    assert!(e.request_id.is_some());
    // No answer, no id.
    fake.inject(FakeEndpoint::BatchSend, Fault::DropConnection, 1);
    let e = send_err(&client, &creds).await;
    assert_eq!(e.request_id, None);
    assert!(!e.to_string().contains("request id"));
}

// ---- item 17: overseas numbers

#[tokio::test]
async fn overseas_numbers_are_looked_up_as_cc_dash_national() {
    let (fake, client, creds) = setup().await;
    fake.add_user("+852-91234567", "hk-member");
    for typed in [
        "+852 9123 4567",
        "+852-9123-4567",
        "+85291234567",
        "+852\u{a0}9123\u{202f}4567",
    ] {
        let uid = client
            .user_id_by_mobile(&creds, &mobile(typed))
            .await
            .unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(uid, "hk-member");
    }
    let sent = fake.calls_to(FakeEndpoint::GetByMobile);
    assert_eq!(
        sent.last().unwrap().json_body().unwrap()["mobile"],
        "+852-91234567"
    );
}

// ---- TestReport.kind

#[tokio::test]
async fn test_report_names_what_was_sent() {
    let (_fake, client, creds) = setup().await;
    let r = client
        .send_test_message(&creds, &mobile(MOBILE), &markdown())
        .await
        .unwrap();
    assert_eq!(r.kind, TestMessageKind::RobotMarkdown);
    assert_eq!(r.kind.label(), "robot markdown message");
    let r = client
        .send_test_message(&creds, &mobile(MOBILE), &card(TEMPLATE))
        .await
        .unwrap();
    assert_eq!(
        r.kind,
        TestMessageKind::Card {
            template_id: TEMPLATE.into()
        }
    );
    assert_eq!(r.kind.label(), format!("interactive card {TEMPLATE}"));
}

// ---- the fake's admin API knows the new cases

#[tokio::test]
async fn fake_admin_api_injects_the_new_cases() {
    let (fake, client, creds) = setup().await;
    notifydesk::personal::install_tls_provider();
    let http = reqwest::Client::new();
    let base = fake.base_url();
    let post = |path: &str, body: serde_json::Value| {
        let req = http.post(format!("{base}/__fake/{path}")).json(&body);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let inject = serde_json::json!({"endpoint": "batch_send",
        "fault": {"type": "too_many_requests", "retry_after": "9"}});
    assert_eq!(post("inject", inject).await, 200);
    assert_eq!(
        send_err(&client, &creds).await.retry_after(),
        Some(Duration::from_secs(9))
    );
    for fault in [
        serde_json::json!({"type": "redirect", "status": 307, "location": "http://127.0.0.1:9/"}),
        serde_json::json!({"type": "echo_request", "status": 400}),
        serde_json::json!({"type": "unavailable", "retry_after": null}),
        serde_json::json!({"type": "throttling", "code": "Throttling.User"}),
        serde_json::json!({"type": "ip_ban_page"}),
    ] {
        let body = serde_json::json!({"endpoint": "batch_send", "fault": fault});
        assert_eq!(post("inject", body).await, 200, "{fault}");
        send_err(&client, &creds).await;
    }
    let force = serde_json::json!({"filtered": [USER]});
    assert_eq!(post("force", force).await, 200);
    let r = client
        .send_markdown(&creds, &[USER.into()], "t", "x")
        .await
        .unwrap();
    assert_eq!(r.filtered_user_ids, vec![USER]);
    let rename = serde_json::json!({"old": USER, "new": "renamed"});
    assert_eq!(post("users/rename", rename.clone()).await, 200);
    assert_eq!(post("users/rename", rename).await, 404, "old id is gone");
    let force = serde_json::json!({"stale": [USER], "no_conversation": ["renamed"]});
    assert_eq!(post("force", force).await, 200);
    assert_eq!(send_err(&client, &creds).await.kind, ErrorKind::StaleUserId);
    let e = client
        .send_markdown(&creds, &["renamed".into()], "t", "x")
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NoRobotConversation);
}

// ---- found in review: tokens in odd answers, 503 with a code, huge lifetimes, endpoints

#[tokio::test]
async fn a_token_answer_that_is_not_clean_json_never_shows_the_token() {
    const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    // A byte-order mark and a proxy's trailer make it invalid JSON, with the token inside.
    let url = scripted(vec![
        "\u{feff}{\"accessToken\":\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\",\"expireIn\":7200} <!-- proxy -->",
    ])
    .await;
    let client = Client::new(Endpoints::single(&url).unwrap(), ClientOptions::default()).unwrap();
    let e = client
        .access_token(&Credentials::new(KEY, SECRET))
        .await
        .unwrap_err();
    let text = e.to_string();
    for i in 0..=TOKEN.len() - 6 {
        assert!(!text.contains(&TOKEN[i..i + 6]), "token piece in: {text}");
    }
    assert!(text.contains("withheld"), "{text}");
}

#[tokio::test]
async fn a_huge_token_lifetime_is_capped_not_a_crash() {
    let url = scripted(vec![
        r#"{"accessToken":"abcdef0123456789","expireIn":18446744073709551615}"#,
    ])
    .await;
    let client = Client::new(Endpoints::single(&url).unwrap(), ClientOptions::default()).unwrap();
    let token = client
        .access_token(&Credentials::new(KEY, SECRET))
        .await
        .unwrap();
    assert_eq!(token.expose_secret(), "abcdef0123456789");
}

#[tokio::test]
async fn a_503_with_a_server_error_code_may_have_delivered_a_send() {
    let (fake, client, creds) = setup().await;
    fake.inject(
        FakeEndpoint::BatchSend,
        Fault::NewApiError {
            status: 503,
            code: "system.error".into(),
            message: "系统错误".into(),
        },
        1,
    );
    let e = send_err(&client, &creds).await;
    assert_eq!(e.disposition(), Disposition::MayHaveBeenDelivered, "{e}");
    // A bare 503 from a gateway still proves nothing was processed.
    fake.inject(FakeEndpoint::BatchSend, Fault::ServiceUnavailableEmpty, 1);
    assert_eq!(
        send_err(&client, &creds).await.disposition(),
        Disposition::Retry
    );
}

#[test]
fn endpoints_never_echo_credentials_and_refuse_plain_http_beyond_loopback() {
    let e =
        Endpoints::new("https://user:pw@api.example/", "https://oapi.dingtalk.com").unwrap_err();
    let text = e.to_string();
    assert!(!text.contains("pw") && !text.contains("user:"), "{text}");
    let e = Endpoints::new(
        "https://api.example/?access_token=abcdef123456",
        "https://x.example",
    )
    .unwrap_err();
    assert!(!e.to_string().contains("abcdef123456"), "{e}");
    let e = Endpoints::new("http://api.example", "https://oapi.dingtalk.com").unwrap_err();
    assert!(e.to_string().contains("unencrypted"), "{e}");
    assert!(Endpoints::new("http://127.0.0.1:9", "http://localhost:9").is_ok());
}

/// The client's `Debug` shows where it talks to, never the tokens it holds.
#[tokio::test]
async fn the_clients_debug_shows_endpoints_and_no_token() {
    let (fake, client, creds) = setup().await;
    let token = client.access_token(&creds).await.unwrap();
    let shown = format!("{client:?}");
    assert!(shown.starts_with("Client {"), "{shown}");
    let port = format!("port: Some({})", fake.addr().port());
    assert!(shown.contains(&port), "{shown}");
    assert!(!shown.contains(token.expose_secret()), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}

/// A token that lives no longer than the refresh margin (300 s) is used for half its life.
#[tokio::test]
async fn a_short_lived_token_is_refreshed_at_half_its_life() {
    let (fake, client, creds) = setup().await;
    fake.set_token_ttl(Duration::from_secs(300));
    client.access_token(&creds).await.unwrap();
    client.access_token(&creds).await.unwrap();
    assert_eq!(fake.token_calls(), 1, "cached at first");
    for (by, calls) in [(140, 1), (20, 2)] {
        fake.advance_clock(Duration::from_secs(by));
        client.advance_clock(Duration::from_secs(by));
        client.access_token(&creds).await.unwrap();
        assert_eq!(fake.token_calls(), calls, "after {by} s more");
    }
}

/// Serves `answers` in order, one per connection (then closes it), as 200 JSON.
async fn scripted(answers: Vec<&'static str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        for body in answers {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            read_request(&mut sock).await;
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            sock.write_all(resp.as_bytes()).await.ok();
            sock.shutdown().await.ok();
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_lookup_answer_without_a_usable_userid_is_a_bad_response_and_numbers_are_text() {
    const TOKEN: &str = r#"{"accessToken":"abcdef0123456789","expireIn":7200}"#;
    // An empty userid is no userid: the answer is unusable, never a receiver named "".
    let url = scripted(vec![
        TOKEN,
        r#"{"errcode":0,"errmsg":"ok","result":{"userid":""}}"#,
    ])
    .await;
    let client = Client::new(Endpoints::single(&url).unwrap(), ClientOptions::default()).unwrap();
    let e = client
        .user_id_by_mobile(&Credentials::new(KEY, SECRET), &mobile(MOBILE))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind.clone(), e.code.as_str()),
        (ErrorKind::BadResponse, "missing-field")
    );
    // Some tenants' userids are digits, sent as a JSON number: used as the same text.
    let url = scripted(vec![
        TOKEN,
        r#"{"errcode":0,"errmsg":"ok","result":{"userid":4711}}"#,
    ])
    .await;
    let client = Client::new(Endpoints::single(&url).unwrap(), ClientOptions::default()).unwrap();
    let id = client
        .user_id_by_mobile(&Credentials::new(KEY, SECRET), &mobile(MOBILE))
        .await
        .unwrap();
    assert_eq!(id, "4711");
}
