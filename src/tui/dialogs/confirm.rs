//! The one confirmation box: a question answered with the keymap's Yes or No keys.

use crate::tui::keymap::Action;
use crate::tui::msg::Outcome;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Close the dialog or form below and lose its changes.
    DiscardChanges,
    DeleteMember {
        id: i64,
        name: String,
    },
    /// Quit while `running` (a test, deliveries) is in progress.
    Quit {
        running: String,
    },
}

impl Confirm {
    pub fn title(&self) -> &'static str {
        match self {
            Confirm::DiscardChanges => " Discard changes? ",
            Confirm::DeleteMember { .. } => " Delete member? ",
            Confirm::Quit { .. } => " Quit anyway? ",
        }
    }

    pub fn lines(&self) -> Vec<String> {
        match self {
            Confirm::DiscardChanges => vec!["There are unsaved changes.".into()],
            Confirm::DeleteMember { name, .. } => vec![
                format!("Delete {name}?"),
                "They are also removed as a custom receiver.".into(),
            ],
            Confirm::Quit { running } => vec![
                format!("{running} is still running."),
                "Quitting now stops it.".into(),
            ],
        }
    }

    /// What Yes and No do, next to their keys.
    pub fn answers(&self) -> (&'static str, &'static str) {
        match self {
            Confirm::DiscardChanges => ("discard", "keep editing"),
            Confirm::DeleteMember { .. } => ("delete", "keep"),
            Confirm::Quit { .. } => ("quit", "stay"),
        }
    }

    /// `Close` means "yes" (the App acts on the question), `Handled` means "no".
    pub fn on_action(&self, action: Option<Action>) -> Outcome {
        match action {
            Some(Action::Yes) => Outcome::Close,
            Some(Action::No) => Outcome::Handled(vec![]),
            _ => Outcome::Ignored,
        }
    }
}
