//! Drawing of a message shown whole, wrapped to the width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, wrap_text};
use crate::tui::app::App;
use crate::tui::dialogs::message::MessageDialog;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::Role;

pub fn render(app: &App, m: &MessageDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
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
            Line::styled(format!(" {close} close "), t.style(Role::Muted)).right_aligned(),
        );
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
