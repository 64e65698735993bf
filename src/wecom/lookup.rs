//! Member lookup: Phone → `user/getuserid`, Email → `user/get_userid_by_email` (personal
//! email first, then the corporate mailbox), Login → the login itself (WeCom's userid is the
//! account name, 账号). Misses are remembered for an hour: wrong lookups above 20 % of the
//! corp's seats block the API for a day.

use std::time::Duration;

use serde_json::{Value, json};

use super::Client;
use super::errors::{Step, unreadable};
use crate::domain::{ChannelKind, Mobile};
use crate::personal::{ChannelError, Credentials, Disposition, ErrorKind, LookupKey, Resolution};

const MISS_TTL: Duration = Duration::from_secs(3600);
/// `email_type`: 2 = the member's personal email, 1 = the corporate mailbox.
const EMAIL_TYPES: [i64; 2] = [2, 1];

impl Client {
    /// Forget a remembered "not found" for `key`: Test Message Sending is a person asking
    /// again (perhaps after widening the app's visibility), so it always asks WeCom.
    pub(super) fn forget_miss(&self, creds: &Credentials, agent: i64, key: &LookupKey) {
        self.inner
            .misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(creds.app_id.clone(), agent, key.cache_key()));
    }

    pub(super) async fn resolve_one(
        &self,
        creds: &Credentials,
        agent: i64,
        key: &LookupKey,
    ) -> Result<Resolution, ChannelError> {
        let requests: Vec<(&str, Value)> = match key {
            LookupKey::Login(login) => {
                let login = login.trim();
                let valid = !login.is_empty() && login.len() <= 64 && !login.contains('|');
                return Ok(if valid {
                    Resolution::Found(login.to_string())
                } else {
                    Resolution::NotFound
                });
            }
            LookupKey::Phone(m) => {
                vec![(
                    "/cgi-bin/user/getuserid",
                    json!({ "mobile": wire_mobile(m) }),
                )]
            }
            LookupKey::Email(e) => {
                let e = e.trim();
                if !plausible_email(e) {
                    return Ok(Resolution::NotFound);
                }
                EMAIL_TYPES
                    .iter()
                    .map(|t| {
                        (
                            "/cgi-bin/user/get_userid_by_email",
                            json!({"email": e, "email_type": t}),
                        )
                    })
                    .collect()
            }
        };
        let miss_key = (creds.app_id.clone(), agent, key.cache_key());
        let now = self.now();
        {
            let mut misses = self.inner.misses.lock().unwrap_or_else(|e| e.into_inner());
            misses.retain(|_, until| *until > now);
            if misses.contains_key(&miss_key) {
                return Ok(Resolution::NotFound);
            }
        }
        for (path, body) in &requests {
            match self.post(creds, Step::Lookup, path, body).await {
                Ok(v) => {
                    let userid = v
                        .get("userid")
                        .and_then(Value::as_str)
                        .filter(|u| !u.is_empty())
                        .ok_or_else(|| unreadable(Step::Lookup))?;
                    return Ok(Resolution::Found(userid.to_string()));
                }
                // 46004 = no such member; 60103 = not a mobile WeCom accepts.
                Err(e) if e.code == "46004" || e.code == "60103" => continue,
                Err(e) => return Err(e),
            }
        }
        self.inner
            .misses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(miss_key, self.now() + MISS_TTL);
        Ok(Resolution::NotFound)
    }
}

/// Mainland numbers bare (11 digits); others `+<cc> <national>` as WeCom's directory stores
/// them (contract 3.1, unconfirmed).
fn wire_mobile(m: &Mobile) -> String {
    match m.as_str().split_once('-') {
        Some((cc, national)) => format!("{cc} {national}"),
        None => m.as_str().to_string(),
    }
}

/// Worth a lookup: every call for a malformed address would count as a wrong lookup.
fn plausible_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// The Test Message Sending error for a receiver that could not be resolved.
pub(super) fn not_found(key: &LookupKey) -> ChannelError {
    let (what, fix) = match key {
        LookupKey::Phone(m) => (
            format!("phone number {}", m.masked()),
            "check the member's mobile in WeCom Contacts (通讯录) and that the member is in the app's visibility scope (可见范围)",
        ),
        LookupKey::Email(_) => (
            "this email".to_string(),
            "check the member's email or corporate mailbox in WeCom Contacts (通讯录) and that the member is in the app's visibility scope (可见范围)",
        ),
        LookupKey::Login(_) => (
            "this login name".to_string(),
            "with Login Name the login must equal the member's WeCom userid (账号); use Phone as the source column instead",
        ),
    };
    ChannelError::new(
        ChannelKind::WeCom,
        ErrorKind::NotFound,
        "not-found",
        format!("the WeCom member with {what} was not found or not visible to this app"),
        Disposition::Permanent,
    )
    .with_fix(fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_and_emails_on_the_wire() {
        assert_eq!(
            wire_mobile(&Mobile::parse("+86 138 0013 8000").unwrap()),
            "13800138000"
        );
        assert_eq!(
            wire_mobile(&Mobile::parse("+852 6123 4567").unwrap()),
            "+852 61234567"
        );
        assert!(plausible_email("a.b@example.com"));
        assert!(!plausible_email("a@b"));
        assert!(!plausible_email("@example.com"));
        assert!(!plausible_email("a b@example.com"));
    }
}
