//! The Channel Management tab: one card per channel, two per row.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

use super::{SPINNER, format_time, truncate, wrap_text};
use crate::domain::ChannelSummary;
use crate::tui::app::{App, CardTest};
use crate::tui::keymap::{self, Action, Context};
use crate::tui::theme::Role;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let rows = app.channels.len().div_ceil(2).max(1);
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, rows as u32); rows]).split(area);
    for (i, ch) in app.channels.iter().enumerate() {
        let row = row_areas[i / 2];
        let [left, right] =
            Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(row);
        let cell = if i % 2 == 0 { left } else { right };
        render_card(app, ch, i == app.selected, frame, cell);
    }
}

fn render_card(app: &App, ch: &ChannelSummary, selected: bool, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let marker = if selected { "> " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .padding(Padding::horizontal(1))
        .border_style(t.style(if selected {
            Role::BorderFocus
        } else {
            Role::Border
        }))
        .title(Span::styled(
            format!(" {marker}{} ", ch.kind.title()),
            t.style(if selected { Role::Title } else { Role::Label }),
        ));
    let inner_w = area.width.saturating_sub(4) as usize;
    let mut lines = Vec::new();
    let status_role = if ch.configured {
        Role::Ok
    } else if ch.supported {
        Role::Warn
    } else {
        Role::Muted
    };
    lines.push(Line::styled(
        truncate(&ch.status_text(), inner_w),
        t.style(status_role),
    ));
    if ch.configured {
        let source = ch.source_column.map(|s| s.label()).unwrap_or("Phone");
        lines.push(Line::raw(truncate(
            &format!("Source Column: {source}"),
            inner_w,
        )));
        if let Some(id) = &ch.template_id {
            lines.push(Line::raw(truncate(&format!("Template ID: {id}"), inner_w)));
        }
        if let Some(r) = &ch.receiver {
            lines.push(Line::raw(truncate(&format!("Receiver Info: {r}"), inner_w)));
        }
    } else if ch.supported {
        lines.push(Line::styled(
            truncate("Needs a DingTalk app's AppKey/Secret", inner_w),
            t.style(Role::Muted),
        ));
    } else {
        lines.push(Line::styled(
            truncate("Shown for parity with the console", inner_w),
            t.style(Role::Muted),
        ));
    }
    let sending = selected && matches!(app.card_test, CardTest::Sending { .. });
    if sending {
        let spin = SPINNER[app.frame % SPINNER.len()];
        lines.push(Line::styled(
            format!("{spin} Sending test message…"),
            t.style(Role::Warn),
        ));
    } else if let Some(test) = &ch.last_test {
        let when = format_time(test.at, app.utc_offset);
        let (head, role) = if test.ok {
            ("✓ Last test: Successful", Role::Ok)
        } else {
            ("✗ Last test failed", Role::Error)
        };
        // The time goes beside the result when it fits, leaving a line to the error.
        let beside = format!("{head} {when}");
        if unicode_width::UnicodeWidthStr::width(beside.as_str()) <= inner_w {
            lines.push(Line::styled(beside, t.style(role)));
        } else {
            lines.push(Line::styled(head, t.style(role)));
            lines.push(Line::styled(format!("  at {when}"), t.style(Role::Muted)));
        }
        if !test.ok {
            // All the room the card has (the hint keeps the last line): the fix comes last.
            let inner_h = area.height.saturating_sub(2) as usize;
            let room = inner_h.saturating_sub(lines.len() + 1).max(1);
            let whole = wrap_text(&test.summary, inner_w, usize::MAX);
            if whole.len() <= room || !selected {
                for l in wrap_text(&test.summary, inner_w, room) {
                    lines.push(Line::styled(l, t.style(Role::Error)));
                }
            } else {
                // Cut: the last line says where the whole text is.
                for l in wrap_text(&test.summary, inner_w, room.saturating_sub(1).max(1)) {
                    lines.push(Line::styled(l, t.style(Role::Error)));
                }
                let view = keymap::key_for(Context::Channels, Action::ViewFull);
                lines.push(Line::styled(
                    format!("{view} full text"),
                    t.style(Role::Key),
                ));
            }
        }
    } else if ch.configured {
        lines.push(Line::styled("Not tested yet", t.style(Role::Muted)));
    }
    if selected && ch.supported {
        let hint = if ch.configured {
            "Enter configure · t test"
        } else {
            "Enter configure"
        };
        let inner_h = area.height.saturating_sub(2) as usize;
        // Keep the hint on the last line of the card.
        while lines.len() + 1 < inner_h {
            lines.push(Line::raw(""));
        }
        lines.truncate(inner_h.saturating_sub(1));
        lines.push(Line::styled(truncate(hint, inner_w), t.style(Role::Key)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
