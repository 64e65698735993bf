//! State of the Delivery Log tab: one page of deliveries at a time, newest first, read from
//! SQLite with keyset paging (never every row in memory).

use super::field::TextField;
use crate::store::{DeliveryCounts, DeliveryFilter, DeliveryRow, DeliveryStatus};

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
    pub text: TextField,
    pub text_editing: bool,
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
}

impl LogTab {
    pub fn filter(&self) -> DeliveryFilter {
        let text = self.text.value().trim();
        DeliveryFilter {
            status: self.status,
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

    pub fn reset_paging(&mut self) {
        self.before = None;
        self.newer.clear();
        self.cursor = 0;
    }

    pub fn page_number(&self) -> usize {
        self.newer.len() + 1
    }
}

use super::app::{App, Level, Overlay};
use super::keymap::Action;
use super::msg::Effect;
use crossterm::event::KeyEvent;

/// One page read from the store, with the totals shown around it.
#[derive(Debug)]
pub struct LogPage {
    pub before: Option<i64>,
    pub rows: Vec<DeliveryRow>,
    pub total: u64,
    pub counts: DeliveryCounts,
}

impl App {
    pub(super) fn load_log(&self) -> Effect {
        Effect::LoadLog {
            filter: self.log.filter(),
            before: self.log.before,
        }
    }

    pub(super) fn on_log_loaded(&mut self, page: LogPage) {
        let keep = self.log.current().map(|r| r.id);
        self.log.before = page.before;
        self.log.rows = page.rows;
        self.log.total = page.total;
        self.log.counts = page.counts;
        self.log.loaded = true;
        self.log.cursor = keep
            .and_then(|id| self.log.rows.iter().position(|r| r.id == id))
            .unwrap_or(0)
            .min(self.log.rows.len().saturating_sub(1));
    }

    pub(super) fn on_log_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        if self.log.text_editing {
            match action {
                Some(Action::Close) => self.log.text_editing = false,
                Some(Action::ClearFilter) => {
                    self.log.text.clear();
                    self.log.text_editing = false;
                    self.log.reset_paging();
                    return vec![self.load_log()];
                }
                _ => {
                    if self.log.text.handle_key(&key) {
                        self.log.reset_paging();
                        return vec![self.load_log()];
                    }
                    self.dirty = false;
                }
            }
            return vec![];
        }
        match action {
            Some(Action::Up) => self.log.move_by(-1),
            Some(Action::Down) => self.log.move_by(1),
            Some(Action::Home) => self.log.cursor = 0,
            Some(Action::End) => self.log.cursor = self.log.rows.len().saturating_sub(1),
            Some(Action::PageDown) => match self.log.older_cursor() {
                Some(before) => {
                    self.log.newer.push(self.log.before);
                    self.log.before = Some(before);
                    self.log.cursor = 0;
                    return vec![self.load_log()];
                }
                None => self.log.cursor = self.log.rows.len().saturating_sub(1),
            },
            Some(Action::PageUp) => match self.log.newer.pop() {
                Some(before) => {
                    self.log.before = before;
                    self.log.cursor = 0;
                    return vec![self.load_log()];
                }
                None => self.log.cursor = 0,
            },
            Some(Action::CycleStatus) => {
                self.log.cycle_status();
                return vec![self.load_log()];
            }
            Some(Action::Filter) => self.log.text_editing = true,
            Some(Action::Edit) => {
                if let Some(r) = self.log.current() {
                    self.overlays.push(Overlay::Delivery(Box::new(r.clone())));
                }
            }
            Some(Action::Retry) => return self.retry_current(),
            Some(Action::Reload) => return vec![self.load_log()],
            other => return self.on_main_key(other),
        }
        vec![]
    }

    fn retry_current(&mut self) -> Vec<Effect> {
        let row = match self.overlays.last() {
            Some(Overlay::Delivery(r)) => Some(r.as_ref().clone()),
            _ => self.log.current().cloned(),
        };
        let Some(row) = row else {
            return vec![];
        };
        match row.status {
            DeliveryStatus::Failed => vec![Effect::RetryDelivery {
                id: row.id,
                force: false,
            }],
            DeliveryStatus::Unknown if self.log.force_armed == Some(row.id) => {
                self.log.force_armed = None;
                vec![Effect::RetryDelivery {
                    id: row.id,
                    force: true,
                }]
            }
            DeliveryStatus::Unknown => {
                self.log.force_armed = Some(row.id);
                self.set_status(
                    Level::Info,
                    "This message may have been delivered: a retry may send it twice. Check with the receiver; press r again to retry anyway",
                );
                vec![]
            }
            _ => {
                self.set_status(Level::Info, "Only failed deliveries can be retried");
                vec![]
            }
        }
    }

    pub(super) fn on_delivery_detail_key(&mut self, action: Option<Action>) -> Vec<Effect> {
        match action {
            Some(Action::Close) => {
                self.overlays.pop();
                vec![]
            }
            Some(Action::Retry) => {
                let fx = self.retry_current();
                if !fx.is_empty() {
                    self.overlays.pop();
                }
                fx
            }
            _ => {
                self.dirty = false;
                vec![]
            }
        }
    }

    pub(super) fn on_delivery_retried(&mut self, result: Result<(), String>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                self.set_status(Level::Ok, "Delivery queued again");
                vec![self.load_log(), Effect::WakeWorker]
            }
            Err(e) => {
                self.set_status(Level::Error, format!("Not retried: {e}"));
                vec![]
            }
        }
    }
}
