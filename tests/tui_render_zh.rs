//! The Chinese interface on ratatui's TestBackend: a snapshot of every tab and dialog at 80x24,
//! the smallest terminal (60x18), and checks that CJK columns stay aligned (display width).

use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use std::sync::Arc;

use notifydesk::dingtalk::{DingTalkError, ErrorKind, Step};
use notifydesk::domain::{ChannelKind, ChannelSummary, Mobile, SourceColumn, TestRecord};
use notifydesk::i18n::{Lang, LangChoice, LangSource};
use notifydesk::store::{DeliveryCounts, DeliveryRow, DeliveryStatus, StoreError};
use notifydesk::tui::app::{App, AppOptions};
use notifydesk::tui::msg::{Effect, Msg};
use notifydesk::tui::tabs::delivery_log::LogPage;
use notifydesk::tui::theme::Theme;
use notifydesk::tui::view;

const AT: i64 = 1_795_000_000;

fn app() -> App {
    let mut app = App::new(AppOptions {
        db_label: "~/.local/share/notifydesk/notifydesk.db".into(),
        theme: Theme::color(),
        utc_offset: FixedOffset::east_opt(8 * 3600).unwrap(),
    });
    app.set_lang(LangChoice {
        lang: Lang::Zh,
        source: LangSource::Locale("LANG"),
    });
    app.init();
    app
}

fn summaries(last_test: Option<TestRecord>) -> Vec<ChannelSummary> {
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

/// The screen as text; the second cell of a wide character is left out, so each line reads
/// as the terminal shows it.
fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let s = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
            out.push_str(s);
        }
        out.push('\n');
    }
    out
}

fn screen(app: &App) -> String {
    text_of(render(app, 80, 24).backend().buffer())
}

/// The cell (column) where `needle` starts on the first line that has it.
fn cell_of(buf: &Buffer, needle: &str) -> Option<(u16, usize)> {
    (0..buf.area.height).find_map(|y| {
        let (line, cells) = line_of(buf, y);
        let byte = line.find(needle)?;
        Some((y, cells[line[..byte].chars().count()]))
    })
}

/// A line as shown, and the cell each of its characters starts at.
fn line_of(buf: &Buffer, y: u16) -> (String, Vec<usize>) {
    let (mut line, mut cells, mut skip) = (String::new(), Vec::new(), 0);
    for x in 0..buf.area.width {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let s = buf[(x, y)].symbol();
        skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
        for _ in s.chars() {
            cells.push(x as usize);
        }
        line.push_str(s);
    }
    (line, cells)
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

fn members() -> Vec<notifydesk::domain::member::Member> {
    ["张三:zhangsan:13800138000", "欧阳娜娜:ouyang:13900139000"]
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

fn grid_app() -> App {
    let mut app = app();
    app.handle(Msg::ChannelsLoaded(Ok(summaries(None))));
    app.handle(Msg::SubscriptionsLoaded(Ok(catalogue_rows())));
    key(&mut app, KeyCode::Char('2'));
    app
}

/// What the runner records for a test that DingTalk refused, in Chinese.
fn failed_summary() -> String {
    DingTalkError::new(ErrorKind::UserNotFound, "60121", Step::Lookup).line_in(Lang::Zh)
}

#[test]
fn zh_channels_tab() {
    let mut app = app();
    app.handle(Msg::ChannelsLoaded(Ok(summaries(None))));
    insta::assert_snapshot!("zh_channels", screen(&app));
    app.handle(Msg::ChannelsLoaded(Ok(summaries(Some(TestRecord {
        at: AT,
        ok: false,
        summary: failed_summary(),
    })))));
    insta::assert_snapshot!("zh_channels_failed_test", screen(&app));
}

#[test]
fn zh_configure_dialog_states() {
    let mut app = app();
    app.handle(Msg::ConfigLoaded(ChannelKind::DingTalk, Ok(None)));
    insta::assert_snapshot!("zh_dialog_empty", screen(&app));
    // Test with nothing filled in: every field says what it needs, in Chinese.
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "12345");
    assert!(ctrl(&mut app, 't').is_empty());
    insta::assert_snapshot!("zh_dialog_errors", screen(&app));
    // The first field in error has the focus.
    type_text(&mut app, "dingq7xkmz4r1abc");
    key(&mut app, KeyCode::Tab);
    app.handle(Msg::Paste("S3cr3t-ZZZ".into()));
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "138 0013 8000");
    let seq = match ctrl(&mut app, 't').as_slice() {
        [Effect::SendTest { seq, .. }] => *seq,
        other => panic!("expected a test, got {other:?}"),
    };
    insta::assert_snapshot!("zh_dialog_sending", screen(&app));
    app.handle(Msg::TestFinished {
        seq,
        record: TestRecord {
            at: AT,
            ok: false,
            summary: failed_summary(),
        },
        detail: None,
    });
    insta::assert_snapshot!("zh_dialog_failed", screen(&app));
    assert!(!screen(&app).contains("S3cr3t-ZZZ"));
}

#[test]
fn zh_wecom_dialog() {
    let mut app = app();
    app.handle(Msg::ConfigLoaded(ChannelKind::WeCom, Ok(None)));
    insta::assert_snapshot!("zh_dialog_wecom", screen(&app));
}

#[test]
fn zh_help_overlay_says_the_language() {
    let mut app = app();
    key(&mut app, KeyCode::Char('?'));
    let s = screen(&app);
    assert!(s.contains("界面语言：zh (LANG)"), "{s}");
    insta::assert_snapshot!("zh_help", s);
}

#[test]
fn zh_subscription_grid_keeps_its_columns() {
    let mut app = grid_app();
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    insta::assert_snapshot!("zh_grid", text_of(buf));
    // Every checkbox of a column sits under its heading, whatever the node names' width.
    let header = cell_of(buf, "站内信").unwrap();
    let first = cell_of(buf, "[#]").unwrap();
    assert!(
        first.1 >= header.1 && first.1 + 3 <= header.1 + 7,
        "{}",
        text_of(buf)
    );
    let rows: Vec<usize> = (0..buf.area.height)
        .filter_map(|y| {
            let (line, cells) = line_of(buf, y);
            let byte = line.find("[#]")?;
            Some(cells[line[..byte].chars().count()])
        })
        .collect();
    assert!(
        rows.len() > 5 && rows.iter().all(|c| *c == rows[0]),
        "{rows:?}"
    );
}

#[test]
fn zh_members_form_and_picker() {
    let mut app = grid_app();
    app.handle(Msg::MembersLoaded(Ok(members().into())));
    key(&mut app, KeyCode::Char('3'));
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    insta::assert_snapshot!("zh_members", text_of(buf));
    let wide = cell_of(buf, "ouyang").unwrap().1;
    let plain = cell_of(buf, "zhangsan").unwrap().1;
    let heading = cell_of(buf, "登录名").unwrap().1;
    assert_eq!((wide, plain), (heading, heading), "{}", text_of(buf));
    key(&mut app, KeyCode::Char('a'));
    type_text(&mut app, "王五");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "wangwu");
    key(&mut app, KeyCode::Tab);
    type_text(&mut app, "12345");
    assert!(ctrl(&mut app, 's').is_empty());
    insta::assert_snapshot!("zh_member_form_error", screen(&app));
    app.handle(Msg::MemberSaved(Err(Arc::new(StoreError::Duplicate {
        what: "a member with login \"wangwu\"".into(),
    }))));
    let s = screen(&app);
    assert!(s.contains("登录名为 \"wangwu\" 的成员已存在"), "{s}");
    key(&mut app, KeyCode::Esc);
    insta::assert_snapshot!("zh_confirm_discard", screen(&app));
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char(' '));
    insta::assert_snapshot!("zh_receivers_picker", screen(&app));
}

fn delivery_rows() -> Vec<DeliveryRow> {
    let mk = |id: i64, login: &str, status: DeliveryStatus, err: Option<&str>| DeliveryRow {
        id,
        at: AT + id,
        created_at: AT,
        event_id: format!("T-{id}"),
        type_code: "sql_task".into(),
        node_code: "to_be_approved".into(),
        title: "变更 orders 表".into(),
        login: login.into(),
        member_name: Some(format!("成员{id}")),
        status,
        attempts: 1,
        error_code: err.map(|_| "60020".to_string()),
        last_error: err.map(String::from),
        process_query_key: None,
        request_id: None,
        deferrals: 0,
        next_attempt_at: 0,
        channel: Some(ChannelKind::DingTalk),
    };
    vec![
        mk(
            3,
            "zhangsan",
            DeliveryStatus::Failed,
            Some(
                "DingTalk error 60020: this server's IP address is not in the app's IP allow-list. Fix: add it",
            ),
        ),
        mk(2, "lisi", DeliveryStatus::Sent, None),
        mk(1, "wangwu", DeliveryStatus::Unknown, None),
    ]
}

#[test]
fn zh_delivery_log_and_detail() {
    let mut app = app();
    app.handle(Msg::SubscriptionsLoaded(Ok(catalogue_rows())));
    key(&mut app, KeyCode::Char('4'));
    app.handle(Msg::LogLoaded(Ok(LogPage {
        before: None,
        rows: delivery_rows(),
        total: 3,
        counts: DeliveryCounts {
            pending: 0,
            sending: 0,
            sent: 1,
            failed: 1,
            skipped: 0,
            unknown: 1,
        },
    })));
    let t = render(&app, 80, 24);
    let buf = t.backend().buffer();
    insta::assert_snapshot!("zh_log", text_of(buf));
    // The status column lines up under its heading, after names of any width.
    let status = cell_of(buf, "状态  ").unwrap().1;
    for needle in ["失败  ", "已发送  ", "状态未知 "] {
        assert_eq!(cell_of(buf, needle).unwrap().1, status, "{needle}");
    }
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    // The stored English error is explained by its code in Chinese above it.
    assert!(s.contains("白名单"), "{s}");
    insta::assert_snapshot!("zh_log_detail", s);
}

#[test]
fn zh_quit_confirmation_and_small_terminals() {
    let mut app = app();
    app.handle(Msg::ChannelsLoaded(Ok(summaries(None))));
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('q'));
    insta::assert_snapshot!("zh_confirm_quit", screen(&app));
    key(&mut app, KeyCode::Char('n'));
    insta::assert_snapshot!(
        "zh_channels_60x18",
        text_of(render(&app, 60, 18).backend().buffer())
    );
    insta::assert_snapshot!(
        "zh_too_small",
        text_of(render(&app, 59, 17).backend().buffer())
    );
    for (w, h) in [(1, 1), (10, 3), (60, 18), (200, 60)] {
        render(&app, w, h);
    }
}
