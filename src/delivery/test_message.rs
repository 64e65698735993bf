//! Test Message Sending, built with the same templates and the same DingTalk call as
//! deliveries: with a Template ID the interactive card (same variables), without one the
//! robot markdown message. A test that passes therefore says deliveries will work.

use crate::dingtalk::{
    Client, Credentials, DingTalkError, TEST_MESSAGE_TITLE, TestContent, TestReport,
};
use crate::domain::{ChannelConfig, ChannelKind, DingTalkConfig, Mobile, SourceColumn};
use crate::personal::{
    ChannelError, Credentials as PersonalCredentials, Disposition, ErrorKind, LookupKey, Message,
    TestReport as PersonalTestReport,
};

use super::PersonalClients;
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

/// What a test of a WeCom, Feishu or Lark channel sends, in `lang`: the delivery template,
/// with the channel's card template when it has one.
pub fn personal_test_message(config: &ChannelConfig, lang: Language) -> Message {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S %:z");
    let platform = config.kind.platform();
    let text = match lang {
        Language::En => format!(
            "Sent by notifydesk at {now}. If you can read this, the {platform} channel works."
        ),
        Language::Zh => {
            let name = match config.kind {
                ChannelKind::WeCom => "企业微信",
                ChannelKind::Feishu => "飞书",
                ChannelKind::FeishuLark => "Lark",
                ChannelKind::DingTalk => "钉钉",
            };
            format!("notifydesk 于 {now} 发送。能看到这条消息，说明{name}渠道可用。")
        }
    };
    let node = match lang {
        Language::En => "Test Message Sending",
        Language::Zh => "测试消息发送",
    };
    let (title, markdown) =
        template::render(lang, "notifydesk", node, TEST_MESSAGE_TITLE, &text, None);
    Message {
        title,
        text: markdown.clone(),
        markdown,
        link: None,
        template_id: config.template_id.clone(),
        // A test is a new message every time.
        idempotency_key: format!("nd-test-{}", uuid_like()),
    }
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>())
}

/// Send the test of a WeCom, Feishu or Lark `config` to its receiver (or `receiver`).
pub async fn send_personal_test(
    clients: &PersonalClients,
    config: &ChannelConfig,
    lang: Language,
) -> Result<PersonalTestReport, ChannelError> {
    let kind = config.kind;
    let Some(receiver) = config.receiver.as_deref() else {
        return Err(ChannelError::new(
            kind,
            ErrorKind::BadConfig,
            "no-receiver",
            "Receiver Info is empty",
            Disposition::Permanent,
        )
        .with_fix(format!(
            "enter the {} of a {} member to send the test to",
            config.source_column.label(),
            kind.platform()
        )));
    };
    let key = match config.source_column {
        SourceColumn::Phone => LookupKey::Phone(Mobile::parse(receiver).map_err(|e| {
            ChannelError::new(
                kind,
                ErrorKind::BadConfig,
                "invalid-phone",
                e.to_string(),
                Disposition::Permanent,
            )
        })?),
        SourceColumn::Email => LookupKey::Email(receiver.to_string()),
        SourceColumn::Login => LookupKey::Login(receiver.to_string()),
    };
    let creds = PersonalCredentials {
        app_id: config.app_id.clone(),
        secret: config.secret.clone(),
        agent_id: config.agent_id,
    };
    let message = personal_test_message(config, lang);
    match kind {
        ChannelKind::WeCom => clients.wecom.send_test(&creds, &key, &message).await,
        ChannelKind::Feishu => clients.feishu.send_test(&creds, &key, &message).await,
        ChannelKind::FeishuLark => clients.lark.send_test(&creds, &key, &message).await,
        ChannelKind::DingTalk => Err(ChannelError::new(
            kind,
            ErrorKind::InvalidRequest,
            "wrong-client",
            "DingTalk tests go through the DingTalk client",
            Disposition::Permanent,
        )),
    }
}
