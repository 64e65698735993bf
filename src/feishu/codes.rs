//! Feishu/Lark error codes (contract sections 5 and 6) → kind, disposition, meaning and fix.

use std::time::Duration;

use serde_json::Value;

use crate::domain::ChannelKind;
use crate::personal::{ChannelError, Disposition, ErrorKind};

/// Which call failed: decides what a transport failure or a 5xx may have done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    Token,
    Lookup,
    Send,
}

/// Codes after which the tenant token is dropped, fetched once and the call retried once.
pub(super) const TOKEN_INVALID: [i64; 4] = [99991661, 99991663, 99991664, 99991665];

/// Wait when the platform throttled without saying how long.
const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// A non-zero `code` in a readable answer.
pub(super) struct Failure<'a> {
    pub channel: ChannelKind,
    pub step: Step,
    pub status: u16,
    pub code: i64,
    /// Already redacted.
    pub msg: &'a str,
    pub body: &'a Value,
    pub wait: Option<Duration>,
}

fn console(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::FeishuLark => "the Lark developer console (https://open.larksuite.com/app)",
        _ => "the Feishu developer console (https://open.feishu.cn/app)",
    }
}

fn name(channel: ChannelKind) -> &'static str {
    match channel {
        ChannelKind::FeishuLark => "Lark",
        _ => "Feishu",
    }
}

pub(super) fn explain(f: &Failure<'_>) -> ChannelError {
    use Disposition::{Permanent, Retry};
    use ErrorKind as K;
    let con = console(f.channel);
    let said = format!("{} said: {}", name(f.channel), f.msg);
    let err = |kind: K, what: &str, disposition: Disposition, fix: String| {
        ChannelError::new(
            f.channel,
            kind,
            f.code.to_string(),
            format!("{what} ({said})"),
            disposition,
        )
        .with_fix(fix)
    };
    let throttled = |what: &str| {
        err(
            K::Throttled,
            what,
            Retry,
            "wait and retry; stay under 50 calls per second and 5 messages per second to one member".into(),
        )
        .with_retry_after(Some(f.wait.unwrap_or(DEFAULT_WAIT)))
    };
    let publish = "then create and publish a new version (Version Management & Release)";
    match f.code {
        99991400 | 11232 | 11233 | 11247 => throttled("the app hit a call-rate limit"),
        230020 => throttled("too many messages to this member per second"),
        1500 | 5000 | 2200 | 55001 => err(
            K::Server,
            "the platform had an internal error",
            Retry,
            "retry later; if it persists, report the request id to platform support".into(),
        ),
        // Any other failure of the token call: wrong App ID/secret or a disabled app.
        _ if f.step == Step::Token => err(
            K::BadCredentials,
            "the App ID or App Secret was refused (or the app is disabled)",
            Permanent,
            format!("copy App ID and App Secret again from Credentials & Basic Info in {con}, and check that the app is enabled"),
        ),
        10014 | 10015 | 99991673 | 99991662 => err(
            K::BadCredentials,
            "the app is not authorised, disabled or not installed in this tenant",
            Permanent,
            format!("check the app's status and App Secret in {con}; the tenant admin may have to enable or install it"),
        ),
        c if TOKEN_INVALID.contains(&c) => err(
            K::TokenInvalid,
            "the tenant access token was rejected even after fetching a new one",
            Retry,
            format!("retry later; if it persists, reset the App Secret in {con} and save the new one here"),
        ),
        99991668 | 99991671 | 99992402 | 230001 | 10003 => err(
            K::InvalidRequest,
            "the request was refused as malformed (a bug in notifydesk)",
            Permanent,
            "report this error with its request id".into(),
        ),
        99991672 => missing_scope(f, con, publish),
        99991401 => {
            let ip = f
                .msg
                .split_whitespace()
                .skip_while(|w| !w.eq_ignore_ascii_case("ip"))
                .nth(1)
                .map(str::to_string);
            let shown = ip.clone().unwrap_or_else(|| "this machine's egress IP".into());
            err(
                K::IpNotAllowed { ip },
                "this machine's IP address is not in the app's IP allow-list",
                Permanent,
                format!("add {shown} to the IP allow-list under Security Settings in {con}, or turn the allow-list off"),
            )
        }
        99991403 => err(
            K::Throttled,
            "the tenant's monthly API call quota is used up",
            Permanent,
            "wait for next month's quota or upgrade the tenant's plan".into(),
        ),
        99991201 => err(
            K::BadConfig,
            "the platform does not know this API path",
            Permanent,
            "check the channel's base URL (https://open.feishu.cn or https://open.larksuite.com)".into(),
        ),
        99992351 | 99992359 | 99992360 | 230034 => err(
            K::NotFound,
            "the receiver id does not exist in this tenant",
            Permanent,
            "look the member up again; with Login Name the login must equal the member's user ID (employee id) in the admin console".into(),
        ),
        99992361 => err(
            K::NotFound,
            "the receiver's open_id belongs to another app (open_ids differ per app)",
            Permanent,
            "look the member up again with this app's credentials".into(),
        ),
        230006 => err(
            K::BotNotEnabled,
            "the app's Bot capability is not enabled or no version is published",
            Permanent,
            format!("add the Bot feature (Features → Bot) in {con}, {publish}"),
        ),
        230013 => err(
            K::OutsideScope,
            "the member is outside the app's availability scope",
            Permanent,
            format!("add the member (or their department) to the app's availability in {con}, {publish}"),
        ),
        230025 | 19036 => err(
            K::Content,
            "the message is too long (30 KB for post and card messages)",
            Permanent,
            "shorten the message or its template".into(),
        ),
        230022 | 230028 => err(
            K::Content,
            "the message content was refused by the tenant's content or data-loss checks",
            Permanent,
            "remove sensitive content (e.g. plain phone numbers or emails) from the message".into(),
        ),
        230029 => receiver("the member has resigned", "remove or update the member"),
        230053 => receiver(
            "the member stopped the bot from messaging them",
            "ask the member to allow messages from the bot in its chat settings",
        ),
        230035 => receiver(
            "the tenant's settings forbid this app to message the member",
            "ask the tenant admin to allow the bot to message this member",
        ),
        230038 => receiver(
            "the member belongs to another tenant",
            "only members of the app's own tenant can be messaged",
        ),
        230099 => template(f, con),
        _ if f.status == 429 => throttled("the platform refused the call as too frequent"),
        _ => err(
            K::Server,
            "the platform answered with an unknown error code",
            if f.status >= 500 { Retry } else { Permanent },
            "retry later; if it persists, report the code and request id".into(),
        ),
    }
    .map_err_with(f)
}

/// A receiver-level refusal (kind `ReceiverRefused`, permanent), completed by `map_err_with`.
fn receiver(what: &str, fix: &str) -> ChannelError {
    ChannelError::new(
        ChannelKind::Feishu,
        ErrorKind::ReceiverRefused,
        String::new(),
        what,
        Disposition::Permanent,
    )
    .with_fix(fix)
}

trait Complete {
    fn map_err_with(self, f: &Failure<'_>) -> ChannelError;
}

impl Complete for ChannelError {
    /// Fill channel/code/platform text into an error built by a helper without them.
    fn map_err_with(mut self, f: &Failure<'_>) -> ChannelError {
        if self.code.is_empty() {
            self.channel = f.channel;
            self.code = f.code.to_string();
            self.message = format!("{} ({} said: {})", self.message, name(f.channel), f.msg);
        }
        self
    }
}

fn missing_scope(f: &Failure<'_>, con: &str, publish: &str) -> ChannelError {
    let error = &f.body["error"];
    let scope = error["permission_violations"]
        .as_array()
        .and_then(|v| v.iter().find_map(|p| p["subject"].as_str()))
        .map(str::to_string)
        .or_else(|| {
            let (_, rest) = f.msg.split_once('[')?;
            Some(
                rest.split_once(']')?
                    .0
                    .split(',')
                    .next()?
                    .trim()
                    .to_string(),
            )
        })
        .filter(|s| !s.is_empty());
    let help = error["helps"]
        .as_array()
        .and_then(|v| v.iter().find_map(|h| h["url"].as_str()))
        .map(|u| format!(" ({u})"))
        .unwrap_or_default();
    let shown = scope
        .clone()
        .unwrap_or_else(|| "the missing permission".into());
    ChannelError::new(
        f.channel,
        ErrorKind::MissingPermission { scope },
        f.code.to_string(),
        format!(
            "the app lacks the permission scope {shown} ({} said: {})",
            name(f.channel),
            f.msg
        ),
        Disposition::Permanent,
    )
    .with_fix(format!(
        "add the scope {shown} under Permissions & Scopes in {con}{help}, {publish}"
    ))
}

fn template(f: &Failure<'_>, con: &str) -> ChannelError {
    let sub = ["200380", "200381", "200621", "200732", "200737", "100290"]
        .into_iter()
        .find(|s| f.msg.contains(s));
    let (what, fix) = match sub {
        Some("200380") => (
            "the card template does not exist",
            "check the channel's Template ID against the card builder (CardKit)".to_string(),
        ),
        Some("200381") => (
            "the card template is not shared with this app",
            format!(
                "in the card builder, authorise the app ({con}) to use the template and publish the template"
            ),
        ),
        Some("200732") | Some("200737") => (
            "the card template's variables do not match",
            "the template must declare text variables `title` and `content`".to_string(),
        ),
        _ => (
            "the card could not be built from the template",
            "check the template in the card builder and its variables `title` and `content`"
                .to_string(),
        ),
    };
    ChannelError::new(
        f.channel,
        ErrorKind::Template,
        f.code.to_string(),
        format!("{what} ({} said: {})", name(f.channel), f.msg),
        Disposition::Permanent,
    )
    .with_fix(fix)
}
