//! Unit tests of the Members tab at scale: the filter is applied once per change, never per
//! key or frame, and matches what it always matched.

use super::*;
use crate::domain::Mobile;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::ui::TabUnit;
use chrono::FixedOffset;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn member(i: usize, name: &str, login: &str, email: Option<&str>) -> Member {
    Member {
        id: i as i64,
        name: name.into(),
        login: login.into(),
        mobile: Mobile::parse(&format!("139{i:08}")).unwrap(),
        email: email.map(Into::into),
        dingtalk_userid: None,
        resolved_at: None,
        channel_ids: vec![],
    }
}

fn many(n: usize) -> Vec<Member> {
    (0..n)
        .map(|i| member(i, &format!("User {i}"), &format!("u{i}"), None))
        .collect()
}

fn ui() -> Ui {
    Ui::new(Theme::color(), FixedOffset::east_opt(0).unwrap())
}

fn press(tab: &mut MembersTab, ui: &mut Ui, action: Option<Action>, code: KeyCode) {
    let _ = tab.on_key(action, &KeyEvent::new(code, KeyModifiers::NONE), ui);
}

fn draw(tab: &MembersTab, ui: &Ui, term: &mut Terminal<TestBackend>) {
    term.draw(|f| tab.draw(ui, f, f.area())).unwrap();
}

fn logins(tab: &MembersTab) -> Vec<String> {
    (0..tab.shown_len())
        .filter_map(|i| tab.shown_at(i))
        .map(|m| m.login.clone())
        .collect()
}

#[test]
fn cursor_keys_and_frames_do_not_filter_the_members_again() {
    let (mut tab, mut ui) = (MembersTab::default(), ui());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    tab.set(many(100_000).into());
    tab.filter.start();
    tab.on_paste("user 4", &mut ui);
    press(&mut tab, &mut ui, Some(Action::Close), KeyCode::Enter);
    draw(&tab, &ui, &mut term);
    let before = tab.examined.get();
    for _ in 0..10 {
        press(&mut tab, &mut ui, Some(Action::Down), KeyCode::Down);
        draw(&tab, &ui, &mut term);
    }
    press(&mut tab, &mut ui, Some(Action::End), KeyCode::End);
    draw(&tab, &ui, &mut term);
    assert_eq!(tab.examined.get(), before, "no member is examined again");
    assert_eq!(tab.current().unwrap().login, "u49999");
}

#[test]
fn a_filter_keystroke_examines_each_member_at_most_once() {
    let (mut tab, mut ui) = (MembersTab::default(), ui());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    tab.set(many(100_000).into());
    press(&mut tab, &mut ui, Some(Action::Filter), KeyCode::Char('/'));
    for c in "user 42".chars() {
        let before = tab.examined.get();
        press(&mut tab, &mut ui, None, KeyCode::Char(c));
        draw(&tab, &ui, &mut term);
        assert!(tab.examined.get() - before <= 100_000, "typing {c:?}");
    }
    assert_eq!(tab.shown_len(), 1 + 10 + 100 + 1000);
}

#[test]
fn the_filter_matches_any_field_in_any_case_but_never_across_fields() {
    let (mut tab, mut ui) = (MembersTab::default(), ui());
    tab.set(
        vec![
            member(1, "Émile Zola", "ezola", Some("EZ@Example.com")),
            member(2, "Ann", "bob", None),
            member(3, "Carl", "carl", Some("c@x.org")),
        ]
        .into(),
    );
    tab.filter.start();
    let mut filter = |text: &str| {
        tab.filter.clear();
        tab.filter.start();
        tab.on_paste(text, &mut ui);
        logins(&tab)
    };
    assert_eq!(filter("émile"), ["ezola"]);
    assert_eq!(filter("ÉMILE"), ["ezola"]);
    assert_eq!(filter("example.COM"), ["ezola"]);
    assert_eq!(filter("13900000003"), ["carl"]);
    assert_eq!(filter("annbob"), Vec::<String>::new());
    assert_eq!(filter("  carl "), ["carl"]);
    assert_eq!(filter(""), ["ezola", "bob", "carl"]);
}

#[test]
fn a_new_list_is_filtered_with_the_filter_in_place() {
    let (mut tab, mut ui) = (MembersTab::default(), ui());
    tab.set(many(30).into());
    tab.filter.start();
    tab.on_paste("u2", &mut ui);
    assert_eq!(tab.shown_len(), 11);
    tab.cursor = 10;
    tab.set(many(25).into());
    assert_eq!(logins(&tab), ["u2", "u20", "u21", "u22", "u23", "u24"]);
    assert_eq!(tab.cursor, 5, "the cursor stays inside the shorter list");
}
