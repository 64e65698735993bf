//! The App's update: every message, from the terminal or a background job, changes state here
//! and returns the effects to run next.

use super::{App, Level, Tab};
use crate::domain::{ChannelKind, sanitize_text};
use crate::tui::dialogs::configure::ConfigureDialog;
use crate::tui::dialogs::message::MessageDialog;
use crate::tui::msg::{Effect, Msg, StoreResult};
use crossterm::event::KeyEventKind;

impl App {
    pub fn handle(&mut self, msg: Msg) -> Vec<Effect> {
        self.ui.dirty = true;
        match msg {
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    self.ui.dirty = false;
                    return vec![];
                }
                self.on_key(key)
            }
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize => vec![],
            Msg::Tick => {
                self.ui.frame = self.ui.frame.wrapping_add(1);
                vec![]
            }
            Msg::Quit => {
                self.should_quit = true;
                vec![]
            }
            Msg::ChannelsLoaded(Ok(list)) => {
                let what = self.ui.lang.tr("status.what_channels").into();
                self.ui.reloaded(Tab::Channels, what);
                self.channels.set(list);
                vec![]
            }
            Msg::ChannelsLoaded(Err(e)) => {
                let text = self
                    .ui
                    .lang
                    .trf("status.load_channels_failed", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::ConfigLoaded(kind, Ok(stored)) => {
                let mut dialog = ConfigureDialog::new(kind, stored);
                dialog.notice = self
                    .sandbox_hints
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, hint)| hint.clone());
                self.overlays.push(Box::new(dialog));
                vec![]
            }
            Msg::ConfigLoaded(_, Err(e)) => {
                let text = self
                    .ui
                    .lang
                    .trf("status.read_channel_failed", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::Saved(kind, result) => self.on_saved(kind, result),
            Msg::SubscriptionsLoaded(Ok(rows)) => {
                let what = self.ui.lang.trf("status.what_rows", &[("n", &rows.len())]);
                self.ui.reloaded(Tab::Subscription, what);
                self.subscriptions.set_rows(rows);
                vec![]
            }
            Msg::SubscriptionsLoaded(Err(e)) => {
                let text = self
                    .ui
                    .lang
                    .trf("status.load_subscriptions_failed", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::MembersLoaded(Ok(list)) => {
                let n = list.len();
                self.members.set(list);
                let what = self.ui.lang.trf("status.what_members", &[("n", &n)]);
                self.ui.reloaded(Tab::Members, what);
                vec![]
            }
            Msg::MembersLoaded(Err(e)) => {
                let text = self
                    .ui
                    .lang
                    .trf("status.load_members_failed", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::LogLoaded(Ok(page)) => {
                self.log.on_loaded(page, &mut self.ui);
                vec![]
            }
            Msg::LogLoaded(Err(e)) => {
                self.log.waiting.set(false);
                let text = self.ui.lang.trf("status.load_log_failed", &[("error", &e)]);
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::DeliveryRetried(result) => self.log.on_delivery_retried(result, &mut self.ui),
            Msg::SampleQueued(result) => self.log.on_sample_queued(result, &mut self.ui),
            Msg::Notice(text) => {
                self.ui.set_status(Level::Info, text);
                vec![]
            }
            // After StoreUnavailable every job fails: that message already says why.
            Msg::JobFailed(_) if self.store_unavailable => vec![],
            Msg::JobFailed(text) => {
                self.ui.set_status(Level::Error, text);
                vec![]
            }
            Msg::StoreUnavailable(text) => {
                self.store_unavailable = true;
                let lang = self.ui.lang;
                let status = lang.trf("status.db_open_failed", &[("error", &text)]);
                self.ui.set_status(Level::Error, status);
                self.overlays.clear();
                self.overlays.push(Box::new(MessageDialog {
                    title: lang.tr("status.db_open_failed_title").into(),
                    text: lang.trf("status.db_open_failed_text", &[("error", &text)]),
                }));
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
                if changed && self.ui.tab == Tab::Log && self.log.before.is_none() {
                    return vec![self.log.load()];
                }
                vec![]
            }
            Msg::MemberSaved(result) => self.on_member_saved(result),
            Msg::MemberDeleted { name, result } => self.on_member_deleted(&name, result),
            Msg::ReceiversSaved(result) => self.on_receivers_saved(result),
            Msg::MethodsSaved { changes, result } => {
                if let Err(e) = result {
                    self.subscriptions.revert(&changes);
                    let text = self
                        .ui
                        .lang
                        .trf("status.not_saved_undone", &[("error", &e)]);
                    self.ui.set_status(Level::Error, text);
                }
                vec![]
            }
            Msg::TestFinished {
                seq,
                record,
                detail,
            } => {
                let summary = sanitize_text(&record.summary);
                if let Some(d) = self.find_mut::<ConfigureDialog>() {
                    d.test_finished(seq, &record, &summary, detail);
                }
                self.channels
                    .test_finished(seq, record.ok, summary, &mut self.ui);
                vec![Effect::LoadChannels]
            }
        }
    }

    fn on_saved(&mut self, kind: ChannelKind, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                // Close the dialog (and a discard prompt above it), if it is still open.
                if let Some((pos, _)) = self.find::<ConfigureDialog>() {
                    self.overlays.truncate(pos);
                }
                self.ui.set_status(
                    Level::Ok,
                    self.ui.lang.trf(
                        "status.channel_saved",
                        &[(
                            "channel",
                            &crate::i18n::words::channel_title(self.ui.lang, kind),
                        )],
                    ),
                );
                vec![Effect::LoadChannels]
            }
            Err(e) => {
                if let Some(d) = self.find_mut::<ConfigureDialog>() {
                    d.save_failed(&e);
                }
                vec![]
            }
        }
    }
}
