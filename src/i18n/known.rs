//! Messages the core words in English (validation errors, notices) shown in the interface
//! language without changing the core: each `known.*` entry of en.toml is a pattern whose
//! `{placeholders}` match any text, and the same entry of the other language is filled with
//! what they matched (field names and platforms among them translated by `word.*`). A message
//! no pattern matches is shown as it is.

use std::sync::OnceLock;

use super::{Lang, fill};

/// One pattern: its key and its English text split at the placeholders.
struct Pattern {
    key: String,
    /// Literal, then (placeholder, literal) pairs.
    head: String,
    rest: Vec<(String, String)>,
}

fn split(template: &str) -> Option<(String, Vec<(String, String)>)> {
    let mut parts = template.split('{');
    let head = parts.next()?.to_string();
    let mut rest = Vec::new();
    for part in parts {
        let (name, literal) = part.split_once('}')?;
        rest.push((name.to_string(), literal.to_string()));
    }
    Some((head, rest))
}

fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut all: Vec<Pattern> = super::keys(Lang::En)
            .filter(|k| k.starts_with("known."))
            .filter_map(|k| {
                let (head, rest) = split(Lang::En.tr(k))?;
                Some(Pattern {
                    key: k.to_string(),
                    head,
                    rest,
                })
            })
            .collect();
        // The most specific first: more fixed text, then the key for a stable order.
        let fixed = |p: &Pattern| p.head.len() + p.rest.iter().map(|(_, l)| l.len()).sum::<usize>();
        all.sort_by(|a, b| fixed(b).cmp(&fixed(a)).then_with(|| a.key.cmp(&b.key)));
        all
    })
}

/// What each placeholder of `p` matched in `text`, if `text` has its shape.
fn captures<'p, 't>(p: &'p Pattern, text: &'t str) -> Option<Vec<(&'p str, &'t str)>> {
    let mut rest = text.strip_prefix(p.head.as_str())?;
    if p.rest.is_empty() {
        return rest.is_empty().then(Vec::new);
    }
    let mut out = Vec::new();
    for (i, (name, literal)) in p.rest.iter().enumerate() {
        let end = if i + 1 == p.rest.len() {
            rest.strip_suffix(literal.as_str())?.len()
        } else if literal.is_empty() {
            // Two placeholders side by side could split anywhere: not a usable pattern.
            return None;
        } else {
            rest.find(literal.as_str())?
        };
        let value = &rest[..end];
        if value.is_empty() {
            return None;
        }
        out.push((name.as_str(), value));
        rest = &rest[end + literal.len()..];
    }
    Some(out)
}

/// A value inside a message: a known word, a list of them, or a message itself.
fn value_in(lang: Lang, v: &str) -> String {
    if let Some(w) = lang.lookup(&format!("word.{v}")) {
        return w.to_string();
    }
    // A whole message before a list: a message may have commas of its own.
    let whole = translate(lang, v);
    if whole != v {
        return whole;
    }
    if v.contains(", ") {
        let sep = lang.tr("word.list_separator");
        return v
            .split(", ")
            .map(|part| value_in(lang, part))
            .collect::<Vec<_>>()
            .join(sep);
    }
    v.to_string()
}

/// `text` (English, from the core) in `lang`; unchanged in English or when nothing matches.
pub fn translate(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    for p in patterns() {
        let Some(caps) = captures(p, text) else {
            continue;
        };
        let values: Vec<(&str, String)> = caps
            .into_iter()
            .map(|(name, v)| (name, value_in(lang, v)))
            .collect();
        let args: Vec<(&str, &dyn std::fmt::Display)> = values
            .iter()
            .map(|(n, v)| (*n, v as &dyn std::fmt::Display))
            .collect();
        return fill(lang.tr(&p.key), &args);
    }
    // An error with its context in front ("--receiver: …", as anyhow chains them): the
    // context stays as written, the known message after it is translated.
    if let Some((head, tail)) = text.split_once(": ") {
        let translated = translate(lang, tail);
        if translated != tail {
            return format!("{head}: {translated}");
        }
    }
    text.to_string()
}
