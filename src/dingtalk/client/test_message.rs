//! Test Message Sending: the whole path once, with a receiver-level refusal as an error.

use std::collections::BTreeMap;

use super::super::error::{DingTalkError, ErrorKind, Step};
use super::super::{Credentials, TEST_MESSAGE_TITLE, TestMessageKind, TestReport};
use super::Client;
use crate::domain::Mobile;

impl Client {
    /// Test Message Sending: token → lookup by phone → markdown message (or the card when a
    /// template id is given). A receiver DingTalk refuses is an error here, not a partial result.
    pub async fn send_test_message(
        &self,
        creds: &Credentials,
        template_id: Option<&str>,
        mobile: &Mobile,
    ) -> Result<TestReport, DingTalkError> {
        self.access_token(creds).await?;
        let user_id = self.user_id_by_mobile(creds, mobile).await?;
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S %:z");
        let text = format!(
            "#### {TEST_MESSAGE_TITLE}\n\nSent by notifydesk at {now}. If you can read this, the DingTalk channel works."
        );
        match template_id.map(str::trim).filter(|t| !t.is_empty()) {
            Some(tid) => {
                let params = BTreeMap::from([
                    ("title".to_string(), TEST_MESSAGE_TITLE.to_string()),
                    (
                        "content".to_string(),
                        format!("Sent by notifydesk at {now}."),
                    ),
                ]);
                let out_track_id = format!("notifydesk-test-{}", random_hex(12));
                let report = self
                    .send_card(creds, tid, &user_id, &out_track_id, &params)
                    .await?;
                Ok(TestReport {
                    user_id,
                    process_query_key: report.carrier_id.unwrap_or_default(),
                    kind: TestMessageKind::Card {
                        template_id: tid.to_string(),
                    },
                })
            }
            None => {
                let report = self
                    .send_markdown(
                        creds,
                        std::slice::from_ref(&user_id),
                        TEST_MESSAGE_TITLE,
                        &text,
                    )
                    .await?;
                if report.invalid_user_ids.contains(&user_id) {
                    return Err(DingTalkError::new(
                        ErrorKind::OutsideVisibility,
                        "invalidStaffIdList",
                        Step::Send,
                    )
                    .with_status(200)
                    .with_message(format!("userid {user_id} returned in invalidStaffIdList")));
                }
                if report.flow_controlled_user_ids.contains(&user_id) {
                    return Err(DingTalkError::new(
                        ErrorKind::RateLimited,
                        "flowControlledStaffIdList",
                        Step::Send,
                    )
                    .with_status(200)
                    .with_message(format!(
                        "userid {user_id} returned in flowControlledStaffIdList"
                    )));
                }
                if report.filtered_user_ids.contains(&user_id) {
                    return Err(DingTalkError::new(
                        ErrorKind::Filtered,
                        "filteredStaffIdList",
                        Step::Send,
                    )
                    .with_status(200)
                    .with_message(format!("userid {user_id} returned in filteredStaffIdList")));
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
