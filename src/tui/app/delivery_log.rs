//! Glue between the App and the Delivery Log tab and its detail overlay.

use super::{App, Level, Overlay, Tab};
use crate::store::{DeliveryStatus, EnqueueOutcome, NewEvent};
use crate::tui::filter::FilterKey;
use crate::tui::keymap::Action;
use crate::tui::msg::{Effect, Outcome, StoreResult};
use crate::tui::tabs::delivery_log::LogPage;
use crossterm::event::KeyEvent;

impl App {
    pub(super) fn load_log(&self) -> Effect {
        Effect::LoadLog {
            filter: self.log.filter(),
            before: self.log.before,
        }
    }

    pub(super) fn on_log_loaded(&mut self, page: LogPage) {
        self.reloaded(Tab::Log, format!("{} deliveries", page.total));
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

    pub(super) fn on_log_key(&mut self, action: Option<Action>, key: KeyEvent) -> Outcome {
        if self.log.search.editing {
            return match self.log.search.on_key(action, &key) {
                FilterKey::Changed => {
                    self.log.reset_paging();
                    Outcome::Handled(vec![self.load_log()])
                }
                FilterKey::Kept => Outcome::Handled(vec![]),
                FilterKey::Ignored => {
                    self.dirty = false;
                    Outcome::Handled(vec![])
                }
            };
        }
        match action {
            Some(Action::Up) => self.log.move_by(-1),
            Some(Action::Down) => return Outcome::Handled(self.log_down(1)),
            Some(Action::PageDown) => {
                let page = self.log.view_height.get().max(1) as isize;
                return Outcome::Handled(self.log_down(page));
            }
            Some(Action::Home) => self.log.cursor = 0,
            Some(Action::End) => self.log.cursor = self.log.rows.len().saturating_sub(1),
            Some(Action::PageUp) => {
                if self.log.cursor == 0 {
                    // At the top of this database page: go to the newer one.
                    if let Some(before) = self.log.newer.pop() {
                        self.log.before = before;
                        return Outcome::Handled(vec![self.load_log()]);
                    }
                }
                let page = self.log.view_height.get().max(1) as isize;
                self.log.move_by(-page);
            }
            Some(Action::CycleStatus) => {
                self.log.cycle_status();
                return Outcome::Handled(vec![self.load_log()]);
            }
            Some(Action::Filter) => self.log.search.start(),
            // Esc goes back one level: an active search is cleared first.
            Some(Action::Back) if self.log.search.clear() => {
                self.log.reset_paging();
                return Outcome::Handled(vec![self.load_log()]);
            }
            Some(Action::Edit) => {
                if let Some(r) = self.log.current() {
                    self.overlays.push(Overlay::Delivery(Box::new(r.clone())));
                }
            }
            Some(Action::Retry) => return Outcome::Handled(self.retry_current()),
            Some(Action::SendSample) => return Outcome::Handled(self.send_sample()),
            Some(Action::Reload) => {
                let load = self.load_log();
                return Outcome::Handled(self.reload(Tab::Log, load));
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }

    /// Moves down by `rows`, into the next database page past the end of this one, and says
    /// so at the very end of the log.
    fn log_down(&mut self, rows: isize) -> Vec<Effect> {
        if self.log.at_end() {
            let total = self.log.total;
            self.set_status(
                Level::Info,
                format!("End of the delivery log ({total} rows)"),
            );
            return vec![];
        }
        let last = self.log.rows.len().saturating_sub(1);
        if self.log.cursor == last
            && let Some(before) = self.log.older_cursor()
        {
            self.log.newer.push(self.log.before);
            self.log.before = Some(before);
            self.log.cursor = 0;
            return vec![self.load_log()];
        }
        self.log.move_by(rows);
        if self.log.at_end() {
            let total = self.log.total;
            self.set_status(
                Level::Info,
                format!("End of the delivery log ({total} rows)"),
            );
        }
        vec![]
    }

    /// A sample event for the first subscription row, named to the first member, sent through
    /// the real outbox so a newcomer sees the log fill (sandbox only: it is made-up data).
    fn send_sample(&mut self) -> Vec<Effect> {
        if !self.sandbox {
            self.set_status(
                Level::Info,
                "Sample events are for --sandbox; real events come in with `notifydesk notify …`",
            );
            return vec![];
        }
        let (Some(row), Some(member)) = (
            self.subscriptions.rows.first(),
            self.members.members.first(),
        ) else {
            self.set_status(
                Level::Info,
                "Nothing to send yet: the subscriptions or members are still loading",
            );
            return vec![];
        };
        self.next_seq += 1;
        let at = chrono::Utc::now().timestamp();
        vec![Effect::SendSample(NewEvent {
            event_id: format!("sample-{at}-{}", self.next_seq),
            type_code: row.type_code.clone(),
            node_code: row.node_code.clone(),
            title: format!("Sample event {}", self.next_seq),
            text: "Sent from the sandbox with the s key of the Delivery Log.".into(),
            link: None,
            members: vec![member.login.clone()],
        })]
    }

    pub(super) fn on_sample_queued(&mut self, result: StoreResult<EnqueueOutcome>) -> Vec<Effect> {
        let text = match result {
            Ok(EnqueueOutcome::Queued { deliveries, .. }) => {
                let noun = if deliveries == 1 {
                    "delivery"
                } else {
                    "deliveries"
                };
                format!("Sample event queued: {deliveries} {noun}")
            }
            Ok(EnqueueOutcome::Skipped { reason }) => format!(
                "Sample event recorded but not sent: {reason}. Turn a method on in Subscription (2)"
            ),
            Ok(EnqueueOutcome::Duplicate) => "Sample event already sent".into(),
            Err(e) => {
                self.set_status(Level::Error, format!("Sample event not queued: {e}"));
                return vec![];
            }
        };
        self.set_status(Level::Ok, text);
        vec![self.load_log(), Effect::WakeWorker]
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

    pub(super) fn on_delivery_retried(&mut self, result: StoreResult<()>) -> Vec<Effect> {
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
