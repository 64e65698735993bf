//! What Test Message Sending sends, for the client tests that call it directly.

#![allow(dead_code)]

use notifydesk::dingtalk::TestContent;

pub fn markdown() -> TestContent {
    TestContent::Markdown {
        title: "notifydesk test message".into(),
        text: "#### notifydesk test message".into(),
    }
}

pub fn card(template_id: &str) -> TestContent {
    TestContent::Card {
        template_id: template_id.into(),
        params: [("title", "notifydesk test message"), ("content", "hello")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}
