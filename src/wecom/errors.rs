//! WeCom error codes (contract sec. 6) → [`ChannelError`]: kind, disposition, a plain-English
//! message and the fix in the WeCom admin console. WeCom answers business errors as HTTP 200
//! with `errcode != 0`; `errmsg` carries `hint: [<id>]` (the request id) and `from ip: <ip>`.

use std::time::Duration;

use crate::domain::ChannelKind;
use crate::personal::{ChannelError, Disposition, ErrorKind};

/// Which call failed: decides what a code means (40001 on gettoken = wrong Secret) and
/// whether an unclear failure may have delivered a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Token,
    Lookup,
    Send,
}

const APP_PAGE: &str = "WeCom admin console → App Management (应用管理) → your self-built app";

/// The `hint: [...]` id WeCom puts into every error message.
pub(crate) fn hint(errmsg: &str) -> Option<String> {
    let rest = &errmsg[errmsg.find("hint: [")? + 7..];
    let id = &rest[..rest.find(']')?];
    (!id.is_empty()).then(|| id.to_string())
}

/// The caller IP WeCom saw (`from ip: 1.2.3.4`), for 60020 / 48002.
pub(crate) fn from_ip(errmsg: &str) -> Option<String> {
    let rest = &errmsg[errmsg.find("from ip: ")? + 9..];
    let ip: String = rest
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
        .collect();
    (!ip.is_empty()).then_some(ip)
}

/// The human part of `errmsg`, without the hint / ip / "more info" suffix.
fn text_of(errmsg: &str) -> &str {
    errmsg.split(", hint: [").next().unwrap_or(errmsg).trim()
}

/// Map one non-zero errcode. `errmsg` must already be redacted.
pub(crate) fn from_code(step: Step, code: i64, errmsg: &str) -> ChannelError {
    use Disposition::{Permanent, Retry};
    use ErrorKind as K;
    let said = text_of(errmsg);
    let ip = from_ip(errmsg);
    let (kind, disposition, message, fix): (ErrorKind, Disposition, String, String) = match code {
        -1 => (
            K::Server,
            Retry,
            "WeCom is busy (system busy); nothing was sent".into(),
            "try again in a few seconds".into(),
        ),
        40001 | 40091 | 41004 if step == Step::Token => (
            K::BadCredentials,
            Permanent,
            "WeCom refused the Secret for this CorpID".into(),
            format!("copy the Secret again from {APP_PAGE} → Secret (查看Secret, sent to the admin's WeCom); it must be the Secret of this app, not of Contacts or another app, and the app must be enabled"),
        ),
        40013 | 41002 => (
            K::BadCredentials,
            Permanent,
            "WeCom does not know this CorpID".into(),
            "enter the CorpID from My Company → Company Info (我的企业 → 企业信息 → 企业ID, starts with ww or wx); a number like 1000002 is the AgentId, not the CorpID".into(),
        ),
        40014 | 41001 | 42001 | 40001 => (
            K::TokenInvalid,
            Retry,
            "WeCom rejected the access token even after a fresh one was fetched".into(),
            "try again later; if it persists, check that the Secret was not reset in the app's page".into(),
        ),
        40056 | 301002 | 41011 => (
            K::BadConfig,
            Permanent,
            "the AgentId does not belong to this Secret's app".into(),
            format!("in {APP_PAGE}, copy the AgentId and the Secret from the same app's page"),
        ),
        44004 => (
            K::Content,
            Permanent,
            "WeCom refused an empty message".into(),
            "give the message a title or text".into(),
        ),
        45002 => (
            K::Content,
            Permanent,
            "the message is larger than WeCom accepts (2048 bytes)".into(),
            "shorten the message text".into(),
        ),
        45009 => (
            K::Throttled,
            Retry,
            "WeCom's frequency limit was hit (45009 api freq out of limit); lookups may be blocked for the day after too many failed ones".into(),
            "wait at least a minute before retrying; check the member directory for wrong phone numbers or emails".into(),
        ),
        45033 => (
            K::Throttled,
            Retry,
            "too many concurrent calls to WeCom".into(),
            "retry after a short pause".into(),
        ),
        46004 => (
            K::NotFound,
            Permanent,
            "no WeCom member has this phone number or email".into(),
            "check the member's phone number or email in WeCom's Contacts (通讯录)".into(),
        ),
        48002 => (
            K::MissingPermission { scope: None },
            Permanent,
            "WeCom forbids this API for this app (48002 api forbidden)".into(),
            format!("use the Secret of the self-built app itself (not the Contacts sync Secret); in {APP_PAGE}, check its API permissions and its Trusted IP (企业可信IP) list{}", ip.as_deref().map(|i| format!(" (this machine calls from {i})")).unwrap_or_default()),
        ),
        50002 | 60011 => (
            K::OutsideScope,
            Permanent,
            "the member is outside this app's visibility scope (可见范围)".into(),
            format!("in {APP_PAGE} → Visible to (可见范围), add the member or their department"),
        ),
        60020 => {
            let who = ip.clone().unwrap_or_else(|| "this machine's egress IP".into());
            (
                K::IpNotAllowed { ip: ip.clone() },
                Permanent,
                format!("WeCom refuses calls from IP {who} (not in the app's Trusted IP list)"),
                format!("add {who} to the app's Trusted IP (企业可信IP) list in {APP_PAGE} → Developer interface (开发者接口); the change takes about a minute"),
            )
        }
        81013 | 82001 => (
            K::ReceiverRefused,
            Permanent,
            "WeCom says every receiver is invalid (no such userid, or outside the app's visibility scope)".into(),
            "with Login Name as the source column the login must equal the member's WeCom userid (账号) shown in Contacts; use Phone as the source column instead, and make sure the member is in the app's visibility scope (可见范围)".into(),
        ),
        40008 | 40031 | 40032 | 40058 | 60103 | 82002 | 82003 => (
            K::InvalidRequest,
            Permanent,
            format!("WeCom refused the request as malformed ({said})"),
            "this is a bug in notifydesk; please report it with the request id".into(),
        ),
        48001 => (
            K::BadConfig,
            Permanent,
            "WeCom says this API is not available (48001 api unauthorized)".into(),
            "check the WeCom base URL setting (default https://qyapi.weixin.qq.com)".into(),
        ),
        _ => (
            K::Server,
            Permanent,
            format!("WeCom error {code} ({said})"),
            format!("look the code up at https://open.work.weixin.qq.com/devtool/query?e={code}"),
        ),
    };
    let retry_after = match code {
        45009 => Some(Duration::from_secs(60)),
        45033 | -1 => Some(Duration::from_secs(1)),
        _ => None,
    };
    ChannelError::new(
        ChannelKind::WeCom,
        kind,
        code.to_string(),
        message,
        disposition,
    )
    .with_fix(fix)
    .with_request_id(hint(errmsg))
    .with_retry_after(retry_after)
}

/// An HTTP status other than 200 (a gateway's HTML page, a wrong base URL).
pub(crate) fn from_status(step: Step, status: u16) -> ChannelError {
    let (kind, disposition, message, fix) = match status {
        404 | 405 => (
            ErrorKind::BadConfig,
            Disposition::Permanent,
            format!("HTTP {status}: the WeCom base URL does not serve WeCom's API"),
            "check the WeCom base URL setting (default https://qyapi.weixin.qq.com)",
        ),
        // A bare 503 comes from a gateway with no server to hand the request to.
        503 => (
            ErrorKind::Server,
            Disposition::Retry,
            format!("HTTP {status}: WeCom is unavailable"),
            "try again later",
        ),
        _ => (
            ErrorKind::Server,
            unclear(step),
            format!("HTTP {status} from WeCom"),
            "try again later",
        ),
    };
    ChannelError::new(
        ChannelKind::WeCom,
        kind,
        format!("http-{status}"),
        message,
        disposition,
    )
    .with_fix(fix)
}

/// A 200 answer that is not the JSON WeCom sends.
pub(crate) fn unreadable(step: Step) -> ChannelError {
    ChannelError::new(
        ChannelKind::WeCom,
        ErrorKind::Server,
        "bad-response",
        "WeCom's answer could not be read (not JSON or cut short)",
        unclear(step),
    )
    .with_fix("try again later; a send may already have been delivered")
}

/// What an unclear outcome means: a send request was out, so it may have been delivered.
pub(crate) fn unclear(step: Step) -> Disposition {
    if step == Step::Send {
        Disposition::MayHaveBeenDelivered
    } else {
        Disposition::Retry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &str = "not allow to access from your ip, hint: [1700000001234567890abc], from ip: 112.43.40.209, more info at https://open.work.weixin.qq.com/devtool/query?e=60020";

    #[test]
    fn hint_and_ip_are_parsed_from_errmsg() {
        assert_eq!(hint(MSG).as_deref(), Some("1700000001234567890abc"));
        assert_eq!(from_ip(MSG).as_deref(), Some("112.43.40.209"));
        assert_eq!(
            from_ip("x, from ip: 2001:db8::1, more").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(hint("invalid corpid"), None);
        assert_eq!(from_ip("invalid corpid"), None);
        assert_eq!(text_of(MSG), "not allow to access from your ip");
    }

    #[test]
    fn codes_depend_on_the_step() {
        assert_eq!(
            from_code(Step::Token, 40001, "").kind,
            ErrorKind::BadCredentials
        );
        assert_eq!(
            from_code(Step::Send, 40001, "").kind,
            ErrorKind::TokenInvalid
        );
        assert_eq!(
            from_code(Step::Lookup, 42001, "").kind,
            ErrorKind::TokenInvalid
        );
        let e = from_code(Step::Send, 60020, MSG);
        assert_eq!(
            e.kind,
            ErrorKind::IpNotAllowed {
                ip: Some("112.43.40.209".into())
            }
        );
        assert!(
            e.fix
                .unwrap()
                .starts_with("add 112.43.40.209 to the app's Trusted IP (企业可信IP) list")
        );
        assert_eq!(unclear(Step::Send), Disposition::MayHaveBeenDelivered);
        assert_eq!(from_status(Step::Send, 503).disposition, Disposition::Retry);
        assert_eq!(
            from_status(Step::Send, 502).disposition,
            Disposition::MayHaveBeenDelivered
        );
        assert_eq!(
            from_status(Step::Lookup, 502).disposition,
            Disposition::Retry
        );
    }
}
