//! Platform errors in the interface language. A platform error is looked up by platform and
//! code first (`error.dingtalk.60121.lookup.meaning`, then `error.dingtalk.60121.meaning`), so
//! another code or platform (`error.wecom.60020.meaning`) is one more entry in the locale files,
//! not more code. DingTalk's errors that no code entry names are explained by their kind
//! (`error.dingtalk.kind.*`), in both languages; a test keeps the English equal to
//! `DingTalkError::meaning` and `fix`.

use std::fmt::Display;

use super::Lang;
use crate::dingtalk::{DingTalkError, Disposition, ErrorKind, Step};
use crate::domain::ChannelKind;
use crate::personal::{ChannelError, ErrorKind as ErrorKind2};

/// DingTalk client's code for a connection that was never made (`dingtalk::error`).
const CODE_CONNECT: &str = "connect";

/// The meaning and fix of `platform`'s error `code` at `step` (if any), when the locale file of
/// `lang` has an entry for it.
pub fn platform_error(
    lang: Lang,
    platform: &str,
    code: &str,
    step: Option<&str>,
    args: &[(&str, &dyn Display)],
) -> Option<(String, String)> {
    // Legacy DingTalk codes come wrapped ("88/60011"): the last part names the error.
    let code = code.rsplit('/').next().unwrap_or(code);
    let mut prefixes = Vec::new();
    if let Some(step) = step {
        prefixes.push(format!("error.{platform}.{code}.{step}"));
    }
    prefixes.push(format!("error.{platform}.{code}"));
    prefixes.into_iter().find_map(|p| {
        let meaning = lang.lookup(&format!("{p}.meaning"))?;
        let fix = lang.lookup(&format!("{p}.fix"))?;
        Some((super::fill(meaning, args), super::fill(fix, args)))
    })
}

fn step_code(step: Step) -> &'static str {
    match step {
        Step::Setup => "setup",
        Step::Token => "token",
        Step::Lookup => "lookup",
        Step::Send => "send",
        Step::Card => "card",
    }
}

/// [`Step::label`] in `lang`.
pub fn step_label(lang: Lang, step: Step) -> &'static str {
    lang.tr(&format!("error.dingtalk.step.{}", step_code(step)))
}

/// Which flow control a throttling code names (as `explain.rs` decides it).
fn throttle_key(code: &str) -> &'static str {
    let lc = code.to_ascii_lowercase();
    let last = lc.rsplit('/').next().unwrap_or(&lc);
    if last == "flowcontrolledstaffidlist" {
        "staff"
    } else if last == "throttling.user" {
        "user"
    } else if last == "throttling.api" || last.ends_with("qpslimitforapi") || last == "90002" {
        "api"
    } else if last.contains("qpmlimit") {
        "qpm"
    } else if last.ends_with("qpslimitforappkeyandapi") || last == "90018" {
        "qps"
    } else if matches!(
        last,
        "send.too.fast" | "send.bytoken.toofast" | "too.many.people" | "too.many.group"
    ) {
        "robot"
    } else if last == "throttling" || last.starts_with("throttling.") {
        "generic"
    } else {
        "other"
    }
}

fn secs(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

impl DingTalkError {
    /// The locale key of the kind's meaning and fix (`error.dingtalk.kind.<variant>`).
    fn kind_key(&self) -> String {
        let connect = self.code == CODE_CONNECT;
        let variant = match &self.kind {
            ErrorKind::BadCredentials => "bad_credentials",
            ErrorKind::TokenInvalid => "token_invalid",
            ErrorKind::MissingPermission { .. } => "missing_permission",
            ErrorKind::IpNotAllowed => "ip_not_allowed",
            ErrorKind::UserNotFound if self.step == Step::Lookup => "user_not_found_lookup",
            ErrorKind::UserNotFound => "user_not_found",
            ErrorKind::InvalidMobile => "invalid_mobile",
            ErrorKind::OutsideVisibility => "outside_visibility",
            ErrorKind::RobotNotEnabled => "robot_not_enabled",
            ErrorKind::RobotCodeMismatch => "robot_code_mismatch",
            ErrorKind::TemplateNotFound => "template_not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::IpBanned => "ip_banned",
            ErrorKind::ServerBusy => "server_busy",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Network if connect && self.step.is_send() => "network_connect_send",
            ErrorKind::Network if connect => "network_connect",
            ErrorKind::Network => "network",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Filtered => "filtered",
            ErrorKind::StaleUserId => "stale_user_id",
            ErrorKind::NoRobotConversation => "no_robot_conversation",
            ErrorKind::Redirected { .. } => "redirected",
            ErrorKind::Other => "other",
        };
        format!("error.dingtalk.kind.{variant}")
    }

    /// What the error means and how to fix it, in `lang` (no trailing period). In English,
    /// exactly [`DingTalkError::meaning`] and [`DingTalkError::fix`].
    pub fn explain_in(&self, lang: Lang) -> (String, String) {
        let maybe_sent = self.disposition() == Disposition::MayHaveBeenDelivered;
        let step = step_label(lang, self.step);
        let scope = match &self.kind {
            ErrorKind::MissingPermission { scope } => scope.as_str(),
            _ => "",
        };
        let host = match &self.kind {
            ErrorKind::Redirected { host } => host.as_str(),
            _ => "",
        };
        let timeout = self
            .timeout_after
            .map(secs)
            .unwrap_or_else(|| lang.tr("error.dingtalk.the_timeout").into());
        let check = lang.tr("error.dingtalk.check_before_resend");
        let args: [(&str, &dyn Display); 5] = [
            ("step", &step),
            ("scope", &scope),
            ("host", &host),
            ("secs", &timeout),
            ("check", &check),
        ];
        let by_code = platform_error(
            lang,
            "dingtalk",
            &self.code,
            Some(step_code(self.step)),
            &args,
        );
        let (meaning, fix) = by_code.unwrap_or_else(|| {
            let key = self.kind_key();
            let meaning = match self.kind {
                ErrorKind::RateLimited => {
                    lang.tr(&format!("{key}.meaning_{}", throttle_key(&self.code)))
                }
                _ => lang.tr(&format!("{key}.meaning")),
            };
            let fix_variant = match self.kind {
                ErrorKind::ServerBusy
                | ErrorKind::Timeout
                | ErrorKind::Network
                | ErrorKind::BadResponse
                    if maybe_sent =>
                {
                    "fix_maybe_sent"
                }
                _ => "fix",
            };
            let fix = lang.tr(&format!("{key}.{fix_variant}"));
            (super::fill(meaning, &args), super::fill(fix, &args))
        });
        if maybe_sent {
            let suffix = lang.tr("error.dingtalk.maybe_sent");
            return (format!("{meaning}{suffix}"), fix);
        }
        (meaning, fix)
    }

    /// The one-line error (`Display`) in `lang`; in English exactly `to_string()`.
    pub fn line_in(&self, lang: Lang) -> String {
        let (meaning, fix) = self.explain_in(lang);
        let connect = self.kind == ErrorKind::Network && self.code == CODE_CONNECT;
        let mut s = match (&self.host, connect) {
            (Some(host), true) => lang.trf(
                "error.dingtalk.line_connect",
                &[("host", host), ("meaning", &meaning), ("fix", &fix)],
            ),
            _ => lang.trf(
                "error.dingtalk.line",
                &[("code", &self.code), ("meaning", &meaning), ("fix", &fix)],
            ),
        };
        if let Some(m) = &self.message {
            s.push_str(&lang.trf("error.dingtalk.said", &[("message", m)]));
        }
        if let Some(id) = &self.request_id {
            s.push_str(&lang.trf("error.dingtalk.request_id", &[("id", id)]));
        }
        s.replace(['\n', '\r'], " ")
    }
}

/// Where a channel's platform errors live in the locale files (Lark shares Feishu's codes).
pub fn platforms_of(kind: ChannelKind) -> &'static [&'static str] {
    match kind {
        ChannelKind::DingTalk => &["dingtalk"],
        ChannelKind::WeCom => &["wecom"],
        ChannelKind::Feishu => &["feishu"],
        ChannelKind::FeishuLark => &["feishu_lark", "feishu"],
    }
}

/// A WeCom/Feishu/Lark error in `lang`: the locale entry of its code when there is one, else
/// the client's own words (English) behind the translated frame. In English, `to_string()`.
pub fn channel_error_line(e: &ChannelError, lang: Lang) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    // What the platform named: the address it saw, the missing scope.
    let unnamed = lang.tr("error.channel.unnamed");
    let ip = match &e.kind {
        ErrorKind2::IpNotAllowed { ip: Some(ip) } => ip.as_str(),
        _ => unnamed,
    };
    let scope = match &e.kind {
        ErrorKind2::MissingPermission { scope: Some(s) } => s.as_str(),
        _ => unnamed,
    };
    let args: [(&str, &dyn Display); 2] = [("ip", &ip), ("scope", &scope)];
    let found = platforms_of(e.channel)
        .iter()
        .find_map(|p| platform_error(lang, p, &e.code, None, &args));
    let (message, fix) = match found {
        Some((m, f)) => (m, Some(f)),
        None => (
            e.message.trim_end_matches('.').to_string(),
            e.fix.as_ref().map(|f| f.trim_end_matches('.').to_string()),
        ),
    };
    let mut s = lang.trf(
        "error.channel.line",
        &[("code", &e.code), ("message", &message)],
    );
    if let Some(fix) = fix {
        s.push_str(&lang.trf("error.channel.fix", &[("fix", &fix)]));
    }
    if let Some(id) = &e.request_id {
        s.push_str(&lang.trf("error.channel.request_id", &[("id", id)]));
    }
    s
}
