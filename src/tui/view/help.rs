//! Drawing of the help overlay: generated from the keymap table, wrapped to the width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, wrap_text};
use crate::tui::app::App;
use crate::tui::dialogs::help::HelpDialog;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::{Role, Theme};

const KEYS_WIDTH: usize = 14;

const NOTES: [&str; 2] = [
    "Text fields: ←/→ move, Home/End, Backspace/Del, ^W/^U delete word/line.",
    "Paste works in every field. In a one-line field a trailing line break is dropped; text of several lines is refused, with a message.",
];

/// Every line of the help at `width` columns.
fn lines(theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let desc_width = width.saturating_sub(KEYS_WIDTH + 3).max(8);
    for ctx in Context::ALL {
        lines.push(Line::styled(ctx.title(), theme.style(Role::Title)));
        for b in keymap::bindings_of(ctx) {
            let keys = b.all_keys_label();
            for (i, part) in wrap_text(b.desc, desc_width, usize::MAX)
                .into_iter()
                .enumerate()
            {
                let keys = if i == 0 { keys.as_str() } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<KEYS_WIDTH$} "), theme.style(Role::Key)),
                    Span::raw(part),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    for note in NOTES {
        for part in wrap_text(note, width, usize::MAX) {
            lines.push(Line::styled(part, theme.style(Role::Muted)));
        }
    }
    lines
}

pub fn render(app: &App, help: &HelpDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let rect = centered(area, 72, area.height);
    frame.render_widget(Clear, rect);
    let inner_w = rect.width.saturating_sub(2) as usize;
    let page = rect.height.saturating_sub(2) as usize;
    let all = lines(t, inner_w);
    let total = all.len();
    let scroll = help.clamp(total, page);
    let shown: Vec<Line> = all.into_iter().skip(scroll).take(page).collect();
    let position = if total <= page {
        String::new()
    } else {
        format!(
            " lines {}–{} of {total} ",
            scroll + 1,
            (scroll + page).min(total)
        )
    };
    let close = keymap::key_for(Context::Help, Action::Close);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(" Help — keys ")
        .title(Line::styled(position, t.style(Role::Muted)).right_aligned())
        .title_bottom(format!(" {close} close · ↑/↓ PgUp/PgDn g/G scroll "));
    frame.render_widget(Paragraph::new(shown).block(block), rect);
}
