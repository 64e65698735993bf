//! One HTTP call to WeCom: send, read, classify, and keep secrets out of whatever comes back.

use std::time::Instant;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::Client;
use super::errors::{Step, from_code, from_status, unclear, unreadable};
use super::redact::Redactor;
use crate::domain::ChannelKind;
use crate::personal::{ChannelError, Disposition, ErrorKind};

impl Client {
    /// GET (no body) or POST `body` as JSON to `url`; `Ok` is an errcode-0 answer. `secrets`
    /// (the Secret, the token) are redacted from every error text.
    pub(super) async fn call(
        &self,
        step: Step,
        url: Url,
        body: Option<&Value>,
        secrets: &[&str],
    ) -> Result<Value, ChannelError> {
        let redactor = Redactor::new(secrets);
        let path = url.path().to_string();
        let started = Instant::now();
        let result = self.exchange(step, url, body, &redactor).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(v) => {
                tracing::debug!(%path, elapsed_ms, "wecom call");
                Ok(v)
            }
            Err(e) => {
                let e = scrub(e, &redactor);
                let request_id = e.request_id.as_deref().unwrap_or("-");
                tracing::warn!(%path, elapsed_ms, code = %e.code, kind = ?e.kind, %request_id, "wecom call failed");
                Err(e)
            }
        }
    }

    async fn exchange(
        &self,
        step: Step,
        url: Url,
        body: Option<&Value>,
        redactor: &Redactor,
    ) -> Result<Value, ChannelError> {
        let http = self.inner.http.get().map_err(|msg| {
            ChannelError::new(
                ChannelKind::WeCom,
                ErrorKind::BadConfig,
                "setup",
                msg,
                Disposition::Permanent,
            )
        })?;
        let mut req = match body {
            None => http.request(Method::GET, url),
            // Serialised once from a sorted map: a retried send is byte-identical.
            Some(b) => http
                .request(Method::POST, url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(b.to_string()),
        };
        req = req.header(reqwest::header::ACCEPT, "application/json");
        let resp = req.send().await.map_err(|e| transport(e, step, redactor))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| transport(e, step, redactor))?;
        if status != 200 {
            return Err(from_status(step, status));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| unreadable(step))?;
        if !v.is_object() {
            return Err(unreadable(step));
        }
        // WeCom's errcode is an integer; accept a numeric string too.
        // Every WeCom answer carries errcode: one without it is not WeCom's (a proxy, a wrong
        // base URL), and must never count as a delivery.
        let code = match v.get("errcode") {
            None | Some(Value::Null) => return Err(unreadable(step)),
            Some(c) => c
                .as_i64()
                .or_else(|| c.as_str()?.trim().parse().ok())
                .ok_or_else(|| unreadable(step))?,
        };
        if code == 0 {
            return Ok(v);
        }
        let errmsg = redactor.redact(v.get("errmsg").and_then(Value::as_str).unwrap_or_default());
        Err(from_code(step, code, &errmsg))
    }
}

/// Redact every text field of an error (messages may quote WeCom's errmsg).
fn scrub(mut e: ChannelError, r: &Redactor) -> ChannelError {
    e.message = r.redact(&e.message);
    e.fix = e.fix.map(|f| r.redact(&f));
    e.request_id = e.request_id.map(|id| r.redact(&id));
    e.code = r.redact(&e.code);
    if let ErrorKind::IpNotAllowed { ip: Some(ip) } = &mut e.kind {
        *ip = r.redact(ip);
    }
    e
}

fn transport(e: reqwest::Error, step: Step, r: &Redactor) -> ChannelError {
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        src = s.source();
    }
    let detail = r.redact(&detail);
    let (kind, code, what, disposition) = if e.is_builder() {
        (
            ErrorKind::InvalidRequest,
            "request-build",
            "the request could not be built",
            Disposition::Permanent,
        )
    } else if e.is_connect() {
        // Nothing was written: a send can safely be retried.
        (
            ErrorKind::Unreachable,
            "connect",
            "could not connect to WeCom",
            Disposition::Retry,
        )
    } else if e.is_timeout() {
        (
            ErrorKind::Timeout,
            "timeout",
            "no answer from WeCom in time",
            unclear(step),
        )
    } else {
        (
            ErrorKind::Server,
            "network",
            "the connection to WeCom failed mid-request",
            unclear(step),
        )
    };
    let fix = match disposition {
        Disposition::MayHaveBeenDelivered => {
            "retry the same message: WeCom's duplicate check keeps a retry within 4 hours from being delivered twice"
        }
        Disposition::Retry => "check the network and the WeCom base URL, then try again",
        Disposition::Permanent => "this is a bug in notifydesk; please report it",
    };
    ChannelError::new(
        ChannelKind::WeCom,
        kind,
        code,
        format!("{what} ({detail})"),
        disposition,
    )
    .with_fix(fix)
}
