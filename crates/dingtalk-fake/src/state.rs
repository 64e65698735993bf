//! The fake's state: apps, directory, tokens, outbox, call log, faults, clock.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SCOPE_LOOKUP: &str = "qyapi_get_member_by_mobile";
pub const SCOPE_SEND: &str = "qyapi_robot_sendmsg";
pub const SCOPE_CARD: &str = "Card.Instance.Write";

/// An internal app registered with the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeApp {
    pub app_key: String,
    pub app_secret: String,
    /// Defaults to the AppKey.
    pub robot_code: String,
    pub scopes: HashSet<String>,
    pub ip_allowed: bool,
    pub robot_enabled: bool,
    pub card_templates: HashSet<String>,
}

impl FakeApp {
    /// All three scopes, IP allowed, robot enabled, no card templates.
    pub fn new(app_key: &str, app_secret: &str) -> FakeApp {
        FakeApp {
            app_key: app_key.to_string(),
            app_secret: app_secret.to_string(),
            robot_code: app_key.to_string(),
            scopes: [SCOPE_LOOKUP, SCOPE_SEND, SCOPE_CARD]
                .into_iter()
                .map(String::from)
                .collect(),
            ip_allowed: true,
            robot_enabled: true,
            card_templates: HashSet::new(),
        }
    }

    pub fn without_scope(mut self, scope: &str) -> FakeApp {
        self.scopes.remove(scope);
        self
    }

    pub fn with_card_template(mut self, template_id: &str) -> FakeApp {
        self.card_templates.insert(template_id.to_string());
        self
    }
}

/// A member of the fake organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeUser {
    pub mobile: String,
    pub userid: String,
    /// Currently employed; inactive members are not found by phone and are invalid receivers.
    pub active: bool,
    /// Inside the app's visibility scope; outside members are found by phone but land in
    /// `invalidStaffIdList` (and card delivery fails for them).
    pub in_scope: bool,
}

/// The fake's endpoints, for fault injection and the call log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeEndpoint {
    /// `POST /v1.0/oauth2/accessToken`
    Token,
    /// `GET /gettoken`
    LegacyToken,
    /// `POST /topapi/v2/user/getbymobile`
    GetByMobile,
    /// `POST /v1.0/robot/oToMessages/batchSend`
    BatchSend,
    /// `GET /v1.0/robot/oToMessages/readStatus`
    ReadStatus,
    /// `POST /v1.0/card/instances/createAndDeliver`
    CardDeliver,
    /// Any other path.
    Other,
}

impl FakeEndpoint {
    pub fn of(method: &str, path: &str) -> FakeEndpoint {
        match (method, path) {
            ("POST", "/v1.0/oauth2/accessToken") => FakeEndpoint::Token,
            ("GET", "/gettoken") => FakeEndpoint::LegacyToken,
            ("POST", "/topapi/v2/user/getbymobile") => FakeEndpoint::GetByMobile,
            ("POST", "/v1.0/robot/oToMessages/batchSend") => FakeEndpoint::BatchSend,
            ("GET", "/v1.0/robot/oToMessages/readStatus") => FakeEndpoint::ReadStatus,
            ("POST", "/v1.0/card/instances/createAndDeliver") => FakeEndpoint::CardDeliver,
            _ => FakeEndpoint::Other,
        }
    }
}

/// A fault answered instead of the normal response (contract 9.4). Queued per endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    // ---- new API style: HTTP status + {"code","message","requestid"}
    /// 403 `Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`
    QpsLimitForAppkeyAndApi,
    /// 403 `Forbidden.AccessDenied.QpsLimitForApi`
    QpsLimitForApi,
    /// 403 `Forbidden.AccessDenied.QpmLimitForAppkeyAndApi`
    QpmLimitForAppkeyAndApi,
    /// 403 `Forbidden.AccessDenied.AccessTokenPermissionDenied` with requiredScopes.
    AccessTokenPermissionDenied { scope: String },
    /// 403 `Forbidden.AccessDenied.IpNotInWhiteList`
    IpNotInWhiteList,
    /// 403 `Forbidden.AccessDenied.ApiCountLimitForOrg`
    ApiCountLimitForOrg,
    /// 429 `system.busy`
    SystemBusy429,
    /// 400 `send.too.fast`
    SendTooFast,
    /// 500 `system.error`
    SystemError500,
    /// 500 `unknownError`
    UnknownError500,
    /// 503 with an empty body.
    ServiceUnavailableEmpty,
    /// 400 `InvalidAuthentication` whatever token was sent (server-side revocation).
    InvalidAuthentication,
    /// Any new-API error.
    NewApiError {
        status: u16,
        code: String,
        message: String,
    },
    // ---- legacy style: HTTP 200 + errcode
    /// `{"errcode":-1,"errmsg":"系统繁忙"}`
    LegacySystemBusy,
    /// `{"errcode":90018}` app QPS.
    LegacyAppQps,
    /// `{"errcode":88,"sub_code":"90002"}` global QPS.
    LegacyGlobalQps,
    /// `{"errcode":90020}` monthly quota.
    LegacyQuota,
    /// 88 / 60011 naming the scope.
    LegacyMissingScope { scope: String },
    /// 88 / 60020
    LegacyIpNotAllowed,
    /// 88 / 42001
    LegacyTokenExpired,
    /// 88 / 40014
    LegacyInvalidToken,
    /// `{"errcode":50002}` member outside the app's scope.
    LegacyOutsideScope,
    /// Any legacy error.
    LegacyError {
        errcode: i64,
        sub_code: Option<String>,
        errmsg: String,
    },
    // ---- transport
    /// HTTP 200 `{"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"x"}`
    IpBan,
    /// HTTP 200, the IP-ban answer as an HTML page (an x5 "punish" page instead of JSON).
    IpBanPage,
    /// HTTP 200 with an HTML page.
    HtmlPage,
    /// HTTP 200, body is not JSON at all.
    InvalidJson,
    /// HTTP 200, JSON cut off in the middle.
    TruncatedBody,
    /// Wait this long, then answer normally.
    Delay { ms: u64 },
    /// Close the connection without answering.
    DropConnection,
    // ---- added for the client's trust checks
    /// A redirect (307/308) with this `Location` header; the request is not served.
    Redirect { status: u16, location: String },
    /// A new-API error whose `message` echoes the request's query and body, and whose `code`
    /// is `echo.<the access token sent>` (header, query or form field; `echo.none` if none).
    EchoRequest { status: u16 },
    /// 429 `system.busy`, with a `Retry-After` header if given (seconds or an HTTP date).
    TooManyRequests { retry_after: Option<String> },
    /// 503 with an empty body, with a `Retry-After` header if given.
    Unavailable { retry_after: Option<String> },
    /// 403 gateway flow control with this code (`Throttling`, `Throttling.User`,
    /// `Throttling.Api`).
    Throttling { code: String },
}

/// One request as the fake received it (admin calls are not logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub endpoint: FakeEndpoint,
    pub method: String,
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Selected headers, lower-case names: content-type, x-acs-dingtalk-access-token,
    /// authorization, user-agent.
    pub headers: BTreeMap<String, String>,
    /// Body as received (lossy UTF-8).
    pub body: String,
}

impl CallRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json_body(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// An accepted send (robot message or card).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub app_key: String,
    pub robot_code: String,
    /// Receivers the message was delivered to (not the invalid / flow-controlled ones).
    pub user_ids: Vec<String>,
    /// Robot messages: the msgKey; `None` for cards.
    pub msg_key: Option<String>,
    /// Robot messages: msgParam parsed from its string form.
    pub msg_param: Option<Value>,
    /// processQueryKey (robot) or carrierId (card).
    pub process_query_key: String,
    /// Fake-clock unix seconds.
    pub at: u64,
    pub card_template_id: Option<String>,
    pub out_track_id: Option<String>,
    pub card_params: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Debug)]
pub(crate) struct TokenEntry {
    pub app_key: String,
    pub expires_at: Duration,
}

pub(crate) struct FakeState {
    pub apps: BTreeMap<String, FakeApp>,
    pub users: Vec<FakeUser>,
    pub tokens: HashMap<String, TokenEntry>,
    pub token_ttl: Duration,
    pub clock_offset: Duration,
    pub outbox: Vec<SentMessage>,
    pub calls: Vec<CallRecord>,
    pub token_calls: usize,
    pub faults: HashMap<FakeEndpoint, VecDeque<Fault>>,
    pub forced_invalid: HashSet<String>,
    pub forced_flow_controlled: HashSet<String>,
    /// Receivers reported in `filteredStaffIdList` (not delivered).
    pub forced_filtered: HashSet<String>,
    /// A batchSend naming one of these answers 400 `staffId.notExisted`.
    pub forced_stale: HashSet<String>,
    /// A batchSend naming one of these answers 400 `robot.oto.notExist`.
    pub forced_no_conversation: HashSet<String>,
    /// Max robot messages per user per fake day; beyond → flowControlledStaffIdList.
    pub per_user_daily_cap: Option<u32>,
    pub sends_per_user_day: HashMap<(String, u64), u32>,
    pub userids_cap: usize,
    pub msg_param_limit: usize,
    pub normalize_cn_prefix: bool,
    pub expired_token_code_42001: bool,
    pub read: HashSet<(String, String)>,
    /// createAndDeliver answers by outTrackId (duplicates are idempotent).
    pub cards: HashMap<String, Value>,
}

impl FakeState {
    pub fn new() -> FakeState {
        FakeState {
            apps: BTreeMap::new(),
            users: Vec::new(),
            tokens: HashMap::new(),
            token_ttl: Duration::from_secs(7200),
            clock_offset: Duration::ZERO,
            outbox: Vec::new(),
            calls: Vec::new(),
            token_calls: 0,
            faults: HashMap::new(),
            forced_invalid: HashSet::new(),
            forced_flow_controlled: HashSet::new(),
            forced_filtered: HashSet::new(),
            forced_stale: HashSet::new(),
            forced_no_conversation: HashSet::new(),
            per_user_daily_cap: None,
            sends_per_user_day: HashMap::new(),
            userids_cap: 20,
            msg_param_limit: 15_000,
            normalize_cn_prefix: false,
            expired_token_code_42001: false,
            read: HashSet::new(),
            cards: HashMap::new(),
        }
    }

    /// Forget everything that happened (tokens, outbox, calls, faults, forced lists, counters,
    /// clock); keep the configuration (apps, directory, options).
    pub fn reset(&mut self) {
        self.tokens.clear();
        self.clock_offset = Duration::ZERO;
        self.outbox.clear();
        self.calls.clear();
        self.token_calls = 0;
        self.faults.clear();
        self.forced_invalid.clear();
        self.forced_flow_controlled.clear();
        self.forced_filtered.clear();
        self.forced_stale.clear();
        self.forced_no_conversation.clear();
        self.sends_per_user_day.clear();
        self.read.clear();
        self.cards.clear();
    }

    /// Fake-clock time since the unix epoch.
    pub fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + self.clock_offset
    }

    pub fn expire_tokens(&mut self) {
        let now = self.now();
        for t in self.tokens.values_mut() {
            t.expires_at = now;
        }
    }

    pub fn pop_fault(&mut self, endpoint: FakeEndpoint) -> Option<Fault> {
        let q = self.faults.get_mut(&endpoint)?;
        let f = q.pop_front();
        if q.is_empty() {
            self.faults.remove(&endpoint);
        }
        f
    }

    pub fn user_by_id(&self, userid: &str) -> Option<&FakeUser> {
        self.users.iter().find(|u| u.userid == userid)
    }

    /// Give a member a new userid (DingTalk re-created the account); false if `old` is unknown.
    pub fn rename_user(&mut self, old: &str, new: &str) -> bool {
        if self.user_by_id(old).is_none() {
            return false;
        }
        if old != new {
            self.users.retain(|u| u.userid != new);
            for u in self.users.iter_mut().filter(|u| u.userid == old) {
                u.userid = new.to_string();
            }
        }
        true
    }

    /// The fake's phone matching rule. Default: the trimmed input must equal the stored form
    /// exactly. With `normalize_cn_prefix`, both sides are first reduced to 11 bare digits when
    /// they are a mainland number written with a `+86`, `+86-`, `0086` or `86` prefix.
    pub fn normalize_mobile(&self, m: &str) -> String {
        let m = m.trim();
        if !self.normalize_cn_prefix {
            return m.to_string();
        }
        for prefix in ["+86-", "+86", "0086", "86"] {
            if let Some(rest) = m.strip_prefix(prefix)
                && is_cn_mobile(rest)
            {
                return rest.to_string();
            }
        }
        m.to_string()
    }
}

pub(crate) fn is_cn_mobile(n: &str) -> bool {
    n.len() == 11 && n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit())
}

/// What the fake accepts as a phone number at all (else 40104): an optional leading `+`, then
/// digits with at most dashes in between, 5 to 20 digits.
pub(crate) fn is_well_formed_mobile(m: &str) -> bool {
    let body = m.strip_prefix('+').unwrap_or(m);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'-')
        && body.as_bytes()[0].is_ascii_digit()
        && (5..=20).contains(&digits)
}
