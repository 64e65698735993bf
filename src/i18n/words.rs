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
