//! Feishu (open.feishu.cn) and Lark (open.larksuite.com) personal channel: one client, two
//! base URLs (see the Feishu/Lark contract). Tenant token from App ID + App Secret, members
//! looked up with `batch_get_id` (phone or email → open_id; Login Name = tenant user_id,
//! no lookup), one `im/v1/messages` call per receiver with the idempotency key as `uuid`.
//!
//! The client retries on its own only once, after a rejected token; callers use the error's
//! disposition and `retry_after`. Secrets and tokens never appear in errors or logs.

#![allow(clippy::result_large_err)]

mod call;
mod codes;
mod content;
mod redact;
mod token;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::domain::ChannelKind;
use crate::personal::{
    ChannelError, Credentials, Disposition, ErrorKind, HttpOptions, LazyHttp, Limits, LookupKey,
    Message, PersonalChannel, Resolution, SendReport, TestReport,
};
use codes::{Step, TOKEN_INVALID};
use content::USER_ID_PREFIX;
use token::TokenCache;

/// Default base URL of Feishu (mainland).
pub const FEISHU_API: &str = "https://open.feishu.cn";
/// Default base URL of Lark (international).
pub const LARK_API: &str = "https://open.larksuite.com";

/// Mobiles or emails per `batch_get_id` call.
const KEYS_PER_LOOKUP: usize = 50;
/// Request-body limit of `post` and `interactive` messages (contract 4.1).
const MAX_RICH_BODY: usize = 30 * 1024;
/// Tokens longer than this are refused (JWT tokens need ≥ 4 KB; contract 2.4).
const MAX_TOKEN_LEN: usize = 8192;

const TOKEN_PATH: &str = "/open-apis/auth/v3/tenant_access_token/internal";
const LOOKUP_PATH: &str = "/open-apis/contact/v3/users/batch_get_id";
const SEND_PATH: &str = "/open-apis/im/v1/messages";

/// Cheap to clone; clones share the connection pool and the token cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    kind: ChannelKind,
    base: Url,
    timeout: Duration,
    http: LazyHttp,
    tokens: TokenCache,
    /// Added to `Instant::now()` for token expiry (tests move time forward).
    clock_offset_ms: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("feishu::Client")
            .field("kind", &self.inner.kind)
            .field("base", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// `kind` is `ChannelKind::Feishu` or `ChannelKind::FeishuLark`; `base` e.g. [`FEISHU_API`]
    /// (parsed with `personal::parse_base_url`).
    pub fn new(kind: ChannelKind, base: Url, opts: HttpOptions) -> Result<Client, ChannelError> {
        let bad = |m: &str| {
            ChannelError::new(
                kind,
                ErrorKind::BadConfig,
                "setup",
                m,
                Disposition::Permanent,
            )
        };
        if !matches!(kind, ChannelKind::Feishu | ChannelKind::FeishuLark) {
            return Err(bad(
                "the Feishu client serves only the Feishu and Lark channels",
            ));
        }
        // Built on the first call: see `LazyHttp`.
        let http = LazyHttp::new(opts);
        Ok(Client {
            inner: Arc::new(Inner {
                kind,
                base,
                timeout: opts.timeout,
                http,
                tokens: TokenCache::new(),
                clock_offset_ms: AtomicU64::new(0),
            }),
        })
    }

    /// Move this client's clock forward (token expiry only), with the fake's `advance_clock`.
    #[doc(hidden)]
    pub fn advance_clock(&self, by: Duration) {
        self.inner
            .clock_offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.inner.clock_offset_ms.load(Ordering::SeqCst))
    }

    /// Look `receiver` up, then send `message`: Test Message Sending. A receiver that is not
    /// found, or that the platform refuses, is an error.
    pub async fn send_test(
        &self,
        creds: &Credentials,
        receiver: &LookupKey,
        message: &Message,
    ) -> Result<TestReport, ChannelError> {
        let resolved = self.resolve(creds, std::slice::from_ref(receiver)).await?;
        let Some(Resolution::Found(id)) = resolved.into_iter().next() else {
            let what = match receiver {
                LookupKey::Phone(m) => format!("phone number {}", m.masked()),
                LookupKey::Email(e) => format!("email {e}"),
                LookupKey::Login(l) => format!("login {l}"),
            };
            return Err(self
                .err(ErrorKind::NotFound, "not-found", format!("{what} was not found or not visible to this app"), Disposition::Permanent)
                .with_fix("check the member's phone number or email in the tenant's admin console, and that the app's contact data scope (Permissions & Scopes → Data permissions) and availability include the member; then publish a new version"));
        };
        let report = self.send(creds, std::slice::from_ref(&id), message).await?;
        let kind = match message.template_id.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => format!("template card {t}"),
            None => "post message".to_string(),
        };
        let (_, user_id) = content::receiver(&id);
        Ok(TestReport {
            user_id: user_id.to_string(),
            message_id: report.message_id,
            kind,
        })
    }

    async fn access_token(&self, creds: &Credentials) -> Result<SecretString, ChannelError> {
        if creds.app_id.trim().is_empty() || creds.secret.expose_secret().is_empty() {
            return Err(self
                .err(
                    ErrorKind::BadCredentials,
                    "missing-credentials",
                    "App ID or App Secret is empty",
                    Disposition::Permanent,
                )
                .with_fix(
                    "enter the App ID and App Secret from the app's Credentials & Basic Info page",
                ));
        }
        self.inner
            .tokens
            .get_or_fetch(creds, || self.now(), || self.fetch_token(creds))
            .await
    }

    async fn fetch_token(
        &self,
        creds: &Credentials,
    ) -> Result<(SecretString, Duration), ChannelError> {
        let secret = creds.secret.expose_secret();
        let body = json!({"app_id": creds.app_id, "app_secret": secret});
        let answer = self
            .call(
                Step::Token,
                TOKEN_PATH,
                &[],
                None,
                body.to_string().into_bytes(),
                &[secret],
            )
            .await?;
        let token = answer.body["tenant_access_token"]
            .as_str()
            .filter(|t| !t.is_empty() && t.len() <= MAX_TOKEN_LEN)
            .filter(|t| t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                self.err(
                    ErrorKind::Server,
                    "bad-token",
                    "the token answer held no usable tenant_access_token",
                    Disposition::Retry,
                )
                .with_request_id(answer.log_id.clone())
            })?;
        // `expire` is the remaining lifetime of a reused token: count from now. Never trust
        // more than the documented 2 h.
        let expire = answer.body["expire"].as_u64().unwrap_or(7200).min(7200);
        Ok((
            SecretString::from(token.to_string()),
            Duration::from_secs(expire),
        ))
    }

    /// Run `op` with a token; on a token-invalid code drop the token, fetch once, run once more.
    async fn authed<T, F, Fut>(&self, creds: &Credentials, op: F) -> Result<T, ChannelError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, ChannelError>>,
    {
        let token = self.access_token(creds).await?;
        match op(token.clone()).await {
            Err(e) if is_token_invalid(&e) => {
                tracing::info!(channel = self.inner.kind.code(), code = %e.code, request_id = e.request_id.as_deref().unwrap_or("-"), "tenant token rejected; fetching a new one once");
                self.inner.tokens.invalidate_if(creds, &token).await;
                let fresh = self.access_token(creds).await?;
                op(fresh).await
            }
            other => other,
        }
    }

    /// One `batch_get_id` call for at most 50 phone/email keys.
    async fn lookup_chunk(
        &self,
        creds: &Credentials,
        keys: &[&LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError> {
        let mut emails: Vec<String> = Vec::new();
        let mut mobiles: Vec<String> = Vec::new();
        for k in keys {
            match k {
                LookupKey::Email(e) => emails.push(e.trim().to_string()),
                LookupKey::Phone(m) => mobiles.push(content::mobile_for_lookup(m)),
                LookupKey::Login(_) => {}
            }
        }
        dedup(&mut emails);
        dedup(&mut mobiles);
        let body = json!({"emails": emails, "mobiles": mobiles})
            .to_string()
            .into_bytes();
        let answer = self
            .authed(creds, |token| {
                let body = body.clone();
                async move {
                    let secrets = [creds.secret.expose_secret(), token.expose_secret()];
                    self.call(
                        Step::Lookup,
                        LOOKUP_PATH,
                        &[("user_id_type", "open_id")],
                        Some(&token),
                        body,
                        &secrets,
                    )
                    .await
                }
            })
            .await?;
        let list = answer.body["data"]["user_list"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let (email_ids, mobile_ids) = match_entries(&list, &emails, &mobiles);
        Ok(keys
            .iter()
            .map(|k| {
                let found = match k {
                    LookupKey::Email(e) => emails
                        .iter()
                        .position(|x| x == e.trim())
                        .and_then(|i| email_ids[i].clone()),
                    LookupKey::Phone(m) => {
                        let m = content::mobile_for_lookup(m);
                        mobiles
                            .iter()
                            .position(|x| *x == m)
                            .and_then(|i| mobile_ids[i].clone())
                    }
                    LookupKey::Login(_) => None,
                };
                found.map_or(Resolution::NotFound, Resolution::Found)
            })
            .collect())
    }
}

/// Remove repeated values, keeping the first of each in order.
fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.to_lowercase()));
}

fn is_token_invalid(e: &ChannelError) -> bool {
    e.kind == ErrorKind::TokenInvalid
        && e.code
            .parse::<i64>()
            .is_ok_and(|c| TOKEN_INVALID.contains(&c))
}

/// The open_id for each email and mobile sent: entries are matched by their echoed `email` /
/// `mobile`, falling back to their position (emails first, then mobiles). An entry without a
/// `user_id` is not found (or not visible).
fn match_entries(
    list: &[Value],
    emails: &[String],
    mobiles: &[String],
) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let mut by_email: Vec<Option<Option<String>>> = vec![None; emails.len()];
    let mut by_mobile: Vec<Option<Option<String>>> = vec![None; mobiles.len()];
    for (i, entry) in list.iter().enumerate() {
        let id = entry["user_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        // Mobiles compare by their digits: whether Feishu echoes `+86…` for a bare mainland
        // number is unconfirmed (contract §3).
        let digits = |s: &str| {
            let d: String = s.chars().filter(char::is_ascii_digit).collect();
            d.strip_prefix("86")
                .filter(|r| r.len() == 11)
                .map(str::to_string)
                .unwrap_or(d)
        };
        let echoed = if let Some(e) = entry["email"].as_str() {
            emails
                .iter()
                .position(|x| x.eq_ignore_ascii_case(e))
                .map(|p| (true, p))
        } else if let Some(m) = entry["mobile"].as_str() {
            mobiles
                .iter()
                .position(|x| digits(x) == digits(m))
                .map(|p| (false, p))
        } else {
            None
        };
        // An echo that matches no input falls back to the entry's position.
        let slot = match echoed {
            Some((true, p)) => by_email.get_mut(p),
            Some((false, p)) => by_mobile.get_mut(p),
            None if i < emails.len() => by_email.get_mut(i),
            None => by_mobile.get_mut(i - emails.len()),
        };
        if let Some(slot) = slot
            && slot.is_none()
        {
            *slot = Some(id);
        }
    }
    let flat = |v: Vec<Option<Option<String>>>| v.into_iter().map(Option::flatten).collect();
    (flat(by_email), flat(by_mobile))
}

impl PersonalChannel for Client {
    fn kind(&self) -> ChannelKind {
        self.inner.kind
    }

    fn limits(&self) -> Limits {
        Limits {
            receivers_per_send: 1,
            keys_per_lookup: KEYS_PER_LOOKUP,
            sends_per_second: 50,
            per_receiver_per_minute: None,
            idempotent_send: true,
            // The uuid deduplicates for 1 h; 50 min leaves a margin for clocks and queues.
            dedup_window: Some(Duration::from_secs(3000)),
        }
    }

    async fn check_credentials(&self, creds: &Credentials) -> Result<(), ChannelError> {
        self.access_token(creds).await.map(|_| ())
    }

    async fn resolve(
        &self,
        creds: &Credentials,
        keys: &[LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError> {
        let mut out: Vec<Option<Resolution>> = keys
            .iter()
            .map(|k| match k {
                // No Feishu API resolves a login name: it is taken as the tenant user_id.
                LookupKey::Login(l) if !l.trim().is_empty() => {
                    Some(Resolution::Found(format!("{USER_ID_PREFIX}{}", l.trim())))
                }
                LookupKey::Login(_) => Some(Resolution::NotFound),
                LookupKey::Email(e) if e.trim().is_empty() => Some(Resolution::NotFound),
                _ => None,
            })
            .collect();
        let pending: Vec<usize> = (0..keys.len()).filter(|&i| out[i].is_none()).collect();
        for chunk in pending.chunks(KEYS_PER_LOOKUP) {
            let chunk_keys: Vec<&LookupKey> = chunk.iter().map(|&i| &keys[i]).collect();
            let found = self.lookup_chunk(creds, &chunk_keys).await?;
            for (&i, r) in chunk.iter().zip(found) {
                out[i] = Some(r);
            }
        }
        Ok(out
            .into_iter()
            .map(|r| r.unwrap_or(Resolution::NotFound))
            .collect())
    }

    async fn send(
        &self,
        creds: &Credentials,
        receivers: &[String],
        message: &Message,
    ) -> Result<SendReport, ChannelError> {
        let [receiver] = receivers else {
            return Err(self.err(
                ErrorKind::InvalidRequest,
                "receivers",
                format!(
                    "Feishu sends to exactly one receiver per call, not {}",
                    receivers.len()
                ),
                Disposition::Permanent,
            ));
        };
        let (id_type, receive_id) = content::receiver(receiver);
        let (msg_type, content) = content::render(message, MAX_RICH_BODY);
        // Built once: every attempt (and the token retry) sends the same bytes and uuid.
        let body = json!({
            "receive_id": receive_id,
            "msg_type": msg_type,
            "content": content,
            "uuid": content::uuid_for(&message.idempotency_key),
        })
        .to_string()
        .into_bytes();
        if body.len() > MAX_RICH_BODY {
            return Err(self
                .err(
                    ErrorKind::Content,
                    "too-large",
                    format!(
                        "the message is {} bytes; post and card messages may have at most 30 KB",
                        body.len()
                    ),
                    Disposition::Permanent,
                )
                .with_fix("shorten the message or its template"));
        }
        let answer = self
            .authed(creds, |token| {
                let body = body.clone();
                async move {
                    let secrets = [creds.secret.expose_secret(), token.expose_secret()];
                    self.call(
                        Step::Send,
                        SEND_PATH,
                        &[("receive_id_type", id_type)],
                        Some(&token),
                        body,
                        &secrets,
                    )
                    .await
                }
            })
            .await?;
        Ok(SendReport {
            message_id: answer.body["data"]["message_id"]
                .as_str()
                .map(str::to_string),
            request_id: answer.log_id,
            rejected: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_answers_match_by_digits_or_else_by_position() {
        let emails = vec!["a@x.cn".to_string()];
        let mobiles = vec!["13800138000".to_string(), "+85291234567".to_string()];
        let list = vec![
            json!({"email": "A@x.cn", "user_id": "ou_a"}),
            // Echoed with a +86 prefix: still the first mobile.
            json!({"mobile": "+8613800138000", "user_id": "ou_m1"}),
            // An echo that matches nothing: its position decides.
            json!({"mobile": "+852 0000", "user_id": "ou_m2"}),
        ];
        let (e, m) = match_entries(&list, &emails, &mobiles);
        assert_eq!(e, vec![Some("ou_a".into())]);
        assert_eq!(m, vec![Some("ou_m1".into()), Some("ou_m2".into())]);
    }
}
