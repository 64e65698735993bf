//! Plain-English meaning and fix of every [`DingTalkError`], as shown to the user.

use std::time::Duration;

use super::error::{CODE_CONNECT, DingTalkError, Disposition, ErrorKind, Step};

/// Appended to a failed send whose outcome is unknown.
const MAYBE_SENT: &str = "; the message may or may not have been sent";
const CHECK_BEFORE_RESEND: &str = "check in DingTalk whether the message arrived before resending";

impl DingTalkError {
    /// What the error means, in plain English (no trailing period).
    pub fn meaning(&self) -> String {
        let base = self.base_meaning();
        if self.disposition() == Disposition::MayHaveBeenDelivered {
            format!("{base}{MAYBE_SENT}")
        } else {
            base
        }
    }

    fn base_meaning(&self) -> String {
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
            ErrorKind::RateLimited => throttle_meaning(&self.code).into(),
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
                format!("no answer from DingTalk within {secs}")
            }
            ErrorKind::Network if self.code == CODE_CONNECT && self.step.is_send() => {
                "the connection was refused or could not be made, so nothing was sent".into()
            }
            ErrorKind::Network if self.code == CODE_CONNECT => {
                "the connection was refused or could not be made".into()
            }
            ErrorKind::Network => "the connection to DingTalk dropped".into(),
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
        let maybe_sent = self.disposition() == Disposition::MayHaveBeenDelivered;
        match &self.kind {
            ErrorKind::BadCredentials => "copy the Client ID (AppKey) and Client Secret (AppSecret) again from the app's Credentials & Basic Info page in the DingTalk developer console".into(),
            ErrorKind::TokenInvalid => "try again; if it keeps failing, check that the AppKey/AppSecret belong to a published internal app".into(),
            ErrorKind::MissingPermission { scope } => format!(
                "in the DingTalk developer console open the app's Permission Management, grant `{scope}`, then publish a new version of the app"
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
            ErrorKind::ServerBusy if maybe_sent => {
                format!("{CHECK_BEFORE_RESEND}; DingTalk may have delivered it before failing")
            }
            ErrorKind::ServerBusy => "retry in a few seconds".into(),
            ErrorKind::Network if self.code == CODE_CONNECT => {
                "check the API base URLs (--dingtalk-api / --dingtalk-oapi, NOTIFYDESK_DINGTALK_API / _OAPI), this server's network, DNS and proxy settings, then retry".into()
            }
            ErrorKind::Timeout | ErrorKind::Network => {
                let base = "check this server's network connection, DNS and proxy settings";
                if maybe_sent {
                    format!("{base}; {CHECK_BEFORE_RESEND}")
                } else {
                    format!("{base}, then retry")
                }
            }
            ErrorKind::BadResponse => {
                let first = if maybe_sent { CHECK_BEFORE_RESEND } else { "retry later" };
                format!("{first}; if it persists, check for a proxy or captive portal between this server and DingTalk, or an IP ban")
            }
            ErrorKind::InvalidRequest => "check the values entered; if they are right this is a bug in notifydesk".into(),
            ErrorKind::Filtered => "ask the member whether they blocked or muted the app's robot in DingTalk, and check the message for content DingTalk may filter; then send again".into(),
            ErrorKind::StaleUserId => "look the member up again by phone to get their current userid, then send again".into(),
            ErrorKind::NoRobotConversation => "make sure the receiver is in the app's visibility scope and the app's robot is published; the member may need to open the robot's chat once".into(),
            ErrorKind::Redirected { .. } => "DingTalk never redirects these APIs; check the --dingtalk-api / --dingtalk-oapi base URLs and any proxy between this server and DingTalk".into(),
            ErrorKind::Other => "see DingTalk's message; retry later or check the app's configuration".into(),
        }
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
