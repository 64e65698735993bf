//! Unit tests of the Delivery Log tab: a search shows that it is under way.

use super::*;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::msg::Outcome;
use crate::tui::theme::Theme;
use crate::tui::ui::TabUnit;
use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(log: &LogTab, ui: &Ui) -> String {
    let mut term = Terminal::new(TestBackend::new(80, 12)).unwrap();
    term.draw(|f| log.draw(ui, &Grid::new(), false, f, f.area()))
        .unwrap();
    let buf = term.backend().buffer();
    buf.content().iter().map(|c| c.symbol()).collect()
}

fn page() -> LogPage {
    LogPage {
        before: None,
        rows: vec![],
        total: 1_000_000,
        counts: DeliveryCounts::default(),
    }
}

/// A search over 1,000,000 deliveries takes a while: the title says so, in place of the row
/// count it has not got yet, until it answers.
#[test]
fn a_search_under_way_says_so_until_its_page_arrives() {
    let mut ui = Ui::new(Theme::color(), FixedOffset::east_opt(0).unwrap());
    let mut log = LogTab::default();
    log.on_loaded(page(), &mut ui);
    assert!(!screen(&log, &ui).contains("searching"));
    let key = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let _ = log.on_key(Some(Action::Filter), &key('/'), &mut ui);
    log.on_paste("approval of the orders tabl", &mut ui);
    let Outcome::Handled(effects) = log.on_key(None, &key('e'), &mut ui) else {
        panic!("the search takes the key");
    };
    assert!(matches!(effects[..], [Effect::LoadLog { .. }]));
    // Said early in the title: a long search at 80 columns must not push it out of sight.
    assert!(screen(&log, &ui).contains("searching…"));
    log.on_loaded(page(), &mut ui);
    assert!(!screen(&log, &ui).contains("searching"));
}
