//! Async client for the DingTalk open platform: access token, member lookup by phone, robot
//! one-to-one markdown messages and interactive cards (see docs/dingtalk-contract.md).
//!
//! The client never retries on its own except once after a rejected access token, and never
//! follows a redirect; callers use [`DingTalkError::disposition`] (retry, permanent, or a send
//! that may have been delivered) and [`DingTalkError::retry_after`] to decide about backoff.
//! Secrets (AppSecret, tokens) never appear in errors or logs: server text is redacted whole,
//! and in pieces, before it is cut.

// `DingTalkError` is plain data read field by field by its callers (kind, code, status, retry
// hint, request id…); one error per HTTP call does not justify boxing it everywhere.
#![allow(clippy::result_large_err)]

mod client;
mod error;
mod explain;
mod headers;
mod personal;
mod wire;

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

pub use client::{Client, MAX_BATCH_USER_IDS, TestContent};
pub use error::{
    DingTalkError, Disposition, ErrorKind, SCOPE_CARD, SCOPE_LOOKUP, SCOPE_SEND, Step,
};
pub use personal::to_channel_error;

use crate::domain::DingTalkConfig;

/// Base URLs of the two API families. Paths are appended to them, so a base may carry a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// New API, default `https://api.dingtalk.com`.
    pub api: Url,
    /// Legacy API, default `https://oapi.dingtalk.com`.
    pub oapi: Url,
}

/// DingTalk's new API host.
pub const DINGTALK_API: &str = "https://api.dingtalk.com";
/// DingTalk's legacy API host.
pub const DINGTALK_OAPI: &str = "https://oapi.dingtalk.com";

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            api: Url::parse(DINGTALK_API).expect("static URL"),
            oapi: Url::parse(DINGTALK_OAPI).expect("static URL"),
        }
    }
}

impl Endpoints {
    pub fn new(api: &str, oapi: &str) -> Result<Endpoints, DingTalkError> {
        Ok(Endpoints {
            api: parse_base("api", api)?,
            oapi: parse_base("oapi", oapi)?,
        })
    }

    /// Both families on one server (the fake).
    pub fn single(base: &str) -> Result<Endpoints, DingTalkError> {
        Endpoints::new(base, base)
    }
}

/// The shared rule for platform base URLs, as a DingTalk setup error.
fn parse_base(which: &str, s: &str) -> Result<Url, DingTalkError> {
    crate::personal::parse_base_url(which, s).map_err(|why| {
        DingTalkError::new(ErrorKind::InvalidRequest, "invalid-endpoint", Step::Setup)
            .with_message(why)
    })
}

/// The app's credentials. `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub app_key: String,
    pub app_secret: SecretString,
    /// Robot code for sends; `None` = the AppKey (true for internal-app robots).
    pub robot_code: Option<String>,
}

impl Credentials {
    pub fn new(app_key: impl Into<String>, app_secret: impl Into<String>) -> Credentials {
        Credentials {
            app_key: app_key.into(),
            app_secret: SecretString::from(app_secret.into()),
            robot_code: None,
        }
    }

    pub fn robot_code(&self) -> &str {
        self.robot_code
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(&self.app_key)
    }
}

impl From<&DingTalkConfig> for Credentials {
    fn from(c: &DingTalkConfig) -> Credentials {
        Credentials {
            app_key: c.app_key.clone(),
            app_secret: c.app_secret.clone(),
            robot_code: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Whole-request timeout. Default 10 s.
    pub timeout: Duration,
    /// TCP/TLS connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Refresh a token this long before DingTalk's `expireIn` runs out. Default 300 s.
    pub token_refresh_margin: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            token_refresh_margin: Duration::from_secs(300),
        }
    }
}

/// Result of `batchSend` (HTTP 200). Receivers in either list did not get the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSendReport {
    pub process_query_key: String,
    /// Not valid receivers (unknown, or outside the app's visibility scope): permanent.
    pub invalid_user_ids: Vec<String>,
    /// Skipped by DingTalk's flow control: retry later.
    pub flow_controlled_user_ids: Vec<String>,
    /// Filtered by DingTalk (`filteredStaffIdList`, as the official SDK models it): not
    /// delivered, e.g. the member blocked the robot or the message was filtered.
    pub filtered_user_ids: Vec<String>,
}

/// Result of `createAndDeliver` when the card reached the user's robot chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardReport {
    pub out_track_id: String,
    /// `carrierId` of the IM_ROBOT space (DingTalk's processQueryKey for the message), if given.
    pub carrier_id: Option<String>,
}

/// Result of Test Message Sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestReport {
    pub user_id: String,
    /// batchSend's processQueryKey, or the card's carrierId (empty if DingTalk gave none).
    pub process_query_key: String,
    /// What was sent.
    pub kind: TestMessageKind,
}

/// Which kind of test message Test Message Sending delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestMessageKind {
    RobotMarkdown,
    Card { template_id: String },
}

impl TestMessageKind {
    /// "robot markdown message" / "interactive card <id>".
    pub fn label(&self) -> String {
        match self {
            TestMessageKind::RobotMarkdown => "robot markdown message".into(),
            TestMessageKind::Card { template_id } => format!("interactive card {template_id}"),
        }
    }
}

/// Markdown title of the test message.
pub const TEST_MESSAGE_TITLE: &str = "notifydesk test message";

#[cfg(test)]
mod tests {
    use super::*;

    /// The shared base-URL rule, reported as DingTalk's own setup error naming the family.
    #[test]
    fn a_bad_base_url_is_an_invalid_endpoint_setup_error() {
        let e = Endpoints::new("https://api.dingtalk.com", "http://oapi.example").unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str(), e.step),
            (ErrorKind::InvalidRequest, "invalid-endpoint", Step::Setup)
        );
        let message = e.message.unwrap_or_default();
        assert!(
            message.starts_with("oapi base URL http://oapi.example: plain http"),
            "{message}"
        );
    }
}
