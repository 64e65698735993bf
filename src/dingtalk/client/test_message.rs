//! Test Message Sending: the whole path once, with a receiver-level refusal as an error.

use std::collections::BTreeMap;

use super::super::error::{DingTalkError, ErrorKind, Step};
use super::super::{Credentials, TestMessageKind, TestReport};
use super::Client;
use crate::domain::Mobile;

/// What Test Message Sending sends: built by the caller with the same template code that
/// deliveries use, so the test exercises exactly what deliveries will send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestContent {
    /// A robot one-to-one markdown message (batchSend, `sampleMarkdown`).
    Markdown { title: String, text: String },
    /// An interactive card from the channel's template (createAndDeliver).
    Card {
        template_id: String,
        params: BTreeMap<String, String>,
    },
}

impl Client {
    /// Test Message Sending: token → lookup by phone → `content`. A receiver DingTalk refuses
    /// (invalid, flow-controlled, filtered) is an error here, not a partial result.
    pub async fn send_test_message(
        &self,
        creds: &Credentials,
        mobile: &Mobile,
        content: &TestContent,
    ) -> Result<TestReport, DingTalkError> {
        self.access_token(creds).await?;
        let user_id = self.user_id_by_mobile(creds, mobile).await?;
        match content {
            TestContent::Card {
                template_id,
                params,
            } => {
                let out_track_id = format!("notifydesk-test-{}", random_hex(12));
                let report = self
                    .send_card(creds, template_id, &user_id, &out_track_id, params)
                    .await?;
                Ok(TestReport {
                    user_id,
                    process_query_key: report.carrier_id.unwrap_or_default(),
                    kind: TestMessageKind::Card {
                        template_id: template_id.clone(),
                    },
                })
            }
            TestContent::Markdown { title, text } => {
                let report = self
                    .send_markdown(creds, std::slice::from_ref(&user_id), title, text)
                    .await?;
                let refused = [
                    (
                        &report.invalid_user_ids,
                        ErrorKind::OutsideVisibility,
                        "invalidStaffIdList",
                    ),
                    (
                        &report.flow_controlled_user_ids,
                        ErrorKind::RateLimited,
                        "flowControlledStaffIdList",
                    ),
                    (
                        &report.filtered_user_ids,
                        ErrorKind::Filtered,
                        "filteredStaffIdList",
                    ),
                ];
                // One receiver: any refusal is about them, whatever id DingTalk echoes.
                for (list, kind, code) in refused {
                    if !list.is_empty() {
                        return Err(DingTalkError::new(kind, code, Step::Send)
                            .with_status(200)
                            .with_message(format!("userid {user_id} returned in {code}")));
                    }
                }
                Ok(TestReport {
                    user_id,
                    process_query_key: report.process_query_key,
                    kind: TestMessageKind::RobotMarkdown,
                })
            }
        }
    }
}

fn random_hex(bytes: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}
