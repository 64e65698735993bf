//! The Configure dialog as an overlay: its keys, paste and drawing, and the results of the
//! test and the save it started.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::{ConfigureDialog, DialogRequest, Focus, TestState};
use crate::domain::TestRecord;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::ui::{Overlay, Ui};

impl ConfigureDialog {
    /// Test `seq` ended; a result of an older (cancelled or replaced) test is dropped.
    pub fn test_finished(
        &mut self,
        seq: u64,
        record: &TestRecord,
        summary: &str,
        detail: Option<String>,
    ) {
        if self.test != (TestState::Sending { seq }) {
            return;
        }
        self.tested = self.testing.take().map(|config| (config, record.clone()));
        self.test = if record.ok {
            TestState::Succeeded {
                at: record.at,
                detail,
            }
        } else {
            TestState::Failed {
                message: summary.to_string(),
            }
        };
    }

    pub fn save_failed(&mut self, error: &impl std::fmt::Display) {
        self.saving = false;
        self.notice = Some(format!("Not saved: {error}"));
    }
}

impl Overlay for ConfigureDialog {
    fn contexts(&self) -> Vec<Context> {
        if self.focus == Focus::SourceColumn {
            vec![Context::Select, Context::Dialog]
        } else {
            vec![Context::Dialog]
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        let request = match action {
            Some(Action::NextField) => {
                self.next_field();
                DialogRequest::None
            }
            Some(Action::PrevField) => {
                self.prev_field();
                DialogRequest::None
            }
            Some(Action::Activate) => self.activate(),
            Some(Action::SendTest) => self.request_test(),
            Some(Action::Save) => self.request_save(),
            Some(Action::ToggleReveal) => {
                self.reveal = !self.reveal;
                DialogRequest::None
            }
            Some(Action::CycleBack) => {
                self.cycle_source_back();
                DialogRequest::None
            }
            Some(Action::Cycle) => {
                self.cycle_source();
                DialogRequest::None
            }
            Some(Action::Close) => self.escape(),
            _ => {
                self.edit(key);
                DialogRequest::None
            }
        };
        let effects = match request {
            DialogRequest::None => vec![],
            DialogRequest::Test(config) => {
                let seq = ui.next_seq();
                self.test = TestState::Sending { seq };
                self.testing = Some(config.clone());
                self.notice = None;
                vec![Effect::SendTest {
                    seq,
                    kind: self.kind,
                    config,
                }]
            }
            DialogRequest::CancelTest(seq) => vec![Effect::CancelTest { seq }],
            DialogRequest::Save(config) => {
                self.saving = true;
                self.notice = None;
                let test = self.test_of(&config);
                vec![Effect::SaveConfig { config, test }]
            }
            DialogRequest::Close { dirty: true } => {
                ui.open(Confirm::DiscardChanges);
                vec![]
            }
            DialogRequest::Close { dirty: false } => return Outcome::Close,
        };
        Outcome::Handled(effects)
    }

    fn on_paste(&mut self, text: &str, _ui: &mut Ui) -> Vec<Effect> {
        self.paste(text);
        vec![]
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        super::draw::render(ui, self, frame, area);
    }

    /// A test still running is cancelled with the dialog.
    fn on_close(&mut self) -> Vec<Effect> {
        match self.test {
            TestState::Sending { seq } => vec![Effect::CancelTest { seq }],
            _ => vec![],
        }
    }
}
