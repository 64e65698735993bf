//! The "Configure DingTalk Message Channel" dialog: its state here, its keys in `keys`, its
//! drawing in `draw`.

mod draw;
mod keys;

use crossterm::event::KeyEvent;
#[cfg(test)]
use secrecy::ExposeSecret;
use secrecy::SecretString;

use crate::domain::{
    ConfigErrors, DingTalkConfig, STORED_SECRET_OTHER_APP, SourceColumn, TestRecord,
    stored_secret_applies, validate_dingtalk,
};
use crate::tui::field::TextField;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    AppKey,
    AppSecret,
    TemplateId,
    SourceColumn,
    Receiver,
    TestButton,
    Ok,
    Cancel,
}

impl Focus {
    const RING: [Focus; 8] = [
        Focus::AppKey,
        Focus::AppSecret,
        Focus::TemplateId,
        Focus::SourceColumn,
        Focus::Receiver,
        Focus::TestButton,
        Focus::Ok,
        Focus::Cancel,
    ];

    fn step(self, forward: bool) -> Focus {
        crate::tui::focus::step(&Focus::RING, self, forward)
    }

    pub fn is_text(self) -> bool {
        matches!(
            self,
            Focus::AppKey | Focus::AppSecret | Focus::TemplateId | Focus::Receiver
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestState {
    Idle,
    Sending { seq: u64 },
    Succeeded { at: i64, detail: Option<String> },
    Failed { message: String },
    Cancelled,
}

/// What the dialog asks the App to do after a key.
#[derive(Debug)]
pub enum DialogRequest {
    None,
    Test(DingTalkConfig),
    CancelTest(u64),
    Save(DingTalkConfig),
    /// Close; `dirty` asks for confirmation first.
    Close {
        dirty: bool,
    },
}

#[derive(Debug)]
pub struct ConfigureDialog {
    pub focus: Focus,
    pub app_key: TextField,
    pub app_secret: TextField,
    pub template_id: TextField,
    pub source_column: SourceColumn,
    pub receiver: TextField,
    /// The stored configuration, if any: its secret is used while the field is untouched.
    pub stored: Option<DingTalkConfig>,
    pub secret_touched: bool,
    pub reveal: bool,
    pub errors: ConfigErrors,
    pub test: TestState,
    /// The values of the running test.
    pub testing: Option<DingTalkConfig>,
    /// The last finished test: its values and outcome. OK saves the outcome with the values
    /// only if they are still exactly these.
    pub tested: Option<(DingTalkConfig, TestRecord)>,
    pub saving: bool,
    /// One-line notice (paste truncated, save failed …).
    pub notice: Option<String>,
}

/// The field values a dialog starts from: the stored configuration's, or empty ones.
fn loaded_values(stored: Option<&DingTalkConfig>) -> (String, String, SourceColumn, String) {
    match stored {
        Some(c) => (
            c.app_key.clone(),
            c.template_id.clone().unwrap_or_default(),
            c.source_column,
            c.receiver
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default(),
        ),
        None => Default::default(),
    }
}

impl ConfigureDialog {
    pub fn new(stored: Option<DingTalkConfig>) -> ConfigureDialog {
        let (key, template, source, receiver) = loaded_values(stored.as_ref());
        ConfigureDialog {
            focus: Focus::AppKey,
            app_key: TextField::new(&key),
            app_secret: TextField::masked(),
            template_id: TextField::new(&template),
            source_column: source,
            receiver: TextField::new(&receiver),
            stored,
            secret_touched: false,
            reveal: false,
            errors: ConfigErrors::default(),
            test: TestState::Idle,
            testing: None,
            tested: None,
            saving: false,
            notice: None,
        }
    }

    /// True while the stored secret stands in for the (untouched, empty) field.
    pub fn uses_stored_secret(&self) -> bool {
        !self.secret_touched && self.stored.is_some()
    }

    /// The AppKey was changed but the secret field was not: the saved secret is another app's.
    fn keeps_secret_of_other_app(&self) -> bool {
        self.uses_stored_secret()
            && self
                .stored
                .as_ref()
                .is_some_and(|s| !stored_secret_applies(&s.app_key, self.app_key.value()))
    }

    fn effective_secret(&self) -> SecretString {
        match (&self.stored, self.secret_touched) {
            (Some(stored), false) => stored.app_secret.clone(),
            _ => SecretString::from(self.app_secret.value().to_string()),
        }
    }

    /// The outcome of the last finished test, if it tested exactly `config`.
    pub fn test_of(&self, config: &DingTalkConfig) -> Option<TestRecord> {
        self.tested
            .as_ref()
            .filter(|(tested, _)| tested.same_as(config))
            .map(|(_, record)| record.clone())
    }

    pub fn is_sending(&self) -> bool {
        matches!(self.test, TestState::Sending { .. })
    }

    /// Whether anything differs from what was loaded.
    pub fn is_dirty(&self) -> bool {
        let (key, template, source, receiver) = loaded_values(self.stored.as_ref());
        self.app_key.value() != key
            || self.template_id.value() != template
            || self.source_column != source
            || self.receiver.value() != receiver
            || (self.secret_touched && !self.app_secret.is_empty())
            || (self.secret_touched && self.stored.is_some())
    }

    fn validate(&mut self, for_test: bool) -> Option<DingTalkConfig> {
        match validate_dingtalk(
            self.app_key.value(),
            &self.effective_secret(),
            self.template_id.value(),
            self.source_column,
            self.receiver.value(),
            for_test,
        ) {
            Ok(_) if self.keeps_secret_of_other_app() => {
                self.errors = ConfigErrors {
                    app_secret: Some(format!(
                        "{STORED_SECRET_OTHER_APP}: type the new app's AppSecret"
                    )),
                    ..ConfigErrors::default()
                };
                self.focus_first_error();
                None
            }
            Ok(cfg) => {
                self.errors = ConfigErrors::default();
                Some(cfg)
            }
            Err(errors) => {
                self.errors = errors;
                self.focus_first_error();
                None
            }
        }
    }

    fn focus_first_error(&mut self) {
        let e = &self.errors;
        self.focus = if e.app_key.is_some() {
            Focus::AppKey
        } else if e.app_secret.is_some() {
            Focus::AppSecret
        } else if e.template_id.is_some() {
            Focus::TemplateId
        } else if e.receiver.is_some() {
            Focus::Receiver
        } else {
            self.focus
        };
    }

    pub fn focused_field(&mut self) -> Option<&mut TextField> {
        match self.focus {
            Focus::AppKey => Some(&mut self.app_key),
            Focus::AppSecret => Some(&mut self.app_secret),
            Focus::TemplateId => Some(&mut self.template_id),
            Focus::Receiver => Some(&mut self.receiver),
            _ => None,
        }
    }

    pub fn next_field(&mut self) {
        self.focus = self.focus.step(true);
    }

    pub fn prev_field(&mut self) {
        self.focus = self.focus.step(false);
    }

    pub fn cycle_source(&mut self) {
        let all = SourceColumn::ALL;
        let i = all
            .iter()
            .position(|s| *s == self.source_column)
            .unwrap_or(0);
        self.source_column = all[(i + 1) % all.len()];
        if all.len() == 1 {
            self.notice = Some("Phone is the only Source Column DingTalk supports".into());
        }
    }

    /// Editing the secret for the first time replaces the stored one rather than appending to it.
    fn touch_secret(&mut self) {
        if !self.secret_touched {
            self.secret_touched = true;
            self.app_secret.clear();
        }
    }

    /// An editing key for the focused text field. Returns true if anything changed.
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        if !self.focus.is_text() {
            return false;
        }
        if self.focus == Focus::AppSecret {
            // Only keys that would change the value discard the stored secret.
            if !crate::tui::field::changes_value(key) {
                return false;
            }
            self.touch_secret();
        }
        let changed = self.focused_field().is_some_and(|f| f.handle_key(key));
        if changed {
            self.clear_error_of_focus();
        }
        changed
    }

    pub fn paste(&mut self, text: &str) {
        if !self.focus.is_text() {
            self.notice = Some("Move to a text field to paste".into());
            return;
        }
        if self.focus == Focus::AppSecret {
            self.touch_secret();
        }
        let Some(field) = self.focused_field() else {
            return;
        };
        self.notice = field.paste(text).notice();
        self.clear_error_of_focus();
    }

    fn clear_error_of_focus(&mut self) {
        match self.focus {
            Focus::AppKey => self.errors.app_key = None,
            Focus::AppSecret => self.errors.app_secret = None,
            Focus::TemplateId => self.errors.template_id = None,
            Focus::Receiver => self.errors.receiver = None,
            _ => {}
        }
    }

    pub fn request_test(&mut self) -> DialogRequest {
        if self.is_sending() {
            return DialogRequest::None;
        }
        match self.validate(true) {
            Some(cfg) => DialogRequest::Test(cfg),
            None => {
                self.test = TestState::Idle;
                DialogRequest::None
            }
        }
    }

    pub fn request_save(&mut self) -> DialogRequest {
        if self.saving {
            return DialogRequest::None;
        }
        match self.validate(false) {
            Some(cfg) => DialogRequest::Save(cfg),
            None => DialogRequest::None,
        }
    }

    /// Enter: move on from a field, press a button.
    pub fn activate(&mut self) -> DialogRequest {
        match self.focus {
            Focus::TestButton => self.request_test(),
            Focus::Ok => self.request_save(),
            Focus::Cancel => DialogRequest::Close {
                dirty: self.is_dirty(),
            },
            Focus::SourceColumn => {
                self.next_field();
                DialogRequest::None
            }
            _ => {
                self.next_field();
                DialogRequest::None
            }
        }
    }

    /// Esc: cancel a running test first, otherwise close.
    pub fn escape(&mut self) -> DialogRequest {
        if let TestState::Sending { seq } = self.test {
            self.test = TestState::Cancelled;
            self.testing = None;
            return DialogRequest::CancelTest(seq);
        }
        DialogRequest::Close {
            dirty: self.is_dirty(),
        }
    }

    #[cfg(test)]
    pub fn secret_for_test(&self) -> String {
        self.effective_secret().expose_secret().to_string()
    }
}

#[cfg(test)]
mod tests;
