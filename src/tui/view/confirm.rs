//! Drawing of the one confirmation box; its key hints come from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, truncate};
use crate::tui::app::App;
use crate::tui::dialogs::confirm::Confirm;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::Role;

pub fn render(app: &App, question: &Confirm, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = 56u16;
    let inner = width as usize - 2;
    let mut text: Vec<Line> = question
        .lines()
        .into_iter()
        .map(|l| Line::raw(truncate(&l, inner)))
        .collect();
    let (yes, no) = question.answers();
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
        .title(question.title());
    frame.render_widget(Paragraph::new(text).block(block), rect);
}
