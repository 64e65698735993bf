//! Turns the locale files (`assets/locales/{en,zh}.toml`) into sorted static tables at build
//! time, so the interface never parses TOML at start-up (it cost ~0.6 ms of the first frame)
//! and a malformed file fails the build, not a user.

use std::collections::BTreeMap;
use std::fmt::Write as _;

fn flatten(prefix: &str, table: &toml::Table, out: &mut BTreeMap<String, String>) {
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
            toml::Value::Table(t) => flatten(&key, t, out),
            other => panic!("{key}: expected a string, found {}", other.type_str()),
        }
    }
}

fn main() {
    let mut code = String::new();
    for (name, file) in [
        ("EN", "assets/locales/en.toml"),
        ("ZH", "assets/locales/zh.toml"),
    ] {
        println!("cargo:rerun-if-changed={file}");
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let root: toml::Table = text.parse().unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut flat = BTreeMap::new();
        flatten("", &root, &mut flat);
        // Sorted by key (BTreeMap order = byte order), for binary search.
        writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
        for (k, v) in &flat {
            writeln!(code, "    ({k:?}, {v:?}),").unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("locales.rs");
    std::fs::write(out, code).unwrap();
}
