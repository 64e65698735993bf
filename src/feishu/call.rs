//! One HTTP call: send, read, classify, and keep secrets out of whatever comes back.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::Client;
use super::codes::{Failure, Step, explain};
use super::redact::Redactor;
use crate::personal::{ChannelError, Disposition, ErrorKind};

const JSON_UTF8: &str = "application/json; charset=utf-8";
/// Throttle waits above this are not believed (a broken header must not park a worker).
const MAX_WAIT: Duration = Duration::from_secs(3600);

/// A successful answer: the whole envelope and the request's log id.
pub(super) struct Answer {
    pub body: Value,
    pub log_id: Option<String>,
}

impl Client {
    /// POST `body` to `path` (with `query`), with the token as `Authorization: Bearer` if
    /// given. Every error is redacted whole against `secrets` before it leaves.
    pub(super) async fn call(
        &self,
        step: Step,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&SecretString>,
        body: Vec<u8>,
        secrets: &[&str],
    ) -> Result<Answer, ChannelError> {
        let redactor = Redactor::new(secrets);
        let started = Instant::now();
        let result = self.exchange(step, path, query, token, body).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        result.map_err(|e| {
            let e = redact(e, &redactor);
            let request_id = e.request_id.as_deref().unwrap_or("-");
            tracing::warn!(channel = self.inner.kind.code(), %path, elapsed_ms, code = %e.code, kind = ?e.kind, %request_id, "call failed");
            e
        })
    }

    async fn exchange(
        &self,
        step: Step,
        path: &str,
        query: &[(&str, &str)],
        token: Option<&SecretString>,
        body: Vec<u8>,
    ) -> Result<Answer, ChannelError> {
        let mut url = self.inner.base.clone();
        url.set_path(&format!("{}{path}", url.path().trim_end_matches('/')));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let http = self.inner.http.get().map_err(|_| {
            self.err(
                ErrorKind::BadConfig,
                "setup",
                "could not set up the HTTP client",
                Disposition::Permanent,
            )
        })?;
        let mut req = http.post(url).header(CONTENT_TYPE, JSON_UTF8).body(body);
        if let Some(t) = token {
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", t.expose_secret())).map_err(|_| {
                    self.err(
                        ErrorKind::InvalidRequest,
                        "bad-token",
                        "the tenant token cannot be sent as a header",
                        Disposition::Permanent,
                    )
                })?;
            // Kept out of hyper's debug output and HPACK tables.
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        let resp = req.send().await.map_err(|e| self.transport(&e, step))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut log_id = header("x-tt-logid");
        let wait = header("x-ogw-ratelimit-reset")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_WAIT));
        let bytes = resp.bytes().await.map_err(|e| self.transport(&e, step))?;
        let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
        let Some((body, code)) = parsed.and_then(|v| Some((v.clone(), v.get("code")?.as_i64()?)))
        else {
            return Err(self.unreadable(step, status, wait).with_request_id(log_id));
        };
        if log_id.is_none() {
            log_id = body["error"]["log_id"].as_str().map(str::to_string);
        }
        if code == 0 {
            tracing::debug!(channel = self.inner.kind.code(), %path, status, "call ok");
            return Ok(Answer { body, log_id });
        }
        let msg = body["msg"].as_str().unwrap_or_default().to_string();
        let failure = Failure {
            channel: self.inner.kind,
            step,
            status,
            code,
            msg: &msg,
            body: &body,
            wait,
        };
        Err(explain(&failure).with_request_id(log_id))
    }

    pub(super) fn err(
        &self,
        kind: ErrorKind,
        code: &str,
        message: impl Into<String>,
        disposition: Disposition,
    ) -> ChannelError {
        ChannelError::new(self.inner.kind, kind, code, message, disposition)
    }

    /// After the send request went out, silence or garbage may hide a delivered message.
    fn after_send(step: Step) -> Disposition {
        if step == Step::Send {
            Disposition::MayHaveBeenDelivered
        } else {
            Disposition::Retry
        }
    }

    fn transport(&self, e: &reqwest::Error, step: Step) -> ChannelError {
        let timeout = self.inner.timeout.as_secs_f32();
        if e.is_connect() {
            // Nothing was written: safe to retry.
            self.err(
                ErrorKind::Unreachable,
                "connect",
                format!("could not connect to {}", self.host()),
                Disposition::Retry,
            )
            .with_fix("check the network, proxy and the channel's base URL")
        } else if e.is_timeout() {
            self.err(
                ErrorKind::Timeout,
                "timeout",
                format!("no answer from {} within {timeout} s", self.host()),
                Self::after_send(step),
            )
            .with_fix("retry later; the platform or the network is slow")
        } else {
            self.err(
                ErrorKind::Server,
                "network",
                format!(
                    "the connection to {} failed before a full answer",
                    self.host()
                ),
                Self::after_send(step),
            )
            .with_fix("retry later")
        }
    }

    fn unreadable(&self, step: Step, status: u16, wait: Option<Duration>) -> ChannelError {
        let code = format!("http-{status}");
        match status {
            429 => self
                .err(ErrorKind::Throttled, &code, "the platform refused the call as too frequent", Disposition::Retry)
                .with_retry_after(Some(wait.unwrap_or(Duration::from_secs(1))))
                .with_fix("wait and retry"),
            300..=399 => self
                .err(ErrorKind::BadConfig, &code, "the platform answered with a redirect, which is never followed", Disposition::Permanent)
                .with_fix("check the channel's base URL"),
            404 => self
                .err(ErrorKind::BadConfig, &code, format!("{} has no such API path", self.host()), Disposition::Permanent)
                .with_fix("check the channel's base URL (https://open.feishu.cn or https://open.larksuite.com)"),
            _ => self
                .err(ErrorKind::Server, &code, format!("unreadable answer (HTTP {status}, not the platform's JSON)"), Self::after_send(step))
                .with_fix("retry later; a proxy or the platform's gateway may be failing"),
        }
    }

    fn host(&self) -> String {
        let b = &self.inner.base;
        match (b.host_str(), b.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => "the platform".into(),
        }
    }
}

/// Every text field of `e` redacted whole.
fn redact(mut e: ChannelError, r: &Redactor) -> ChannelError {
    e.code = r.redact(&e.code);
    e.message = r.redact(&e.message);
    e.fix = e.fix.map(|f| r.redact(&f));
    e.request_id = e.request_id.map(|f| r.redact(&f));
    if let ErrorKind::MissingPermission { scope: Some(s) } = &mut e.kind {
        *s = r.redact(s);
    }
    if let ErrorKind::IpNotAllowed { ip: Some(s) } = &mut e.kind {
        *s = r.redact(s);
    }
    e
}
