//! Turning raw HTTP answers of both API families into JSON values or `DingTalkError`s.
//! Error-body keys are matched case-insensitively (`code`/`Code`, `requestid`/`requestId`).

use std::time::Duration;

use serde_json::Value;

use super::error::{DingTalkError, ErrorKind, SCOPE_CARD, SCOPE_LOOKUP, SCOPE_SEND, Step};
use super::headers::MAX_SERVER_WAIT;
use crate::personal::Redactor;

/// Look up an object key ignoring ASCII case.
pub(crate) fn get_ci<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub(crate) fn get_str_ci<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get_ci(v, key).and_then(Value::as_str)
}

/// A string array, tolerating a JSON-encoded string of an array and missing/null (= empty).
pub(crate) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .map(|inner| string_list(Some(&inner)))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Classify an HTTP answer. `Ok` = a JSON body that is not an error (the caller still checks
/// the fields it needs and reports `BadResponse` if they are missing). Every server-provided
/// text that goes into an error passes through `r` whole, before the error cuts it.
pub(crate) fn classify(
    status: u16,
    body: &[u8],
    step: Step,
    r: &Redactor,
) -> Result<Value, DingTalkError> {
    let ok_status = (200..300).contains(&status);
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    let parsed: Option<Value> = serde_json::from_str(trimmed).ok();
    let Some(v) = parsed else {
        return Err(non_json(status, &r.redact(trimmed), step));
    };
    if is_ip_ban(&v) {
        // `wait` is in minutes; a number or a numeric string.
        let wait = get_ci(&v, "wait")
            .and_then(|w| w.as_u64().or_else(|| w.as_str()?.trim().parse().ok()))
            .unwrap_or(5);
        let wait_secs = wait.saturating_mul(60);
        return Err(DingTalkError::new(ErrorKind::IpBanned, "ip-ban", step)
            .with_status(status)
            .with_message(format!("punish=deny, wait={wait} min"))
            .with_server_wait(Some(Duration::from_secs(wait_secs).min(MAX_SERVER_WAIT))));
    }
    let error = if let Some(errcode) = get_ci(&v, "errcode").and_then(as_code) {
        if errcode == "0" {
            return Ok(v);
        }
        legacy_error(&v, &errcode, status, step, r)
    } else if ok_status {
        return Ok(v);
    } else if let Some(code) = get_str_ci(&v, "code").filter(|c| !c.is_empty()) {
        new_api_error(&v, code, status, step, r)
    } else {
        status_only(status, step).with_message(r.redact(trimmed))
    };
    Err(error.with_request_id(request_id(&v, r)))
}

/// DingTalk's id of this request (`requestid` on the new API, `request_id` on the legacy one,
/// `requestId` in SDK-style bodies): printable ASCII only, at most 64 characters.
fn request_id(v: &Value, r: &Redactor) -> Option<String> {
    let raw = get_ci(v, "requestid").or_else(|| get_ci(v, "request_id"))?;
    let text = match raw {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let clean: String = r
        .redact(&text)
        .chars()
        .filter(char::is_ascii_graphic)
        .take(64)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

fn as_code(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn is_ip_ban(v: &Value) -> bool {
    get_str_ci(v, "punish").is_some_and(|p| p.eq_ignore_ascii_case("deny"))
}

/// DingTalk's gateway bans an IP with an HTML "punish" page (Alibaba's x5 anti-abuse layer)
/// when it does not send the JSON `punish:"deny"` body.
fn is_ip_ban_page(text: &str) -> bool {
    let lc = text.to_ascii_lowercase();
    lc.starts_with('<') && (lc.contains("punish") || lc.contains("x5sec"))
}

fn non_json(status: u16, text: &str, step: Step) -> DingTalkError {
    // A token answer that is not clean JSON may still carry the new token, which no redactor
    // knows yet: never copy it into the error.
    let withheld;
    let shown = if step == Step::Token && !text.is_empty() {
        withheld = format!(
            "({} bytes withheld: they may hold an access token)",
            text.len()
        );
        withheld.as_str()
    } else {
        text
    };
    if is_ip_ban_page(text) {
        return DingTalkError::new(ErrorKind::IpBanned, "ip-ban", step)
            .with_status(status)
            .with_message(shown);
    }
    if text.is_empty() {
        if (200..300).contains(&status) {
            return DingTalkError::new(ErrorKind::BadResponse, "empty-body", step)
                .with_status(status);
        }
        return status_only(status, step);
    }
    if status == 429 || status >= 500 {
        return status_only(status, step).with_message(shown);
    }
    let code = if text.starts_with('<') {
        "html-page"
    } else if text.starts_with('{') || text.starts_with('[') {
        "invalid-json"
    } else {
        "not-json"
    };
    DingTalkError::new(ErrorKind::BadResponse, code, step)
        .with_status(status)
        .with_message(shown)
}

fn status_only(status: u16, step: Step) -> DingTalkError {
    let kind = match status {
        429 => ErrorKind::RateLimited,
        401 if step == Step::Token => ErrorKind::BadCredentials,
        401 => ErrorKind::TokenInvalid,
        s if s >= 500 => ErrorKind::ServerBusy,
        s if (200..300).contains(&s) => ErrorKind::BadResponse,
        _ => ErrorKind::Other,
    };
    DingTalkError::new(kind, format!("HTTP {status}"), step).with_status(status)
}

fn legacy_error(v: &Value, errcode: &str, status: u16, step: Step, r: &Redactor) -> DingTalkError {
    let sub = get_ci(v, "sub_code")
        .or_else(|| get_ci(v, "subcode"))
        .and_then(as_code);
    let errmsg = get_str_ci(v, "errmsg").unwrap_or_default();
    let sub_msg = get_str_ci(v, "sub_msg").unwrap_or_default();
    // The effective reason is sub_code when present (contract 5.2), whatever the wrapper.
    let sub = sub.filter(|s| s != "0");
    let (effective, code) = match (&sub, errcode) {
        (Some(s), _) => (s.clone(), format!("{errcode}/{s}")),
        // 88 without sub_code: the subcode is only in errmsg ("ding talk error[subcode=60020,...").
        (None, "88") => match subcode_from_errmsg(errmsg) {
            Some(s) => (s.clone(), format!("88/{s}")),
            None => ("88".to_string(), "88".to_string()),
        },
        _ => (errcode.to_string(), errcode.to_string()),
    };
    let text = if errmsg.is_empty() {
        sub_msg.to_string()
    } else {
        errmsg.to_string()
    };
    let kind = match effective.as_str() {
        "40014" | "42001" | "40000" | "41001" => ErrorKind::TokenInvalid,
        "40001" if step == Step::Token => ErrorKind::BadCredentials,
        "40001" => ErrorKind::TokenInvalid,
        "40096" | "40089" => ErrorKind::BadCredentials,
        "60011" => ErrorKind::MissingPermission {
            scope: r.redact(&scope_from_text(&format!("{errmsg} {sub_msg}"), step)),
        },
        "60020" => ErrorKind::IpNotAllowed,
        "60121" => ErrorKind::UserNotFound,
        "40104" | "60103" => ErrorKind::InvalidMobile,
        "50002" => ErrorKind::OutsideVisibility,
        "-1" => ErrorKind::ServerBusy,
        "90020" => ErrorKind::QuotaExceeded,
        // 90001–90019: QPS limits (90018 per app, 90002 per API for all tenants) and
        // temporary bans.
        c if c.starts_with("900") && c.len() == 5 => ErrorKind::RateLimited,
        c if is_throttling_code(&c.to_ascii_lowercase()) => ErrorKind::RateLimited,
        "22" | "40035" | "400002" | "43004" => ErrorKind::InvalidRequest,
        _ => ErrorKind::Other,
    };
    DingTalkError::new(kind, r.redact(&code), step)
        .with_status(status)
        .with_message(r.redact(&text))
}

fn subcode_from_errmsg(errmsg: &str) -> Option<String> {
    let rest = &errmsg[errmsg.find("subcode=")? + "subcode=".len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    (end > 0).then(|| rest[..end].to_string())
}

fn new_api_error(v: &Value, code: &str, status: u16, step: Step, r: &Redactor) -> DingTalkError {
    let message = get_str_ci(v, "message").unwrap_or_default();
    let lc = code.to_ascii_lowercase();
    let kind = if lc == "invalidclientidorsecret" {
        ErrorKind::BadCredentials
    } else if matches!(
        lc.as_str(),
        "invalidauthentication"
            | "authenticationfailed.missingparameter"
            | "accesstoken.expired"
            | "invalidparameter.token.invalid"
            | "token.notexisted"
            | "unauthorized.client"
    ) {
        ErrorKind::TokenInvalid
    } else if lc.ends_with("accesstokenpermissiondenied") {
        let scope = get_ci(v, "accessdenieddetail")
            .and_then(|d| get_ci(d, "requiredScopes"))
            .map(|s| string_list(Some(s)))
            .and_then(|l| l.into_iter().next())
            .unwrap_or_else(|| scope_from_text(message, step));
        ErrorKind::MissingPermission {
            scope: r.redact(&scope),
        }
    } else if lc.ends_with("ipnotinwhitelist") || lc == "ip.not.match" {
        ErrorKind::IpNotAllowed
    } else if lc.ends_with("apicountlimitfororg") {
        ErrorKind::QuotaExceeded
    } else if is_throttling_code(&lc)
        || lc.contains("qpslimit")
        || lc.contains("qpmlimit")
        || matches!(
            lc.as_str(),
            "send.too.fast" | "send.bytoken.toofast" | "too.many.people" | "too.many.group"
        )
        || ((lc == "system.busy" || lc == "systembusy") && status == 429)
    {
        ErrorKind::RateLimited
    } else if matches!(
        lc.as_str(),
        "system.busy" | "systembusy" | "system.error" | "unknownerror" | "server.error"
    ) {
        ErrorKind::ServerBusy
    } else if lc == "chatbotid.notallow.sendoto" {
        ErrorKind::RobotNotEnabled
    } else if lc == "robot.oto.notexist" {
        ErrorKind::NoRobotConversation
    } else if lc.starts_with("invalidparameter.robotcode.")
        || lc == "template.not.existed"
        || lc == "template.stopped"
    {
        ErrorKind::RobotCodeMismatch
    } else if matches!(
        lc.as_str(),
        "param.templatenotexist" | "param.templateunpublished" | "param.cardtemplateidempty"
    ) {
        ErrorKind::TemplateNotFound
    } else if lc == "staffid.notexisted" {
        ErrorKind::StaleUserId
    } else if lc == "param.useridnotexist" {
        ErrorKind::UserNotFound
    } else if lc.starts_with("invalidparameter.")
        || lc.starts_with("miss.param")
        || lc.starts_with("param.")
    {
        ErrorKind::InvalidRequest
    } else {
        match status {
            429 => ErrorKind::RateLimited,
            401 => ErrorKind::TokenInvalid,
            s if s >= 500 => ErrorKind::ServerBusy,
            _ => ErrorKind::Other,
        }
    };
    DingTalkError::new(kind, r.redact(code), step)
        .with_status(status)
        .with_message(r.redact(message))
}

/// The API gateway's flow-control codes: `Throttling`, `Throttling.User`, `Throttling.Api`…
fn is_throttling_code(lc: &str) -> bool {
    lc == "throttling" || lc.starts_with("throttling.")
}

/// Find the scope named in an error text (`requiredScopes=[x]`, `权限：[x]`), else the step's own.
fn scope_from_text(text: &str, step: Step) -> String {
    if let Some(i) = text.find("requiredScopes") {
        let rest = &text[i..];
        if let Some(open) = rest.find('[') {
            let inner = &rest[open + 1..];
            let end = inner.find([']', ',']).unwrap_or(inner.len());
            let s = inner[..end].trim().trim_matches('"');
            if !s.is_empty() {
                return s.to_string();
            }
        }
    }
    for known in [SCOPE_LOOKUP, SCOPE_SEND, SCOPE_CARD] {
        if text.contains(known) {
            return known.to_string();
        }
    }
    step.required_scope().unwrap_or("unknown").to_string()
}

#[cfg(test)]
fn none() -> Redactor {
    Redactor::new(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_insensitive_keys_and_codes() {
        let body = br#"{"Code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","Message":"x","AccessDeniedDetail":{"RequiredScopes":["qyapi_robot_sendmsg"]}}"#;
        let e = classify(403, body, Step::Send, &none()).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::MissingPermission {
                scope: "qyapi_robot_sendmsg".into()
            }
        );
        assert_eq!(e.http_status, Some(403));
    }

    /// 60011 without a scope in the text: the permission is the one the step needs.
    #[test]
    fn an_unnamed_missing_permission_is_the_steps_own() {
        let body = br#"{"errcode":60011,"errmsg":"no permission"}"#;
        for (step, scope) in [
            (Step::Lookup, SCOPE_LOOKUP),
            (Step::Send, SCOPE_SEND),
            (Step::Card, SCOPE_CARD),
            (Step::Token, "unknown"),
        ] {
            let e = classify(200, body, step, &none()).unwrap_err();
            let want = ErrorKind::MissingPermission {
                scope: scope.into(),
            };
            assert_eq!(e.kind, want, "{step:?}");
        }
    }

    #[test]
    fn legacy_wrapped_and_direct() {
        let body = json!({"errcode":88,"sub_code":"60011","errmsg":"ding talk error[subcode=60011,submsg=应用尚未开通所需的权限：[qyapi_get_member_by_mobile]，{requiredScopes=[qyapi_get_member_by_mobile]}]"});
        let e = classify(200, body.to_string().as_bytes(), Step::Lookup, &none()).unwrap_err();
        assert_eq!(e.code, "88/60011");
        assert!(e.fix().contains("qyapi_get_member_by_mobile"));
        let e = classify(
            200,
            br#"{"errcode":"60121","errmsg":"x"}"#,
            Step::Lookup,
            &none(),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::UserNotFound, "60121")
        );
        let e = classify(
            200,
            br#"{"errcode":88,"errmsg":"ding talk error[subcode=60020,submsg=ip]"}"#,
            Step::Lookup,
            &none(),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::IpNotAllowed, "88/60020")
        );
        assert!(classify(200, br#"{"errcode":0,"result":{}}"#, Step::Lookup, &none()).is_ok());
    }

    #[test]
    fn non_json_bodies() {
        let e = classify(200, b"<html>hi</html>", Step::Send, &none()).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::BadResponse, "html-page")
        );
        let e = classify(503, b"", Step::Send, &none()).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::ServerBusy, "HTTP 503")
        );
        let e = classify(200, br#"{"accessToken":"ab"#, Step::Token, &none()).unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str()),
            (ErrorKind::BadResponse, "invalid-json")
        );
        let e = classify(
            200,
            br#"{"status":1111,"wait":5,"source":"x5","punish":"deny","uuid":"x"}"#,
            Step::Lookup,
            &none(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::IpBanned);
    }

    #[test]
    fn ip_ban_wait_minutes_count_when_longer_than_five() {
        let ban = |wait: &str| {
            let body = format!(
                r#"{{"status":1111,"wait":{wait},"source":"x5","punish":"deny","uuid":"x"}}"#
            );
            classify(200, body.as_bytes(), Step::Send, &none()).unwrap_err()
        };
        assert_eq!(
            ban("12").retry_after(),
            Some(std::time::Duration::from_secs(720))
        );
        assert_eq!(
            ban("\"12\"").retry_after(),
            Some(std::time::Duration::from_secs(720))
        );
        assert_eq!(
            ban("1").retry_after(),
            Some(std::time::Duration::from_secs(300))
        );
        assert_eq!(
            ban("-3").retry_after(),
            Some(std::time::Duration::from_secs(300))
        );
    }

    #[test]
    fn request_ids_from_either_family_are_cleaned_and_cut() {
        let id = |body: &str| {
            classify(400, body.as_bytes(), Step::Send, &none())
                .unwrap_err()
                .request_id
        };
        assert_eq!(
            id(r#"{"code":"x","requestid":"01A08FE7-CD6B"}"#).as_deref(),
            Some("01A08FE7-CD6B")
        );
        assert_eq!(
            id(r#"{"code":"x","requestId":"abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(
            id(r#"{"errcode":60121,"request_id":"16l4ew3d47pdp"}"#).as_deref(),
            Some("16l4ew3d47pdp")
        );
        let long = format!(
            r#"{{"code":"x","requestid":"a\u001b[2J b{}"}}"#,
            "z".repeat(100)
        );
        let got = id(&long).unwrap();
        assert!(got.starts_with("a[2Jbzz") && got.len() == 64, "{got}");
        assert_eq!(id(r#"{"code":"x","requestid":" "}"#), None);
        assert_eq!(id(r#"{"code":"x"}"#), None);
        let secret = Redactor::new(&["Zq7Wx2Kp9Lm4"]);
        let e = classify(
            400,
            br#"{"code":"x","requestid":"id-Zq7Wx2Kp9Lm4"}"#,
            Step::Send,
            &secret,
        )
        .unwrap_err();
        assert_eq!(e.request_id.as_deref(), Some("id-[redacted]"));
        assert!(
            e.to_string().ends_with(" [request id: id-[redacted]]"),
            "{e}"
        );
    }

    #[test]
    fn lists_tolerate_strings() {
        assert_eq!(string_list(Some(&json!("[\"a\",\"b\"]"))), vec!["a", "b"]);
        assert_eq!(string_list(None), Vec::<String>::new());
    }
}

#[cfg(test)]
mod prop_tests {
    use super::*;
    use proptest::prelude::*;

    fn json_like() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            // Arbitrary bytes: HTML, truncated bodies, binary junk.
            proptest::collection::vec(any::<u8>(), 0..200),
            // Plausible DingTalk bodies with arbitrary values in the fields that matter.
            (
                any::<i64>(),
                "(?s).{0,40}",
                "(?s).{0,40}",
                proptest::option::of("(?s).{0,12}")
            )
                .prop_map(|(code, msg, sub, sub_code)| {
                    let mut v = serde_json::json!({"errcode": code, "errmsg": msg, "sub_msg": sub});
                    if let Some(s) = sub_code {
                        v["sub_code"] = Value::String(s);
                    }
                    serde_json::to_vec(&v).unwrap()
                }),
            ("(?s).{0,40}", "(?s).{0,60}").prop_map(|(code, msg)| {
                serde_json::to_vec(
                    &serde_json::json!({"code": code, "message": msg, "requestid": "x"}),
                )
                .unwrap()
            }),
        ]
    }

    proptest! {
        /// Whatever DingTalk (or a proxy in front of it) answers, classification never panics
        /// and an error always renders as one line of text.
        #[test]
        fn classify_never_panics(status in 100u16..600, body in json_like()) {
            for step in [Step::Token, Step::Lookup, Step::Send, Step::Card] {
                if let Err(e) = classify(status, &body, step, &none()) {
                    let text = e.to_string();
                    prop_assert!(!text.is_empty());
                    prop_assert!(!text.contains('\u{1b}'), "escape sequence in error text");
                    prop_assert!(!text.contains(['\n', '\r']), "more than one line: {text:?}");
                    let _ = (e.meaning(), e.fix(), e.is_transient());
                }
            }
        }
    }
}
