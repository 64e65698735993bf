//! The fake's own rules, exercised without HTTP.

use std::time::Duration;

use serde_json::{Value, json};

use super::api::{Req, Resp};
use super::state::{FakeApp, FakeEndpoint, FakeMember, FakeState, Oversize};

const CORP: &str = "ww0123456789abcdef";
const SECRET: &str = "app-secret-one-0001";
const IP: &str = "127.0.0.1";

fn state() -> FakeState {
    let mut st = FakeState::new();
    st.apps
        .push(FakeApp::new(CORP, 1000002, SECRET).visible_to(&["ZhangSan", "lisi", "ghost"]));
    st.apps
        .push(FakeApp::new(CORP, 1000003, "app-secret-two-0002"));
    for (u, m, e) in [
        ("ZhangSan", "13800138000", "zs@example.com"),
        ("lisi", "13900139000", ""),
        ("wangwu", "13700137000", ""),
    ] {
        st.members.push(FakeMember {
            userid: u.into(),
            mobile: m.into(),
            email: e.into(),
            biz_mail: format!("{}@corp.example", u.to_lowercase()),
            active: true,
        });
    }
    st
}

fn req(method: &str, path_query: &str, body: &str, ip: &str) -> Req {
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path_query.to_string(), None),
    };
    Req {
        method: method.into(),
        path,
        query,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
        client_ip: ip.into(),
    }
}

fn run(st: &mut FakeState, r: Req) -> (Resp, Value) {
    let resp = st.dispatch(FakeEndpoint::of(&r.method, &r.path), &r);
    let v = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    (resp, v)
}

fn token_for(st: &mut FakeState, secret: &str) -> String {
    let (_, v) = run(
        st,
        req(
            "GET",
            &format!("/cgi-bin/gettoken?corpid={CORP}&corpsecret={secret}"),
            "",
            IP,
        ),
    );
    assert_eq!(v["errcode"], 0, "{v}");
    assert_eq!(v["expires_in"], 7200);
    v["access_token"].as_str().unwrap().to_string()
}

fn token(st: &mut FakeState) -> String {
    token_for(st, SECRET)
}

fn post(st: &mut FakeState, path: &str, token: &str, body: Value) -> Value {
    run(
        st,
        req(
            "POST",
            &format!("{path}?access_token={token}"),
            &body.to_string(),
            IP,
        ),
    )
    .1
}

fn send_body(touser: &str, content: &str) -> Value {
    json!({"touser": touser, "msgtype": "markdown", "agentid": 1000002,
           "markdown": {"content": content}, "enable_duplicate_check": 1,
           "duplicate_check_interval": 14400})
}

fn code(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap()
}

#[test]
fn gettoken_codes() {
    let mut st = state();
    let get = |st: &mut FakeState, q: &str| {
        run(st, req("GET", &format!("/cgi-bin/gettoken?{q}"), "", IP)).1
    };
    assert_eq!(code(&get(&mut st, "corpsecret=x")), 41002);
    assert_eq!(code(&get(&mut st, &format!("corpid={CORP}"))), 41004);
    let v = get(&mut st, "corpid=1000002&corpsecret=x");
    assert_eq!(code(&v), 40013);
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("invalid corpid, hint: [")
    );
    assert_eq!(
        code(&get(&mut st, &format!("corpid={CORP}&corpsecret=wrong"))),
        40001
    );
    st.bad_secret_40091 = true;
    assert_eq!(
        code(&get(&mut st, &format!("corpid={CORP}&corpsecret=wrong"))),
        40091
    );
    let t = token(&mut st);
    assert!((64..=512).contains(&t.len()));
    assert_ne!(t, token(&mut st), "a new token per call by default");
    st.reissue_same_token = true;
    let a = token(&mut st);
    assert_eq!(a, token(&mut st));
    assert_eq!(st.token_calls, 9);
}

#[test]
fn auth_filter_codes() {
    let mut st = state();
    let body = json!({"mobile": "13800138000"}).to_string();
    let (_, v) = run(&mut st, req("POST", "/cgi-bin/user/getuserid", &body, IP));
    assert_eq!(code(&v), 41001);
    assert_eq!(
        code(&post(&mut st, "/cgi-bin/user/getuserid", "nope", json!({}))),
        40014
    );
    let t = token(&mut st);
    st.clock_offset += Duration::from_secs(7200);
    assert_eq!(
        code(&post(&mut st, "/cgi-bin/user/getuserid", &t, json!({}))),
        42001
    );
    let t = token(&mut st);
    st.tokens.clear();
    assert_eq!(
        code(&post(&mut st, "/cgi-bin/user/getuserid", &t, json!({}))),
        40014
    );
    let t = token(&mut st);
    let (_, v) = run(
        &mut st,
        req(
            "POST",
            &format!("/cgi-bin/user/getuserid?access_token={t}"),
            "not json",
            IP,
        ),
    );
    assert_eq!(code(&v), 40058);
    // Without Content-Type (the fake never looks at it) a JSON body is fine.
    let v = post(
        &mut st,
        "/cgi-bin/user/getuserid",
        &t,
        json!({"mobile": "13800138000"}),
    );
    assert_eq!(v["userid"], "ZhangSan");
    assert_eq!(code(&post(&mut st, "/cgi-bin/nope", &t, json!({}))), 48001);
}

#[test]
fn trusted_ip_uses_the_client_ip() {
    let mut st = state();
    st.apps[0].trusted_ips = Some(["10.0.0.1".to_string()].into());
    let t = token(&mut st); // gettoken is exempt by default
    let body = json!({"mobile": "13800138000"}).to_string();
    let path = format!("/cgi-bin/user/getuserid?access_token={t}");
    let (_, v) = run(&mut st, req("POST", &path, &body, "203.0.113.9"));
    assert_eq!(code(&v), 60020);
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .contains("from ip: 203.0.113.9,"),
        "{v}"
    );
    let (_, v) = run(&mut st, req("POST", &path, &body, "10.0.0.1"));
    assert_eq!(code(&v), 0);
    st.gettoken_checks_ip = true;
    let q = format!("/cgi-bin/gettoken?corpid={CORP}&corpsecret={SECRET}");
    assert_eq!(
        code(&run(&mut st, req("GET", &q, "", "203.0.113.9")).1),
        60020
    );
}

#[test]
fn lookups_by_mobile_and_email() {
    let mut st = state();
    let t = token(&mut st);
    let by_mobile =
        |st: &mut FakeState, m: &str| post(st, "/cgi-bin/user/getuserid", &t, json!({"mobile": m}));
    assert_eq!(by_mobile(&mut st, "13900139000")["userid"], "lisi");
    assert_eq!(code(&by_mobile(&mut st, "13700137000")), 60011, "invisible");
    assert_eq!(code(&by_mobile(&mut st, "13600136000")), 46004);
    assert_eq!(code(&by_mobile(&mut st, "123")), 60103);
    assert_eq!(code(&by_mobile(&mut st, "+86 13900139000")), 46004);
    st.normalize_cn_prefix = true;
    assert_eq!(by_mobile(&mut st, "+86 13900139000")["userid"], "lisi");
    let by_email = |st: &mut FakeState, e: &str, ty: i64| {
        post(
            st,
            "/cgi-bin/user/get_userid_by_email",
            &t,
            json!({"email": e, "email_type": ty}),
        )
    };
    assert_eq!(by_email(&mut st, "zs@example.com", 2)["userid"], "ZhangSan");
    assert_eq!(code(&by_email(&mut st, "zs@example.com", 1)), 46004);
    assert_eq!(by_email(&mut st, "lisi@corp.example", 1)["userid"], "lisi");
    let v = post(
        &mut st,
        "/cgi-bin/user/get_userid_by_email",
        &t,
        json!({"email": "lisi@corp.example"}),
    );
    assert_eq!(v["userid"], "lisi", "email_type defaults to 1");
}

#[test]
fn wrong_lookups_over_20_percent_block_for_the_day() {
    let mut st = state();
    st.seat_limit = 10; // 20 % = 2
    let t = token(&mut st);
    let look = |st: &mut FakeState, m: &str| {
        code(&post(
            st,
            "/cgi-bin/user/getuserid",
            &t,
            json!({"mobile": m}),
        ))
    };
    assert_eq!(look(&mut st, "13600136001"), 46004);
    assert_eq!(look(&mut st, "13600136002"), 46004);
    assert_eq!(look(&mut st, "13900139000"), 0, "at 20 % still allowed");
    assert_eq!(look(&mut st, "13600136003"), 46004);
    assert_eq!(look(&mut st, "13900139000"), 45009, "over 20 %: blocked");
    st.clock_offset += Duration::from_secs(86_400);
    let t2 = token(&mut st);
    assert_eq!(
        code(&post(
            &mut st,
            "/cgi-bin/user/getuserid",
            &t2,
            json!({"mobile": "13900139000"})
        )),
        0
    );
}

#[test]
fn send_validation() {
    let mut st = state();
    let t = token(&mut st);
    let send = |st: &mut FakeState, b: Value| post(st, "/cgi-bin/message/send", &t, b);
    let mut b = send_body("lisi", "hi");
    b.as_object_mut().unwrap().remove("agentid");
    assert_eq!(code(&send(&mut st, b)), 41011);
    let mut b = send_body("lisi", "hi");
    b["agentid"] = json!("1000002");
    assert_eq!(code(&send(&mut st, b)), 40056, "agentid must be a number");
    let mut b = send_body("lisi", "hi");
    b["agentid"] = json!(1000003);
    let v = send(&mut st, b);
    assert_eq!(code(&v), 301002);
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("not allow operate another agent")
    );
    assert_eq!(code(&send(&mut st, send_body("", "hi"))), 82001);
    let mut b = send_body("lisi", "hi");
    b["msgtype"] = json!("bogus");
    assert_eq!(code(&send(&mut st, b)), 40008);
    let mut b = send_body("lisi", "hi");
    b.as_object_mut().unwrap().remove("markdown");
    assert_eq!(code(&send(&mut st, b)), 40058);
    assert_eq!(code(&send(&mut st, send_body("lisi", ""))), 44004);
    let card = json!({"touser": "lisi", "msgtype": "template_card", "agentid": 1000002,
        "template_card": {"card_type": "text_notice", "main_title": {"title": "t"}}});
    assert_eq!(code(&send(&mut st, card.clone())), 40058);
    let mut ok_card = card;
    ok_card["template_card"]["card_action"] = json!({"type": 1, "url": "https://example.com"});
    assert_eq!(code(&send(&mut st, ok_card)), 0);
    assert!(st.outbox.iter().all(|m| m.msgtype == "template_card"));
}

#[test]
fn recipients_partial_and_all_invalid() {
    let mut st = state();
    st.unlicensed.insert("zhangsan".into());
    let t = token(&mut st);
    let v = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("LiSi|Ghost|wangwu|zhangsan", "hi"),
    );
    assert_eq!(code(&v), 0, "{v}");
    assert_eq!(v["invaliduser"], "ghost|wangwu");
    assert_eq!(v["unlicenseduser"], "zhangsan");
    assert_eq!(st.outbox[0].touser, vec!["lisi"]);
    let v = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("ghost|nobody", "x"),
    );
    assert_eq!(code(&v), 81013);
    assert_eq!(v["invaliduser"], "ghost|nobody");
    assert_eq!(st.outbox.len(), 1);
}

#[test]
fn duplicate_check_and_per_member_drops() {
    let mut st = state();
    let t = token(&mut st);
    let first = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("lisi", "same"),
    );
    let again = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("lisi", "same"),
    );
    assert_eq!(first, again);
    assert_eq!((st.outbox.len(), st.duplicates), (1, 1));
    let mut no_check = send_body("lisi", "same");
    no_check["enable_duplicate_check"] = json!(0);
    post(&mut st, "/cgi-bin/message/send", &t, no_check);
    assert_eq!(st.outbox.len(), 2);
    for i in 0..28 {
        let v = post(
            &mut st,
            "/cgi-bin/message/send",
            &t,
            send_body("lisi", &format!("m{i}")),
        );
        assert_eq!(code(&v), 0);
    }
    assert!(st.dropped.is_empty(), "30 in a minute are fine");
    let v = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("lisi", "31st"),
    );
    assert_eq!(code(&v), 0, "a drop is silent");
    assert_eq!(st.dropped.len(), 1);
    assert_eq!(st.dropped[0].userid, "lisi");
    assert!(st.outbox.last().unwrap().touser.is_empty());
    st.clock_offset += Duration::from_secs(61);
    let t = token(&mut st);
    post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("lisi", "later"),
    );
    assert_eq!(st.dropped.len(), 1);
}

#[test]
fn oversize_content_truncated_or_refused() {
    let mut st = state();
    let t = token(&mut st);
    let long = "字".repeat(1000); // 3000 bytes
    assert_eq!(
        code(&post(
            &mut st,
            "/cgi-bin/message/send",
            &t,
            send_body("lisi", &long)
        )),
        0
    );
    let kept = st.outbox[0].payload["content"].as_str().unwrap().len();
    assert!(kept <= 2048 && kept > 2040, "{kept}");
    st.oversize = Oversize::Reject;
    let v = post(
        &mut st,
        "/cgi-bin/message/send",
        &t,
        send_body("lisi", &format!("{long}x")),
    );
    assert_eq!(code(&v), 45002);
}
