//! One error type for both DingTalk API families, with plain-English meaning and fix.
//!
//! Nothing in here may ever contain the AppSecret or an access token: error bodies are sanitised,
//! truncated and scrubbed of known secrets by the client before they are stored.

use std::fmt;
use std::time::Duration;

use crate::personal::Redactor;

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

    pub(crate) fn is_send(self) -> bool {
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
/// `DingTalk error <code>: <meaning>. Fix: <fix>` (plus DingTalk's message in parentheses and
/// ` [request id: X]` when DingTalk gave one).
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
    /// For transport errors: the host (and port) that could not be reached.
    pub host: Option<String>,
}

const MAX_MESSAGE_CHARS: usize = 200;

/// Client-side code of a connection that could not be made (nothing was written).
pub(crate) const CODE_CONNECT: &str = "connect";

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
            host: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> DingTalkError {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn with_request_id(mut self, id: Option<String>) -> DingTalkError {
        self.request_id = id;
        self
    }

    /// Attach a message; it is sanitised and truncated here.
    pub fn with_message(mut self, message: impl AsRef<str>) -> DingTalkError {
        self.message = clean_message(message.as_ref());
        self
    }

    /// Remove secrets from everything that came from the server or the transport (message,
    /// code, request id, names inside the kind). Server text is already redacted whole
    /// before it is cut; this pass catches what the client added around it.
    pub(crate) fn redacted(mut self, r: &Redactor) -> DingTalkError {
        self.message = self.message.map(|m| r.redact(&m));
        self.code = r.redact(&self.code);
        self.request_id = self.request_id.map(|id| r.redact(&id));
        match &mut self.kind {
            ErrorKind::MissingPermission { scope: s } | ErrorKind::Redirected { host: s } => {
                *s = r.redact(s);
            }
            _ => {}
        }
        self
    }

    /// What the caller may do next. Lookups and tokens: transient kinds are `Retry`, the rest
    /// `Permanent`. Sends (robot message, card) have no idempotency key, so `Retry` only for
    /// answers that prove nothing was sent: throttling, busy codes, 429, 503, an IP ban, or a
    /// connection that was never made. A failure after the request went out (5xx without a busy
    /// code, unreadable answer, dropped connection, timeout) is `MayHaveBeenDelivered`.
    pub fn disposition(&self) -> Disposition {
        use Disposition::{MayHaveBeenDelivered, Permanent, Retry};
        let transient = matches!(
            self.kind,
            ErrorKind::RateLimited
                | ErrorKind::IpBanned
                | ErrorKind::ServerBusy
                | ErrorKind::Timeout
                | ErrorKind::Network
                | ErrorKind::BadResponse
        );
        if !self.step.is_send() {
            return if transient { Retry } else { Permanent };
        }
        if !transient {
            return Permanent;
        }
        // 429 is refused by definition; a bare 503 (no DingTalk code) comes from a gateway
        // that had no server to hand it to. A 503 carrying another code is judged by the code.
        if self.http_status == Some(429)
            || (self.http_status == Some(503) && self.code.starts_with("HTTP "))
        {
            return Retry;
        }
        match self.kind {
            ErrorKind::RateLimited | ErrorKind::IpBanned => Retry,
            ErrorKind::ServerBusy if self.has_busy_code() => Retry,
            ErrorKind::Network if self.code == CODE_CONNECT => Retry,
            _ => MayHaveBeenDelivered,
        }
    }

    /// DingTalk said "busy" (`system.busy`, `systemBusy`, legacy -1): the request was refused
    /// before any work was done, whatever the HTTP status.
    fn has_busy_code(&self) -> bool {
        let lc = self.code.to_ascii_lowercase();
        let last = lc.rsplit('/').next().unwrap_or(&lc);
        matches!(last, "system.busy" | "systembusy" | "-1")
    }

    /// Worth retrying later (with backoff) without anyone changing the configuration:
    /// [`Disposition::Retry`].
    pub fn is_transient(&self) -> bool {
        self.disposition() == Disposition::Retry
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

    /// For a failed send: DingTalk may nevertheless have delivered it
    /// ([`Disposition::MayHaveBeenDelivered`]). Such sends must not be retried blindly.
    pub fn may_have_been_delivered(&self) -> bool {
        self.disposition() == Disposition::MayHaveBeenDelivered
    }

    fn line(&self) -> String {
        // A connection that never got anywhere is a local problem, not DingTalk's answer.
        let mut s = match (
            &self.host,
            self.kind == ErrorKind::Network && self.code == CODE_CONNECT,
        ) {
            (Some(host), true) => format!(
                "Could not reach {host}: {}. Fix: {}",
                self.meaning(),
                self.fix()
            ),
            _ => format!(
                "DingTalk error {}: {}. Fix: {}",
                self.code,
                self.meaning(),
                self.fix()
            ),
        };
        if let Some(m) = &self.message {
            s.push_str(&format!(" (DingTalk said: {m})"));
        }
        if let Some(id) = &self.request_id {
            s.push_str(&format!(" [request id: {id}]"));
        }
        // Keep it one line whatever DingTalk sent.
        s.replace(['\n', '\r'], " ")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_permission_names_the_step_that_needed_it() {
        let needed = |step: Step| {
            DingTalkError::new(
                ErrorKind::MissingPermission { scope: "x".into() },
                "60011",
                step,
            )
            .meaning()
        };
        for (step, label) in [
            (Step::Token, "getting an access token"),
            (Step::Lookup, "looking up the member by phone"),
            (Step::Send, "sending the robot message"),
            (Step::Card, "delivering the card"),
        ] {
            assert!(
                needed(step).ends_with(&format!("needed for {label}")),
                "{step:?}"
            );
        }
    }

    #[test]
    fn a_step_displays_as_its_label() {
        assert_eq!(Step::Card.to_string(), "delivering the card");
    }

    #[test]
    fn meanings_depend_on_the_step_and_the_code() {
        let meaning = |kind: ErrorKind, code: &str, step: Step| {
            DingTalkError::new(kind, code, step).meaning()
        };
        let unknown = |step| meaning(ErrorKind::UserNotFound, "60121", step);
        assert!(unknown(Step::Lookup).contains("has this phone number"));
        assert!(unknown(Step::Send).contains("does not know this member's userid"));
        let network = |code, step| meaning(ErrorKind::Network, code, step);
        assert!(network(CODE_CONNECT, Step::Send).ends_with("so nothing was sent"));
        assert_eq!(
            network(CODE_CONNECT, Step::Lookup),
            "the connection was refused or could not be made"
        );
        assert!(network("io", Step::Send).starts_with("the connection to DingTalk dropped"));
        assert!(network("io", Step::Lookup).starts_with("the connection to DingTalk dropped"));
    }

    #[test]
    fn fixes_depend_on_the_step_and_on_whether_it_may_have_been_sent() {
        let fix =
            |kind: ErrorKind, code: &str, step: Step| DingTalkError::new(kind, code, step).fix();
        assert!(
            fix(ErrorKind::UserNotFound, "60121", Step::Lookup).starts_with("check the number")
        );
        assert!(
            fix(ErrorKind::UserNotFound, "x", Step::Send).starts_with("look the member up again")
        );
        // A 5xx on a send may have delivered it; on a lookup it is just busy.
        let sent = fix(ErrorKind::ServerBusy, "system.error", Step::Send);
        assert!(
            sent.ends_with("DingTalk may have delivered it before failing"),
            "{sent}"
        );
        assert_eq!(
            fix(ErrorKind::ServerBusy, "system.error", Step::Lookup),
            "retry in a few seconds"
        );
    }

    #[test]
    fn messages_are_cut_only_past_the_limit() {
        let e = |n: usize| {
            DingTalkError::new(ErrorKind::Other, "c", Step::Send).with_message("m".repeat(n))
        };
        assert_eq!(
            e(MAX_MESSAGE_CHARS).message.unwrap(),
            "m".repeat(MAX_MESSAGE_CHARS)
        );
        let cut = e(MAX_MESSAGE_CHARS + 1).message.unwrap();
        assert_eq!(cut, format!("{}…", "m".repeat(MAX_MESSAGE_CHARS)));
        assert_eq!(e(3).message.unwrap(), "mmm");
    }

    /// Names inside the kind come from the server (a scope, a redirect host) and are
    /// redacted like the message.
    #[test]
    fn redaction_reaches_the_names_inside_the_kind() {
        let secret = "kind-Secret-5f4e3d";
        let r = Redactor::new(&[secret]);
        for kind in [
            ErrorKind::MissingPermission {
                scope: format!("scope_{secret}"),
            },
            ErrorKind::Redirected {
                host: format!("{secret}.example"),
            },
        ] {
            let e = DingTalkError::new(kind, "c", Step::Send).redacted(&r);
            let shown = format!("{:?} {e}", e.kind);
            assert!(
                shown.contains("[redacted]") && !shown.contains(secret),
                "{shown}"
            );
        }
    }
}
