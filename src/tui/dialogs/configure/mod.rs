//! The Configure dialog of every personal-channel card (DingTalk, WeCom, Feishu, Feishu Lark),
//! in the console's words for each: its state here, its keys in `keys`, its drawing in `draw`.

mod draw;
mod keys;
mod values;

use values::loaded_values;

use crossterm::event::KeyEvent;
#[cfg(test)]
use secrecy::{ExposeSecret, SecretString};

use crate::domain::{
    AnyChannelConfig, ChannelKind, ConfigErrors, STORED_SECRET_OTHER_APP, SourceColumn, TestRecord,
};
#[cfg(test)]
use crate::domain::{ChannelFields, validate_channel};
use crate::tui::field::TextField;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    AppKey,
    AgentId,
    AppSecret,
    TemplateId,
    SourceColumn,
    Receiver,
    CallbackToken,
    CallbackAesKey,
    CallbackUrl,
    TestButton,
    Ok,
    Cancel,
}

impl Focus {
    /// The fields of `kind`'s dialog, in the console's order, then the buttons.
    pub fn ring(kind: ChannelKind) -> &'static [Focus] {
        use Focus::*;
        match kind {
            ChannelKind::DingTalk | ChannelKind::Feishu | ChannelKind::FeishuLark => &[
                AppKey,
                AppSecret,
                TemplateId,
                SourceColumn,
                Receiver,
                TestButton,
                Ok,
                Cancel,
            ],
            ChannelKind::WeCom => &[
                AppKey,
                AgentId,
                AppSecret,
                SourceColumn,
                Receiver,
                CallbackToken,
                CallbackAesKey,
                CallbackUrl,
                TestButton,
                Ok,
                Cancel,
            ],
        }
    }

    pub fn is_text(self) -> bool {
        !matches!(
            self,
            Focus::SourceColumn | Focus::TestButton | Focus::Ok | Focus::Cancel
        )
    }

    /// Masked fields: never shown unless revealed, a saved value is kept until typed over.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Focus::AppSecret | Focus::CallbackToken | Focus::CallbackAesKey
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
    Test(AnyChannelConfig),
    CancelTest(u64),
    Save(AnyChannelConfig),
    /// Close; `dirty` asks for confirmation first.
    Close {
        dirty: bool,
    },
}

#[derive(Debug)]
pub struct ConfigureDialog {
    pub kind: ChannelKind,
    pub focus: Focus,
    pub app_key: TextField,
    pub app_secret: TextField,
    /// WeCom only.
    pub agent_id: TextField,
    pub template_id: TextField,
    pub source_column: SourceColumn,
    pub receiver: TextField,
    /// WeCom only: Token, EncodingAESKey (masked) and Callback URL.
    pub callback_token: TextField,
    pub callback_aes_key: TextField,
    pub callback_url: TextField,
    /// The stored configuration, if any: its secrets are used while their fields are untouched.
    pub stored: Option<AnyChannelConfig>,
    pub secret_touched: bool,
    pub token_touched: bool,
    pub aes_touched: bool,
    pub reveal: bool,
    pub errors: ConfigErrors,
    pub test: TestState,
    /// The values of the running test.
    pub testing: Option<AnyChannelConfig>,
    /// The last finished test: its values and outcome. OK saves the outcome with the values
    /// only if they are still exactly these.
    pub tested: Option<(AnyChannelConfig, TestRecord)>,
    pub saving: bool,
    /// One-line notice (paste truncated, save failed …).
    pub notice: Option<String>,
}

impl ConfigureDialog {
    pub fn new(kind: ChannelKind, stored: Option<AnyChannelConfig>) -> ConfigureDialog {
        let v = loaded_values(stored.as_ref());
        ConfigureDialog {
            kind,
            focus: Focus::AppKey,
            app_key: TextField::new(&v.app_key),
            app_secret: TextField::masked(),
            agent_id: TextField::new(&v.agent_id),
            template_id: TextField::new(&v.template),
            source_column: v.source.unwrap_or(SourceColumn::for_channel(kind)[0]),
            receiver: TextField::new(&v.receiver),
            callback_token: TextField::masked(),
            callback_aes_key: TextField::masked(),
            callback_url: TextField::new(&v.url),
            stored,
            secret_touched: false,
            token_touched: false,
            aes_touched: false,
            reveal: false,
            errors: ConfigErrors::default(),
            test: TestState::Idle,
            testing: None,
            tested: None,
            saving: false,
            notice: None,
        }
    }

    /// [`ConfigureDialog::title`] in `lang`.
    pub fn title_in(&self, lang: crate::i18n::Lang) -> String {
        lang.tr(&format!("configure.title.{}", self.kind.code()))
            .to_string()
    }

    /// The dialog's title, in the console's words.
    pub fn title(&self) -> String {
        match self.kind {
            ChannelKind::DingTalk => " Configure DingTalk Message Channel ".into(),
            ChannelKind::WeCom => " Configure WeCom Message Channel ".into(),
            ChannelKind::Feishu => " Configure Feishu Message Channel ".into(),
            ChannelKind::FeishuLark => " Configure Feishu Lark Message Channel ".into(),
        }
    }

    fn validate(&mut self, for_test: bool) -> Option<AnyChannelConfig> {
        match self.build(for_test) {
            Ok(_) if self.keeps_secret_of_other_app() => {
                self.errors = ConfigErrors {
                    app_secret: Some(format!(
                        "{}: type the new app's {}",
                        STORED_SECRET_OTHER_APP
                            .replace("AppKey", self.kind.app_id_label())
                            .replace("AppSecret", self.kind.secret_label()),
                        self.kind.secret_label()
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
        } else if e.agent_id.is_some() {
            Focus::AgentId
        } else if e.app_secret.is_some() {
            Focus::AppSecret
        } else if e.template_id.is_some() {
            Focus::TemplateId
        } else if e.receiver.is_some() {
            Focus::Receiver
        } else if e.callback.is_some() {
            Focus::CallbackToken
        } else {
            self.focus
        };
    }

    pub fn focused_field(&mut self) -> Option<&mut TextField> {
        match self.focus {
            Focus::AppKey => Some(&mut self.app_key),
            Focus::AgentId => Some(&mut self.agent_id),
            Focus::AppSecret => Some(&mut self.app_secret),
            Focus::TemplateId => Some(&mut self.template_id),
            Focus::Receiver => Some(&mut self.receiver),
            Focus::CallbackToken => Some(&mut self.callback_token),
            Focus::CallbackAesKey => Some(&mut self.callback_aes_key),
            Focus::CallbackUrl => Some(&mut self.callback_url),
            _ => None,
        }
    }

    pub fn next_field(&mut self) {
        self.focus = crate::tui::focus::step(Focus::ring(self.kind), self.focus, true);
    }

    pub fn prev_field(&mut self) {
        self.focus = crate::tui::focus::step(Focus::ring(self.kind), self.focus, false);
    }

    pub fn cycle_source(&mut self) {
        self.step_source(1);
    }

    pub fn cycle_source_back(&mut self) {
        let n = SourceColumn::for_channel(self.kind).len();
        self.step_source(n - 1);
    }

    /// Move the Source Column `by` places forward, round the platform's columns.
    fn step_source(&mut self, by: usize) {
        let all = SourceColumn::for_channel(self.kind);
        let i = all
            .iter()
            .position(|s| *s == self.source_column)
            .unwrap_or(0);
        self.source_column = all[(i + by) % all.len()];
        if all.len() == 1 {
            self.notice = Some("Phone is the only Source Column DingTalk supports".into());
        } else {
            // The receiver is in the old column's form.
            self.errors.receiver = None;
        }
    }

    /// Editing a masked field for the first time replaces the stored value rather than
    /// appending to it.
    fn touch_secret(&mut self) {
        let (touched, field) = match self.focus {
            Focus::AppSecret => (&mut self.secret_touched, &mut self.app_secret),
            Focus::CallbackToken => (&mut self.token_touched, &mut self.callback_token),
            Focus::CallbackAesKey => (&mut self.aes_touched, &mut self.callback_aes_key),
            _ => return,
        };
        if !*touched {
            *touched = true;
            field.clear();
        }
    }

    /// An editing key for the focused text field. Returns true if anything changed.
    pub fn edit(&mut self, key: &KeyEvent) -> bool {
        if !self.focus.is_text() {
            return false;
        }
        if self.focus.is_secret() {
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
        if self.focus.is_secret() {
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
            Focus::AgentId => self.errors.agent_id = None,
            Focus::CallbackToken | Focus::CallbackAesKey | Focus::CallbackUrl => {
                self.errors.callback = None
            }
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
