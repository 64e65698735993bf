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

#[test]
fn member_commands_speak_chinese_and_their_json_does_not_change() {
    let env = Env::new(1);
    let add = [
        "member",
        "add",
        "--name",
        "王五",
        "--login",
        "wangwu",
        "--phone",
        "13800138000",
    ];
    let o = zh(&env, &add);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).starts_with("已添加成员 王五（wangwu），手机号 "),
        "{}",
        out(&o)
    );

    let list = zh(&env, &["member", "list"]);
    let text = out(&list);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("姓名") && lines[0].contains("钉钉 userid"),
        "{text}"
    );
    let row = lines.iter().find(|l| l.contains("王五")).expect(&text);
    // By display width: the login starts under 登录名 though 王五 is two wide characters.
    assert_eq!(column(row, "wangwu"), column(lines[0], "登录名"), "{text}");
    assert!(row.ends_with('-'), "an unresolved userid is '-': {text}");
    let en = env.run(&["member", "list", "--json"]);
    assert_eq!(out(&en), out(&zh(&env, &["member", "list", "--json"])));
    assert!(out(&env.run(&["member", "list"])).starts_with("NAME "));

    // One new member, one login taken: the problem and the summary in Chinese.
    let csv = env.dir.path().join("m.csv");
    std::fs::write(
        &csv,
        "name,login,phone\n赵六,zhaoliu,13800138001\nX,u1,13800138002\n",
    )
    .unwrap();
    let csv = csv.to_str().unwrap();
    let o = zh(&env, &["member", "import", csv]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains(":3: Login: 登录名为 \"u1\" 的成员已存在"),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains(
            "1 行无效，未导入任何成员（请修正，或加 --skip-invalid 导入其余 1 行有效内容）"
        ),
        "{}",
        err(&o)
    );
    let o = zh(&env, &["member", "import", "--skip-invalid", csv]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("导入 1 名成员；跳过 1 行无效内容"),
        "{}",
        out(&o)
    );

    let o = zh(&env, &["member", "delete", "wangwu"]);
    assert_eq!(out(&o), "已删除成员 王五（wangwu）\n");
    let o = zh(&env, &["member", "delete", "wangwu"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("没有登录名为 \"wangwu\" 的成员"),
        "{}",
        err(&o)
    );
    // English stays as it was.
    let o = env.run(&["member", "delete", "zhaoliu"]);
    assert_eq!(out(&o), "Deleted member 赵六 (zhaoliu)\n");
}

#[test]
fn notify_and_deliver_report_in_chinese() {
    let env = Env::new(2);
    let event = [
        "notify",
        "--type",
        "sql_task",
        "--node",
        "to_be_approved",
        "--event-id",
        "Z-1",
        "--title",
        "变更",
        "--member",
        "u1",
        "--member",
        "u2",
        "--member",
        "ghost",
    ];
    let o = zh(&env, &event);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).starts_with("事件 Z-1：已排队 2 条发送；没有登录名为 ghost 的成员"),
        "{}",
        out(&o)
    );
    let o = zh(&env, &event);
    assert_eq!(
        out(&o),
        "事件 Z-1：已收到过；同一事件 ID 只发送一次\n",
        "{}",
        err(&o)
    );
    let o = zh(&env, &["deliver"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).starts_with("已发送 2 · 失败 0 · 可能已送达 0 · 推迟 0 · "),
        "{}",
        out(&o)
    );
    // English stays as it was.
    let o = env.run(&event);
    assert!(
        out(&o).contains("event Z-1: already received"),
        "{}",
        out(&o)
    );
}

#[test]
fn subscription_commands_speak_chinese_and_keep_the_codes() {
    let env = Env::new(1);
    let o = zh(&env, &["subscription", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("类型"), "{text}");
    for word in ["节点", "接收人", "站内信", "个人渠道", "自定义接收人"] {
        assert!(lines[0].contains(word), "{word}: {text}");
    }
    // The codes stay: they are what `subscription set` takes.
    let row = lines
        .iter()
        .find(|l| l.starts_with("sql_task") && l.contains("to_be_approved"))
        .expect(&text);
    assert!(
        row.contains("审批人"),
        "the default receiver by name: {text}"
    );
    assert_eq!(column(row, "[x]"), column(lines[0], "站内信"), "{text}");

    let set = [
        "subscription",
        "set",
        "sql_task",
        "to_be_approved",
        "--email",
        "on",
        "--receivers",
        "u1",
    ];
    let o = zh(&env, &set);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "已保存：sql_task/to_be_approved（SQL 任务 / 待审批）：站内信、邮件、个人渠道；接收人：审批人 + u1\n"
    );
    let o = zh(&env, &["subscription", "set", "nope", "x", "--sms", "on"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("未知的订阅类型 \"nope\"；可用的类型："),
        "{}",
        err(&o)
    );
    let o = zh(&env, &["subscription", "set", "sql_task", "to_be_approved"]);
    assert!(err(&o).contains("没有要修改的内容"), "{}", err(&o));
    let en = env.run(&["subscription", "list", "--json"]);
    assert_eq!(
        out(&en),
        out(&zh(&env, &["subscription", "list", "--json"]))
    );
    assert!(out(&env.run(&["subscription", "list"])).starts_with("TYPE "));
}

#[test]
fn channel_configure_says_what_it_saved_in_chinese() {
    let env = Env::new(1);
    let configure = |lang: &str, args: &[&str]| {
        env.cmd(&[&["channel", "configure"][..], args].concat())
            .env("LANG", lang)
            .env("NOTIFYDESK_APP_SECRET", common::cli_env::SECRET)
            .output()
            .unwrap()
    };
    let dingtalk = [
        "dingtalk",
        "--app-key",
        common::cli_env::KEY,
        "--receiver",
        "13900000001",
    ];
    let o = configure("zh_CN.UTF-8", &dingtalk);
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        out(&o),
        "已保存：钉钉个人渠道，已配置：dingcli0002，接收人 13900000001\n"
    );
    let wecom = [
        "wecom",
        "--corp-id",
        "wwcli0001",
        "--agent-id",
        "1000002",
        "--receiver",
        "13900000001",
    ];
    let o = configure("zh_CN.UTF-8", &wecom);
    assert_eq!(
        out(&o),
        "已保存：企业微信个人渠道，已配置：wwcli0001，AgentId 1000002，来源字段 手机号，接收人 13900000001\n",
        "{}",
        err(&o)
    );
    // A refused test: nothing saved, and it says so in Chinese.
    let refused = [&dingtalk[..4], &["13700137000", "--test"]].concat();
    let o = configure("zh_CN.UTF-8", &refused);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("未保存：测试消息发送失败"), "{}", err(&o));
    // The refusal itself is explained in Chinese too (60121: no such member).
    assert!(
        err(&o).contains("60121") && !err(&o).contains("Fix:"),
        "{}",
        err(&o)
    );
    // English as it was.
    let o = configure("C", &wecom);
    assert_eq!(
        out(&o),
        "Saved: WeCom personal channel, Configured: wwcli0001, AgentId 1000002, source column Phone, receiver 13900000001\n"
    );
    let o = configure("C", &refused);
    assert!(
        err(&o).contains("not saved: the test message could not be sent"),
        "{}",
        err(&o)
    );
}

#[test]
fn common_cli_errors_in_chinese_keep_their_context_and_exit_status() {
    let env = Env::new(0);
    let zh_err = |args: &[&str]| {
        let o = zh(&env, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", err(&o));
        err(&o)
    };
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "subscription",
                "set",
                "sql_task",
                "approved",
                "--receivers",
                "nobody",
            ],
            "notifydesk: 未找到登录名为 \"nobody\" 的成员",
        ),
        (
            &["channel", "configure", "dingtalk", "--app-key", "dingk1"],
            "notifydesk: AppKey已更改，已保存的AppSecret不再适用：请加 --app-secret-stdin",
        ),
        (
            &[
                "channel",
                "configure",
                "wecom",
                "--corp-id",
                "ww1",
                "--agent-id",
                "1000002",
            ],
            "notifydesk: 必须提供 Secret：",
        ),
        (
            &["settings", "set", "message.language", "fr"],
            "notifydesk: message.language 只能是以下之一：en、zh",
        ),
        (
            &["settings", "get", "message.lang"],
            "notifydesk: 未知的设置 \"message.lang\"；可用：",
        ),
        (
            &["--http-timeout", "0", "channel", "list"],
            "notifydesk: --http-timeout 必须在 0 到 600 秒之间",
        ),
        (
            &["--sandbox", "--db", "x.db"],
            "notifydesk: --sandbox 总是使用新的临时数据库，不能同时使用 --db x.db",
        ),
    ];
    for (args, want) in cases {
        let e = zh_err(args);
        assert!(e.starts_with(want), "{args:?}: {e}");
    }
    // The context before a known message stays as written.
    let o = env
        .cmd(&[
            "channel",
            "configure",
            "dingtalk",
            "--app-key",
            "dingk1",
            "--source-column",
            "email",
        ])
        .env("LANG", "zh_CN.UTF-8")
        .env("NOTIFYDESK_APP_SECRET", "s")
        .output()
        .unwrap();
    assert!(
        err(&o).starts_with("notifydesk: --source-column: 钉钉只按手机号查找成员"),
        "{}",
        err(&o)
    );
    // English as it was.
    let o = env.run(&["settings", "set", "message.language", "fr"]);
    assert_eq!(
        err(&o),
        "notifydesk: message.language must be one of: en, zh\n"
    );
}

#[test]
fn the_worker_reports_on_standard_error_in_chinese() {
    let env = Env::new(0);
    let worker = env
        .cmd(&["worker"])
        .env("LANG", "zh_CN.UTF-8")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Give it time to start before it is told to stop.
    std::thread::sleep(std::time::Duration::from_millis(500));
    unsafe { libc::kill(worker.id() as i32, libc::SIGTERM) };
    let o = worker.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("notifydesk worker：正在发送；收到 SIGTERM 或 Ctrl-C 后，发完当前批次即停止"),
        "{e}"
    );
    assert!(
        e.contains("notifydesk worker：已停止（待发送 0 · 已发送 0 · 失败 0）"),
        "{e}"
    );
}

#[test]
fn notify_from_standard_input_says_which_line_is_wrong_in_chinese() {
    use std::io::Write;
    let env = Env::new(1);
    let mut child = env
        .cmd(&["notify", "--stdin-json"])
        .env("LANG", "zh_CN.UTF-8")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let good = r#"{"event_id":"S-1","type":"sql_task","node":"to_be_approved","title":"t","members":["u1"]}"#;
    let long = "x".repeat(600 * 1024);
    let input = format!("not json\n{good}\n{long}\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(out(&o).contains("事件 S-1：已排队 1 条发送"), "{}", out(&o));
    let e = err(&o);
    assert!(e.contains("stdin:1: 不是有效的事件："), "{e}");
    assert!(
        e.contains("stdin:3: 这一行有 614400 字节，超过单个事件 524288 字节的上限"),
        "{e}"
    );
}

#[test]
fn the_sandbox_server_introduces_itself_in_chinese() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args(["sandbox", "--port", "0", "--members", "1"])
        .env_clear()
        .env("HOME", dir.path())
        .env("LANG", "zh_CN.UTF-8")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Lines through a channel, so a missing line fails after a while instead of hanging.
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = server.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut intro = Vec::new();
    loop {
        let Ok(line) = rx.recv_timeout(std::time::Duration::from_secs(20)) else {
            let _ = server.kill();
            panic!("no 收到的消息 line in:\n{}", intro.join("\n"));
        };
        let last = line.starts_with("收到的消息");
        intro.push(line);
        if last {
            break;
        }
    }
    let text = intro.join("\n");
    // Killed, not interrupted: a SIGINT before its handler is polled would end it anyway.
    server.kill().unwrap();
    let _ = server.wait();
    assert!(
        text.starts_with("notifydesk sandbox：本地的钉钉、企业微信、飞书和 Lark 服务器"),
        "{text}"
    );
    // The values line up by display width under Chinese labels, and the commands stay.
    let line_with = |needle: &str| intro.iter().find(|l| l.contains(needle)).expect(&text);
    assert!(
        line_with("AppKey dingsandbox0001").starts_with("  钉钉      http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        line_with("CorpID wwsandbox0001").starts_with("  企业微信  http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("在另一个终端中试试："), "{text}");
    assert!(
        text.contains("channel configure dingtalk --app-key dingsandbox0001"),
        "{text}"
    );
}
