//! End-to-end in Chinese: the real binary in a pseudo-terminal started with a Chinese locale,
//! against the fake DingTalk server.

mod common;

use common::pty::{ENTER, ESC, Pty, RIGHT, TAB, ctrl};
use dingtalk_fake::{FakeApp, FakeDingTalk};

const APP_KEY: &str = "dingappkey0001";
const SECRET: &str = "Sec-ret-9f8e7d6c5b4a";
const USER_ID: &str = "manager4711";

#[test]
fn lang_zh_cn_configures_tests_and_saves_the_dingtalk_card_in_chinese() {
    let fake = FakeDingTalk::start_background();
    fake.add_app(FakeApp::new(APP_KEY, SECRET));
    fake.add_user("13800138000", USER_ID);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nd.db");
    let url = fake.base_url();
    let mut p = Pty::spawn(
        &[
            "--db",
            db.to_str().unwrap(),
            "--dingtalk-api",
            &url,
            "--dingtalk-oapi",
            &url,
        ],
        &[("LANG", "zh_CN.UTF-8")],
        dir.path(),
        80,
        24,
    );
    p.wait_for("渠道管理");
    p.wait_for("未配置");
    p.send(ENTER);
    p.wait_for("配置钉钉消息渠道");
    p.type_text(APP_KEY);
    p.send(TAB);
    p.paste(SECRET);
    // Template ID, Source Column, then the receiver.
    p.send(TAB);
    p.send(TAB);
    p.send(TAB);
    p.type_text("138 0013 8000");
    p.send(TAB);
    p.wait_for("[>测试消息发送<]");
    p.send(ENTER);
    let screen = p.wait_for("✓ 成功");
    assert!(screen.contains(USER_ID), "{screen}");
    assert_eq!(fake.outbox().len(), 1, "one message at the fake");
    p.send(&ctrl('s'));
    p.wait_for("已配置：dingappkey0001");
    let screen = p.wait_for("个人渠道已保存");
    assert!(screen.contains("上次测试：成功"), "{screen}");
    p.send("q");
    let status = p.wait_exit();
    assert!(status.success(), "{status:?}");
    p.assert_restored();
    assert!(!p.raw_output().contains(SECRET));
}

#[test]
fn a_refused_test_is_explained_in_chinese() {
    let fake = FakeDingTalk::start_background();
    fake.add_app(FakeApp::new(APP_KEY, SECRET));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nd.db");
    let url = fake.base_url();
    let mut p = Pty::spawn(
        &[
            "--db",
            db.to_str().unwrap(),
            "--dingtalk-api",
            &url,
            "--dingtalk-oapi",
            &url,
            "--lang",
            "zh",
        ],
        &[("LANG", "C")],
        dir.path(),
        80,
        24,
    );
    p.wait_for("未配置");
    p.send(ENTER);
    p.wait_for("配置钉钉消息渠道");
    p.type_text(APP_KEY);
    p.send(TAB);
    p.paste(SECRET);
    p.send(TAB);
    p.send(TAB);
    p.send(TAB);
    // Nobody has this number at the fake: DingTalk answers 60121.
    p.type_text("13900139000");
    p.send(&ctrl('t'));
    let screen = p.wait_for("✗ 失败");
    let screen = if screen.contains("在职成员") {
        screen
    } else {
        p.wait_for("在职成员")
    };
    assert!(screen.contains("60121"), "{screen}");
    // Leaving the changed dialog asks first, in Chinese too.
    p.send(ESC);
    p.wait_for("放弃修改？");
    p.send("y");
    p.wait_for("Enter 配置");
    p.send("q");
    assert!(p.wait_exit().success());
    p.assert_restored();
}

#[test]
fn the_sandbox_says_what_to_type_in_chinese() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(
        &["--sandbox"],
        &[("LANG", "zh_CN.UTF-8")],
        dir.path(),
        100,
        30,
    );
    // The status line, then the WeCom dialog's own line, with the values to type.
    p.wait_for("试试：AppKey dingsandbox0001");
    p.send(RIGHT);
    p.wait_for("> 企业微信个人渠道");
    p.send(ENTER);
    p.wait_for("配置企业微信消息渠道");
    p.wait_for("沙箱：CorpID wwsandbox0001 · AgentId 1000002");
    p.send(ESC);
    p.wait_for("Enter 配置");
    p.send("q");
    assert!(p.wait_exit().success());
    p.assert_restored();
}
