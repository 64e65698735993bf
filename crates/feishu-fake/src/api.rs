//! Endpoint behaviour of the fake (contract 10.2), independent of the HTTP framework.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::Rng;
use serde_json::{Map, Value, json};

use super::state::{
    FakeApp, FakeEndpoint, FakeState, FakeUser, Fault, SCOPE_EMPLOYEE_ID, SCOPE_LOOKUP,
    SEND_SCOPES, SentMessage, TokenEntry, open_id_for,
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
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
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
}

/// What the fake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
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

    fn with_header(mut self, name: &'static str, value: String) -> Resp {
        self.headers.push((name, value));
        self
    }
}

const JSON: &str = "application/json; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

pub(crate) fn log_id() -> String {
    let mut r = rand::rng();
    let hex: String = (0..12)
        .map(|_| format!("{:02X}", r.random::<u8>()))
        .collect();
    format!("2026{hex}")
}

fn random_hex(bytes: usize) -> String {
    let mut r = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", r.random::<u8>()))
        .collect()
}

/// `{"code","msg","error":{"log_id"}}` with this status.
pub(crate) fn error(status: u16, code: i64, msg: &str) -> Resp {
    Resp::new(
        status,
        JSON,
        json!({"code": code, "msg": msg, "error": {"log_id": log_id()}}).to_string(),
    )
}

fn ok(data: Value) -> Resp {
    Resp::new(
        200,
        JSON,
        json!({"code": 0, "msg": "success", "data": data}).to_string(),
    )
}

fn missing_scope(app_id: &str, scope: &str) -> Resp {
    Resp::new(
        400,
        JSON,
        json!({
            "code": 99991672,
            "msg": format!("Access denied. One of the following scopes is required: [{scope}]"),
            "error": {
                "log_id": log_id(),
                "permission_violations": [{"type": "action_scope_required", "subject": scope}],
                "helps": [{
                    "url": format!("https://open.feishu.cn/app/{app_id}/auth?q={scope}&op_from=openapi"),
                    "description": format!("Learn more about scopes and how to add them: [{scope}]"),
                }],
            },
        })
        .to_string(),
    )
}

fn invalid_param(what: &str) -> Resp {
    error(400, 99992402, &format!("field validation failed: {what}"))
}

/// The answer for an injected fault (`Delay` and `DropConnection` are handled by the server).
pub(crate) fn fault_response(f: &Fault) -> Resp {
    const LIMIT_MSG: &str = "request trigger frequency limit";
    match f {
        Fault::RateLimited { reset } => error(429, 99991400, LIMIT_MSG)
            .with_header("x-ogw-ratelimit-limit", "50".into())
            .with_header("x-ogw-ratelimit-reset", reset.to_string()),
        Fault::RateLimited400 => error(400, 99991400, LIMIT_MSG),
        Fault::Code { status, code, msg } => error(*status, *code, msg),
        Fault::TokenInvalid => token_invalid(),
        Fault::CardError { sub_code } => card_error(*sub_code, "injected card error"),
        Fault::Html { status } => Resp::new(
            *status,
            HTML,
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>Bad Gateway</h1></center></body></html>",
        ),
        Fault::InvalidJson => Resp::new(200, JSON, "{not json]"),
        Fault::TruncatedBody => Resp::new(200, JSON, r#"{"code":0,"msg":"success","data":{"mess"#),
        Fault::Delay { .. } | Fault::DropConnection => error(500, 1500, "internal error"),
    }
}

fn token_invalid() -> Resp {
    error(
        400,
        99991663,
        "Invalid access token for authorization. Please make a request with token attached.",
    )
}

fn card_error(sub_code: i64, what: &str) -> Resp {
    error(
        400,
        230099,
        &format!("Failed to create card content, ext=ErrCode: {sub_code}; ErrMsg: {what}; "),
    )
}

impl FakeState {
    pub(crate) fn dispatch(&mut self, endpoint: FakeEndpoint, req: &Req) -> Resp {
        if endpoint == FakeEndpoint::Token {
            return self.token(req);
        }
        if !req.path.starts_with("/open-apis/") || endpoint == FakeEndpoint::Other {
            return error(404, 99991201, "resource not find");
        }
        let app = match self.authenticate(req) {
            Ok(app) => app,
            Err(resp) => return resp,
        };
        match endpoint {
            FakeEndpoint::BatchGetId => self.batch_get_id(&app, req),
            FakeEndpoint::SendMessage => self.send(&app, req),
            _ => error(404, 99991201, "resource not find"),
        }
    }

    fn token(&mut self, req: &Req) -> Resp {
        let body = req.json_object().unwrap_or_default();
        let (Some(Value::String(id)), Some(Value::String(secret))) =
            (body.get("app_id"), body.get("app_secret"))
        else {
            return error(400, 10003, "invalid param");
        };
        let good = self.apps.get(id).is_some_and(|a| &a.app_secret == secret);
        if !good {
            return error(self.token_error_status, 10014, "app secret invalid");
        }
        let now = self.now();
        let live = self
            .tokens
            .iter()
            .filter(|(_, e)| &e.app_id == id && !e.revoked && e.expires_at > now)
            .max_by_key(|(_, e)| e.expires_at)
            .map(|(t, e)| (t.clone(), e.expires_at - now));
        let (token, expire) = match live {
            Some((t, left)) if left >= Duration::from_secs(1800) => (t, left),
            _ => {
                let t = format!("t-{}", random_hex(20));
                self.tokens.insert(
                    t.clone(),
                    TokenEntry {
                        app_id: id.clone(),
                        expires_at: now + self.token_ttl,
                        revoked: false,
                    },
                );
                (t, self.token_ttl)
            }
        };
        Resp::new(
            200,
            JSON,
            json!({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": expire.as_secs()})
                .to_string(),
        )
    }

    /// The auth filter: token, IP allow-list, monthly quota. Returns the caller's app.
    fn authenticate(&mut self, req: &Req) -> Result<FakeApp, Resp> {
        let Some(auth) = req.header("authorization").filter(|a| !a.trim().is_empty()) else {
            return Err(error(400, 99991661, "Need a token"));
        };
        let Some(token) = auth.strip_prefix("Bearer ").filter(|t| t.starts_with("t-")) else {
            return Err(error(400, 99991671, "Invalid token: must start with t-/u-"));
        };
        let now = self.now();
        let app_id = match self.tokens.get(token) {
            Some(e) if !e.revoked && e.expires_at > now => e.app_id.clone(),
            _ => return Err(token_invalid()),
        };
        let Some(app) = self.apps.get_mut(&app_id) else {
            return Err(token_invalid());
        };
        if let Some(allowed) = &app.ip_allowlist
            && !allowed.contains(&self.client_ip)
        {
            return Err(error(
                400,
                99991401,
                &format!("ip {} is denied by app setting", self.client_ip),
            ));
        }
        match &mut app.monthly_quota {
            Some(0) => {
                return Err(error(
                    400,
                    99991403,
                    "the monthly API call quota is used up",
                ));
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Ok(app.clone())
    }

    fn visible(&self, app: &FakeApp, u: &FakeUser, include_resigned: bool) -> bool {
        app.contact_scope
            .as_ref()
            .is_none_or(|s| s.contains(&u.user_id))
            && (!u.resigned || include_resigned)
    }

    fn batch_get_id(&self, app: &FakeApp, req: &Req) -> Resp {
        if !app.scopes.contains(SCOPE_LOOKUP) {
            return missing_scope(&app.app_id, SCOPE_LOOKUP);
        }
        let id_type = req.query_param("user_id_type").unwrap_or("open_id".into());
        if !["open_id", "union_id", "user_id"].contains(&id_type.as_str()) {
            return invalid_param("user_id_type");
        }
        if id_type == "user_id" && !app.scopes.contains(SCOPE_EMPLOYEE_ID) {
            return missing_scope(&app.app_id, SCOPE_EMPLOYEE_ID);
        }
        let Some(body) = req.json_object() else {
            return invalid_param("body");
        };
        let list = |k: &str| -> Result<Vec<String>, Resp> {
            match body.get(k) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) if a.len() > 50 => Err(invalid_param(k)),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| invalid_param(k))
                    })
                    .collect(),
                Some(_) => Err(invalid_param(k)),
            }
        };
        let (emails, mobiles) = match (list("emails"), list("mobiles")) {
            (Ok(e), Ok(m)) => (e, m),
            (Err(r), _) | (_, Err(r)) => return r,
        };
        let include_resigned = body
            .get("include_resigned")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let id_of = |u: &FakeUser| match id_type.as_str() {
            "user_id" => u.user_id.clone(),
            "union_id" => u.union_id.clone(),
            _ => open_id_for(&app.app_id, &u.user_id),
        };
        let mut out = Vec::new();
        for e in &emails {
            let u = self.users.iter().find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(e))
                    && self.visible(app, u, include_resigned)
            });
            out.push(entry("email", e, u.map(|u| (id_of(u), u))));
        }
        for m in &mobiles {
            let u = self.users.iter().find(|u| {
                u.mobile
                    .as_deref()
                    .is_some_and(|x| self.mobile_matches(x, m))
                    && self.visible(app, u, include_resigned)
            });
            out.push(entry("mobile", m, u.map(|u| (id_of(u), u))));
        }
        ok(json!({"user_list": out}))
    }

    /// Exact stored form; with `plus86_matches_bare`, `+86<11 digits>` also matches.
    fn mobile_matches(&self, stored: &str, input: &str) -> bool {
        stored == input || (self.plus86_matches_bare && input.strip_prefix("+86") == Some(stored))
    }

    fn send(&mut self, app: &FakeApp, req: &Req) -> Resp {
        if !SEND_SCOPES.iter().any(|s| app.scopes.contains(*s)) {
            return missing_scope(&app.app_id, SEND_SCOPES[1]);
        }
        let id_type = req.query_param("receive_id_type").unwrap_or_default();
        if !["open_id", "union_id", "user_id", "email", "chat_id"].contains(&id_type.as_str()) {
            return invalid_param("receive_id_type");
        }
        let Some(body) = req.json_object() else {
            return error(400, 230001, "invalid request body");
        };
        let (Some(receive_id), Some(msg_type)) = (
            body.get("receive_id").and_then(Value::as_str),
            body.get("msg_type").and_then(Value::as_str),
        ) else {
            return invalid_param("receive_id/msg_type");
        };
        let content = match body.get("content") {
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => v,
                _ => return error(400, 230001, "invalid message content"),
            },
            _ => return error(400, 230001, "content must be a string"),
        };
        if !app.bot_enabled || !app.published {
            return error(400, 230006, "Bot ability is not activated.");
        }
        let user = match self.recipient(app, &id_type, receive_id) {
            Ok(u) => u,
            Err(r) => return r,
        };
        if app
            .availability
            .as_ref()
            .is_some_and(|a| !a.contains(&user.user_id))
        {
            return error(400, 230013, "Bot has NO availability to this user.");
        }
        if user.resigned {
            return error(400, 230029, "The user has resigned.");
        }
        if user.blocked_bot {
            return error(
                400,
                230053,
                "The user has stopped the bot from sending messages.",
            );
        }
        let limit = if msg_type == "text" {
            self.text_limit
        } else {
            self.rich_limit
        };
        if req.body.len() > limit {
            return error(400, 230025, "The message content is too long.");
        }
        if msg_type == "interactive"
            && content.get("type").and_then(Value::as_str) == Some("template")
            && let Err(r) = self.check_template(app, &content)
        {
            return r;
        }
        let now = self.now();
        let uuid = body.get("uuid").and_then(Value::as_str).map(str::to_string);
        if let Some(u) = &uuid
            && let Some((mid, at)) = self.uuids.get(&(app.app_id.clone(), u.clone()))
            && now < *at + Duration::from_secs(3600)
        {
            return ok(message_json(mid, msg_type, &app.app_id, &body, *at));
        }
        let recent = self.recent_sends.entry(user.user_id.clone()).or_default();
        recent.retain(|t| now < *t + Duration::from_secs(1));
        if recent.len() >= self.per_recipient_qps {
            return error(400, 230020, "This operation triggers the frequency limit.");
        }
        recent.push_back(now);
        let mid = format!("om_{}", random_hex(16));
        if let Some(u) = &uuid {
            self.uuids
                .insert((app.app_id.clone(), u.clone()), (mid.clone(), now));
        }
        self.outbox.push(SentMessage {
            message_id: mid.clone(),
            app_id: app.app_id.clone(),
            receive_id_type: id_type,
            receive_id: receive_id.into(),
            user_id: user.user_id.clone(),
            msg_type: msg_type.into(),
            content,
            uuid,
            at_ms: now.as_millis() as u64,
        });
        ok(message_json(&mid, msg_type, &app.app_id, &body, now))
    }

    fn recipient(&self, app: &FakeApp, id_type: &str, id: &str) -> Result<FakeUser, Resp> {
        match id_type {
            "open_id" => {
                if let Some(u) = self
                    .users
                    .iter()
                    .find(|u| open_id_for(&app.app_id, &u.user_id) == id)
                {
                    return Ok(u.clone());
                }
                let other_app = self.apps.keys().any(|a| {
                    a != &app.app_id && self.users.iter().any(|u| open_id_for(a, &u.user_id) == id)
                });
                Err(if other_app {
                    error(400, 99992361, "open_id cross app")
                } else {
                    error(400, 99992351, "these open_ids not existed")
                })
            }
            "user_id" => self
                .user(id)
                .cloned()
                .ok_or_else(|| error(400, 99992360, "these user ids not existed")),
            "union_id" => self
                .users
                .iter()
                .find(|u| u.union_id == id)
                .cloned()
                .ok_or_else(|| error(400, 99992351, "these union ids not existed")),
            "email" => self
                .users
                .iter()
                .find(|u| {
                    u.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(id))
                })
                .cloned()
                .ok_or_else(|| error(400, 230034, "The receive_id is invalid.")),
            _ => Err(error(400, 230034, "The receive_id is invalid.")),
        }
    }

    fn check_template(&self, app: &FakeApp, content: &Value) -> Result<(), Resp> {
        let data = content.get("data").cloned().unwrap_or_default();
        let id = data
            .get("template_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(t) = self.templates.get(id) else {
            return Err(card_error(200380, "template does not exist"));
        };
        if !t.shared_with_apps.contains(&app.app_id) {
            return Err(card_error(200381, "template is not visible to app"));
        }
        let vars = data.get("template_variable").cloned().unwrap_or_default();
        for (name, ty) in &t.variables {
            let ok = match vars.get(name) {
                None => true,
                Some(Value::String(_)) => ty == "string",
                Some(Value::Number(_)) => ty == "number",
                Some(Value::Bool(_)) => ty == "boolean",
                Some(_) => ty == "object",
            };
            if !ok {
                return Err(card_error(
                    200732,
                    "the actual type of the variable is inconsistent",
                ));
            }
        }
        Ok(())
    }
}

fn entry(field: &str, input: &str, found: Option<(String, &FakeUser)>) -> Value {
    let mut e = Map::new();
    e.insert(field.into(), input.into());
    if let Some((id, u)) = found {
        e.insert("user_id".into(), id.into());
        e.insert(
            "status".into(),
            json!({"is_frozen": false, "is_resigned": u.resigned, "is_activated": true,
                   "is_exited": false, "is_unjoin": false}),
        );
    }
    Value::Object(e)
}

fn message_json(
    mid: &str,
    msg_type: &str,
    app_id: &str,
    body: &Map<String, Value>,
    at: Duration,
) -> Value {
    let ms = at.as_millis().to_string();
    json!({
        "message_id": mid, "msg_type": msg_type, "create_time": ms, "update_time": ms,
        "deleted": false, "updated": false, "chat_id": "oc_fake",
        "sender": {"id": app_id, "id_type": "app_id", "sender_type": "app", "tenant_key": "fake"},
        "body": {"content": body.get("content").cloned().unwrap_or_default()},
    })
}
