//! State of the Members tab: the members, a `/` filter and the cursor over the filtered list.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::domain::member::Member;
use crate::tui::filter::Filter;
use crate::tui::list;
use crate::tui::ui::Ui;

mod draw;
mod keys;

#[derive(Debug, Default)]
pub struct MembersTab {
    pub members: Vec<Member>,
    pub loaded: bool,
    /// Index into `shown()`.
    pub cursor: usize,
    pub filter: Filter,
    /// Rows the last frame had room for: PgUp/PgDn move by this much.
    pub view_height: Cell<usize>,
}

impl MembersTab {
    pub fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        draw::render(self, ui, frame, area);
    }

    pub fn set(&mut self, members: Vec<Member>) {
        self.members = members;
        self.loaded = true;
        self.clamp();
    }

    /// The members matching the filter (name, login, phone or email, any case).
    pub fn shown(&self) -> Vec<&Member> {
        let needle = self.filter.needle();
        self.members
            .iter()
            .filter(|m| {
                let Some(needle) = &needle else {
                    return true;
                };
                [
                    m.name.as_str(),
                    m.login.as_str(),
                    m.mobile.as_str(),
                    m.email.as_deref().unwrap_or(""),
                ]
                .iter()
                .any(|v| v.to_lowercase().contains(needle.as_str()))
            })
            .collect()
    }

    pub fn current(&self) -> Option<&Member> {
        self.shown().get(self.cursor).copied()
    }

    /// Puts the cursor on the member with `login`, if shown.
    pub fn select_login(&mut self, login: &str) {
        if let Some(pos) = self.shown().iter().position(|m| m.login == login) {
            self.cursor = pos;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.cursor = list::step(self.cursor, self.shown().len(), delta);
    }

    pub fn page(&self) -> isize {
        self.view_height.get().max(1) as isize
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.shown().len().saturating_sub(1);
    }

    /// After the list or the filter changed.
    pub fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.shown().len().saturating_sub(1));
    }
}
