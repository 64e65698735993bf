//! Drawing helpers every unit shares: centring, times, the spinner, and the form dialog.

pub mod form;

use ratatui::layout::Rect;

pub use super::text::{pad, truncate, truncate_left, wrap_text};

/// What every filtered list says when the filter leaves nothing.
pub const NOTHING_MATCHES: &str = "  Nothing matches the filter (Esc clears it).";

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

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
