//! The one `/` filter of every list: a text field, whether it is being typed into, and what
//! a key did to it. Enter keeps the filter, Esc clears it; either way typing ends.

use crossterm::event::KeyEvent;

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
