//! The custom receivers picker of a subscription row: members to add on top of the row's
//! default receiver, with a `/` filter over names and logins.

use crate::tui::filter::Filter;
use crate::tui::list;

#[derive(Debug)]
pub struct ReceiversPicker {
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub default_receiver: String,
    /// (login, name, chosen)
    pub choices: Vec<(String, String, bool)>,
    /// Index into `shown()`.
    pub cursor: usize,
    pub filter: Filter,
    pub saving: bool,
    pub notice: Option<String>,
}

impl ReceiversPicker {
    pub fn new(
        type_code: String,
        node_code: String,
        title: String,
        default_receiver: String,
        choices: Vec<(String, String, bool)>,
    ) -> ReceiversPicker {
        ReceiversPicker {
            type_code,
            node_code,
            title,
            default_receiver,
            choices,
            cursor: 0,
            filter: Filter::default(),
            saving: false,
            notice: None,
        }
    }

    pub fn chosen(&self) -> Vec<String> {
        self.choices
            .iter()
            .filter(|c| c.2)
            .map(|c| c.0.clone())
            .collect()
    }

    /// Indexes of the choices matching the filter.
    pub fn shown(&self) -> Vec<usize> {
        let needle = self.filter.needle();
        (0..self.choices.len())
            .filter(|&i| {
                let (login, name, _) = &self.choices[i];
                needle.as_ref().is_none_or(|n| {
                    login.to_lowercase().contains(n) || name.to_lowercase().contains(n)
                })
            })
            .collect()
    }

    pub fn toggle(&mut self) {
        if let Some(&i) = self.shown().get(self.cursor) {
            self.choices[i].2 = !self.choices[i].2;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.cursor = list::step(self.cursor, self.shown().len(), delta);
    }

    /// After the filter changed.
    pub fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.shown().len().saturating_sub(1));
    }
}
