//! The Configure dialog's values: what it starts from, which saved secrets stand in for
//! untouched fields, and the configuration its fields build.

use secrecy::SecretString;

use super::{ConfigureDialog, Focus, TestState};
use crate::domain::{
    AnyChannelConfig, ChannelFields, ChannelKind, ConfigErrors, SourceColumn, TestRecord,
    stored_secret_applies, validate_channel, validate_dingtalk,
};
use crate::tui::field::TextField;

/// The plain (non-secret) values a dialog starts from: the stored configuration's, or empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Loaded {
    pub(super) app_key: String,
    pub(super) agent_id: String,
    pub(super) template: String,
    pub(super) source: Option<SourceColumn>,
    pub(super) receiver: String,
    pub(super) url: String,
}

pub(super) fn loaded_values(stored: Option<&AnyChannelConfig>) -> Loaded {
    match stored {
        Some(AnyChannelConfig::DingTalk(c)) => Loaded {
            app_key: c.app_key.clone(),
            template: c.template_id.clone().unwrap_or_default(),
            source: Some(c.source_column),
            receiver: c
                .receiver
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default(),
            ..Loaded::default()
        },
        Some(AnyChannelConfig::Other(c)) => Loaded {
            app_key: c.app_id.clone(),
            agent_id: c.agent_id.map(|a| a.to_string()).unwrap_or_default(),
            template: c.template_id.clone().unwrap_or_default(),
            source: Some(c.source_column),
            receiver: c.receiver.clone().unwrap_or_default(),
            url: c.callback.url.clone().unwrap_or_default(),
        },
        None => Loaded::default(),
    }
}

impl ConfigureDialog {
    fn stored_other(&self) -> Option<&crate::domain::ChannelConfig> {
        match &self.stored {
            Some(AnyChannelConfig::Other(c)) => Some(c),
            _ => None,
        }
    }

    /// Whether a saved Token / EncodingAESKey stands in for its untouched field.
    pub fn uses_stored(&self, focus: Focus) -> bool {
        let callback = self
            .stored_other()
            .filter(|c| c.secrets_apply_to(self.app_key.value(), self.agent_id.value()))
            .map(|c| &c.callback);
        match focus {
            Focus::AppSecret => self.uses_stored_secret(),
            Focus::CallbackToken => {
                !self.token_touched && callback.is_some_and(|c| c.token.is_some())
            }
            Focus::CallbackAesKey => {
                !self.aes_touched && callback.is_some_and(|c| c.aes_key.is_some())
            }
            _ => false,
        }
    }

    /// True while the stored secret stands in for the (untouched, empty) field.
    pub fn uses_stored_secret(&self) -> bool {
        !self.secret_touched && self.stored.is_some()
    }

    /// The AppKey was changed but the secret field was not: the saved secret is another app's.
    pub(super) fn keeps_secret_of_other_app(&self) -> bool {
        self.uses_stored_secret() && self.stored.as_ref().is_some_and(|s| !self.same_app_as(s))
    }

    /// Whether `stored`'s secrets belong to the app now typed (WeCom: CorpID and AgentId).
    fn same_app_as(&self, stored: &AnyChannelConfig) -> bool {
        match stored {
            AnyChannelConfig::DingTalk(c) => {
                stored_secret_applies(&c.app_key, self.app_key.value())
            }
            AnyChannelConfig::Other(c) => {
                c.secrets_apply_to(self.app_key.value(), self.agent_id.value())
            }
        }
    }

    pub(super) fn effective_secret(&self) -> SecretString {
        match (&self.stored, self.secret_touched) {
            (Some(stored), false) => stored.secret().clone(),
            _ => SecretString::from(self.app_secret.value().to_string()),
        }
    }

    /// A callback secret: the typed value, or the saved one while the field is untouched.
    fn effective_callback(&self, focus: Focus) -> String {
        use secrecy::ExposeSecret as _;
        // The saved callback secrets are the saved app's: not carried over to another app.
        let callback = self
            .stored_other()
            .filter(|c| c.secrets_apply_to(self.app_key.value(), self.agent_id.value()))
            .map(|c| &c.callback);
        let saved =
            |s: Option<&SecretString>| s.map(|s| s.expose_secret().to_string()).unwrap_or_default();
        match focus {
            Focus::CallbackToken if !self.token_touched => {
                saved(callback.and_then(|c| c.token.as_ref()))
            }
            Focus::CallbackAesKey if !self.aes_touched => {
                saved(callback.and_then(|c| c.aes_key.as_ref()))
            }
            Focus::CallbackToken => self.callback_token.value().to_string(),
            Focus::CallbackAesKey => self.callback_aes_key.value().to_string(),
            _ => String::new(),
        }
    }

    /// The outcome of the last finished test, if it tested exactly `config`.
    pub fn test_of(&self, config: &AnyChannelConfig) -> Option<TestRecord> {
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
        let v = loaded_values(self.stored.as_ref());
        let source = v.source.unwrap_or(SourceColumn::for_channel(self.kind)[0]);
        let touched = |t: bool, f: &TextField| t && (!f.is_empty() || self.stored.is_some());
        self.app_key.value() != v.app_key
            || self.agent_id.value() != v.agent_id
            || self.template_id.value() != v.template
            || self.source_column != source
            || self.receiver.value() != v.receiver
            || self.callback_url.value() != v.url
            || touched(self.secret_touched, &self.app_secret)
            || touched(self.token_touched, &self.callback_token)
            || touched(self.aes_touched, &self.callback_aes_key)
    }

    pub(super) fn build(&self, for_test: bool) -> Result<AnyChannelConfig, ConfigErrors> {
        if self.kind == ChannelKind::DingTalk {
            return validate_dingtalk(
                self.app_key.value(),
                &self.effective_secret(),
                self.template_id.value(),
                self.source_column,
                self.receiver.value(),
                for_test,
            )
            .map(AnyChannelConfig::DingTalk);
        }
        use secrecy::ExposeSecret as _;
        let fields = ChannelFields {
            app_id: self.app_key.value().to_string(),
            secret: self.effective_secret().expose_secret().to_string(),
            agent_id: self.agent_id.value().to_string(),
            // WeCom's dialog has no Template ID: keep what the CLI saved.
            template_id: match (self.kind, self.stored_other()) {
                (ChannelKind::WeCom, Some(c)) => c.template_id.clone().unwrap_or_default(),
                (ChannelKind::WeCom, None) => String::new(),
                _ => self.template_id.value().to_string(),
            },
            source_column: Some(self.source_column),
            receiver: self.receiver.value().to_string(),
            callback_token: self.effective_callback(Focus::CallbackToken),
            callback_aes_key: self.effective_callback(Focus::CallbackAesKey),
            callback_url: self.callback_url.value().to_string(),
        };
        validate_channel(self.kind, &fields, for_test).map(AnyChannelConfig::Other)
    }
}
