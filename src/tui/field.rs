//! A single-line text field on top of tui-input, with paste handling and an optional mask.

use crossterm::event::{Event, KeyEvent};
use tui_input::{Input, InputRequest};

/// Longest value a field accepts; DingTalk keys and ids are far shorter, and a runaway paste
/// must not grow the UI without bound.
pub const MAX_FIELD_CHARS: usize = 256;

/// Whether a key edits a value (as opposed to moving the cursor).
pub fn changes_value(key: &KeyEvent) -> bool {
    use InputRequest::*;
    matches!(
        tui_input::backend::crossterm::to_input_request(&Event::Key(*key)),
        Some(
            InsertChar(_)
                | DeletePrevChar
                | DeleteNextChar
                | DeletePrevWord
                | DeleteNextWord
                | DeleteLine
                | DeleteTillEnd
                | DeleteFromStart
        )
    )
}

#[derive(Clone, Debug, Default)]
pub struct TextField {
    input: Input,
    pub masked: bool,
}

/// What a paste did, so the dialog can say when text was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasteOutcome {
    pub inserted: usize,
    pub dropped: usize,
    /// The text had several lines: nothing was inserted (joining them would silently make a
    /// different value, e.g. "tmpl-onetmpl-two").
    pub refused_lines: usize,
}

impl PasteOutcome {
    /// What to tell the user about this paste, if anything.
    pub fn notice(&self) -> Option<String> {
        if self.refused_lines > 0 {
            return Some(format!(
                "Not pasted: the text has {} lines and this field takes one (only a trailing line break is dropped)",
                self.refused_lines
            ));
        }
        (self.dropped > 0).then(|| {
            format!(
                "Paste: {} character(s) dropped (control characters or over {MAX_FIELD_CHARS} characters)",
                self.dropped
            )
        })
    }
}

impl TextField {
    pub fn new(value: &str) -> TextField {
        TextField {
            input: Input::new(value.to_string()),
            masked: false,
        }
    }

    pub fn masked() -> TextField {
        TextField {
            input: Input::default(),
            masked: true,
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn char_count(&self) -> usize {
        self.input.value().chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.input.value().is_empty()
    }

    pub fn clear(&mut self) {
        self.input.reset();
    }

    /// Apply an editing key. Returns true if the value changed.
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let Some(req) = tui_input::backend::crossterm::to_input_request(&Event::Key(*key)) else {
            return false;
        };
        if let InputRequest::InsertChar(ch) = req
            && (ch.is_control() || self.char_count() >= MAX_FIELD_CHARS)
        {
            return false;
        }
        // Yank would re-insert cut text; for the secret that is a second copy we do not want.
        if self.masked && req == InputRequest::Yank {
            return false;
        }
        self.input.handle(req).is_some_and(|changed| changed.value)
    }

    /// Insert pasted text at the cursor. A trailing line break is dropped (a secret copied with
    /// one must not submit the form); text of several lines is refused whole; other control
    /// characters are dropped.
    pub fn paste(&mut self, text: &str) -> PasteOutcome {
        let mut out = PasteOutcome {
            inserted: 0,
            dropped: 0,
            refused_lines: 0,
        };
        let text = text.trim_end_matches(['\n', '\r']);
        let lines = text.split(['\n', '\r']).filter(|l| !l.is_empty()).count();
        if lines > 1 {
            out.refused_lines = lines;
            return out;
        }
        for ch in text.chars() {
            if ch == '\n' || ch == '\r' {
                continue;
            }
            if ch.is_control() || self.char_count() >= MAX_FIELD_CHARS {
                out.dropped += 1;
                continue;
            }
            self.input.handle(InputRequest::InsertChar(ch));
            out.inserted += 1;
        }
        out
    }

    /// Display text and cursor column for a box `width` cells wide.
    pub fn visible(&self, width: usize, reveal: bool) -> (String, usize) {
        let width = width.max(1);
        if self.masked && !reveal {
            let n = self.char_count();
            let cursor = self.input.cursor();
            let scroll = (cursor + 1).saturating_sub(width);
            let shown = n.saturating_sub(scroll).min(width);
            return ("•".repeat(shown), cursor - scroll);
        }
        let scroll = self.input.visual_scroll(width);
        let mut shown = String::new();
        let mut used = 0;
        let mut skipped = 0;
        for ch in self.input.value().chars() {
            let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
            if skipped < scroll {
                skipped += w;
                continue;
            }
            if used + w > width {
                break;
            }
            shown.push(ch);
            used += w;
        }
        (shown, self.input.visual_cursor().saturating_sub(scroll))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn paste_drops_a_trailing_line_break_and_controls() {
        let mut f = TextField::new("");
        let out = f.paste("abc\x1b[1m\r\n");
        assert_eq!(f.value(), "abc[1m");
        assert_eq!(out.dropped, 1);
    }

    #[test]
    fn paste_of_several_lines_is_refused_not_joined() {
        let mut f = TextField::new("x");
        let out = f.paste("tmpl-one\ntmpl-two\n");
        assert_eq!(f.value(), "x");
        assert_eq!(out.refused_lines, 2);
        assert!(out.notice().unwrap().contains("2 lines"));
    }

    #[test]
    fn paste_is_bounded() {
        let mut f = TextField::new("");
        let out = f.paste(&"x".repeat(10_000));
        assert_eq!(f.char_count(), MAX_FIELD_CHARS);
        assert_eq!(out.dropped, 10_000 - MAX_FIELD_CHARS);
    }

    #[test]
    fn masked_field_shows_only_bullets() {
        let mut f = TextField::masked();
        f.paste("hunter2");
        let (text, cursor) = f.visible(20, false);
        assert_eq!(text, "•••••••");
        assert_eq!(cursor, 7);
        assert_eq!(f.visible(20, true).0, "hunter2");
    }

    #[test]
    fn typing_and_scrolling() {
        let mut f = TextField::new("");
        for ch in "abcdefghij".chars() {
            f.handle_key(&KeyEvent::new(KeyCode::Char(ch), KeyModifiers::NONE));
        }
        // The window scrolls so the last characters typed are shown, cursor right after them.
        assert_eq!(f.visible(5, false), ("fghij".to_string(), 5));
        f.handle_key(&KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
        assert_eq!(f.visible(5, false), ("abcde".to_string(), 0));
        f.handle_key(&KeyEvent::new(KeyCode::End, KeyModifiers::NONE));
        f.handle_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        assert_eq!(f.value(), "abcdefghi");
    }
}
