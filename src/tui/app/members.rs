//! Glue between the App and the Members tab, the member form and the receivers picker.

use super::{App, Level, Overlay, Tab};
use crate::store::StoreError;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::dialogs::member_form::{FormFocus, MemberForm};
use crate::tui::dialogs::receivers::ReceiversPicker;
use crate::tui::filter::FilterKey;
use crate::tui::keymap::Action;
use crate::tui::msg::{Effect, Outcome, StoreResult};
use crossterm::event::KeyEvent;

impl App {
    fn form_mut(&mut self) -> Option<&mut MemberForm> {
        match self.overlays.last_mut() {
            Some(Overlay::MemberForm(f)) => Some(f.as_mut()),
            _ => None,
        }
    }

    pub(super) fn on_members_key(&mut self, action: Option<Action>, key: KeyEvent) -> Outcome {
        let tab = &mut self.members;
        if tab.filter.editing {
            match tab.filter.on_key(action, &key) {
                FilterKey::Changed => tab.clamp(),
                FilterKey::Kept => {}
                FilterKey::Ignored => self.dirty = false,
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
            Some(Action::Back) if tab.filter.clear() => tab.clamp(),
            Some(Action::Add) => self
                .overlays
                .push(Overlay::MemberForm(Box::new(MemberForm::new(None)))),
            Some(Action::Edit) => match self.members.current() {
                Some(m) => {
                    let form = MemberForm::new(Some(m));
                    self.overlays.push(Overlay::MemberForm(Box::new(form)));
                }
                None => self.set_status(Level::Info, "No member yet: press a to add one"),
            },
            Some(Action::Delete) => {
                if let Some(m) = self.members.current() {
                    let (id, name) = (m.id, format!("{} ({})", m.name, m.login));
                    self.overlays
                        .push(Overlay::Confirm(Confirm::DeleteMember { id, name }));
                }
            }
            Some(Action::Reload) => {
                return Outcome::Handled(self.reload(Tab::Members, Effect::LoadMembers));
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }

    pub(super) fn on_form_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        let Some(f) = self.form_mut() else {
            return vec![];
        };
        let submit = |f: &mut MemberForm| -> Vec<Effect> {
            if f.saving {
                return vec![];
            }
            match f.submit() {
                Some(member) => {
                    f.saving = true;
                    f.notice = None;
                    vec![Effect::SaveMember { id: f.id, member }]
                }
                None => vec![],
            }
        };
        match action {
            Some(Action::NextField) => f.focus = f.focus.step(true),
            Some(Action::PrevField) => f.focus = f.focus.step(false),
            Some(Action::Save) => return submit(f),
            Some(Action::Activate) => match f.focus {
                FormFocus::Ok => return submit(f),
                FormFocus::Cancel => {
                    self.overlays.pop();
                }
                _ => f.focus = f.focus.step(true),
            },
            Some(Action::Close) => {
                // The form is small; closing it discards without a prompt unless edited.
                if f.is_dirty() {
                    self.overlays
                        .push(Overlay::Confirm(Confirm::DiscardChanges));
                } else {
                    self.overlays.pop();
                }
            }
            _ => {
                let changed = f.field().is_some_and(|field| field.handle_key(&key));
                if changed {
                    f.clear_error_of_focus();
                } else {
                    self.dirty = false;
                }
            }
        }
        vec![]
    }

    pub(super) fn on_member_saved(
        &mut self,
        result: StoreResult<crate::member::Member>,
    ) -> Vec<Effect> {
        match result {
            Ok(m) => {
                if matches!(self.overlays.last(), Some(Overlay::MemberForm(_))) {
                    self.overlays.pop();
                }
                self.set_status(Level::Ok, format!("Member {} ({}) saved", m.name, m.login));
                let login = m.login.clone();
                let mut effects = vec![Effect::LoadMembers, Effect::LoadSubscriptions];
                // Keep the cursor on the saved member once the list reloads.
                self.members.select_login(&login);
                effects.dedup_by(|a, b| std::mem::discriminant(a) == std::mem::discriminant(b));
                effects
            }
            Err(e) => {
                if let Some(f) = self.form_mut() {
                    f.saving = false;
                    // Logins are the only unique member field the store checks.
                    if matches!(*e, StoreError::Duplicate { .. }) {
                        f.errors[1] = Some(e.to_string());
                        f.focus = FormFocus::Login;
                    } else {
                        f.notice = Some(format!("Not saved: {e}"));
                    }
                }
                vec![]
            }
        }
    }

    pub(super) fn on_member_deleted(&mut self, name: &str, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                self.set_status(Level::Ok, format!("Member {name} deleted"));
                vec![Effect::LoadMembers, Effect::LoadSubscriptions]
            }
            Err(e) => {
                self.set_status(Level::Error, format!("Not deleted: {e}"));
                vec![]
            }
        }
    }

    /// Enter on a grid row: choose the members added to its default receiver.
    pub(super) fn open_receivers(&mut self) {
        let Some(row) = self.subscriptions.current_row() else {
            return;
        };
        if self.members.members.is_empty() {
            self.set_status(
                Level::Info,
                "No members yet: add members in the Members tab (3) to use custom receivers",
            );
            return;
        }
        let choices = self
            .members
            .members
            .iter()
            .map(|m| {
                let chosen = row
                    .custom_receivers
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(&m.login));
                (m.login.clone(), m.name.clone(), chosen)
            })
            .collect();
        let picker = ReceiversPicker::new(
            row.type_code.clone(),
            row.node_code.clone(),
            format!("{} / {}", row.type_label, row.node_label),
            row.receiver.clone(),
            choices,
        );
        self.overlays.push(Overlay::Receivers(Box::new(picker)));
    }

    pub(super) fn on_picker_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        let Some(Overlay::Receivers(p)) = self.overlays.last_mut() else {
            return vec![];
        };
        if p.filter.editing {
            match p.filter.on_key(action, &key) {
                FilterKey::Changed => p.clamp(),
                FilterKey::Kept => {}
                FilterKey::Ignored => self.dirty = false,
            }
            return vec![];
        }
        match action {
            Some(Action::Filter) => p.filter.start(),
            Some(Action::Up) => p.move_by(-1),
            Some(Action::Down) => p.move_by(1),
            Some(Action::Toggle) => p.toggle(),
            Some(Action::Save) if !p.saving => {
                p.saving = true;
                let (type_code, node_code) = (p.type_code.clone(), p.node_code.clone());
                let logins = p.chosen();
                self.subscriptions.record_receivers(&type_code, &node_code);
                return vec![Effect::SetReceivers {
                    type_code,
                    node_code,
                    logins,
                }];
            }
            // Esc clears an active filter first, then closes.
            Some(Action::Close) if p.filter.clear() => p.clamp(),
            Some(Action::Close) => {
                self.overlays.pop();
            }
            _ => self.dirty = false,
        }
        vec![]
    }

    pub(super) fn on_receivers_saved(&mut self, result: StoreResult<()>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                if matches!(self.overlays.last(), Some(Overlay::Receivers(_))) {
                    self.overlays.pop();
                }
                self.set_status(Level::Ok, "Custom receivers saved");
                vec![Effect::LoadSubscriptions]
            }
            Err(e) => {
                if let Some(Overlay::Receivers(p)) = self.overlays.last_mut() {
                    p.saving = false;
                    p.notice = Some(format!("Not saved: {e}"));
                }
                vec![]
            }
        }
    }
}
