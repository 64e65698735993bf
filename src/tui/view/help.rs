use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, Context};
use crate::tui::theme::Role;

/// Every binding, grouped by where it applies; generated from the keymap table.
pub fn render(app: &App, scroll: u16, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let rect = centered(area, 66, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let mut lines = Vec::new();
    for ctx in [
        Context::Global,
        Context::Channels,
        Context::Subscription,
        Context::Filter,
        Context::Members,
        Context::Form,
        Context::Picker,
        Context::Log,
        Context::Detail,
        Context::Dialog,
        Context::Confirm,
        Context::Help,
    ] {
        lines.push(Line::styled(ctx.title(), t.style(Role::Title)));
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", b.keys_label), t.style(Role::Key)),
                Span::raw(b.desc),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Text fields: ←/→ move, Home/End, Backspace/Del, ^W/^U delete word/line.",
        t.style(Role::Muted),
    ));
    lines.push(Line::styled(
        "Paste works in every field; line breaks in pasted text are dropped.",
        t.style(Role::Muted),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(" Help — keys ")
        .title_bottom(" Esc/? close · ↑/↓ scroll ");
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}
