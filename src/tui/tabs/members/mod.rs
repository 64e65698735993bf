//! State of the Members tab: the members, a `/` filter and the cursor over the filtered list.
//!
//! At 100,000 members a key must not look at every member: the filter runs once per change
//! (over one [`SearchText`] of all members, built when the list arrives), and keys and
//! frames use the indices it kept.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::domain::member::Member;
use crate::tui::filter::{Filter, SearchText};
use crate::tui::list;
use crate::tui::ui::Ui;

mod draw;
mod keys;
#[cfg(test)]
mod tests;

#[derive(Debug, Default)]
pub struct MembersTab {
    pub members: Vec<Member>,
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

    pub fn set(&mut self, members: Vec<Member>) {
        self.text = SearchText::new(members.iter().map(|m| {
            [
                m.name.as_str(),
                m.login.as_str(),
                m.mobile.as_str(),
                m.email.as_deref().unwrap_or(""),
            ]
        }));
        self.members = members;
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

    /// The `i`th member matching the filter.
    pub fn shown_at(&self, i: usize) -> Option<&Member> {
        match &self.matching {
            Some(m) => m.get(i).and_then(|&j| self.members.get(j as usize)),
            None => self.members.get(i),
        }
    }

    pub fn current(&self) -> Option<&Member> {
        self.shown_at(self.cursor)
    }

    /// Puts the cursor on the member with `login`, if shown.
    pub fn select_login(&mut self, login: &str) {
        if let Some(pos) =
            (0..self.shown_len()).find(|&i| self.shown_at(i).is_some_and(|m| m.login == login))
        {
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
