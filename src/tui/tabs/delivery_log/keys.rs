//! The Delivery Log tab's keys and the results they lead to: paging through the database,
//! the status filter and `/` search, retries and the sandbox's sample events.

use super::{LogPage, LogTab};
use crate::store::{DeliveryRow, DeliveryStatus, EnqueueOutcome};
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::{Effect, Outcome, StoreResult};
use crate::tui::ui::{Level, Request, Tab, TabUnit, Ui};
use crossterm::event::KeyEvent;

impl LogTab {
    pub fn load(&self) -> Effect {
        self.waiting.set(true);
        Effect::LoadLog {
            filter: self.filter(),
            before: self.before,
        }
    }

    pub fn on_loaded(&mut self, page: LogPage, ui: &mut Ui) {
        let what = ui.lang.trf("log.deliveries", &[("n", &page.total)]);
        ui.reloaded(Tab::Log, what);
        self.waiting.set(false);
        let keep = self.current().map(|r| r.id);
        self.before = page.before;
        self.rows = page.rows;
        self.total = page.total;
        self.counts = page.counts;
        self.loaded = true;
        self.cursor = keep
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .unwrap_or(0)
            .min(self.rows.len().saturating_sub(1));
    }

    /// Moves down by `rows`, into the next database page past the end of this one, and says
    /// so at the very end of the log.
    fn log_down(&mut self, rows: isize, ui: &mut Ui) -> Vec<Effect> {
        if self.at_end() {
            let total = self.total;
            let text = ui.lang.trf("log.end", &[("total", &total)]);
            ui.set_status(Level::Info, text);
            return vec![];
        }
        let last = self.rows.len().saturating_sub(1);
        if self.cursor == last
            && let Some(before) = self.older_cursor()
        {
            self.newer.push(self.before);
            self.before = Some(before);
            self.cursor = 0;
            return vec![self.load()];
        }
        self.move_by(rows);
        if self.at_end() {
            let total = self.total;
            let text = ui.lang.trf("log.end", &[("total", &total)]);
            ui.set_status(Level::Info, text);
        }
        vec![]
    }

    pub fn on_sample_queued(
        &mut self,
        result: StoreResult<EnqueueOutcome>,
        ui: &mut Ui,
    ) -> Vec<Effect> {
        let lang = ui.lang;
        let text = match result {
            Ok(EnqueueOutcome::Queued { deliveries, .. }) => {
                let key = if deliveries == 1 {
                    "log.sample_queued_one"
                } else {
                    "log.sample_queued_many"
                };
                lang.trf(key, &[("n", &deliveries)])
            }
            Ok(EnqueueOutcome::Skipped { reason }) => {
                lang.trf("log.sample_skipped", &[("reason", &reason)])
            }
            Ok(EnqueueOutcome::Duplicate) => lang.tr("log.sample_duplicate").into(),
            Err(e) => {
                let text = lang.trf("log.sample_failed", &[("error", &e)]);
                ui.set_status(Level::Error, text);
                return vec![];
            }
        };
        ui.set_status(Level::Ok, text);
        vec![self.load(), Effect::WakeWorker]
    }

    /// `r` on a row (of the list or the detail overlay): a delivery that may have been
    /// delivered needs a second `r`.
    pub fn retry(&mut self, row: &DeliveryRow, ui: &mut Ui) -> Vec<Effect> {
        match row.status {
            DeliveryStatus::Failed => vec![Effect::RetryDelivery {
                id: row.id,
                force: false,
            }],
            DeliveryStatus::Unknown if self.force_armed == Some(row.id) => {
                self.force_armed = None;
                vec![Effect::RetryDelivery {
                    id: row.id,
                    force: true,
                }]
            }
            DeliveryStatus::Unknown => {
                self.force_armed = Some(row.id);
                ui.set_status(Level::Info, ui.lang.tr("log.retry_unknown"));
                vec![]
            }
            _ => {
                ui.set_status(Level::Info, ui.lang.tr("log.retry_only_failed"));
                vec![]
            }
        }
    }

    pub fn on_delivery_retried(&mut self, result: StoreResult<()>, ui: &mut Ui) -> Vec<Effect> {
        match result {
            Ok(()) => {
                ui.set_status(Level::Ok, ui.lang.tr("log.retry_queued"));
                vec![self.load(), Effect::WakeWorker]
            }
            Err(e) => {
                let text = ui.lang.trf("log.retry_failed", &[("error", &e)]);
                ui.set_status(Level::Error, text);
                vec![]
            }
        }
    }
}

impl TabUnit for LogTab {
    fn contexts(&self) -> Vec<Context> {
        if self.search.editing {
            vec![Context::Filter]
        } else {
            vec![Context::Log, Context::Global]
        }
    }

    /// Pasted text goes to the search being typed.
    fn on_paste(&mut self, text: &str, ui: &mut Ui) -> Vec<Effect> {
        if !self.search.paste(text) {
            ui.unchanged();
            return vec![];
        }
        self.reset_paging();
        vec![self.load()]
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        if self.search.editing {
            if ui.filter_changed(self.search.on_key(action, key)) {
                self.reset_paging();
                return Outcome::Handled(vec![self.load()]);
            }
            return Outcome::Handled(vec![]);
        }
        match action {
            Some(Action::Up) => self.move_by(-1),
            Some(Action::Down) => return Outcome::Handled(self.log_down(1, ui)),
            Some(Action::PageDown) => {
                let page = self.view_height.get().max(1) as isize;
                return Outcome::Handled(self.log_down(page, ui));
            }
            Some(Action::Home) => self.cursor = 0,
            Some(Action::End) => self.cursor = self.rows.len().saturating_sub(1),
            Some(Action::PageUp) => {
                if self.cursor == 0 {
                    // At the top of this database page: go to the newer one.
                    if let Some(before) = self.newer.pop() {
                        self.before = before;
                        return Outcome::Handled(vec![self.load()]);
                    }
                }
                let page = self.view_height.get().max(1) as isize;
                self.move_by(-page);
            }
            Some(Action::CycleStatus) => {
                self.cycle_status();
                return Outcome::Handled(vec![self.load()]);
            }
            Some(Action::CycleChannel) => {
                self.cycle_channel();
                return Outcome::Handled(vec![self.load()]);
            }
            Some(Action::Filter) => self.search.start(),
            // Esc goes back one level: an active search is cleared first.
            Some(Action::Back) if self.search.clear() => {
                self.reset_paging();
                return Outcome::Handled(vec![self.load()]);
            }
            Some(Action::Edit) => {
                if let Some(r) = self.current() {
                    ui.request(Request::OpenDelivery(Box::new(r.clone())));
                }
            }
            Some(Action::Retry) => {
                let Some(row) = self.current().cloned() else {
                    return Outcome::Handled(vec![]);
                };
                return Outcome::Handled(self.retry(&row, ui));
            }
            Some(Action::SendSample) => ui.request(Request::SendSample),
            Some(Action::Reload) => {
                let load = self.load();
                return Outcome::Handled(ui.reload(Tab::Log, load));
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }
}
