//! Drawing of the Delivery Log tab: one database page of deliveries, newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::LogTab;
use crate::domain::sanitize_text;
use crate::store::{DeliveryRow, DeliveryStatus};
use crate::tui::tabs::subscriptions::Grid;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::{pad, truncate};

pub(super) fn status_role(s: DeliveryStatus) -> Role {
    match s {
        DeliveryStatus::Sent => Role::Ok,
        DeliveryStatus::Failed => Role::Error,
        DeliveryStatus::Pending | DeliveryStatus::Sending | DeliveryStatus::Unknown => Role::Warn,
        DeliveryStatus::Skipped => Role::Muted,
    }
}

/// `4213` as `4,213`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "SQL Task / To be approved" from the catalogue's labels (codes if the row is unknown).
pub(super) fn what_of(grid: &Grid, r: &DeliveryRow) -> String {
    match grid.labels(&r.type_code, &r.node_code) {
        Some((t, n)) => format!("{t} / {n}"),
        // Codes of a type no longer in the catalogue come from the database: clean them.
        None => sanitize_text(&format!("{} / {}", r.type_code, r.node_code)),
    }
}

/// `grid` names the types and nodes; `sandbox` offers sample events when the log is empty.
pub(super) fn render(
    log: &LogTab,
    ui: &Ui,
    grid: &Grid,
    sandbox: bool,
    frame: &mut Frame,
    area: Rect,
) {
    let t = &ui.theme;
    let status = log.status.map(|s| s.code()).unwrap_or("all");
    let status = match log.channel {
        Some(k) => format!("{status} · {}", k.platform()),
        None => status.to_string(),
    };
    let text = if log.search.is_shown() {
        format!(" · {}", log.search.label())
    } else {
        String::new()
    };
    // The list body is the block's inner height minus the header line.
    let body_h = (area.height as usize).saturating_sub(3);
    log.view_height.set(body_h);
    let mut offset = log.offset.get();
    if log.cursor < offset {
        offset = log.cursor;
    } else if body_h > 0 && log.cursor >= offset + body_h {
        offset = log.cursor + 1 - body_h;
    }
    log.offset.set(offset);
    let first = log.first_row_number() + offset;
    let last = (first + body_h).min(first + log.rows.len().saturating_sub(offset));
    let position = if log.rows.is_empty() {
        format!("{} rows", thousands(log.total))
    } else {
        format!(
            "rows {}–{} of {}",
            thousands(first as u64 + 1),
            thousands(last as u64),
            thousands(log.total)
        )
    };
    let title = format!(" Delivery Log · {position} · {status}{text} ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Border))
        .title(Span::styled(title, t.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    // created, event title, type / node, member, status, attempts, last error (when room)
    let wide = width >= 110;
    let time_w = 11;
    let member_w = if wide { 14 } else { 10 };
    let status_w = 8;
    let chan_w = 8;
    let tries_w = 3;
    // What is left goes to the title and the labels; past 110 columns the error gets a column.
    let rest = width.saturating_sub(2 + time_w + member_w + chan_w + status_w + tries_w + 7);
    let (title_w, what_w) = if wide {
        (24, 32)
    } else {
        (rest * 2 / 5, rest - rest * 2 / 5)
    };
    let fixed = 2 + time_w + title_w + what_w + member_w + chan_w + status_w + tries_w + 7;
    let err_w = if wide {
        width.saturating_sub(fixed + 1)
    } else {
        0
    };
    let mut header = format!(
        "  {} {} {} {} {} {} {:>tries_w$}",
        pad("Created", time_w),
        pad("Event", title_w),
        pad("Type / node", what_w),
        pad("Member", member_w),
        pad("Channel", chan_w),
        pad("Status", status_w),
        "Try"
    );
    if err_w > 0 {
        header.push_str(" Last error");
    }
    let mut lines = vec![Line::styled(truncate(&header, width), t.style(Role::Label))];
    if !log.loaded {
        lines.push(Line::styled("  Loading…", t.style(Role::Muted)));
    } else if log.rows.is_empty()
        && (log.status.is_some() || log.channel.is_some() || !log.search.is_empty())
    {
        lines.push(Line::styled(
            crate::tui::widgets::NOTHING_MATCHES,
            t.style(Role::Muted),
        ));
    } else if log.rows.is_empty() {
        let hint = if sandbox {
            "  No deliveries yet. Press s to send a sample event through the outbox."
        } else {
            "  No deliveries. Events come in with `notifydesk notify …`; see the README."
        };
        lines.push(Line::styled(hint, t.style(Role::Muted)));
    }
    let cell = |s: &str, w: usize| pad(&truncate(&sanitize_text(s), w), w);
    for (i, r) in log.rows.iter().enumerate().skip(offset).take(body_h) {
        let focused = i == log.cursor;
        let marker = if focused { "> " } else { "  " };
        // Rows are in creation order, so the list shows when each event came in.
        let created = chrono::DateTime::from_timestamp(r.created_at, 0)
            .map(|d| {
                d.with_timezone(&ui.utc_offset)
                    .format("%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let member = r.member_name.as_deref().unwrap_or(&r.login);
        let base = if focused { Role::Focus } else { Role::Base };
        let mut spans = vec![
            Span::styled(
                format!(
                    "{marker}{} {} {} {} {} ",
                    pad(&created, time_w),
                    cell(&r.title, title_w),
                    // The catalogue's labels are ours, not untrusted text.
                    pad(&truncate(&what_of(grid, r), what_w), what_w),
                    cell(member, member_w),
                    pad(r.channel.map(|k| k.platform()).unwrap_or("-"), chan_w)
                ),
                t.style(base),
            ),
            Span::styled(
                pad(r.status.code(), status_w),
                t.style(if focused {
                    Role::Focus
                } else {
                    status_role(r.status)
                }),
            ),
            Span::styled(format!(" {:>tries_w$}", r.attempts), t.style(base)),
        ];
        if err_w > 0
            && let Some(e) = r.last_error.as_deref()
        {
            let e = sanitize_text(e).replace('\n', " ");
            spans.push(Span::styled(
                format!(" {}", truncate(&e, err_w)),
                t.style(base),
            ));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
