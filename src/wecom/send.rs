//! `POST /cgi-bin/message/send`: one call to up to 100 receivers, per-receiver pacing, and the
//! answer's `invaliduser` / `unlicenseduser` turned into per-receiver rejections.

use serde_json::Value;

use super::body::send_body;
use super::errors::Step;
use super::{Client, limiter};
use crate::domain::ChannelKind;
use crate::personal::{ChannelError, Credentials, Disposition, ErrorKind, Message, SendReport};

const MAX_RECEIVERS: usize = 100;

fn refused(code: &str, message: String, fix: &str) -> ChannelError {
    ChannelError::new(
        ChannelKind::WeCom,
        ErrorKind::ReceiverRefused,
        code,
        message,
        Disposition::Permanent,
    )
    .with_fix(fix)
}

const INVALID_FIX: &str = "check that the userid exists in WeCom Contacts (通讯录), is active and is in the app's visibility scope (可见范围); with Login Name the login must equal the WeCom userid (账号) — use Phone as the source column instead";
const UNLICENSED_FIX: &str = "assign the member an interface licence (接口许可) in the WeCom admin console, or check the app's licence settings";

fn listed(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split('|')
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Client {
    pub(super) async fn send_message(
        &self,
        creds: &Credentials,
        agent: i64,
        receivers: &[String],
        message: &Message,
    ) -> Result<SendReport, ChannelError> {
        let bad_request = |msg: String| {
            ChannelError::new(
                ChannelKind::WeCom,
                ErrorKind::InvalidRequest,
                "bad-request",
                msg,
                Disposition::Permanent,
            )
        };
        if receivers.len() > MAX_RECEIVERS {
            return Err(bad_request(format!(
                "{} receivers in one send; WeCom sends to at most {MAX_RECEIVERS} per call here",
                receivers.len()
            )));
        }
        if [&message.title, &message.markdown, &message.text]
            .iter()
            .all(|s| s.trim().is_empty())
        {
            return Err(ChannelError::new(
                ChannelKind::WeCom,
                ErrorKind::Content,
                "empty-message",
                "the message is empty",
                Disposition::Permanent,
            ));
        }
        let mut rejected = Vec::new();
        // Sorted and unique (case-insensitively, like WeCom): the same receivers always give
        // the same body, whatever order or case the caller used. Rejections name the
        // caller's spelling.
        let mut ids: Vec<&str> = receivers.iter().map(|r| r.trim()).collect();
        ids.sort_by_key(|r| r.to_lowercase());
        ids.dedup_by_key(|r| r.to_lowercase());
        let now = self.now();
        let mut to = Vec::new();
        let mut shortest_wait = None;
        for id in ids {
            if id.is_empty() || id.len() > 64 || id.contains('|') {
                rejected.push((
                    id.to_string(),
                    refused(
                        "invalid-userid",
                        format!("{id:?} is not a WeCom userid"),
                        INVALID_FIX,
                    ),
                ));
            } else if let Some(wait) = self.inner.limiter.wait_for(&creds.app_id, agent, id, now) {
                shortest_wait =
                    Some(shortest_wait.map_or(wait, |w: std::time::Duration| w.min(wait)));
                let e = ChannelError::new(
                    ChannelKind::WeCom,
                    ErrorKind::Throttled,
                    "receiver-rate",
                    format!(
                        "{id} already got {} messages this minute or {} this hour from this app; WeCom would drop more silently",
                        limiter::PER_MINUTE,
                        limiter::PER_HOUR
                    ),
                    Disposition::Retry,
                )
                .with_fix("send later; nothing was sent to this receiver")
                .with_retry_after(Some(wait));
                rejected.push((id.to_string(), e));
            } else {
                to.push(id);
            }
        }
        if to.is_empty() {
            return Err(match (rejected.pop(), shortest_wait) {
                (Some((_, e)), Some(w)) if e.kind == ErrorKind::Throttled => {
                    e.with_retry_after(Some(w))
                }
                (Some((_, e)), _) => e,
                (None, _) => bad_request("no receivers".into()),
            });
        }
        let touser: Vec<String> = to.iter().map(|id| id.to_lowercase()).collect();
        let body = send_body(agent, &touser.join("|"), message);
        let result = self
            .post(creds, Step::Send, "/cgi-bin/message/send", &body)
            .await;
        let v = match result {
            Ok(v) => v,
            Err(e) => {
                if e.disposition == Disposition::MayHaveBeenDelivered {
                    for id in &to {
                        self.inner.limiter.record(&creds.app_id, agent, id, now);
                    }
                }
                return Err(e);
            }
        };
        let invalid = listed(&v, "invaliduser");
        let unlicensed = listed(&v, "unlicenseduser");
        for id in to {
            let lc = id.to_lowercase();
            if invalid.contains(&lc) {
                let msg = format!(
                    "WeCom did not deliver to {id}: unknown userid, inactive, or outside the app's visibility scope"
                );
                rejected.push((id.to_string(), refused("invaliduser", msg, INVALID_FIX)));
            } else if unlicensed.contains(&lc) {
                let msg =
                    format!("WeCom did not deliver to {id}: the member has no interface licence");
                rejected.push((
                    id.to_string(),
                    refused("unlicenseduser", msg, UNLICENSED_FIX),
                ));
            } else {
                self.inner.limiter.record(&creds.app_id, agent, id, now);
            }
        }
        let message_id = v
            .get("msgid")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(str::to_string);
        Ok(SendReport {
            message_id,
            request_id: None,
            rejected,
        })
    }
}
