//! The one way the CLI prints text that may come from the database, DingTalk or the user:
//! control characters and bidi overrides in it could retitle the terminal, move the cursor,
//! hide text or reorder what the reader sees. Tables, lines and errors go through
//! [`Out::line`]; `--json` through [`Out::json`].

use std::fmt::Display;
use std::io::{self, Write};

use serde::Serialize;

/// Shown in place of a character that must not reach the terminal.
pub const PLACEHOLDER: char = '\u{FFFD}';

/// C0 controls, DEL, C1 controls, and the bidi embeddings, overrides and isolates.
pub use crate::domain::is_unsafe_char as is_unsafe;

/// `text` with every unsafe character, line breaks included, replaced by [`PLACEHOLDER`].
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe(c) { PLACEHOLDER } else { c })
        .collect()
}

/// Pretty JSON with every unsafe character escaped as `\uXXXX`, so it parses to the same value.
pub fn json_string<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    // serde_json escapes C0 inside strings and emits only ASCII outside them, so whatever
    // unsafe character is left (DEL, C1, bidi; all in the BMP) sits inside a string, where the
    // escape means the same character. The pretty printer's own line breaks stay.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Cleaned lines to a stream. A closed pipe (`| head`) silently ends the output.
pub struct Out<W: Write> {
    w: W,
    closed: bool,
}

pub fn stdout() -> Out<io::Stdout> {
    Out::new(io::stdout())
}

pub fn stderr() -> Out<io::Stderr> {
    Out::new(io::stderr())
}

impl<W: Write> Out<W> {
    pub fn new(w: W) -> Out<W> {
        Out { w, closed: false }
    }

    /// One line; every unsafe character in it (a line break too) becomes a placeholder.
    pub fn line(&mut self, text: impl Display) -> io::Result<()> {
        let text = clean(&text.to_string());
        self.write_line(&text)
    }

    /// `value` as pretty JSON, every control and bidi character escaped.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> anyhow::Result<()> {
        let text = json_string(value)?;
        Ok(self.write_line(&text)?)
    }

    pub fn into_inner(self) -> W {
        self.w
    }

    fn write_line(&mut self, text: &str) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match writeln!(self.w, "{text}").and_then(|()| self.w.flush()) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}]2;x\u{7}\u{9b}1m\u{7f}\u{85}\u{202e}\u{2066}\t\r\nb";

    #[test]
    fn clean_replaces_every_control_and_bidi_character() {
        let p = PLACEHOLDER;
        assert_eq!(
            clean(HOSTILE),
            format!("a{p}]2;x{p}{p}1m{p}{p}{p}{p}{p}{p}{p}b")
        );
        assert_eq!(clean("王芳 ok é"), "王芳 ok é");
    }

    #[test]
    fn json_escapes_c1_and_bidi_and_round_trips() {
        let text = json_string(&serde_json::json!({ "v": HOSTILE, "n": [1, 2] })).unwrap();
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text:?}");
        assert!(text.contains("\\u009b") && text.contains("\\u202e") && text.contains("\\u007f"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["v"], HOSTILE);
    }

    #[test]
    fn a_line_keeps_no_break_of_its_own() {
        let mut out = Out::new(Vec::new());
        out.line(format_args!("x {}", "1\n2")).unwrap();
        assert_eq!(
            String::from_utf8(out.into_inner()).unwrap(),
            "x 1\u{fffd}2\n"
        );
    }
}
