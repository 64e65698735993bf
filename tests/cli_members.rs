//! End-to-end tests of `notifydesk member …` and `notifydesk subscription …`: the real binary,
//! a real database file in a temporary HOME, a clean environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("x.db")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_notifydesk"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NOTIFYDESK_DB", self.db())
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// Run, expect success, return stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn logins(members: &Value) -> Vec<String> {
    members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["login"].as_str().unwrap().to_string())
        .collect()
}

fn row<'a>(rows: &'a Value, t: &str, n: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["type_code"] == t && r["node_code"] == n)
        .unwrap_or_else(|| panic!("no row {t}/{n}"))
}

#[test]
fn member_add_and_list() {
    let env = Env::new();
    let out = env.ok(&[
        "member",
        "add",
        "--name",
        "王芳",
        "--login",
        "wangfang",
        "--phone",
        "+86 138 0013 8000",
        "--email",
        "wf@example.com",
    ]);
    assert_eq!(out, "Added member 王芳 (wangfang), phone 13800138000\n");
    env.ok(&[
        "member",
        "add",
        "--name",
        "Bob",
        "--login",
        "bob",
        "--phone",
        "13900139000",
    ]);

    // Duplicate login, case-insensitively.
    let dup = env.run(&[
        "member",
        "add",
        "--name",
        "Bob 2",
        "--login",
        "BOB",
        "--phone",
        "13900139001",
    ]);
    assert_eq!(dup.status.code(), Some(1));
    assert_eq!(
        stderr(&dup),
        "notifydesk: a member with login \"BOB\" already exists\n"
    );
    // Invalid fields are all named.
    let bad = env.run(&[
        "member", "add", "--name", "X", "--login", "x y", "--phone", "123",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    let e = stderr(&bad);
    assert!(e.contains("Login: login may contain only"), "{e}");
    assert!(e.contains("Phone: not a valid mobile number"), "{e}");

    let table = env.ok(&["member", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("NAME"), "{table}");
    assert!(lines[1].starts_with("Bob ") && lines[1].contains("13900139000"));
    assert!(lines[2].starts_with("王芳") && lines[2].contains("wf@example.com"));

    let json = env.json(&["member", "list", "--json"]);
    assert_eq!(logins(&json), ["bob", "wangfang"]);
    assert_eq!(json[1]["name"], "王芳");
    assert_eq!(json[1]["mobile"], "13800138000");
    assert_eq!(json[1]["email"], "wf@example.com");
    assert_eq!(json[0]["email"], Value::Null);
    assert_eq!(json[0]["dingtalk_userid"], Value::Null);

    // Delete by login.
    assert_eq!(
        env.ok(&["member", "delete", "BOB"]),
        "Deleted member Bob (bob)\n"
    );
    let gone = env.run(&["member", "delete", "bob"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(stderr(&gone).contains("no member has the login \"bob\""));
    assert_eq!(
        logins(&env.json(&["member", "list", "--json"])),
        ["wangfang"]
    );
}

fn bad_csv() -> Vec<u8> {
    let mut csv = Vec::new();
    csv.extend_from_slice(b"Login,NAME,phone,email\n"); // 1
    csv.extend_from_slice(b"alice,Alice,13800138001,alice@example.com\n"); // 2 ok
    csv.extend_from_slice(b"badphone,Bad Phone,12345,\n"); // 3 bad phone
    csv.extend_from_slice(b",No Login,13800138002,\n"); // 4 missing login
    csv.extend_from_slice(b"\n"); // 5 empty: skipped
    csv.extend_from_slice(b"ALICE,Alice Again,13800138003,\n"); // 6 duplicate in file
    csv.extend_from_slice(b"cafe,Caf\xe9 Owner,13800138004,\n"); // 7 not UTF-8
    csv.extend_from_slice(b"existing,Existing,13800138005,\n"); // 8 already in the DB
    csv.extend_from_slice(b"carol,\"Carol, Jr.\",138 0013 8006,\n"); // 9 ok
    csv
}

#[test]
fn import_with_bad_lines_imports_nothing_and_reports_each_line() {
    let env = Env::new();
    env.ok(&[
        "member",
        "add",
        "--name",
        "Old",
        "--login",
        "Existing",
        "--phone",
        "13900139000",
    ]);
    let file = env.write("members.csv", &bad_csv());
    let out = env.run(&["member", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    let err = stderr(&out);
    let f = file.display();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 6, "{err}");
    assert!(lines[0].starts_with(&format!("{f}:3: Phone: ")), "{err}");
    assert_eq!(lines[1], format!("{f}:4: Login: login is required"));
    assert_eq!(
        lines[2],
        format!("{f}:6: Login: \"ALICE\" is already used on line 2 of this file")
    );
    assert_eq!(
        lines[3],
        format!("{f}:7: the line is not valid UTF-8; save the file as UTF-8")
    );
    assert_eq!(
        lines[4],
        format!("{f}:8: Login: a member with login \"existing\" already exists")
    );
    assert!(
        lines[5].contains("5 invalid line(s)")
            && lines[5].contains("nothing imported")
            && lines[5].contains("--skip-invalid"),
        "{err}"
    );
    assert_eq!(
        logins(&env.json(&["member", "list", "--json"])),
        ["Existing"]
    );

    // --skip-invalid imports the good lines and says how many were skipped.
    let out = env.run(&["member", "import", "--skip-invalid", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Imported 2 member(s) from {f}; skipped 5 invalid line(s)\n")
    );
    assert_eq!(stderr(&out).lines().count(), 5);
    let members = env.json(&["member", "list", "--json"]);
    assert_eq!(logins(&members), ["alice", "carol", "Existing"]);
    assert_eq!(members[1]["name"], "Carol, Jr.");
    assert_eq!(members[1]["mobile"], "13800138006");
    assert_eq!(members[0]["email"], "alice@example.com");
}

#[test]
fn clean_import_and_bad_header() {
    let env = Env::new();
    let good = env.write(
        "good.csv",
        b"\xEF\xBB\xBFname,login,phone\r\nA,a,13800138001\r\nB,b,13800138002\r\n",
    );
    assert_eq!(
        env.ok(&["member", "import", "good.csv"]),
        "Imported 2 member(s) from good.csv\n"
    );
    assert!(good.exists());
    let bad = env.run(&["member", "import", "--skip-invalid", "bad.csv"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("cannot read bad.csv"),
        "{}",
        stderr(&bad)
    );
    env.write("hdr.csv", b"name,user,phone\nC,c,13800138003\n");
    let out = env.run(&["member", "import", "--skip-invalid", "hdr.csv"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("hdr.csv:1: unknown column \"user\""), "{err}");
    assert!(
        err.contains("hdr.csv:1: the header lacks the column(s) login"),
        "{err}"
    );
    assert_eq!(logins(&env.json(&["member", "list", "--json"])), ["a", "b"]);
}

fn methods(row: &Value) -> Vec<&str> {
    row["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect()
}

#[test]
fn subscription_set_persists_across_processes() {
    let env = Env::new();
    let rows = env.json(&["subscription", "list", "--json"]);
    assert_eq!(rows.as_array().unwrap().len(), 17);
    let r = row(&rows, "sql_task", "to_be_approved");
    assert_eq!(methods(r), ["inbox"]);
    assert_eq!(r["receiver"], "Approvers");
    assert_eq!(r["node_label"], "To be approved");

    let out = env.ok(&[
        "subscription",
        "set",
        "sql_task",
        "to_be_approved",
        "--personal",
        "on",
    ]);
    assert_eq!(
        out,
        "Saved: sql_task/to_be_approved (SQL Task / To be approved): Inbox, Personal Channel; receivers: Approvers\n"
    );
    // A second process sees it.
    let rows = env.json(&["subscription", "list", "--json"]);
    assert_eq!(
        methods(row(&rows, "sql_task", "to_be_approved")),
        ["inbox", "personal"]
    );
    assert_eq!(
        methods(row(&rows, "permission_apply", "to_be_approved")),
        ["inbox"]
    );

    // Several methods and custom receivers at once; then switch one off.
    env.ok(&[
        "member",
        "add",
        "--name",
        "Zed",
        "--login",
        "zed",
        "--phone",
        "13800138001",
    ]);
    env.ok(&[
        "member",
        "add",
        "--name",
        "Amy",
        "--login",
        "amy",
        "--phone",
        "13800138002",
    ]);
    env.ok(&[
        "subscription",
        "set",
        "data_export",
        "export_failed",
        "--email",
        "on",
        "--sms",
        "on",
        "--phone",
        "on",
        "--webhook",
        "on",
        "--receivers",
        "zed, AMY",
    ]);
    env.ok(&[
        "subscription",
        "set",
        "data_export",
        "export_failed",
        "--sms",
        "off",
    ]);
    let rows = env.json(&["subscription", "list", "--json"]);
    let r = row(&rows, "data_export", "export_failed");
    assert_eq!(methods(r), ["inbox", "email", "phone", "webhook"]);
    assert_eq!(r["custom_receivers"], serde_json::json!(["amy", "zed"]));

    // The table shows the same.
    let table = env.ok(&["subscription", "list"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("TYPE") && header.contains("Personal Channel"),
        "{table}"
    );
    let line = table
        .lines()
        .find(|l| l.starts_with("data_export") && l.contains("export_failed"))
        .unwrap();
    // Each method's box sits under its column title.
    let boxes: Vec<&str> = [
        "Inbox",
        "SMS",
        "Email",
        "Phone",
        "Webhook",
        "Personal Channel",
    ]
    .iter()
    .map(|title| {
        let at = header.find(title).unwrap();
        &line[at..at + 3]
    })
    .collect();
    assert_eq!(boxes, ["[x]", "[ ]", "[x]", "[x]", "[x]", "[ ]"], "{table}");
    assert!(line.ends_with("  amy, zed"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with("sql_task") && l.contains("to_be_approved"))
        .unwrap();
    assert!(line.contains("Approvers"), "{line}");

    // Empty --receivers clears the custom receivers.
    env.ok(&[
        "subscription",
        "set",
        "data_export",
        "export_failed",
        "--receivers",
        "",
    ]);
    let rows = env.json(&["subscription", "list", "--json"]);
    assert_eq!(
        row(&rows, "data_export", "export_failed")["custom_receivers"],
        serde_json::json!([])
    );
}

#[test]
fn subscription_set_errors_are_clear_and_change_nothing() {
    let env = Env::new();
    let out = env.run(&[
        "subscription",
        "set",
        "sql_task",
        "nope",
        "--personal",
        "on",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "notifydesk: unknown node \"nope\" for subscription type sql_task; valid nodes: to_be_submitted, to_be_approved, approved, rejected, to_be_executed, execution_succeeded, execution_failed, revoked\n"
    );
    let out = env.run(&["subscription", "set", "sql", "approved", "--sms", "on"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "notifydesk: unknown subscription type \"sql\"; valid types: sql_task, permission_apply, data_export\n"
    );
    // Inbox cannot be switched off: the option does not exist.
    let out = env.run(&[
        "subscription",
        "set",
        "sql_task",
        "approved",
        "--inbox",
        "off",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unexpected argument '--inbox'"));
    // Nothing to change.
    let out = env.run(&["subscription", "set", "sql_task", "approved"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing to change"));
    // Unknown receiver: refused, and the method change given with it is not applied.
    let out = env.run(&[
        "subscription",
        "set",
        "sql_task",
        "approved",
        "--email",
        "on",
        "--receivers",
        "ghost",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "notifydesk: a member with login \"ghost\" was not found\n"
    );
    let rows = env.json(&["subscription", "list", "--json"]);
    for r in rows.as_array().unwrap() {
        assert_eq!(methods(r), ["inbox"]);
    }
}

#[test]
fn database_is_created_where_notifydesk_db_points() {
    let env = Env::new();
    assert!(!Path::new(&env.db()).exists());
    env.ok(&["subscription", "list"]);
    assert!(env.db().exists());
}
