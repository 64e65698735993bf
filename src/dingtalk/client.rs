//! The HTTP client proper: tokens, lookup, robot messages and cards.

mod call;
mod test_message;

pub use test_message::TestContent;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use super::error::{DingTalkError, ErrorKind, Step};
use super::wire::{get_ci, get_str_ci, string_list};
use super::{BatchSendReport, CardReport, ClientOptions, Credentials, Endpoints};
use crate::domain::Mobile;
use crate::personal::Redactor;
use crate::personal::{HttpOptions, LazyHttp, MovableClock, TokenCache};

/// DingTalk's documented maximum of userIds per batchSend call.
pub const MAX_BATCH_USER_IDS: usize = 20;

const TOKEN_HEADER: &str = "x-acs-dingtalk-access-token";

/// Cheap to clone; clones share the HTTP connection pool and the token cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// Built on first use: TLS set-up costs milliseconds that start-up should not pay.
    http: LazyHttp,
    endpoints: Endpoints,
    options: ClientOptions,
    tokens: TokenCache,
    /// Token expiry is decided by this clock (tests move it forward).
    clock: MovableClock,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.inner.endpoints)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(endpoints: Endpoints, options: ClientOptions) -> Result<Client, DingTalkError> {
        Ok(Client {
            inner: Arc::new(Inner {
                // A redirect would carry the AppSecret (307/308 resend the body) or the token
                // header to another host: the shared client never follows one.
                http: LazyHttp::new(HttpOptions {
                    timeout: options.timeout,
                    connect_timeout: options.connect_timeout,
                }),
                endpoints,
                tokens: TokenCache::new(options.token_refresh_margin),
                options,
                clock: MovableClock::default(),
            }),
        })
    }

    fn http(&self) -> Result<&reqwest::Client, DingTalkError> {
        self.inner.http.get().map_err(|e| {
            DingTalkError::new(ErrorKind::Other, "http-client", Step::Setup)
                .with_message(e.without_url().to_string())
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Move this client's notion of time forward (token expiry only). For tests against the
    /// fake, together with `FakeDingTalk::advance_clock`.
    #[doc(hidden)]
    pub fn advance_clock(&self, by: Duration) {
        self.inner.clock.advance(by);
    }

    fn now(&self) -> Instant {
        self.inner.clock.now()
    }

    /// A valid access token, from the cache or `POST /v1.0/oauth2/accessToken`. Concurrent
    /// callers with the same credentials share one request.
    pub async fn access_token(&self, creds: &Credentials) -> Result<SecretString, DingTalkError> {
        self.inner
            .tokens
            .get_or_fetch(
                &creds.app_key,
                &creds.app_secret,
                || self.now(),
                || self.fetch_token(creds),
            )
            .await
    }

    /// Forget cached tokens of this AppKey (e.g. after the secret was changed).
    pub fn invalidate_token(&self, app_key: &str) {
        self.inner.tokens.invalidate_app(app_key);
    }

    async fn fetch_token(
        &self,
        creds: &Credentials,
    ) -> Result<(SecretString, Duration), DingTalkError> {
        let url = join(&self.inner.endpoints.api, "/v1.0/oauth2/accessToken");
        let body = json!({
            "appKey": creds.app_key,
            "appSecret": creds.app_secret.expose_secret(),
        });
        let secrets = [creds.app_secret.expose_secret()];
        let v = self.call(Step::Token, url, None, &body, &secrets).await?;
        let token = get_str_ci(&v, "accessToken")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| missing_field(Step::Token, "accessToken"))?;
        // It goes into a header and a query string: visible ASCII only, of a sane length.
        if token.len() > 512 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(
                DingTalkError::new(ErrorKind::BadResponse, "bad-token", Step::Token)
                    .with_status(200)
                    .with_message("the access token DingTalk returned is not printable ASCII"),
            );
        }
        // DingTalk says 7200 s; never trust more than a day (and never overflow a clock).
        let expire_in = get_ci(&v, "expireIn")
            .and_then(|e| e.as_u64().or_else(|| e.as_str()?.parse().ok()))
            .unwrap_or(7200)
            .min(86_400);
        Ok((
            SecretString::from(token.to_string()),
            Duration::from_secs(expire_in),
        ))
    }

    /// Run `op` with a token; if DingTalk says the token is invalid, drop it, fetch a new one
    /// and run `op` once more. Bad credentials fail in `access_token` and are never retried.
    async fn authed<T, F, Fut>(
        &self,
        creds: &Credentials,
        step: Step,
        op: F,
    ) -> Result<T, DingTalkError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, DingTalkError>>,
    {
        let token = self.access_token(creds).await?;
        match op(token.clone()).await {
            Err(e) if e.kind == ErrorKind::TokenInvalid => {
                let request_id = e.request_id.as_deref().unwrap_or("-");
                tracing::debug!(step = ?step, code = %e.code, %request_id, "access token rejected; refreshing once");
                self.inner
                    .tokens
                    .invalidate_if(&creds.app_key, &creds.app_secret, &token)
                    .await;
                let fresh = self.access_token(creds).await?;
                op(fresh).await
            }
            other => other,
        }
    }

    /// The userid of the active member with this phone number
    /// (`POST {oapi}/topapi/v2/user/getbymobile?access_token=`).
    pub async fn user_id_by_mobile(
        &self,
        creds: &Credentials,
        mobile: &Mobile,
    ) -> Result<String, DingTalkError> {
        let body = json!({ "mobile": mobile.as_str() });
        self.authed(creds, Step::Lookup, |token| {
            let body = &body;
            async move {
                let mut url = join(&self.inner.endpoints.oapi, "/topapi/v2/user/getbymobile");
                url.query_pairs_mut()
                    .append_pair("access_token", token.expose_secret());
                let secrets = [creds.app_secret.expose_secret(), token.expose_secret()];
                let v = self.call(Step::Lookup, url, None, body, &secrets).await?;
                get_ci(&v, "result")
                    .and_then(|r| get_ci(r, "userid"))
                    .and_then(|u| match u {
                        Value::String(s) if !s.is_empty() => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .ok_or_else(|| missing_field(Step::Lookup, "result.userid"))
            }
        })
        .await
    }

    /// Robot one-to-one markdown message to up to 20 userids. HTTP 200 may still leave some
    /// receivers in `invalid_user_ids` / `flow_controlled_user_ids` / `filtered_user_ids`
    /// (none of them got it): the caller decides.
    pub async fn send_markdown(
        &self,
        creds: &Credentials,
        user_ids: &[String],
        title: &str,
        text: &str,
    ) -> Result<BatchSendReport, DingTalkError> {
        if user_ids.is_empty() || user_ids.iter().any(|u| u.trim().is_empty()) {
            return Err(
                DingTalkError::new(ErrorKind::InvalidRequest, "userIds.empty", Step::Send)
                    .with_message("no receiver userid given (or an empty one)"),
            );
        }
        if user_ids.len() > MAX_BATCH_USER_IDS {
            return Err(DingTalkError::new(
                ErrorKind::InvalidRequest,
                "userIds.overMax",
                Step::Send,
            )
            .with_message(format!(
                "{} userids given; DingTalk accepts at most {MAX_BATCH_USER_IDS} per call",
                user_ids.len()
            )));
        }
        let msg_param = json!({ "title": title, "text": text }).to_string();
        let body = json!({
            "robotCode": creds.robot_code(),
            "userIds": user_ids,
            "msgKey": "sampleMarkdown",
            "msgParam": msg_param,
        });
        let url = join(
            &self.inner.endpoints.api,
            "/v1.0/robot/oToMessages/batchSend",
        );
        let v = self
            .authed(creds, Step::Send, |token| {
                let (url, body) = (url.clone(), &body);
                async move {
                    let secrets = [creds.app_secret.expose_secret(), token.expose_secret()];
                    self.call(Step::Send, url, Some(&token), body, &secrets)
                        .await
                }
            })
            .await?;
        let process_query_key = get_str_ci(&v, "processQueryKey")
            .filter(|k| !k.is_empty())
            .ok_or_else(|| missing_field(Step::Send, "processQueryKey"))?
            .to_string();
        Ok(BatchSendReport {
            process_query_key,
            invalid_user_ids: string_list(get_ci(&v, "invalidStaffIdList")),
            flow_controlled_user_ids: string_list(get_ci(&v, "flowControlledStaffIdList")),
            filtered_user_ids: string_list(get_ci(&v, "filteredStaffIdList")),
        })
    }

    /// Create an interactive card from a template and deliver it to one user's robot chat
    /// (`POST {api}/v1.0/card/instances/createAndDeliver`). `out_track_id` is the card's
    /// idempotency key. Fails unless DingTalk reports success for the user's IM_ROBOT space.
    pub async fn send_card(
        &self,
        creds: &Credentials,
        template_id: &str,
        user_id: &str,
        out_track_id: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<CardReport, DingTalkError> {
        for (name, value) in [
            ("cardTemplateId", template_id),
            ("userId", user_id),
            ("outTrackId", out_track_id),
        ] {
            if value.trim().is_empty() {
                return Err(DingTalkError::new(
                    ErrorKind::InvalidRequest,
                    format!("{name}.empty"),
                    Step::Card,
                )
                .with_message(format!("{name} is empty")));
            }
        }
        let last_message = params
            .get("title")
            .cloned()
            .unwrap_or_else(|| "notifydesk".into());
        let body = json!({
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "cardData": { "cardParamMap": params },
            "openSpaceId": format!("dtv1.card//IM_ROBOT.{user_id}"),
            "userIdType": 1,
            "imRobotOpenSpaceModel": {
                "supportForward": true,
                "lastMessageI18n": { "ZH_CN": last_message },
            },
            "imRobotOpenDeliverModel": {
                "spaceType": "IM_ROBOT",
                "robotCode": creds.robot_code(),
            },
        });
        let url = join(
            &self.inner.endpoints.api,
            "/v1.0/card/instances/createAndDeliver",
        );
        self.authed(creds, Step::Card, |token| {
            let (url, body) = (url.clone(), &body);
            async move {
                let secrets = [creds.app_secret.expose_secret(), token.expose_secret()];
                let v = self
                    .call(Step::Card, url, Some(&token), body, &secrets)
                    .await?;
                card_report(&v, out_track_id, &Redactor::new(&secrets))
            }
        })
        .await
    }
}

/// The card's outcome for the user's robot chat; DingTalk's texts are redacted before use.
fn card_report(v: &Value, out_track_id: &str, r: &Redactor) -> Result<CardReport, DingTalkError> {
    if get_ci(v, "success").and_then(Value::as_bool) == Some(false) {
        return Err(
            DingTalkError::new(ErrorKind::Other, "success=false", Step::Card)
                .with_status(200)
                .with_message(r.redact(&v.to_string())),
        );
    }
    let result = get_ci(v, "result").ok_or_else(|| missing_field(Step::Card, "result"))?;
    let deliveries = get_ci(result, "deliverResults")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| missing_field(Step::Card, "result.deliverResults"))?;
    let mut carrier_id = None;
    for d in deliveries {
        if get_ci(d, "success").and_then(Value::as_bool) != Some(true) {
            let msg = get_str_ci(d, "errorMsg").unwrap_or("delivery failed");
            return Err(DingTalkError::new(
                ErrorKind::OutsideVisibility,
                "deliverResults.success=false",
                Step::Card,
            )
            .with_status(200)
            .with_message(r.redact(msg)));
        }
        if carrier_id.is_none() {
            carrier_id = get_str_ci(d, "carrierId").map(str::to_string);
        }
    }
    Ok(CardReport {
        out_track_id: get_str_ci(result, "outTrackId")
            .unwrap_or(out_track_id)
            .to_string(),
        carrier_id,
    })
}

fn missing_field(step: Step, field: &str) -> DingTalkError {
    DingTalkError::new(ErrorKind::BadResponse, "missing-field", step)
        .with_status(200)
        .with_message(format!("the answer has no {field}"))
}

/// `base` + `path`, keeping any path prefix of the base.
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_keeps_prefix() {
        let base = Url::parse("http://127.0.0.1:9/proxy/").unwrap();
        assert_eq!(
            join(&base, "/v1.0/x").as_str(),
            "http://127.0.0.1:9/proxy/v1.0/x"
        );
        let base = Url::parse("https://api.dingtalk.com").unwrap();
        assert_eq!(
            join(&base, "/v1.0/x").as_str(),
            "https://api.dingtalk.com/v1.0/x"
        );
    }

    #[test]
    fn bad_endpoints_are_explained() {
        let e = Endpoints::new("ftp://x", "https://oapi.dingtalk.com").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
        assert!(e.to_string().contains("scheme"), "{e}");
        assert!(Endpoints::new("not a url", "https://x").is_err());
        assert!(Endpoints::new("https://x?a=1", "https://x").is_err());
        assert!(Endpoints::new("http://127.0.0.1:1", "http://127.0.0.1:1").is_ok());
    }
}
