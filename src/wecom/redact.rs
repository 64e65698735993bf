//! Removing the Secret and access tokens from any text before an error or a log line keeps it:
//! every run of 6 or more consecutive characters of a secret becomes one marker, so a partial
//! echo cannot leak a useful piece either. Case-sensitive, like the echoes themselves.

use std::collections::HashSet;

pub(crate) const MARKER: &str = "[redacted]";
const PIECE: usize = 6;

pub(crate) struct Redactor {
    windows: HashSet<Vec<char>>,
    /// Secrets shorter than a piece (4..6 chars), matched whole.
    short: Vec<Vec<char>>,
}

impl Redactor {
    pub(crate) fn new(secrets: &[&str]) -> Redactor {
        let mut windows = HashSet::new();
        let mut short = Vec::new();
        for s in secrets {
            let chars: Vec<char> = s.chars().collect();
            if chars.len() >= PIECE {
                windows.extend(chars.windows(PIECE).map(<[char]>::to_vec));
            } else if chars.len() >= 4 {
                short.push(chars);
            }
        }
        Redactor { windows, short }
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut hidden = vec![false; chars.len()];
        for (i, w) in chars.windows(PIECE).enumerate() {
            if self.windows.contains(w) {
                hidden[i..i + PIECE].fill(true);
            }
        }
        for s in &self.short {
            for (i, w) in chars.windows(s.len()).enumerate() {
                if w == &s[..] {
                    hidden[i..i + s.len()].fill(true);
                }
            }
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
    fn whole_partial_and_short_secrets_go() {
        let r = Redactor::new(&["Zq7Wx2Kp9Lm4Rt8V", "abcd"]);
        assert_eq!(r.redact("s=Zq7Wx2Kp9Lm4Rt8V!"), "s=[redacted]!");
        assert_eq!(r.redact("<Kp9Lm4R>"), "<[redacted]>");
        assert_eq!(r.redact("Zq7Wx"), "Zq7Wx", "five chars are not a piece");
        assert_eq!(r.redact("x abcd y"), "x [redacted] y");
        assert_eq!(r.redact("无效 Kp9Lm4R。"), "无效 [redacted]。");
    }
}
