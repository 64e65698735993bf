//! The fake's own validation, exercised without HTTP.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::api::{Req, Resp};
use super::state::{FakeApp, FakeEndpoint, FakeState, FakeUser, SCOPE_LOOKUP};

fn state() -> FakeState {
    let mut st = FakeState::new();
    st.apps.insert("key1".into(), FakeApp::new("key1", "sec1"));
    st.apps.insert("key2".into(), FakeApp::new("key2", "sec2"));
    st.users.push(FakeUser {
        mobile: "13800138000".into(),
        userid: "u1".into(),
        active: true,
        in_scope: true,
    });
    st
}

fn req(method: &str, path_query: &str, headers: &[(&str, &str)], body: &str) -> Req {
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path_query.to_string(), None),
    };
    Req {
        method: method.into(),
        path,
        query,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        body: body.as_bytes().to_vec(),
    }
}

fn run(st: &mut FakeState, r: Req) -> (Resp, Value) {
    let endpoint = FakeEndpoint::of(&r.method, &r.path);
    let resp = st.dispatch(endpoint, &r);
    let v = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    (resp, v)
}

fn token(st: &mut FakeState, key: &str, secret: &str) -> String {
    let body = json!({"appKey": key, "appSecret": secret}).to_string();
    let (resp, v) = run(
        st,
        req(
            "POST",
            "/v1.0/oauth2/accessToken",
            &[("Content-Type", "application/json")],
            &body,
        ),
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    v["accessToken"].as_str().unwrap().to_string()
}

fn send(st: &mut FakeState, tok: &str, body: Value) -> (Resp, Value) {
    run(
        st,
        req(
            "POST",
            "/v1.0/robot/oToMessages/batchSend",
            &[
                ("Content-Type", "application/json; charset=utf-8"),
                ("X-Acs-Dingtalk-Access-Token", tok),
            ],
            &body.to_string(),
        ),
    )
}

#[test]
fn token_reuse_extension_and_expiry() {
    let mut st = state();
    let t1 = token(&mut st, "key1", "sec1");
    assert_eq!(t1.len(), 32);
    assert!(
        t1.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    st.clock_offset += Duration::from_secs(7000);
    assert_eq!(token(&mut st, "key1", "sec1"), t1, "same token while valid");
    st.clock_offset += Duration::from_secs(7000);
    // Extended at 7000 s to 14200 s, so still valid at 14000 s.
    assert_eq!(token(&mut st, "key1", "sec1"), t1);
    st.expire_tokens();
    let t2 = token(&mut st, "key1", "sec1");
    assert_ne!(t2, t1, "new token after expiry");
    let (resp, v) = run(
        &mut st,
        req(
            "POST",
            "/v1.0/oauth2/accessToken",
            &[("Content-Type", "application/json")],
            r#"{"appKey":"key1","appSecret":"wrong"}"#,
        ),
    );
    assert_eq!(
        (resp.status, v["code"].as_str()),
        (400, Some("invalidClientIdOrSecret"))
    );
    // Legacy gettoken shares the store and reads only the query.
    let (_, v) = run(
        &mut st,
        req("GET", "/gettoken?appkey=key1&appsecret=sec1", &[], ""),
    );
    assert_eq!(v["access_token"].as_str(), Some(t2.as_str()));
    let (_, v) = run(
        &mut st,
        req("GET", "/gettoken", &[], "appkey=key1&appsecret=sec1"),
    );
    assert_eq!(v["errcode"], 40035);
    let (_, v) = run(
        &mut st,
        req("GET", "/gettoken?appkey=key1&appsecret=x", &[], ""),
    );
    assert_eq!(v["errcode"], 40096);
}

#[test]
fn batch_send_validation() {
    let mut st = state();
    let tok = token(&mut st, "key1", "sec1");
    let good_param = json!({"title":"t","text":"x"}).to_string();
    let base = json!({"robotCode":"key1","userIds":["u1"],"msgKey":"sampleMarkdown","msgParam":good_param});
    let code = |st: &mut FakeState, tok: &str, b: Value| {
        let (r, v) = send(st, tok, b);
        (r.status, v["code"].as_str().unwrap_or_default().to_string())
    };
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    assert_eq!(code(&mut st, &tok, base.clone()).0, 200);
    assert_eq!(
        code(&mut st, "", base.clone()),
        (400, "AuthenticationFailed.MissingParameter".into())
    );
    assert_eq!(
        code(&mut st, "nope", base.clone()),
        (400, "InvalidAuthentication".into())
    );
    assert_eq!(
        code(
            &mut st,
            &tok,
            with("msgParam", json!({"title":"t","text":"x"}))
        )
        .1,
        "invalidParameter.msgParam.invalid",
        "an object instead of a string is rejected"
    );
    assert_eq!(
        code(&mut st, &tok, with("msgParam", json!("not json"))).1,
        "invalidParameter.msgParam.invalid"
    );
    assert_eq!(
        code(&mut st, &tok, with("msgParam", json!(r#"{"title":"t"}"#))).1,
        "miss.param.markdownTotext"
    );
    assert_eq!(
        code(&mut st, &tok, with("msgKey", json!("nope"))).1,
        "invalidParameter.msgKey.invalid"
    );
    assert_eq!(
        code(&mut st, &tok, with("userIds", json!([]))).1,
        "invalidParameter.userIds.empty"
    );
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    assert_eq!(
        code(&mut st, &tok, with("userIds", json!(many))).1,
        "invalidParameter.userIds.overMax"
    );
    assert_eq!(
        code(&mut st, &tok, with("robotCode", json!(""))).1,
        "invalidParameter.robotCode.empty"
    );
    assert_eq!(
        code(&mut st, &tok, with("robotCode", json!("key2"))).1,
        "invalidParameter.robotCode.auth"
    );
    assert_eq!(
        code(&mut st, &tok, with("robotCode", json!("zzz"))).1,
        "invalidParameter.robotCode.notExsit"
    );
    st.apps.get_mut("key1").unwrap().robot_enabled = false;
    assert_eq!(
        code(&mut st, &tok, base.clone()).1,
        "chatbotId.notAllow.sendOTO"
    );
    st.apps.get_mut("key1").unwrap().robot_enabled = true;
    st.apps.get_mut("key1").unwrap().scopes.clear();
    let (r, v) = send(&mut st, &tok, base.clone());
    assert_eq!(r.status, 403);
    assert_eq!(
        v["accessdenieddetail"]["requiredScopes"][0],
        "qyapi_robot_sendmsg"
    );
    // Only the first (valid) send was recorded.
    assert_eq!(st.outbox.len(), 1);
    assert_eq!(st.outbox[0].msg_param.as_ref().unwrap()["title"], "t");
}

#[test]
fn batch_send_partial_results() {
    let mut st = state();
    st.users.push(FakeUser {
        mobile: "13900139000".into(),
        userid: "out".into(),
        active: true,
        in_scope: false,
    });
    st.per_user_daily_cap = Some(1);
    let tok = token(&mut st, "key1", "sec1");
    let body = json!({"robotCode":"key1","userIds":["u1","out","ghost"],"msgKey":"sampleText","msgParam":"{\"content\":\"hi\"}"});
    let (_, v) = send(&mut st, &tok, body.clone());
    assert_eq!(v["invalidStaffIdList"], json!(["out", "ghost"]));
    assert_eq!(v["flowControlledStaffIdList"], json!([]));
    let (_, v) = send(&mut st, &tok, body);
    assert_eq!(
        v["flowControlledStaffIdList"],
        json!(["u1"]),
        "over the daily cap"
    );
    assert_eq!(st.outbox.len(), 1);
}

#[test]
fn getbymobile_rules() {
    let mut st = state();
    let tok = token(&mut st, "key1", "sec1");
    let lookup = |st: &mut FakeState, q: &str, headers: &[(&str, &str)], body: &str| {
        run(
            st,
            req(
                "POST",
                &format!("/topapi/v2/user/getbymobile{q}"),
                headers,
                body,
            ),
        )
        .1
    };
    let json_ct = [("Content-Type", "application/json")];
    let q = format!("?access_token={tok}");
    let v = lookup(&mut st, &q, &json_ct, r#"{"mobile":"13800138000"}"#);
    assert_eq!(
        (v["errcode"].clone(), v["result"]["userid"].clone()),
        (json!(0), json!("u1"))
    );
    // Header ignored: token only in the query (or a form field).
    let hdr = [
        ("Content-Type", "application/json"),
        ("x-acs-dingtalk-access-token", tok.as_str()),
    ];
    let v = lookup(&mut st, "", &hdr, r#"{"mobile":"13800138000"}"#);
    assert_eq!(
        (v["errcode"].clone(), v["sub_code"].clone()),
        (json!(88), json!("40000"))
    );
    let form = format!("access_token={tok}&mobile=13800138000");
    let v = lookup(
        &mut st,
        "",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(v["result"]["userid"], "u1");
    let v = lookup(
        &mut st,
        "?access_token=bad",
        &json_ct,
        r#"{"mobile":"13800138000"}"#,
    );
    assert_eq!(v["sub_code"], "40014");
    assert_eq!(
        lookup(&mut st, &q, &json_ct, r#"{"mobile":" "}"#)["errcode"],
        400002
    );
    assert_eq!(
        lookup(&mut st, &q, &json_ct, r#"{"mobile":"abc"}"#)["errcode"],
        40104
    );
    assert_eq!(
        lookup(&mut st, &q, &json_ct, r#"{"mobile":"+8613800138000"}"#)["errcode"],
        60121
    );
    st.normalize_cn_prefix = true;
    assert_eq!(
        lookup(&mut st, &q, &json_ct, r#"{"mobile":"+86-13800138000"}"#)["errcode"],
        0
    );
    assert_eq!(
        lookup(&mut st, &q, &[("Content-Type", "text/plain")], "x")["errcode"],
        43004
    );
    st.apps.get_mut("key1").unwrap().scopes.remove(SCOPE_LOOKUP);
    let v = lookup(&mut st, &q, &json_ct, r#"{"mobile":"13800138000"}"#);
    assert_eq!(v["sub_code"], "60011");
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .contains("requiredScopes=[qyapi_get_member_by_mobile]")
    );
    // Unknown topapi path → errcode 22; unknown new-API path → 404.
    assert_eq!(
        run(&mut st, req("POST", "/topapi/nope", &[], "")).1["errcode"],
        22
    );
    assert_eq!(
        run(&mut st, req("POST", "/v1.0/nope", &[], "")).0.status,
        404
    );
}

#[test]
fn card_and_read_status() {
    let mut st = state();
    st.apps.insert(
        "key1".into(),
        FakeApp::new("key1", "sec1").with_card_template("tpl.1"),
    );
    let tok = token(&mut st, "key1", "sec1");
    let hdr = [
        ("content-type", "application/json"),
        ("x-acs-dingtalk-access-token", tok.as_str()),
    ];
    let card = |user: &str, track: &str, tpl: &str| {
        json!({"cardTemplateId": tpl, "outTrackId": track,
               "cardData": {"cardParamMap": {"title": "t"}},
               "openSpaceId": format!("dtv1.card//IM_ROBOT.{user}"),
               "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": "key1"}})
        .to_string()
    };
    let path = "/v1.0/card/instances/createAndDeliver";
    let (r, v) = run(&mut st, req("POST", path, &hdr, &card("u1", "t1", "tpl.1")));
    assert_eq!(r.status, 200);
    assert_eq!(v["result"]["deliverResults"][0]["success"], true);
    let (_, again) = run(&mut st, req("POST", path, &hdr, &card("u1", "t1", "tpl.1")));
    assert_eq!(again, v, "duplicate outTrackId is idempotent");
    assert_eq!(st.outbox.len(), 1);
    let (_, v) = run(
        &mut st,
        req("POST", path, &hdr, &card("ghost", "t2", "tpl.1")),
    );
    assert_eq!(v["result"]["deliverResults"][0]["success"], false);
    let (r, v) = run(&mut st, req("POST", path, &hdr, &card("u1", "t3", "nope")));
    assert_eq!(
        (r.status, v["code"].as_str()),
        (400, Some("param.templateNotExist"))
    );
    let bad_params = card("u1", "t4", "tpl.1").replace(r#""title":"t""#, r#""title":1"#);
    assert_eq!(
        run(&mut st, req("POST", path, &hdr, &bad_params)).1["code"],
        "param.invalid"
    );

    // readStatus with a URL-encoded key.
    let body = json!({"robotCode":"key1","userIds":["u1"],"msgKey":"sampleText","msgParam":"{\"content\":\"c\"}"});
    let (_, v) = send(&mut st, &tok, body);
    let key = v["processQueryKey"].as_str().unwrap().to_string();
    let enc: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let q = format!("/v1.0/robot/oToMessages/readStatus?robotCode=key1&processQueryKey={enc}");
    let (r, v) = run(&mut st, req("GET", &q, &hdr, ""));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(v["messageReadInfoList"][0]["readStatus"], "UNREAD");
    let (_, v) = run(
        &mut st,
        req(
            "GET",
            "/v1.0/robot/oToMessages/readStatus?robotCode=key1&processQueryKey=zz",
            &hdr,
            "",
        ),
    );
    assert_eq!(v["code"], "invalid.processQueryKey");
    st.clock_offset += Duration::from_secs(86_401 + 10);
    let (_, v) = run(&mut st, req("GET", &q, &hdr, ""));
    assert_eq!(
        v["code"], "InvalidAuthentication",
        "token expired too after a day"
    );
    let tok = token(&mut st, "key1", "sec1");
    let hdr = [("x-acs-dingtalk-access-token", tok.as_str())];
    let (_, v) = run(&mut st, req("GET", &q, &hdr, ""));
    assert_eq!(v["code"], "processQueryKey.expireTime");
}

#[test]
fn batch_send_forced_refusals_filtered_and_renames() {
    let mut st = state();
    st.users.push(FakeUser {
        mobile: "13900139000".into(),
        userid: "u2".into(),
        active: true,
        in_scope: true,
    });
    let tok = token(&mut st, "key1", "sec1");
    let body = |ids: &[&str]| json!({"robotCode":"key1","userIds":ids,"msgKey":"sampleText","msgParam":"{\"content\":\"hi\"}"});
    st.forced_filtered.insert("u2".into());
    let (r, v) = send(&mut st, &tok, body(&["u1", "u2"]));
    assert_eq!(r.status, 200);
    assert_eq!(v["filteredStaffIdList"], json!(["u2"]));
    assert_eq!(v["invalidStaffIdList"], json!([]));
    assert_eq!(st.outbox.last().unwrap().user_ids, vec!["u1"]);

    let sent = st.outbox.len();
    st.forced_stale.insert("u2".into());
    let (r, v) = send(&mut st, &tok, body(&["u1", "u2"]));
    assert_eq!(
        (r.status, v["code"].as_str()),
        (400, Some("staffId.notExisted"))
    );
    assert!(v["requestid"].is_string());
    st.forced_stale.clear();
    st.forced_no_conversation.insert("u1".into());
    let (r, v) = send(&mut st, &tok, body(&["u1", "u2"]));
    assert_eq!(
        (r.status, v["code"].as_str()),
        (400, Some("robot.oto.notExist"))
    );
    assert_eq!(st.outbox.len(), sent, "nothing delivered to anyone");
    st.reset();
    assert!(st.forced_filtered.is_empty() && st.forced_no_conversation.is_empty());

    // A renamed member is found under the new userid; the old one is unknown.
    assert!(st.rename_user("u1", "u1-new"));
    assert!(!st.rename_user("ghost", "x"));
    let tok = token(&mut st, "key1", "sec1");
    let (_, v) = run(
        &mut st,
        req(
            "POST",
            &format!("/topapi/v2/user/getbymobile?access_token={tok}"),
            &[("Content-Type", "application/json")],
            r#"{"mobile":"13800138000"}"#,
        ),
    );
    assert_eq!(v["result"]["userid"], "u1-new");
    assert!(
        v["request_id"].is_string(),
        "legacy answers carry request_id"
    );
    let (_, v) = send(&mut st, &tok, body(&["u1"]));
    assert_eq!(v["invalidStaffIdList"], json!(["u1"]));
}

#[test]
fn fault_answers_carry_headers_echoes_and_request_ids() {
    use super::api::fault_response;
    use super::state::Fault;
    let header = |r: &Resp, name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let r0 = req("POST", "/v1.0/x", &[], "");
    let r = fault_response(
        &Fault::Redirect {
            status: 308,
            location: "http://127.0.0.1:9/x".into(),
        },
        &r0,
    );
    assert_eq!(r.status, 308);
    assert_eq!(
        header(&r, "location").as_deref(),
        Some("http://127.0.0.1:9/x")
    );
    let r = fault_response(
        &Fault::TooManyRequests {
            retry_after: Some("7".into()),
        },
        &r0,
    );
    assert_eq!(
        (r.status, header(&r, "retry-after").as_deref()),
        (429, Some("7"))
    );
    let r = fault_response(&Fault::Unavailable { retry_after: None }, &r0);
    assert_eq!((r.status, header(&r, "retry-after")), (503, None));
    let r = fault_response(
        &Fault::Throttling {
            code: "Throttling.User".into(),
        },
        &r0,
    );
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (r.status, v["code"].as_str()),
        (403, Some("Throttling.User"))
    );
    assert!(v["requestid"].is_string(), "new-API errors carry requestid");

    let echo = req(
        "POST",
        "/v1.0/robot/oToMessages/batchSend?a=b",
        &[("x-acs-dingtalk-access-token", "tok123")],
        r#"{"appSecret":"s"}"#,
    );
    let r = fault_response(&Fault::EchoRequest { status: 400 }, &echo);
    let v: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["code"], "echo.tok123");
    let m = v["message"].as_str().unwrap();
    assert!(
        m.contains("a=b") && m.contains(r#"{"appSecret":"s"}"#),
        "{m}"
    );
    let legacy = req(
        "POST",
        "/topapi/v2/user/getbymobile?access_token=qtok",
        &[],
        "",
    );
    let v: Value =
        serde_json::from_str(&fault_response(&Fault::EchoRequest { status: 400 }, &legacy).body)
            .unwrap();
    assert_eq!(v["code"], "echo.qtok");
    for f in [Fault::LegacySystemBusy, Fault::LegacyAppQps] {
        let v: Value = serde_json::from_str(&fault_response(&f, &r0).body).unwrap();
        assert!(v["request_id"].is_string(), "{f:?}");
    }
}
