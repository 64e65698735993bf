//! Unit tests of `configure`, kept beside it so the module stays short.

use super::*;
use crate::domain::{DingTalkConfig, Mobile};
use crossterm::event::{KeyCode, KeyModifiers};

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn stored() -> DingTalkConfig {
    DingTalkConfig {
        app_key: "dingkey".into(),
        app_secret: SecretString::from("stored-secret"),
        template_id: None,
        source_column: SourceColumn::Phone,
        receiver: Some(Mobile::parse("13800138000").unwrap()),
    }
}

#[test]
fn untouched_secret_keeps_stored_value() {
    let mut d = ConfigureDialog::new(
        ChannelKind::DingTalk,
        Some(AnyChannelConfig::DingTalk(stored())),
    );
    assert!(!d.is_dirty());
    match d.request_save() {
        DialogRequest::Save(cfg) => assert_eq!(cfg.secret().expose_secret(), "stored-secret"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arrow_keys_do_not_discard_stored_secret() {
    let mut d = ConfigureDialog::new(
        ChannelKind::DingTalk,
        Some(AnyChannelConfig::DingTalk(stored())),
    );
    d.focus = Focus::AppSecret;
    d.edit(&key(KeyCode::Left));
    assert!(d.uses_stored_secret());
    d.edit(&key(KeyCode::Char('n')));
    assert!(!d.uses_stored_secret());
    assert_eq!(d.secret_for_test(), "n");
    assert!(d.is_dirty());
}

#[test]
fn empty_form_reports_required_fields_and_focuses_first() {
    let mut d = ConfigureDialog::new(ChannelKind::DingTalk, None);
    d.focus = Focus::Ok;
    assert!(matches!(d.request_save(), DialogRequest::None));
    assert!(d.errors.app_key.is_some());
    assert!(d.errors.app_secret.is_some());
    assert_eq!(d.focus, Focus::AppKey);
}

#[test]
fn test_requires_receiver() {
    let mut d = ConfigureDialog::new(ChannelKind::DingTalk, None);
    d.app_key.paste("k");
    d.focus = Focus::AppSecret;
    d.paste("s\n");
    assert!(matches!(d.request_test(), DialogRequest::None));
    assert!(d.errors.receiver.is_some());
    assert_eq!(d.focus, Focus::Receiver);
}

#[test]
fn escape_cancels_running_test_before_closing() {
    let mut d = ConfigureDialog::new(ChannelKind::DingTalk, None);
    d.test = TestState::Sending { seq: 7 };
    assert!(matches!(d.escape(), DialogRequest::CancelTest(7)));
    assert_eq!(d.test, TestState::Cancelled);
    assert!(matches!(d.escape(), DialogRequest::Close { dirty: false }));
}

#[test]
fn focus_ring_wraps() {
    let mut d = ConfigureDialog::new(ChannelKind::DingTalk, None);
    d.prev_field();
    assert_eq!(d.focus, Focus::Cancel);
    d.next_field();
    assert_eq!(d.focus, Focus::AppKey);
}

fn stored_wecom() -> AnyChannelConfig {
    let f = ChannelFields {
        app_id: "ww1".into(),
        secret: "wecom-secret".into(),
        agent_id: "1000002".into(),
        source_column: Some(SourceColumn::Email),
        receiver: "ana@example.com".into(),
        callback_token: "saved-token".into(),
        ..ChannelFields::default()
    };
    AnyChannelConfig::Other(validate_channel(ChannelKind::WeCom, &f, false).unwrap())
}

#[test]
fn wecom_dialog_has_agent_id_and_callback_fields_and_keeps_saved_secrets() {
    let mut d = ConfigureDialog::new(ChannelKind::WeCom, Some(stored_wecom()));
    assert!(!d.is_dirty());
    assert!(Focus::ring(ChannelKind::WeCom).contains(&Focus::AgentId));
    assert!(!Focus::ring(ChannelKind::WeCom).contains(&Focus::TemplateId));
    assert!(d.uses_stored(Focus::CallbackToken));
    match d.request_save() {
        DialogRequest::Save(AnyChannelConfig::Other(c)) => {
            assert_eq!(c.agent_id, Some(1000002));
            assert_eq!(c.secret.expose_secret(), "wecom-secret");
            assert_eq!(c.callback.token.unwrap().expose_secret(), "saved-token");
        }
        other => panic!("{other:?}"),
    }
    d.focus = Focus::CallbackToken;
    d.edit(&key(KeyCode::Char('x')));
    assert!(!d.uses_stored(Focus::CallbackToken));
    assert!(d.is_dirty());
}

#[test]
fn source_column_cycles_through_the_channels_columns() {
    let mut d = ConfigureDialog::new(ChannelKind::Feishu, None);
    assert_eq!(d.source_column, SourceColumn::Login);
    d.cycle_source();
    assert_eq!(d.source_column, SourceColumn::Phone);
    d.cycle_source();
    assert_eq!(d.source_column, SourceColumn::Email);
    d.cycle_source();
    assert_eq!(d.source_column, SourceColumn::Login);
}

#[test]
fn feishu_errors_use_its_field_names() {
    let mut d = ConfigureDialog::new(ChannelKind::FeishuLark, None);
    d.app_key = TextField::new("abc");
    assert!(matches!(d.request_save(), DialogRequest::None));
    assert!(d.errors.app_key.as_deref().unwrap().contains("cli_"));
    assert!(
        d.errors
            .app_secret
            .as_deref()
            .unwrap()
            .contains("App Secret")
    );
    assert_eq!(d.focus, Focus::AppKey);
}
