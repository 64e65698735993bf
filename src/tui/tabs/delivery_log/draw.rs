//! Drawing of the Delivery Log tab: one database page of deliveries, newest first.

use crate::i18n::{Lang, words};
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
pub(super) fn what_of(lang: Lang, grid: &Grid, r: &DeliveryRow) -> String {
    match grid.labels(&r.type_code, &r.node_code) {
        Some((t, n)) => format!(
            "{} / {}",
            words::type_label(lang, &r.type_code, t),
            words::node_label(lang, &r.type_code, &r.node_code, n)
        ),
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
    let (t, lang) = (&ui.theme, ui.lang);
    let status = match log.status {
        Some(s) => words::status_code(lang, s),
        None => lang.tr("log.all"),
    };
    let status = match log.channel {
        Some(k) => format!("{status} · {}", words::platform(lang, k)),
        None => status.to_string(),
    };
    let text = if log.search.is_shown() {
        format!(" · {}", log.search.label_in(lang))
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
    // A search over a large log takes a while; the count shown is the previous one's until
    // it answers, so the title says so there (early enough not to be cut at 80 columns).
    let position = if log.waiting.get() && !log.search.is_empty() {
        lang.tr("log.searching").to_string()
    } else if log.rows.is_empty() {
        lang.trf("log.rows", &[("total", &thousands(log.total))])
    } else {
        lang.trf(
            "log.rows_range",
            &[
                ("from", &thousands(first as u64 + 1)),
                ("to", &thousands(last as u64)),
                ("total", &thousands(log.total)),
            ],
        )
    };
    let title = lang.trf(
        "log.title",
        &[
            ("position", &position),
            ("status", &status),
            ("search", &text),
        ],
    );
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
    let tries = lang.tr("log.col.try");
    let mut header = format!(
        "  {} {} {} {} {} {} {}{tries}",
        pad(lang.tr("log.col.created"), time_w),
        pad(lang.tr("log.col.event"), title_w),
        pad(lang.tr("log.col.what"), what_w),
        pad(lang.tr("log.col.member"), member_w),
        pad(lang.tr("log.col.channel"), chan_w),
        pad(lang.tr("log.col.status"), status_w),
        // Right-aligned by display width, like the numbers below it.
        " ".repeat(tries_w.saturating_sub(unicode_width::UnicodeWidthStr::width(tries)))
    );
    if err_w > 0 {
        header.push_str(lang.tr("log.col.last_error"));
    }
    let mut lines = vec![Line::styled(truncate(&header, width), t.style(Role::Label))];
    if !log.loaded {
        lines.push(Line::styled(lang.tr("grid.loading"), t.style(Role::Muted)));
    } else if log.rows.is_empty()
        && (log.status.is_some() || log.channel.is_some() || !log.search.is_empty())
    {
        lines.push(Line::styled(
            lang.tr("list.nothing_matches"),
            t.style(Role::Muted),
        ));
    } else if log.rows.is_empty() {
        let hint = if sandbox {
            lang.tr("log.empty_sandbox")
        } else {
            lang.tr("log.empty")
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
                    pad(&truncate(&what_of(lang, grid, r), what_w), what_w),
                    cell(member, member_w),
                    pad(
                        r.channel.map(|k| words::platform(lang, k)).unwrap_or("-"),
                        chan_w
                    )
                ),
                t.style(base),
            ),
            Span::styled(
                pad(words::status_code(lang, r.status), status_w),
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
