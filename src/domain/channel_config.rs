//! The configuration of a personal channel other than DingTalk (WeCom, Feishu, Feishu Lark),
//! as its Configure dialog or `channel configure` saves it, and its validation.

use secrecy::{ExposeSecret, SecretString};

use super::Mobile;
use super::channel::{ChannelKind, ConfigErrors, MAX_FIELD_LEN, SourceColumn, check_token_field};

/// WeCom's callback settings. Not used for sending: they let WeCom verify a receive-message
/// URL, which the admin console requires before it unlocks the Trusted IP list.
#[derive(Clone, Debug, Default)]
pub struct CallbackSettings {
    pub token: Option<SecretString>,
    pub aes_key: Option<SecretString>,
    pub url: Option<String>,
}

impl CallbackSettings {
    fn same_as(&self, o: &CallbackSettings) -> bool {
        let eq = |a: &Option<SecretString>, b: &Option<SecretString>| {
            a.as_ref().map(|s| s.expose_secret().to_string())
                == b.as_ref().map(|s| s.expose_secret().to_string())
        };
        eq(&self.token, &o.token) && eq(&self.aes_key, &o.aes_key) && self.url == o.url
    }
}

/// A WeCom, Feishu or Feishu Lark personal channel. `Debug` never prints a secret.
#[derive(Clone, Debug)]
pub struct ChannelConfig {
    pub kind: ChannelKind,
    /// Feishu/Lark App ID (`cli_…`), WeCom CorpID (`ww…`).
    pub app_id: String,
    pub secret: SecretString,
    /// WeCom AgentId (required there), `None` elsewhere.
    pub agent_id: Option<i64>,
    /// Feishu/Lark card template; WeCom: send a template card instead of markdown.
    pub template_id: Option<String>,
    pub source_column: SourceColumn,
    /// The receiver of Test Message Sending, in the source column's form (a normalised phone).
    pub receiver: Option<String>,
    pub callback: CallbackSettings,
}

impl ChannelConfig {
    /// Equality that compares the secrets too, for "has it changed" checks.
    pub fn same_as(&self, o: &ChannelConfig) -> bool {
        self.kind == o.kind
            && self.app_id == o.app_id
            && self.secret.expose_secret() == o.secret.expose_secret()
            && self.agent_id == o.agent_id
            && self.template_id == o.template_id
            && self.source_column == o.source_column
            && self.receiver == o.receiver
            && self.callback.same_as(&o.callback)
    }
}

impl ChannelConfig {
    /// Whether the saved secrets (the app's Secret, WeCom's callback Token and EncodingAESKey)
    /// belong to the app now typed: the same app id and, on WeCom, the same AgentId (each
    /// WeCom app has its own Secret). A saved secret is never reused for another app.
    pub fn secrets_apply_to(&self, app_id: &str, agent_id: &str) -> bool {
        super::stored_secret_applies(&self.app_id, app_id)
            && (self.kind != ChannelKind::WeCom
                || self.agent_id.map(|a| a.to_string()).as_deref() == Some(agent_id.trim()))
    }
}

/// Raw field values as typed, before validation.
#[derive(Clone, Debug, Default)]
pub struct ChannelFields {
    pub app_id: String,
    pub secret: String,
    pub agent_id: String,
    pub template_id: String,
    pub source_column: Option<SourceColumn>,
    pub receiver: String,
    pub callback_token: String,
    pub callback_aes_key: String,
    pub callback_url: String,
}

fn app_id_problem(kind: ChannelKind, v: &str) -> Option<String> {
    let label = kind.app_id_label();
    check_token_field(v, label, true).or_else(|| match kind {
        ChannelKind::Feishu | ChannelKind::FeishuLark if !v.trim().starts_with("cli_") => Some(
            format!("{label} starts with cli_ (the app's Credentials & Basic Info page)"),
        ),
        ChannelKind::WeCom if v.trim().chars().all(|c| c.is_ascii_digit()) => Some(
            "CorpID starts with ww (My Company → Company Info); a number is usually the AgentId"
                .into(),
        ),
        _ => None,
    })
}

/// A receiver value in the form `column` needs, normalised; or what is wrong with it.
pub fn parse_receiver(column: SourceColumn, value: &str) -> Result<String, String> {
    let v = value.trim();
    match column {
        SourceColumn::Phone => Mobile::parse(v)
            .map(|m| m.as_str().to_string())
            .map_err(|e| e.to_string()),
        SourceColumn::Email => {
            let ok = v.len() <= MAX_FIELD_LEN
                && !v.chars().any(|c| c.is_whitespace() || c.is_control())
                && v.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && host.contains('.') && !host.contains('@')
                });
            if ok {
                Ok(v.to_string())
            } else {
                Err("not an email address (name@example.com)".into())
            }
        }
        SourceColumn::Login => match check_token_field(v, "Login Name", true) {
            Some(e) => Err(e),
            None => Ok(v.to_string()),
        },
    }
}

fn optional_secret(v: &str) -> Option<SecretString> {
    let v = v.trim();
    (!v.is_empty()).then(|| SecretString::from(v.to_string()))
}

/// Validate the fields of `kind`'s Configure dialog (or `channel configure`). The receiver is
/// required for Test Message Sending only.
pub fn validate_channel(
    kind: ChannelKind,
    f: &ChannelFields,
    receiver_required: bool,
) -> Result<ChannelConfig, ConfigErrors> {
    let columns = SourceColumn::for_channel(kind);
    let source_column = f.source_column.unwrap_or(columns[0]);
    let mut errors = ConfigErrors {
        app_key: app_id_problem(kind, &f.app_id),
        app_secret: check_token_field(&f.secret, kind.secret_label(), true),
        template_id: check_token_field(&f.template_id, "Template ID", false),
        ..ConfigErrors::default()
    };
    if !columns.contains(&source_column) {
        errors.source_column = Some(format!(
            "{} offers {}",
            kind.platform(),
            columns
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let agent_id = if kind == ChannelKind::WeCom {
        match f.agent_id.trim().parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ if f.agent_id.trim().is_empty() => {
                errors.agent_id = Some("AgentId is required (the app's page shows it)".into());
                None
            }
            _ => {
                errors.agent_id = Some("AgentId is a number, e.g. 1000002".into());
                None
            }
        }
    } else {
        None
    };
    let receiver = if f.receiver.trim().is_empty() {
        if receiver_required {
            errors.receiver = Some(format!(
                "enter the {} of a {} member to send the test to",
                source_column.label(),
                kind.platform()
            ));
        }
        None
    } else {
        match parse_receiver(source_column, &f.receiver) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.receiver = Some(e);
                None
            }
        }
    };
    let url = f.callback_url.trim();
    if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
        errors.callback = Some("Callback URL must start with https://".into());
    }
    let aes = f.callback_aes_key.trim();
    if !aes.is_empty() && (aes.len() != 43 || !aes.chars().all(|c| c.is_ascii_alphanumeric())) {
        errors.callback = Some("EncodingAESKey is 43 letters and digits".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let template_id = f.template_id.trim();
    Ok(ChannelConfig {
        kind,
        app_id: f.app_id.trim().to_string(),
        secret: SecretString::from(f.secret.trim().to_string()),
        agent_id,
        template_id: (!template_id.is_empty()).then(|| template_id.to_string()),
        source_column,
        receiver,
        callback: CallbackSettings {
            token: optional_secret(&f.callback_token),
            aes_key: optional_secret(aes),
            url: (!url.is_empty()).then(|| url.to_string()),
        },
    })
}

/// Any channel's configuration: DingTalk's own, or a WeCom / Feishu / Lark one. What the
/// Configure dialog edits, tests and saves.
#[derive(Clone, Debug)]
pub enum AnyChannelConfig {
    DingTalk(super::DingTalkConfig),
    Other(ChannelConfig),
}

impl AnyChannelConfig {
    pub fn kind(&self) -> ChannelKind {
        match self {
            AnyChannelConfig::DingTalk(_) => ChannelKind::DingTalk,
            AnyChannelConfig::Other(c) => c.kind,
        }
    }

    /// Equality that compares the secrets too.
    pub fn same_as(&self, o: &AnyChannelConfig) -> bool {
        match (self, o) {
            (AnyChannelConfig::DingTalk(a), AnyChannelConfig::DingTalk(b)) => a.same_as(b),
            (AnyChannelConfig::Other(a), AnyChannelConfig::Other(b)) => a.same_as(b),
            _ => false,
        }
    }

    pub fn app_id(&self) -> &str {
        match self {
            AnyChannelConfig::DingTalk(c) => &c.app_key,
            AnyChannelConfig::Other(c) => &c.app_id,
        }
    }

    pub fn secret(&self) -> &SecretString {
        match self {
            AnyChannelConfig::DingTalk(c) => &c.app_secret,
            AnyChannelConfig::Other(c) => &c.secret,
        }
    }

    pub fn receiver_text(&self) -> Option<String> {
        match self {
            AnyChannelConfig::DingTalk(c) => c.receiver.as_ref().map(|m| m.to_string()),
            AnyChannelConfig::Other(c) => c.receiver.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(app_id: &str) -> ChannelFields {
        ChannelFields {
            app_id: app_id.into(),
            secret: "s3cret".into(),
            ..ChannelFields::default()
        }
    }

    #[test]
    fn feishu_needs_a_cli_app_id_and_defaults_to_login_name() {
        let e = validate_channel(ChannelKind::Feishu, &fields("a123"), false).unwrap_err();
        assert!(e.app_key.unwrap().contains("cli_"));
        let c = validate_channel(ChannelKind::FeishuLark, &fields("cli_a1"), false).unwrap();
        assert_eq!(c.source_column, SourceColumn::Login);
        assert_eq!(c.agent_id, None);
    }

    #[test]
    fn wecom_needs_a_numeric_agent_id_and_not_an_agent_id_as_corp_id() {
        let mut f = fields("ww123");
        let e = validate_channel(ChannelKind::WeCom, &f, false).unwrap_err();
        assert!(e.agent_id.unwrap().contains("required"));
        f.agent_id = "abc".into();
        let e = validate_channel(ChannelKind::WeCom, &f, false).unwrap_err();
        assert!(e.agent_id.unwrap().contains("number"));
        f.agent_id = "1000002".into();
        let c = validate_channel(ChannelKind::WeCom, &f, false).unwrap();
        assert_eq!(
            (c.agent_id, c.source_column),
            (Some(1000002), SourceColumn::Phone)
        );
        f.app_id = "1000002".into();
        let e = validate_channel(ChannelKind::WeCom, &f, false).unwrap_err();
        assert!(e.app_key.unwrap().contains("AgentId"));
    }

    #[test]
    fn the_receiver_follows_the_source_column() {
        let mut f = fields("cli_a");
        f.source_column = Some(SourceColumn::Email);
        f.receiver = "13800138000".into();
        let e = validate_channel(ChannelKind::Feishu, &f, true).unwrap_err();
        assert!(e.receiver.unwrap().contains("email"));
        f.receiver = " ana@example.com ".into();
        let c = validate_channel(ChannelKind::Feishu, &f, true).unwrap();
        assert_eq!(c.receiver.as_deref(), Some("ana@example.com"));
        f.source_column = Some(SourceColumn::Phone);
        f.receiver = "+86 138 0013 8000".into();
        let c = validate_channel(ChannelKind::Feishu, &f, true).unwrap();
        assert_eq!(c.receiver.as_deref(), Some("13800138000"));
        f.receiver.clear();
        let e = validate_channel(ChannelKind::Feishu, &f, true).unwrap_err();
        assert!(e.receiver.unwrap().contains("Phone of a Feishu member"));
    }

    #[test]
    fn dingtalk_columns_are_not_offered_where_they_do_not_exist() {
        let mut f = fields("cli_a");
        f.source_column = Some(SourceColumn::Login);
        assert!(validate_channel(ChannelKind::Feishu, &f, false).is_ok());
        assert_eq!(
            SourceColumn::for_channel(ChannelKind::DingTalk),
            &[SourceColumn::Phone]
        );
        assert_eq!(
            SourceColumn::from_code("Login Name"),
            Some(SourceColumn::Login)
        );
        assert_eq!(
            SourceColumn::from_code("phone number"),
            Some(SourceColumn::Phone)
        );
    }

    #[test]
    fn a_wecom_secret_belongs_to_its_corp_and_agent() {
        let mut f = fields("ww1");
        f.agent_id = "1000002".into();
        let c = validate_channel(ChannelKind::WeCom, &f, false).unwrap();
        assert!(c.secrets_apply_to("ww1", "1000002"));
        assert!(
            !c.secrets_apply_to("ww1", "1000003"),
            "another app of the corp"
        );
        assert!(!c.secrets_apply_to("ww2", "1000002"));
        let feishu = validate_channel(ChannelKind::Feishu, &fields("cli_a"), false).unwrap();
        assert!(feishu.secrets_apply_to("cli_a", ""));
        assert!(!feishu.secrets_apply_to("cli_b", ""));
    }

    #[test]
    fn debug_never_prints_secrets() {
        let mut f = fields("ww1");
        f.agent_id = "1".into();
        f.callback_token = "tok3n-value".into();
        let c = validate_channel(ChannelKind::WeCom, &f, false).unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("s3cret") && !d.contains("tok3n-value"), "{d}");
    }
}
