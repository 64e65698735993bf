//! The custom receivers picker of a subscription row.

/// Pick the members added to a (type, node) row on top of its default receiver.
#[derive(Debug)]
pub struct ReceiversPicker {
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub default_receiver: String,
    /// (login, name, chosen)
    pub choices: Vec<(String, String, bool)>,
    pub cursor: usize,
    pub saving: bool,
    pub notice: Option<String>,
}

impl ReceiversPicker {
    pub fn chosen(&self) -> Vec<String> {
        self.choices
            .iter()
            .filter(|c| c.2)
            .map(|c| c.0.clone())
            .collect()
    }

    pub fn toggle(&mut self) {
        if let Some(c) = self.choices.get_mut(self.cursor) {
            c.2 = !c.2;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        let n = self.choices.len();
        if n > 0 {
            self.cursor = (self.cursor as isize + delta).clamp(0, n as isize - 1) as usize;
        }
    }
}
