//! Channel configuration types: the cards, their fields, validation and test results.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::Mobile;

/// What the UI shows instead of a stored secret. Fixed width so the length never leaks.
pub const SECRET_MASK: &str = "••••••••";

/// The channel cards shown on the Channel Management tab, in display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    #[serde(rename = "dingtalk")]
    DingTalk,
    #[serde(rename = "wecom")]
    WeCom,
    Feishu,
    FeishuLark,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::DingTalk,
        ChannelKind::WeCom,
        ChannelKind::Feishu,
        ChannelKind::FeishuLark,
    ];

    /// Stable code used in the database, the CLI and JSON output.
    pub fn code(self) -> &'static str {
        match self {
            ChannelKind::DingTalk => "dingtalk",
            ChannelKind::WeCom => "wecom",
            ChannelKind::Feishu => "feishu",
            ChannelKind::FeishuLark => "feishu_lark",
        }
    }

    pub fn from_code(code: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The CLI's names: `dingtalk`, `wecom`, `feishu`, `lark` (also `feishu_lark`).
    pub fn from_cli(name: &str) -> Option<ChannelKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "lark" | "feishu-lark" => Some(ChannelKind::FeishuLark),
            other => ChannelKind::from_code(other),
        }
    }

    /// The CLI's name of the channel (the inverse of [`ChannelKind::from_cli`]).
    pub fn cli_name(self) -> &'static str {
        match self {
            ChannelKind::FeishuLark => "lark",
            other => other.code(),
        }
    }

    /// Card title, as the console names it.
    pub fn title(self) -> &'static str {
        match self {
            ChannelKind::DingTalk => "DingTalk personal channel",
            ChannelKind::WeCom => "WeCom personal channel",
            ChannelKind::Feishu => "Feishu personal channel",
            ChannelKind::FeishuLark => "Feishu Lark personal channel",
        }
    }

    /// Every card works (kept so the JSON output's `supported` field stays meaningful).
    pub fn is_supported(self) -> bool {
        true
    }

    /// The console's name of the app identifier field.
    pub fn app_id_label(self) -> &'static str {
        match self {
            ChannelKind::DingTalk => "AppKey",
            ChannelKind::WeCom => "CorpID",
            ChannelKind::Feishu | ChannelKind::FeishuLark => "App ID",
        }
    }

    /// The console's name of the secret field.
    pub fn secret_label(self) -> &'static str {
        match self {
            ChannelKind::DingTalk => "AppSecret",
            ChannelKind::WeCom => "Secret",
            ChannelKind::Feishu | ChannelKind::FeishuLark => "App Secret",
        }
    }

    /// Short platform name for messages ("DingTalk", "WeCom", "Feishu", "Lark").
    pub fn platform(self) -> &'static str {
        match self {
            ChannelKind::DingTalk => "DingTalk",
            ChannelKind::WeCom => "WeCom",
            ChannelKind::Feishu => "Feishu",
            ChannelKind::FeishuLark => "Lark",
        }
    }
}

/// Which member attribute identifies the receiver on the platform (the console's "Source
/// Column"). DingTalk offers Phone; WeCom Phone, Email and Login Name (= the WeCom userid);
/// Feishu and Lark Login Name (= the tenant user_id), Phone Number and Email.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceColumn {
    #[default]
    Phone,
    Email,
    Login,
}

impl SourceColumn {
    pub const ALL: [SourceColumn; 3] = [
        SourceColumn::Phone,
        SourceColumn::Email,
        SourceColumn::Login,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SourceColumn::Phone => "phone",
            SourceColumn::Email => "email",
            SourceColumn::Login => "login",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceColumn::Phone => "Phone",
            SourceColumn::Email => "Email",
            SourceColumn::Login => "Login Name",
        }
    }

    /// The columns a channel offers, in the console's order; the first is the default.
    pub fn for_channel(kind: ChannelKind) -> &'static [SourceColumn] {
        match kind {
            ChannelKind::DingTalk => &[SourceColumn::Phone],
            ChannelKind::WeCom => &[
                SourceColumn::Phone,
                SourceColumn::Email,
                SourceColumn::Login,
            ],
            ChannelKind::Feishu | ChannelKind::FeishuLark => &[
                SourceColumn::Login,
                SourceColumn::Phone,
                SourceColumn::Email,
            ],
        }
    }

    /// Accepts the code or the label, case-insensitively ("phone", "Login Name", "login_name").
    pub fn from_code(code: &str) -> Option<SourceColumn> {
        let code = code.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        SourceColumn::ALL.into_iter().find(|c| {
            c.code() == code
                || c.label().eq_ignore_ascii_case(&code)
                || (matches!(c, SourceColumn::Phone) && code == "phone number")
        })
    }
}

/// The DingTalk personal channel as configured in the Configure dialog.
/// `Debug` never prints the secret (secrecy redacts it).
#[derive(Clone, Debug)]
pub struct DingTalkConfig {
    pub app_key: String,
    pub app_secret: SecretString,
    /// Interactive card template id; empty means a plain robot markdown message.
    pub template_id: Option<String>,
    pub source_column: SourceColumn,
    /// The member that Test Message Sending goes to.
    pub receiver: Option<Mobile>,
}

impl DingTalkConfig {
    /// Equality that compares the secret too, for "has the dialog changed" checks.
    pub fn same_as(&self, other: &DingTalkConfig) -> bool {
        self.app_key == other.app_key
            && self.app_secret.expose_secret() == other.app_secret.expose_secret()
            && self.template_id == other.template_id
            && self.source_column == other.source_column
            && self.receiver == other.receiver
    }
}

/// Field-level validation problems of a channel configuration, shown next to each field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigErrors {
    pub app_key: Option<String>,
    pub app_secret: Option<String>,
    pub template_id: Option<String>,
    pub receiver: Option<String>,
    /// WeCom only.
    pub agent_id: Option<String>,
    pub source_column: Option<String>,
    /// WeCom callback settings (Token, EncodingAESKey, Callback URL).
    pub callback: Option<String>,
}

impl ConfigErrors {
    pub fn is_empty(&self) -> bool {
        self.app_key.is_none()
            && self.app_secret.is_none()
            && self.template_id.is_none()
            && self.receiver.is_none()
            && self.agent_id.is_none()
            && self.source_column.is_none()
            && self.callback.is_none()
    }

    /// One line listing every problem, for the CLI.
    pub fn summary(&self) -> String {
        [
            ("AppKey", &self.app_key),
            ("AppSecret", &self.app_secret),
            ("Template ID", &self.template_id),
            ("Receiver Info", &self.receiver),
            ("AgentId", &self.agent_id),
            ("Source Column", &self.source_column),
            ("Callback", &self.callback),
        ]
        .iter()
        .filter_map(|(name, e)| e.as_ref().map(|e| format!("{name}: {e}")))
        .collect::<Vec<_>>()
        .join("; ")
    }
}

pub(crate) const MAX_FIELD_LEN: usize = 256;

pub(crate) fn check_token_field(value: &str, name: &str, required: bool) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return required.then(|| format!("{name} is required"));
    }
    if v.len() > MAX_FIELD_LEN {
        return Some(format!(
            "{name} is too long (max {MAX_FIELD_LEN} characters)"
        ));
    }
    if v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some(format!(
            "{name} must not contain spaces or control characters"
        ));
    }
    None
}

/// A saved AppSecret belongs to the saved AppKey's app and is never reused for another AppKey
/// (the CLI and the TUI apply this one rule, with this message and their own way to fix it).
pub const STORED_SECRET_OTHER_APP: &str =
    "the AppKey changed, so the saved AppSecret no longer applies";

/// Whether the saved secret of `stored_key` may be kept for `new_key`.
pub fn stored_secret_applies(stored_key: &str, new_key: &str) -> bool {
    stored_key.trim() == new_key.trim()
}

/// Validate raw field values (as typed) and build a config, or say what is wrong with each field.
/// `receiver_required` is true for Test Message Sending, false for saving.
pub fn validate_dingtalk(
    app_key: &str,
    app_secret: &SecretString,
    template_id: &str,
    source_column: SourceColumn,
    receiver: &str,
    receiver_required: bool,
) -> Result<DingTalkConfig, ConfigErrors> {
    let mut errors = ConfigErrors {
        app_key: check_token_field(app_key, "AppKey", true),
        app_secret: check_token_field(app_secret.expose_secret(), "AppSecret", true),
        template_id: check_token_field(template_id, "Template ID", false),
        ..ConfigErrors::default()
    };
    let receiver = if receiver.trim().is_empty() {
        if receiver_required {
            errors.receiver =
                Some("enter the phone of a DingTalk member to send the test to".into());
        }
        None
    } else {
        match Mobile::parse(receiver) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.receiver = Some(e.to_string());
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let template_id = template_id.trim();
    Ok(DingTalkConfig {
        app_key: app_key.trim().to_string(),
        app_secret: SecretString::from(app_secret.expose_secret().trim().to_string()),
        template_id: (!template_id.is_empty()).then(|| template_id.to_string()),
        source_column,
        receiver,
    })
}

/// The outcome of the last Test Message Sending, kept per channel and shown on its card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestRecord {
    /// Unix time in seconds.
    pub at: i64,
    pub ok: bool,
    /// "Successful" or the mapped error (code, meaning, fix); never contains a secret.
    pub summary: String,
}

/// What the Channel Management tab and `channel list` show for one card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelSummary {
    pub kind: ChannelKind,
    pub supported: bool,
    pub configured: bool,
    /// AppKey / App ID / CorpID.
    pub app_key: Option<String>,
    /// WeCom AgentId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<i64>,
    pub template_id: Option<String>,
    pub source_column: Option<SourceColumn>,
    pub receiver: Option<String>,
    /// Unix seconds of the last save.
    pub updated_at: Option<i64>,
    pub last_test: Option<TestRecord>,
}

impl ChannelSummary {
    pub fn unconfigured(kind: ChannelKind) -> ChannelSummary {
        ChannelSummary {
            kind,
            supported: kind.is_supported(),
            configured: false,
            app_key: None,
            agent_id: None,
            template_id: None,
            source_column: None,
            receiver: None,
            updated_at: None,
            last_test: None,
        }
    }

    /// "Unconfigured" or "Configured: <AppKey>", as the console's card reads.
    pub fn status_text(&self) -> String {
        match (&self.app_key, self.configured) {
            (Some(key), true) => format!("Configured: {key}"),
            _ => "Unconfigured".to_string(),
        }
    }
}
