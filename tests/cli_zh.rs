//! The CLI in Chinese: human output and errors follow the language (flag, NOTIFYDESK_LANG or
//! the locale); JSON, codes and exit statuses never change with it.

mod common;

use std::process::Output;

use common::cli_env::{Env, err, out};
use unicode_width::UnicodeWidthStr;

fn zh(env: &Env, args: &[&str]) -> Output {
    env.cmd(args).env("LANG", "zh_CN.UTF-8").output().unwrap()
}

/// The display column where `needle` starts in `line`.
fn column(line: &str, needle: &str) -> usize {
    line[..line
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} in {line:?}"))]
        .width()
}

#[test]
fn channel_list_in_chinese_lines_up_and_json_does_not_change() {
    let env = Env::new(1);
    let o = zh(&env, &["channel", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("渠道"), "{text}");
    assert!(text.contains("钉钉个人渠道"), "{text}");
    assert!(text.contains("已配置：dingcli0002"), "{text}");
    assert!(text.contains("未配置"), "{text}");
    // Columns by display width: each status starts under 状态 whatever the names' width.
    let status = column(lines[0], "状态");
    assert_eq!(column(lines[1], "已配置"), status, "{text}");
    assert_eq!(column(lines[2], "未配置"), status, "{text}");
    let en = env.run(&["channel", "list", "--json"]);
    let cn = zh(&env, &["channel", "list", "--json"]);
    assert_eq!(out(&en), out(&cn));
    // English stays as it was.
    let en = env.run(&["channel", "list"]);
    assert!(out(&en).starts_with("CHANNEL "), "{}", out(&en));
}

#[test]
fn a_mapped_error_in_chinese_keeps_its_code_and_exit_status() {
    let env = Env::new(1);
    let args = ["channel", "test", "dingtalk", "--receiver", "13700137000"];
    let cn = zh(&env, &args);
    let en = env.run(&args);
    assert_eq!(cn.status.code(), en.status.code());
    assert_eq!(cn.status.code(), Some(1));
    let e = err(&cn);
    assert!(
        e.contains("钉钉错误 60121：组织中没有使用此手机号的在职成员。解决："),
        "{e}"
    );
    assert!(err(&en).contains("DingTalk error 60121"), "{}", err(&en));
    // JSON is for scripts: the same words whatever the language.
    let json = zh(&env, &[&args[..], &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(
        v["summary"]
            .as_str()
            .unwrap()
            .starts_with("DingTalk error 60121"),
        "{v}"
    );
    // A common error before any call: the context stays, the message is translated.
    let bad = env
        .cmd(&["channel", "test", "dingtalk", "--receiver", "12"])
        .env("NOTIFYDESK_LANG", "zh")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        err(&bad).starts_with("notifydesk: --receiver: 不是有效的手机号"),
        "{}",
        err(&bad)
    );
}

#[test]
fn log_in_chinese_names_types_nodes_and_states() {
    let env = Env::new(2);
    let o = env.run(&[
        "notify",
        "--type",
        "sql_task",
        "--node",
        "to_be_approved",
        "--event-id",
        "T-1",
        "--title",
        "变更 orders 表",
        "--text",
        "请审批",
        "--member",
        "u1",
        "--member",
        "u2",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let log = zh(&env, &["log"]);
    assert!(log.status.success(), "{}", err(&log));
    let text = out(&log);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("类型/节点") && lines[0].contains("状态"),
        "{text}"
    );
    assert!(text.contains("SQL 任务/待审批"), "{text}");
    let status = column(lines[0], "状态");
    for row in &lines[1..3] {
        assert_eq!(column(row, "待发送"), status, "{text}");
    }
    assert!(text.contains("待发送 2 · 发送中 0"), "{text}");
    let en = env.run(&["log"]);
    assert!(out(&en).contains("sql_task/to_be_approved"), "{}", out(&en));
    assert!(out(&en).contains("pending 2 · sending 0"), "{}", out(&en));
}

#[test]
fn paths_say_which_language_and_why() {
    let env = Env::new(1);
    let o = zh(&env, &["paths"]);
    assert!(out(&o).contains("语言：  zh (LANG)"), "{}", out(&o));
    let o = env
        .cmd(&["--lang", "en", "paths"])
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert!(out(&o).contains("language: en (--lang)"), "{}", out(&o));
    let o = env.run(&["paths"]);
    assert!(out(&o).contains("language: en (default)"), "{}", out(&o));
    let o = env.run(&["--lang", "fr", "paths"]);
    assert_eq!(o.status.code(), Some(2), "a bad --lang is a usage error");
}
