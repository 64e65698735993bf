//! Terminal safety of everything the CLI prints: stored text with control characters, C1
//! controls and bidi overrides (put in the database behind the input validation's back, as an
//! old or tampered database would hold them) never reaches the terminal raw, in tables or in
//! `--json` output, and `--json` still parses to the stored strings.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use notifydesk::domain::member::NewMember;
use notifydesk::domain::subscription::{Method, MethodChange};
use notifydesk::domain::{DingTalkConfig, Mobile, SourceColumn, TestRecord};
use notifydesk::store::{NewEvent, Store};
use secrecy::SecretString;
use serde_json::Value;

/// OSC "set window title" (ESC … BEL), a C1 CSI, CR, DEL, a right-to-left override and a
/// left-to-right isolate.
const EVIL: &str = "x\u{1b}]2;PWNED\u{7}\u{9b}31m\r\u{7f}\u{202e}gnp.exe\u{2066}y";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn db(&self) -> PathBuf {
        self.dir.path().join("nd.db")
    }

    fn run(&self, args: &[&OsStr]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_notifydesk"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NOTIFYDESK_DB", self.db())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn run_str(&self, args: &[&str]) -> Output {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        self.run(&args)
    }
}

fn evil(prefix: &str) -> String {
    format!("{prefix}{EVIL}")
}

/// A database whose member, event, delivery, catalogue, channel and setting texts are hostile.
fn hostile_env() -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let mut store = Store::open(&env.db()).unwrap();
    let config = DingTalkConfig {
        app_key: evil("key"),
        app_secret: SecretString::from("not-shown"),
        template_id: Some(evil("tpl")),
        source_column: SourceColumn::Phone,
        receiver: Some(Mobile::parse("13800138000").unwrap()),
    };
    store.save_dingtalk(&config).unwrap();
    let recorded = store
        .record_test(
            &config,
            &TestRecord {
                at: 1_700_000_000,
                ok: false,
                summary: evil("summary"),
            },
        )
        .unwrap();
    assert!(recorded);
    store
        .add_member(&NewMember {
            name: "Alice".into(),
            login: "alice".into(),
            phone: "13800138001".into(),
            email: Some("a@example.com".into()),
        })
        .unwrap();
    store
        .apply_method_changes(&[MethodChange {
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            method: Method::Personal,
            on: true,
        }])
        .unwrap();
    store
        .set_custom_receivers("sql_task", "to_be_approved", &["alice".to_string()])
        .unwrap();
    store
        .enqueue_event(&NewEvent {
            event_id: "E-1".into(),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "T".into(),
            text: String::new(),
            link: None,
            members: vec!["alice".into(), "ghost".into()],
        })
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let exec = |sql: &str, values: &[&str]| {
        conn.execute(sql, rusqlite::params_from_iter(values.iter()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    exec(
        "UPDATE member SET name = ?1, login = ?2, email = ?3, dingtalk_userid = ?4",
        &[&evil("name"), &evil("alice"), &evil("mail"), &evil("uid")],
    );
    exec(
        "UPDATE event SET event_id = ?1, title = ?2",
        &[&evil("E-1"), &evil("title")],
    );
    exec(
        "UPDATE delivery SET login = ?1, last_error = ?2, error_code = ?3 WHERE login = 'ghost'",
        &[&evil("ghost"), &evil("error"), &evil("code")],
    );
    exec(
        "UPDATE subscription_node SET en = ?1 WHERE code = 'to_be_approved'",
        &[&evil("node")],
    );
    exec(
        "UPDATE subscription_type SET en = ?1 WHERE code = 'sql_task'",
        &[&evil("type")],
    );
    exec(
        "UPDATE subscription_receiver SET en = ?1",
        &[&evil("receiver")],
    );
    exec(
        "INSERT INTO settings (key, value) VALUES ('message.language', ?1)",
        &[&evil("lang")],
    );
    env
}

/// No C0 control but the line feed, no DEL, no C1 control, no bidi control.
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            !bad,
            "{what}: U+{:04X} reached the terminal: {text:?}",
            c as u32
        );
    }
    assert!(
        !bytes.windows(2).any(|w| w == [0xc2, 0x9b]),
        "{what}: C1 CSI"
    );
}

fn assert_output_safe(what: &str, out: &Output) {
    assert_terminal_safe(&format!("{what} stdout"), &out.stdout);
    assert_terminal_safe(&format!("{what} stderr"), &out.stderr);
}

/// Every string anywhere in `v`.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn tables_and_lines_show_no_control_or_bidi_characters() {
    let env = hostile_env();
    for args in [
        &["log"][..],
        &["member", "list"],
        &["subscription", "list"],
        &["channel", "list"],
        &["settings", "list"],
    ] {
        let out = env.run_str(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_output_safe(&format!("{args:?}"), &out);
        // The text is still there, with placeholders where the controls were.
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(shown.contains("PWNED"), "{args:?}: {shown}");
    }
}

#[test]
fn json_output_escapes_every_control_and_round_trips() {
    let env = hostile_env();
    for args in [
        &["log", "--json"][..],
        &["member", "list", "--json"],
        &["subscription", "list", "--json"],
        &["channel", "list", "--json"],
    ] {
        let out = env.run_str(args);
        assert!(out.status.success(), "{args:?}");
        assert_output_safe(&format!("{args:?}"), &out);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut all = Vec::new();
        strings(&v, &mut all);
        assert!(
            all.iter().any(|s| s.ends_with(EVIL)),
            "{args:?}: the stored strings must survive: {all:?}"
        );
    }
}

#[test]
fn notify_and_delete_print_safely() {
    let env = hostile_env();
    let member = evil("m");
    let event_id = evil("E-2");
    let out = env.run(&[
        OsStr::new("notify"),
        OsStr::new("--type"),
        OsStr::new("sql_task"),
        OsStr::new("--node"),
        OsStr::new("to_be_approved"),
        OsStr::new("--event-id"),
        OsStr::new(&event_id),
        OsStr::new("--title"),
        OsStr::new("t"),
        OsStr::new("--member"),
        OsStr::new(&member),
    ]);
    assert_output_safe("notify", &out);
    let login = evil("alice");
    let out = env.run(&[
        OsStr::new("member"),
        OsStr::new("delete"),
        OsStr::new(&login),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_output_safe("member delete", &out);
}

#[test]
fn the_error_printer_is_safe() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    // An error naming a path with controls in it (a file that is not a database).
    let dir = env.dir.path().join(OsStr::from_bytes(evil("d").as_bytes()));
    std::fs::create_dir(&dir).unwrap();
    let garbage = dir.join("nd.db");
    std::fs::write(&garbage, b"not a database").unwrap();
    let out = env.run(&[
        OsStr::new("--db"),
        garbage.as_os_str(),
        OsStr::new("member"),
        OsStr::new("list"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PWNED"));
    assert_output_safe("error", &out);
}

#[test]
fn login_with_control_characters_is_refused_at_input() {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    for login in ["al\u{1b}ice", "alice\n", "\u{85}alice", "ali\u{9b}ce"] {
        let out = env.run_str(&[
            "member",
            "add",
            "--name",
            "Alice",
            "--login",
            login,
            "--phone",
            "13800138001",
        ]);
        assert!(!out.status.success(), "{login:?} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("control character"), "{login:?}: {err}");
        assert_output_safe("member add", &out);
    }
    let csv = env.dir.path().join("m.csv");
    std::fs::write(&csv, "name,login,phone\nBob,\"bo\u{7}b\",13800138002\n").unwrap();
    let out = env.run(&[OsStr::new("member"), OsStr::new("import"), csv.as_os_str()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("m.csv:2:") && err.contains("control character"),
        "{err}"
    );
    assert_output_safe("member import", &out);
    let list = env.run_str(&["member", "list", "--json"]);
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "[]");
}
