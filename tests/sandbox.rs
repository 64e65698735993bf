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
    let url_line = next(&rx, "  DingTalk  http");
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

/// Shell advice must not type the AppSecret inline (it would land in the shell history): every
/// `NOTIFYDESK_APP_SECRET=` is followed by a variable reference, and the first mention of the
/// variable reads it with `read -rs`.
fn assert_no_inline_secret(what: &str, text: &str) {
    for (i, _) in text.match_indices("NOTIFYDESK_APP_SECRET=") {
        let rest = &text[i + "NOTIFYDESK_APP_SECRET=".len()..];
        assert!(
            rest.starts_with('$') || rest.starts_with("\"$"),
            "{what}: the AppSecret is typed inline: {:?}",
            rest.lines().next().unwrap_or_default()
        );
    }
    if let Some(first) = text.find("NOTIFYDESK_APP_SECRET") {
        assert!(
            text[..first].ends_with("read -rs "),
            "{what}: NOTIFYDESK_APP_SECRET is used before `read -rs` sets it"
        );
    }
}

#[test]
fn sandbox_banner_leads_with_stdin_and_never_types_the_secret_inline() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args(["sandbox", "--port", "0", "--members", "1"])
        .env_clear()
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut banner = String::new();
    loop {
        let line = rx
            .recv_timeout(common::pty::timeout())
            .expect("the sandbox banner");
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Messages received") {
            break;
        }
    }
    server.kill().unwrap();
    let _ = server.wait();
    assert_no_inline_secret("sandbox banner", &banner);
    let configure = banner
        .lines()
        .find(|l| l.contains("channel configure dingtalk"))
        .expect("a configure example");
    assert!(configure.contains("--app-secret-stdin"), "{banner}");
}

/// A bare HTTP/1.1 POST of JSON to the loopback sandbox; returns the response body.
fn post_json(base: &str, path: &str, headers: &[(&str, &str)], body: &serde_json::Value) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    assert!(addr.starts_with("127.0.0.1:"), "loopback only: {addr}");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let body = body.to_string();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (_, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    body.to_string()
}

#[test]
fn sandbox_prints_received_titles_without_control_or_bidi_characters() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args(["sandbox", "--port", "0", "--members", "1"])
        .env_clear()
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let _ = tx.send(line);
                }
            }
        }
    });
    let next = |want: &str| -> Vec<u8> {
        loop {
            let line = rx
                .recv_timeout(common::pty::timeout())
                .unwrap_or_else(|_| panic!("sandbox never printed {want:?}"));
            if String::from_utf8_lossy(&line).contains(want) {
                return line;
            }
        }
    };
    let url_line = String::from_utf8(next("  DingTalk  http")).unwrap();
    let url = url_line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a loopback URL")
        .to_string();
    let token: serde_json::Value = serde_json::from_str(&post_json(
        &url,
        "/v1.0/oauth2/accessToken",
        &[],
        &serde_json::json!({"appKey": "dingsandbox0001", "appSecret": "sandbox-secret"}),
    ))
    .unwrap();
    let token = token["accessToken"].as_str().expect("a token").to_string();
    let title = "x\u{1b}]2;PWNED\u{7}\u{9b}31m\u{202e}gnp.exe\u{2067}\r\u{7f}";
    let param = serde_json::json!({"title": title, "text": "t"}).to_string();
    let sent = post_json(
        &url,
        "/v1.0/robot/oToMessages/batchSend",
        &[("x-acs-dingtalk-access-token", &token)],
        &serde_json::json!({
            "robotCode": "dingsandbox0001",
            "userIds": ["sandbox0001"],
            "msgKey": "sampleMarkdown",
            "msgParam": param,
        }),
    );
    assert!(sent.contains("processQueryKey"), "{sent}");
    let line = next("→ sandbox0001:");
    server.kill().unwrap();
    let _ = server.wait();
    let text = String::from_utf8_lossy(&line);
    assert!(text.contains("PWNED"), "{text:?}");
    for c in text.trim_end_matches('\n').chars() {
        let bad = c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "U+{:04X} reached the terminal: {text:?}", c as u32);
    }
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
