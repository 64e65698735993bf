//! The CLI's WeCom, Feishu and Lark cards against their fakes on loopback: configure / test /
//! list, and what goes wrong (wrong secret, unknown receiver, trusted IP, unsupported column).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use dingtalk_fake::FakeDingTalk;
use feishu_fake::{FakeFeishu, FakeUser};
use serde_json::Value;
use wecom_fake::FakeWeCom;

const CORP_ID: &str = "wwclichannels01";
const AGENT_ID: i64 = 1000017;
const WECOM_SECRET: &str = "WeCom-cli-S3cret-a1b2c3d4e5";
const FEISHU_APP: &str = "cli_channelsfeishu01";
const FEISHU_SECRET: &str = "Feishu-cli-S3cret-f6e7d8c9";
const LARK_APP: &str = "cli_channelslark01";
const LARK_SECRET: &str = "Lark-cli-S3cret-0a9b8c7d";
const DINGTALK_KEY: &str = "dingcliChannels01";
const DINGTALK_SECRET: &str = "DingTalk-cli-S3cret-5e4f3a";

/// The member every platform knows: WeCom userid / Feishu user_id `zhangsan`.
const USER_ID: &str = "zhangsan";
const PHONE: &str = "13912345678";
const EMAIL: &str = "zhangsan@example.com";

/// Every secret a test may hand to the binary.
const SECRETS: [&str; 4] = [WECOM_SECRET, FEISHU_SECRET, LARK_SECRET, DINGTALK_SECRET];

struct Env {
    dingtalk: FakeDingTalk,
    wecom: FakeWeCom,
    feishu: FakeFeishu,
    lark: FakeFeishu,
    dir: tempfile::TempDir,
    // Last: the fakes' servers run on it and stop with it.
    _rt: tokio::runtime::Runtime,
}

impl Env {
    fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (wecom, feishu, lark) = rt.block_on(async {
            (
                FakeWeCom::start().await.unwrap(),
                FakeFeishu::start().await.unwrap(),
                FakeFeishu::start().await.unwrap(),
            )
        });
        wecom.add_app(wecom_fake::FakeApp::new(CORP_ID, AGENT_ID, WECOM_SECRET));
        wecom.add_user(USER_ID, PHONE, EMAIL);
        feishu.add_app(feishu_fake::FakeApp::new(FEISHU_APP, FEISHU_SECRET));
        lark.add_app(feishu_fake::FakeApp::new(LARK_APP, LARK_SECRET));
        for f in [&feishu, &lark] {
            f.add_user(FakeUser::new(USER_ID).mobile(PHONE).email(EMAIL));
        }
        let dingtalk = FakeDingTalk::start_background();
        dingtalk.add_app(dingtalk_fake::FakeApp::new(DINGTALK_KEY, DINGTALK_SECRET));
        dingtalk.add_user(PHONE, USER_ID);
        Env {
            dingtalk,
            wecom,
            feishu,
            lark,
            dir: tempfile::tempdir().unwrap(),
            _rt: rt,
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("nd.db")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_notifydesk"));
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("NOTIFYDESK_DB", self.db())
            .env("NOTIFYDESK_DINGTALK_API", self.dingtalk.base_url())
            .env("NOTIFYDESK_DINGTALK_OAPI", self.dingtalk.base_url())
            .env("NOTIFYDESK_WECOM_API", self.wecom.base_url())
            .env("NOTIFYDESK_FEISHU_API", self.feishu.base_url())
            .env("NOTIFYDESK_LARK_API", self.lark.base_url())
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

    fn list_json(&self) -> Vec<Value> {
        let out = self.run(&["channel", "list", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        self.assert_no_leak(&[&out], &[]);
        match serde_json::from_slice(&out.stdout).unwrap() {
            Value::Array(v) => v,
            other => panic!("not a list: {other}"),
        }
    }

    /// The `channel list --json` entry of the card `kind` (its JSON code).
    fn card(&self, kind: &str) -> Value {
        self.list_json()
            .into_iter()
            .find(|c| c["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} card"))
    }

    /// No secret (nor `extra` ones) or access token in these outputs or the log file.
    fn assert_no_leak(&self, outputs: &[&Output], extra: &[&str]) {
        let mut haystacks = vec![("log", self.log())];
        for o in outputs {
            haystacks.push(("stdout", stdout(o)));
            haystacks.push(("stderr", stderr(o)));
        }
        let mut needles: Vec<String> = SECRETS.iter().chain(extra).map(|s| s.to_string()).collect();
        needles.extend(self.wecom.issued_tokens());
        needles.extend(self.feishu.all_tokens());
        needles.extend(self.lark.all_tokens());
        needles.extend(self.dingtalk.valid_tokens());
        for (name, h) in &haystacks {
            for n in &needles {
                assert!(!h.contains(n.as_str()), "{n:?} leaked in {name}:\n{h}");
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

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// One platform's CLI name, JSON code, `configure` arguments and secret.
struct Platform {
    cli: &'static str,
    json: &'static str,
    app_id: &'static str,
    secret: &'static str,
}

const WECOM: Platform = Platform {
    cli: "wecom",
    json: "wecom",
    app_id: CORP_ID,
    secret: WECOM_SECRET,
};
const FEISHU: Platform = Platform {
    cli: "feishu",
    json: "feishu",
    app_id: FEISHU_APP,
    secret: FEISHU_SECRET,
};
const LARK: Platform = Platform {
    cli: "lark",
    json: "feishu_lark",
    app_id: LARK_APP,
    secret: LARK_SECRET,
};

impl Platform {
    /// `channel configure <platform> <app id args> extra…`.
    fn configure<'a>(&'a self, agent: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = vec!["channel", "configure", self.cli];
        if self.cli == "wecom" {
            v.extend(["--corp-id", self.app_id, "--agent-id", agent]);
        } else {
            v.extend(["--app-id", self.app_id]);
        }
        v.extend_from_slice(extra);
        v
    }
}

const AGENT: &str = "1000017";

/// configure --test, test (text and --json) and list (text and --json) for one platform with
/// one Source Column; the fake received exactly the three test messages, for `USER_ID`, and
/// each summary names the id the platform reached (`reached`).
fn configure_test_and_list(
    p: &Platform,
    column: &str,
    receiver: &str,
    reached: &str,
    outbox: impl Fn(&Env) -> Vec<String>,
) {
    let env = Env::new();
    let args = p.configure(
        AGENT,
        &["--source-column", column, "--receiver", receiver, "--test"],
    );
    let configured = env.run_with_secret(&args, p.secret);
    assert_eq!(code(&configured), Some(0), "{}", stderr(&configured));
    let out = stdout(&configured);
    assert!(out.contains(&format!("to {reached})")), "{out}");
    assert!(out.starts_with("Successful ("), "{out}");
    assert!(out.contains(&format!("Configured: {}", p.app_id)), "{out}");

    let test = env.run(&["channel", "test", p.cli]);
    assert_eq!(code(&test), Some(0), "{}", stderr(&test));
    assert!(
        stdout(&test).trim().starts_with("Successful ("),
        "{}",
        stdout(&test)
    );
    assert!(stdout(&test).trim().ends_with(&format!("to {reached})")));
    let json = env.run(&["channel", "test", p.cli, "--json"]);
    assert_eq!(code(&json), Some(0), "{}", stderr(&json));
    let record: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(record["ok"], true, "{record}");
    assert!(
        record["summary"].as_str().unwrap().contains(reached),
        "{record}"
    );
    assert_eq!(
        outbox(&env),
        vec![USER_ID.to_string(); 3],
        "three messages to the member"
    );

    let list = env.run(&["channel", "list"]);
    assert_eq!(code(&list), Some(0));
    let row = stdout(&list)
        .lines()
        .find(|l| l.contains(&format!("Configured: {}", p.app_id)))
        .unwrap_or_else(|| panic!("no configured row:\n{}", stdout(&list)))
        .to_string();
    assert!(row.contains("Successful ("), "{row}");

    let card = env.card(p.json);
    assert_eq!(card["configured"], true, "{card}");
    assert_eq!(card["app_key"], p.app_id, "{card}");
    assert_eq!(card["source_column"], column, "{card}");
    assert_eq!(card["last_test"]["ok"], true, "{card}");
    env.assert_no_leak(&[&configured, &test, &json, &list], &[]);
    assert!(
        env.log().contains(p.cli) || env.log().contains(p.json),
        "{}",
        env.log()
    );
}

fn wecom_outbox(env: &Env) -> Vec<String> {
    env.wecom
        .outbox()
        .into_iter()
        .flat_map(|m| m.touser)
        .collect()
}

fn feishu_outbox(env: &Env) -> Vec<String> {
    env.feishu.outbox().into_iter().map(|m| m.user_id).collect()
}

fn lark_outbox(env: &Env) -> Vec<String> {
    env.lark.outbox().into_iter().map(|m| m.user_id).collect()
}

#[test]
fn wecom_configure_test_and_list_by_phone() {
    configure_test_and_list(&WECOM, "phone", "+86 139-1234-5678", USER_ID, wecom_outbox);
}

#[test]
fn wecom_configure_test_and_list_by_email() {
    configure_test_and_list(&WECOM, "email", EMAIL, USER_ID, wecom_outbox);
}

#[test]
fn feishu_configure_test_and_list_by_login() {
    configure_test_and_list(&FEISHU, "login", USER_ID, USER_ID, feishu_outbox);
}

#[test]
fn feishu_configure_test_and_list_by_phone() {
    // Looked up by phone, the member is reached by this app's open_id.
    let open_id = feishu_fake::open_id_for(FEISHU_APP, USER_ID);
    configure_test_and_list(&FEISHU, "phone", PHONE, &open_id, feishu_outbox);
}

#[test]
fn lark_configure_test_and_list_by_email() {
    let open_id = feishu_fake::open_id_for(LARK_APP, USER_ID);
    configure_test_and_list(&LARK, "email", EMAIL, &open_id, lark_outbox);
}

#[test]
fn the_wecom_card_shows_its_agent_id_and_each_platform_its_own_fields() {
    let env = Env::new();
    let w = env.run_with_secret(
        &WECOM.configure(AGENT, &["--receiver", PHONE]),
        WECOM_SECRET,
    );
    assert_eq!(code(&w), Some(0), "{}", stderr(&w));
    assert!(
        stdout(&w).contains(&format!("AgentId {AGENT_ID}")),
        "{}",
        stdout(&w)
    );
    // No --source-column: WeCom's default is Phone, Feishu's Login Name.
    let f = env.run_with_secret(
        &FEISHU.configure("", &["--receiver", USER_ID]),
        FEISHU_SECRET,
    );
    assert_eq!(code(&f), Some(0), "{}", stderr(&f));
    let wecom = env.card("wecom");
    assert_eq!(wecom["agent_id"], AGENT_ID, "{wecom}");
    assert_eq!(wecom["source_column"], "phone", "{wecom}");
    assert_eq!(wecom["receiver"], PHONE, "{wecom}");
    assert!(
        wecom["last_test"].is_null(),
        "no test was asked for: {wecom}"
    );
    let feishu = env.card("feishu");
    assert_eq!(feishu["source_column"], "login", "{feishu}");
    assert!(feishu.get("agent_id").is_none(), "{feishu}");
    let list = env.run(&["channel", "list"]);
    let text = stdout(&list);
    let row = text.lines().find(|l| l.starts_with("WeCom")).unwrap();
    assert!(row.contains(CORP_ID), "{text}");
    assert!(env.wecom.outbox().is_empty() && env.feishu.outbox().is_empty());
    env.assert_no_leak(&[&w, &f, &list], &[]);
}

#[test]
fn list_json_shows_all_four_cards_and_never_a_secret() {
    let env = Env::new();
    let d = env.run_with_secret(
        &[
            "channel",
            "configure",
            "dingtalk",
            "--app-key",
            DINGTALK_KEY,
            "--receiver",
            PHONE,
        ],
        DINGTALK_SECRET,
    );
    assert_eq!(code(&d), Some(0), "{}", stderr(&d));
    let mut outs = vec![d];
    for (p, receiver) in [(&WECOM, PHONE), (&FEISHU, USER_ID), (&LARK, USER_ID)] {
        let o = env.run_with_secret(
            &p.configure(AGENT, &["--receiver", receiver, "--test"]),
            p.secret,
        );
        assert_eq!(code(&o), Some(0), "{}: {}", p.cli, stderr(&o));
        outs.push(o);
    }
    let list = env.run(&["channel", "list", "--json"]);
    let raw = stdout(&list);
    let cards: Vec<Value> = serde_json::from_str(&raw).unwrap();
    let kinds: Vec<&str> = cards.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["dingtalk", "wecom", "feishu", "feishu_lark"]);
    for c in &cards {
        assert_eq!(c["configured"], true, "{c}");
        // Not even a field that could hold one.
        for key in ["secret", "app_secret", "corp_secret", "token", "aes_key"] {
            assert!(c.get(key).is_none(), "{key} in {c}");
        }
    }
    for p in [&WECOM, &FEISHU, &LARK] {
        assert_eq!(env.card(p.json)["last_test"]["ok"], true, "{}", p.cli);
    }
    let refs: Vec<&Output> = outs.iter().chain([&list]).collect();
    env.assert_no_leak(&refs, &[]);
}

#[test]
fn an_empty_database_lists_four_unconfigured_cards() {
    let env = Env::new();
    let cards = env.list_json();
    assert_eq!(cards.len(), 4);
    assert!(cards.iter().all(|c| c["configured"] == false), "{cards:?}");
    let text = stdout(&env.run(&["channel", "list"]));
    for title in ["DingTalk", "WeCom", "Feishu personal", "Feishu Lark"] {
        let row = text
            .lines()
            .find(|l| l.starts_with(title))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(row.contains("Unconfigured"), "{row}");
    }
}

/// `--test` with a wrong secret: exit 1, the mapped error, "not saved", and the card as before.
#[test]
fn a_wrong_secret_with_test_exits_1_prints_the_mapped_error_and_saves_nothing() {
    let wrong = "Wrong-S3cret-not-this-one";
    let cases: [(&Platform, &str, &str); 3] = [
        (&WECOM, PHONE, "WeCom refused the Secret for this CorpID"),
        (&FEISHU, USER_ID, "the App ID or App Secret was refused"),
        (&LARK, USER_ID, "the App ID or App Secret was refused"),
    ];
    for (p, receiver, mapped) in cases {
        let env = Env::new();
        let args = p.configure(AGENT, &["--receiver", receiver, "--test"]);
        let out = env.run_with_secret(&args, wrong);
        assert_eq!(code(&out), Some(1), "{}: {}", p.cli, stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(mapped), "{}: {err}", p.cli);
        assert!(err.contains("Fix:"), "{}: {err}", p.cli);
        assert!(err.contains("not saved"), "{}: {err}", p.cli);
        assert!(!stdout(&out).contains("Saved"), "{}", stdout(&out));
        let card = env.card(p.json);
        assert_eq!(card["configured"], false, "{card}");
        assert!(card["last_test"].is_null(), "{card}");
        // A saved, working configuration is kept, and still works.
        let good = env.run_with_secret(&p.configure(AGENT, &["--receiver", receiver]), p.secret);
        assert_eq!(code(&good), Some(0), "{}", stderr(&good));
        let again = env.run_with_secret(&args, wrong);
        assert_eq!(code(&again), Some(1), "{}", stderr(&again));
        let test = env.run(&["channel", "test", p.cli]);
        assert_eq!(
            code(&test),
            Some(0),
            "{}: the saved secret was replaced: {}",
            p.cli,
            stderr(&test)
        );
        env.assert_no_leak(&[&out, &good, &again, &test], &[wrong]);
    }
}

#[test]
fn a_receiver_that_is_not_found_is_the_mapped_not_found_error_and_exit_1() {
    // (platform, column, saved receiver, receiver not in the directory, mapped text)
    let cases: [(&Platform, &str, &str, &str, &str); 5] = [
        (
            &WECOM,
            "phone",
            PHONE,
            "13700000000",
            "was not found or not visible to this app",
        ),
        (
            &WECOM,
            "email",
            EMAIL,
            "nobody@example.com",
            "was not found or not visible to this app",
        ),
        (
            &FEISHU,
            "phone",
            PHONE,
            "13700000000",
            "was not found or not visible to this app",
        ),
        (
            &FEISHU,
            "login",
            USER_ID,
            "nobody",
            "the receiver id does not exist in this tenant",
        ),
        (
            &LARK,
            "email",
            EMAIL,
            "nobody@example.com",
            "was not found or not visible to this app",
        ),
    ];
    for (p, column, saved, unknown, mapped) in cases {
        let env = Env::new();
        let args = p.configure(
            AGENT,
            &["--source-column", column, "--receiver", saved, "--test"],
        );
        let ok = env.run_with_secret(&args, p.secret);
        assert_eq!(code(&ok), Some(0), "{}", stderr(&ok));
        let before = env.card(p.json)["last_test"].clone();

        let out = env.run(&["channel", "test", p.cli, "--receiver", unknown]);
        assert_eq!(code(&out), Some(1), "{} {column}: {}", p.cli, stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(mapped), "{} {column}: {err}", p.cli);
        assert!(err.contains("Fix:"), "{} {column}: {err}", p.cli);
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
        // Another receiver than the saved one: not the card's last test.
        assert!(err.contains("not recorded"), "{err}");
        assert_eq!(env.card(p.json)["last_test"], before, "{} {column}", p.cli);
        let json = env.run(&["channel", "test", p.cli, "--receiver", unknown, "--json"]);
        assert_eq!(code(&json), Some(1), "{}", stderr(&json));
        let record: Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(record["ok"], false, "{record}");
        assert!(
            record["summary"].as_str().unwrap().contains(mapped),
            "{record}"
        );
        env.assert_no_leak(&[&ok, &out, &json], &[]);
    }
}

#[test]
fn wecom_60020_prints_the_ip_to_add_to_the_trusted_ip_list() {
    let env = Env::new();
    // The app only accepts calls from another address than this machine's (loopback).
    env.wecom.update_app(CORP_ID, AGENT_ID, |a| {
        a.trusted_ips = Some(["203.0.113.7".to_string()].into());
    });
    let args = WECOM.configure(AGENT, &["--receiver", PHONE, "--test"]);
    let out = env.run_with_secret(&args, WECOM_SECRET);
    assert_eq!(code(&out), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("60020:"), "{err}");
    assert!(
        err.contains("add 127.0.0.1 to the app's Trusted IP"),
        "the IP WeCom saw is what to add: {err}"
    );
    assert!(err.contains("not saved"), "{err}");
    // Also when the token call is already refused (apps checking gettoken too).
    env.wecom.set_gettoken_checks_ip(true);
    let out2 = env.run_with_secret(&args, WECOM_SECRET);
    assert_eq!(code(&out2), Some(1), "{}", stderr(&out2));
    assert!(
        stderr(&out2).contains("add 127.0.0.1 to the app's Trusted IP"),
        "{}",
        stderr(&out2)
    );
    assert!(env.wecom.outbox().is_empty());
    assert_eq!(env.card("wecom")["configured"], false);
    env.assert_no_leak(&[&out, &out2], &[]);
}

#[test]
fn a_source_column_the_platform_does_not_offer_is_refused() {
    let env = Env::new();
    for column in ["email", "login"] {
        let out = env.run_with_secret(
            &[
                "channel",
                "configure",
                "dingtalk",
                "--app-key",
                DINGTALK_KEY,
                "--source-column",
                column,
                "--receiver",
                PHONE,
            ],
            DINGTALK_SECRET,
        );
        assert_ne!(code(&out), Some(0), "{column}");
        let err = stderr(&out);
        assert!(err.contains("--source-column"), "{err}");
        assert!(err.contains("phone only"), "{err}");
        assert_eq!(env.card("dingtalk")["configured"], false, "{column}");
        env.assert_no_leak(&[&out], &[]);
    }
    // A value no platform has is refused by the parser, which lists the valid ones.
    let out = env.run_with_secret(
        &WECOM.configure(AGENT, &["--source-column", "wechat"]),
        WECOM_SECRET,
    );
    assert_eq!(code(&out), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("[possible values: phone, email, login]"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.card("wecom")["configured"], false);
}

#[test]
fn a_receiver_in_the_wrong_form_for_the_column_is_refused_before_any_call() {
    let env = Env::new();
    let cases: [(&Platform, &str, &str); 3] = [
        (&WECOM, "email", PHONE),
        (&FEISHU, "phone", EMAIL),
        (&LARK, "email", USER_ID),
    ];
    for (p, column, receiver) in cases {
        let args = p.configure(
            AGENT,
            &["--source-column", column, "--receiver", receiver, "--test"],
        );
        let out = env.run_with_secret(&args, p.secret);
        assert_ne!(code(&out), Some(0), "{} {column}", p.cli);
        assert!(
            stderr(&out).contains("invalid configuration"),
            "{}",
            stderr(&out)
        );
        assert_eq!(env.card(p.json)["configured"], false);
    }
    assert_eq!(env.wecom.token_calls(), 0);
    assert_eq!(env.feishu.token_calls() + env.lark.token_calls(), 0);
}

/// Platforms that echo the secret (token call) or the access token (send) in an error: the CLI
/// output, the card's last test and the log show the redaction marker and neither value.
#[test]
fn secrets_and_tokens_echoed_by_the_platforms_are_redacted_everywhere() {
    let env = Env::new();
    env.wecom.set_reissue_same_token(true);
    for (p, receiver) in [(&WECOM, PHONE), (&FEISHU, USER_ID), (&LARK, USER_ID)] {
        let ok = env.run_with_secret(
            &p.configure(AGENT, &["--receiver", receiver, "--test"]),
            p.secret,
        );
        assert_eq!(code(&ok), Some(0), "{}", stderr(&ok));
    }
    // The next process gets the same (still valid) token: the send's error echoes it.
    let wecom_token = env.wecom.issued_tokens().pop().unwrap();
    env.wecom.inject(
        wecom_fake::FakeEndpoint::MessageSend,
        wecom_fake::Fault::errcode(49999, &format!("bad access_token {wecom_token} in request")),
        1,
    );
    let feishu_token = env.feishu.valid_tokens().pop().unwrap();
    env.feishu.inject(
        feishu_fake::FakeEndpoint::SendMessage,
        feishu_fake::Fault::Code {
            status: 400,
            code: 99999,
            msg: format!("token {feishu_token} rejected"),
        },
        1,
    );
    // Lark echoes the secret from its token call.
    env.lark.revoke_tokens();
    env.lark.inject(
        feishu_fake::FakeEndpoint::Token,
        feishu_fake::Fault::Code {
            status: 400,
            code: 99999,
            msg: format!("app_secret={LARK_SECRET} is not this app's"),
        },
        1,
    );
    let mut outs = Vec::new();
    for p in [&WECOM, &FEISHU, &LARK] {
        let out = env.run(&["channel", "test", p.cli]);
        assert_eq!(code(&out), Some(1), "{}: {}", p.cli, stderr(&out));
        assert!(
            stderr(&out).contains("[redacted]"),
            "{}: {}",
            p.cli,
            stderr(&out)
        );
        let last = env.card(p.json)["last_test"].clone();
        assert_eq!(last["ok"], false, "{last}");
        assert!(
            last["summary"].as_str().unwrap().contains("[redacted]"),
            "{last}"
        );
        outs.push(out);
    }
    let refs: Vec<&Output> = outs.iter().collect();
    env.assert_no_leak(&refs, &[&wecom_token, &feishu_token]);
    // Not even a piece of one: the first 8 characters of each.
    for s in [LARK_SECRET, &wecom_token, &feishu_token] {
        let piece = &s[..8];
        for o in &outs {
            assert!(!stderr(o).contains(piece), "{piece:?} in {}", stderr(o));
        }
        assert!(!env.log().contains(piece), "{piece:?} in the log");
    }
}
