//! The personal-channel abstraction: what each IM platform's client offers the delivery
//! worker, the CLI and the TUI — credentials, looking a member up by the chosen source column,
//! sending one message to a group of resolved receivers, and errors classified by what a retry
//! would do. DingTalk keeps its own richer client (`crate::dingtalk`); Feishu/Lark
//! (`crate::feishu`, one client, two base URLs) and WeCom (`crate::wecom`) implement
//! [`PersonalChannel`]. Nothing platform-specific lives here.

use std::fmt;
use std::time::Duration;

use crate::domain::{ChannelKind, Mobile};
use secrecy::SecretString;

mod base_url;
mod clock;
mod http;
mod redact;
mod token;

pub use base_url::parse_base_url;
pub(crate) use clock::MovableClock;
pub use http::{HttpOptions, LazyHttp, http_client, install_tls_provider};
pub(crate) use redact::Redactor;
pub(crate) use token::TokenCache;

/// What a retry of the failed operation would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Nothing was delivered and a later attempt may work (throttling, 5xx before the
    /// platform accepted anything, connection refused).
    Retry,
    /// Nothing was delivered and retrying will not help until someone fixes something.
    Permanent,
    /// The request may have been delivered (timeout after sending, unreadable answer): a
    /// resend without an idempotency key could duplicate it.
    MayHaveBeenDelivered,
}

/// Why an operation failed, independent of the platform's own codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Wrong app id / corp id / secret, or the app is disabled.
    BadCredentials,
    /// A setting other than the secret is wrong (WeCom AgentId, an invalid endpoint).
    BadConfig,
    /// The app lacks a permission scope; `scope` names it when the platform did.
    MissingPermission { scope: Option<String> },
    /// This machine's egress IP is not allowed (WeCom Trusted IP, Feishu IP allow-list);
    /// `ip` is the address the platform saw, when it said.
    IpNotAllowed { ip: Option<String> },
    /// The member is outside the app's availability / visibility scope.
    OutsideScope,
    /// The member could not be found by the source column's value (or is not visible).
    NotFound,
    /// The receiver refused or cannot get messages (blocked the bot, resigned, unlicensed).
    ReceiverRefused,
    /// The bot/app capability needed to send is not enabled or not published.
    BotNotEnabled,
    /// The message template is unknown, not shared with the app, or its variables mismatch.
    Template,
    /// The message is too large or its content was refused (size, DLP, sensitive words).
    Content,
    /// Throttled: wait and retry.
    Throttled,
    /// The token was rejected even after one refresh.
    TokenInvalid,
    /// Could not connect (DNS, refused, TLS).
    Unreachable,
    /// No answer in time after the request was sent.
    Timeout,
    /// The platform failed (5xx, internal error code, unreadable answer).
    Server,
    /// A request we built was refused as malformed: a bug on our side.
    InvalidRequest,
}

/// A failed platform operation: the platform's code, what it means and how to fix it.
/// Never contains a secret or an access token (clients redact before building one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelError {
    pub channel: ChannelKind,
    pub kind: ErrorKind,
    /// The platform's error code (`230013`, `60020`), or our own (`timeout`, `http-503`).
    pub code: String,
    /// What happened, in plain words (may quote the platform's message, sanitised).
    pub message: String,
    /// What the administrator can do about it.
    pub fix: Option<String>,
    /// The platform's request id (Feishu `X-Tt-Logid`, WeCom `hint`), for support tickets.
    pub request_id: Option<String>,
    /// The least wait the platform asked for before a retry.
    pub retry_after: Option<Duration>,
    pub disposition: Disposition,
}

impl ChannelError {
    pub fn new(
        channel: ChannelKind,
        kind: ErrorKind,
        code: impl Into<String>,
        message: impl Into<String>,
        disposition: Disposition,
    ) -> ChannelError {
        ChannelError {
            channel,
            kind,
            code: code.into(),
            message: message.into(),
            fix: None,
            request_id: None,
            retry_after: None,
            disposition,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> ChannelError {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_request_id(mut self, id: Option<String>) -> ChannelError {
        self.request_id = id;
        self
    }

    pub fn with_retry_after(mut self, wait: Option<Duration>) -> ChannelError {
        self.retry_after = wait;
        self
    }

    /// Problems of the app or its configuration: no other receiver can get a message either.
    pub fn is_app_level(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::BadCredentials
                | ErrorKind::BadConfig
                | ErrorKind::MissingPermission { .. }
                | ErrorKind::IpNotAllowed { .. }
                | ErrorKind::BotNotEnabled
                | ErrorKind::Template
                | ErrorKind::TokenInvalid
                | ErrorKind::InvalidRequest
        )
    }
}

impl fmt::Display for ChannelError {
    /// `<code>: <message>. Fix: <fix> (request id <id>)` — one line for logs, the CLI and cards.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message.trim_end_matches('.'))?;
        if let Some(fix) = &self.fix {
            write!(f, ". Fix: {}", fix.trim_end_matches('.'))?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ChannelError {}

/// The credentials every personal channel needs. `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Feishu/Lark App ID (`cli_…`), WeCom CorpID (`ww…`).
    pub app_id: String,
    pub secret: SecretString,
    /// WeCom AgentId; `None` elsewhere.
    pub agent_id: Option<i64>,
}

/// What a member is looked up by, per the channel's Source Column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LookupKey {
    Phone(Mobile),
    Email(String),
    /// The member's login name (WeCom: used as the userid itself; Feishu: the tenant user_id).
    Login(String),
}

impl LookupKey {
    /// The value as stored with a cached resolution, to notice when the member's data changed.
    pub fn cache_key(&self) -> String {
        match self {
            LookupKey::Phone(m) => format!("phone:{}", m.as_str()),
            LookupKey::Email(e) => format!("email:{}", e.to_lowercase()),
            LookupKey::Login(l) => format!("login:{l}"),
        }
    }
}

/// The answer of a lookup for one key. Not found is an answer, not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The platform's id for sending (Feishu open_id, WeCom userid).
    Found(String),
    /// No user, or a user the app cannot see (the platforms do not tell these apart).
    NotFound,
}

/// One message, rendered by `delivery::template` for the channel's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    /// Markdown body (the platforms' markdown subsets; clients convert where needed).
    pub markdown: String,
    /// Plain-text body for platforms or fallbacks without markdown.
    pub text: String,
    pub link: Option<String>,
    /// The channel's card template; `None` = markdown/text.
    pub template_id: Option<String>,
    /// Stable for every attempt at this (event, member, channel) delivery: the idempotency key
    /// (Feishu `uuid`; WeCom relies on an identical body within its duplicate-check window).
    pub idempotency_key: String,
}

/// The platform accepted the call; receivers listed in `rejected` did not get the message.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SendReport {
    /// The platform's message id (Feishu `om_…`, WeCom `msgid`).
    pub message_id: Option<String>,
    pub request_id: Option<String>,
    /// (receiver id, why) for each receiver the platform refused in a successful answer
    /// (WeCom `invaliduser` / `unlicenseduser`).
    pub rejected: Vec<(String, ChannelError)>,
}

/// Platform limits the worker paces and batches by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Receivers per send call (Feishu 1, WeCom up to 1,000).
    pub receivers_per_send: usize,
    /// Keys per lookup call (Feishu 50 mobiles or emails, WeCom 1).
    pub keys_per_lookup: usize,
    /// Calls per second the app may make to the send API.
    pub sends_per_second: u32,
    /// Messages one receiver may get per minute (WeCom 30, drops the rest silently).
    pub per_receiver_per_minute: Option<u32>,
    /// Whether a resend of the same message is deduplicated by the platform, so a send that
    /// may have been delivered can be retried without a duplicate.
    pub idempotent_send: bool,
    /// How long after the first attempt the platform still drops a resend (Feishu `uuid`:
    /// 1 h; WeCom's duplicate check: 4 h), less a margin. Past it, a send that may have been
    /// delivered is not resent.
    pub dedup_window: Option<Duration>,
}

/// Result of Test Message Sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestReport {
    /// The receiver's id on the platform.
    pub user_id: String,
    pub message_id: Option<String>,
    /// What was sent, e.g. "markdown message", "template card AAq…".
    pub kind: String,
}

/// One personal-channel platform client.
///
/// Implementations own their token cache (keyed by app id and a hash of the secret, refreshed
/// before expiry, dropped and fetched once when the platform rejects a token), never put a
/// secret or a token in an error or a log line, and map every platform code they know to an
/// [`ErrorKind`] and a [`Disposition`] with a fix.
#[allow(async_fn_in_trait)]
pub trait PersonalChannel {
    fn kind(&self) -> ChannelKind;
    fn limits(&self) -> Limits;

    /// Get (or reuse) a token: proves the credentials without sending anything.
    async fn check_credentials(&self, creds: &Credentials) -> Result<(), ChannelError>;

    /// Look members up; one [`Resolution`] per key, in order. At most
    /// [`Limits::keys_per_lookup`] keys per call are sent to the platform; implementations
    /// split longer lists themselves.
    async fn resolve(
        &self,
        creds: &Credentials,
        keys: &[LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError>;

    /// Send `message` to `receivers` (ids from [`PersonalChannel::resolve`]), at most
    /// [`Limits::receivers_per_send`] of them.
    async fn send(
        &self,
        creds: &Credentials,
        receivers: &[String],
        message: &Message,
    ) -> Result<SendReport, ChannelError>;
}
