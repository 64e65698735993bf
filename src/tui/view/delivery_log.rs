//! The Delivery Log tab and the delivery detail overlay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, format_time, truncate, wrap_text};
use crate::domain::sanitize_text;
use crate::store::{DeliveryRow, DeliveryStatus};
use crate::tui::app::App;
use crate::tui::theme::Role;

fn status_role(s: DeliveryStatus) -> Role {
    match s {
        DeliveryStatus::Sent => Role::Ok,
        DeliveryStatus::Failed => Role::Error,
        DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Unknown => Role::Warn,
        DeliveryStatus::Skipped => Role::Muted,
    }
}

pub fn render_tab(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let log = &app.log;
    let status = log.status.map(|s| s.code()).unwrap_or("all");
    let text = if log.text_editing || !log.text.is_empty() {
        format!(
            " · /{}{}",
            log.text.value(),
            if log.text_editing { "▏" } else { "" }
        )
    } else {
        String::new()
    };
    let title = format!(
        " Delivery Log · {} {} · page {}{} ",
        log.total,
        status,
        log.page_number(),
        text
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Border))
        .title(Span::styled(title, t.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // time, type/node, member, status, attempts, last error (takes the rest)
    let time_w = 11;
    let what_w = if width >= 110 { 34 } else { 22 };
    let member_w = if width >= 110 { 18 } else { 12 };
    let status_w = 8;
    let tries_w = 3;
    let err_w = width.saturating_sub(time_w + what_w + member_w + status_w + tries_w + 7);
    let header = format!(
        "  {:<time_w$} {:<what_w$} {:<member_w$} {:<status_w$} {:>tries_w$} {}",
        "Time", "Type / node", "Member", "Status", "Try", "Last error"
    );
    let mut lines = vec![Line::styled(truncate(&header, width), t.style(Role::Label))];
    let body_h = (inner.height as usize).saturating_sub(1);
    if !log.loaded {
        lines.push(Line::styled("  Loading…", t.style(Role::Muted)));
    } else if log.rows.is_empty() && (log.status.is_some() || !log.text.is_empty()) {
        lines.push(Line::styled(super::NOTHING_MATCHES, t.style(Role::Muted)));
    } else if log.rows.is_empty() {
        lines.push(Line::styled(
            "  No deliveries. Events come in with `notifydesk notify …`; see the README.",
            t.style(Role::Muted),
        ));
    }
    let mut offset = log.offset.get();
    if log.cursor < offset {
        offset = log.cursor;
    } else if body_h > 0 && log.cursor >= offset + body_h {
        offset = log.cursor + 1 - body_h;
    }
    log.offset.set(offset);
    for (i, r) in log.rows.iter().enumerate().skip(offset).take(body_h) {
        let focused = i == log.cursor;
        let marker = if focused { "> " } else { "  " };
        let when = chrono::DateTime::from_timestamp(r.at, 0)
            .map(|d| {
                d.with_timezone(&app.utc_offset)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let what = truncate(&format!("{}/{}", r.type_code, r.node_code), what_w);
        let member = truncate(&r.login, member_w);
        let err = r
            .last_error
            .as_deref()
            .map(|e| truncate(&sanitize_text(e).replace('\n', " "), err_w))
            .unwrap_or_default();
        let base = if focused { Role::Focus } else { Role::Base };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{marker}{when:<time_w$} {what:<what_w$} {member:<member_w$} "),
                t.style(base),
            ),
            Span::styled(
                format!("{:<status_w$}", r.status.code()),
                t.style(if focused {
                    Role::Focus
                } else {
                    status_role(r.status)
                }),
            ),
            Span::styled(format!(" {:>tries_w$} {err}", r.attempts), t.style(base)),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn render_detail(app: &App, r: &DeliveryRow, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.min(76);
    let inner_w = width.saturating_sub(4) as usize;
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:>14}  "), t.style(Role::Label)),
            Span::raw(truncate(&sanitize_text(&v), inner_w.saturating_sub(16))),
        ])
    };
    let mut lines = vec![
        field("Delivery", format!("#{}", r.id)),
        field("Event", r.event_id.clone()),
        field("Type / node", format!("{} / {}", r.type_code, r.node_code)),
        field("Title", r.title.clone()),
        field(
            "Member",
            match &r.member_name {
                Some(n) => format!("{n} ({})", r.login),
                None => r.login.clone(),
            },
        ),
        Line::from(vec![
            Span::styled(format!("{:>14}  ", "Status"), t.style(Role::Label)),
            Span::styled(r.status.label(), t.style(status_role(r.status))),
        ]),
        field("Attempts", r.attempts.to_string()),
        field("Created", format_time(r.created_at, app.utc_offset)),
        field("Last change", format_time(r.at, app.utc_offset)),
    ];
    if let Some(k) = &r.process_query_key {
        lines.push(field("Query key", k.clone()));
    }
    if let Some(code) = &r.error_code {
        lines.push(field("Error code", code.clone()));
    }
    if let Some(id) = &r.request_id {
        lines.push(field("Request id", id.clone()));
    }
    if let Some(e) = &r.last_error {
        lines.push(Line::raw(""));
        for l in wrap_text(&sanitize_text(e), inner_w, 6) {
            lines.push(Line::styled(l, t.style(Role::Error)));
        }
    }
    let hint = if matches!(r.status, DeliveryStatus::Failed | DeliveryStatus::Unknown) {
        " r retry · Esc close "
    } else {
        " Esc close "
    };
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(" Delivery ", t.style(Role::Title)))
        .title_bottom(Line::styled(hint, t.style(Role::Muted)).right_aligned());
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
