//! Test Message Sending, built with the same templates and the same DingTalk call as
//! deliveries: with a Template ID the interactive card (same variables), without one the
//! robot markdown message. A test that passes therefore says deliveries will work.

use crate::dingtalk::{
    Client, Credentials, DingTalkError, TEST_MESSAGE_TITLE, TestContent, TestReport,
};
use crate::domain::{DingTalkConfig, Mobile};

use super::template::{self, Language};

/// What a test of `config` sends, in `lang`.
pub fn test_content(config: &DingTalkConfig, lang: Language) -> TestContent {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S %:z");
    let (node, text) = match lang {
        Language::En => (
            "Test Message Sending",
            format!(
                "Sent by notifydesk at {now}. If you can read this, the DingTalk channel works."
            ),
        ),
        Language::Zh => (
            "测试消息发送",
            format!("notifydesk 于 {now} 发送。能看到这条消息，说明钉钉渠道可用。"),
        ),
    };
    // Not catalogue codes: the labels are shown as given.
    let (type_label, title) = ("notifydesk", TEST_MESSAGE_TITLE);
    match config
        .template_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(template_id) => TestContent::Card {
            template_id: template_id.to_string(),
            params: template::card_params(lang, type_label, node, title, &text, None),
        },
        None => {
            let (title, text) = template::render(lang, type_label, node, title, &text, None);
            TestContent::Markdown { title, text }
        }
    }
}

/// Send the test of `config` to `mobile`.
pub async fn send_test_message(
    client: &Client,
    config: &DingTalkConfig,
    mobile: &Mobile,
    lang: Language,
) -> Result<TestReport, DingTalkError> {
    client
        .send_test_message(
            &Credentials::from(config),
            mobile,
            &test_content(config, lang),
        )
        .await
}
