//! The fake's own rules, over real HTTP on 127.0.0.1.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;

const APP: &str = "cli_fakeapp0001";
const SECRET: &str = "fake-secret-0123456789";

async fn fake() -> FakeFeishu {
    let f = FakeFeishu::start().await.unwrap();
    f.add_app(FakeApp::new(APP, SECRET));
    f.add_user(
        FakeUser::new("u1")
            .mobile("13800138000")
            .email("a@example.com"),
    );
    f
}

async fn post(f: &FakeFeishu, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    reqwest_like(f, path, token, body.to_string()).send().await
}

/// A tiny HTTP/1.1 client over tokio, so the fake needs no HTTP client dependency.
struct RawReq {
    addr: std::net::SocketAddr,
    text: String,
}

fn reqwest_like(f: &FakeFeishu, path: &str, token: Option<&str>, body: String) -> RawReq {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    RawReq {
        addr: f.addr(),
        text: format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    }
}

impl RawReq {
    async fn send(&mut self) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        s.write_all(self.text.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status: u16 = out[9..12].parse().unwrap();
        let body = out.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

async fn token(f: &FakeFeishu) -> (String, u64) {
    let (s, v) = post(
        f,
        "/open-apis/auth/v3/tenant_access_token/internal",
        None,
        json!({"app_id": APP, "app_secret": SECRET}),
    )
    .await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(0)), "{v}");
    (
        v["tenant_access_token"].as_str().unwrap().to_string(),
        v["expire"].as_u64().unwrap(),
    )
}

const SEND: &str = "/open-apis/im/v1/messages?receive_id_type=open_id";

fn text_msg(to: &str, uuid: Option<&str>) -> Value {
    let mut v = json!({"receive_id": to, "msg_type": "text", "content": "{\"text\":\"hi\"}"});
    if let Some(u) = uuid {
        v["uuid"] = u.into();
    }
    v
}

#[tokio::test]
async fn token_is_reused_with_remaining_lifetime_and_renewed_under_30_minutes() {
    let f = fake().await;
    let (t1, e1) = token(&f).await;
    assert!(t1.starts_with("t-") && t1.len() == 42 && e1 == 7200);
    f.advance_clock(Duration::from_secs(3600));
    let (t2, e2) = token(&f).await;
    assert_eq!(t2, t1);
    assert!((3590..=3600).contains(&e2), "{e2}");
    f.advance_clock(Duration::from_secs(1900));
    let (t3, e3) = token(&f).await;
    assert_ne!(t3, t1);
    assert_eq!(e3, 7200);
    // The old one stays valid until its own expiry.
    assert!(f.valid_tokens().contains(&t1));
    f.revoke_tokens();
    let (t4, _) = token(&f).await;
    assert!(t4 != t1 && t4 != t3);
}

#[tokio::test]
async fn bad_secret_and_missing_fields() {
    let f = fake().await;
    let path = "/open-apis/auth/v3/tenant_access_token/internal";
    let (s, v) = post(&f, path, None, json!({"app_id": APP, "app_secret": "nope"})).await;
    assert_eq!((s, v["code"].as_i64()), (200, Some(10014)));
    f.set_token_error_status(400);
    let (s, _) = post(
        &f,
        path,
        None,
        json!({"app_id": "cli_x", "app_secret": SECRET}),
    )
    .await;
    assert_eq!(s, 400);
    let (s, v) = post(&f, path, None, json!({"app_id": APP})).await;
    assert_eq!((s, v["code"].as_i64()), (400, Some(10003)));
}

#[tokio::test]
async fn auth_filter_codes() {
    let f = fake().await;
    let (_, v) = post(&f, SEND, None, text_msg("x", None)).await;
    assert_eq!(v["code"], 99991661);
    let (_, v) = post(&f, SEND, Some("abc"), text_msg("x", None)).await;
    assert_eq!(v["code"], 99991671);
    let (_, v) = post(&f, SEND, Some("t-unknown"), text_msg("x", None)).await;
    assert_eq!(v["code"], 99991663);
    assert!(v["error"]["log_id"].is_string());
    let (t, _) = token(&f).await;
    f.update_app(APP, |a| {
        a.ip_allowlist = Some(["10.0.0.1".to_string()].into())
    });
    let (s, v) = post(&f, SEND, Some(&t), text_msg("x", None)).await;
    assert_eq!((s, v["code"].as_i64()), (400, Some(99991401)));
    assert!(v["msg"].as_str().unwrap().contains("127.0.0.1"));
    f.update_app(APP, |a| {
        a.ip_allowlist = None;
        a.monthly_quota = Some(0);
    });
    let (_, v) = post(&f, SEND, Some(&t), text_msg("x", None)).await;
    assert_eq!(v["code"], 99991403);
    f.revoke_tokens();
    let (_, v) = post(&f, SEND, Some(&t), text_msg("x", None)).await;
    assert_eq!(v["code"], 99991663);
    let (s, v) = post(&f, "/open-apis/nope", Some(&t), json!({})).await;
    assert_eq!((s, v["code"].as_i64()), (404, Some(99991201)));
}

#[tokio::test]
async fn batch_get_id_rules() {
    let f = fake().await;
    f.add_user(FakeUser::new("u2").mobile("+85291234567"));
    f.add_user(FakeUser::new("u3").email("gone@example.com"));
    f.update_user("u3", |u| u.resigned = true);
    let (t, _) = token(&f).await;
    let path = "/open-apis/contact/v3/users/batch_get_id?user_id_type=open_id";
    let body = json!({"emails": ["A@example.com", "gone@example.com"],
                      "mobiles": ["13800138000", "+8613800138000", "+85291234567", "1"]});
    let (s, v) = post(&f, path, Some(&t), body.clone()).await;
    assert_eq!(s, 200, "{v}");
    let list = v["data"]["user_list"].as_array().unwrap();
    assert_eq!(list.len(), 6);
    let ou1 = open_id_for(APP, "u1");
    assert_eq!(list[0]["user_id"], ou1.as_str());
    assert_eq!(list[0]["email"], "A@example.com");
    assert!(list[1].get("user_id").is_none(), "resigned is hidden");
    assert_eq!(list[2]["user_id"], ou1.as_str());
    assert!(
        list[3].get("user_id").is_none(),
        "+86 does not match by default"
    );
    assert_eq!(list[4]["user_id"], open_id_for(APP, "u2").as_str());
    assert!(list[5].get("user_id").is_none());
    f.set_plus86_matches_bare(true);
    let (_, v) = post(&f, path, Some(&t), body).await;
    assert_eq!(v["data"]["user_list"][3]["user_id"], ou1.as_str());
    // Contact scope hides members.
    f.update_app(APP, |a| a.contact_scope = Some(Default::default()));
    let (_, v) = post(&f, path, Some(&t), json!({"mobiles": ["13800138000"]})).await;
    assert!(v["data"]["user_list"][0].get("user_id").is_none());
    // Limits and scopes.
    let many: Vec<String> = (0..51).map(|i| format!("{i}@x.com")).collect();
    let (s, v) = post(&f, path, Some(&t), json!({"emails": many})).await;
    assert_eq!((s, v["code"].as_i64()), (400, Some(99992402)));
    let (_, v) = post(
        &f,
        "/open-apis/contact/v3/users/batch_get_id?user_id_type=x",
        Some(&t),
        json!({}),
    )
    .await;
    assert_eq!(v["code"], 99992402);
    f.update_app(APP, |a| {
        a.scopes.remove(SCOPE_LOOKUP);
    });
    let (_, v) = post(&f, path, Some(&t), json!({"emails": []})).await;
    assert_eq!(v["code"], 99991672);
    assert_eq!(
        v["error"]["permission_violations"][0]["subject"],
        SCOPE_LOOKUP
    );
    assert!(
        v["error"]["helps"][0]["url"]
            .as_str()
            .unwrap()
            .contains(APP)
    );
}

#[tokio::test]
async fn send_rules_and_uuid_dedup() {
    let f = fake().await;
    let (t, _) = token(&f).await;
    let ou = open_id_for(APP, "u1");
    let (s, v) = post(&f, SEND, Some(&t), text_msg(&ou, Some("k1"))).await;
    assert_eq!(s, 200, "{v}");
    let mid = v["data"]["message_id"].as_str().unwrap().to_string();
    assert!(v["data"]["create_time"].is_string());
    let (_, v) = post(&f, SEND, Some(&t), text_msg(&ou, Some("k1"))).await;
    assert_eq!(v["data"]["message_id"], mid.as_str());
    assert_eq!(f.outbox().len(), 1);
    assert_eq!(f.outbox()[0].content, json!({"text": "hi"}));
    // content must be a string holding JSON.
    let mut bad = text_msg(&ou, None);
    bad["content"] = json!({"text": "hi"});
    let (_, v) = post(&f, SEND, Some(&t), bad).await;
    assert_eq!(v["code"], 230001);
    let (_, v) = post(
        &f,
        "/open-apis/im/v1/messages",
        Some(&t),
        text_msg(&ou, None),
    )
    .await;
    assert_eq!(v["code"], 99992402);
    // Another app's open_id, unknown ids.
    f.add_app(FakeApp::new("cli_other", "s"));
    let (_, v) = post(
        &f,
        SEND,
        Some(&t),
        text_msg(&open_id_for("cli_other", "u1"), None),
    )
    .await;
    assert_eq!(v["code"], 99992361);
    let (_, v) = post(&f, SEND, Some(&t), text_msg("ou_nobody", None)).await;
    assert_eq!(v["code"], 99992351);
    let user_path = "/open-apis/im/v1/messages?receive_id_type=user_id";
    let (_, v) = post(&f, user_path, Some(&t), text_msg("nobody", None)).await;
    assert_eq!(v["code"], 99992360);
    // Receiver states.
    f.update_app(APP, |a| a.availability = Some(Default::default()));
    let (_, v) = post(&f, user_path, Some(&t), text_msg("u1", None)).await;
    assert_eq!(v["code"], 230013);
    f.update_app(APP, |a| a.availability = None);
    f.update_user("u1", |u| u.blocked_bot = true);
    let (_, v) = post(&f, user_path, Some(&t), text_msg("u1", None)).await;
    assert_eq!(v["code"], 230053);
    f.update_user("u1", |u| u.resigned = true);
    let (_, v) = post(&f, user_path, Some(&t), text_msg("u1", None)).await;
    assert_eq!(v["code"], 230029);
    f.update_app(APP, |a| a.bot_enabled = false);
    let (_, v) = post(&f, user_path, Some(&t), text_msg("u1", None)).await;
    assert_eq!(v["code"], 230006);
}

#[tokio::test]
async fn size_rate_and_template_rules() {
    let f = fake().await;
    f.add_template(FakeTemplate::new("AAqtpl", APP));
    let mut private = FakeTemplate::new("AAqprivate", APP);
    private.shared_with_apps.clear();
    f.add_template(private);
    let (t, _) = token(&f).await;
    let ou = open_id_for(APP, "u1");
    let card = |id: &str, title: Value| {
        let c = json!({"type": "template", "data": {"template_id": id,
            "template_variable": {"title": title, "content": "x"}}});
        json!({"receive_id": ou, "msg_type": "interactive", "content": c.to_string()})
    };
    let (s, v) = post(&f, SEND, Some(&t), card("AAqtpl", "t".into())).await;
    assert_eq!(s, 200, "{v}");
    for (id, title, sub) in [
        ("nope", json!("t"), "200380"),
        ("AAqprivate", json!("t"), "200381"),
        ("AAqtpl", json!(5), "200732"),
    ] {
        let (_, v) = post(&f, SEND, Some(&t), card(id, title)).await;
        assert_eq!(v["code"], 230099);
        assert!(v["msg"].as_str().unwrap().contains(sub), "{v}");
    }
    f.set_size_limits(150 * 1024, 100);
    let (_, v) = post(&f, SEND, Some(&t), card("AAqtpl", "t".repeat(100).into())).await;
    assert_eq!(v["code"], 230025);
    // Per-recipient 5 QPS on the fake clock.
    for _ in 0..4 {
        let (s, _) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
        assert_eq!(s, 200);
    }
    let (_, v) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
    assert_eq!(v["code"], 230020);
    f.advance_clock(Duration::from_secs(2));
    let (s, _) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn faults_are_queued_per_endpoint_and_logged() {
    let f = fake().await;
    f.inject(
        FakeEndpoint::SendMessage,
        Fault::RateLimited { reset: 2 },
        1,
    );
    f.inject(FakeEndpoint::SendMessage, Fault::Html { status: 502 }, 1);
    let (t, _) = token(&f).await;
    let ou = open_id_for(APP, "u1");
    let (s, v) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
    assert_eq!((s, v["code"].as_i64()), (429, Some(99991400)));
    let (s, v) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
    assert_eq!((s, v), (502, Value::Null));
    let (s, _) = post(&f, SEND, Some(&t), text_msg(&ou, None)).await;
    assert_eq!(s, 200);
    let calls = f.calls_to(FakeEndpoint::SendMessage);
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].status, Some(429));
    assert!(
        calls[0]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer t-")
    );
    assert_eq!(
        calls[2].query_param("receive_id_type").as_deref(),
        Some("open_id")
    );
    assert!(calls[2].response.contains("om_"));
    assert_eq!(f.token_calls(), 1);
}

#[tokio::test]
async fn binds_loopback_only() {
    let addr = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    assert!(FakeFeishu::start_on(addr).await.is_err());
}
