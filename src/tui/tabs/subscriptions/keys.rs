//! The Subscription tab's keys: a grid change is applied at once and saved as one batch.

use super::{Grid, UndoStep};
use crate::i18n::{known, words};
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::ui::{Level, Request, Tab, TabUnit, Ui};
use crossterm::event::KeyEvent;

impl TabUnit for Grid {
    fn contexts(&self) -> Vec<Context> {
        if self.filter.editing {
            vec![Context::Filter]
        } else {
            vec![Context::Subscription, Context::Global]
        }
    }

    /// Pasted text goes to the filter being typed.
    fn on_paste(&mut self, text: &str, ui: &mut Ui) -> Vec<Effect> {
        match self.filter.paste(text) {
            true => self.rebuild(),
            false => ui.unchanged(),
        }
        vec![]
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        if self.filter.editing {
            if ui.filter_changed(self.filter.on_key(action, key)) {
                self.rebuild();
            }
            return Outcome::Handled(vec![]);
        }
        let page = 10;
        let saved = |ui: &mut Ui, result: Result<Vec<_>, &str>, what: &str| -> Vec<Effect> {
            match result {
                Ok(changes) if changes.is_empty() => vec![],
                Ok(changes) => {
                    let n = changes.len();
                    let key = if n == 1 {
                        "grid.saved_one"
                    } else {
                        "grid.saved_many"
                    };
                    let what = ui.lang.tr(what);
                    let text = ui.lang.trf(key, &[("what", &what), ("n", &n)]);
                    ui.set_status(Level::Ok, text);
                    vec![Effect::SaveMethods(changes)]
                }
                Err(e) => {
                    ui.set_status(Level::Info, known::translate(ui.lang, e));
                    vec![]
                }
            }
        };
        match action {
            Some(Action::Up) => self.move_rows(-1),
            Some(Action::Down) => self.move_rows(1),
            Some(Action::PageUp) => self.move_rows(-page),
            Some(Action::PageDown) => self.move_rows(page),
            Some(Action::Home) => self.home(),
            Some(Action::End) => self.end(),
            Some(Action::Left) => self.move_col(-1),
            Some(Action::Right) => self.move_col(1),
            Some(Action::Toggle) => {
                let r = self.toggle_cell();
                return Outcome::Handled(saved(ui, r, "grid.toggled"));
            }
            Some(Action::ToggleColumn) => {
                let r = self.toggle_column_in_type();
                let fx = saved(ui, r.clone(), "grid.column_set");
                if let Ok(changes) = r
                    && let Some(first) = changes.first()
                {
                    // Say exactly what changed: "Personal Channel on for 8 SQL Task nodes".
                    let lang = ui.lang;
                    let kind = self
                        .labels(&first.type_code, &first.node_code)
                        .map_or(first.type_code.clone(), |(t, _)| {
                            words::type_label(lang, &first.type_code, t).into_owned()
                        });
                    let n = changes.len();
                    let key = match (first.on, n == 1) {
                        (true, true) => "grid.column_on_one",
                        (true, false) => "grid.column_on_many",
                        (false, true) => "grid.column_off_one",
                        (false, false) => "grid.column_off_many",
                    };
                    let method = words::method(lang, first.method);
                    let text = lang.trf(key, &[("method", &method), ("n", &n), ("type", &kind)]);
                    ui.set_status(Level::Ok, text);
                }
                return Outcome::Handled(fx);
            }
            Some(Action::ToggleRow) => {
                let r = self.toggle_row();
                return Outcome::Handled(saved(ui, r, "grid.row_set"));
            }
            Some(Action::Undo) => match self.undo() {
                Some(UndoStep::Methods(changes)) => {
                    return Outcome::Handled(saved(ui, Ok(changes), "grid.undone"));
                }
                Some(UndoStep::Receivers {
                    type_code,
                    node_code,
                    logins,
                }) => {
                    ui.set_status(Level::Ok, ui.lang.tr("grid.undone_receivers"));
                    return Outcome::Handled(vec![Effect::SetReceivers {
                        type_code,
                        node_code,
                        logins,
                    }]);
                }
                None => ui.set_status(Level::Info, ui.lang.tr("grid.nothing_to_undo")),
            },
            Some(Action::Filter) => self.filter.start(),
            // Esc goes back one level: an active filter is cleared first.
            Some(Action::Back) if self.filter.clear() => {
                self.rebuild();
            }
            Some(Action::GotoChannels) => ui.request(Request::GotoChannels),
            Some(Action::Reload) => {
                return Outcome::Handled(ui.reload(Tab::Subscription, Effect::LoadSubscriptions));
            }
            Some(Action::EditReceivers) => ui.request(Request::EditReceivers),
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }
}
