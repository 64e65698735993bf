//! The one confirmation box: a question answered with the keymap's Yes or No keys; its key
//! hints come from the keymap.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::i18n::Lang;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Request, Ui};
use crate::tui::widgets::{centered, truncate};

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
    /// [`Confirm::title`] in `lang`.
    pub fn title_in(&self, lang: Lang) -> &'static str {
        match self {
            Confirm::DiscardChanges => lang.tr("confirm.discard.title"),
            Confirm::DeleteMember { .. } => lang.tr("confirm.delete.title"),
            Confirm::Quit { .. } => lang.tr("confirm.quit.title"),
        }
    }

    /// [`Confirm::lines`] in `lang`.
    pub fn lines_in(&self, lang: Lang) -> Vec<String> {
        match self {
            Confirm::DiscardChanges => vec![lang.tr("confirm.discard.text").into()],
            Confirm::DeleteMember { name, .. } => vec![
                lang.trf("confirm.delete.text", &[("name", name)]),
                lang.tr("confirm.delete.note").into(),
            ],
            Confirm::Quit { running } => vec![
                lang.trf("confirm.quit.text", &[("running", running)]),
                lang.tr("confirm.quit.note").into(),
            ],
        }
    }

    /// [`Confirm::answers`] in `lang`.
    pub fn answers_in(&self, lang: Lang) -> (&'static str, &'static str) {
        match self {
            Confirm::DiscardChanges => (
                lang.tr("confirm.discard.yes"),
                lang.tr("confirm.discard.no"),
            ),
            Confirm::DeleteMember { .. } => {
                (lang.tr("confirm.delete.yes"), lang.tr("confirm.delete.no"))
            }
            Confirm::Quit { .. } => (lang.tr("confirm.quit.yes"), lang.tr("confirm.quit.no")),
        }
    }

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
}

impl Overlay for Confirm {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Confirm]
    }

    /// Yes does what was asked and closes; No only closes, whatever was below stays.
    fn on_key(&mut self, action: Option<Action>, _key: &KeyEvent, ui: &mut Ui) -> Outcome {
        match action {
            Some(Action::Yes) => {
                ui.request(match self.clone() {
                    Confirm::DiscardChanges => Request::CloseBelow,
                    Confirm::DeleteMember { id, name } => {
                        Request::Run(Effect::DeleteMember { id, name })
                    }
                    Confirm::Quit { .. } => Request::Quit,
                });
                Outcome::Close
            }
            Some(Action::No) => Outcome::Close,
            _ => Outcome::Ignored,
        }
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        let question = self;
        let t = &ui.theme;
        let width = 56u16;
        let inner = width as usize - 2;
        let mut text: Vec<Line> = question
            .lines_in(ui.lang)
            .into_iter()
            .map(|l| Line::raw(truncate(&l, inner)))
            .collect();
        let (yes, no) = question.answers_in(ui.lang);
        let label = |action| {
            keymap::bindings_of(Context::Confirm)
                .find(|b| b.action == action)
                .map(|b| b.all_keys_label())
                .unwrap_or_default()
        };
        text.push(Line::from(vec![
            Span::styled(
                keymap::key_for(Context::Confirm, Action::Yes),
                t.style(Role::Key),
            ),
            Span::raw(format!(" {yes}   ")),
            Span::styled(label(Action::No), t.style(Role::Key)),
            Span::raw(format!(" {no}")),
        ]));
        let rect = centered(area, width, text.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocus))
            .title(question.title_in(ui.lang));
        frame.render_widget(Paragraph::new(text).block(block), rect);
    }
}
