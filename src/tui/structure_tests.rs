//! The layout rules of `src/tui`: a tab or an overlay is one unit that never reaches back
//! into the App, shared helpers never reach into a unit (either would make an import cycle),
//! and no file grows past ~400 lines.

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 420;

/// Where the App itself lives: the only modules allowed to name it (and this test, which
/// spells the names it looks for).
const APP_SIDE: [&str; 5] = ["app", "view", "mod.rs", "runner.rs", "structure_tests.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src/tui") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn tui_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

#[test]
fn units_do_not_import_the_app() {
    let offenders: Vec<String> = tui_files()
        .into_iter()
        .filter(|(rel, _)| {
            let first = rel.split('/').next().unwrap_or_default();
            !APP_SIDE.contains(&first)
        })
        .filter(|(_, text)| {
            ["tui::app", "super::app", "crate::tui::view", "super::view"]
                .iter()
                .any(|needle| text.contains(needle))
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "units importing the App: {offenders:?}"
    );
}

/// What every unit may use; none of it may use a unit, a dialog or the App.
const SHARED: [&str; 11] = [
    "ui.rs",
    "msg.rs",
    "widgets",
    "text.rs",
    "list.rs",
    "focus.rs",
    "filter.rs",
    "field.rs",
    "theme.rs",
    "keymap.rs",
    "keymap_tests.rs",
];

#[test]
fn shared_helpers_do_not_import_units() {
    let offenders: Vec<String> = tui_files()
        .into_iter()
        .filter(|(rel, _)| SHARED.contains(&rel.split('/').next().unwrap_or_default()))
        .filter(|(_, text)| {
            [
                "tui::tabs",
                "tui::dialogs",
                "tui::app",
                "tui::view",
                "super::tabs",
                "super::dialogs",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        })
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "shared helpers importing a unit: {offenders:?}"
    );
}

/// Tabs open dialogs, so a dialog must not name a tab.
#[test]
fn dialogs_do_not_import_tabs() {
    let offenders: Vec<String> = tui_files()
        .into_iter()
        .filter(|(rel, text)| rel.starts_with("dialogs/") && text.contains("tui::tabs"))
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        offenders.is_empty(),
        "dialogs importing a tab: {offenders:?}"
    );
}

#[test]
fn no_file_is_over_about_400_lines() {
    let long: Vec<(String, usize)> = tui_files()
        .into_iter()
        .map(|(rel, text)| (rel, text.lines().count()))
        .filter(|(_, n)| *n > MAX_LINES)
        .collect();
    assert!(long.is_empty(), "files too long: {long:?}");
}
