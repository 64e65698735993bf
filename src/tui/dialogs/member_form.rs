//! The add/edit member form.

use crate::member::{Member, NewMember};
use crate::tui::field::TextField;

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
