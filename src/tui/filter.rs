//! The one `/` filter of every list: a text field, whether it is being typed into, and what
//! a key did to it. Enter keeps the filter, Esc clears it; either way typing ends.

use crossterm::event::KeyEvent;
use memchr::memmem;

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
        out
    }

    /// Indices of the rows with a field containing `needle` (a [`Filter::needle`]).
    pub fn find(&self, needle: &str) -> Vec<u32> {
        if needle.is_empty() || needle.contains(SEPARATOR) {
            return vec![];
        }
        let finder = memmem::Finder::new(needle.as_bytes());
        let hay = self.text.as_bytes();
        let mut found = vec![];
        let mut from = 0;
        while let Some(at) = finder.find(&hay[from..]).map(|i| i + from) {
            // The row holding the match; the search goes on at the next row.
            let row = self.starts.partition_point(|&s| s as usize <= at) - 1;
            found.push(row as u32);
            match self.starts.get(row + 1) {
                Some(&next) => from = next as usize,
                None => break,
            }
        }
        found
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
