//! Removing secrets (app secrets, access tokens) from server-provided text before an error or
//! a log line keeps it, for every platform client. Runs on the full text, before anything is
//! cut, and also removes any piece of [`MIN_PIECE`] or more consecutive characters of a secret,
//! so a secret that a server echoed partially, or that a later cut would split, cannot leak a
//! useful prefix.

use std::collections::HashSet;

use super::{ChannelError, ErrorKind};

/// What replaces each run of secret characters.
const MARKER: &str = "[redacted]";

/// Shorter pieces are too common to tell from ordinary text (and too short to be useful).
const MIN_PIECE: usize = 6;

/// Secrets shorter than this are not looked for at all.
const MIN_SECRET: usize = 4;

pub(crate) struct Redactor {
    /// Every MIN_PIECE-character window of every long secret.
    windows: HashSet<Vec<char>>,
    /// Secrets too short for windows (MIN_SECRET..MIN_PIECE chars), matched whole.
    short: Vec<Vec<char>>,
}

impl Redactor {
    pub(crate) fn new(secrets: &[&str]) -> Redactor {
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

    /// `text` with every run of secret characters replaced by one [`MARKER`]. Matching is
    /// case-sensitive: echoes keep the case, and platform codes (DingTalk's "…OrSecret") must
    /// survive a secret that happens to contain an English word.
    pub(crate) fn redact(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut hidden = vec![false; chars.len()];
        let mut mark = |at: usize, len: usize| hidden[at..at + len].fill(true);
        if chars.len() >= MIN_PIECE {
            for (i, w) in chars.windows(MIN_PIECE).enumerate() {
                if self.windows.contains(w) {
                    mark(i, MIN_PIECE);
                }
            }
        }
        for s in &self.short {
            if chars.len() >= s.len() {
                for i in 0..=chars.len() - s.len() {
                    if chars[i..i + s.len()] == s[..] {
                        mark(i, s.len());
                    }
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

impl ChannelError {
    /// Every text field redacted whole: messages may quote the platform's text, and the
    /// scope or IP it named.
    pub(crate) fn redacted(mut self, r: &Redactor) -> ChannelError {
        self.code = r.redact(&self.code);
        self.message = r.redact(&self.message);
        self.fix = self.fix.map(|f| r.redact(&f));
        self.request_id = self.request_id.map(|id| r.redact(&id));
        match &mut self.kind {
            ErrorKind::MissingPermission { scope: Some(s) }
            | ErrorKind::IpNotAllowed { ip: Some(s) } => *s = r.redact(s),
            _ => {}
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zq7Wx2Kp9Lm4Rt8Vb3Nc6Hj5";
    const TOKEN: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    fn r() -> Redactor {
        Redactor::new(&[SECRET, TOKEN])
    }

    #[test]
    fn whole_and_partial_secrets_become_one_marker() {
        assert_eq!(r().redact(&format!("a {SECRET} b")), "a [redacted] b");
        assert_eq!(r().redact(&format!("<{}>", &SECRET[5..11])), "<[redacted]>");
        // A neighbour that continues the secret goes too.
        assert_eq!(r().redact(&format!("x{}", &SECRET[5..11])), "[redacted]");
        assert_eq!(r().redact(&format!("{SECRET}{TOKEN}")), "[redacted]");
        assert_eq!(
            r().redact(&format!("t={} s={}", &TOKEN[20..], &SECRET[..7])),
            "t=[redacted] s=[redacted]"
        );
        // Case-sensitive: DingTalk's codes survive a secret made of words.
        let words = Redactor::new(&["wrong-secret-123456"]);
        assert_eq!(
            words.redact("invalidClientIdOrSecret wrong-secret"),
            "invalidClientIdOrSecret [redacted]"
        );
        // Five characters are not a piece.
        assert_eq!(r().redact(&SECRET[..5]), &SECRET[..5]);
        assert_eq!(r().redact("plain text"), "plain text");
        assert_eq!(r().redact(""), "");
    }

    #[test]
    fn short_secrets_are_matched_whole_and_tiny_ones_ignored() {
        let r = Redactor::new(&["ab12c", "xy"]);
        assert_eq!(r.redact("-ab12c-ab12-xy"), "-[redacted]-ab12-xy");
    }

    #[test]
    fn every_text_field_of_a_channel_error_is_redacted() {
        use crate::domain::ChannelKind;
        use crate::personal::Disposition;
        let e = |kind: ErrorKind| {
            ChannelError::new(
                ChannelKind::WeCom,
                kind,
                format!("c-{TOKEN}"),
                format!("m {SECRET}"),
                Disposition::Permanent,
            )
            .with_fix(format!("f {}", &SECRET[2..9]))
            .with_request_id(Some(format!("id-{}", &TOKEN[..8])))
        };
        let scope = ErrorKind::MissingPermission {
            scope: Some(format!("s:{SECRET}")),
        };
        let ip = ErrorKind::IpNotAllowed {
            ip: Some(format!("1.2.3.4 {TOKEN}")),
        };
        for kind in [scope, ip, ErrorKind::Server] {
            let got = e(kind).redacted(&r());
            let shown = format!("{got:?}");
            assert!(
                !shown.contains(&SECRET[2..8]) && !shown.contains(&TOKEN[..6]),
                "{shown}"
            );
            assert_eq!(
                got.to_string(),
                "c-[redacted]: m [redacted]. Fix: f [redacted] (request id id-[redacted])"
            );
        }
    }

    #[test]
    fn non_ascii_text_is_kept() {
        let text = format!("无效的参数：{}。", &SECRET[3..12]);
        assert_eq!(r().redact(&text), "无效的参数：[redacted]。");
    }
}
