//! One HTTP call: send, read, classify, and keep secrets out of whatever comes back.

use std::time::Instant;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use super::super::error::{CODE_CONNECT, DingTalkError, ErrorKind, Step};
use super::super::headers;
use super::super::wire::classify;
use super::{Client, TOKEN_HEADER};
use crate::personal::Redactor;

impl Client {
    /// One POST with a JSON body; logs method, path (never the query), status and elapsed time.
    pub(super) async fn call(
        &self,
        step: Step,
        url: Url,
        token_header: Option<&SecretString>,
        body: &Value,
        secrets: &[&str],
    ) -> Result<Value, DingTalkError> {
        let path = url.path().to_string();
        let started = Instant::now();
        let redactor = Redactor::new(secrets);
        let mut req = self.http()?.request(Method::POST, url.clone()).json(body);
        if let Some(t) = token_header {
            // Sensitive: hyper keeps it out of its own debug output and HPACK tables.
            match reqwest::header::HeaderValue::from_str(t.expose_secret()) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    req = req.header(TOKEN_HEADER, v);
                }
                Err(_) => {
                    return Err(DingTalkError::new(
                        ErrorKind::InvalidRequest,
                        "request-build",
                        step,
                    )
                    .with_message("the access token cannot be sent as a header"));
                }
            }
        }
        let result = async {
            let resp = req
                .send()
                .await
                .map_err(|e| self.transport(e, step, &redactor, &url))?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok());
                let host = headers::redirect_host(location, &url);
                return Err(DingTalkError::new(
                    ErrorKind::Redirected { host },
                    format!("HTTP {status}"),
                    step,
                )
                .with_status(status));
            }
            let wait = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| headers::retry_after(v, chrono::Utc::now()));
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| self.transport(e, step, &redactor, &url))?;
            Ok::<_, DingTalkError>((status, wait, bytes))
        }
        .await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (status, wait, bytes) = match result {
            Ok(r) => r,
            Err(e) => {
                let e = e.redacted(&redactor);
                tracing::debug!(method = "POST", %path, elapsed_ms, code = %e.code, kind = ?e.kind, "dingtalk call failed");
                return Err(e);
            }
        };
        tracing::debug!(method = "POST", %path, status, elapsed_ms, "dingtalk call");
        classify(status, &bytes, step, &redactor).map_err(|e| {
            let e = e.redacted(&redactor).with_server_wait(wait);
            let request_id = e.request_id.as_deref().unwrap_or("-");
            tracing::debug!(%path, status, code = %e.code, kind = ?e.kind, %request_id, "dingtalk error");
            e
        })
    }

    fn transport(&self, e: reqwest::Error, step: Step, r: &Redactor, url: &Url) -> DingTalkError {
        let mut err = self.transport_kind(e, step, r);
        err.host = url.host_str().map(|h| match url.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_string(),
        });
        err
    }

    fn transport_kind(&self, e: reqwest::Error, step: Step, r: &Redactor) -> DingTalkError {
        let e = e.without_url();
        let mut detail = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            src = s.source();
        }
        let detail = r.redact(&detail);
        // The request could not even be built (e.g. a header value): nothing left this host.
        if e.is_builder() {
            return DingTalkError::new(ErrorKind::InvalidRequest, "request-build", step)
                .with_message(detail);
        }
        // Connect first: a connect timeout also counts as a timeout, but nothing was written.
        if e.is_connect() {
            DingTalkError::new(ErrorKind::Network, CODE_CONNECT, step).with_message(detail)
        } else if e.is_timeout() {
            let mut err =
                DingTalkError::new(ErrorKind::Timeout, "timeout", step).with_message(detail);
            err.timeout_after = Some(self.inner.options.timeout);
            err
        } else {
            DingTalkError::new(ErrorKind::Network, "network", step).with_message(detail)
        }
    }
}
