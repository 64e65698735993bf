//! Drawing helpers every unit shares: centring, times, the spinner, and the form dialog.

pub mod form;

use ratatui::layout::Rect;

pub use super::text::{pad, truncate, truncate_left, wrap_text};

/// What every filtered list says when the filter leaves nothing.
pub const NOTHING_MATCHES: &str = "  Nothing matches the filter (Esc clears it).";

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// `area` cut into `n` equal rows (`vertical`) or columns, as ratatui's `Layout` with `n`
/// `Ratio(1, n)` constraints cuts it (a test holds the two equal), without its constraint
/// solver: the first frame has no layout cached, and solving cost ≈ 0.2 ms of a 2 ms start.
pub fn split_even(area: Rect, n: u16, vertical: bool) -> Vec<Rect> {
    let (start, len) = if vertical {
        (area.y, area.height)
    } else {
        (area.x, area.width)
    };
    let edge = |i: u16| (f64::from(i) * f64::from(len) / f64::from(n.max(1))).round() as u16;
    (0..n)
        .map(|i| {
            let (from, to) = (start + edge(i), start + edge(i + 1));
            if vertical {
                Rect::new(area.x, from, area.width, to - from)
            } else {
                Rect::new(from, area.y, to - from, area.height)
            }
        })
        .collect()
}

/// A rectangle of at most `w`×`h`, centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn format_time(at: i64, offset: chrono::FixedOffset) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "unknown time".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::{Constraint, Layout};

    #[test]
    fn split_even_cuts_as_ratatuis_layout_does() {
        for n in 1..=4u16 {
            for len in 0..=260u16 {
                let area = Rect::new(3, 2, len, len / 2 + 1);
                let ratios = vec![Constraint::Ratio(1, u32::from(n)); usize::from(n)];
                let rows = Layout::vertical(ratios.clone()).split(Rect::new(3, 2, 7, len));
                assert_eq!(
                    split_even(Rect::new(3, 2, 7, len), n, true),
                    rows.to_vec(),
                    "{n} rows of {len}"
                );
                let cols = Layout::horizontal(ratios).split(area);
                assert_eq!(
                    split_even(area, n, false),
                    cols.to_vec(),
                    "{n} columns of {len}"
                );
            }
        }
    }
}
