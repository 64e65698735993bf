//! End-to-end: the real binary in a pseudo-terminal against the fake DingTalk server.

mod common;

use common::pty::{self, BACKTAB, ENTER, ESC, Pty, TAB, ctrl};
use dingtalk_fake::{FakeApp, FakeDingTalk, FakeEndpoint, Fault};

const APP_KEY: &str = "dingappkey0001";
const SECRET: &str = "Sec-ret-9f8e7d6c5b4a";
const PHONE: &str = "13800138000";
const USER_ID: &str = "manager4711";

fn fake() -> FakeDingTalk {
    let fake = FakeDingTalk::start_background();
    fake.add_app(FakeApp::new(APP_KEY, SECRET));
    fake.add_user(PHONE, USER_ID);
    fake
}

fn start(fake: &FakeDingTalk, dir: &std::path::Path, cols: u16, rows: u16) -> Pty {
    start_with_env(fake, dir, cols, rows, &[])
}

/// The binary on `dir/nd.db`, wired to the fake, with extra environment variables.
fn start_with_env(
    fake: &FakeDingTalk,
    dir: &std::path::Path,
    cols: u16,
    rows: u16,
    envs: &[(&str, &str)],
) -> Pty {
    let db = dir.join("nd.db");
    let url = fake.base_url();
    Pty::spawn(
        &[
            "--db",
            db.to_str().unwrap(),
            "--dingtalk-api",
            &url,
            "--dingtalk-oapi",
            &url,
        ],
        envs,
        dir,
        cols,
        rows,
    )
}

fn fill_dialog(p: &mut Pty, secret: &str) {
    p.send(ENTER);
    p.wait_for("Configure DingTalk Message Channel");
    p.type_text(APP_KEY);
    p.send(TAB);
    // A pasted secret with a trailing newline must neither submit nor keep the newline.
    p.paste(&format!("{secret}\n"));
    p.send(TAB);
    p.send(TAB);
    p.send(TAB);
    p.type_text("138 0013 8000");
    p.send(TAB);
}

#[test]
fn configure_test_save_quit_and_reopen() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    fill_dialog(&mut p, SECRET);
    let screen = p.wait_for("[>Test Message Sending<]");
    assert!(!screen.contains(SECRET));
    p.send(ENTER);
    let screen = p.wait_for("Successful");
    assert!(screen.contains(USER_ID), "{screen}");
    let sent = fake.outbox();
    assert_eq!(sent.len(), 1, "one message at the fake");
    assert_eq!(sent[0].user_ids, vec![USER_ID.to_string()]);
    p.send(&ctrl('s'));
    p.wait_for("Configured: dingappkey0001");
    p.wait_for("channel saved");
    p.send("q");
    let status = p.wait_exit();
    assert!(status.success(), "{status:?}");
    p.assert_restored();
    assert!(
        !p.raw_output().contains(SECRET),
        "the secret reached the terminal"
    );

    // Everything survives a restart; the card shows the last test.
    let mut p = start(&fake, dir.path(), 80, 24);
    let screen = p.wait_for("Configured: dingappkey0001");
    assert!(screen.contains("Last test: Successful"), "{screen}");
    // The stored secret is kept when the field is left untouched, and never shown.
    p.send(ENTER);
    let screen = p.wait_for("(saved; type to replace)");
    assert!(!screen.contains(SECRET));
    p.send(&ctrl('r'));
    p.send(&ctrl('t'));
    p.wait_for("Successful");
    p.send(ESC);
    p.wait_for("Enter configure");
    p.send("q");
    p.wait_exit();
    p.assert_restored();
    assert!(!p.raw_output().contains(SECRET));
    assert_eq!(fake.outbox().len(), 2);
    // Nor in the log file, nor any access token the fake handed out.
    let log = std::fs::read_to_string(dir.path().join("notifydesk.log")).unwrap();
    assert!(log.contains("test message sending finished"), "{log}");
    assert!(!log.contains(SECRET));
    for token in fake.valid_tokens() {
        assert!(!log.contains(&token), "token in the log");
        assert!(!p.raw_output().contains(&token), "token on screen");
    }
}

#[test]
fn the_tui_logs_that_it_created_the_database() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    p.send("q");
    p.wait_exit();
    let log = std::fs::read_to_string(dir.path().join("notifydesk.log")).unwrap();
    assert!(log.contains("created database file"), "{log}");
}

/// The log is opened after the first frame: when it cannot be written the TUI says so in its
/// status line (not on stderr, which would scribble over the screen) and works on.
#[test]
fn a_log_that_cannot_be_written_is_a_status_line_and_the_tui_works_on() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    // A directory where the log file should be: opening it for appending fails.
    std::fs::create_dir(dir.path().join("notifydesk.log")).unwrap();
    let mut p = start(&fake, dir.path(), 100, 24);
    let screen = p.wait_for("Cannot write the log");
    assert!(screen.contains("Is a directory"), "{screen}");
    p.wait_for("Unconfigured");
    p.send("3");
    p.wait_for("Members");
    p.send("q");
    let status = p.wait_exit();
    assert!(status.success(), "{status:?}");
    p.assert_restored();
}

/// `channel list --json` of the database in `dir`, through the CLI.
fn channel_json(dir: &std::path::Path) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args([
            "--db",
            dir.join("nd.db").to_str().unwrap(),
            "channel",
            "list",
            "--json",
        ])
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()[0].clone()
}

#[test]
fn a_discarded_dialog_test_keeps_the_cards_last_test() {
    let fake = fake();
    fake.add_user("13900139000", "ops0043");
    let dir = tempfile::tempdir().unwrap();
    let url = fake.base_url();
    let configured = std::process::Command::new(env!("CARGO_BIN_EXE_notifydesk"))
        .args(["--db", dir.path().join("nd.db").to_str().unwrap()])
        .args(["--dingtalk-api", &url, "--dingtalk-oapi", &url])
        .args(["channel", "configure", "dingtalk", "--app-key", APP_KEY])
        .args(["--receiver", PHONE, "--test"])
        .env_clear()
        .env("HOME", dir.path())
        .env("NOTIFYDESK_APP_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(configured.status.success());
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Last test: Successful");
    // Test other values (an unknown phone), then discard them.
    p.send(ENTER);
    p.wait_for("Configure DingTalk Message Channel");
    for _ in 0..4 {
        p.send(TAB);
    }
    p.send(&"\x7f".repeat(20));
    p.type_text("13700137000");
    p.send(&ctrl('t'));
    p.wait_for("60121");
    p.send(ESC);
    p.wait_for("Discard changes?");
    p.send("y");
    let screen = p.wait_for("Enter configure");
    assert!(screen.contains("Last test: Successful"), "{screen}");
    assert!(!screen.contains("Last test failed"), "{screen}");
    assert_eq!(channel_json(dir.path())["last_test"]["ok"], true);

    // Test other values successfully and press OK: they are saved with that result.
    p.send(ENTER);
    p.wait_for("Configure DingTalk Message Channel");
    for _ in 0..4 {
        p.send(TAB);
    }
    p.send(&"\x7f".repeat(20));
    p.type_text("13900139000");
    p.send(&ctrl('t'));
    p.wait_for("ops0043");
    p.send(&ctrl('s'));
    p.wait_for("channel saved");
    let screen = p.wait_for("Receiver Info: 13900139000");
    assert!(screen.contains("Last test: Successful"), "{screen}");
    p.send("q");
    p.wait_exit();
    let ch = channel_json(dir.path());
    assert_eq!(ch["receiver"], "13900139000");
    assert_eq!(ch["last_test"]["ok"], true, "{ch}");
}

#[test]
fn wrong_secret_shows_mapped_error_and_cancel_discards() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    fill_dialog(&mut p, "not-the-secret");
    p.send(ENTER);
    let screen = p.wait_for("Failed");
    assert!(screen.contains("invalidClientIdOrSecret"), "{screen}");
    assert!(screen.contains("AppSecret"), "{screen}");
    // Cancel with unsaved changes asks first; "y" discards.
    p.send(ESC);
    p.wait_for("Discard changes?");
    p.send("y");
    p.wait_for("Unconfigured");
    p.send("q");
    p.wait_exit();
    p.assert_restored();
    assert!(fake.outbox().is_empty());
}

#[test]
fn esc_cancels_a_slow_test_and_the_ui_stays_responsive() {
    let fake = fake();
    fake.inject(FakeEndpoint::Token, Fault::Delay { ms: 30_000 }, 1);
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    fill_dialog(&mut p, SECRET);
    p.send(ENTER);
    p.wait_for("Sending…");
    // The UI still reacts while the request hangs.
    p.send(TAB);
    p.send(TAB);
    p.wait_for("[>Cancel<]");
    p.send(BACKTAB);
    p.wait_for("[>OK<]");
    p.send(ESC);
    p.wait_for("Cancelled");
    p.send(ESC);
    p.wait_for("Discard changes?");
    p.send("y");
    p.send("q");
    p.wait_exit();
    p.assert_restored();
}

#[test]
fn sigterm_sighup_and_an_external_sigint_restore_the_terminal() {
    let fake = fake();
    for sig in [pty::SIGTERM, pty::SIGHUP, pty::SIGINT] {
        let dir = tempfile::tempdir().unwrap();
        let mut p = start(&fake, dir.path(), 80, 24);
        p.wait_for("Unconfigured");
        p.send(ENTER);
        p.wait_for("Configure DingTalk Message Channel");
        p.signal(sig);
        p.wait_exit();
        p.assert_restored();
    }
}

/// A quit signal at any moment of start-up, also between the first frame and the event
/// loop's own handlers (while the log, the runtime and the store start), ends the program with
/// the terminal restored.
#[test]
fn a_signal_during_start_up_leaves_the_terminal_restored() {
    let fake = fake();
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 12, 20, 30, 50, 80] {
        let dir = tempfile::tempdir().unwrap();
        let mut p = start(&fake, dir.path(), 80, 24);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        p.signal(pty::SIGTERM);
        p.wait_exit();
        p.assert_restored();
    }
}

#[test]
fn panic_restores_the_terminal() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start_with_env(&fake, dir.path(), 80, 24, &[("NOTIFYDESK_TEST_PANIC", "1")]);
    p.wait_for("Unconfigured");
    p.send("\x1b[24~"); // F12
    let status = p.wait_exit();
    assert!(!status.success());
    p.assert_restored();
    assert!(p.screen().contains("deliberate panic"), "{}", p.screen());
}

/// The panic hook restores by itself: the guard's drop never runs (the process aborts).
#[test]
fn the_panic_hook_alone_restores_the_terminal() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let env = [("NOTIFYDESK_TEST_PANIC", "abort")];
    let mut p = start_with_env(&fake, dir.path(), 80, 24, &env);
    p.wait_for("Unconfigured");
    p.send("\x1b[24~"); // F12
    let status = p.wait_exit();
    assert!(!status.success());
    p.assert_restored();
    assert!(
        p.screen().contains("deliberate panic in a thread"),
        "{}",
        p.screen()
    );
}

#[test]
fn small_terminal_and_resize() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 40, 10);
    p.wait_for("Terminal too small");
    p.resize(80, 24);
    p.wait_for("DingTalk personal channel");
    p.send("q");
    p.wait_exit();
    p.assert_restored();
}

#[test]
fn no_color_screen_has_no_colours() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start_with_env(&fake, dir.path(), 80, 24, &[("NO_COLOR", "1")]);
    p.wait_for("> DingTalk personal channel");
    p.with_screen(|s| {
        for row in 0..24 {
            for col in 0..80 {
                let cell = s.cell(row, col).unwrap();
                assert_eq!(cell.fgcolor(), vt100::Color::Default, "fg at {row},{col}");
                assert_eq!(cell.bgcolor(), vt100::Color::Default, "bg at {row},{col}");
            }
        }
    });
    p.send("q");
    p.wait_exit();
}

/// The line containing `needle`, without the block's side borders.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{screen}"))
        .trim_end()
        .trim_end_matches('│')
        .trim_end()
}

#[test]
fn personal_channel_toggle_survives_restart() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    p.send("2");
    p.wait_for("> To be submitted");
    p.send(common::pty::DOWN);
    p.wait_for("> To be approved");
    p.send(" ");
    let screen = p.wait_for("1 change saved");
    let row = line_with(&screen, "> To be approved");
    assert!(
        row.trim_end().ends_with("[x]"),
        "Personal Channel not checked: {row:?}"
    );
    p.send("q");
    p.wait_exit();
    p.assert_restored();

    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Unconfigured");
    p.send("2");
    p.wait_for("> To be submitted");
    p.send(common::pty::DOWN);
    let screen = p.wait_for("> To be approved");
    let row = line_with(&screen, "> To be approved");
    assert!(
        row.trim_end().ends_with("[x]"),
        "not kept after restart: {row:?}"
    );
    let first = line_with(&screen, "To be submitted");
    assert!(first.trim_end().ends_with("[ ]"), "{first:?}");
    p.send("q");
    p.wait_exit();
}

#[test]
fn the_tui_delivers_queued_events_and_shows_them_in_the_log() {
    use notifydesk::domain::member::NewMember;
    use notifydesk::store::{NewEvent, Store};
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("nd.db")).unwrap();
    common::fixtures::channel_with_personal(&mut store, APP_KEY, SECRET, PHONE);
    store
        .add_member(&NewMember {
            name: "Manager".into(),
            login: "mgr".into(),
            phone: PHONE.into(),
            email: None,
        })
        .unwrap();
    store
        .enqueue_event(&NewEvent {
            event_id: "T-42".into(),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "Alter table orders".into(),
            members: vec!["mgr".into()],
            ..NewEvent::default()
        })
        .unwrap();
    drop(store);
    let mut p = start(&fake, dir.path(), 80, 24);
    p.wait_for("Configured: dingappkey0001");
    p.send("4");
    p.wait_for("Delivery Log");
    let screen = p.wait_for("1 sent");
    // The list names the member (the login is in the detail).
    assert!(screen.contains("Manager"), "{screen}");
    assert_eq!(fake.outbox().len(), 1);
    assert_eq!(fake.outbox()[0].user_ids, vec![USER_ID.to_string()]);
    p.send("q");
    p.wait_exit();
    p.assert_restored();
}

#[test]
fn the_sandbox_sends_a_sample_event_that_fills_the_delivery_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&["--sandbox"], &[], dir.path(), 100, 30);
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
    p.send(&ctrl('s'));
    p.wait_for("Configured: dingsandbox0001");
    // Personal Channel on for the first node, then a sample event from the log.
    p.send("2");
    p.wait_for("To be submitted");
    p.send(" ");
    p.wait_for("1 change saved");
    p.send("4");
    p.wait_for("Press s to send a sample event");
    p.send("s");
    p.wait_for("Sample event queued");
    // The worker delivers it through the sandbox: the row itself turns to sent.
    let deadline = std::time::Instant::now() + pty::timeout();
    loop {
        let screen = p.screen();
        let row = screen.lines().find(|l| l.contains("Sample event 1"));
        if row.is_some_and(|l| l.contains(" sent ")) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    p.send("q");
    p.wait_exit();
    p.assert_restored();
}

#[test]
fn a_database_that_cannot_be_opened_is_explained_in_the_tui() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    // Not SQLite: the store refuses it (and leaves it unchanged); the TUI is already drawn.
    std::fs::write(dir.path().join("nd.db"), b"this is not a database").unwrap();
    let mut p = start(&fake, dir.path(), 80, 24);
    let screen = p.wait_for("Cannot open the database");
    assert!(screen.contains("not a SQLite database"), "{screen}");
    p.send("q");
    assert!(p.wait_exit().success());
    p.assert_restored();
    assert_eq!(
        std::fs::read(dir.path().join("nd.db")).unwrap(),
        b"this is not a database"
    );
}
