//! Unit tests of `configure`, kept beside it so the module stays short.

use super::*;
use crate::domain::Mobile;
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
    let mut d = ConfigureDialog::new(Some(stored()));
    assert!(!d.is_dirty());
    match d.request_save() {
        DialogRequest::Save(cfg) => assert_eq!(cfg.app_secret.expose_secret(), "stored-secret"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn arrow_keys_do_not_discard_stored_secret() {
    let mut d = ConfigureDialog::new(Some(stored()));
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
    let mut d = ConfigureDialog::new(None);
    d.focus = Focus::Ok;
    assert!(matches!(d.request_save(), DialogRequest::None));
    assert!(d.errors.app_key.is_some());
    assert!(d.errors.app_secret.is_some());
    assert_eq!(d.focus, Focus::AppKey);
}

#[test]
fn test_requires_receiver() {
    let mut d = ConfigureDialog::new(None);
    d.app_key.paste("k");
    d.focus = Focus::AppSecret;
    d.paste("s\n");
    assert!(matches!(d.request_test(), DialogRequest::None));
    assert!(d.errors.receiver.is_some());
    assert_eq!(d.focus, Focus::Receiver);
}

#[test]
fn escape_cancels_running_test_before_closing() {
    let mut d = ConfigureDialog::new(None);
    d.test = TestState::Sending { seq: 7 };
    assert!(matches!(d.escape(), DialogRequest::CancelTest(7)));
    assert_eq!(d.test, TestState::Cancelled);
    assert!(matches!(d.escape(), DialogRequest::Close { dirty: false }));
}

#[test]
fn focus_ring_wraps() {
    let mut d = ConfigureDialog::new(None);
    d.prev_field();
    assert_eq!(d.focus, Focus::Cancel);
    d.next_field();
    assert_eq!(d.focus, Focus::AppKey);
}
