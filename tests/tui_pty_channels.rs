//! End-to-end: the WeCom, Feishu and Lark cards of `notifydesk --sandbox` in a pseudo-terminal,
//! configured as a new user would with the sandbox's values (README / `notifydesk sandbox`).

mod common;

use common::pty::{DOWN, ENTER, ESC, Pty, RIGHT, TAB, ctrl};

/// Every sandbox app's secret.
const SECRET: &str = "sandbox-secret";
const LEFT: &str = "\x1b[D";

fn sandbox() -> (tempfile::TempDir, Pty) {
    let dir = tempfile::tempdir().unwrap();
    let p = Pty::spawn(&["--sandbox"], &[], dir.path(), 100, 30);
    p.wait_for("AppKey dingsandbox0001");
    (dir, p)
}

/// Select the card titled `title` (moving with `keys` from DingTalk) and open its dialog.
fn open_dialog(p: &mut Pty, keys: &[&str], title: &str, dialog: &str) {
    for k in keys {
        p.send(k);
    }
    p.wait_for(&format!("> {title}"));
    p.send(ENTER);
    p.wait_for(dialog);
}

/// The card's lines, read from its box in the screen: the text between its side borders.
fn card(screen: &str, title: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.contains(title))
        .unwrap_or_else(|| panic!("no card {title:?} in\n{screen}"));
    // Two cards per row: the right card's title is in the line's second half.
    let chars: Vec<char> = lines[top].chars().collect();
    let at = lines[top][..lines[top].find(title).unwrap()]
        .chars()
        .count();
    let right_half = at > chars.len() / 2;
    lines[top + 1..]
        .iter()
        .take_while(|l| !l.contains('└'))
        .map(|l| {
            let cells: Vec<&str> = l.split('│').collect();
            let i = if right_half { 3 } else { 1 };
            cells.get(i).copied().unwrap_or_default().trim().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Test, save and check the card; then quit.
fn test_save_and_check(
    p: &mut Pty,
    card_title: &str,
    app_id: &str,
    reached: &str,
    receiver_line: &str,
) {
    p.send(&ctrl('t'));
    let screen = p.wait_for("✓ Successful");
    assert!(!screen.contains("Failed"), "{screen}");
    // The line under the result names whom the test reached.
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("✓ Successful"))
        .unwrap();
    assert!(
        lines[at + 1].contains(reached),
        "{reached:?} not in\n{screen}"
    );
    p.send(&ctrl('s'));
    // The status line names the card that was saved.
    let screen = p.wait_for(&format!("Configured: {app_id}"));
    let status = screen.lines().rev().nth(1).unwrap_or_default();
    assert!(
        status.contains(&format!("✓ {card_title} saved")),
        "{status:?}\n{screen}"
    );
    let text = card(&screen, card_title);
    assert!(text.contains("Last test: Successful"), "{text}\n{screen}");
    assert!(text.contains(receiver_line), "{text}\n{screen}");
    p.send("q");
    assert!(p.wait_exit().success());
    p.assert_restored();
}

/// The secret was typed or pasted: masked in the dialog (the sandbox's banner prints it,
/// being no secret there, so the banner line is the one place it may be).
fn assert_secret_masked(p: &Pty) {
    let screen = p.wait_for("••••");
    for line in screen.lines().filter(|l| !l.contains("Try: AppKey")) {
        assert!(!line.contains(SECRET), "secret shown: {line:?}\n{screen}");
    }
}

#[test]
fn sandbox_wecom_card_is_configured_by_phone_tested_and_saved() {
    let (_dir, mut p) = sandbox();
    open_dialog(
        &mut p,
        &[RIGHT],
        "WeCom personal channel",
        "Configure WeCom Message Channel",
    );
    // The dialog itself says what to type in the sandbox (the status line has no room for
    // all four platforms' values at this width).
    p.wait_for("CorpID wwsandbox0001 · AgentId 1000002");
    p.type_text("wwsandbox0001");
    p.send(TAB);
    p.type_text("1000002");
    p.send(TAB);
    p.paste(SECRET);
    p.send(TAB);
    assert_secret_masked(&p);
    // Phone is WeCom's first Source Column; the select goes round all three and back.
    p.wait_for("< Phone >");
    p.send(" ");
    p.wait_for("< Email >");
    p.send(" ");
    p.wait_for("< Login Name >");
    p.send(" ");
    p.wait_for("< Phone >");
    p.send(TAB);
    p.wait_for("phone of a member, for the test");
    p.type_text("138 0000 0001");
    test_save_and_check(
        &mut p,
        "WeCom personal channel",
        "wwsandbox0001",
        "sandbox0001",
        "Receiver Info: 13800000001",
    );
}

#[test]
fn sandbox_feishu_card_is_configured_by_login_name_tested_and_saved() {
    let (_dir, mut p) = sandbox();
    open_dialog(
        &mut p,
        &[DOWN],
        "Feishu personal channel",
        "Configure Feishu Message Channel",
    );
    p.type_text("cli_sandbox0001");
    p.send(TAB);
    p.paste(&format!("{SECRET}\n"));
    p.send(TAB);
    assert_secret_masked(&p);
    p.send(TAB);
    // Login Name (the tenant user_id) is Feishu's first Source Column.
    p.wait_for("< Login Name >");
    p.send(TAB);
    p.wait_for("login name of a member, for the test");
    p.type_text("sandbox0001");
    test_save_and_check(
        &mut p,
        "Feishu personal channel",
        "cli_sandbox0001",
        "sandbox0001",
        "Receiver Info: sandbox0001",
    );
}

#[test]
fn sandbox_lark_card_is_configured_by_email_tested_and_saved() {
    let (_dir, mut p) = sandbox();
    open_dialog(
        &mut p,
        &[DOWN, RIGHT],
        "Feishu Lark personal channel",
        "Configure Feishu Lark Message Channel",
    );
    p.type_text("cli_sandboxlark1");
    p.send(TAB);
    p.paste(SECRET);
    p.send(TAB);
    p.send(TAB);
    p.wait_for("< Login Name >");
    // → and Space move on; ← goes back, as the select's arrows say.
    p.send(RIGHT);
    p.wait_for("< Phone >");
    p.send(RIGHT);
    p.wait_for("< Email >");
    p.send(LEFT);
    p.wait_for("< Phone >");
    p.send(" ");
    p.wait_for("< Email >");
    p.send(TAB);
    p.wait_for("email of a member, for the test");
    p.type_text("sandbox0001@example.com");
    test_save_and_check(
        &mut p,
        "Feishu Lark personal channel",
        "cli_sandboxlark1",
        // Found by email: reached by the app's open_id.
        &feishu_fake::open_id_for("cli_sandboxlark1", "sandbox0001"),
        "Receiver Info: sandbox0001@example.com",
    );
}

/// One card of the wrong-secret test.
struct WrongSecret {
    /// From the previous card to this one.
    keys: &'static [&'static str],
    title: &'static str,
    dialog: &'static str,
    app_id: &'static str,
    /// WeCom's AgentId, the field before the secret.
    agent: Option<&'static str>,
    /// The mapped error's text.
    mapped: &'static str,
}

#[test]
fn sandbox_wrong_secrets_show_the_mapped_errors_and_save_nothing() {
    let (_dir, mut p) = sandbox();
    let wrong = "not-the-sandbox-secret";
    let cases = [
        WrongSecret {
            keys: &[RIGHT],
            title: "WeCom personal channel",
            dialog: "Configure WeCom Message Channel",
            app_id: "wwsandbox0001",
            agent: Some("1000002"),
            mapped: "WeCom refused the Secret for this CorpID",
        },
        WrongSecret {
            keys: &[LEFT, DOWN],
            title: "Feishu personal channel",
            dialog: "Configure Feishu Message Channel",
            app_id: "cli_sandbox0001",
            agent: None,
            mapped: "the App ID or App Secret was refused",
        },
        WrongSecret {
            keys: &[RIGHT],
            title: "Feishu Lark personal channel",
            dialog: "Configure Feishu Lark Message Channel",
            app_id: "cli_sandboxlark1",
            agent: None,
            mapped: "the App ID or App Secret was refused",
        },
    ];
    for WrongSecret {
        keys,
        title,
        dialog,
        app_id,
        agent,
        mapped,
    } in cases
    {
        open_dialog(&mut p, keys, title, dialog);
        p.type_text(app_id);
        p.send(TAB);
        if let Some(agent) = agent {
            p.type_text(agent);
            p.send(TAB);
        }
        p.paste(wrong);
        // The default Source Column: a phone works for WeCom, a login for Feishu/Lark.
        let receiver = if agent.is_some() {
            "13800000001"
        } else {
            "sandbox0001"
        };
        let to_receiver = if agent.is_some() { 2 } else { 3 };
        for _ in 0..to_receiver {
            p.send(TAB);
        }
        p.type_text(receiver);
        p.send(&ctrl('t'));
        let screen = p.wait_for("✗ Failed");
        // The mapped message and its fix, not a raw platform answer; never the secret.
        let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(mapped), "{screen}");
        assert!(flat.contains("Fix:"), "{screen}");
        assert!(!screen.contains(wrong), "{screen}");
        // Nothing was saved: discarding leaves the card unconfigured.
        p.send(ESC);
        p.wait_for("Discard changes?");
        p.send("y");
        let screen = p.wait_for("Enter configure");
        let text = card(&screen, title);
        assert!(text.contains("Unconfigured"), "{text}\n{screen}");
    }
    p.send("q");
    assert!(p.wait_exit().success());
    p.assert_restored();
    assert!(
        !p.raw_output().contains(wrong),
        "the secret reached the terminal"
    );
}
