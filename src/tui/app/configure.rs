//! Glue between the App and the Configure dialog.

use super::{App, Overlay};
use crate::domain::ChannelKind;
use crate::tui::dialogs::configure::{DialogRequest, TestState};
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crossterm::event::KeyEvent;

impl App {
    pub(super) fn close_dialog(&mut self) -> Vec<Effect> {
        let mut effects = vec![];
        if let Some(pos) = self
            .overlays
            .iter()
            .rposition(|o| matches!(o, Overlay::Configure(_)))
            && let Overlay::Configure(d) = self.overlays.remove(pos)
            && let TestState::Sending { seq } = d.test
        {
            effects.push(Effect::CancelTest { seq });
        }
        effects
    }

    pub(super) fn on_dialog_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        let next_seq = self.next_seq + 1;
        let Some(d) = self.dialog_mut() else {
            return vec![];
        };
        let request = match action {
            Some(Action::NextField) => {
                d.next_field();
                DialogRequest::None
            }
            Some(Action::PrevField) => {
                d.prev_field();
                DialogRequest::None
            }
            Some(Action::Activate) => d.activate(),
            Some(Action::SendTest) => d.request_test(),
            Some(Action::Save) => d.request_save(),
            Some(Action::ToggleReveal) => {
                d.reveal = !d.reveal;
                DialogRequest::None
            }
            Some(Action::Cycle) => {
                d.cycle_source();
                DialogRequest::None
            }
            Some(Action::Close) => d.escape(),
            _ => {
                if !d.edit(&key) {
                    return vec![];
                }
                DialogRequest::None
            }
        };
        match request {
            DialogRequest::None => vec![],
            DialogRequest::Test(config) => {
                d.test = TestState::Sending { seq: next_seq };
                d.testing = Some(config.clone());
                d.notice = None;
                self.next_seq = next_seq;
                vec![Effect::SendTest {
                    seq: next_seq,
                    kind: ChannelKind::DingTalk,
                    config,
                }]
            }
            DialogRequest::CancelTest(seq) => vec![Effect::CancelTest { seq }],
            DialogRequest::Save(config) => {
                d.saving = true;
                d.notice = None;
                let test = d.test_of(&config);
                vec![Effect::SaveDingTalk { config, test }]
            }
            DialogRequest::Close { dirty: true } => {
                self.overlays
                    .push(Overlay::Confirm(Confirm::DiscardChanges));
                vec![]
            }
            DialogRequest::Close { dirty: false } => self.close_dialog(),
        }
    }
}
