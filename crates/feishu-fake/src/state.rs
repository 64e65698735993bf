//! The fake's state (contract 10.1): apps, directory, templates, tokens, outbox, call log,
//! faults, clock.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const SCOPE_LOOKUP: &str = "contact:user.id:readonly";
pub const SCOPE_EMPLOYEE_ID: &str = "contact:user.employee_id:readonly";
pub const SCOPE_SEND: &str = "im:message:send_as_bot";
/// Any one of these allows sending.
pub const SEND_SCOPES: [&str; 3] = ["im:message", "im:message:send_as_bot", "im:message:send"];

/// A custom app registered with the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeApp {
    pub app_id: String,
    pub app_secret: String,
    pub scopes: BTreeSet<String>,
    pub bot_enabled: bool,
    pub published: bool,
    /// Egress IPs allowed; `None` = no allow-list.
    pub ip_allowlist: Option<BTreeSet<String>>,
    /// Tenant `user_id`s inside the availability scope; `None` = everyone.
    pub availability: Option<BTreeSet<String>>,
    /// Tenant `user_id`s inside the contact data scope; `None` = everyone.
    pub contact_scope: Option<BTreeSet<String>>,
    /// Authenticated calls left this month; `None` = unlimited.
    pub monthly_quota: Option<u64>,
}

impl FakeApp {
    /// Lookup, employee-id and send scopes, bot enabled, published, no allow-list, everyone
    /// available and visible.
    pub fn new(app_id: &str, app_secret: &str) -> FakeApp {
        FakeApp {
            app_id: app_id.into(),
            app_secret: app_secret.into(),
            scopes: [SCOPE_LOOKUP, SCOPE_EMPLOYEE_ID, SCOPE_SEND]
                .into_iter()
                .map(String::from)
                .collect(),
            bot_enabled: true,
            published: true,
            ip_allowlist: None,
            availability: None,
            contact_scope: None,
            monthly_quota: None,
        }
    }

    pub fn without_scope(mut self, scope: &str) -> FakeApp {
        self.scopes.remove(scope);
        self
    }
}

/// A member of the fake tenant. `open_id` is derived per app ([`open_id_for`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeUser {
    /// Tenant employee id (`receive_id_type=user_id`).
    pub user_id: String,
    pub union_id: String,
    /// Stored form: 11 bare digits (mainland) or `+<cc><number>`.
    pub mobile: Option<String>,
    pub email: Option<String>,
    /// An enterprise mailbox address: never matched by batch_get_id.
    pub enterprise_email: Option<String>,
    pub resigned: bool,
    pub blocked_bot: bool,
}

impl FakeUser {
    pub fn new(user_id: &str) -> FakeUser {
        FakeUser {
            user_id: user_id.into(),
            union_id: format!("on_{}", hex_hash(&("union", user_id))),
            mobile: None,
            email: None,
            enterprise_email: None,
            resigned: false,
            blocked_bot: false,
        }
    }

    pub fn mobile(mut self, m: &str) -> FakeUser {
        self.mobile = Some(m.into());
        self
    }

    pub fn email(mut self, e: &str) -> FakeUser {
        self.email = Some(e.into());
        self
    }
}

/// `ou_` + 32 hex, deterministic per (app, user): open_ids differ between apps.
pub fn open_id_for(app_id: &str, user_id: &str) -> String {
    format!("ou_{}", hex_hash(&(app_id, user_id)))
}

fn hex_hash(v: &impl Hash) -> String {
    let mut a = DefaultHasher::new();
    v.hash(&mut a);
    let mut b = DefaultHasher::new();
    (v, 1u8).hash(&mut b);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

/// A card template: who may use it and its variables' JSON types (`"string"`, `"number"`…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FakeTemplate {
    pub template_id: String,
    pub shared_with_apps: BTreeSet<String>,
    pub variables: BTreeMap<String, String>,
}

impl FakeTemplate {
    /// Shared with `app_id`, variables `title` and `content` (strings).
    pub fn new(template_id: &str, app_id: &str) -> FakeTemplate {
        FakeTemplate {
            template_id: template_id.into(),
            shared_with_apps: [app_id.to_string()].into(),
            variables: [("title", "string"), ("content", "string")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

/// The fake's endpoints, for fault injection and the call log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FakeEndpoint {
    /// `POST /open-apis/auth/v3/tenant_access_token/internal`
    Token,
    /// `POST /open-apis/contact/v3/users/batch_get_id`
    BatchGetId,
    /// `POST /open-apis/im/v1/messages`
    SendMessage,
    Other,
}

impl FakeEndpoint {
    pub fn of(method: &str, path: &str) -> FakeEndpoint {
        match (method, path) {
            ("POST", "/open-apis/auth/v3/tenant_access_token/internal") => FakeEndpoint::Token,
            ("POST", "/open-apis/contact/v3/users/batch_get_id") => FakeEndpoint::BatchGetId,
            ("POST", "/open-apis/im/v1/messages") => FakeEndpoint::SendMessage,
            _ => FakeEndpoint::Other,
        }
    }
}

/// An answer given instead of the normal one (contract 10.4). Queued per endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fault {
    /// 429 `99991400` with `x-ogw-ratelimit-limit: 50`, `x-ogw-ratelimit-reset: <reset>`.
    RateLimited { reset: u64 },
    /// 400 `99991400` without headers (old-API variant).
    RateLimited400,
    /// Any `{"code","msg"}` answer, e.g. 400 230020, 400 230028, 200 11232, 500 1500.
    Code { status: u16, code: i64, msg: String },
    /// 400 `99991663` whatever token was sent.
    TokenInvalid,
    /// 400 `230099` "Failed to create card content … ErrCode: <sub>".
    CardError { sub_code: i64 },
    /// This status with an HTML page (502/503 gateway pages).
    Html { status: u16 },
    /// 200, not JSON.
    InvalidJson,
    /// 200, JSON cut off.
    TruncatedBody,
    /// Serve normally after this delay.
    Delay { ms: u64 },
    /// Close the connection without answering.
    DropConnection,
}

/// One request as received, and what the fake answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub endpoint: FakeEndpoint,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names: authorization, content-type, user-agent.
    pub headers: BTreeMap<String, String>,
    /// Raw body (lossy UTF-8).
    pub body: String,
    /// `None` if the fake never answered (dropped connection).
    pub status: Option<u16>,
    pub response: String,
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

    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_deref().unwrap_or_default().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// An accepted message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    pub message_id: String,
    pub app_id: String,
    pub receive_id_type: String,
    pub receive_id: String,
    /// The recipient's tenant user_id.
    pub user_id: String,
    pub msg_type: String,
    pub content: Value,
    pub uuid: Option<String>,
    /// Fake-clock unix milliseconds.
    pub at_ms: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct TokenEntry {
    pub app_id: String,
    pub expires_at: Duration,
    pub revoked: bool,
}

pub(crate) struct FakeState {
    pub apps: BTreeMap<String, FakeApp>,
    pub users: Vec<FakeUser>,
    pub templates: BTreeMap<String, FakeTemplate>,
    pub tokens: HashMap<String, TokenEntry>,
    pub token_ttl: Duration,
    pub clock_offset: Duration,
    pub outbox: Vec<SentMessage>,
    /// (app, uuid) → (message_id, fake time): 1 h dedup.
    pub uuids: HashMap<(String, String), (String, Duration)>,
    pub calls: Vec<CallRecord>,
    pub faults: HashMap<FakeEndpoint, VecDeque<Fault>>,
    /// Send times per recipient user_id, for the 5 QPS rule.
    pub recent_sends: HashMap<String, VecDeque<Duration>>,
    pub plus86_matches_bare: bool,
    pub token_error_status: u16,
    pub client_ip: String,
    pub text_limit: usize,
    pub rich_limit: usize,
    pub per_recipient_qps: usize,
}

impl FakeState {
    pub fn new() -> FakeState {
        FakeState {
            apps: BTreeMap::new(),
            users: Vec::new(),
            templates: BTreeMap::new(),
            tokens: HashMap::new(),
            token_ttl: Duration::from_secs(7200),
            clock_offset: Duration::ZERO,
            outbox: Vec::new(),
            uuids: HashMap::new(),
            calls: Vec::new(),
            faults: HashMap::new(),
            recent_sends: HashMap::new(),
            plus86_matches_bare: false,
            token_error_status: 200,
            client_ip: "127.0.0.1".into(),
            text_limit: 150 * 1024,
            rich_limit: 30 * 1024,
            per_recipient_qps: 5,
        }
    }

    pub fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + self.clock_offset
    }

    pub fn pop_fault(&mut self, endpoint: FakeEndpoint) -> Option<Fault> {
        let q = self.faults.get_mut(&endpoint)?;
        let f = q.pop_front();
        if q.is_empty() {
            self.faults.remove(&endpoint);
        }
        f
    }

    pub fn revoke_tokens(&mut self) {
        for t in self.tokens.values_mut() {
            t.revoked = true;
        }
    }

    pub fn user(&self, user_id: &str) -> Option<&FakeUser> {
        self.users.iter().find(|u| u.user_id == user_id)
    }
}
