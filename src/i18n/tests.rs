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
    keys_used_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(
        used.len() > 50,
        "the scan found too few keys: {}",
        used.len()
    );
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
        check_dynamic(
            &format!("channel.{}.platform", kind.code()),
            kind.platform(),
        );
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

fn all_dingtalk_errors() -> Vec<crate::dingtalk::DingTalkError> {
    use crate::dingtalk::{DingTalkError, ErrorKind as K, Step};
    let kinds = [
        K::BadCredentials,
        K::TokenInvalid,
        K::MissingPermission {
            scope: "qyapi_robot_sendmsg".into(),
        },
        K::IpNotAllowed,
        K::UserNotFound,
        K::InvalidMobile,
        K::OutsideVisibility,
        K::RobotNotEnabled,
        K::RobotCodeMismatch,
        K::TemplateNotFound,
        K::RateLimited,
        K::QuotaExceeded,
        K::IpBanned,
        K::ServerBusy,
        K::Timeout,
        K::Network,
        K::BadResponse,
        K::InvalidRequest,
        K::Filtered,
        K::StaleUserId,
        K::NoRobotConversation,
        K::Redirected {
            host: "evil.example".into(),
        },
        K::Other,
    ];
    // Codes with an entry of their own come only with the kind the client maps them to.
    let own = [
        ("60121", K::UserNotFound),
        ("88/60020", K::IpNotAllowed),
        ("50002", K::OutsideVisibility),
        ("90020", K::QuotaExceeded),
    ];
    let codes = [
        "x",
        "connect",
        "system.busy",
        "system.error",
        "flowControlledStaffIdList",
        "Throttling.User",
        "Throttling.Api",
        "90002",
        "ApiQpmLimit",
        "90018",
        "send.too.fast",
        "Throttling.Other",
        "HTTP 503",
    ];
    let steps = [
        Step::Setup,
        Step::Token,
        Step::Lookup,
        Step::Send,
        Step::Card,
    ];
    let mut out = Vec::new();
    let pairs = kinds
        .iter()
        .flat_map(|k| codes.iter().map(move |c| (*c, k.clone())))
        .chain(own);
    for (code, kind) in pairs {
        for step in steps {
            let e = DingTalkError::new(kind.clone(), code, step);
            out.push(e.clone());
            let mut timed = e.clone().with_message("m").with_status(503);
            timed.timeout_after = Some(std::time::Duration::from_millis(2500));
            timed.host = Some("127.0.0.1:9".into());
            timed.request_id = Some("r-1".into());
            out.push(timed);
        }
    }
    out
}

#[test]
fn dingtalk_errors_in_english_are_exactly_what_they_were() {
    for e in all_dingtalk_errors() {
        let (meaning, fix) = e.explain_in(Lang::En);
        assert_eq!(meaning, e.meaning(), "{e:?}");
        assert_eq!(fix, e.fix(), "{e:?}");
        assert_eq!(e.line_in(Lang::En), e.to_string(), "{e:?}");
    }
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn every_dingtalk_error_has_a_chinese_meaning_and_fix() {
    for e in all_dingtalk_errors() {
        let (meaning, fix) = e.explain_in(Lang::Zh);
        assert!(
            has_cjk(&meaning) && has_cjk(&fix),
            "{e:?}: {meaning} / {fix}"
        );
        assert!(
            !meaning.contains('{') && !fix.contains('{'),
            "{meaning} / {fix}"
        );
        let line = e.line_in(Lang::Zh);
        assert!(
            line.contains(&e.code) || line.contains("127.0.0.1"),
            "{line}"
        );
    }
}

#[test]
fn a_platform_error_is_found_by_platform_and_code() {
    use crate::dingtalk::{DingTalkError, ErrorKind, Step};
    let e = DingTalkError::new(ErrorKind::UserNotFound, "60121", Step::Lookup);
    assert_eq!(
        e.line_in(Lang::Zh),
        "钉钉错误 60121：组织中没有使用此手机号的在职成员。解决：请核对手机号；该成员须在职，且在应用的可见范围内"
    );
    // The step-specific entry applies only to its step; another step falls back to the kind.
    assert_eq!(
        errors::platform_error(Lang::Zh, "dingtalk", "60121", Some("send"), &[]),
        None
    );
    let (m, _) = errors::platform_error(Lang::Zh, "dingtalk", "88/60020", None, &[]).unwrap();
    assert!(m.contains("IP"), "{m}");
    assert_eq!(
        errors::platform_error(Lang::Zh, "wecom", "99999999", None, &[]),
        None
    );
}

/// Every message the core writes for a bad field, in Chinese: none is left in English.
#[test]
fn validation_messages_of_the_core_are_all_translated() {
    use crate::domain::channel_config::{ChannelFields, validate_channel};
    use crate::domain::member::NewMember;
    use crate::domain::{ChannelKind, ConfigErrors, SourceColumn, validate_dingtalk};
    let mut messages: Vec<String> = Vec::new();
    let mut take = |e: ConfigErrors| {
        messages.extend(
            [
                e.app_key,
                e.app_secret,
                e.template_id,
                e.receiver,
                e.agent_id,
                e.source_column,
                e.callback,
            ]
            .into_iter()
            .flatten(),
        )
    };
    let secret = secrecy::SecretString::from("");
    for receiver in ["", "12", "abc", "1380013800a"] {
        for (key, template) in [("", ""), ("a b", "t t"), (&*"k".repeat(300), "x")] {
            if let Err(e) =
                validate_dingtalk(key, &secret, template, SourceColumn::Phone, receiver, true)
            {
                take(e);
            }
        }
    }
    for kind in ChannelKind::ALL {
        for column in SourceColumn::ALL {
            for (app_id, agent, receiver) in
                [("", "", ""), ("12345", "abc", "no-at"), ("x y", "0", "a b")]
            {
                let f = ChannelFields {
                    app_id: app_id.into(),
                    agent_id: agent.into(),
                    source_column: Some(column),
                    receiver: receiver.into(),
                    callback_url: "ftp://x".into(),
                    callback_aes_key: "short".into(),
                    ..ChannelFields::default()
                };
                if let Err(e) = validate_channel(kind, &f, true) {
                    take(e);
                }
            }
        }
    }
    let member = NewMember {
        name: "".into(),
        login: "bad login".into(),
        phone: "12".into(),
        email: Some("nope".into()),
    };
    if let Err(e) = member.validate() {
        messages.extend([e.name, e.login, e.phone, e.email].into_iter().flatten());
    }
    assert!(messages.len() > 30, "{}", messages.len());
    for m in &messages {
        let zh = known::translate(Lang::Zh, m);
        assert!(has_cjk(&zh), "not translated: {m}");
        assert_eq!(known::translate(Lang::En, m), *m);
    }
    // Names inside a message are translated too; the values typed are kept.
    assert_eq!(
        known::translate(Lang::Zh, "Template ID is required"),
        "模板 ID为必填项"
    );
    assert_eq!(
        known::translate(Lang::Zh, "Not saved: login is required"),
        "未保存：登录名为必填项"
    );
}

#[test]
fn wecom_and_feishu_errors_are_explained_in_chinese_with_what_the_platform_named() {
    use crate::domain::ChannelKind;
    use crate::i18n::errors::channel_error_line;
    use crate::personal::{ChannelError, Disposition, ErrorKind};
    let ip = ChannelError::new(
        ChannelKind::WeCom,
        ErrorKind::IpNotAllowed {
            ip: Some("203.0.113.7".into()),
        },
        "60020",
        "not allowed",
        Disposition::Permanent,
    );
    let zh = channel_error_line(&ip, Lang::Zh);
    assert!(
        zh.contains("企业可信IP") && zh.contains("203.0.113.7"),
        "{zh}"
    );
    let scope = ChannelError::new(
        ChannelKind::FeishuLark,
        ErrorKind::MissingPermission {
            scope: Some("contact:user.id:readonly".into()),
        },
        "99991672",
        "denied",
        Disposition::Permanent,
    );
    let zh = channel_error_line(&scope, Lang::Zh);
    assert!(
        zh.contains("contact:user.id:readonly") && zh.contains("发布"),
        "{zh}"
    );
    let outside = ChannelError::new(
        ChannelKind::Feishu,
        ErrorKind::OutsideScope,
        "230013",
        "Bot has NO availability to this user.",
        Disposition::Permanent,
    );
    assert!(channel_error_line(&outside, Lang::Zh).contains("可用范围"));
    // English stays the client's own words.
    assert_eq!(channel_error_line(&ip, Lang::En), ip.to_string());
}

#[test]
fn the_compiled_tables_are_the_locale_files() {
    for lang in [Lang::En, Lang::Zh] {
        let parsed = crate::i18n::parse(crate::i18n::source(lang)).unwrap();
        let compiled: std::collections::HashMap<String, String> = keys(lang)
            .map(|k| (k.to_string(), lang.lookup(k).unwrap().to_string()))
            .collect();
        assert_eq!(parsed, compiled, "{}", lang.code());
    }
}

#[test]
fn a_known_message_inside_another_is_translated_whole_though_it_has_commas() {
    let text = "the AppKey changed, so the saved AppSecret no longer applies: pass --app-secret-stdin (or set NOTIFYDESK_APP_SECRET with `read -rs`)";
    assert_eq!(
        known::translate(Lang::Zh, text),
        "AppKey已更改，已保存的AppSecret不再适用：请加 --app-secret-stdin（或用 `read -rs` 设置 NOTIFYDESK_APP_SECRET）"
    );
    // A list of words is still a list.
    assert_eq!(
        known::translate(Lang::Zh, "unknown setting \"x\"; known: a, b"),
        "未知的设置 \"x\"；可用：a、b"
    );
    assert_eq!(known::translate(Lang::En, text), text);
}

#[test]
fn the_deliverys_own_codes_and_lark_codes_are_explained_in_chinese() {
    use crate::domain::ChannelKind;
    use crate::i18n::errors::{platform_error, platforms_of};
    for code in [
        "not_found",
        "receiver_rate",
        "unknown_member",
        "interrupted",
        "unknown",
    ] {
        let (meaning, fix) = platform_error(Lang::Zh, "delivery", code, None, &[]).unwrap();
        assert!(!meaning.is_ascii() && !fix.is_ascii(), "{code}");
    }
    // Lark's codes are Feishu's.
    let lark = platforms_of(ChannelKind::FeishuLark)
        .iter()
        .find_map(|p| platform_error(Lang::Zh, p, "230013", None, &[]));
    assert!(lark.unwrap().0.contains("可用范围"));
}
