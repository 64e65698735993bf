//! WeCom (企业微信) personal channel: a self-built app (CorpID + Secret + AgentId) sends
//! application messages to members looked up by phone, email or login name
//! (see docs/wecom-contract.md).
//!
//! Tokens are cached per (CorpID, hash of Secret), refreshed 300 s before expiry, fetched
//! single-flight, and dropped + fetched once + the call retried once when WeCom rejects one.
//! Nothing else is retried here: callers use [`ChannelError::disposition`]. Sends always carry
//! `enable_duplicate_check`, so a send that may have been delivered can be retried with the
//! byte-identical body. Secrets and tokens are redacted from every error and log line.

// `ChannelError` is plain data read field by field; one per HTTP call does not justify boxing.
#![allow(clippy::result_large_err)]

mod auth;
mod body;
mod call;
mod errors;
mod limiter;
mod lookup;
mod redact;
mod send;
mod token;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use url::Url;

pub use body::{CONTENT_LIMIT, DUPLICATE_CHECK_INTERVAL, cut};

use crate::domain::ChannelKind;
use crate::personal::{
    ChannelError, Credentials, Disposition, ErrorKind, HttpOptions, LazyHttp, Limits, LookupKey,
    Message, PersonalChannel, Resolution, SendReport, TestReport, parse_base_url,
};

/// WeCom's API host.
pub const WECOM_API: &str = "https://qyapi.weixin.qq.com";

/// Cheap to clone; clones share the connection pool, token cache, limiter and lookup cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base: Url,
    http: LazyHttp,
    tokens: token::TokenCache,
    limiter: limiter::ReceiverLimiter,
    /// (CorpID, AgentId, key) → until when "not found" is remembered: WeCom blocks lookups
    /// for a day after too many failed ones, so a miss is never asked again soon.
    misses: Mutex<HashMap<(String, i64, String), Instant>>,
    /// Added to `Instant::now()` (tests move time forward).
    clock_offset_ms: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("wecom::Client")
            .field("base", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// `kind` must be [`ChannelKind::WeCom`]; `base` is [`WECOM_API`] or a loopback fake.
    pub fn new(kind: ChannelKind, base: Url, opts: HttpOptions) -> Result<Client, ChannelError> {
        let setup = |msg: String| {
            ChannelError::new(
                ChannelKind::WeCom,
                ErrorKind::BadConfig,
                "setup",
                msg,
                Disposition::Permanent,
            )
        };
        if kind != ChannelKind::WeCom {
            return Err(setup(format!(
                "the WeCom client cannot serve {}",
                kind.code()
            )));
        }
        let base = parse_base_url("WeCom", base.as_str()).map_err(setup)?;
        // Built on the first call: see `LazyHttp`.
        let http = LazyHttp::new(opts);
        Ok(Client {
            inner: Arc::new(Inner {
                base,
                http,
                tokens: token::TokenCache::new(),
                limiter: limiter::ReceiverLimiter::default(),
                misses: Mutex::new(HashMap::new()),
                clock_offset_ms: AtomicU64::new(0),
            }),
        })
    }

    /// Move this client's notion of time forward (token expiry, pacing, cached misses). For
    /// tests against the fake, together with its `advance_clock`.
    #[doc(hidden)]
    pub fn advance_clock(&self, by: Duration) {
        self.inner
            .clock_offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn now(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.inner.clock_offset_ms.load(Ordering::SeqCst))
    }

    /// `base` + `/cgi-bin/...` (a base may carry a path prefix).
    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        let joined = format!("{}{path}", url.path().trim_end_matches('/'));
        url.set_path(&joined);
        url
    }

    /// Test Message Sending: resolve `receiver`, then send; a receiver that is not found, or
    /// that WeCom refuses, is an error, never a success.
    pub async fn send_test(
        &self,
        creds: &Credentials,
        receiver: &LookupKey,
        message: &Message,
    ) -> Result<TestReport, ChannelError> {
        if let Some(agent) = creds.agent_id {
            self.forget_miss(creds, agent, receiver);
        }
        let user_id = match self
            .resolve(creds, std::slice::from_ref(receiver))
            .await?
            .pop()
        {
            Some(Resolution::Found(id)) => id,
            _ => return Err(lookup::not_found(receiver)),
        };
        let report = self
            .send(creds, std::slice::from_ref(&user_id), message)
            .await?;
        if let Some((_, e)) = report.rejected.into_iter().next() {
            return Err(e);
        }
        Ok(TestReport {
            user_id,
            message_id: report.message_id,
            kind: body::kind_label(message),
        })
    }
}

/// The AgentId, or a BadConfig error (WeCom cannot send without it).
fn agent_id(creds: &Credentials) -> Result<i64, ChannelError> {
    if creds.app_id.trim().is_empty() || creds.secret.expose_secret().is_empty() {
        return Err(ChannelError::new(
            ChannelKind::WeCom,
            ErrorKind::BadCredentials,
            "missing-credentials",
            "the CorpID or the Secret is empty",
            Disposition::Permanent,
        )
        .with_fix("enter the CorpID (My Company → Company Info) and the app's Secret"));
    }
    creds.agent_id.filter(|a| *a > 0).ok_or_else(|| {
        ChannelError::new(
            ChannelKind::WeCom,
            ErrorKind::BadConfig,
            "missing-agentid",
            "the WeCom AgentId is not set",
            Disposition::Permanent,
        )
        .with_fix("enter the AgentId shown in App Management (应用管理) → your self-built app")
    })
}

impl PersonalChannel for Client {
    fn kind(&self) -> ChannelKind {
        ChannelKind::WeCom
    }

    fn limits(&self) -> Limits {
        Limits {
            // One member per call: WeCom's duplicate check only recognises a byte-identical
            // body, so a retry is safe only if it names exactly the same receivers. A group
            // could change between attempts (some members deferred, others added), so each
            // member gets their own stable body. Sends do not count against WeCom's API
            // frequency limits.
            receivers_per_send: 1,
            keys_per_lookup: 1,
            sends_per_second: 20,
            per_receiver_per_minute: Some(limiter::PER_MINUTE as u32),
            idempotent_send: true,
            // duplicate_check_interval is 4 h (14,400 s); keep a margin.
            dedup_window: Some(Duration::from_secs(13_000)),
        }
    }

    async fn check_credentials(&self, creds: &Credentials) -> Result<(), ChannelError> {
        agent_id(creds)?;
        self.access_token(creds).await.map(|_| ())
    }

    async fn resolve(
        &self,
        creds: &Credentials,
        keys: &[LookupKey],
    ) -> Result<Vec<Resolution>, ChannelError> {
        let agent = agent_id(creds)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.resolve_one(creds, agent, key).await?);
        }
        Ok(out)
    }

    async fn send(
        &self,
        creds: &Credentials,
        receivers: &[String],
        message: &Message,
    ) -> Result<SendReport, ChannelError> {
        let agent = agent_id(creds)?;
        self.send_message(creds, agent, receivers, message).await
    }
}
