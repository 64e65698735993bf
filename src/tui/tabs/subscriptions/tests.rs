//! Unit tests of `subscriptions`, kept beside it so the module stays short.

use super::*;
use crate::domain::subscription::MethodSet;

fn row(t: &str, n: &str) -> SubscriptionRow {
    SubscriptionRow {
        type_code: t.into(),
        node_code: n.into(),
        type_label: t.to_uppercase(),
        node_label: n.replace('_', " "),
        receiver: "Approvers".into(),
        methods: MethodSet::default(),
        custom_receivers: vec![],
    }
}

fn grid() -> Grid {
    let mut g = Grid::new();
    g.set_rows(vec![
        row("sql_task", "to_be_submitted"),
        row("sql_task", "to_be_approved"),
        row("data_export", "approved"),
    ]);
    g
}

#[test]
fn cursor_starts_on_first_row_and_skips_headings() {
    let mut g = grid();
    assert_eq!(g.lines.len(), 5);
    assert_eq!(g.current_row().unwrap().node_code, "to_be_submitted");
    g.move_rows(2);
    assert_eq!(g.current_row().unwrap().type_code, "data_export");
    g.move_rows(5);
    assert_eq!(g.current_row().unwrap().node_code, "approved");
    g.move_rows(-1);
    assert_eq!(g.current_row().unwrap().node_code, "to_be_approved");
    g.home();
    assert_eq!(g.cursor, 1);
    g.end();
    assert_eq!(g.cursor, 4);
}

#[test]
fn toggle_and_undo() {
    let mut g = grid();
    g.move_rows(1);
    assert_eq!(g.column(), Method::Personal);
    let ch = g.toggle_cell().unwrap();
    assert_eq!(ch.len(), 1);
    assert!(ch[0].on);
    assert!(g.rows[1].methods.contains(Method::Personal));
    let Some(UndoStep::Methods(inv)) = g.undo() else {
        panic!("expected method changes");
    };
    assert!(!inv[0].on);
    assert!(!g.rows[1].methods.contains(Method::Personal));
    assert!(g.undo().is_none());
}

#[test]
fn inbox_column_is_unreachable_and_locked() {
    let mut g = grid();
    for _ in 0..20 {
        g.move_col(1);
        assert_ne!(g.column(), Method::Inbox);
    }
    g.col = 0;
    assert!(g.toggle_cell().is_err());
}

#[test]
fn column_for_type_and_whole_row() {
    let mut g = grid();
    let ch = g.toggle_column_in_type().unwrap();
    assert_eq!(ch.len(), 2, "both sql_task nodes");
    assert!(
        !g.rows[2].methods.contains(Method::Personal),
        "other type untouched"
    );
    let ch = g.toggle_row().unwrap();
    assert_eq!(ch.len(), 4, "the four methods that were off");
    let ch = g.toggle_row().unwrap();
    assert_eq!(ch.len(), 5, "all off again");
    assert_eq!(g.rows[0].methods, MethodSet::default());
}

#[test]
fn filter_keeps_headings_of_matching_rows() {
    let mut g = grid();
    g.filter.text.paste("approved");
    g.rebuild();
    assert_eq!(g.visible_rows(), 2);
    assert_eq!(g.lines.len(), 4);
    g.filter.text.paste("zzz");
    g.rebuild();
    assert_eq!(g.visible_rows(), 0);
    assert!(g.current_row().is_none());
    assert!(g.toggle_cell().is_err());
}

#[test]
fn revert_after_failed_save() {
    let mut g = grid();
    let ch = g.toggle_cell().unwrap();
    g.revert(&ch);
    assert_eq!(g.rows[0].methods, MethodSet::default());
    assert!(g.undo.is_empty());
}

/// The receivers picker offers every member: at 100,000 a key or a frame must not look at
/// them all again, and a filter keystroke at most once.
#[test]
fn the_receivers_picker_filters_once_per_change() {
    use crate::tui::keymap::Action;
    use crate::tui::ui::{Overlay, Ui};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut ui = Ui::new(
        crate::tui::theme::Theme::color(),
        chrono::FixedOffset::east_opt(0).unwrap(),
    );
    let choices = (0..100_000)
        .map(|i| (format!("u{i}"), format!("User {i}"), false))
        .collect();
    let mut p = receivers::ReceiversPicker::new(
        "t".into(),
        "n".into(),
        "T / N".into(),
        "Approvers".into(),
        choices,
    );
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    let mut press = |p: &mut receivers::ReceiversPicker, action, code| {
        let _ = p.on_key(action, &KeyEvent::new(code, KeyModifiers::NONE), &mut ui);
        term.draw(|f| p.draw(&ui, f, f.area())).unwrap();
    };
    press(&mut p, Some(Action::Filter), KeyCode::Char('/'));
    for c in "user 4".chars() {
        let before = p.examined.get();
        press(&mut p, None, KeyCode::Char(c));
        assert!(p.examined.get() - before <= 100_000, "typing {c:?}");
    }
    press(&mut p, Some(Action::Close), KeyCode::Enter);
    let before = p.examined.get();
    for _ in 0..5 {
        press(&mut p, Some(Action::Down), KeyCode::Down);
    }
    press(&mut p, Some(Action::Toggle), KeyCode::Char(' '));
    assert_eq!(p.examined.get(), before, "no choice is examined again");
    assert_eq!(p.chosen(), ["u44"], "User 4, 40, 41, 42, 43, 44");
}

#[test]
fn the_filter_also_matches_the_catalogues_chinese_names() {
    let mut g = grid();
    g.filter.text.paste("待审批");
    g.rebuild();
    assert_eq!(g.visible_rows(), 1);
    assert_eq!(g.current_row().unwrap().node_code, "to_be_approved");
    let mut g = grid();
    g.filter.text.paste("SQL 任务");
    g.rebuild();
    assert_eq!(g.visible_rows(), 2);
}
