//! The add/edit member form: its state, keys and drawing.

use crate::i18n::known;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::domain::member::{Member, NewMember};
use crate::store::StoreError;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::field::TextField;
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Ui};
use crate::tui::widgets::form::{FieldSpec, FormLines, render_dialog};
use crate::tui::widgets::wrap_text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormFocus {
    Name,
    Login,
    Phone,
    Email,
    Ok,
    Cancel,
}

impl FormFocus {
    const RING: [FormFocus; 6] = [
        FormFocus::Name,
        FormFocus::Login,
        FormFocus::Phone,
        FormFocus::Email,
        FormFocus::Ok,
        FormFocus::Cancel,
    ];

    pub fn step(self, forward: bool) -> FormFocus {
        crate::tui::focus::step(&Self::RING, self, forward)
    }
}

/// Add or edit one member.
#[derive(Debug)]
pub struct MemberForm {
    /// None when adding.
    pub id: Option<i64>,
    pub focus: FormFocus,
    pub name: TextField,
    pub login: TextField,
    pub phone: TextField,
    pub email: TextField,
    pub errors: [Option<String>; 4],
    pub notice: Option<String>,
    pub saving: bool,
    original: [String; 4],
}

impl MemberForm {
    pub fn new(existing: Option<&Member>) -> MemberForm {
        let values = match existing {
            Some(m) => [
                m.name.clone(),
                m.login.clone(),
                m.mobile.to_string(),
                m.email.clone().unwrap_or_default(),
            ],
            None => Default::default(),
        };
        MemberForm {
            id: existing.map(|m| m.id),
            focus: FormFocus::Name,
            name: TextField::new(&values[0]),
            login: TextField::new(&values[1]),
            phone: TextField::new(&values[2]),
            email: TextField::new(&values[3]),
            errors: Default::default(),
            notice: None,
            saving: false,
            original: values,
        }
    }

    pub fn field(&mut self) -> Option<&mut TextField> {
        match self.focus {
            FormFocus::Name => Some(&mut self.name),
            FormFocus::Login => Some(&mut self.login),
            FormFocus::Phone => Some(&mut self.phone),
            FormFocus::Email => Some(&mut self.email),
            _ => None,
        }
    }

    pub fn values(&self) -> NewMember {
        let email = self.email.value().trim();
        NewMember {
            name: self.name.value().to_string(),
            login: self.login.value().to_string(),
            phone: self.phone.value().to_string(),
            email: (!email.is_empty()).then(|| email.to_string()),
        }
    }

    pub fn is_dirty(&self) -> bool {
        [&self.name, &self.login, &self.phone, &self.email]
            .iter()
            .zip(&self.original)
            .any(|(f, o)| f.value() != o)
    }

    /// Validate; on success the values to save, else the errors are shown by the fields.
    pub fn submit(&mut self) -> Option<NewMember> {
        let values = self.values();
        match values.validate() {
            Ok(_) => {
                self.errors = Default::default();
                Some(values)
            }
            Err(e) => {
                self.errors = [e.name, e.login, e.phone, e.email];
                self.focus = [
                    FormFocus::Name,
                    FormFocus::Login,
                    FormFocus::Phone,
                    FormFocus::Email,
                ][self.errors.iter().position(|e| e.is_some()).unwrap_or(0)];
                None
            }
        }
    }

    pub fn clear_error_of_focus(&mut self) {
        let i = match self.focus {
            FormFocus::Name => 0,
            FormFocus::Login => 1,
            FormFocus::Phone => 2,
            FormFocus::Email => 3,
            _ => return,
        };
        self.errors[i] = None;
    }
}

impl MemberForm {
    pub fn save_failed(&mut self, error: &StoreError) {
        self.saving = false;
        // Logins are the only unique member field the store checks.
        if matches!(error, StoreError::Duplicate { .. }) {
            self.errors[1] = Some(error.to_string());
            self.focus = FormFocus::Login;
        } else {
            self.notice = Some(format!("Not saved: {error}"));
        }
    }

    fn submit_effects(&mut self) -> Vec<Effect> {
        if self.saving {
            return vec![];
        }
        match self.submit() {
            Some(member) => {
                self.saving = true;
                self.notice = None;
                vec![Effect::SaveMember {
                    id: self.id,
                    member,
                }]
            }
            None => vec![],
        }
    }
}

impl Overlay for MemberForm {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Form]
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        match action {
            Some(Action::NextField) => self.focus = self.focus.step(true),
            Some(Action::PrevField) => self.focus = self.focus.step(false),
            Some(Action::Save) => return Outcome::Handled(self.submit_effects()),
            Some(Action::Activate) => match self.focus {
                FormFocus::Ok => return Outcome::Handled(self.submit_effects()),
                FormFocus::Cancel => return Outcome::Close,
                _ => self.focus = self.focus.step(true),
            },
            // The form is small; closing it discards without a prompt unless edited.
            Some(Action::Close) if self.is_dirty() => ui.open(Confirm::DiscardChanges),
            Some(Action::Close) => return Outcome::Close,
            _ => {
                let changed = self.field().is_some_and(|field| field.handle_key(key));
                if changed {
                    self.clear_error_of_focus();
                } else {
                    ui.unchanged();
                }
            }
        }
        Outcome::Handled(vec![])
    }

    fn on_paste(&mut self, text: &str, _ui: &mut Ui) -> Vec<Effect> {
        if let Some(field) = self.field() {
            self.notice = field.paste(text).notice();
        }
        self.clear_error_of_focus();
        vec![]
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        draw_form(ui, self, frame, area);
    }
}

fn draw_form(ui: &Ui, f: &MemberForm, frame: &mut Frame, area: Rect) {
    let (t, lang) = (&ui.theme, ui.lang);
    let width = area.width.min(70);
    let inner_w = width.saturating_sub(4) as usize;
    let mut form = FormLines::new(10, inner_w);
    form.lines.push(Line::raw(""));
    let fields: [(&str, bool, FormFocus, &TextField, &str); 4] = [
        (
            lang.tr("members.col.name"),
            true,
            FormFocus::Name,
            &f.name,
            lang.tr("member_form.hint_name"),
        ),
        (
            lang.tr("members.col.login"),
            true,
            FormFocus::Login,
            &f.login,
            lang.tr("member_form.hint_login"),
        ),
        (
            lang.tr("members.col.phone"),
            true,
            FormFocus::Phone,
            &f.phone,
            lang.tr("member_form.hint_phone"),
        ),
        (
            lang.tr("members.col.email"),
            false,
            FormFocus::Email,
            &f.email,
            lang.tr("configure.hint.optional"),
        ),
    ];
    let errors: Vec<Option<String>> = f
        .errors
        .iter()
        .map(|e| e.as_deref().map(|e| known::translate(lang, e)))
        .collect();
    for (i, (label, required, focus, field, placeholder)) in fields.into_iter().enumerate() {
        form.field(
            ui,
            FieldSpec {
                label,
                required,
                focused: f.focus == focus,
                field,
                placeholder,
                reveal: false,
                error: errors[i].as_deref(),
            },
        );
    }
    form.lines.push(Line::raw(""));
    if f.saving {
        form.lines.push(Line::styled(
            lang.tr("configure.saving"),
            t.style(Role::Warn),
        ));
    } else if let Some(n) = &f.notice {
        for l in wrap_text(&known::translate(lang, n), inner_w, 2) {
            form.lines.push(Line::styled(l, t.style(Role::Error)));
        }
    }
    form.ok_cancel(ui, f.focus == FormFocus::Ok, f.focus == FormFocus::Cancel);
    let title = if f.id.is_some() {
        lang.tr("member_form.edit_title")
    } else {
        lang.tr("member_form.add_title")
    };
    let bottom = lang.tr("member_form.bottom");
    render_dialog(ui, frame, area, width, title, bottom, form);
}
