//! The App's update: every message, from the terminal or a background job, changes state here
//! and returns the effects to run next.

use super::{App, CardTest, Level, Overlay, Tab};
use crate::domain::sanitize_text;
use crate::tui::dialogs::configure::{ConfigureDialog, TestState};
use crate::tui::msg::{Effect, Msg, StoreResult};
use crossterm::event::KeyEventKind;

impl App {
    pub fn handle(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    self.dirty = false;
                    return vec![];
                }
                self.on_key(key)
            }
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize => vec![],
            Msg::Tick => {
                self.frame = self.frame.wrapping_add(1);
                vec![]
            }
            Msg::Quit => {
                self.should_quit = true;
                vec![]
            }
            Msg::ChannelsLoaded(Ok(list)) => {
                self.reloaded(Tab::Channels, "channels".into());
                self.channels = list;
                self.channels_loaded = true;
                self.selected = self.selected.min(self.channels.len().saturating_sub(1));
                vec![]
            }
            Msg::ChannelsLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load channels: {e}"));
                vec![]
            }
            Msg::DingTalkLoaded(Ok(stored)) => {
                self.overlays
                    .push(Overlay::Configure(Box::new(ConfigureDialog::new(stored))));
                vec![]
            }
            Msg::DingTalkLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not read the channel: {e}"));
                vec![]
            }
            Msg::Saved(result) => self.on_saved(result),
            Msg::SubscriptionsLoaded(Ok(rows)) => {
                self.reloaded(Tab::Subscription, format!("{} rows", rows.len()));
                self.subscriptions.set_rows(rows);
                vec![]
            }
            Msg::SubscriptionsLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load subscriptions: {e}"));
                vec![]
            }
            Msg::MembersLoaded(Ok(list)) => {
                let n = list.len();
                self.members.set(list);
                self.reloaded(Tab::Members, format!("{n} members"));
                vec![]
            }
            Msg::MembersLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load members: {e}"));
                vec![]
            }
            Msg::LogLoaded(Ok(page)) => {
                self.on_log_loaded(page);
                vec![]
            }
            Msg::LogLoaded(Err(e)) => {
                self.set_status(
                    Level::Error,
                    format!("Could not read the delivery log: {e}"),
                );
                vec![]
            }
            Msg::DeliveryRetried(result) => self.on_delivery_retried(result),
            Msg::SampleQueued(result) => self.on_sample_queued(result),
            Msg::Notice(text) => {
                self.set_status(Level::Info, text);
                vec![]
            }
            Msg::JobFailed(text) => {
                self.set_status(Level::Error, text);
                vec![]
            }
            Msg::DatabaseBusy(busy) => {
                self.log.db_busy = busy;
                vec![]
            }
            Msg::DeliveryProgress(counts) => {
                let changed = counts != self.log.counts;
                self.log.counts = counts;
                // Follow new deliveries while the newest page is shown.
                if changed && self.tab == Tab::Log && self.log.before.is_none() {
                    return vec![self.load_log()];
                }
                vec![]
            }
            Msg::MemberSaved(result) => self.on_member_saved(result),
            Msg::MemberDeleted { name, result } => self.on_member_deleted(&name, result),
            Msg::ReceiversSaved(result) => self.on_receivers_saved(result),
            Msg::MethodsSaved { changes, result } => {
                if let Err(e) = result {
                    self.subscriptions.revert(&changes);
                    self.set_status(Level::Error, format!("Not saved, change undone: {e}"));
                }
                vec![]
            }
            Msg::TestFinished {
                seq,
                record,
                detail,
            } => {
                let summary = sanitize_text(&record.summary);
                if let Some(d) = self.dialog_mut()
                    && d.test == (TestState::Sending { seq })
                {
                    d.tested = d.testing.take().map(|config| (config, record.clone()));
                    d.test = if record.ok {
                        TestState::Succeeded {
                            at: record.at,
                            detail,
                        }
                    } else {
                        TestState::Failed {
                            message: summary.clone(),
                        }
                    };
                }
                if self.card_test == (CardTest::Sending { seq }) {
                    self.card_test = CardTest::Idle;
                    if record.ok {
                        self.set_status(Level::Ok, "Test Message Sending: Successful");
                    } else {
                        self.set_status(Level::Error, summary);
                    }
                }
                vec![Effect::LoadChannels]
            }
        }
    }

    fn on_saved(&mut self, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                // Close the dialog (and a discard prompt above it), if it is still open.
                if let Some(pos) = self
                    .overlays
                    .iter()
                    .rposition(|o| matches!(o, Overlay::Configure(_)))
                {
                    self.overlays.truncate(pos);
                }
                self.set_status(Level::Ok, "DingTalk personal channel saved");
                vec![Effect::LoadChannels]
            }
            Err(e) => {
                if let Some(d) = self.dialog_mut() {
                    d.saving = false;
                    d.notice = Some(format!("Not saved: {e}"));
                }
                vec![]
            }
        }
    }
}
