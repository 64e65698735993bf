//! Removing secrets (the App Secret, tenant tokens) from text before an error keeps it: whole
//! occurrences and any piece of [`MIN_PIECE`] or more consecutive characters of one, so a
//! partial echo or a later cut cannot leak a useful prefix.

use std::collections::HashSet;

pub(super) const MARKER: &str = "[redacted]";
const MIN_PIECE: usize = 6;
/// Shorter secrets are matched whole; below this length not at all.
const MIN_SECRET: usize = 4;

pub(super) struct Redactor {
    windows: HashSet<Vec<char>>,
    short: Vec<Vec<char>>,
}

impl Redactor {
    pub(super) fn new(secrets: &[&str]) -> Redactor {
        let mut windows = HashSet::new();
        let mut short = Vec::new();
        for s in secrets {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() >= MIN_PIECE {
                windows.extend(chars.windows(MIN_PIECE).map(<[char]>::to_vec));
            } else if chars.len() >= MIN_SECRET {
                short.push(chars);
            }
        }
        Redactor { windows, short }
    }

    /// `text` with every run of secret characters replaced by one [`MARKER`].
    pub(super) fn redact(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut hidden = vec![false; chars.len()];
        for (i, w) in chars.windows(MIN_PIECE).enumerate() {
            if self.windows.contains(w) {
                hidden[i..i + MIN_PIECE].fill(true);
            }
        }
        for s in &self.short {
            for (i, w) in chars.windows(s.len()).enumerate() {
                if w == &s[..] {
                    hidden[i..i + s.len()].fill(true);
                }
            }
        }
        if !hidden.contains(&true) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        for (i, c) in chars.iter().enumerate() {
            if !hidden[i] {
                out.push(*c);
            } else if i == 0 || !hidden[i - 1] {
                out.push_str(MARKER);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_partial_and_short_secrets_are_hidden() {
        let r = Redactor::new(&["Zq7Wx2Kp9Lm4", "t-0f1e2d3c4b5a", "ab1c"]);
        assert_eq!(r.redact("x Zq7Wx2Kp9Lm4 y"), "x [redacted] y");
        assert_eq!(r.redact("<Wx2Kp9L>"), "<[redacted]>");
        assert_eq!(r.redact("Bearer t-0f1e2d3c4b5a."), "Bearer [redacted].");
        assert_eq!(r.redact("-ab1c-ab1-"), "-[redacted]-ab1-");
        assert_eq!(r.redact("无效 Zq7Wx2K。"), "无效 [redacted]。");
        assert_eq!(r.redact("Zq7Wx"), "Zq7Wx");
        assert_eq!(r.redact(""), "");
    }
}
