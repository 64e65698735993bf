//! Access tokens: `GET /cgi-bin/gettoken?corpid=&corpsecret=`, and running a call with one.

use std::future::Future;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::Client;
use super::errors::{Step, unreadable};
use crate::personal::{ChannelError, Credentials, ErrorKind};

/// Refresh this long before WeCom's `expires_in` ends (contract 2).
pub(super) const REFRESH_MARGIN: Duration = Duration::from_secs(300);

impl Client {
    /// A valid token from the cache or `gettoken`; concurrent callers share one request.
    pub(super) async fn access_token(
        &self,
        creds: &Credentials,
    ) -> Result<SecretString, ChannelError> {
        self.inner
            .tokens
            .get_or_fetch(
                &creds.app_id,
                &creds.secret,
                || self.now(),
                || self.fetch_token(creds),
            )
            .await
    }

    async fn fetch_token(
        &self,
        creds: &Credentials,
    ) -> Result<(SecretString, Duration), ChannelError> {
        let mut url = self.endpoint("/cgi-bin/gettoken");
        url.query_pairs_mut()
            .append_pair("corpid", creds.app_id.trim())
            .append_pair("corpsecret", creds.secret.expose_secret());
        let secret = creds.secret.expose_secret();
        let v = self.call(Step::Token, url, None, &[secret]).await?;
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && t.len() <= 512 && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| unreadable(Step::Token))?;
        // 7200 s normally; never trust more than a day.
        let expires_in = v
            .get("expires_in")
            .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
            .unwrap_or(7200)
            .min(86_400);
        Ok((
            SecretString::from(token.to_string()),
            Duration::from_secs(expires_in),
        ))
    }

    /// Run `op` with a token; if WeCom rejects the token (40014, 42001, 41001, 40001), drop
    /// it, fetch one new token and run `op` once more — never a loop.
    pub(super) async fn authed<T, F, Fut>(
        &self,
        creds: &Credentials,
        op: F,
    ) -> Result<T, ChannelError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, ChannelError>>,
    {
        let token = self.access_token(creds).await?;
        match op(token.clone()).await {
            Err(e) if e.kind == ErrorKind::TokenInvalid => {
                let request_id = e.request_id.as_deref().unwrap_or("-");
                tracing::info!(code = %e.code, %request_id, "wecom rejected the access token; refreshing once");
                self.inner
                    .tokens
                    .invalidate_if(&creds.app_id, &creds.secret, &token)
                    .await;
                let fresh = self.access_token(creds).await?;
                op(fresh).await
            }
            other => other,
        }
    }

    /// POST `body` to `path?access_token=…` with a valid token (retried once on rejection).
    pub(super) async fn post(
        &self,
        creds: &Credentials,
        step: Step,
        path: &str,
        body: &Value,
    ) -> Result<Value, ChannelError> {
        self.authed(creds, |token| async move {
            let mut url = self.endpoint(path);
            url.query_pairs_mut()
                .append_pair("access_token", token.expose_secret());
            let secrets = [creds.secret.expose_secret(), token.expose_secret()];
            self.call(step, url, Some(body), &secrets).await
        })
        .await
    }
}
