//! The CLI against the fake DingTalk server: configure / test / list, and what goes wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint, Fault};

const APP_KEY: &str = "dingclikey0001";
const SECRET: &str = "cli-Secret-7a6b5c4d3e";
const PHONE: &str = "13900139000";
const USER_ID: &str = "ops0042";

struct Env {
    fake: FakeDingTalk,
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let fake = FakeDingTalk::start_background();
        fake.add_app(FakeApp::new(APP_KEY, SECRET));
        fake.add_user(PHONE, USER_ID);
        Env {
            fake,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("state").join("nd.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_notifydesk"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NOTIFYDESK_DB", self.db())
            .env("NOTIFYDESK_DINGTALK_API", self.fake.base_url())
            .env("NOTIFYDESK_DINGTALK_OAPI", self.fake.base_url())
            .env("NOTIFYDESK_LOG", "debug")
            .args(args)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn run_with_secret(&self, args: &[&str], secret: &str) -> Output {
        self.cmd(args)
            .env("NOTIFYDESK_APP_SECRET", secret)
            .output()
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.db().with_file_name("notifydesk.log")).unwrap_or_default()
    }

    /// No secret or access token anywhere the user or an admin could read.
    fn assert_no_leak(&self, outputs: &[&Output]) {
        let mut haystacks = vec![self.log()];
        for o in outputs {
            haystacks.push(String::from_utf8_lossy(&o.stdout).into_owned());
            haystacks.push(String::from_utf8_lossy(&o.stderr).into_owned());
        }
        let tokens = self.fake.valid_tokens();
        for h in &haystacks {
            assert!(!h.contains(SECRET), "secret leaked:\n{h}");
            for t in &tokens {
                assert!(!h.contains(t.as_str()), "access token leaked:\n{h}");
            }
        }
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn configure_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["channel", "configure", "dingtalk", "--app-key", APP_KEY];
    v.extend_from_slice(extra);
    v
}

#[test]
fn configure_list_and_test_succeed() {
    let env = Env::new();
    let out = env.run_with_secret(
        &configure_args(&["--receiver", "+86 139-0013-9000"]),
        SECRET,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Configured: dingclikey0001"));

    let list = env.run(&["channel", "list"]);
    assert!(list.status.success());
    assert!(
        stdout(&list).contains("Configured: dingclikey0001"),
        "{}",
        stdout(&list)
    );
    assert!(stdout(&list).contains("Unconfigured") || stdout(&list).contains("Not supported"));

    let test = env.run(&["channel", "test", "dingtalk"]);
    assert!(test.status.success(), "{}", stderr(&test));
    assert_eq!(stdout(&test).trim(), "Successful (robot markdown message)");
    let sent = env.fake.outbox();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].user_ids, vec![USER_ID.to_string()]);

    let json = env.run(&["channel", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let dt = &v[0];
    assert_eq!(dt["kind"], "dingtalk");
    assert_eq!(dt["configured"], true);
    assert_eq!(dt["app_key"], APP_KEY);
    assert_eq!(dt["receiver"], PHONE);
    assert_eq!(dt["last_test"]["ok"], true);
    assert_eq!(v.as_array().unwrap().len(), 4);
    env.assert_no_leak(&[&out, &list, &test, &json]);
}

#[test]
fn secret_from_stdin() {
    let env = Env::new();
    let mut child = env
        .cmd(&configure_args(&[
            "--app-secret-stdin",
            "--receiver",
            PHONE,
            "--test",
        ]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{SECRET}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Successful"));
    assert_eq!(env.fake.outbox().len(), 1);
    env.assert_no_leak(&[&out]);
}

#[test]
fn missing_secret_is_a_clear_error() {
    let env = Env::new();
    let out = env.run(&configure_args(&[]));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("NOTIFYDESK_APP_SECRET"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--app-secret-stdin"));
    let empty_stdin = env.run(&configure_args(&["--app-secret-stdin"]));
    assert!(!empty_stdin.status.success());
    assert!(
        stderr(&empty_stdin).contains("empty"),
        "{}",
        stderr(&empty_stdin)
    );
}

#[test]
fn the_secret_is_not_an_argument() {
    let env = Env::new();
    let out = env.run(&configure_args(&["--app-secret", SECRET]));
    assert!(!out.status.success());
    // Refused by the parser, and the refusal does not repeat the value typed.
    assert!(
        stderr(&out).contains("unexpected argument"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains(SECRET), "{}", stderr(&out));
    assert!(!stdout(&out).contains(SECRET), "{}", stdout(&out));
    assert!(!env.db().exists(), "nothing was configured");
}

#[test]
fn wrong_secret_fails_with_mapped_error() {
    let env = Env::new();
    let out = env.run_with_secret(&configure_args(&["--receiver", PHONE]), "wrong-secret");
    assert!(out.status.success());
    let test = env.run(&["channel", "test", "dingtalk"]);
    assert!(!test.status.success());
    let err = stderr(&test);
    assert!(err.contains("invalidClientIdOrSecret"), "{err}");
    assert!(err.contains("AppKey") && err.contains("AppSecret"), "{err}");
    assert!(env.fake.outbox().is_empty());
    // The failure is recorded on the card.
    let json = env.run(&["channel", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["last_test"]["ok"], false);
    // --test refuses to save a configuration that cannot send.
    let refused = env.run_with_secret(
        &configure_args(&["--receiver", PHONE, "--test"]),
        "wrong-again",
    );
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("not saved"));
}

#[test]
fn unknown_phone_fails_with_60121() {
    let env = Env::new();
    let out = env.run_with_secret(&configure_args(&["--receiver", PHONE]), SECRET);
    assert!(out.status.success());
    let test = env.run(&["channel", "test", "dingtalk", "--receiver", "13700137000"]);
    assert!(!test.status.success());
    let err = stderr(&test);
    assert!(err.contains("60121"), "{err}");
    assert!(err.to_lowercase().contains("phone"), "{err}");
    env.assert_no_leak(&[&out, &test]);
}

#[test]
fn malformed_phone_is_rejected_before_any_call() {
    let env = Env::new();
    let out = env.run_with_secret(&configure_args(&["--receiver", "12-34"]), SECRET);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("Receiver Info"), "{}", stderr(&out));
    assert!(env.fake.calls().is_empty());
    let test = env.run(&["channel", "test", "dingtalk"]);
    assert!(!test.status.success());
    assert!(
        stderr(&test).contains("not configured"),
        "{}",
        stderr(&test)
    );
}

#[test]
fn network_timeout_is_reported() {
    let env = Env::new();
    env.run_with_secret(&configure_args(&["--receiver", PHONE]), SECRET);
    env.fake
        .inject(FakeEndpoint::Token, Fault::Delay { ms: 5_000 }, 1);
    let test = env
        .cmd(&["--http-timeout", "0.5", "channel", "test", "dingtalk"])
        .output()
        .unwrap();
    assert!(!test.status.success());
    assert!(
        stderr(&test).to_lowercase().contains("timeout") || stderr(&test).contains("no answer"),
        "{}",
        stderr(&test)
    );
}

#[test]
fn db_file_is_private_and_garbage_is_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.run_with_secret(&configure_args(&[]), SECRET);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.db()), 0o600);
    assert_eq!(mode(env.db().parent().unwrap()), 0o700);

    let garbage = env.dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database, keep me").unwrap();
    let out = env
        .cmd(&["channel", "list"])
        .env("NOTIFYDESK_DB", &garbage)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("garbage.db"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&garbage).unwrap(),
        b"this is not a database, keep me"
    );
}

#[test]
fn tui_refuses_without_a_terminal() {
    let env = Env::new();
    let out = env.run(&[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("needs a terminal"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn readme_never_types_the_secret_inline() {
    let readme = include_str!("../README.md");
    // Only the shell snippets: prose may name the variable.
    let mut code = String::new();
    for (i, block) in readme.split("```").enumerate() {
        if i % 2 == 1 {
            code.push_str(block);
        }
    }
    for (i, _) in code.match_indices("NOTIFYDESK_APP_SECRET=") {
        let rest = &code[i + "NOTIFYDESK_APP_SECRET=".len()..];
        assert!(
            rest.starts_with('$') || rest.starts_with("\"$"),
            "README types the AppSecret inline: {:?}",
            rest.lines().next().unwrap_or_default()
        );
    }
    if let Some(first) = code.find("NOTIFYDESK_APP_SECRET") {
        assert!(
            code[..first].ends_with("read -rs "),
            "README uses NOTIFYDESK_APP_SECRET before `read -rs` sets it"
        );
    }
    let configure = code
        .lines()
        .find(|l| l.contains("channel configure dingtalk"))
        .expect("a configure example");
    assert!(configure.contains("--app-secret-stdin"), "{configure}");
}

#[test]
fn database_creation_and_tightening_reach_the_log() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let log_path = env.db().with_file_name("notifydesk.log");
    // A fresh database (and its directory) is created by the first command, and logged.
    let out = env.run(&["member", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = env.log();
    assert!(log.contains("created database file"), "{log}");
    assert!(log.contains("created data directory"), "{log}");
    // A database others can read is tightened, with a warning in the log beside it.
    std::fs::set_permissions(env.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::remove_file(&log_path).unwrap();
    let out = env.run(&["member", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = std::fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let log = env.log();
    assert!(log.contains("permissions tightened"), "{log}");
    assert!(log.contains("WARN"), "{log}");
}

/// The channel's last test as `channel list --json` shows it.
fn last_test(env: &Env) -> serde_json::Value {
    let json = env.run(&["channel", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    v[0]["last_test"].clone()
}

#[test]
fn a_failed_test_of_unsaved_values_keeps_the_saved_last_test() {
    let env = Env::new();
    let saved = env.run_with_secret(&configure_args(&["--receiver", PHONE, "--test"]), SECRET);
    assert!(saved.status.success(), "{}", stderr(&saved));
    let before = last_test(&env);
    assert_eq!(before["ok"], true, "{before}");

    // configure --test with other values fails and saves nothing: the card keeps its result.
    let refused = env.run_with_secret(
        &configure_args(&["--receiver", PHONE, "--test"]),
        "wrong-secret",
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not saved"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(last_test(&env), before);
    let refused = env.run_with_secret(
        &configure_args(&["--receiver", "13700137000", "--test"]),
        SECRET,
    );
    assert!(!refused.status.success());
    assert_eq!(last_test(&env), before);
    // So does `channel test` with a receiver that is not the saved one.
    let other = env.run(&["channel", "test", "dingtalk", "--receiver", "13700137000"]);
    assert!(!other.status.success());
    assert_eq!(last_test(&env), before);

    // A successful configure --test of new values saves them with their result.
    env.fake.add_user("13700137000", "ops0043");
    let moved = env.run_with_secret(
        &configure_args(&["--receiver", "13700137000", "--test"]),
        SECRET,
    );
    assert!(moved.status.success(), "{}", stderr(&moved));
    let json = env.run(&["channel", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["receiver"], "13700137000");
    assert_eq!(v[0]["last_test"]["ok"], true);

    // Saving other values without a test forgets the result, which was for the old values.
    let untested = env.run_with_secret(&configure_args(&["--receiver", PHONE]), SECRET);
    assert!(untested.status.success(), "{}", stderr(&untested));
    assert_eq!(last_test(&env), serde_json::Value::Null);
    env.assert_no_leak(&[&saved, &refused, &other, &moved, &untested]);
}

/// DingTalk echoing the AppSecret and the access token back (in the error code, the message
/// and a legacy errmsg): the CLI's error, `channel list --json` and the log show the
/// redaction marker and neither value.
#[test]
fn secrets_echoed_by_dingtalk_are_redacted_in_output_json_and_log() {
    let env = Env::new();
    let saved = env.run_with_secret(&configure_args(&["--receiver", PHONE]), SECRET);
    assert!(saved.status.success(), "{}", stderr(&saved));
    let mut outputs = vec![saved];
    let mut check = |endpoint: FakeEndpoint, fault: Fault| {
        env.fake.inject(endpoint, fault, 1);
        let test = env.run(&["channel", "test", "dingtalk"]);
        assert!(!test.status.success(), "{endpoint:?}: {}", stdout(&test));
        assert!(stderr(&test).contains("[redacted]"), "{}", stderr(&test));
        let last = last_test(&env);
        assert_eq!(last["ok"], false, "{last}");
        assert!(last.to_string().contains("[redacted]"), "{last}");
        outputs.push(test);
        outputs.push(env.run(&["channel", "list", "--json"]));
        outputs.push(env.run(&["channel", "list"]));
    };
    // The token request's body (with the AppSecret) echoed in the message.
    check(FakeEndpoint::Token, Fault::EchoRequest { status: 400 });
    // The access token (query string) echoed in the code.
    check(
        FakeEndpoint::GetByMobile,
        Fault::EchoRequest { status: 400 },
    );
    // The access token (header) echoed in the code, on the send.
    check(FakeEndpoint::BatchSend, Fault::EchoRequest { status: 400 });
    // A legacy answer whose errmsg names the AppSecret.
    check(
        FakeEndpoint::GetByMobile,
        Fault::LegacyError {
            errcode: 40089,
            sub_code: None,
            errmsg: format!("invalid appsecret {SECRET}"),
        },
    );
    let log = env.log();
    assert!(
        log.contains("[redacted]"),
        "the failures were logged: {log}"
    );
    env.assert_no_leak(&outputs.iter().collect::<Vec<_>>());
}
