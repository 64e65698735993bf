//! Sandbox mode: `notifydesk sandbox` serves the DingTalk contract on loopback and shows what
//! it receives; `notifydesk --sandbox` runs the whole TUI flow without credentials.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::pty::{ENTER, Pty, TAB, ctrl};

#[test]
fn sandbox_server_accepts_the_cli_and_prints_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args(["sandbox", "--port", "0", "--members", "3"])
        .env_clear()
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = |rx: &mpsc::Receiver<String>, want: &str| -> String {
        loop {
            let line = rx
                .recv_timeout(common::pty::timeout())
                .unwrap_or_else(|_| panic!("sandbox never printed {want:?}"));
            if line.contains(want) {
                return line;
            }
        }
    };
    let url_line = next(&rx, "API base URL");
    let url = url_line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a loopback URL")
        .to_string();
    let db = dir.path().join("nd.db");
    let run = |args: &[&str], secret: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_notifydesk"));
        c.env_clear()
            .env("HOME", dir.path())
            .env("NOTIFYDESK_DB", &db)
            .env("NOTIFYDESK_DINGTALK_API", &url)
            .env("NOTIFYDESK_DINGTALK_OAPI", &url)
            .args(args);
        if let Some(s) = secret {
            c.env("NOTIFYDESK_APP_SECRET", s);
        }
        c.output().unwrap()
    };
    let out = run(
        &[
            "channel",
            "configure",
            "dingtalk",
            "--app-key",
            "dingsandbox0001",
            "--receiver",
            "13800000002",
        ],
        Some("sandbox-secret"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["channel", "test", "dingtalk"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = next(&rx, "sandbox0002");
    assert!(shown.contains("notifydesk"), "{shown}");
    server.kill().unwrap();
    let _ = server.wait();
}

#[test]
fn sandbox_tui_runs_the_whole_flow_offline() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&["--sandbox"], &[], dir.path(), 80, 24);
    p.wait_for("SANDBOX");
    p.wait_for("AppKey dingsandbox0001");
    p.send(ENTER);
    p.wait_for("Configure DingTalk Message Channel");
    p.type_text("dingsandbox0001");
    p.send(TAB);
    p.paste("sandbox-secret");
    p.send(TAB);
    p.send(TAB);
    p.send(TAB);
    p.type_text("13800000001");
    p.send(&ctrl('t'));
    p.wait_for("Successful");
    p.send(&ctrl('s'));
    p.wait_for("Configured: dingsandbox0001");
    p.send("3");
    p.wait_for("Sandbox User 5");
    p.send("q");
    p.wait_exit();
    p.assert_restored();
    std::thread::sleep(Duration::from_millis(50));
}
