//! The Members tab's keys: a list with a `/` filter; a, e and d open the form or a question.

use super::MembersTab;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::dialogs::member_form::MemberForm;
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::ui::{Level, Tab, TabUnit, Ui};
use crossterm::event::KeyEvent;

impl TabUnit for MembersTab {
    fn contexts(&self) -> Vec<Context> {
        if self.filter.editing {
            vec![Context::Filter]
        } else {
            vec![Context::Members, Context::Global]
        }
    }

    /// Pasted text goes to the filter being typed.
    fn on_paste(&mut self, text: &str, ui: &mut Ui) -> Vec<Effect> {
        match self.filter.paste(text) {
            true => self.refilter(),
            false => ui.unchanged(),
        }
        vec![]
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        let tab = self;
        if tab.filter.editing {
            if ui.filter_changed(tab.filter.on_key(action, key)) {
                tab.refilter();
            }
            return Outcome::Handled(vec![]);
        }
        match action {
            Some(Action::Up) => tab.move_by(-1),
            Some(Action::Down) => tab.move_by(1),
            Some(Action::PageUp) => tab.move_by(-tab.page()),
            Some(Action::PageDown) => tab.move_by(tab.page()),
            Some(Action::Home) => tab.home(),
            Some(Action::End) => tab.end(),
            Some(Action::Filter) => tab.filter.start(),
            // Esc goes back one level: an active filter is cleared first.
            Some(Action::Back) if tab.filter.clear() => tab.refilter(),
            Some(Action::Add) => ui.open(MemberForm::new(None)),
            Some(Action::Edit) => match tab.current() {
                Some(m) => ui.open(MemberForm::new(Some(&m))),
                None => ui.set_status(Level::Info, ui.lang.tr("members.none_yet")),
            },
            Some(Action::Delete) => {
                if let Some(m) = tab.current() {
                    let (id, name) = (m.id, format!("{} ({})", m.name, m.login));
                    ui.open(Confirm::DeleteMember { id, name });
                }
            }
            Some(Action::Reload) => {
                return Outcome::Handled(ui.reload(Tab::Members, Effect::LoadMembers));
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }
}
