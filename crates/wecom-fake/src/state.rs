//! The fake's state: corp apps, directory, tokens, outbox, drops, call log, faults, clock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One self-built app (自建应用) of a corp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeApp {
    pub corpid: String,
    pub agentid: i64,
    pub secret: String,
    /// Lower-case userids the app can see; `None` = the whole corp.
    pub visibility: Option<HashSet<String>>,
    /// 企业可信IP; `None` = the app does not require a trusted IP (created before mid-2022).
    pub trusted_ips: Option<HashSet<String>>,
    pub enabled: bool,
}

impl FakeApp {
    /// Enabled, sees everyone, no trusted-IP requirement.
    pub fn new(corpid: &str, agentid: i64, secret: &str) -> FakeApp {
        FakeApp {
            corpid: corpid.into(),
            agentid,
            secret: secret.into(),
            visibility: None,
            trusted_ips: None,
            enabled: true,
        }
    }

    /// Only these userids are visible to the app.
    pub fn visible_to(mut self, userids: &[&str]) -> FakeApp {
        self.visibility = Some(userids.iter().map(|u| u.to_lowercase()).collect());
        self
    }

    /// The app requires calls from these IPs (an empty list refuses every IP).
    pub fn trusted_ips(mut self, ips: &[&str]) -> FakeApp {
        self.trusted_ips = Some(ips.iter().map(|s| s.to_string()).collect());
        self
    }
}

/// A member of the (single) corp directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeMember {
    /// Case-insensitive, as on WeCom.
    pub userid: String,
    pub mobile: String,
    /// Personal email (`email_type` 2).
    pub email: String,
    /// Corporate mailbox (`email_type` 1).
    pub biz_mail: String,
    /// Activated and not disabled; others are invalid receivers.
    pub active: bool,
}

/// The fake's endpoints, for fault injection and the call log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeEndpoint {
    /// `GET /cgi-bin/gettoken`
    GetToken,
    /// `POST /cgi-bin/user/getuserid`
    GetUserId,
    /// `POST /cgi-bin/user/get_userid_by_email`
    GetUserIdByEmail,
    /// `POST /cgi-bin/message/send`
    MessageSend,
    /// Any other path.
    Other,
}

impl FakeEndpoint {
    pub fn of(method: &str, path: &str) -> FakeEndpoint {
        match (method, path) {
            ("GET", "/cgi-bin/gettoken") => FakeEndpoint::GetToken,
            ("POST", "/cgi-bin/user/getuserid") => FakeEndpoint::GetUserId,
            ("POST", "/cgi-bin/user/get_userid_by_email") => FakeEndpoint::GetUserIdByEmail,
            ("POST", "/cgi-bin/message/send") => FakeEndpoint::MessageSend,
            _ => FakeEndpoint::Other,
        }
    }
}

/// A fault answered instead of (or, for `Delay`, before) the normal response (contract 9.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    /// HTTP 200 `{"errcode":…,"errmsg":"<errmsg>, hint: […], from ip: …, more info at …"}`,
    /// with `invaliduser` when given (81013).
    Errcode {
        errcode: i64,
        errmsg: String,
        invaliduser: Option<String>,
    },
    /// An HTML error page with this status (gateway 502/503).
    Html { status: u16 },
    /// HTTP 200 with a body that is not JSON.
    InvalidJson,
    /// HTTP 200 with this JSON body, e.g. `{}` from something that is not WeCom.
    Json { body: String },
    /// HTTP 200 with a JSON body cut in the middle.
    Truncated,
    /// Process the request normally (a send is delivered), then wait before answering.
    Delay { ms: u64 },
    /// Close the connection without an answer (nothing processed).
    ConnectionReset,
}

impl Fault {
    fn code(errcode: i64, errmsg: &str) -> Fault {
        Fault::Errcode {
            errcode,
            errmsg: errmsg.into(),
            invaliduser: None,
        }
    }
    pub fn system_busy() -> Fault {
        Fault::code(-1, "system busy")
    }
    pub fn freq_limit() -> Fault {
        Fault::code(45009, "api freq out of limit")
    }
    pub fn too_concurrent() -> Fault {
        Fault::code(45033, "api concurrent out of limit")
    }
    pub fn api_forbidden() -> Fault {
        Fault::code(48002, "api forbidden")
    }
    pub fn no_privilege() -> Fault {
        Fault::code(60011, "no privilege to access/modify contact/party/agent")
    }
    /// 60020; the fake's suffix carries the client IP (`from ip:`).
    pub fn ip_not_allowed() -> Fault {
        Fault::code(60020, "not allow to access from your ip")
    }
    pub fn all_invalid(invaliduser: &str) -> Fault {
        Fault::Errcode {
            errcode: 81013,
            errmsg: "user & party & tag all invalid".into(),
            invaliduser: Some(invaliduser.into()),
        }
    }
    pub fn all_empty() -> Fault {
        Fault::code(82001, "All touser & toparty & totag invalid")
    }
    pub fn not_in_scope() -> Fault {
        Fault::code(50002, "user not in permission scope")
    }
    /// A token rejected by the server whatever was sent (early invalidation).
    pub fn token_invalid() -> Fault {
        Fault::code(40014, "invalid access_token")
    }
    pub fn errcode(errcode: i64, errmsg: &str) -> Fault {
        Fault::code(errcode, errmsg)
    }
}

/// One request the fake received, with its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    pub endpoint: FakeEndpoint,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The client IP the fake used (socket or `X-Fake-Client-IP`).
    pub client_ip: String,
    pub status: u16,
    /// The answer's body (`<connection reset>` when none was sent).
    pub response: String,
}

impl CallRecord {
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A message the fake accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentMessage {
    pub msgid: String,
    pub agentid: i64,
    /// Lower-case userids it was delivered to (valid, not dropped).
    pub touser: Vec<String>,
    pub msgtype: String,
    /// The payload object (e.g. `{"content":"…"}` for markdown), after any truncation.
    pub payload: Value,
    pub body_hash: u64,
    /// Seconds on the fake clock.
    pub time: u64,
}

/// A recipient-send WeCom dropped silently (over 30/min or 1000/h per member per app).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DroppedSend {
    pub msgid: String,
    pub agentid: i64,
    pub userid: String,
    pub time: u64,
}

/// What to do with text/markdown content over 2048 bytes (contract sec. 8 item 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Oversize {
    /// Accept and cut to 2048 bytes.
    Truncate,
    /// `45002`.
    Reject,
}

pub(crate) struct TokenEntry {
    pub corpid: String,
    pub agentid: i64,
    pub expires_at: Duration,
}

pub(crate) struct FakeState {
    pub started: Instant,
    pub clock_offset: Duration,
    pub apps: Vec<FakeApp>,
    pub members: Vec<FakeMember>,
    pub unlicensed: HashSet<String>,
    pub tokens: HashMap<String, TokenEntry>,
    pub token_calls: usize,
    pub outbox: Vec<SentMessage>,
    pub dropped: Vec<DroppedSend>,
    pub duplicates: usize,
    pub calls: Vec<CallRecord>,
    pub faults: HashMap<FakeEndpoint, VecDeque<Fault>>,
    /// (corpid, agentid) → (fake day, wrong lookups that day).
    pub wrong_lookups: HashMap<(String, i64), (u64, u32)>,
    /// (agentid, lower-case userid) → delivery times (fake seconds).
    pub deliveries: HashMap<(i64, String), Vec<u64>>,
    /// (agentid, body hash) → (time, first answer) for the duplicate check.
    pub dup_index: HashMap<(i64, u64), (u64, Value)>,
    pub next_msgid: u64,
    // ---- options
    pub token_ttl: Duration,
    pub reissue_same_token: bool,
    pub bad_secret_40091: bool,
    pub gettoken_checks_ip: bool,
    pub seat_limit: u32,
    pub normalize_cn_prefix: bool,
    pub oversize: Oversize,
}

impl FakeState {
    pub fn new() -> FakeState {
        FakeState {
            started: Instant::now(),
            clock_offset: Duration::ZERO,
            apps: Vec::new(),
            members: Vec::new(),
            unlicensed: HashSet::new(),
            tokens: HashMap::new(),
            token_calls: 0,
            outbox: Vec::new(),
            dropped: Vec::new(),
            duplicates: 0,
            calls: Vec::new(),
            faults: HashMap::new(),
            wrong_lookups: HashMap::new(),
            deliveries: HashMap::new(),
            dup_index: HashMap::new(),
            next_msgid: 1,
            token_ttl: Duration::from_secs(7200),
            reissue_same_token: false,
            bad_secret_40091: false,
            gettoken_checks_ip: false,
            seat_limit: 200,
            normalize_cn_prefix: false,
            oversize: Oversize::Truncate,
        }
    }

    /// Time on the fake clock since start.
    pub fn now(&self) -> Duration {
        self.started.elapsed() + self.clock_offset
    }

    pub fn now_secs(&self) -> u64 {
        self.now().as_secs()
    }

    pub fn pop_fault(&mut self, endpoint: FakeEndpoint) -> Option<Fault> {
        self.faults.get_mut(&endpoint)?.pop_front()
    }

    pub fn app(&self, corpid: &str, agentid: i64) -> Option<&FakeApp> {
        self.apps
            .iter()
            .find(|a| a.corpid == corpid && a.agentid == agentid)
    }

    pub fn member(&self, userid: &str) -> Option<&FakeMember> {
        self.members
            .iter()
            .find(|m| m.userid.eq_ignore_ascii_case(userid))
    }

    pub fn visible(app: &FakeApp, userid: &str) -> bool {
        app.visibility
            .as_ref()
            .is_none_or(|v| v.contains(&userid.to_lowercase()))
    }

    pub fn reset(&mut self) {
        self.clock_offset = Duration::ZERO;
        self.started = Instant::now();
        self.tokens.clear();
        self.token_calls = 0;
        self.outbox.clear();
        self.dropped.clear();
        self.duplicates = 0;
        self.calls.clear();
        self.faults.clear();
        self.wrong_lookups.clear();
        self.deliveries.clear();
        self.dup_index.clear();
        self.unlicensed.clear();
    }
}
