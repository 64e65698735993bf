//! State of the Delivery Log tab: one page of deliveries at a time, newest first, read from
//! SQLite with keyset paging (never every row in memory).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::domain::ChannelKind;
use crate::store::{DeliveryCounts, DeliveryFilter, DeliveryRow, DeliveryStatus};
use crate::tui::filter::Filter;
use crate::tui::tabs::subscriptions::Grid;
use crate::tui::ui::Ui;

/// Where tests and the runner have always found it; it is a message, so it lives in `msg`.
pub use crate::tui::msg::LogPage;

pub mod detail;
mod draw;
mod keys;
#[cfg(test)]
mod tests;

pub const PAGE_SIZE: usize = 200;

/// Status filter choices, cycled with `f`.
pub const STATUS_FILTERS: [Option<DeliveryStatus>; 7] = [
    None,
    Some(DeliveryStatus::Failed),
    Some(DeliveryStatus::Unknown),
    Some(DeliveryStatus::Pending),
    Some(DeliveryStatus::Sending),
    Some(DeliveryStatus::Sent),
    Some(DeliveryStatus::Skipped),
];

#[derive(Debug, Default)]
pub struct LogTab {
    pub rows: Vec<DeliveryRow>,
    pub cursor: usize,
    /// `before_id` of the page shown (None = newest).
    pub before: Option<i64>,
    /// `before_id`s of the newer pages, to go back.
    pub newer: Vec<Option<i64>>,
    pub status: Option<DeliveryStatus>,
    /// Only this personal channel (`c` cycles).
    pub channel: Option<ChannelKind>,
    /// The `/` search over titles, members and errors.
    pub search: Filter,
    /// Rows matching the filter, in all pages.
    pub total: u64,
    pub counts: DeliveryCounts,
    pub loaded: bool,
    /// The background worker is waiting for another process's database lock.
    pub db_busy: bool,
    /// A delivery that may have been delivered, whose retry the user was warned about: a
    /// second `r` on it retries.
    pub force_armed: Option<i64>,
    /// The first row shown; kept by the view so the cursor stays visible.
    pub offset: std::cell::Cell<usize>,
    /// Rows the last frame had room for: PgUp/PgDn move by this much.
    pub view_height: std::cell::Cell<usize>,
    /// A page was asked for and has not arrived: a search over a large log says it is under way.
    pub waiting: std::cell::Cell<bool>,
}

impl LogTab {
    /// `grid` names the types and nodes; `sandbox` offers sample events when the log is empty.
    pub fn draw(&self, ui: &Ui, grid: &Grid, sandbox: bool, frame: &mut Frame, area: Rect) {
        draw::render(self, ui, grid, sandbox, frame, area);
    }

    pub fn filter(&self) -> DeliveryFilter {
        let text = self.search.value().trim();
        DeliveryFilter {
            status: self.status,
            channel: self.channel,
            text: (!text.is_empty()).then(|| text.to_string()),
        }
    }

    pub fn current(&self) -> Option<&DeliveryRow> {
        self.rows.get(self.cursor)
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.rows.len();
        if n > 0 {
            self.cursor = (self.cursor as isize + delta).clamp(0, n as isize - 1) as usize;
        }
    }

    /// The `before_id` of the next (older) page, if this page is full.
    pub fn older_cursor(&self) -> Option<i64> {
        (self.rows.len() >= PAGE_SIZE)
            .then(|| self.rows.last().map(|r| r.id))
            .flatten()
    }

    pub fn cycle_status(&mut self) {
        let i = STATUS_FILTERS
            .iter()
            .position(|s| *s == self.status)
            .unwrap_or(0);
        self.status = STATUS_FILTERS[(i + 1) % STATUS_FILTERS.len()];
        self.reset_paging();
    }

    /// All channels, then each in card order.
    pub fn cycle_channel(&mut self) {
        let all = ChannelKind::ALL;
        self.channel = match self.channel {
            None => Some(all[0]),
            Some(k) => all
                .iter()
                .position(|x| *x == k)
                .and_then(|i| all.get(i + 1).copied()),
        };
        self.reset_paging();
    }

    pub fn reset_paging(&mut self) {
        self.before = None;
        self.newer.clear();
        self.cursor = 0;
    }

    /// How many rows come before this database page (newer pages are full pages).
    pub fn first_row_number(&self) -> usize {
        self.newer.len() * PAGE_SIZE
    }

    /// Whether the cursor is on the oldest row matching the filter.
    pub fn at_end(&self) -> bool {
        self.older_cursor().is_none() && self.cursor + 1 >= self.rows.len()
    }
}
