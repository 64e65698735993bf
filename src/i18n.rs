//! The interface language: which one (flag, environment, locale) and the strings of each.
//!
//! Strings live in `assets/locales/{en,zh}.toml`, embedded at build time and flattened to dotted
//! keys on first use. A key missing at run time falls back to English, then to the key itself,
//! so a user never sees a panic; the tests make a missing key fail the build instead.

#[cfg(test)]
use std::collections::HashMap;
use std::fmt::{self, Display};
use std::sync::OnceLock;

pub mod errors;
pub mod known;
#[cfg(test)]
mod tests;
pub mod words;

/// A language the interface speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

/// Where the language choice came from, for `notifydesk paths` and the help overlay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangSource {
    /// `--lang`.
    Flag,
    /// `NOTIFYDESK_LANG`.
    Env,
    /// The first set of `LC_ALL`, `LC_MESSAGES`, `LANG` (named here).
    Locale(&'static str),
    /// Nothing said anything: English.
    Default,
}

/// The language in use and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LangChoice {
    pub lang: Lang,
    pub source: LangSource,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code used by `--lang` and `NOTIFYDESK_LANG`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// `en`/`zh`, also with a region or encoding (`zh_CN.UTF-8`, `en-US`); case-insensitive.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The string for `key`; English, then the key itself, if this language lacks it.
    pub fn tr(self, key: &str) -> &'static str {
        self.lookup(key)
            .or_else(|| Lang::En.lookup(key))
            .unwrap_or_else(|| {
                tracing::warn!("missing interface string {key:?}");
                leak_key(key)
            })
    }

    /// [`Lang::tr`] with `{name}` placeholders filled from `args`.
    pub fn trf(self, key: &str, args: &[(&str, &dyn Display)]) -> String {
        fill(self.tr(key), args)
    }

    /// The string for `key` in this language only.
    pub fn lookup(self, key: &str) -> Option<&'static str> {
        let t = table(self);
        t.index
            .binary_search_by(|&[k, v, _]| t.text[k as usize..v as usize].cmp(key))
            .ok()
            .map(|i| t.entry(i).1)
    }
}

impl Display for Lang {
    /// The language's own name ("English", "中文").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tr("lang.name"))
    }
}

impl LangChoice {
    /// `zh (LANG)`, `en (--lang)`: what `paths` and the help overlay show.
    pub fn describe(&self) -> String {
        let from = match self.source {
            LangSource::Flag => "--lang",
            LangSource::Env => "NOTIFYDESK_LANG",
            LangSource::Locale(var) => var,
            LangSource::Default => self.lang.tr("lang.default"),
        };
        format!("{} ({from})", self.lang.code())
    }
}

/// `--lang`, else `NOTIFYDESK_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: the first
/// one set decides, as POSIX says; `zh…` is Chinese, anything else English), else English.
/// `env` reads a variable, so tests need not change the process environment.
pub fn choose(flag: Option<Lang>, env: impl Fn(&str) -> Option<String>) -> LangChoice {
    if let Some(lang) = flag {
        return LangChoice {
            lang,
            source: LangSource::Flag,
        };
    }
    if let Some(lang) = env("NOTIFYDESK_LANG").as_deref().and_then(Lang::parse) {
        return LangChoice {
            lang,
            source: LangSource::Env,
        };
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            let lang = if Lang::parse(&value) == Some(Lang::Zh) {
                Lang::Zh
            } else {
                Lang::En
            };
            return LangChoice {
                lang,
                source: LangSource::Locale(var),
            };
        }
    }
    LangChoice {
        lang: Lang::En,
        source: LangSource::Default,
    }
}

/// [`choose`] on the process environment.
pub fn choose_from_env(flag: Option<Lang>) -> LangChoice {
    choose(flag, |name| std::env::var(name).ok())
}

const EN_TOML: &str = include_str!("../assets/locales/en.toml");
const ZH_TOML: &str = include_str!("../assets/locales/zh.toml");

/// The source text of a language's file (for the tests that compare the files).
pub fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::En => EN_TOML,
        Lang::Zh => ZH_TOML,
    }
}

/// A locale file as `(dotted key, text)` entries sorted by key, made by `build.rs`: one text
/// and, per entry, where its key starts, its value starts and its value ends.
struct Table {
    text: &'static str,
    index: &'static [[u32; 3]],
}

impl Table {
    fn entry(&self, i: usize) -> (&'static str, &'static str) {
        let [k, v, end] = self.index[i].map(|n| n as usize);
        (&self.text[k..v], &self.text[v..end])
    }
}

mod compiled {
    use super::Table;
    include!(concat!(env!("OUT_DIR"), "/locales.rs"));
}

fn table(lang: Lang) -> &'static Table {
    match lang {
        Lang::En => &compiled::EN,
        Lang::Zh => &compiled::ZH,
    }
}

/// Every key of a language's file, flattened ("tab.channels").
pub fn keys(lang: Lang) -> impl Iterator<Item = &'static str> {
    let t = table(lang);
    (0..t.index.len()).map(move |i| t.entry(i).0)
}

/// A locale file as dotted keys to strings; anything but strings and tables is an error.
#[cfg(test)]
pub fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let root: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let mut out = HashMap::new();
    flatten("", &root, &mut out)?;
    Ok(out)
}

#[cfg(test)]
fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            other => {
                return Err(format!(
                    "{key}: expected a string, found {}",
                    other.type_str()
                ));
            }
        }
    }
    Ok(())
}

/// Replace each `{name}` by its argument; unknown placeholders stay as they are.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let value = after.find('}').and_then(|end| {
            let name = &after[..end];
            let (_, v) = args.iter().find(|(n, _)| *n == name)?;
            Some((v, end))
        });
        match value {
            Some((v, end)) => {
                out.push_str(&v.to_string());
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A missing key is shown as itself; keep one copy of each for the `'static` return.
fn leak_key(key: &str) -> &'static str {
    static MISSING: OnceLock<std::sync::Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut seen = MISSING.get_or_init(Default::default).lock().unwrap();
    if let Some(k) = seen.iter().find(|k| **k == key) {
        return k;
    }
    let k: &'static str = Box::leak(key.to_owned().into_boxed_str());
    seen.push(k);
    k
}
