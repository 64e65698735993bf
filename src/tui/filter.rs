//! The one `/` filter of every list: a text field, whether it is being typed into, and what
//! a key did to it. Enter keeps the filter, Esc clears it; either way typing ends.

use crossterm::event::KeyEvent;
use memchr::memmem;

use crate::domain::member::Member;
use crate::domain::member_table::{Field, MemberTable};
use crate::tui::field::TextField;
use crate::tui::keymap::Action;

#[derive(Debug, Default)]
pub struct Filter {
    pub text: TextField,
    pub editing: bool,
}

/// What a key did to a filter being typed into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterKey {
    /// The text changed (typed, deleted or cleared): the list must be filtered again.
    Changed,
    /// Typing ended, the text is kept.
    Kept,
    /// Nothing happened (e.g. an arrow key at the end of the text).
    Ignored,
}

impl Filter {
    pub fn value(&self) -> &str {
        self.text.value()
    }

    /// The lowercase needle to match, or None when the filter lets everything through.
    pub fn needle(&self) -> Option<String> {
        let v = self.text.value().trim();
        (!v.is_empty()).then(|| v.to_lowercase())
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Shown in a list's title while the filter is typed or applied.
    pub fn is_shown(&self) -> bool {
        self.editing || !self.text.is_empty()
    }

    pub fn start(&mut self) {
        self.editing = true;
    }

    /// Empties the filter; true if there was something to clear.
    pub fn clear(&mut self) -> bool {
        self.editing = false;
        let had = !self.text.is_empty();
        self.text.clear();
        had
    }

    /// A key while the filter is being typed into, with its keymap action (Filter context).
    pub fn on_key(&mut self, action: Option<Action>, key: &KeyEvent) -> FilterKey {
        match action {
            Some(Action::Close) => {
                self.editing = false;
                FilterKey::Kept
            }
            Some(Action::ClearFilter) => {
                self.clear();
                FilterKey::Changed
            }
            _ if self.text.handle_key(key) => FilterKey::Changed,
            _ => FilterKey::Ignored,
        }
    }

    /// Pasted text, taken only while the filter is typed; true if taken.
    pub fn paste(&mut self, text: &str) -> bool {
        if self.editing {
            self.text.paste(text);
        }
        self.editing
    }

    /// "filter: text▏" (the bar while typing).
    /// [`Filter::label`] in `lang`.
    pub fn label_in(&self, lang: crate::i18n::Lang) -> String {
        let caret = if self.editing { "▏" } else { "" };
        let text = format!("{}{caret}", self.text.value());
        lang.trf("list.filter", &[("text", &text)])
    }

    pub fn label(&self) -> String {
        let caret = if self.editing { "▏" } else { "" };
        format!("filter: {}{caret}", self.text.value())
    }
}

/// The text a long list is filtered on: each row's fields, lowercased once, in one buffer, so
/// a filter keystroke over 100,000 rows is one substring search (memchr's SIMD `memmem`)
/// rather than lowercased copies of every field.
#[derive(Debug, Default)]
pub struct SearchText {
    text: String,
    /// Where each row's fields start in `text`.
    starts: Vec<u32>,
}

/// Between fields and rows; a filter never contains it, so no match spans two fields.
const SEPARATOR: char = '\n';

impl SearchText {
    pub fn new<'a, R, F>(rows: R) -> SearchText
    where
        R: IntoIterator<Item = F>,
        F: IntoIterator<Item = &'a str>,
    {
        let mut out = SearchText::default();
        for fields in rows {
            out.starts.push(out.text.len() as u32);
            for field in fields {
                // Most fields are ASCII: lowercased in place, not char by char.
                if field.is_ascii() {
                    let from = out.text.len();
                    out.text.push_str(field);
                    out.text[from..].make_ascii_lowercase();
                } else {
                    out.text.extend(field.chars().flat_map(char::to_lowercase));
                }
                out.text.push(SEPARATOR);
            }
        }
        out.text.shrink_to_fit();
        out.starts.shrink_to_fit();
        out
    }

    /// Indices of the rows with a field containing `needle` (a [`Filter::needle`]).
    pub fn find(&self, needle: &str) -> Vec<u32> {
        if needle.is_empty() || needle.contains(SEPARATOR) {
            return vec![];
        }
        let mut found: Vec<u32> = vec![];
        // Matches come in order, so the row holding each is found by walking forward (when
        // nearly every row matches, a binary search per match would cost more than the search).
        let mut row = 0;
        for at in memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            while self
                .starts
                .get(row + 1)
                .is_some_and(|&next| next as usize <= at)
            {
                row += 1;
            }
            if found.last() != Some(&(row as u32)) {
                found.push(row as u32);
            }
        }
        found
    }
}

/// Every member and the text the filter searches; built on the store's thread, so their
/// arrival costs the UI task nothing at 100,000 members.
#[derive(Debug, Default)]
pub struct MemberList {
    pub table: MemberTable,
    pub text: SearchText,
}

impl MemberList {
    pub fn new(table: MemberTable) -> MemberList {
        let text = SearchText::new((0..table.len()).map(|i| {
            [Field::Name, Field::Login, Field::Mobile, Field::Email].map(|f| table.field(i, f))
        }));
        MemberList { table, text }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

impl From<Vec<Member>> for MemberList {
    fn from(members: Vec<Member>) -> MemberList {
        MemberList::new(members.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn enter_keeps_and_esc_clears() {
        let mut f = Filter::default();
        f.start();
        let a = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
        assert_eq!(f.on_key(None, &a), FilterKey::Changed);
        assert_eq!(f.on_key(Some(Action::Close), &a), FilterKey::Kept);
        assert_eq!((f.value(), f.editing), ("a", false));
        f.start();
        assert_eq!(f.on_key(Some(Action::ClearFilter), &a), FilterKey::Changed);
        assert!(f.is_empty() && !f.editing && !f.is_shown());
    }
}
