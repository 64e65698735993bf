//! One error type for both DingTalk API families, with plain-English meaning and fix.
//!
//! Nothing in here may ever contain the AppSecret or an access token: error bodies are sanitised,
//! truncated and scrubbed of known secrets by the client before they are stored.

use std::fmt;
use std::time::Duration;

/// Which part of a DingTalk operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Building the client or endpoints (no request was made).
    Setup,
    /// `POST /v1.0/oauth2/accessToken`.
    Token,
    /// `POST /topapi/v2/user/getbymobile`.
    Lookup,
    /// `POST /v1.0/robot/oToMessages/batchSend`.
    Send,
    /// `POST /v1.0/card/instances/createAndDeliver`.
    Card,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Setup => "setup",
            Step::Token => "getting an access token",
            Step::Lookup => "looking up the member by phone",
            Step::Send => "sending the robot message",
            Step::Card => "delivering the card",
        }
    }

    /// The app permission this step needs (used when DingTalk does not name it).
    pub fn required_scope(self) -> Option<&'static str> {
        match self {
            Step::Lookup => Some(SCOPE_LOOKUP),
            Step::Send => Some(SCOPE_SEND),
            Step::Card => Some(SCOPE_CARD),
            Step::Setup | Step::Token => None,
        }
    }

    fn is_send(self) -> bool {
        matches!(self, Step::Send | Step::Card)
    }
}

pub const SCOPE_LOOKUP: &str = "qyapi_get_member_by_mobile";
pub const SCOPE_SEND: &str = "qyapi_robot_sendmsg";
pub const SCOPE_CARD: &str = "Card.Instance.Write";

/// What went wrong, independent of the API family that reported it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Wrong AppKey/AppSecret (`invalidClientIdOrSecret`, 40096, 40089, 40001 on gettoken).
    BadCredentials,
    /// The access token was rejected even after one refresh.
    TokenInvalid,
    /// The app lacks a permission scope (60011, `AccessTokenPermissionDenied`).
    MissingPermission { scope: String },
    /// This server's egress IP is not in the app's allow-list (60020, `IpNotInWhiteList`).
    IpNotAllowed,
    /// No active member has this phone number (60121), or the userid is unknown.
    UserNotFound,
    /// DingTalk rejected the phone number format (40104, 60103).
    InvalidMobile,
    /// The member is outside the app's visibility scope (50002, `invalidStaffIdList`, card
    /// delivery refused for that user).
    OutsideVisibility,
    /// The app's robot capability is not enabled/published (`chatbotId.notAllow.sendOTO`).
    RobotNotEnabled,
    /// robotCode does not belong to this app (`invalidParameter.robotCode.*`, `template.not.existed`).
    RobotCodeMismatch,
    /// The card template id is unknown or unpublished.
    TemplateNotFound,
    /// Throttled: QPS/QPM limits, 429, 90018/90002, robot flow control.
    RateLimited,
    /// Monthly call quota of the organisation is used up (90020, `ApiCountLimitForOrg`).
    QuotaExceeded,
    /// DingTalk banned this IP for a few minutes (non-standard `punish:"deny"` body).
    IpBanned,
    /// DingTalk-side failure (-1, 5xx, `system.error`).
    ServerBusy,
    /// No answer within the client timeout.
    Timeout,
    /// Connection failed or was dropped.
    Network,
    /// The answer was not the JSON we expected (HTML page, invalid or truncated JSON).
    BadResponse,
    /// DingTalk (or this client) rejected the request as malformed: a bug or a bad argument.
    InvalidRequest,
    /// DingTalk filtered the message for this receiver (`filteredStaffIdList`): e.g. the
    /// member blocked the robot, or the message was filtered. Not delivered.
    Filtered,
    /// The cached userid no longer exists in DingTalk (`staffId.notExisted`); look the member
    /// up again by phone.
    StaleUserId,
    /// No valid robot one-to-one conversation with a receiver (`robot.oto.notExist`).
    NoRobotConversation,
    /// The server answered with a redirect (never followed); `host` is the `Location` host.
    Redirected { host: String },
    /// Anything else DingTalk reported.
    Other,
}

/// What a caller may do after a failed call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Nothing was done; the same call may succeed later (after `retry_after`).
    Retry,
    /// Retrying the same call cannot help until someone changes something.
    Permanent,
    /// A send whose outcome is unknown: DingTalk may have delivered it. Do not resend blindly.
    MayHaveBeenDelivered,
}

/// An error from the DingTalk client. `Display` is one line:
/// `DingTalk error <code>: <meaning>. Fix: <fix>` (plus DingTalk's message in parentheses).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.line())]
pub struct DingTalkError {
    pub kind: ErrorKind,
    /// The code as DingTalk gave it ("60121", "88/60011", "invalidClientIdOrSecret"), or a
    /// client-side code ("HTTP 503", "timeout", "network", "bad-response").
    pub code: String,
    pub http_status: Option<u16>,
    pub step: Step,
    /// DingTalk's own message (or the transport error), sanitised and truncated; never secret.
    pub message: Option<String>,
    /// For `Timeout`: the client timeout that elapsed.
    pub timeout_after: Option<Duration>,
    /// How long the server asked us to wait: the `Retry-After` header (seconds or an HTTP
    /// date), or the IP-ban body's `wait` minutes, whichever is longer.
    pub server_retry_after: Option<Duration>,
    /// DingTalk's request id (`requestid` / `request_id` / `requestId`), sanitised, ≤ 64 chars.
    pub request_id: Option<String>,
}

const MAX_MESSAGE_CHARS: usize = 200;

/// DingTalk's IP ban lasts 5 minutes (call-frequency-limit doc).
const IP_BAN_MIN_WAIT: Duration = Duration::from_secs(300);

impl DingTalkError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, step: Step) -> DingTalkError {
        // The code comes from the server too: keep it printable and short.
        let code: String = crate::domain::sanitize_text(&code.into())
            .replace('\n', " ")
            .chars()
            .take(80)
            .collect();
        DingTalkError {
            kind,
            code,
            http_status: None,
            step,
            message: None,
            timeout_after: None,
            server_retry_after: None,
            request_id: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> DingTalkError {
        self.http_status = Some(status);
        self
    }

    /// Attach a message; it is sanitised and truncated here.
    pub fn with_message(mut self, message: impl AsRef<str>) -> DingTalkError {
        self.message = clean_message(message.as_ref());
        self
    }

    /// Replace every occurrence of the given secrets in the stored message.
    pub(crate) fn scrub(mut self, secrets: &[&str]) -> DingTalkError {
        if let Some(m) = self.message.as_mut() {
            for s in secrets.iter().filter(|s| s.len() >= 4) {
                if m.contains(*s) {
                    *m = m.replace(*s, "[redacted]");
                }
            }
        }
        for s in secrets.iter().filter(|s| s.len() >= 4) {
            if self.code.contains(*s) {
                self.code = self.code.replace(*s, "[redacted]");
            }
        }
        self
    }

    /// What the caller may do next (see [`Disposition`]).
    pub fn disposition(&self) -> Disposition {
        if self.may_have_been_delivered() {
            Disposition::MayHaveBeenDelivered
        } else if self.is_transient() {
            Disposition::Retry
        } else {
            Disposition::Permanent
        }
    }

    /// Worth retrying later (with backoff) without anyone changing the configuration.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RateLimited
                | ErrorKind::IpBanned
                | ErrorKind::ServerBusy
                | ErrorKind::Timeout
                | ErrorKind::Network
                | ErrorKind::BadResponse
        )
    }

    /// The least time to wait before retrying: the longer of the server's own hint
    /// (`server_retry_after`) and the kind's minimum (1 s when throttled or busy, 5 minutes
    /// for an IP ban). `None` when retrying the same call cannot help.
    pub fn retry_after(&self) -> Option<Duration> {
        if self.disposition() == Disposition::Permanent {
            return None;
        }
        let floor = match self.kind {
            ErrorKind::RateLimited | ErrorKind::ServerBusy => Some(Duration::from_secs(1)),
            ErrorKind::IpBanned => Some(IP_BAN_MIN_WAIT),
            _ => None,
        };
        match (floor, self.server_retry_after) {
            (Some(f), Some(s)) => Some(f.max(s)),
            (f, s) => f.or(s),
        }
    }

    /// Record a wait the server asked for; the longest one wins.
    pub(crate) fn with_server_wait(mut self, wait: Option<Duration>) -> DingTalkError {
        if let Some(w) = wait {
            self.server_retry_after = Some(self.server_retry_after.map_or(w, |s| s.max(w)));
        }
        self
    }

    /// For a failed send: DingTalk may nevertheless have delivered it (timeouts, dropped
    /// connections, unreadable answers). Such sends must not be retried blindly.
    pub fn may_have_been_delivered(&self) -> bool {
        self.step.is_send()
            && matches!(
                self.kind,
                ErrorKind::Timeout | ErrorKind::Network | ErrorKind::BadResponse
            )
    }

    fn scope(&self) -> &str {
        match &self.kind {
            ErrorKind::MissingPermission { scope } => scope,
            _ => "",
        }
    }

    /// What the error means, in plain English (no trailing period).
    pub fn meaning(&self) -> String {
        let code = self.code.as_str();
        match &self.kind {
            ErrorKind::BadCredentials => {
                "DingTalk rejected the AppKey/AppSecret pair (no such app, or the secret is wrong)"
                    .into()
            }
            ErrorKind::TokenInvalid => {
                "DingTalk rejected the access token even after fetching a new one".into()
            }
            ErrorKind::MissingPermission { scope } => format!(
                "the app has not been granted the permission `{scope}` needed for {}",
                self.step.label()
            ),
            ErrorKind::IpNotAllowed => {
                "this server's IP address is not in the app's IP allow-list".into()
            }
            ErrorKind::UserNotFound if self.step == Step::Lookup => {
                "no active member of the organisation has this phone number".into()
            }
            ErrorKind::UserNotFound => "DingTalk does not know this member's userid".into(),
            ErrorKind::InvalidMobile => "DingTalk considers the phone number invalid".into(),
            ErrorKind::OutsideVisibility => "the member exists but the app's robot may not message them (outside the app's visibility scope, or not a valid receiver)".into(),
            ErrorKind::RobotNotEnabled => {
                "the app's robot is not enabled for one-to-one messages".into()
            }
            ErrorKind::RobotCodeMismatch => {
                "the robotCode does not belong to a robot of this app".into()
            }
            ErrorKind::TemplateNotFound => {
                "the card template id is unknown to DingTalk or not published".into()
            }
            ErrorKind::RateLimited => throttle_meaning(code).into(),
            ErrorKind::QuotaExceeded => {
                "the organisation's monthly DingTalk API call quota is used up".into()
            }
            ErrorKind::IpBanned => {
                "DingTalk temporarily banned this server's IP address for calling too often".into()
            }
            ErrorKind::ServerBusy => "DingTalk reported an internal error or is busy".into(),
            ErrorKind::Timeout => {
                let secs = self
                    .timeout_after
                    .map(format_secs)
                    .unwrap_or_else(|| "the timeout".into());
                if self.step.is_send() {
                    format!("no answer from DingTalk within {secs}; the message may or may not have been sent")
                } else {
                    format!("no answer from DingTalk within {secs}")
                }
            }
            ErrorKind::Network => {
                if self.step.is_send() {
                    "could not reach DingTalk or the connection dropped; the message may or may not have been sent".into()
                } else {
                    "could not reach DingTalk or the connection dropped".into()
                }
            }
            ErrorKind::BadResponse => {
                "DingTalk's answer was not the expected JSON (an HTML page, or invalid or truncated JSON)".into()
            }
            ErrorKind::InvalidRequest => {
                "DingTalk rejected the request as malformed or with an invalid parameter".into()
            }
            ErrorKind::Filtered => "DingTalk accepted the call but filtered the message for this member and did not deliver it (e.g. the member blocked the app's robot, or the message was filtered)".into(),
            ErrorKind::StaleUserId => "the member's cached userid no longer exists in DingTalk (the account was removed or re-created)".into(),
            ErrorKind::NoRobotConversation => "DingTalk has no valid robot one-to-one conversation with a receiver, so nothing was sent".into(),
            ErrorKind::Redirected { host } => format!(
                "DingTalk's answer was a redirect to {host}; it was not followed, so nothing was sent there"
            ),
            ErrorKind::Other => format!("DingTalk reported an error while {}", self.step.label()),
        }
    }

    /// How to fix it, in plain English (no trailing period).
    pub fn fix(&self) -> String {
        match &self.kind {
            ErrorKind::BadCredentials => "copy the Client ID (AppKey) and Client Secret (AppSecret) again from the app's Credentials & Basic Info page in the DingTalk developer console".into(),
            ErrorKind::TokenInvalid => "try again; if it keeps failing, check that the AppKey/AppSecret belong to a published internal app".into(),
            ErrorKind::MissingPermission { .. } => format!(
                "in the DingTalk developer console open the app's Permission Management, grant `{}`, then publish a new version of the app",
                self.scope()
            ),
            ErrorKind::IpNotAllowed => "add this server's egress (public) IP address to the app's server IP allow-list in the developer console".into(),
            ErrorKind::UserNotFound if self.step == Step::Lookup => "check the number; the member must be currently employed and in the app's visibility scope".into(),
            ErrorKind::UserNotFound => "look the member up again by phone; they may have left the organisation".into(),
            ErrorKind::InvalidMobile => "enter an 11-digit mainland mobile number (e.g. 13800138000) or +<country code>-<number>".into(),
            ErrorKind::OutsideVisibility => "add the member (or their department) to the app's visibility scope in the developer console and publish the app".into(),
            ErrorKind::RobotNotEnabled => "in the developer console add the Robot capability to the app, enable it, and publish the app".into(),
            ErrorKind::RobotCodeMismatch => "use the robot's own AppKey as robotCode (for an internal app it equals the AppKey) and make sure the robot is published".into(),
            ErrorKind::TemplateNotFound => "check the Template ID against the card platform of the developer console and publish the template, or leave Template ID empty to send a plain message".into(),
            ErrorKind::RateLimited => "wait at least a second and retry with backoff; send fewer messages at once".into(),
            ErrorKind::QuotaExceeded => "wait for next month's quota or upgrade the organisation's DingTalk edition".into(),
            ErrorKind::IpBanned => "stop calling DingTalk from this server for at least 5 minutes, then retry at a lower rate".into(),
            ErrorKind::ServerBusy => "retry in a few seconds".into(),
            ErrorKind::Timeout | ErrorKind::Network => {
                let base = "check this server's network connection, DNS and proxy settings";
                if self.step.is_send() {
                    format!("{base}; check in DingTalk whether the message arrived before resending")
                } else {
                    format!("{base}, then retry")
                }
            }
            ErrorKind::BadResponse => "retry later; if it persists, check for a proxy or captive portal between this server and DingTalk, or an IP ban".into(),
            ErrorKind::InvalidRequest => "check the values entered; if they are right this is a bug in notifydesk".into(),
            ErrorKind::Filtered => "ask the member whether they blocked or muted the app's robot in DingTalk, and check the message for content DingTalk may filter; then send again".into(),
            ErrorKind::StaleUserId => "look the member up again by phone to get their current userid, then send again".into(),
            ErrorKind::NoRobotConversation => "make sure the receiver is in the app's visibility scope and the app's robot is published; the member may need to open the robot's chat once".into(),
            ErrorKind::Redirected { .. } => "DingTalk never redirects these APIs; check the --dingtalk-api / --dingtalk-oapi base URLs and any proxy between this server and DingTalk".into(),
            ErrorKind::Other => "see DingTalk's message; retry later or check the app's configuration".into(),
        }
    }

    fn line(&self) -> String {
        let mut s = format!(
            "DingTalk error {}: {}. Fix: {}",
            self.code,
            self.meaning(),
            self.fix()
        );
        if let Some(m) = &self.message {
            s.push_str(&format!(" (DingTalk said: {m})"));
        }
        // Keep it one line whatever DingTalk sent.
        s.replace(['\n', '\r'], " ")
    }
}

/// Which of DingTalk's limits a throttling code names: per receiver, per caller (user), per
/// app, per API for all tenants, or the robot's own flow control.
fn throttle_meaning(code: &str) -> &'static str {
    let lc = code.to_ascii_lowercase();
    // Legacy codes come as "88/90002": the part after the wrapper decides.
    let last = lc.rsplit('/').next().unwrap_or(&lc);
    if last == "flowcontrolledstaffidlist" {
        "DingTalk's flow control skipped this member (too many messages to them recently)"
    } else if last == "throttling.user" {
        "DingTalk's per-user flow control rejected the call: this caller made too many calls in the current period"
    } else if last == "throttling.api" || last.ends_with("qpslimitforapi") || last == "90002" {
        "this DingTalk API's global limit, shared by all organisations and apps, is exhausted for the moment (not this app's own limit)"
    } else if last.contains("qpmlimit") {
        "this app made too many calls per minute to this DingTalk API (per-app QPM limit)"
    } else if last.ends_with("qpslimitforappkeyandapi") || last == "90018" {
        "this app made too many calls per second to this DingTalk API (per-app QPS limit)"
    } else if matches!(
        last,
        "send.too.fast" | "send.bytoken.toofast" | "too.many.people" | "too.many.group"
    ) {
        "DingTalk's robot flow control: the robot is sending too fast"
    } else if last == "throttling" || last.starts_with("throttling.") {
        "DingTalk's flow control rejected the call (too many requests)"
    } else {
        "DingTalk is throttling this app (too many calls, or a temporary block on this API)"
    }
}

fn format_secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn clean_message(m: &str) -> Option<String> {
    let m = crate::domain::sanitize_text(m.trim()).replace(['\n', '\r'], " ");
    if m.is_empty() {
        return None;
    }
    if m.chars().count() > MAX_MESSAGE_CHARS {
        let mut t: String = m.chars().take(MAX_MESSAGE_CHARS).collect();
        t.push('…');
        Some(t)
    } else {
        Some(m)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
