//! Glue between the App and the Subscription tab.

use super::{App, Level, Tab};
use crate::tui::filter::FilterKey;
use crate::tui::keymap::Action;
use crate::tui::msg::{Effect, Outcome};
use crate::tui::tabs::subscriptions::UndoStep;
use crossterm::event::KeyEvent;

impl App {
    pub(super) fn on_grid_key(&mut self, action: Option<Action>, key: KeyEvent) -> Outcome {
        if self.subscriptions.filter.editing {
            match self.subscriptions.filter.on_key(action, &key) {
                FilterKey::Changed => self.subscriptions.rebuild(),
                FilterKey::Kept => {}
                FilterKey::Ignored => self.dirty = false,
            }
            return Outcome::Handled(vec![]);
        }
        let page = 10;
        let saved = |app: &mut App, result: Result<Vec<_>, &str>, what: &str| -> Vec<Effect> {
            match result {
                Ok(changes) if changes.is_empty() => vec![],
                Ok(changes) => {
                    let n = changes.len();
                    let noun = if n == 1 { "change" } else { "changes" };
                    app.set_status(Level::Ok, format!("{what}: {n} {noun} saved (u undoes)"));
                    vec![Effect::SaveMethods(changes)]
                }
                Err(e) => {
                    app.set_status(Level::Info, e);
                    vec![]
                }
            }
        };
        match action {
            Some(Action::Up) => self.subscriptions.move_rows(-1),
            Some(Action::Down) => self.subscriptions.move_rows(1),
            Some(Action::PageUp) => self.subscriptions.move_rows(-page),
            Some(Action::PageDown) => self.subscriptions.move_rows(page),
            Some(Action::Home) => self.subscriptions.home(),
            Some(Action::End) => self.subscriptions.end(),
            Some(Action::Left) => self.subscriptions.move_col(-1),
            Some(Action::Right) => self.subscriptions.move_col(1),
            Some(Action::Toggle) => {
                let r = self.subscriptions.toggle_cell();
                return Outcome::Handled(saved(self, r, "Toggled"));
            }
            Some(Action::ToggleColumn) => {
                let r = self.subscriptions.toggle_column_in_type();
                let fx = saved(self, r.clone(), "Column set for the type");
                if let Ok(changes) = r
                    && let Some(first) = changes.first()
                {
                    // Say exactly what changed: "Personal Channel on for 8 SQL Task nodes".
                    let kind = self
                        .subscriptions
                        .labels(&first.type_code, &first.node_code)
                        .map_or(first.type_code.clone(), |(t, _)| t.to_string());
                    let n = changes.len();
                    let nodes = if n == 1 { "node" } else { "nodes" };
                    let state = if first.on { "on" } else { "off" };
                    let method = first.method.title();
                    self.set_status(
                        Level::Ok,
                        format!("{method} {state} for {n} {kind} {nodes} (u undoes)"),
                    );
                }
                return Outcome::Handled(fx);
            }
            Some(Action::ToggleRow) => {
                let r = self.subscriptions.toggle_row();
                return Outcome::Handled(saved(self, r, "Row set"));
            }
            Some(Action::Undo) => match self.subscriptions.undo() {
                Some(UndoStep::Methods(changes)) => {
                    return Outcome::Handled(saved(self, Ok(changes), "Undone"));
                }
                Some(UndoStep::Receivers {
                    type_code,
                    node_code,
                    logins,
                }) => {
                    self.set_status(Level::Ok, "Undone: custom receivers restored");
                    return Outcome::Handled(vec![Effect::SetReceivers {
                        type_code,
                        node_code,
                        logins,
                    }]);
                }
                None => self.set_status(Level::Info, "Nothing to undo"),
            },
            Some(Action::Filter) => self.subscriptions.filter.start(),
            // Esc goes back one level: an active filter is cleared first.
            Some(Action::Back) if self.subscriptions.filter.clear() => {
                self.subscriptions.rebuild();
            }
            Some(Action::GotoChannels) => {
                self.tab = Tab::Channels;
                self.selected = 0;
            }
            Some(Action::Reload) => {
                return Outcome::Handled(self.reload(Tab::Subscription, Effect::LoadSubscriptions));
            }
            Some(Action::EditReceivers) => self.open_receivers(),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }
}
