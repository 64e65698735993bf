use std::collections::BTreeSet;
use std::path::Path;

use super::*;

fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn the_flag_beats_the_variable_which_beats_the_locale() {
    let all = [("NOTIFYDESK_LANG", "en"), ("LANG", "zh_CN.UTF-8")];
    assert_eq!(choose(Some(Lang::Zh), env(&all)).source, LangSource::Flag);
    assert_eq!(choose(Some(Lang::Zh), env(&all)).lang, Lang::Zh);
    let c = choose(None, env(&all));
    assert_eq!((c.lang, c.source), (Lang::En, LangSource::Env));
    let c = choose(None, env(&[("LANG", "zh_CN.UTF-8")]));
    assert_eq!((c.lang, c.source), (Lang::Zh, LangSource::Locale("LANG")));
    assert_eq!(c.describe(), "zh (LANG)");
    let c = choose(None, env(&[]));
    assert_eq!((c.lang, c.source), (Lang::En, LangSource::Default));
}

#[test]
fn lc_all_then_lc_messages_then_lang_and_empty_ones_do_not_count() {
    let c = choose(None, env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")]));
    assert_eq!((c.lang, c.source), (Lang::En, LangSource::Locale("LC_ALL")));
    let c = choose(
        None,
        env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_TW"), ("LANG", "en_US")]),
    );
    assert_eq!(
        (c.lang, c.source),
        (Lang::Zh, LangSource::Locale("LC_MESSAGES"))
    );
    // A variable that names no language of ours is ignored, not an error.
    let c = choose(None, env(&[("NOTIFYDESK_LANG", "fr"), ("LANG", "zh_CN")]));
    assert_eq!(c.lang, Lang::Zh);
}

#[test]
fn placeholders_are_filled_and_unknown_braces_kept() {
    let n = 3;
    assert_eq!(fill("{n} sent {x}", &[("n", &n)]), "3 sent {x}");
    assert_eq!(fill("a { b", &[]), "a { b");
    assert_eq!(fill("{a}{a}", &[("a", &"x")]), "xx");
}

/// The `{name}` placeholders of a string, in order of first use.
fn placeholders(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(j) = rest.find('}') {
            let name = &rest[..j];
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.insert(name.to_string());
            }
        }
    }
    out
}

#[test]
fn both_languages_have_the_same_keys_and_placeholders() {
    let en: BTreeSet<_> = keys(Lang::En).collect();
    let zh: BTreeSet<_> = keys(Lang::Zh).collect();
    let only_en: Vec<_> = en.difference(&zh).collect();
    let only_zh: Vec<_> = zh.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_zh.is_empty(),
        "only in en.toml: {only_en:?}\nonly in zh.toml: {only_zh:?}"
    );
    for key in en {
        let (e, z) = (Lang::En.tr(key), Lang::Zh.tr(key));
        assert_eq!(placeholders(e), placeholders(z), "placeholders of {key}");
    }
}

/// Every literal key given to `Lang::tr` / `Lang::trf` in the sources, with the file it is in.
fn keys_used_in(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used_in(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for pattern in [".tr(\"", ".trf(\""] {
            for (i, _) in text.match_indices(pattern) {
                let rest = &text[i + pattern.len()..];
                let key = &rest[..rest.find('"').unwrap()];
                out.push((key.to_string(), path.display().to_string()));
            }
        }
    }
}

#[test]
fn every_key_the_code_uses_exists_in_both_languages() {
    let mut used = Vec::new();
    keys_used_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut used);
    assert!(used.len() > 50, "the scan found too few keys: {}", used.len());
    let missing: Vec<_> = used
        .iter()
        .filter(|(key, _)| Lang::ALL.iter().any(|l| l.lookup(key).is_none()))
        .collect();
    assert!(missing.is_empty(), "keys used but missing: {missing:?}");
}

#[test]
fn chinese_strings_are_chinese_where_english_has_words() {
    // Catches a key pasted into zh.toml without translating it. Strings that are the same in
    // both languages by nature (product names, "Webhook", "AppKey") are allowed.
    let same: Vec<_> = keys(Lang::En)
        .filter(|k| {
            let (e, z) = (Lang::En.tr(k), Lang::Zh.tr(k));
            e == z && e.split_whitespace().count() > 2
        })
        .collect();
    assert!(same.is_empty(), "untranslated: {same:?}");
}

/// Keys built at run time: each must exist in both languages, and the English must be what
/// the code said before it had translations (the English interface stays as it was).
fn check_dynamic(key: &str, english: &str) {
    assert_eq!(Lang::En.lookup(key), Some(english), "en.toml {key}");
    assert!(Lang::Zh.lookup(key).is_some(), "zh.toml lacks {key}");
}

#[test]
fn every_key_hint_is_in_both_languages_and_english_is_the_keymap() {
    for b in crate::tui::keymap::BINDINGS {
        check_dynamic(&b.desc_key(), b.desc);
    }
}

#[test]
fn tabs_contexts_and_domain_words_are_in_both_languages() {
    use crate::domain::subscription::Method;
    use crate::domain::{ChannelKind, ChannelSummary, SourceColumn};
    use crate::tui::keymap::Context;
    use crate::tui::ui::Tab;
    for tab in Tab::ALL {
        assert_eq!(tab.title_in(Lang::En), tab.title());
        assert_eq!(tab.short_title_in(Lang::En), tab.short_title());
        assert_ne!(tab.title_in(Lang::Zh), tab.title());
    }
    for ctx in Context::ALL {
        assert_eq!(ctx.title_in(Lang::En), ctx.title());
    }
    for kind in ChannelKind::ALL {
        check_dynamic(&format!("channel.{}.title", kind.code()), kind.title());
        check_dynamic(&format!("channel.{}.platform", kind.code()), kind.platform());
        let mut s = ChannelSummary::unconfigured(kind);
        assert_eq!(words::status_text(Lang::En, &s), s.status_text());
        s.configured = true;
        s.app_key = Some("k1".into());
        assert_eq!(words::status_text(Lang::En, &s), s.status_text());
        assert_eq!(words::status_text(Lang::Zh, &s), "已配置：k1");
    }
    for c in SourceColumn::ALL {
        check_dynamic(&format!("source_column.{}", c.code()), c.label());
    }
    for m in Method::ALL {
        check_dynamic(&format!("method.{}", m.code()), m.title());
    }
}
