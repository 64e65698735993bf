//! Endpoint behaviour of the fake (contract 9.2), independent of the HTTP framework.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use rand::Rng;
use serde_json::{Map, Value, json};

use super::state::{
    DroppedSend, FakeApp, FakeEndpoint, FakeState, Fault, Oversize, SentMessage, TokenEntry,
};

/// A request as the fake sees it.
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Socket IP, or the `X-Fake-Client-IP` header when present.
    pub client_ip: String,
}

impl Req {
    fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// What the fake answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

const JSON: &str = "application/json; charset=UTF-8";
const HTML: &str = "text/html; charset=utf-8";

pub(crate) const CONTENT_LIMIT: usize = 2048;
const MSGTYPES: [&str; 11] = [
    "text",
    "image",
    "voice",
    "video",
    "file",
    "textcard",
    "news",
    "mpnews",
    "markdown",
    "miniprogram_notice",
    "template_card",
];

fn ok(v: Value) -> Resp {
    Resp {
        status: 200,
        content_type: JSON,
        body: v.to_string(),
    }
}

/// The real suffix every error `errmsg` carries.
pub(crate) fn errmsg(code: i64, text: &str, ip: &str) -> String {
    let hint: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    format!(
        "{text}, hint: [{hint}], from ip: {ip}, more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
    )
}

fn err(code: i64, text: &str, ip: &str) -> Resp {
    ok(json!({"errcode": code, "errmsg": errmsg(code, text, ip)}))
}

pub(crate) fn fault_response(f: &Fault, ip: &str) -> Resp {
    match f {
        Fault::Errcode {
            errcode,
            errmsg: text,
            invaliduser,
        } => {
            let mut v = json!({"errcode": errcode, "errmsg": errmsg(*errcode, text, ip)});
            if let Some(u) = invaliduser {
                v["invaliduser"] = u.clone().into();
            }
            ok(v)
        }
        Fault::Html { status } => Resp {
            status: *status,
            content_type: HTML,
            body: format!("<html><body><h1>{status} Bad Gateway</h1><hr>stgw</body></html>"),
        },
        Fault::Json { body } => Resp {
            status: 200,
            content_type: JSON,
            body: body.clone(),
        },
        Fault::InvalidJson => Resp {
            status: 200,
            content_type: JSON,
            body: "errcode=0&not json".into(),
        },
        Fault::Truncated => Resp {
            status: 200,
            content_type: JSON,
            body: r#"{"errcode":0,"errmsg":"ok","invali"#.into(),
        },
        // Handled by the server loop.
        Fault::Delay { .. } | Fault::ConnectionReset => err(-1, "system busy", ip),
    }
}

fn new_token() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    let len = rng.random_range(64..=128);
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn json_object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

fn str_field<'a>(o: &'a Map<String, Value>, k: &str) -> &'a str {
    o.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn split_ids(s: &str) -> Vec<String> {
    s.split('|')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn hash_body(body: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    body.hash(&mut h);
    h.finish()
}

/// Cut to at most `limit` bytes at a char boundary.
fn cut(s: &str, limit: usize) -> String {
    let mut end = limit.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

impl FakeState {
    pub(crate) fn dispatch(&mut self, endpoint: FakeEndpoint, req: &Req) -> Resp {
        let ip = req.client_ip.as_str();
        if endpoint == FakeEndpoint::GetToken {
            return self.gettoken(req);
        }
        if !req.path.starts_with("/cgi-bin/") {
            return Resp {
                status: 404,
                content_type: HTML,
                body: "<html><body>404 Not Found</body></html>".into(),
            };
        }
        // Auth filter (9.2.2).
        let Some(token) = req.query_param("access_token").filter(|t| !t.is_empty()) else {
            return err(41001, "access_token missing", ip);
        };
        let now = self.now();
        let (corpid, agentid) = match self.tokens.get(&token) {
            None => return err(40014, "invalid access_token", ip),
            Some(t) if t.expires_at <= now => return err(42001, "access_token expired", ip),
            Some(t) => (t.corpid.clone(), t.agentid),
        };
        let Some(app) = self.app(&corpid, agentid).cloned() else {
            return err(40014, "invalid access_token", ip);
        };
        if app.trusted_ips.as_ref().is_some_and(|s| !s.contains(ip)) {
            return err(60020, "not allow to access from your ip", ip);
        }
        let Some(body) = json_object(&req.body) else {
            return err(
                40058,
                "invalid Request Parameter (body is not a JSON object)",
                ip,
            );
        };
        match endpoint {
            FakeEndpoint::GetUserId => {
                let mobile = str_field(&body, "mobile");
                if !(5..=32).contains(&mobile.len()) {
                    return err(60103, "mobile invalid", ip);
                }
                self.lookup(&app, ip, |st, m| st.mobile_matches(&m.mobile, mobile))
            }
            FakeEndpoint::GetUserIdByEmail => {
                let email = str_field(&body, "email").to_string();
                let email_type = body.get("email_type").and_then(Value::as_i64).unwrap_or(1);
                if email.is_empty() || !matches!(email_type, 1 | 2) {
                    return err(40058, "invalid Request Parameter (email)", ip);
                }
                self.lookup(&app, ip, |_, m| {
                    let stored = if email_type == 2 {
                        &m.email
                    } else {
                        &m.biz_mail
                    };
                    !stored.is_empty() && stored.eq_ignore_ascii_case(&email)
                })
            }
            FakeEndpoint::MessageSend => self.send(&app, &body, &req.body, ip),
            _ => err(48001, "api unauthorized", ip),
        }
    }

    fn gettoken(&mut self, req: &Req) -> Resp {
        let ip = req.client_ip.as_str();
        self.token_calls += 1;
        let corpid = req.query_param("corpid").unwrap_or_default();
        let secret = req.query_param("corpsecret").unwrap_or_default();
        if corpid.is_empty() {
            return err(41002, "corpid missing", ip);
        }
        if secret.is_empty() {
            return err(41004, "corpsecret missing", ip);
        }
        if !self.apps.iter().any(|a| a.corpid == corpid) {
            return ok(json!({"errcode": 40013, "errmsg": errmsg(40013, "invalid corpid", ip)}));
        }
        let Some(app) = self
            .apps
            .iter()
            .find(|a| a.corpid == corpid && a.secret == secret && a.enabled)
            .cloned()
        else {
            return if self.bad_secret_40091 {
                err(40091, "secret is invalid", ip)
            } else {
                err(40001, "invalid credential", ip)
            };
        };
        if self.gettoken_checks_ip && app.trusted_ips.as_ref().is_some_and(|s| !s.contains(ip)) {
            return err(60020, "not allow to access from your ip", ip);
        }
        let now = self.now();
        let reuse = self.reissue_same_token.then(|| {
            self.tokens
                .iter()
                .find(|(_, e)| e.corpid == corpid && e.agentid == app.agentid && e.expires_at > now)
                .map(|(t, _)| t.clone())
        });
        let token = reuse.flatten().unwrap_or_else(new_token);
        self.tokens.insert(
            token.clone(),
            TokenEntry {
                corpid,
                agentid: app.agentid,
                expires_at: now + self.token_ttl,
            },
        );
        ok(json!({
            "errcode": 0, "errmsg": "ok", "access_token": token,
            "expires_in": self.token_ttl.as_secs(),
        }))
    }

    fn mobile_matches(&self, stored: &str, asked: &str) -> bool {
        if stored == asked.trim() {
            return true;
        }
        let norm = |s: &str| {
            let s = s.trim();
            let s = s.strip_prefix("+86").unwrap_or(s).trim_start();
            s.to_string()
        };
        self.normalize_cn_prefix && norm(stored) == norm(asked)
    }

    /// 9.2.3/9.2.4: found and visible → userid; invisible → 60011; unknown → 46004 and one
    /// more wrong lookup; more than 20 % of the seat limit in a fake day → 45009 for the day.
    fn lookup(
        &mut self,
        app: &FakeApp,
        ip: &str,
        matches: impl Fn(&FakeState, &super::state::FakeMember) -> bool,
    ) -> Resp {
        let day = self.now_secs() / 86_400;
        let key = (app.corpid.clone(), app.agentid);
        let entry = self.wrong_lookups.entry(key).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        if u64::from(entry.1) * 5 > u64::from(self.seat_limit) {
            return err(
                45009,
                "api freq out of limit (too many wrong lookups today)",
                ip,
            );
        }
        let found = self
            .members
            .iter()
            .find(|m| matches(self, m))
            .map(|m| m.userid.clone());
        match found {
            Some(u) if FakeState::visible(app, &u) => {
                ok(json!({"errcode": 0, "errmsg": "ok", "userid": u}))
            }
            Some(_) => err(
                60011,
                "no privilege to access/modify contact/party/agent",
                ip,
            ),
            None => {
                if let Some(e) = self
                    .wrong_lookups
                    .get_mut(&(app.corpid.clone(), app.agentid))
                {
                    e.1 += 1;
                }
                err(46004, "user not found", ip)
            }
        }
    }

    fn send(&mut self, app: &FakeApp, body: &Map<String, Value>, raw: &[u8], ip: &str) -> Resp {
        let agentid = match body.get("agentid") {
            None => return err(41011, "agentid missing", ip),
            Some(v) => match v.as_i64() {
                Some(a) if self.apps.iter().any(|x| x.agentid == a) => a,
                _ => return err(40056, "invalid agentid", ip),
            },
        };
        if agentid != app.agentid {
            return err(
                301002,
                "not allow operate another agent with this accesstoken.",
                ip,
            );
        }
        let users = split_ids(str_field(body, "touser"));
        let parties = split_ids(str_field(body, "toparty"));
        let tags = split_ids(str_field(body, "totag"));
        if users.is_empty() && parties.is_empty() && tags.is_empty() {
            return err(82001, "All touser & toparty & totag invalid", ip);
        }
        if users.len() > 1000 {
            return err(40031, "invalid user list (over 1000)", ip);
        }
        if parties.len() > 100 || tags.len() > 100 {
            return err(40032, "invalid party or tag list (over 100)", ip);
        }
        let msgtype = str_field(body, "msgtype").to_string();
        if !MSGTYPES.contains(&msgtype.as_str()) {
            return err(40008, "invalid message type", ip);
        }
        let Some(mut payload) = body.get(&msgtype).filter(|p| p.is_object()).cloned() else {
            return err(
                40058,
                &format!("invalid Request Parameter ({msgtype} missing)"),
                ip,
            );
        };
        if let Some(e) = self.check_payload(&msgtype, &mut payload, ip) {
            return e;
        }
        // Duplicate check: the identical request body within the interval is delivered once.
        let now = self.now_secs();
        let hash = hash_body(raw);
        let dup_on = body.get("enable_duplicate_check").and_then(Value::as_i64) == Some(1);
        let interval = body
            .get("duplicate_check_interval")
            .and_then(Value::as_u64)
            .unwrap_or(1800)
            .min(14_400);
        if dup_on
            && let Some((at, answer)) = self.dup_index.get(&(agentid, hash))
            && now < at + interval
        {
            self.duplicates += 1;
            return ok(answer.clone());
        }
        let mut invalid = Vec::new();
        let mut unlicensed = Vec::new();
        let mut valid = Vec::new();
        for u in &users {
            let lc = u.to_lowercase();
            match self.member(u) {
                Some(m) if m.active && FakeState::visible(app, &m.userid) => {
                    if self.unlicensed.contains(&lc) {
                        unlicensed.push(lc);
                    } else {
                        valid.push(lc);
                    }
                }
                _ => invalid.push(lc),
            }
        }
        if valid.is_empty() && unlicensed.is_empty() {
            return ok(json!({
                "errcode": 81013,
                "errmsg": errmsg(81013, "user & party & tag all invalid", ip),
                "invaliduser": invalid.join("|"),
            }));
        }
        let msgid = format!("msg{:08}", self.next_msgid);
        self.next_msgid += 1;
        let mut delivered = Vec::new();
        for u in valid {
            let times = self.deliveries.entry((agentid, u.clone())).or_default();
            let last_min = times.iter().filter(|t| now < **t + 60).count();
            let last_hour = times.iter().filter(|t| now < **t + 3600).count();
            if last_min >= 30 || last_hour >= 1000 {
                self.dropped.push(DroppedSend {
                    msgid: msgid.clone(),
                    agentid,
                    userid: u,
                    time: now,
                });
            } else {
                times.push(now);
                delivered.push(u);
            }
        }
        self.outbox.push(SentMessage {
            msgid: msgid.clone(),
            agentid,
            touser: delivered,
            msgtype,
            payload,
            body_hash: hash,
            time: now,
        });
        let answer = json!({
            "errcode": 0, "errmsg": "ok",
            "invaliduser": invalid.join("|"),
            "invalidparty": parties.join("|"),
            "invalidtag": tags.join("|"),
            "unlicenseduser": unlicensed.join("|"),
            "msgid": msgid,
        });
        if dup_on {
            self.dup_index
                .insert((agentid, hash), (now, answer.clone()));
        }
        ok(answer)
    }

    fn check_payload(&self, msgtype: &str, payload: &mut Value, ip: &str) -> Option<Resp> {
        let bad = |what: &str| {
            Some(err(
                40058,
                &format!("invalid Request Parameter ({what})"),
                ip,
            ))
        };
        match msgtype {
            "text" | "markdown" => {
                let content = payload["content"].as_str().unwrap_or_default().to_string();
                if content.is_empty() {
                    return Some(err(44004, "empty content", ip));
                }
                if content.len() > CONTENT_LIMIT {
                    match self.oversize {
                        Oversize::Reject => {
                            return Some(err(45002, "content size out of limit", ip));
                        }
                        Oversize::Truncate => {
                            payload["content"] = cut(&content, CONTENT_LIMIT).into()
                        }
                    }
                }
            }
            "textcard" if payload["url"].as_str().is_none_or(str::is_empty) => {
                return bad("textcard.url");
            }
            "template_card" if payload["card_type"] == "text_notice" => {
                if !payload["card_action"].is_object() {
                    return bad("template_card.card_action");
                }
                let has_title = payload["main_title"]["title"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty());
                let has_sub = payload["sub_title_text"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty());
                if !has_title && !has_sub {
                    return bad("template_card.main_title");
                }
            }
            _ => {}
        }
        None
    }
}
