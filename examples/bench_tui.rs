//! Rendering benchmark (a harness, not a test): frame time of the TUI's views on ratatui's
//! TestBackend, and key-press-to-frame latency on the subscription grid with many rows.
//!
//! Run: `cargo run --release --example bench_tui [ROWS]` (default 5000 rows).

use std::time::{Duration, Instant};

use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use notifydesk::domain::subscription::{MethodSet, SubscriptionRow};
use notifydesk::domain::{ChannelKind, ChannelSummary};
use notifydesk::tui::app::{App, AppOptions};
use notifydesk::tui::msg::Msg;
use notifydesk::tui::theme::Theme;
use notifydesk::tui::view;

fn rows(n: usize) -> Vec<SubscriptionRow> {
    (0..n)
        .map(|i| SubscriptionRow {
            type_code: format!("type_{}", i / 50),
            node_code: format!("node_{i}"),
            type_label: format!("Workflow type {}", i / 50),
            node_label: format!("Node number {i}"),
            receiver: "Approvers".into(),
            methods: MethodSet::default(),
            custom_receivers: vec![],
        })
        .collect()
}

fn app(n: usize) -> App {
    let mut app = App::new(AppOptions {
        db_label: "bench.db".into(),
        theme: Theme::color(),
        utc_offset: FixedOffset::east_opt(0).unwrap(),
    });
    app.handle(Msg::ChannelsLoaded(Ok(ChannelKind::ALL
        .into_iter()
        .map(ChannelSummary::unconfigured)
        .collect())));
    app.handle(Msg::SubscriptionsLoaded(Ok(rows(n))));
    app
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<44} p50 {:>8.1} µs   p99 {:>8.1} µs   max {:>8.1} µs   (n={})",
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        samples.last().unwrap().as_secs_f64() * 1e6,
        samples.len()
    );
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let iterations = 2000;
    println!(
        "notifydesk TUI render benchmark: {n} subscription rows, {iterations} iterations each"
    );

    for (w, h) in [(80u16, 24u16), (200, 60)] {
        // Channel Management tab.
        let a = app(n);
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        let samples = (0..iterations)
            .map(|_| {
                let t = Instant::now();
                term.draw(|f| view::render(&a, f)).unwrap();
                t.elapsed()
            })
            .collect();
        report(&format!("channels tab frame {w}x{h}"), samples);

        // Subscription grid: full frame.
        let mut a = app(n);
        a.handle(key(KeyCode::Char('2')));
        let samples = (0..iterations)
            .map(|_| {
                let t = Instant::now();
                term.draw(|f| view::render(&a, f)).unwrap();
                t.elapsed()
            })
            .collect();
        report(&format!("grid frame {w}x{h} ({n} rows)"), samples);

        // Key press to redrawn frame: move down, toggle, and now and then jump to the end.
        let samples = (0..iterations)
            .map(|i| {
                let msg = match i % 50 {
                    0 => key(KeyCode::End),
                    1 => key(KeyCode::Home),
                    k if k % 7 == 0 => key(KeyCode::Char(' ')),
                    _ => key(KeyCode::Down),
                };
                let t = Instant::now();
                let _ = a.handle(msg);
                term.draw(|f| view::render(&a, f)).unwrap();
                t.elapsed()
            })
            .collect();
        report(&format!("grid key->frame {w}x{h} ({n} rows)"), samples);
    }

    // Delivery Log: one keyset page (200 rows of a 50,000-row log) is all the tab holds.
    let mut a = app(n);
    a.handle(key(KeyCode::Char('4')));
    let rows: Vec<notifydesk::store::DeliveryRow> = (0..200)
        .map(|i| notifydesk::store::DeliveryRow {
            id: 50_000 - i,
            at: 1_795_000_000,
            created_at: 1_795_000_000,
            event_id: format!("ev-{i}"),
            type_code: "sql_task".into(),
            node_code: "to_be_approved".into(),
            title: "Alter table orders".into(),
            login: format!("user{i}"),
            member_name: None,
            status: notifydesk::store::DeliveryStatus::Failed,
            attempts: 2,
            error_code: Some("60121".into()),
            last_error: Some("DingTalk error 60121: no active member has this phone number".into()),
            process_query_key: None,
            request_id: None,
            deferrals: 0,
            next_attempt_at: 0,
            channel: Some(notifydesk::domain::ChannelKind::DingTalk),
        })
        .collect();
    a.handle(Msg::LogLoaded(Ok(
        notifydesk::tui::tabs::delivery_log::LogPage {
            before: None,
            rows,
            total: 50_000,
            counts: Default::default(),
        },
    )));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let samples = (0..iterations)
        .map(|i| {
            let msg = if (i / 100) % 2 == 0 {
                key(KeyCode::Down)
            } else {
                key(KeyCode::Up)
            };
            let t = Instant::now();
            let _ = a.handle(msg);
            term.draw(|f| view::render(&a, f)).unwrap();
            t.elapsed()
        })
        .collect();
    report("log key->frame 80x24 (page of a 50,000-row log)", samples);

    // Filtering rebuilds the visible lines: the slowest grid key.
    let mut a = app(n);
    a.handle(key(KeyCode::Char('2')));
    a.handle(key(KeyCode::Char('/')));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let samples = (0..200)
        .map(|i| {
            let msg = if i % 2 == 0 {
                key(KeyCode::Char('9'))
            } else {
                key(KeyCode::Backspace)
            };
            let t = Instant::now();
            let _ = a.handle(msg);
            term.draw(|f| view::render(&a, f)).unwrap();
            t.elapsed()
        })
        .collect();
    report(&format!("grid filter keystroke 80x24 ({n} rows)"), samples);
}
