//! Plain domain types shared by the store, the DingTalk client, the CLI and the TUI.
//! Nothing here does I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

pub mod catalogue;
pub mod channel;
pub mod channel_config;
pub mod member;
pub mod member_table;
pub mod subscription;

pub use channel::*;
pub use channel_config::{
    AnyChannelConfig, CallbackSettings, ChannelConfig, ChannelFields, parse_receiver,
    validate_channel,
};

/// A mobile number normalised the way DingTalk's `getbymobile` expects it.
///
/// Mainland China numbers (the only format DingTalk documents) are stored as 11 digits; a
/// `+86` / `0086` / `86` prefix is accepted. Other countries are stored as
/// `+<country code>-<national number>` (contract §3 "Mobile format"), e.g. `+852-91234567`,
/// 7 to 15 digits in total. Spaces (including Unicode ones such as U+00A0 and U+3000),
/// dashes, dots and parentheses are separators.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number may contain only digits, spaces, dashes and a leading +")]
    InvalidCharacters,
    #[error(
        "not a valid mobile number: expected 11 digits starting with 1 (e.g. 138 0013 8000), optionally with +86, or +<country code> <number> (7 to 15 digits in all)"
    )]
    InvalidFormat,
}

/// E.164: at most 15 digits including the country code; 7 is the shortest in use.
const INTERNATIONAL_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

impl Mobile {
    pub fn parse(input: &str) -> Result<Mobile, MobileError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(MobileError::Empty);
        }
        let mut plus = false;
        let mut digits = String::with_capacity(trimmed.len());
        for (i, ch) in trimmed.chars().enumerate() {
            match ch {
                '0'..='9' => digits.push(ch),
                '+' if i == 0 => plus = true,
                c if is_separator(c) => {}
                _ => return Err(MobileError::InvalidCharacters),
            }
        }
        if plus {
            return Mobile::international(&digits);
        }
        let national = if let Some(rest) = digits.strip_prefix("0086") {
            rest
        } else if digits.len() == 13 {
            digits.strip_prefix("86").unwrap_or(&digits)
        } else {
            &digits
        };
        if is_cn_mobile(national) {
            Ok(Mobile(national.to_string()))
        } else {
            Err(MobileError::InvalidFormat)
        }
    }

    /// `+` and digits: `+86` must be a mainland mobile (stored bare), any other assigned
    /// country code becomes `+<code>-<national>`.
    fn international(digits: &str) -> Result<Mobile, MobileError> {
        if !INTERNATIONAL_DIGITS.contains(&digits.len()) {
            return Err(MobileError::InvalidFormat);
        }
        match crate::phone_cc::split(digits) {
            Some(("86", national)) if is_cn_mobile(national) => Ok(Mobile(national.to_string())),
            Some(("86", _)) | None => Err(MobileError::InvalidFormat),
            Some((_, "")) => Err(MobileError::InvalidFormat),
            Some((cc, national)) => Ok(Mobile(format!("+{cc}-{national}"))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****8000` / `+852-****4567`: enough to recognise a number in logs without
    /// printing it whole.
    pub fn masked(&self) -> String {
        if let Some((cc, national)) = self.0.split_once('-') {
            let tail = if national.len() >= 7 {
                &national[national.len() - 4..]
            } else {
                ""
            };
            return format!("{cc}-****{tail}");
        }
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 7 {
            return "*".repeat(chars.len());
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    }
}

/// What people type between digit groups: ASCII space, dash, dot, parentheses, and any
/// Unicode space (no-break U+00A0, figure U+2007, narrow no-break U+202F, ideographic U+3000…).
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')') || (c.is_whitespace() && !c.is_control())
}

fn is_cn_mobile(n: &str) -> bool {
    n.len() == 11 && n.starts_with('1') && matches!(n.as_bytes()[1], b'3'..=b'9')
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Mobile {
    type Error = MobileError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Mobile::parse(&value)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}
/// and the bidi embedding/override/isolate controls.
/// Characters that could drive a terminal or reorder text when shown: C0/C1 controls, DEL,
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Replace control characters (from the network or the DB) so they cannot drive the terminal.
pub fn sanitize_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if is_unsafe_char(c) && c != '\n' {
                '�'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::{ExposeSecret, SecretString};

    #[test]
    fn mobile_normalisation() {
        for ok in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "008613800138000",
            "8613800138000",
            "(138) 0013-8000",
        ] {
            assert_eq!(Mobile::parse(ok).unwrap().as_str(), "13800138000", "{ok}");
        }
        assert_eq!(
            Mobile::parse("+852 9123 4567").unwrap().as_str(),
            "+852-91234567"
        );
        assert_eq!(Mobile::parse(""), Err(MobileError::Empty));
        assert_eq!(Mobile::parse("  "), Err(MobileError::Empty));
        assert_eq!(
            Mobile::parse("1380013800a"),
            Err(MobileError::InvalidCharacters)
        );
        assert_eq!(Mobile::parse("12345"), Err(MobileError::InvalidFormat));
        assert_eq!(
            Mobile::parse("12800138000"),
            Err(MobileError::InvalidFormat)
        );
        assert_eq!(Mobile::parse("+86 12345"), Err(MobileError::InvalidFormat));
        assert_eq!(
            Mobile::parse("1380013800+"),
            Err(MobileError::InvalidCharacters)
        );
    }

    #[test]
    fn overseas_numbers_keep_the_country_code_dash() {
        for (typed, want) in [
            ("+852 9123 4567", "+852-91234567"),
            ("+852-91234567", "+852-91234567"),
            ("+85291234567", "+852-91234567"),
            ("+1 415 555 2671", "+1-4155552671"),
            ("+44 20 7946 0958", "+44-2079460958"),
            ("+971 50 123 4567", "+971-501234567"),
            ("+7 912 345-67-89", "+7-9123456789"),
            ("+65 8123 4567", "+65-81234567"),
            ("+886 912 345 678", "+886-912345678"),
        ] {
            assert_eq!(Mobile::parse(typed).unwrap().as_str(), want, "{typed}");
        }
        // Mainland numbers stay 11 bare digits.
        assert_eq!(
            Mobile::parse("+86-13800138000").unwrap().as_str(),
            "13800138000"
        );
    }

    #[test]
    fn mobile_bounds() {
        // Mainland numbers are exactly 11 digits, however they are prefixed.
        for bad in [
            "138001380001",
            "+86 138001380001",
            "0086138001380001",
            "8613800138000111",
            "1380013800",
            "+86 1380013800",
            "00861380013800",
        ] {
            assert_eq!(Mobile::parse(bad), Err(MobileError::InvalidFormat), "{bad}");
        }
        // International: 7 to 15 digits in total, a known country code, a national part.
        assert_eq!(Mobile::parse("+852 1234").unwrap().as_str(), "+852-1234");
        assert_eq!(Mobile::parse("+852 123"), Err(MobileError::InvalidFormat));
        assert_eq!(
            Mobile::parse("+44 1234 5678 9012 3").unwrap().as_str(),
            "+44-1234567890123"
        );
        assert_eq!(
            Mobile::parse("+44 1234 5678 9012 34"),
            Err(MobileError::InvalidFormat)
        );
        assert_eq!(
            Mobile::parse("+999 1234567"),
            Err(MobileError::InvalidFormat)
        );
        assert_eq!(Mobile::parse("+0 1234567"), Err(MobileError::InvalidFormat));
        // Unicode spaces are separators.
        for sep in ['\u{a0}', '\u{2007}', '\u{202f}', '\u{3000}'] {
            let typed = format!("138{sep}0013{sep}8000");
            assert_eq!(Mobile::parse(&typed).unwrap().as_str(), "13800138000");
            let typed = format!("+852{sep}9123{sep}4567");
            assert_eq!(Mobile::parse(&typed).unwrap().as_str(), "+852-91234567");
            let typed = format!("{sep}13800138000{sep}");
            assert_eq!(Mobile::parse(&typed).unwrap().as_str(), "13800138000");
        }
    }

    /// Codes are stored in the database and typed in the CLI: they must not drift.
    #[test]
    fn codes_titles_and_labels() {
        let codes: Vec<_> = ChannelKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, ["dingtalk", "wecom", "feishu", "feishu_lark"]);
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::from_code(k.code()), Some(k));
            assert!(k.title().ends_with(" personal channel"), "{k:?}");
            assert!(k.is_supported());
            assert_eq!(ChannelKind::from_cli(k.cli_name()), Some(k));
        }
        assert_eq!(ChannelKind::DingTalk.title(), "DingTalk personal channel");
        assert_eq!(ChannelKind::from_code("slack"), None);
        assert_eq!(
            (SourceColumn::Phone.code(), SourceColumn::Phone.label()),
            ("phone", "Phone")
        );
        for typed in ["phone", " PHONE ", "Phone"] {
            assert_eq!(
                SourceColumn::from_code(typed),
                Some(SourceColumn::Phone),
                "{typed}"
            );
        }
        assert_eq!(SourceColumn::from_code("email"), Some(SourceColumn::Email));
        assert_eq!(SourceColumn::from_code("fax"), None);
    }

    #[test]
    fn a_mobile_shows_and_serialises_as_its_canonical_form() {
        let m = Mobile::parse("+852 9123 4567").unwrap();
        assert_eq!(m.to_string(), "+852-91234567");
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"+852-91234567\"");
        assert_eq!(String::from(m.clone()), "+852-91234567");
        let back: Mobile = serde_json::from_str("\"138 0013 8000\"").unwrap();
        assert_eq!(back.as_str(), "13800138000");
    }

    #[test]
    fn mobile_masking() {
        assert_eq!(
            Mobile::parse("+852 9123 4567").unwrap().masked(),
            "+852-****4567"
        );
        assert_eq!(
            Mobile::parse("13800138000").unwrap().masked(),
            "138****8000"
        );
    }

    #[test]
    fn validation_reports_every_field() {
        let errs = validate_dingtalk(
            " ",
            &SecretString::from(""),
            "a b",
            SourceColumn::Phone,
            "123",
            true,
        )
        .unwrap_err();
        assert!(errs.app_key.unwrap().contains("required"));
        assert!(errs.app_secret.unwrap().contains("required"));
        assert!(errs.template_id.unwrap().contains("spaces"));
        assert!(errs.receiver.unwrap().contains("11 digits"));
    }

    #[test]
    fn the_summary_names_every_field_in_error_on_one_line() {
        let errs = validate_dingtalk(
            " ",
            &SecretString::from("s"),
            "",
            SourceColumn::Phone,
            "123",
            true,
        )
        .unwrap_err();
        let summary = errs.summary();
        assert!(
            summary.starts_with("AppKey: AppKey is required; Receiver Info: "),
            "{summary}"
        );
        assert_eq!(summary.matches("; ").count(), 1, "{summary}");
    }

    #[test]
    fn token_fields_are_bounded_at_256_characters() {
        let long = |n: usize| {
            validate_dingtalk(
                &"k".repeat(n),
                &SecretString::from("s"),
                "",
                SourceColumn::Phone,
                "",
                false,
            )
        };
        assert!(long(MAX_FIELD_LEN).is_ok());
        let errs = long(MAX_FIELD_LEN + 1).unwrap_err();
        assert!(errs.app_key.unwrap().contains("too long (max 256"));
    }

    #[test]
    fn a_cards_status_reads_like_the_console() {
        let mut dingtalk = ChannelSummary::unconfigured(ChannelKind::DingTalk);
        assert_eq!(dingtalk.status_text(), "Unconfigured");
        dingtalk.app_key = Some("dingkey".into());
        assert_eq!(
            dingtalk.status_text(),
            "Unconfigured",
            "a key alone is not saved"
        );
        dingtalk.configured = true;
        assert_eq!(dingtalk.status_text(), "Configured: dingkey");
        let mut wecom = ChannelSummary::unconfigured(ChannelKind::WeCom);
        assert_eq!(wecom.status_text(), "Unconfigured");
        wecom.app_key = Some("ww1".into());
        wecom.configured = true;
        assert_eq!(wecom.status_text(), "Configured: ww1");
    }

    #[test]
    fn validation_trims_and_builds() {
        let cfg = validate_dingtalk(
            " dingabc ",
            &SecretString::from("s3cret "),
            "",
            SourceColumn::Phone,
            "",
            false,
        )
        .unwrap();
        assert_eq!(cfg.app_key, "dingabc");
        assert_eq!(cfg.app_secret.expose_secret(), "s3cret");
        assert_eq!(cfg.template_id, None);
        assert_eq!(cfg.receiver, None);
        assert!(!format!("{cfg:?}").contains("s3cret"));
    }

    #[test]
    fn receiver_required_for_test() {
        let errs = validate_dingtalk(
            "k",
            &SecretString::from("s"),
            "",
            SourceColumn::Phone,
            "",
            true,
        )
        .unwrap_err();
        assert!(errs.receiver.is_some());
    }

    #[test]
    fn sanitize_replaces_escapes() {
        assert_eq!(sanitize_text("a\x1b[2Jb"), "a�[2Jb");
        // Bidi overrides would reorder what the TUI shows; C1 CSI drives some terminals.
        assert_eq!(sanitize_text("a\u{202e}b\u{9b}c\nd"), "a�b�c\nd");
    }
}

#[cfg(test)]
mod prop_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Parsing never panics; a parsed number is canonical (parsing it again gives itself)
        /// and has the documented shape.
        #[test]
        fn mobile_parse_is_total_and_canonical(s in "\\PC{0,24}") {
            if let Ok(m) = Mobile::parse(&s) {
                prop_assert_eq!(Mobile::parse(m.as_str()).unwrap(), m.clone());
                let t = m.as_str();
                let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
                let mainland = t.len() == 11 && t.starts_with('1') && digits(t);
                let international = t
                    .strip_prefix('+')
                    .and_then(|r| r.split_once('-'))
                    .is_some_and(|(cc, n)| {
                        digits(cc) && digits(n) && (7..=15).contains(&(cc.len() + n.len()))
                    });
                prop_assert!(mainland || international, "{}", t);
            }
        }

        #[test]
        fn formatted_cn_numbers_normalise(d in "1[3-9][0-9]{9}", sep in "[ -]?", prefix in "(\\+86 ?|0086|86)?") {
            let shown = format!("{prefix}{}{sep}{}{sep}{}", &d[..3], &d[3..7], &d[7..]);
            let parsed = Mobile::parse(&shown).unwrap();
            prop_assert_eq!(parsed.as_str(), d.as_str());
        }
    }
}
