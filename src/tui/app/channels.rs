//! Glue between the App and the Channel Management tab (and the keys every tab shares).

use super::{App, CardTest, Level, Overlay, Tab};
use crate::domain::ChannelKind;
use crate::domain::sanitize_text;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::dialogs::message::MessageDialog;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;

impl App {
    pub(super) fn on_main_key(&mut self, action: Option<Action>) -> Vec<Effect> {
        let Some(action) = action else {
            self.dirty = false;
            return vec![];
        };
        let n = self.channels.len().max(1);
        match action {
            Action::Quit => match self.running_work() {
                Some(running) => self
                    .overlays
                    .push(Overlay::Confirm(Confirm::Quit { running })),
                None => self.should_quit = true,
            },
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                self.tab = Tab::ALL[(i + step) % Tab::ALL.len()];
                if self.tab == Tab::Log {
                    return vec![self.load_log()];
                }
            }
            Action::GotoTab(i) => {
                self.tab = Tab::ALL[i.min(Tab::ALL.len() - 1)];
                if self.tab == Tab::Log {
                    return vec![self.load_log()];
                }
            }
            Action::Help => self.overlays.push(Overlay::Help(Default::default())),
            Action::Left => self.selected = (self.selected + n - 1) % n,
            Action::Right => self.selected = (self.selected + 1) % n,
            // Cards are laid out two per row.
            Action::Up => self.selected = self.selected.saturating_sub(2),
            Action::Down => self.selected = (self.selected + 2).min(n - 1),
            Action::Reload => return self.reload(Tab::Channels, Effect::LoadChannels),
            Action::ViewFull => {
                let failed = self
                    .selected_channel()
                    .and_then(|c| c.last_test.as_ref())
                    .filter(|t| !t.ok)
                    .map(|t| t.summary.clone());
                match failed {
                    Some(text) => self.overlays.push(Overlay::Message(MessageDialog {
                        title: "Last test failed".into(),
                        text: sanitize_text(&text),
                    })),
                    None => self.set_status(Level::Info, "No failed test to show on this card"),
                }
            }
            Action::Configure => {
                let Some(ch) = self.selected_channel() else {
                    return vec![];
                };
                if !ch.supported {
                    self.say_unsupported(ch.kind);
                    return vec![];
                }
                return vec![Effect::LoadDingTalk];
            }
            Action::TestStored => {
                let Some(ch) = self.selected_channel().cloned() else {
                    return vec![];
                };
                if !ch.supported {
                    self.say_unsupported(ch.kind);
                    return vec![];
                }
                if !ch.configured {
                    self.set_status(
                        Level::Info,
                        format!(
                            "{} is not configured: press Enter to configure it",
                            ch.kind.title()
                        ),
                    );
                    return vec![];
                }
                if self.card_test != CardTest::Idle {
                    return vec![];
                }
                if ch.receiver.is_none() {
                    self.set_status(
                        Level::Error,
                        "No Receiver Info saved: open Configure (Enter) and enter a phone",
                    );
                    return vec![];
                }
                let seq = self.next_seq();
                self.card_test = CardTest::Sending { seq };
                self.set_status(Level::Info, "Sending test message…");
                return vec![Effect::TestStored { seq, kind: ch.kind }];
            }
            _ => self.dirty = false,
        }
        vec![]
    }

    /// One answer for every key on a card of a channel kind that cannot be used yet.
    fn say_unsupported(&mut self, kind: ChannelKind) {
        let title = kind.title();
        self.set_status(
            Level::Info,
            format!("{title} is not supported yet; only DingTalk can be configured"),
        );
    }
}
