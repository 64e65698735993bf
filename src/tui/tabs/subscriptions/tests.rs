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
