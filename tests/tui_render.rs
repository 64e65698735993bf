//! Render tests of the TUI on ratatui's TestBackend: insta snapshots at 80x24 (text), plus
//! checks that no state ever shows the AppSecret and that the mono theme sets no colour.

use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use secrecy::SecretString;
use std::sync::Arc;

use notifydesk::domain::{
    AnyChannelConfig, ChannelKind, ChannelSummary, DingTalkConfig, Mobile, SourceColumn, TestRecord,
};
use notifydesk::store::StoreError;
use notifydesk::tui::app::{App, AppOptions};
use notifydesk::tui::msg::{Effect, Msg};
use notifydesk::tui::theme::Theme;
use notifydesk::tui::view;

const SECRET: &str = "S3cr3t-ZZZ-never-shown";
const AT: i64 = 1_795_000_000;

fn app(theme: Theme) -> App {
    let mut app = App::new(AppOptions {
        db_label: "~/.local/share/notifydesk/notifydesk.db".into(),
        theme,
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    });
    app.init();
    app
}

fn unconfigured_summaries() -> Vec<ChannelSummary> {
    ChannelKind::ALL
        .into_iter()
        .map(ChannelSummary::unconfigured)
        .collect()
}

fn configured_summaries(last_test: Option<TestRecord>) -> Vec<ChannelSummary> {
    ChannelKind::ALL
        .into_iter()
        .map(|k| {
            let mut s = ChannelSummary::unconfigured(k);
            if k == ChannelKind::DingTalk {
                s.configured = true;
                s.app_key = Some("dingq7xkmz4r1abc".into());
                s.source_column = Some(SourceColumn::Phone);
                s.receiver = Some("13800138000".into());
                s.updated_at = Some(AT);
                s.last_test = last_test.clone();
            }
            s
        })
        .collect()
}

fn stored() -> DingTalkConfig {
    DingTalkConfig {
        app_key: "dingq7xkmz4r1abc".into(),
        app_secret: SecretString::from(SECRET),
        template_id: None,
        source_column: SourceColumn::Phone,
        receiver: Some(Mobile::parse("13800138000").unwrap()),
    }
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.handle(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, ch: char) -> Vec<Effect> {
    app.handle(Msg::Key(KeyEvent::new(
        KeyCode::Char(ch),
        KeyModifiers::CONTROL,
    )))
}

fn type_text(app: &mut App, text: &str) {
    for ch in text.chars() {
        key(app, KeyCode::Char(ch));
    }
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::render(app, f)).unwrap();
    terminal
}

fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn screen(app: &App) -> String {
    text_of(render(app, 80, 24).backend().buffer())
}

#[test]
fn channels_unconfigured() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(unconfigured_summaries())));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn channels_configured_with_failed_test() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(Some(TestRecord {
        at: AT,
        ok: false,
        summary: "DingTalk error 60121: no active member of the organisation has this phone number. Fix: check the number".into(),
    })))));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn dialog_empty_then_validation_errors() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    insta::assert_snapshot!("dialog_empty", screen(&app));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "12345");
    let fx = ctrl(&mut app, 's');
    assert!(fx.is_empty(), "invalid form must not be saved: {fx:?}");
    insta::assert_snapshot!("dialog_errors", screen(&app));
}

#[test]
fn dialog_filled_sending_and_results() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    type_text(&mut app, "dingq7xkmz4r1abc");
    key(&mut app, KeyCode::Tab);
    app.handle(Msg::Paste(format!("{SECRET}\n")));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "138 0013 8000");
    key(&mut app, KeyCode::Tab);
    let fx = key(&mut app, KeyCode::Enter);
    let seq = match fx.as_slice() {
        [Effect::SendTest { seq, config, .. }] => {
            assert_eq!(config.receiver_text().unwrap().as_str(), "13800138000");
            *seq
        }
        other => panic!("expected a test effect, got {other:?}"),
    };
    insta::assert_snapshot!("dialog_sending", screen(&app));
    app.handle(Msg::TestFinished {
        seq,
        record: TestRecord {
            at: AT,
            ok: true,
            summary: "Successful".into(),
        },
        detail: Some("Sent to DingTalk user manager4711 (138****8000)".into()),
    });
    insta::assert_snapshot!("dialog_successful", screen(&app));
    let fx = key(&mut app, KeyCode::Enter);
    let seq = match fx.as_slice() {
        [Effect::SendTest { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    app.handle(Msg::TestFinished {
        seq,
        record: TestRecord {
            at: AT,
            ok: false,
            summary: "DingTalk error 88/60011: the app lacks the permission qyapi_get_member_by_mobile. Fix: in the DingTalk developer console open Permission Management, grant qyapi_get_member_by_mobile and publish the app".into(),
        },
        detail: None,
    });
    insta::assert_snapshot!("dialog_failed", screen(&app));
}

#[test]
fn dialog_with_stored_config_masks_secret() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    insta::assert_snapshot!(screen(&app));
    // Reveal shows only what was typed, never the stored secret.
    ctrl(&mut app, 'r');
    assert!(!screen(&app).contains(SECRET));
}

#[test]
fn help_overlay() {
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn subscription_tab_while_loading() {
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('2'));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn too_small_terminal() {
    let app = app(Theme::color());
    let t = render(&app, 40, 10);
    let text = text_of(t.backend().buffer());
    assert!(text.contains("Terminal too small"), "{text}");
    assert!(text.contains("40x10"));
    // Every size renders without panicking.
    for (w, h) in [(1, 1), (10, 3), (59, 17), (60, 18), (200, 60)] {
        render(&app, w, h);
    }
}

#[test]
fn secret_never_on_screen_in_any_state_or_size() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    let sizes = [(80, 24), (60, 18), (120, 40), (200, 50)];
    let check = |app: &App| {
        for (w, h) in sizes {
            let s = text_of(render(app, w, h).backend().buffer());
            assert!(!s.contains(SECRET), "secret shown at {w}x{h}:\n{s}");
            assert!(!s.contains("S3cr3t"), "part of the secret shown at {w}x{h}");
        }
    };
    check(&app);
    // Typing a new secret shows bullets only.
    key(&mut app, KeyCode::Tab);
    app.handle(Msg::Paste(SECRET.into()));
    check(&app);
    ctrl(&mut app, 's');
    check(&app);
    app.handle(Msg::Saved(ChannelKind::DingTalk, Ok(())));
    check(&app);
}

#[test]
fn mono_theme_sets_no_colour_and_marks_focus() {
    let mut app = app(Theme::mono());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    let t = render(&app, 80, 24);
    for cell in t.backend().buffer().content() {
        assert_eq!(cell.fg, Color::Reset);
        assert_eq!(cell.bg, Color::Reset);
    }
    let text = text_of(t.backend().buffer());
    assert!(text.contains("> DingTalk personal channel"), "{text}");
    assert!(text.contains(">1 Channel Management"));
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    let t = render(&app, 80, 24);
    for cell in t.backend().buffer().content() {
        assert_eq!(cell.fg, Color::Reset);
        assert_eq!(cell.bg, Color::Reset);
    }
    assert!(text_of(t.backend().buffer()).contains(">*"));
}

fn catalogue_rows() -> Vec<notifydesk::domain::subscription::SubscriptionRow> {
    let cat = notifydesk::domain::catalogue::Catalogue::embedded();
    cat.types
        .iter()
        .flat_map(|t| {
            t.nodes
                .iter()
                .map(move |n| notifydesk::domain::subscription::SubscriptionRow {
                    type_code: t.code.clone(),
                    node_code: n.code.clone(),
                    type_label: t.en.clone(),
                    node_label: n.en.clone(),
                    receiver: cat.receiver_label(&n.receiver).to_string(),
                    methods: Default::default(),
                    custom_receivers: vec![],
                })
        })
        .collect()
}

fn grid_app() -> App {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    app.handle(Msg::SubscriptionsLoaded(Ok(catalogue_rows())));
    key(&mut app, KeyCode::Char('2'));
    app
}

#[test]
fn subscription_grid_80x24_and_120x40() {
    let mut app = grid_app();
    key(&mut app, KeyCode::Down);
    let fx = key(&mut app, KeyCode::Char(' '));
    assert!(
        matches!(fx.as_slice(), [Effect::SaveMethods(ch)] if ch.len() == 1 && ch[0].node_code == "to_be_approved")
    );
    insta::assert_snapshot!("grid_80x24", screen(&app));
    insta::assert_snapshot!(
        "grid_120x40",
        text_of(render(&app, 120, 40).backend().buffer())
    );
}

#[test]
fn subscription_grid_scrolls_to_the_cursor_and_filters() {
    let mut app = grid_app();
    key(&mut app, KeyCode::End);
    let s = screen(&app);
    assert!(s.contains("> Export failed"), "{s}");
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "reject");
    let s = screen(&app);
    assert!(s.contains("3 of 17 rows"), "{s}");
    assert!(s.contains("filter: reject"));
    // Keys typed into the filter do not act on the grid or the tabs.
    type_text(&mut app, "1q");
    assert!(!app.should_quit);
    key(&mut app, KeyCode::Esc);
    assert!(screen(&app).contains("17 of 17 rows"));
}

#[test]
fn subscription_grid_without_personal_channel_offers_setup() {
    let mut app = app(Theme::color());
    app.handle(Msg::SubscriptionsLoaded(Ok(catalogue_rows())));
    key(&mut app, KeyCode::Char('2'));
    let s = screen(&app);
    assert!(s.contains("no personal channel configured"), "{s}");
    key(&mut app, KeyCode::Char('p'));
    assert!(screen(&app).contains("> DingTalk personal channel"));
}

fn members() -> Vec<notifydesk::domain::member::Member> {
    ["Zhang San:zhangsan:13800138000", "Li Si:lisi:13900139000"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let parts: Vec<&str> = s.split(':').collect();
            notifydesk::domain::member::Member {
                id: i as i64 + 1,
                name: parts[0].into(),
                login: parts[1].into(),
                mobile: Mobile::parse(parts[2]).unwrap(),
                email: None,
                dingtalk_userid: (i == 0).then(|| "manager4711".to_string()),
                resolved_at: (i == 0).then_some(AT),
                channel_ids: Vec::new(),
            }
        })
        .collect()
}

#[test]
fn members_tab_form_and_receivers_picker() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!("members_tab", screen(&app));
    // Add with a bad phone: the error is shown next to the field and nothing is saved.
    key(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "Wang Wu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "wangwu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "12345");
    let fx = ctrl(&mut app, 's');
    assert!(fx.is_empty(), "{fx:?}");
    insta::assert_snapshot!("member_form_error", screen(&app));
    key(&mut app, KeyCode::Backspace);
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "13700137000");
    let fx = ctrl(&mut app, 's');
    assert!(
        matches!(fx.as_slice(), [Effect::SaveMember { id: None, member }] if member.login == "wangwu"),
        "{fx:?}"
    );
    // A duplicate login reported by the store lands on the Login field.
    app.handle(Msg::MemberSaved(Err(Arc::new(StoreError::Duplicate {
        what: "a member with login \"wangwu\"".into(),
    }))));
    assert!(screen(&app).contains("already exists"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));
    assert!(screen(&app).contains("Members · 2"));

    // Custom receivers from the grid.
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char(' '));
    insta::assert_snapshot!("receivers_picker", screen(&app));
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::SetReceivers { logins, .. }] if logins == &vec!["zhangsan".to_string()]),
        "{fx:?}"
    );
}

#[test]
fn card_test_key_uses_the_saved_channel_and_reports_inline() {
    let mut app = app(Theme::color());
    // Unconfigured: `t` explains instead of sending.
    app.handle(Msg::ChannelsLoaded(Ok(unconfigured_summaries())));
    assert!(key(&mut app, KeyCode::Char('t')).is_empty());
    assert!(screen(&app).contains("is not configured"));
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    let fx = key(&mut app, KeyCode::Char('t'));
    let seq = match fx.as_slice() {
        [
            Effect::TestStored {
                seq,
                kind: ChannelKind::DingTalk,
            },
        ] => *seq,
        other => panic!("{other:?}"),
    };
    assert!(screen(&app).contains("Sending test message"));
    // A second `t` while sending does not start another test.
    assert!(key(&mut app, KeyCode::Char('t')).is_empty());
    app.handle(Msg::TestFinished {
        seq,
        record: TestRecord {
            at: AT,
            ok: true,
            summary: "Successful".into(),
        },
        detail: None,
    });
    assert!(screen(&app).contains("Test Message Sending: Successful"));
    // Every card opens its own Configure dialog.
    key(&mut app, KeyCode::Right);
    assert!(matches!(
        key(&mut app, KeyCode::Enter).as_slice(),
        [Effect::LoadConfig(ChannelKind::WeCom)]
    ));
}

#[test]
fn ok_brings_the_test_result_only_for_exactly_the_tested_values() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "13900139000");
    let seq = match ctrl(&mut app, 't').as_slice() {
        [Effect::SendTest { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    let result = TestRecord {
        at: AT,
        ok: true,
        summary: "Successful".into(),
    };
    app.handle(Msg::TestFinished {
        seq,
        record: result.clone(),
        detail: None,
    });
    match ctrl(&mut app, 's').as_slice() {
        [Effect::SaveConfig { config, test }] => {
            assert_eq!(config.receiver_text().unwrap().as_str(), "13900139000");
            assert_eq!(test.as_ref(), Some(&result));
        }
        other => panic!("{other:?}"),
    }
    // The save failed; the user edits again: the result is not about these values any more.
    app.handle(Msg::Saved(
        ChannelKind::DingTalk,
        Err(Arc::new(StoreError::Invalid {
            what: "disk full".into(),
        })),
    ));
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, "1");
    let fx = ctrl(&mut app, 's');
    assert!(
        matches!(fx.as_slice(), [Effect::SaveConfig { test: None, .. }]),
        "{fx:?}"
    );
}

#[test]
fn late_save_result_closes_only_the_dialog() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    let fx = ctrl(&mut app, 's');
    assert!(
        matches!(fx.as_slice(), [Effect::SaveConfig { test: None, .. }]),
        "{fx:?}"
    );
    // The user closes the dialog while saving, and opens help.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('?'));
    assert!(app.dialog().is_none());
    app.handle(Msg::Saved(ChannelKind::DingTalk, Ok(())));
    assert!(screen(&app).contains("Help — keys"), "help must stay open");
}

#[test]
fn dialog_buttons_stay_visible_on_the_smallest_terminal() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    app.handle(Msg::Paste("bad id with spaces".into()));
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "12");
    ctrl(&mut app, 's');
    for (w, h) in [(60, 18), (80, 24)] {
        let s = text_of(render(&app, w, h).backend().buffer());
        assert!(
            s.contains("[ OK ]") && s.contains("Cancel"),
            "{w}x{h}:\n{s}"
        );
        assert!(s.contains("AppKey is required") || h < 24, "{w}x{h}:\n{s}");
    }
}

fn delivery_rows() -> Vec<notifydesk::store::DeliveryRow> {
    use notifydesk::store::{DeliveryRow, DeliveryStatus};
    let mk = |id: i64, login: &str, status: DeliveryStatus, err: Option<&str>| DeliveryRow {
        id,
        at: AT + id,
        created_at: AT,
        event_id: format!("T-{id}"),
        type_code: "sql_task".into(),
        node_code: "to_be_approved".into(),
        title: "Alter table orders".into(),
        login: login.into(),
        member_name: Some(login.to_uppercase()),
        status,
        attempts: 1,
        error_code: err.map(|_| "88/60011".to_string()),
        last_error: err.map(String::from),
        process_query_key: (status == DeliveryStatus::Sent).then(|| "pqk+/=1".to_string()),
        request_id: err.map(|_| "01A08FE7-CD6B-4C2B".to_string()),
        deferrals: 0,
        next_attempt_at: 0,
        channel: Some(notifydesk::domain::ChannelKind::DingTalk),
    };
    vec![
        mk(
            3,
            "zhangsan",
            DeliveryStatus::Failed,
            Some(
                "DingTalk error 88/60011: the app lacks the permission qyapi_robot_sendmsg. Fix: grant it and publish the app",
            ),
        ),
        mk(2, "lisi", DeliveryStatus::Sent, None),
        mk(1, "wangwu", DeliveryStatus::Pending, None),
    ]
}

#[test]
fn delivery_log_tab_detail_and_retry() {
    use notifydesk::store::{DeliveryCounts, DeliveryStatus};
    use notifydesk::tui::tabs::delivery_log::LogPage;
    let mut app = app(Theme::color());
    app.handle(Msg::SubscriptionsLoaded(Ok(catalogue_rows())));
    let fx = key(&mut app, KeyCode::Char('4'));
    assert!(
        matches!(fx.as_slice(), [Effect::LoadLog { before: None, .. }]),
        "{fx:?}"
    );
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: delivery_rows(),
        total: 3,
        counts: DeliveryCounts {
            pending: 1,
            sending: 0,
            sent: 1,
            failed: 1,
            skipped: 0,
            unknown: 0,
        },
    })));
    insta::assert_snapshot!("log_tab", screen(&app));
    key(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("log_detail", screen(&app));
    let fx = key(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::RetryDelivery {
                id: 3,
                force: false
            }]
        ),
        "{fx:?}"
    );
    // Retrying a sent delivery is refused with a reason.
    key(&mut app, KeyCode::Down);
    assert!(key(&mut app, KeyCode::Char('r')).is_empty());
    assert!(screen(&app).contains("Only failed deliveries"));
    // `f` cycles the status filter and reloads from the first page.
    let fx = key(&mut app, KeyCode::Char('f'));
    assert!(
        matches!(fx.as_slice(), [Effect::LoadLog { filter, before: None }] if filter.status == Some(DeliveryStatus::Failed)),
        "{fx:?}"
    );
}

#[test]
fn a_delivery_that_may_have_been_delivered_is_retried_only_after_a_warning() {
    use notifydesk::store::{DeliveryCounts, DeliveryStatus};
    use notifydesk::tui::tabs::delivery_log::LogPage;
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('4'));
    let mut rows = delivery_rows();
    rows[0].status = DeliveryStatus::Unknown;
    rows[0].error_code = Some("timeout".into());
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows,
        total: 3,
        counts: DeliveryCounts {
            pending: 1,
            sent: 1,
            unknown: 1,
            ..DeliveryCounts::default()
        },
    })));
    let s = screen(&app);
    assert!(s.contains("1 maybe sent"), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("may have been delivered"));
    assert!(screen(&app).contains("Request id"));
    // The first `r` only warns; the second, on the same delivery, retries with force.
    assert!(key(&mut app, KeyCode::Char('r')).is_empty());
    assert!(
        screen(&app).contains("may send it twice"),
        "{}",
        screen(&app)
    );
    let fx = key(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::RetryDelivery { id: 3, force: true }]
        ),
        "{fx:?}"
    );
}

#[test]
fn the_title_bar_says_when_the_database_is_busy() {
    let mut app = app(Theme::mono());
    assert!(!screen(&app).contains("database busy"));
    app.handle(Msg::DatabaseBusy(true));
    let first_line = screen(&app).lines().next().unwrap().to_string();
    assert!(first_line.contains("database busy"), "{first_line}");
    app.handle(Msg::DatabaseBusy(false));
    assert!(!screen(&app).contains("database busy"));
}

// ---- Round two: each test pins one finding of the first-hour trial. ----

/// The text of row `y`, one char per cell (the trailing half of a wide character is `\u{0}`),
/// so a char index is a screen column.
fn row_cells(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().chars().next().unwrap_or('\u{0}'))
        .collect()
}

fn column_of(buf: &Buffer, needle: &str) -> Option<(u16, usize)> {
    (0..buf.area.height).find_map(|y| {
        let row = row_cells(buf, y);
        let byte = row.find(needle)?;
        Some((y, row[..byte].chars().count()))
    })
}

fn footer_of(app: &App, w: u16, h: u16) -> String {
    let t = render(app, w, h);
    row_cells(t.backend().buffer(), h - 1)
}

#[test]
fn esc_clears_an_active_filter_and_never_quits_a_main_screen() {
    let mut app = grid_app();
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "reject");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("3 of 17 rows"));
    key(&mut app, KeyCode::Esc);
    assert!(
        !app.should_quit,
        "Esc after a kept filter must clear it, not quit"
    );
    assert!(screen(&app).contains("17 of 17 rows"), "{}", screen(&app));
    key(&mut app, KeyCode::Esc);
    assert!(!app.should_quit, "Esc on a main screen does not quit");
    // The same on the Delivery Log's search.
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "orders");
    key(&mut app, KeyCode::Enter);
    let fx = key(&mut app, KeyCode::Esc);
    assert!(!app.should_quit);
    assert!(
        matches!(fx.as_slice(), [Effect::LoadLog { filter, .. }] if filter.text.is_none()),
        "{fx:?}"
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit, "q quits when nothing runs");
}

#[test]
fn quitting_while_a_test_runs_asks_first() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    assert!(!key(&mut app, KeyCode::Char('t')).is_empty());
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.should_quit);
    assert!(screen(&app).contains("Quit anyway?"), "{}", screen(&app));
    key(&mut app, KeyCode::Char('n'));
    assert!(!app.should_quit);
    assert!(!screen(&app).contains("Quit anyway?"));
    ctrl(&mut app, 'c');
    key(&mut app, KeyCode::Char('y'));
    assert!(app.should_quit);
}

#[test]
fn overlays_clear_the_screen_beneath_them() {
    use notifydesk::store::DeliveryCounts;
    use notifydesk::tui::tabs::delivery_log::LogPage;
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('4'));
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: delivery_rows(),
        total: 3,
        counts: DeliveryCounts::default(),
    })));
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(
        !s.contains('…'),
        "a fragment of the row beneath shows:\n{s}"
    );
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(!s.contains("Din") && !s.contains("Feish"), "{s}");
}

#[test]
fn help_wraps_pages_and_stops_at_its_end() {
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('?'));
    let first = text_of(render(&app, 60, 18).backend().buffer());
    assert!(first.contains("Everywhere"), "{first}");
    key(&mut app, KeyCode::PageDown);
    let paged = text_of(render(&app, 60, 18).backend().buffer());
    assert!(!paged.contains("Everywhere"), "PgDn moves a page:\n{paged}");
    key(&mut app, KeyCode::Char('G'));
    let end = text_of(render(&app, 60, 18).backend().buffer());
    // The last note is wrapped to the width, whole words only, and is the last thing shown.
    for word in ["Paste", "works", "every", "refused,", "message."] {
        assert!(end.contains(word), "{word} missing at the end:\n{end}");
    }
    for _ in 0..40 {
        key(&mut app, KeyCode::Char('j'));
    }
    let after = text_of(render(&app, 60, 18).backend().buffer());
    assert_eq!(end, after, "scrolling stops at the end");
    key(&mut app, KeyCode::Char('g'));
    assert!(text_of(render(&app, 60, 18).backend().buffer()).contains("Everywhere"));
}

#[test]
fn receivers_picker_aligns_its_checkboxes() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char(' '));
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    let fixed = column_of(buf, "[#] Submitter").unwrap().1;
    let chosen = column_of(buf, "[x] Zhang San").unwrap().1;
    let other = column_of(buf, "[ ] Li Si").unwrap().1;
    assert_eq!((fixed, fixed), (chosen, other));
}

#[test]
fn lists_say_when_nothing_matches_the_filter() {
    use notifydesk::store::DeliveryCounts;
    use notifydesk::tui::tabs::delivery_log::LogPage;
    let mut app = grid_app();
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zzzz");
    assert!(screen(&app).contains("Nothing matches"), "{}", screen(&app));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('4'));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zzzz");
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: vec![],
        total: 0,
        counts: DeliveryCounts::default(),
    })));
    let s = screen(&app);
    assert!(
        s.contains("Nothing matches") && !s.contains("Events come in"),
        "{s}"
    );
}

#[test]
fn wide_names_keep_the_members_columns_aligned() {
    let mut app = app(Theme::color());
    let mut list = members();
    list[0].name = "欧阳娜娜欧阳娜娜欧阳娜娜".into();
    app.handle(Msg::MembersLoaded(Ok(list.into())));
    key(&mut app, KeyCode::Char('3'));
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    let wide = column_of(buf, "zhangsan").unwrap().1;
    let plain = column_of(buf, "lisi ").unwrap().1;
    assert_eq!(wide, plain, "{}", text_of(buf));
}

#[test]
fn an_unconfigured_card_says_how_to_configure_it() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(None))));
    key(&mut app, KeyCode::Right);
    assert!(key(&mut app, KeyCode::Char('t')).is_empty());
    let s = screen(&app);
    assert!(
        s.contains("WeCom personal channel is not configured: press Enter"),
        "{s}"
    );
}

#[test]
fn a_status_message_stays_where_it_was_made() {
    let mut app = app(Theme::color());
    app.handle(Msg::ChannelsLoaded(Ok(unconfigured_summaries())));
    key(&mut app, KeyCode::Char('t'));
    assert!(screen(&app).contains("is not configured"));
    key(&mut app, KeyCode::Char('2'));
    assert!(
        !screen(&app).contains("is not configured"),
        "{}",
        screen(&app)
    );
}

#[test]
fn the_footer_always_keeps_help_and_quit() {
    let mut app = grid_app();
    for tab in ['1', '2', '3', '4'] {
        key(&mut app, KeyCode::Char(tab));
        for w in [60, 80] {
            let f = footer_of(&app, w, 24);
            assert!(
                f.contains("? help") && f.contains("q quit"),
                "tab {tab} at {w}: {f}"
            );
            assert!(!f.contains("^C"), "{f}");
        }
    }
}

#[test]
fn the_header_drops_whole_parts_and_keeps_sandbox() {
    use notifydesk::store::DeliveryCounts;
    use notifydesk::tui::tabs::delivery_log::LogPage;
    let mut app = App::new(AppOptions {
        db_label: "SANDBOX /tmp/nd-sandbox-1/notifydesk.db".into(),
        theme: Theme::color(),
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    });
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: vec![],
        total: 0,
        counts: DeliveryCounts {
            pending: 12,
            sent: 1234,
            failed: 3,
            ..DeliveryCounts::default()
        },
    })));
    for w in [60, 70, 80, 120] {
        let t = render(&app, w, 18);
        let buf = t.backend().buffer();
        let title = row_cells(buf, 0);
        let tabs = row_cells(buf, 1);
        assert!(title.contains("SANDBOX"), "{w}: {title}");
        assert!(!title.contains('…'), "{w}: a part is cut: {title}");
        for part in ["pending", "sent", "failed"] {
            // A counter is shown whole or not at all: its number is right before it.
            if let Some(i) = title.find(part) {
                assert!(
                    title[..i].trim_end().ends_with(char::is_numeric),
                    "{w}: {title}"
                );
            }
        }
        assert!(
            !tabs.contains("Deli ") && !tabs.trim_end().ends_with("Deli"),
            "{w}: {tabs}"
        );
        assert!(tabs.contains('4'), "{w}: {tabs}");
    }
    // Where there is room, the temporary database's path is shown whole.
    let wide = row_cells(render(&app, 120, 18).backend().buffer(), 0);
    assert!(
        wide.contains("SANDBOX · /tmp/nd-sandbox-1/notifydesk.db"),
        "{wide}"
    );
}

#[test]
fn a_select_with_one_value_says_why_instead_of_arrows() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    let s = screen(&app);
    assert!(!s.contains("< Phone >"), "{s}");
    assert!(
        s.contains("Phone  the only field DingTalk finds members by"),
        "{s}"
    );
}

#[test]
fn a_new_app_key_needs_its_own_secret_as_in_the_cli() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    for _ in 0..3 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "xyz");
    // Neither a test nor a save may use the old app's secret for the new AppKey.
    assert!(ctrl(&mut app, 't').is_empty());
    assert!(ctrl(&mut app, 's').is_empty());
    let s = screen(&app);
    assert!(
        s.contains(
            notifydesk::domain::STORED_SECRET_OTHER_APP
                .split(',')
                .next()
                .unwrap()
        ),
        "{s}"
    );
    // The error took the focus to the AppSecret: with the new app's secret typed in, it saves.
    type_text(&mut app, "new-app-secret");
    assert!(matches!(
        ctrl(&mut app, 's').as_slice(),
        [Effect::SaveConfig { .. }]
    ));
}

fn log_page(rows: Vec<notifydesk::store::DeliveryRow>, total: u64) -> Msg {
    Msg::LogLoaded(Ok(notifydesk::tui::tabs::delivery_log::LogPage {
        before: None,
        rows,
        total,
        counts: Default::default(),
    }))
}

#[test]
fn the_delivery_log_lists_created_time_labels_and_titles() {
    let mut app = grid_app();
    key(&mut app, KeyCode::Char('4'));
    let mut rows = delivery_rows();
    // Retried three days later: the list still shows when the event came in.
    rows[0].at = AT + 3 * 86_400;
    app.handle(log_page(rows, 3));
    let s = text_of(render(&app, 120, 30).backend().buffer());
    assert!(s.contains("Alter table orders"), "{s}");
    assert!(s.contains("SQL Task / To be approved"), "{s}");
    let s = screen(&app);
    assert!(!s.contains("sql_task/"), "{s}");
    assert!(
        !s.contains("11-21"),
        "the last change is for the detail:\n{s}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("2026-11-21"), "{}", screen(&app));
}

#[test]
fn the_delivery_log_pages_by_screen_and_says_where_it_is() {
    let mut app = app(Theme::color());
    key(&mut app, KeyCode::Char('4'));
    let template = delivery_rows().remove(1);
    let rows: Vec<_> = (0..60)
        .map(|i| notifydesk::store::DeliveryRow {
            id: 1000 - i,
            ..template.clone()
        })
        .collect();
    app.handle(log_page(rows, 60));
    let s = screen(&app);
    assert!(s.contains("rows 1–17 of 60"), "{s}");
    let fx = key(&mut app, KeyCode::PageDown);
    assert!(fx.is_empty(), "one screen, not a database page: {fx:?}");
    assert!(screen(&app).contains("of 60"));
    assert_eq!(app.log.cursor, 17);
    for _ in 0..5 {
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.log.cursor, 59);
    assert!(
        screen(&app).contains("End of the delivery log"),
        "{}",
        screen(&app)
    );
}

fn many_members(n: usize) -> Vec<notifydesk::domain::member::Member> {
    let template = members().remove(1);
    (1..=n)
        .map(|i| notifydesk::domain::member::Member {
            id: i as i64,
            name: format!("Member {i:02}"),
            login: format!("user{i:02}"),
            ..template.clone()
        })
        .collect()
}

#[test]
fn members_jump_page_and_filter() {
    let mut app = app(Theme::color());
    app.handle(Msg::MembersLoaded(Ok(many_members(50).into())));
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('G'));
    assert!(screen(&app).contains("> Member 50"), "{}", screen(&app));
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::PageDown);
    assert!(!screen(&app).contains("> Member 01"));
    key(&mut app, KeyCode::Home);
    assert!(screen(&app).contains("> Member 01"));
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "user43");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("> Member 43") && s.contains("1 of 50"), "{s}");
    // Enter edits the filtered member, not the 1st.
    key(&mut app, KeyCode::Char('e'));
    assert!(screen(&app).contains("user43"));
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zz");
    assert!(screen(&app).contains("Nothing matches"), "{}", screen(&app));
    key(&mut app, KeyCode::Esc);
    let s = screen(&app);
    assert!(s.contains("Members · 50 ") && !s.contains("filter:"), "{s}");
    assert!(!app.should_quit);
}

#[test]
fn the_receivers_picker_filters_and_counts_the_chosen() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(many_members(50).into())));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "user43");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char(' '));
    let s = screen(&app);
    assert!(s.contains("1 chosen") && s.contains("[x] Member 43"), "{s}");
    let fx = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(fx.as_slice(), [Effect::SetReceivers { logins, .. }] if logins == &vec!["user43".to_string()]),
        "{fx:?}"
    );
}

#[test]
fn a_column_change_says_what_it_did_and_receiver_changes_undo() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    let fx = key(&mut app, KeyCode::Char('c'));
    assert!(matches!(fx.as_slice(), [Effect::SaveMethods(ch)] if ch.len() == 8));
    let s = screen(&app);
    assert!(
        s.contains("Personal Channel on for 8 SQL Task nodes"),
        "{s}"
    );
    // Custom receivers saved from the picker come back with u.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Enter);
    app.handle(Msg::ReceiversSaved(Ok(())));
    let fx = key(&mut app, KeyCode::Char('u'));
    assert!(
        matches!(fx.as_slice(), [Effect::SetReceivers { logins, node_code, .. }] if logins.is_empty() && node_code == "to_be_submitted"),
        "{fx:?}"
    );
    // Then the column change.
    app.handle(Msg::ReceiversSaved(Ok(())));
    let fx = key(&mut app, KeyCode::Char('u'));
    assert!(
        matches!(fx.as_slice(), [Effect::SaveMethods(ch)] if ch.len() == 8),
        "{fx:?}"
    );
}

#[test]
fn a_paste_of_several_lines_is_refused_with_a_message() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    for _ in 0..2 {
        key(&mut app, KeyCode::Tab);
    }
    app.handle(Msg::Paste("tmpl-one\ntmpl-two".into()));
    let s = screen(&app);
    assert!(
        s.contains("Not pasted") && !s.contains("tmpl-onetmpl-two"),
        "{s}"
    );
    app.handle(Msg::Paste("tmpl-one\n".into()));
    assert!(screen(&app).contains("[tmpl-one "), "{}", screen(&app));
}

#[test]
fn a_store_error_lands_where_its_kind_says_not_where_its_words_do() {
    let mut app = app(Theme::color());
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "Wang Wu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "wangwu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "13700137000");
    // A disk error that happens to contain "login" is not a Login field error.
    ctrl(&mut app, 's');
    app.handle(Msg::MemberSaved(Err(Arc::new(StoreError::Invalid {
        what: "the login database volume is full".into(),
    }))));
    assert!(
        screen(&app).contains("Not saved: the login database"),
        "{}",
        screen(&app)
    );
    // A duplicate is the Login field's error, whatever its words.
    ctrl(&mut app, 's');
    app.handle(Msg::MemberSaved(Err(Arc::new(StoreError::Duplicate {
        what: "WANGWU".into(),
    }))));
    let s = screen(&app);
    assert!(
        s.contains("✗ WANGWU already exists") && !s.contains("Not saved: WANGWU"),
        "{s}"
    );
}

#[test]
fn deleting_and_reloading_say_what_happened() {
    let mut app = app(Theme::color());
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('3'));
    let fx = key(&mut app, KeyCode::Char('r'));
    assert!(matches!(fx.as_slice(), [Effect::LoadMembers]), "{fx:?}");
    assert!(screen(&app).contains("Reloading"), "{}", screen(&app));
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    assert!(
        screen(&app).contains("Reloaded: 2 members"),
        "{}",
        screen(&app)
    );
    key(&mut app, KeyCode::Char('d'));
    let fx = key(&mut app, KeyCode::Char('y'));
    let [Effect::DeleteMember { id, name }] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(*id, 1);
    app.handle(Msg::MemberDeleted {
        name: name.clone(),
        result: Ok(()),
    });
    assert!(
        screen(&app).contains("Member Zhang San (zhangsan) deleted"),
        "{}",
        screen(&app)
    );
}

#[test]
fn the_sandbox_sends_a_sample_event_from_the_delivery_log() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('4'));
    assert!(key(&mut app, KeyCode::Char('s')).is_empty());
    assert!(screen(&app).contains("--sandbox"), "{}", screen(&app));
    app.sandbox = true;
    let fx = key(&mut app, KeyCode::Char('s'));
    let sample = fx.iter().find_map(|f| match f {
        Effect::SendSample(ev) => Some(ev),
        _ => None,
    });
    let ev = sample.unwrap_or_else(|| panic!("{fx:?}"));
    assert_eq!(
        (ev.type_code.as_str(), ev.node_code.as_str()),
        ("sql_task", "to_be_submitted")
    );
    assert_eq!(ev.members, vec!["zhangsan".to_string()]);
}

#[test]
fn a_long_error_is_wrapped_whole_where_there_is_room() {
    let mut app = app(Theme::color());
    let long = "DingTalk error 88/60011: the app lacks the permission qyapi_get_member_by_mobile. Fix: in the DingTalk developer console open Permission Management, grant qyapi_get_member_by_mobile and publish the app; then wait a minute for the grant to reach every DingTalk server and press t to test again (request id 01A08FE7-CD6B-4C2B)";
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(Some(
        TestRecord {
            at: AT,
            ok: false,
            summary: long.into(),
        },
    )))));
    let s = text_of(render(&app, 200, 50).backend().buffer());
    assert!(s.contains("(request id 01A08FE7-CD6B-4C2B)"), "{s}");
    // And in the dialog at 80x24, a failed test shows its fix.
    app.handle(Msg::ConfigLoaded(
        ChannelKind::DingTalk,
        Ok(Some(AnyChannelConfig::DingTalk(stored()))),
    ));
    let seq = match ctrl(&mut app, 't').as_slice() {
        [Effect::SendTest { seq, .. }] => *seq,
        other => panic!("{other:?}"),
    };
    app.handle(Msg::TestFinished {
        seq,
        record: TestRecord {
            at: AT,
            ok: false,
            summary: long.into(),
        },
        detail: None,
    });
    let s = screen(&app);
    assert!(s.contains("press t to test again"), "{s}");
}

#[test]
fn the_sandbox_hint_keeps_the_phone_on_a_small_terminal() {
    let mut app = app(Theme::color());
    app.set_banner(
        notifydesk::tui::app::Level::Info,
        &[
            "Try: AppKey dingsandbox0001 · AppSecret sandbox-secret · phone 13800000001".into(),
            "Try dingsandbox0001 / sandbox-secret / 13800000001".into(),
        ],
    );
    for w in [60, 80] {
        let s = text_of(render(&app, w, 18).backend().buffer());
        assert!(
            s.contains("13800000001") && s.contains("sandbox-secret"),
            "{w}:\n{s}"
        );
    }
    assert!(screen(&app).contains("AppSecret sandbox-secret"));
}

#[test]
fn a_cut_card_error_can_be_read_in_full() {
    let mut app = app(Theme::color());
    let long = format!(
        "DingTalk error 60121: {} Fix: check the number (end of message)",
        "no active member. ".repeat(12)
    );
    app.handle(Msg::ChannelsLoaded(Ok(configured_summaries(Some(
        TestRecord {
            at: AT,
            ok: false,
            summary: long.clone(),
        },
    )))));
    let s = screen(&app);
    assert!(
        !s.contains("(end of message)"),
        "the card has no room at 80x24:\n{s}"
    );
    assert!(
        s.contains("v full text"),
        "the card says how to read it:\n{s}"
    );
    key(&mut app, KeyCode::Char('v'));
    let s = screen(&app);
    assert!(s.contains("(end of message)"), "{s}");
    key(&mut app, KeyCode::Esc);
    assert!(!screen(&app).contains("(end of message)"));
}

#[test]
fn the_members_table_drops_a_column_rather_than_cut_it() {
    let mut app = app(Theme::color());
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('3'));
    let t = render(&app, 60, 18);
    let header = row_cells(t.backend().buffer(), 3);
    assert!(header.contains("Phone"), "{header}");
    assert!(
        !header.contains("DingTal") || header.contains("DingTalk userid"),
        "{header}"
    );
    // The detail line still has the userid.
    assert!(text_of(t.backend().buffer()).contains("userid manager4711"));
}

#[test]
fn wecom_feishu_and_lark_dialogs_in_the_consoles_words() {
    let mut app = app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::WeCom, Ok(None)));
    let s = screen(&app);
    for label in [
        "CorpID",
        "AgentId",
        "Secret",
        "Token",
        "EncodingAESKey",
        "Callback URL",
    ] {
        assert!(s.contains(label), "{label}:\n{s}");
    }
    insta::assert_snapshot!("dialog_wecom", s);
    // Saving an empty form names WeCom's fields.
    let fx = ctrl(&mut app, 's');
    assert!(fx.is_empty(), "{fx:?}");
    let s = screen(&app);
    assert!(
        s.contains("CorpID is required") && s.contains("AgentId is required"),
        "{s}"
    );
    let mut app = self::app(Theme::color());
    app.handle(Msg::ConfigLoaded(ChannelKind::FeishuLark, Ok(None)));
    let s = screen(&app);
    assert!(
        s.contains("Configure Feishu Lark Message Channel") && s.contains("App ID"),
        "{s}"
    );
    assert!(s.contains("< Login Name >"), "{s}");
    insta::assert_snapshot!("dialog_lark", s);
}
