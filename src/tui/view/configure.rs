//! The "Configure DingTalk Message Channel" dialog.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{SPINNER, centered, format_time, wrap_text};
use crate::domain::SECRET_MASK;
use crate::tui::app::App;
use crate::tui::configure::{ConfigureDialog, Focus, TestState};
use crate::tui::field::TextField;
use crate::tui::theme::Role;

const LABEL_W: usize = 16;

pub fn render(app: &App, d: &ConfigureDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.min(76);
    let inner_w = width.saturating_sub(4) as usize;
    let box_w = inner_w.saturating_sub(LABEL_W + 3).max(8);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor: Option<(u16, u16)> = None;

    let mut field = |lines: &mut Vec<Line>,
                     focus: Focus,
                     label: &str,
                     required: bool,
                     f: &TextField,
                     placeholder: &str,
                     reveal: bool,
                     error: &Option<String>| {
        let focused = d.focus == focus;
        let (text, cur) = f.visible(box_w, reveal);
        let (shown, role) = if text.is_empty() && !placeholder.is_empty() {
            (placeholder.to_string(), Role::Muted)
        } else {
            (text, Role::Base)
        };
        let pad = box_w.saturating_sub(unicode_width::UnicodeWidthStr::width(shown.as_str()));
        if focused {
            cursor = Some((lines.len() as u16, (LABEL_W + 1 + cur) as u16));
        }
        lines.push(Line::from(vec![
            label_span(app, label, required, focused),
            Span::styled(
                "[",
                t.style(if focused {
                    Role::BorderFocus
                } else {
                    Role::Border
                }),
            ),
            Span::styled(format!("{shown}{}", " ".repeat(pad)), t.style(role)),
            Span::styled(
                "]",
                t.style(if focused {
                    Role::BorderFocus
                } else {
                    Role::Border
                }),
            ),
        ]));
        if let Some(e) = error {
            for l in wrap_text(&format!("✗ {e}"), inner_w - LABEL_W - 1, 2) {
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(LABEL_W + 1)),
                    Span::styled(l, t.style(Role::Error)),
                ]));
            }
        }
    };

    lines.push(Line::raw(""));
    field(
        &mut lines,
        Focus::AppKey,
        "AppKey",
        true,
        &d.app_key,
        "Client ID of the DingTalk app",
        false,
        &d.errors.app_key,
    );
    let secret_placeholder = if d.uses_stored_secret() {
        format!("{SECRET_MASK} (saved; type to replace)")
    } else {
        "Client Secret of the DingTalk app".to_string()
    };
    field(
        &mut lines,
        Focus::AppSecret,
        "AppSecret",
        true,
        &d.app_secret,
        &secret_placeholder,
        d.reveal,
        &d.errors.app_secret,
    );
    field(
        &mut lines,
        Focus::TemplateId,
        "Template ID",
        false,
        &d.template_id,
        "optional: card template id",
        false,
        &d.errors.template_id,
    );
    // Source Column: a select with one supported value.
    let focused = d.focus == Focus::SourceColumn;
    lines.push(Line::from(vec![
        label_span(app, "Source Column", false, focused),
        Span::styled(
            format!("< {} >", d.source_column.label()),
            t.style(if focused { Role::Focus } else { Role::Base }),
        ),
        Span::styled("  the member field used to find them", t.style(Role::Muted)),
    ]));
    field(
        &mut lines,
        Focus::Receiver,
        "Receiver Info",
        false,
        &d.receiver,
        "phone of a member, for the test",
        false,
        &d.errors.receiver,
    );

    lines.push(Line::raw(""));
    let mut test_line = vec![
        Span::raw(" ".repeat(LABEL_W + 1)),
        button(app, "Test Message Sending", d.focus == Focus::TestButton),
        Span::raw("  "),
    ];
    let mut result_lines: Vec<Line> = Vec::new();
    let result_w = inner_w.saturating_sub(LABEL_W + 1);
    match &d.test {
        TestState::Idle => {}
        TestState::Sending { .. } => {
            let spin = SPINNER[app.frame % SPINNER.len()];
            test_line.push(Span::styled(
                format!("{spin} Sending… (Esc cancels)"),
                t.style(Role::Warn),
            ));
        }
        TestState::Succeeded { at, detail } => {
            test_line.push(Span::styled("✓ Successful", t.style(Role::Ok)));
            test_line.push(Span::styled(
                format!(" {}", format_time(*at, app.utc_offset)),
                t.style(Role::Muted),
            ));
            if let Some(detail) = detail {
                for l in wrap_text(detail, result_w, 1) {
                    result_lines.push(Line::styled(l, t.style(Role::Muted)));
                }
            }
        }
        TestState::Failed { message } => {
            test_line.push(Span::styled("✗ Failed", t.style(Role::Error)));
            for l in wrap_text(message, result_w, 4) {
                result_lines.push(Line::styled(l, t.style(Role::Error)));
            }
        }
        TestState::Cancelled => {
            test_line.push(Span::styled("Cancelled", t.style(Role::Muted)));
        }
    }
    lines.push(Line::from(test_line));
    for l in result_lines {
        let mut spans = vec![Span::raw(" ".repeat(LABEL_W + 1))];
        spans.extend(l.spans);
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    let notice = if d.saving {
        Some(("Saving…".to_string(), Role::Warn))
    } else {
        d.notice.clone().map(|n| (n, Role::Warn))
    };
    if let Some((n, role)) = notice {
        for l in wrap_text(&n, inner_w, 2) {
            lines.push(Line::styled(l, t.style(role)));
        }
    }
    let ok_cancel_pad = inner_w.saturating_sub(18);
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(ok_cancel_pad)),
        button(app, "OK", d.focus == Focus::Ok),
        Span::raw("  "),
        button(app, "Cancel", d.focus == Focus::Cancel),
    ]));

    // On a short terminal drop the spacing lines first, so the buttons stay visible.
    if lines.len() + 2 > area.height as usize {
        let before_cursor = cursor.map_or(0, |(row, _)| {
            lines[..row as usize]
                .iter()
                .filter(|l| l.width() == 0)
                .count() as u16
        });
        cursor = cursor.map(|(row, col)| (row - before_cursor, col));
        lines.retain(|l| l.width() > 0);
    }
    if lines.len() + 2 > area.height as usize {
        // Still too tall: keep the end (result and buttons) and mark the cut at the top.
        let cut = lines.len() + 2 - area.height as usize;
        cursor = cursor.and_then(|(row, col)| row.checked_sub(cut as u16).map(|r| (r, col)));
        lines.drain(..cut);
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(
            " Configure DingTalk Message Channel ",
            t.style(Role::Title),
        ))
        .title_bottom(
            Line::styled(
                " ^T test · ^S OK · ^R show secret · Esc close ",
                t.style(Role::Muted),
            )
            .right_aligned(),
        );
    let inner = block.inner(rect);
    let body = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines), body);
    if let Some((row, col)) = cursor
        && row < body.height
    {
        frame.set_cursor_position(Position::new(body.x + col, body.y + row));
    }
}

fn label_span(app: &App, label: &str, required: bool, focused: bool) -> Span<'static> {
    let marker = if focused { '>' } else { ' ' };
    let star = if required { "*" } else { " " };
    let text = format!("{marker}{star}{label:>w$} ", w = LABEL_W - 3);
    Span::styled(
        text,
        app.theme
            .style(if focused { Role::Label } else { Role::Base }),
    )
}

fn button(app: &App, label: &str, focused: bool) -> Span<'static> {
    let text = if focused {
        format!("[>{label}<]")
    } else {
        format!("[ {label} ]")
    };
    Span::styled(
        text,
        app.theme.style(if focused {
            Role::ButtonFocus
        } else {
            Role::Button
        }),
    )
}
