//! A message shown whole (e.g. a card's last test error, which the card may have to cut).

use crate::tui::keymap::Action;
use crate::tui::msg::Outcome;

#[derive(Debug)]
pub struct MessageDialog {
    pub title: String,
    pub text: String,
}

impl MessageDialog {
    pub fn on_action(&self, action: Option<Action>) -> Outcome {
        match action {
            Some(Action::Close) => Outcome::Close,
            _ => Outcome::Ignored,
        }
    }
}
