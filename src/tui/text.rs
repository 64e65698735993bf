//! Text helpers for drawing, all counting display width (a CJK character takes two cells),
//! so columns stay aligned whatever the names are written in.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The longest prefix of `s` that fits in `width` cells.
fn fit(s: &str, width: usize) -> &str {
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        let w = ch.width().unwrap_or(0);
        if used + w > width {
            return &s[..i];
        }
        used += w;
    }
    s
}

/// `s` in at most `width` cells, ending in `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    format!("{}…", fit(s, width - 1))
}

/// `s` in at most `width` cells, starting with `…` when cut (for paths: the end matters).
pub fn truncate_left(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut used = 0;
    let mut start = s.len();
    for (i, ch) in s.char_indices().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        start = i;
    }
    format!("…{}", &s[start..])
}

/// `s` padded with spaces to at least `width` cells (cut it first with `truncate`).
pub fn pad(s: &str, width: usize) -> String {
    let fill = width.saturating_sub(s.width());
    format!("{s}{}", " ".repeat(fill))
}

/// Word-wrap `text` to `width` columns, at most `max_lines` lines (the last ends in `…` if cut).
pub fn wrap_text(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed = if current.is_empty() {
            word.width()
        } else {
            current.width() + 1 + word.width()
        };
        if needed <= width {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            continue;
        }
        let mut rest = word;
        // Chinese breaks between any two characters: a word with wide characters fills the
        // line it starts on rather than leaving the line short (Latin words never split).
        if !current.is_empty() && word.chars().any(|c| c.width() == Some(2)) {
            let room = width.saturating_sub(current.width() + 1);
            let head = fit(word, room);
            if !head.is_empty() {
                current.push(' ');
                current.push_str(head);
                rest = &word[head.len()..];
            }
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word longer than the line is split by characters.
        while rest.width() > width {
            let mut cut = 0;
            let mut w = 0;
            for (i, ch) in rest.char_indices() {
                let cw = ch.width().unwrap_or(0);
                if w + cw > width {
                    break;
                }
                w += cw;
                cut = i + ch.len_utf8();
            }
            if cut == 0 {
                break;
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        current.push_str(rest);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = truncate(&format!("{last} …"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_two_cells() {
        assert_eq!(truncate("欧阳娜娜", 5), "欧阳…");
        assert_eq!(pad("欧阳", 6).width(), 6);
        assert_eq!(pad(&truncate("欧阳娜娜欧阳娜娜", 6), 6), "欧阳… ");
        assert_eq!(truncate_left("/tmp/欧阳娜娜", 6), "…娜娜");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn chinese_text_fills_each_line_instead_of_leaving_a_word_alone() {
        let lines = wrap_text("钉钉错误 60121：组织中没有使用此手机号的在职成员", 20, 9);
        assert_eq!(lines[0], "钉钉错误 60121：组织", "{lines:?}");
        assert!(lines.iter().all(|l| l.width() <= 20), "{lines:?}");
        assert_eq!(
            lines.concat().replace(' ', ""),
            "钉钉错误60121：组织中没有使用此手机号的在职成员"
        );
        // Latin words are still never split when they fit on a line of their own.
        assert_eq!(wrap_text("aaaa bbbb", 6, 9), vec!["aaaa", "bbbb"]);
    }
}
