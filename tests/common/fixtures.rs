//! Database set-ups shared by the delivery tests.

#![allow(dead_code)]

use dingtalk_fake::FakeDingTalk;
use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn};
use notifydesk::store::Store;
use secrecy::SecretString;

/// The DingTalk channel configured, and Personal Channel on for SQL Task / To be approved.
pub fn channel_with_personal(store: &mut Store, app_key: &str, secret: &str, receiver: &str) {
    store
        .save_dingtalk(&DingTalkConfig {
            app_key: app_key.into(),
            app_secret: SecretString::from(secret),
            template_id: None,
            source_column: SourceColumn::Phone,
            receiver: Some(Mobile::parse(receiver).unwrap()),
        })
        .unwrap();
    store
        .apply_method_changes(&[MethodChange {
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            method: Method::Personal,
            on: true,
        }])
        .unwrap();
}

/// Members u1..=n with phones `phone(i)`, known to the fake as userids user1..=n.
pub fn members(fake: &FakeDingTalk, store: &mut Store, n: usize, phone: impl Fn(usize) -> String) {
    let list: Vec<NewMember> = (1..=n)
        .map(|i| {
            fake.add_user(&phone(i), &format!("user{i}"));
            NewMember {
                name: format!("User {i}"),
                login: format!("u{i}"),
                phone: phone(i),
                email: None,
            }
        })
        .collect();
    store.import_members(&list).unwrap();
}
