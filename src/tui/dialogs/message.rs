//! A message shown whole (e.g. a card's last test error, which the card may have to cut),
//! wrapped to the width.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::keymap::{self, Action, Context};
use crate::tui::msg::Outcome;
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Ui};
use crate::tui::widgets::{centered, wrap_text};

#[derive(Debug)]
pub struct MessageDialog {
    pub title: String,
    pub text: String,
}

impl Overlay for MessageDialog {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Message]
    }

    fn on_key(&mut self, action: Option<Action>, _key: &KeyEvent, _ui: &mut Ui) -> Outcome {
        match action {
            Some(Action::Close) => Outcome::Close,
            _ => Outcome::Ignored,
        }
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        let m = self;
        let t = &ui.theme;
        let width = area.width.min(76);
        let inner_w = width.saturating_sub(2) as usize;
        let room = area.height.saturating_sub(2) as usize;
        let lines: Vec<Line> = wrap_text(&m.text, inner_w, room)
            .into_iter()
            .map(|l| Line::styled(l, t.style(Role::Error)))
            .collect();
        let rect = centered(area, width, lines.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        let close = keymap::key_for(Context::Message, Action::Close);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocus))
            .title(Span::styled(format!(" {} ", m.title), t.style(Role::Title)))
            .title_bottom(
                Line::styled(
                    ui.lang.trf("message.close", &[("key", &close)]),
                    t.style(Role::Muted),
                )
                .right_aligned(),
            );
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }
}
