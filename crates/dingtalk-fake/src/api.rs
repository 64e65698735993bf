//! Endpoint behaviour of the fake (contract 9.2), independent of the HTTP framework.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::Rng;
use serde_json::{Map, Value, json};

use super::state::{
    FakeEndpoint, FakeState, Fault, SCOPE_CARD, SCOPE_LOOKUP, SCOPE_SEND, SentMessage, TokenEntry,
    is_well_formed_mobile,
};

/// A request as the fake sees it.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    fn is_json(&self) -> bool {
        self.content_type().starts_with("application/json")
    }

    fn is_form(&self) -> bool {
        self.content_type()
            .starts_with("application/x-www-form-urlencoded")
    }

    fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    fn json_object(&self) -> Option<Map<String, Value>> {
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(m)) => Some(m),
            _ => None,
        }
    }

    fn form(&self) -> BTreeMap<String, String> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

/// What the fake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// Extra response headers (e.g. `Location`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl Resp {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<String>) -> Resp {
        Resp {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    fn with_header(mut self, name: &'static str, value: Option<&str>) -> Resp {
        if let Some(v) = value {
            self.headers.push((name, v.to_string()));
        }
        self
    }
}

const JSON: &str = "application/json";
const LEGACY_JSON: &str = "application/json;charset=UTF-8";
const HTML: &str = "text/html; charset=utf-8";

fn new_api_error(status: u16, code: &str, message: &str) -> Resp {
    Resp::new(
        status,
        JSON,
        json!({"requestid": request_id(), "code": code, "message": message}).to_string(),
    )
}

fn ok_json(v: Value) -> Resp {
    Resp::new(200, JSON, v.to_string())
}

fn legacy(mut v: Value) -> Resp {
    if let Some(o) = v.as_object_mut() {
        o.entry("request_id").or_insert_with(|| request_id().into());
    }
    Resp::new(200, LEGACY_JSON, v.to_string())
}

fn legacy_88(sub_code: &str, sub_msg: &str) -> Resp {
    legacy(json!({
        "errcode": 88,
        "sub_code": sub_code,
        "sub_msg": sub_msg,
        "errmsg": format!("ding talk error[subcode={sub_code},submsg={sub_msg}]"),
    }))
}

fn missing_scope_legacy(app_key: &str, scope: &str) -> Resp {
    legacy_88(
        "60011",
        &format!(
            "应用尚未开通所需的权限：[{scope}]，点击链接申请并开通即可：https://open-dev.dingtalk.com/appscope/apply?content={app_key}#{scope}, {{requiredScopes=[{scope}]}}"
        ),
    )
}

fn missing_scope_new(scope: &str) -> Resp {
    Resp::new(
        403,
        JSON,
        json!({
            "requestid": request_id(),
            "code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            "message": "没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp-server/add-api-permission",
            "accessdenieddetail": {"requiredScopes": [scope]},
        })
        .to_string(),
    )
}

pub(crate) fn request_id() -> String {
    let mut r = rand::rng();
    let h: String = (0..16)
        .map(|_| format!("{:02X}", r.random::<u8>()))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn new_token() -> String {
    let mut r = rand::rng();
    (0..16)
        .map(|_| format!("{:02x}", r.random::<u8>()))
        .collect()
}

/// Opaque key; often contains `+`, `/` and `=` to exercise URL encoding.
fn new_process_query_key() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut r = rand::rng();
    let mut s: String = (0..30)
        .map(|_| ALPHABET[r.random_range(0..ALPHABET.len())] as char)
        .collect();
    s.push('=');
    s
}

/// The answer for an injected fault (`Delay` and `DropConnection` are handled by the server).
pub(crate) fn fault_response(f: &Fault, req: &Req) -> Resp {
    let denied =
        |what: &str, msg: &str| new_api_error(403, &format!("Forbidden.AccessDenied.{what}"), msg);
    match f {
        Fault::QpsLimitForAppkeyAndApi => {
            denied("QpsLimitForAppkeyAndApi", "调用该接口触发应用的QPS限流")
        }
        Fault::QpsLimitForApi => denied("QpsLimitForApi", "调用该接口触发全局QPS限流"),
        Fault::QpmLimitForAppkeyAndApi => {
            denied("QpmLimitForAppkeyAndApi", "调用该接口触发应用的QPM限流")
        }
        Fault::AccessTokenPermissionDenied { scope } => missing_scope_new(scope),
        Fault::IpNotInWhiteList => denied("IpNotInWhiteList", "访问ip不在白名单之中"),
        Fault::ApiCountLimitForOrg => denied("ApiCountLimitForOrg", "企业调用接口总次数超过限制"),
        Fault::SystemBusy429 => new_api_error(429, "system.busy", "系统繁忙"),
        Fault::SendTooFast => new_api_error(400, "send.too.fast", "发送太快"),
        Fault::SystemError500 => new_api_error(500, "system.error", "系统错误"),
        Fault::UnknownError500 => new_api_error(500, "unknownError", "未知错误"),
        Fault::ServiceUnavailableEmpty => Resp::new(503, "text/plain", ""),
        Fault::InvalidAuthentication => {
            new_api_error(400, "InvalidAuthentication", "不合法的access_token")
        }
        Fault::NewApiError {
            status,
            code,
            message,
        } => new_api_error(*status, code, message),
        Fault::LegacySystemBusy => legacy(json!({"errcode": -1, "errmsg": "系统繁忙"})),
        Fault::LegacyAppQps => {
            legacy(json!({"errcode": 90018, "errmsg": "应用调用接口QPS超过限制"}))
        }
        Fault::LegacyGlobalQps => legacy_88(
            "90002",
            "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
        ),
        Fault::LegacyQuota => {
            legacy(json!({"errcode": 90020, "errmsg": "企业调用接口次数超过月度限额"}))
        }
        Fault::LegacyMissingScope { scope } => missing_scope_legacy("app", scope),
        Fault::LegacyIpNotAllowed => {
            legacy_88("60020", "访问ip不在白名单之中,request ip=127.0.0.1")
        }
        Fault::LegacyTokenExpired => legacy_88("42001", "access_token超时"),
        Fault::LegacyInvalidToken => legacy_88("40014", "不合法的access_token"),
        Fault::LegacyOutsideScope => {
            legacy(json!({"errcode": 50002, "errmsg": "员工不在授权范围"}))
        }
        Fault::LegacyError {
            errcode,
            sub_code,
            errmsg,
        } => legacy(match sub_code {
            Some(s) => {
                json!({"errcode": errcode, "sub_code": s, "sub_msg": errmsg, "errmsg": errmsg})
            }
            None => json!({"errcode": errcode, "errmsg": errmsg}),
        }),
        Fault::IpBan => {
            ok_json(json!({"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"x"}))
        }
        Fault::HtmlPage => Resp::new(
            200,
            HTML,
            "<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>",
        ),
        Fault::IpBanPage => Resp::new(
            200,
            HTML,
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>访问被拒绝</title></head><body><p>您的访问过于频繁，请稍后再试。</p><script>location.href='/_____tmd_____/punish?x5secdata=xx&x5step=1';</script></body></html>",
        ),
        Fault::InvalidJson => Resp::new(200, JSON, "{this is: not json]"),
        Fault::TruncatedBody => Resp::new(
            200,
            JSON,
            r#"{"processQueryKey":"abc","invalidStaffIdList":["#,
        ),
        Fault::Redirect { status, location } => {
            Resp::new(*status, HTML, "<html><body><h1>Moved</h1></body></html>")
                .with_header("location", Some(location))
        }
        Fault::EchoRequest { status } => {
            let token = req
                .header("x-acs-dingtalk-access-token")
                .map(str::to_string)
                .or_else(|| req.query_param("access_token"))
                .or_else(|| req.is_form().then(|| req.form().remove("access_token"))?)
                .unwrap_or_else(|| "none".into());
            let echoed = format!(
                "invalid request; query: {}; body: {}",
                req.query.as_deref().unwrap_or_default(),
                String::from_utf8_lossy(&req.body)
            );
            new_api_error(*status, &format!("echo.{token}"), &echoed)
        }
        Fault::TooManyRequests { retry_after } => new_api_error(429, "system.busy", "系统繁忙")
            .with_header("retry-after", retry_after.as_deref()),
        Fault::Unavailable { retry_after } => {
            Resp::new(503, "text/plain", "").with_header("retry-after", retry_after.as_deref())
        }
        Fault::Throttling { code } => {
            let message = match code.as_str() {
                "Throttling.User" => "Request was denied due to user flow control.",
                "Throttling.Api" => "Request was denied due to api flow control.",
                _ => "Request was denied due to request throttling.",
            };
            new_api_error(403, code, message)
        }
        // Handled by the server before asking for a response; answer normally if ever reached.
        Fault::Delay { .. } | Fault::DropConnection => new_api_error(500, "system.error", "fault"),
    }
}

enum TokenCheck {
    Missing,
    Unknown,
    Expired,
    Valid(String),
}

impl FakeState {
    fn check_token(&self, token: Option<&str>) -> TokenCheck {
        let Some(t) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return TokenCheck::Missing;
        };
        match self.tokens.get(t) {
            None => TokenCheck::Unknown,
            Some(e) if e.expires_at <= self.now() => TokenCheck::Expired,
            Some(e) => TokenCheck::Valid(e.app_key.clone()),
        }
    }

    /// Same token while valid (expiry pushed to now+TTL), else a new one; expired ones of the
    /// app are dropped so they stay rejected.
    fn issue_token(&mut self, app_key: &str) -> String {
        let now = self.now();
        let expires_at = now + self.token_ttl;
        if let Some((tok, e)) = self
            .tokens
            .iter_mut()
            .find(|(_, e)| e.app_key == app_key && e.expires_at > now)
        {
            e.expires_at = expires_at;
            return tok.clone();
        }
        let tok = new_token();
        self.tokens.insert(
            tok.clone(),
            TokenEntry {
                app_key: app_key.to_string(),
                expires_at,
            },
        );
        tok
    }

    pub(crate) fn dispatch(&mut self, endpoint: FakeEndpoint, req: &Req) -> Resp {
        match endpoint {
            FakeEndpoint::Token => self.token(req),
            FakeEndpoint::LegacyToken => self.legacy_token(req),
            FakeEndpoint::GetByMobile => self.get_by_mobile(req),
            FakeEndpoint::BatchSend => self.batch_send(req),
            FakeEndpoint::ReadStatus => self.read_status(req),
            FakeEndpoint::CardDeliver => self.card_deliver(req),
            FakeEndpoint::Other if req.path.starts_with("/topapi/") => legacy(json!({
                "errcode": 22,
                "sub_msg": format!("不合法ApiName，请检查您请求的API是否存在: {}", req.path),
                "errmsg": format!("Invalid method[{}]", req.path),
            })),
            FakeEndpoint::Other => new_api_error(
                404,
                "NotFound",
                &format!("no such API: {} {}", req.method, req.path),
            ),
        }
    }

    fn token(&mut self, req: &Req) -> Resp {
        let bad = || {
            new_api_error(
                400,
                "invalidClientIdOrSecret",
                "无效的clientId或者clientSecret",
            )
        };
        if !req.is_json() {
            return new_api_error(
                400,
                "invalidParameter.msgBody.invalid",
                "Content-Type must be application/json",
            );
        }
        let Some(body) = req.json_object() else {
            return new_api_error(
                400,
                "invalidParameter.msgBody.invalid",
                "请求体必须是json对象",
            );
        };
        let (Some(key), Some(secret)) = (
            body.get("appKey").and_then(Value::as_str),
            body.get("appSecret").and_then(Value::as_str),
        ) else {
            return bad();
        };
        match self.apps.get(key) {
            Some(app) if app.app_secret == secret => {
                let ttl = self.token_ttl.as_secs();
                let token = self.issue_token(key);
                ok_json(json!({"accessToken": token, "expireIn": ttl}))
            }
            _ => bad(),
        }
    }

    fn legacy_token(&mut self, req: &Req) -> Resp {
        let (Some(key), Some(secret)) = (req.query_param("appkey"), req.query_param("appsecret"))
        else {
            return legacy(json!({"errcode": 40035, "errmsg": "缺少参数 corpid or appkey"}));
        };
        match self.apps.get(&key) {
            Some(app) if app.app_secret == secret => {
                let ttl = self.token_ttl.as_secs();
                let token = self.issue_token(&key);
                legacy(
                    json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": ttl}),
                )
            }
            _ => legacy(json!({"errcode": 40096, "errmsg": "不合法的appKey或appSecret"})),
        }
    }

    /// Token check for legacy endpoints: query `access_token` or a form-body field; headers ignored.
    fn legacy_auth(&self, req: &Req) -> Result<String, Resp> {
        let token = req
            .query_param("access_token")
            .or_else(|| req.is_form().then(|| req.form().remove("access_token"))?);
        match self.check_token(token.as_deref()) {
            TokenCheck::Missing => Err(legacy_88("40000", "access_token is blank")),
            TokenCheck::Expired if self.expired_token_code_42001 => {
                Err(legacy_88("42001", "access_token超时"))
            }
            TokenCheck::Unknown | TokenCheck::Expired => {
                Err(legacy_88("40014", "不合法的access_token"))
            }
            TokenCheck::Valid(app) => Ok(app),
        }
    }

    /// Token check for new-API endpoints: header `x-acs-dingtalk-access-token` only.
    fn new_api_auth(&self, req: &Req, scope: &str) -> Result<String, Resp> {
        let app_key = match self.check_token(req.header("x-acs-dingtalk-access-token")) {
            TokenCheck::Missing => {
                return Err(new_api_error(
                    400,
                    "AuthenticationFailed.MissingParameter",
                    "缺少参数：x-acs-dingtalk-access-token",
                ));
            }
            TokenCheck::Unknown | TokenCheck::Expired => {
                return Err(new_api_error(
                    400,
                    "InvalidAuthentication",
                    "不合法的access_token",
                ));
            }
            TokenCheck::Valid(app) => app,
        };
        let app = &self.apps[&app_key];
        if !app.ip_allowed {
            return Err(new_api_error(
                403,
                "Forbidden.AccessDenied.IpNotInWhiteList",
                "访问ip不在白名单之中",
            ));
        }
        if !app.scopes.contains(scope) {
            return Err(missing_scope_new(scope));
        }
        Ok(app_key)
    }

    fn get_by_mobile(&mut self, req: &Req) -> Resp {
        let app_key = match self.legacy_auth(req) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let app = &self.apps[&app_key];
        if !app.ip_allowed {
            return legacy_88("60020", "访问ip不在白名单之中,request ip=127.0.0.1");
        }
        if !app.scopes.contains(SCOPE_LOOKUP) {
            return missing_scope_legacy(&app_key, SCOPE_LOOKUP);
        }
        let (mobile, exclusive) = if req.is_json() {
            let body = req.json_object().unwrap_or_default();
            (
                body.get("mobile")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                body.get("support_exclusive_account_search")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            )
        } else if req.is_form() {
            let form = req.form();
            (
                form.get("mobile").cloned(),
                form.get("support_exclusive_account_search")
                    .is_some_and(|v| v == "true"),
            )
        } else {
            return legacy(json!({"errcode": 43004, "errmsg": "无效的HTTP HEADER Content-Type"}));
        };
        let Some(mobile) = mobile.filter(|m| !m.trim().is_empty()) else {
            return legacy(json!({"errcode": 400002, "errmsg": "无效的参数"}));
        };
        if !is_well_formed_mobile(mobile.trim()) {
            return legacy(json!({"errcode": 40104, "errmsg": "企业中无效的手机号"}));
        }
        let wanted = self.normalize_mobile(&mobile);
        let found = self
            .users
            .iter()
            .find(|u| u.active && self.normalize_mobile(&u.mobile) == wanted);
        match found {
            None => legacy(json!({"errcode": 60121, "errmsg": "找不到该用户"})),
            Some(u) => {
                let mut result = json!({"userid": u.userid});
                if exclusive {
                    result["exclusive_account_userid_list"] = json!([]);
                }
                legacy(json!({"errcode": 0, "errmsg": "ok", "result": result}))
            }
        }
    }

    /// robotCode checks shared by batchSend, readStatus and cards.
    fn check_robot_code(&self, app_key: &str, robot_code: Option<&Value>) -> Result<(), Resp> {
        let app = &self.apps[app_key];
        let code = match robot_code {
            None | Some(Value::Null) => {
                return Err(new_api_error(
                    400,
                    "invalidParameter.robotCode.empty",
                    "robotCode不能为空",
                ));
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(new_api_error(
                    400,
                    "invalidParameter.robotCode.empty",
                    "robotCode不能为空",
                ));
            }
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(new_api_error(
                    400,
                    "invalidParameter.robotCode.invalid",
                    "robotCode不合法",
                ));
            }
        };
        if *code != app.robot_code {
            if self.apps.values().any(|a| a.robot_code == *code) {
                return Err(new_api_error(
                    400,
                    "invalidParameter.robotCode.auth",
                    "此应用appkey和机器人robotCode不匹配，请使用机器人应用的appkey",
                ));
            }
            return Err(new_api_error(
                400,
                "invalidParameter.robotCode.notExsit",
                "机器人不存在，请检查企业内是否安装了robotCode对应的机器人",
            ));
        }
        if !app.robot_enabled {
            return Err(new_api_error(
                400,
                "chatbotId.notAllow.sendOTO",
                "不允许主动发单聊，请检查机器人状态是否已启用",
            ));
        }
        Ok(())
    }

    /// Why this userid cannot receive, if it cannot.
    fn unreachable(&self, userid: &str) -> Option<&'static str> {
        if self.forced_invalid.contains(userid) {
            return Some("forced invalid");
        }
        match self.user_by_id(userid) {
            None => Some("用户不存在"),
            Some(u) if !u.active => Some("用户已离职"),
            Some(u) if !u.in_scope => Some("用户不在应用可见范围内"),
            Some(_) => None,
        }
    }

    /// Count one message for the per-user daily cap; true if it is over the cap.
    fn over_cap(&mut self, userid: &str) -> bool {
        if self.forced_flow_controlled.contains(userid) {
            return true;
        }
        let Some(cap) = self.per_user_daily_cap else {
            return false;
        };
        let day = self.now().as_secs() / 86_400;
        let n = self
            .sends_per_user_day
            .entry((userid.to_string(), day))
            .or_default();
        if *n >= cap {
            return true;
        }
        *n += 1;
        false
    }

    fn batch_send(&mut self, req: &Req) -> Resp {
        let app_key = match self.new_api_auth(req, SCOPE_SEND) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let invalid = |code: &str, msg: &str| new_api_error(400, code, msg);
        let body = match req.json_object() {
            Some(b) if req.is_json() => b,
            _ => return invalid("invalidParameter.msgBody.invalid", "消息体不合法"),
        };
        if let Err(r) = self.check_robot_code(&app_key, body.get("robotCode")) {
            return r;
        }
        let user_ids = match body.get("userIds") {
            Some(Value::Array(ids)) if !ids.is_empty() => ids,
            _ => return invalid("invalidParameter.userIds.empty", "userIds不能为空"),
        };
        if user_ids.len() > self.userids_cap {
            return invalid("invalidParameter.userIds.overMax", "userIds超过最大限制100");
        }
        let mut ids = Vec::new();
        for id in user_ids {
            match id.as_str().map(str::trim) {
                Some(s) if !s.is_empty() => ids.push(s.to_string()),
                _ => return invalid("invalidParameter.userId.empty", "缺少staffId"),
            }
        }
        let msg_key = match body.get("msgKey").and_then(Value::as_str) {
            Some(k) if !k.trim().is_empty() => k.to_string(),
            _ => return invalid("invalidParameter.msgKey.empty", "msgKey不能为空"),
        };
        let Some(required) = msg_key_params(&msg_key) else {
            return invalid("invalidParameter.msgKey.invalid", "msgKey不合法");
        };
        let param_text = match body.get("msgParam") {
            Some(Value::String(s)) => s,
            _ => {
                return invalid(
                    "invalidParameter.msgParam.invalid",
                    "msgParam必须是json格式的字符串",
                );
            }
        };
        let Ok(Value::Object(param)) = serde_json::from_str::<Value>(param_text) else {
            return invalid(
                "invalidParameter.msgParam.invalid",
                "msgParam必须是json格式",
            );
        };
        if param_text.len() > self.msg_param_limit {
            return invalid("invalidParameter.msgParam.tooLong", "msgParam过长");
        }
        for (key, code) in required {
            let present = match param.get(*key) {
                Some(Value::String(s)) => !s.is_empty(),
                Some(Value::Null) | None => false,
                Some(_) => true,
            };
            if !present {
                return invalid(code, &format!("缺少参数 {key}"));
            }
        }
        // Whole-call refusals: nothing is delivered to anyone.
        if let Some(id) = ids.iter().find(|id| self.forced_stale.contains(*id)) {
            return invalid("staffId.notExisted", &format!("员工不存在: {id}"));
        }
        if ids
            .iter()
            .any(|id| self.forced_no_conversation.contains(id))
        {
            return invalid("robot.oto.notExist", "没有有效的机器人单聊会话");
        }
        let mut invalid_ids = Vec::new();
        let mut filtered = Vec::new();
        let mut flow = Vec::new();
        let mut delivered = Vec::new();
        for id in ids {
            if self.unreachable(&id).is_some() {
                invalid_ids.push(id);
            } else if self.forced_filtered.contains(&id) {
                filtered.push(id);
            } else if self.over_cap(&id) {
                flow.push(id);
            } else {
                delivered.push(id);
            }
        }
        let pqk = new_process_query_key();
        if !delivered.is_empty() {
            let robot_code = self.apps[&app_key].robot_code.clone();
            self.outbox.push(SentMessage {
                app_key,
                robot_code,
                user_ids: delivered,
                msg_key: Some(msg_key),
                msg_param: Some(Value::Object(param)),
                process_query_key: pqk.clone(),
                at: self.now().as_secs(),
                card_template_id: None,
                out_track_id: None,
                card_params: None,
            });
        }
        ok_json(json!({
            "processQueryKey": pqk,
            "invalidStaffIdList": invalid_ids,
            "flowControlledStaffIdList": flow,
            "filteredStaffIdList": filtered,
        }))
    }

    fn read_status(&mut self, req: &Req) -> Resp {
        let app_key = match self.new_api_auth(req, SCOPE_SEND) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let robot = req.query_param("robotCode").map(Value::String);
        if let Err(r) = self.check_robot_code(&app_key, robot.as_ref()) {
            return r;
        }
        let Some(key) = req.query_param("processQueryKey").filter(|k| !k.is_empty()) else {
            return new_api_error(
                400,
                "invalidParameter.processQueryKey.missing",
                "processQueryKey不能为空",
            );
        };
        let Some(sent) = self
            .outbox
            .iter()
            .find(|m| m.process_query_key == key && m.app_key == app_key && m.msg_key.is_some())
        else {
            return new_api_error(400, "invalid.processQueryKey", "processQueryKey不合法");
        };
        if self.now().as_secs().saturating_sub(sent.at) > Duration::from_secs(86_400).as_secs() {
            return new_api_error(
                400,
                "processQueryKey.expireTime",
                "还未生成消息查询数据或已过期",
            );
        }
        let list: Vec<Value> = sent
            .user_ids
            .iter()
            .map(|u| {
                let read = self.read.contains(&(key.clone(), u.clone()));
                json!({
                    "name": u,
                    "userId": u,
                    "readStatus": if read { "READ" } else { "UNREAD" },
                    "readTimestamp": if read { json!(self.now().as_millis() as u64) } else { Value::Null },
                })
            })
            .collect();
        ok_json(json!({"sendStatus": "SUCCESS", "messageReadInfoList": list}))
    }

    /// createAndDeliver (contract 4.4). A repeated outTrackId is idempotent: the first answer is
    /// returned again and nothing new is delivered.
    fn card_deliver(&mut self, req: &Req) -> Resp {
        let app_key = match self.new_api_auth(req, SCOPE_CARD) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let invalid = |code: &str, msg: &str| new_api_error(400, code, msg);
        let body = match req.json_object() {
            Some(b) if req.is_json() => b,
            _ => return invalid("param.invalid", "请求体必须是json对象"),
        };
        let template = match body.get("cardTemplateId").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => t.to_string(),
            _ => return invalid("param.cardTemplateIdEmpty", "cardTemplateId不能为空"),
        };
        let out_track_id = match body.get("outTrackId").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() => t.to_string(),
            _ => return invalid("param.invalid", "outTrackId不能为空"),
        };
        if !self.apps[&app_key].card_templates.contains(&template) {
            return invalid("param.templateNotExist", "卡片模板不存在");
        }
        let user_id = match body
            .get("openSpaceId")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix("dtv1.card//IM_ROBOT."))
        {
            Some(u) if !u.is_empty() && !u.contains([';', '.']) => u.to_string(),
            _ => return invalid("param.openSpaceIdInvalid", "openSpaceId不合法"),
        };
        let Some(deliver) = body
            .get("imRobotOpenDeliverModel")
            .and_then(Value::as_object)
        else {
            return invalid(
                "param.openDeliverModelEmpty",
                "imRobotOpenDeliverModel不能为空",
            );
        };
        if deliver.get("spaceType").and_then(Value::as_str) != Some("IM_ROBOT") {
            return invalid("param.invalid", "spaceType必须是IM_ROBOT");
        }
        if let Some(code) = deliver.get("robotCode")
            && let Err(r) = self.check_robot_code(&app_key, Some(code))
        {
            return r;
        }
        if !self.apps[&app_key].robot_enabled {
            return invalid(
                "chatbotId.notAllow.sendOTO",
                "不允许主动发单聊，请检查机器人状态是否已启用",
            );
        }
        if !matches!(
            body.get("userIdType").and_then(Value::as_i64),
            None | Some(1)
        ) {
            return invalid("param.invalid", "仅支持userIdType=1");
        }
        let params = match body
            .get("cardData")
            .and_then(|d| d.get("cardParamMap"))
            .and_then(Value::as_object)
        {
            Some(m) if m.values().all(Value::is_string) => m
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect::<BTreeMap<_, _>>(),
            _ => return invalid("param.invalid", "cardParamMap的值必须是字符串"),
        };
        if let Some(previous) = self.cards.get(&out_track_id) {
            return ok_json(previous.clone());
        }
        let failure = self.unreachable(&user_id);
        let carrier = new_process_query_key();
        let result = json!({
            "success": true,
            "result": {
                "outTrackId": out_track_id,
                "deliverResults": [{
                    "spaceType": "IM_ROBOT",
                    "spaceId": user_id,
                    "success": failure.is_none(),
                    "carrierId": if failure.is_none() { json!(carrier) } else { Value::Null },
                    "errorMsg": failure,
                }],
            },
        });
        if failure.is_none() {
            let robot_code = self.apps[&app_key].robot_code.clone();
            self.outbox.push(SentMessage {
                app_key,
                robot_code,
                user_ids: vec![user_id],
                msg_key: None,
                msg_param: None,
                process_query_key: carrier,
                at: self.now().as_secs(),
                card_template_id: Some(template),
                out_track_id: Some(out_track_id.clone()),
                card_params: Some(params),
            });
        }
        self.cards.insert(out_track_id, result.clone());
        ok_json(result)
    }
}

/// Required msgParam keys per msgKey and the error code when one is missing;
/// `None` = msgKey not in the catalogue.
fn msg_key_params(key: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match key {
        "sampleText" => &[("content", "miss.param.contentOfText")],
        "sampleMarkdown" => &[
            ("title", "miss.param.markdownTotitle"),
            ("text", "miss.param.markdownTotext"),
        ],
        "sampleImageMsg" => &[("photoURL", "miss.param.photoURL")],
        "sampleLink" => &[
            ("text", "miss.param.text"),
            ("title", "miss.param.title"),
            ("picUrl", "miss.param.picUrl"),
            ("messageUrl", "miss.param.messageUrl"),
        ],
        "sampleActionCard" => &[
            ("title", "miss.param.actionCardTitle"),
            ("text", "miss.param.actionCardText"),
            ("singleTitle", "miss.param.singleTitle"),
            ("singleURL", "miss.param.singleURL"),
        ],
        "sampleActionCard2" | "sampleActionCard3" | "sampleActionCard4" | "sampleActionCard5" => &[
            ("title", "miss.param.actionCardTitle"),
            ("text", "miss.param.actionCardText"),
            ("actionTitle1", "miss.param.actionTitle1"),
            ("actionURL1", "miss.param.actionURL1"),
        ],
        "sampleActionCard6" => &[
            ("title", "miss.param.actionCardTitle"),
            ("text", "miss.param.actionCardText"),
            ("buttonTitle1", "miss.param.buttonTitle1"),
            ("buttonUrl1", "miss.param.buttonUrl1"),
        ],
        "sampleAudio" => &[
            ("mediaId", "miss.param.mediaId"),
            ("duration", "miss.param.duration"),
        ],
        "sampleFile" => &[
            ("mediaId", "miss.param.mediaId"),
            ("fileName", "miss.param.fileName"),
            ("fileType", "miss.param.fileType"),
        ],
        "sampleVideo" => &[
            ("duration", "miss.param.duration"),
            ("videoMediaId", "miss.param.videoMediaId"),
            ("videoType", "miss.param.videoType"),
            ("picMediaId", "miss.param.picMediaId"),
        ],
        _ => return None,
    })
}
