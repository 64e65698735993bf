//! State of the Members tab: the members, a `/` filter and the cursor over the filtered list.
//!
//! At 100,000 members a key must not look at every member: the filter runs once per change
//! (over one [`SearchText`] of all members, built when the list arrives), and keys and
//! frames use the indices it kept. The members are held as one compact [`MemberTable`], and
//! both it and the search text are built off the UI task ([`MemberList::new`]).

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::domain::member::Member;
use crate::domain::member_table::MemberTable;
use crate::tui::filter::{Filter, MemberList, SearchText};
use crate::tui::list;
use crate::tui::ui::Ui;

mod draw;
mod keys;
#[cfg(test)]
mod tests;

#[derive(Debug, Default)]
pub struct MembersTab {
    pub members: MemberTable,
    pub loaded: bool,
    /// Index into the shown members.
    pub cursor: usize,
    pub filter: Filter,
    /// Rows the last frame had room for: PgUp/PgDn move by this much.
    pub view_height: Cell<usize>,
    /// Members looked at by the filter so far (work counted by the tests).
    pub examined: Cell<u64>,
    text: SearchText,
    /// Indices into `members` of those matching the filter; `None` = every member.
    matching: Option<Vec<u32>>,
}

impl MembersTab {
    pub fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        draw::render(self, ui, frame, area);
    }

    pub fn set(&mut self, list: MemberList) {
        self.text = list.text;
        self.members = list.table;
        self.loaded = true;
        self.refilter();
    }

    /// After the filter's text changed: match again, keep the cursor inside the list.
    pub fn refilter(&mut self) {
        self.matching = self.filter.needle().map(|needle| {
            self.examined
                .set(self.examined.get() + self.members.len() as u64);
            self.text.find(&needle)
        });
        self.clamp();
    }

    /// How many members match the filter (name, login, phone or email, any case).
    pub fn shown_len(&self) -> usize {
        match &self.matching {
            Some(m) => m.len(),
            None => self.members.len(),
        }
    }

    /// The row in `members` of the `i`th member matching the filter.
    fn shown_row(&self, i: usize) -> Option<usize> {
        match &self.matching {
            Some(m) => m.get(i).map(|&j| j as usize),
            None => (i < self.members.len()).then_some(i),
        }
    }

    /// The `i`th member matching the filter.
    pub fn shown_at(&self, i: usize) -> Option<Member> {
        self.members.get(self.shown_row(i)?)
    }

    pub fn current(&self) -> Option<Member> {
        self.shown_at(self.cursor)
    }

    /// Puts the cursor on the member with `login`, if shown.
    pub fn select_login(&mut self, login: &str) {
        if let Some(pos) = (0..self.shown_len()).find(|&i| {
            self.shown_row(i)
                .is_some_and(|r| self.members.login(r) == login)
        }) {
            self.cursor = pos;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.cursor = list::step(self.cursor, self.shown_len(), delta);
    }

    pub fn page(&self) -> isize {
        self.view_height.get().max(1) as isize
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.shown_len().saturating_sub(1);
    }

    /// After the list changed.
    pub fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.shown_len().saturating_sub(1));
    }
}
