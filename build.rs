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
        // Sorted by key (BTreeMap order = byte order), for binary search. One text and an
        // index of offsets rather than a table of `&str` pairs: a table of 1,000 pointer pairs
        // is 2,000 relocations the loader patches (and copies the pages of) at every start.
        let mut text = String::new();
        let mut index = Vec::new();
        for (k, v) in &flat {
            let key_start = text.len();
            text.push_str(k);
            let value_start = text.len();
            text.push_str(v);
            index.push([key_start, value_start, text.len()]);
        }
        writeln!(code, "pub static {name}: Table = Table {{").unwrap();
        writeln!(code, "    text: {text:?},").unwrap();
        writeln!(code, "    index: &[").unwrap();
        for [a, b, c] in index {
            writeln!(code, "        [{a}, {b}, {c}],").unwrap();
        }
        writeln!(code, "    ],").unwrap();
        writeln!(code, "}};").unwrap();
    }
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("locales.rs");
    std::fs::write(out, code).unwrap();
}
