//! The domain's names (channels, source columns, methods, card states) in each language. The
//! keys are built from the domain's stable codes; a test checks every variant in both files
//! and that the English ones equal the domain's own English names.

use super::Lang;
use crate::domain::subscription::Method;
use crate::domain::{ChannelKind, ChannelSummary, SourceColumn};

/// The card title ("DingTalk personal channel", "钉钉个人渠道").
pub fn channel_title(lang: Lang, kind: ChannelKind) -> &'static str {
    lang.tr(&format!("channel.{}.title", kind.code()))
}

/// The short platform name ("DingTalk", "钉钉").
pub fn platform(lang: Lang, kind: ChannelKind) -> &'static str {
    lang.tr(&format!("channel.{}.platform", kind.code()))
}

/// What an unconfigured card needs.
pub fn channel_needs(lang: Lang, kind: ChannelKind) -> &'static str {
    lang.tr(&format!("channel.{}.needs", kind.code()))
}

pub fn source_column(lang: Lang, column: SourceColumn) -> &'static str {
    lang.tr(&format!("source_column.{}", column.code()))
}

pub fn method(lang: Lang, method: Method) -> &'static str {
    lang.tr(&format!("method.{}", method.code()))
}

/// "Unconfigured" or "Configured: <AppKey>" ([`ChannelSummary::status_text`]).
pub fn status_text(lang: Lang, summary: &ChannelSummary) -> String {
    match (&summary.app_key, summary.configured) {
        (Some(key), true) => lang.trf("card.configured", &[("key", key)]),
        _ => lang.tr("card.unconfigured").to_string(),
    }
}

/// A subscription type's name: the catalogue's Chinese in Chinese, else `english` (as stored).
pub fn type_label<'a>(lang: Lang, type_code: &str, english: &'a str) -> std::borrow::Cow<'a, str> {
    let cat = crate::domain::catalogue::Catalogue::embedded();
    match (lang, cat.types.iter().find(|t| t.code == type_code)) {
        (Lang::Zh, Some(t)) => t.zh.clone().into(),
        _ => english.into(),
    }
}

/// A workflow node's name, as [`type_label`].
pub fn node_label<'a>(
    lang: Lang,
    type_code: &str,
    node_code: &str,
    english: &'a str,
) -> std::borrow::Cow<'a, str> {
    let cat = crate::domain::catalogue::Catalogue::embedded();
    match (lang, cat.find(type_code, node_code)) {
        (Lang::Zh, Some((_, n))) => n.zh.clone().into(),
        _ => english.into(),
    }
}

/// A default receiver's name ("Submitter" → "提交人"), from its English name as stored.
pub fn receiver_label<'a>(lang: Lang, english: &'a str) -> std::borrow::Cow<'a, str> {
    let cat = crate::domain::catalogue::Catalogue::embedded();
    match (lang, cat.receivers.values().find(|l| l.en == english)) {
        (Lang::Zh, Some(l)) => l.zh.clone().into(),
        _ => english.into(),
    }
}

/// A delivery status as the log's column shows it ([`DeliveryStatus::code`] in English).
pub fn status_code(lang: Lang, status: crate::store::DeliveryStatus) -> &'static str {
    lang.tr(&format!("status_code.{}", status.code()))
}

/// A delivery status as people read it ([`DeliveryStatus::label`] in English).
pub fn status_label(lang: Lang, status: crate::store::DeliveryStatus) -> &'static str {
    lang.tr(&format!("status_label.{}", status.code()))
}

/// "SQL Task / To be approved" in `lang`, from the row's codes and its English names.
pub fn type_node_label(lang: Lang, type_code: &str, node_code: &str, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    let (type_en, node_en) = english.split_once(" / ").unwrap_or((english, ""));
    format!(
        "{} / {}",
        type_label(lang, type_code, type_en),
        node_label(lang, type_code, node_code, node_en)
    )
}

/// `text` right-aligned in `width` cells (display width: CJK takes two).
pub fn pad_left(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(w)))
}
