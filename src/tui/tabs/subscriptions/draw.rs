//! Drawing of the Subscription tab: the checkbox grid, grouped by subscription type. Only the lines
//! that fit are built, so the cost of a frame does not grow with the number of rows.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{COLUMNS, Grid, Line};
use crate::domain::subscription::Method;
use crate::i18n::words;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::{pad, truncate};

/// Cell width of each method column (title width, at least a checkbox, plus a gap).
fn col_width(m: Method) -> usize {
    match m {
        Method::Personal => 9,
        other => other.title().len().max(3) + 2,
    }
}

const RECEIVER_W: usize = 12;

pub(super) fn render(g: &Grid, ui: &Ui, personal_configured: bool, frame: &mut Frame, area: Rect) {
    let (t, lang) = (&ui.theme, ui.lang);
    let filter = if g.filter.is_shown() {
        format!(" · {}", g.filter.label_in(lang))
    } else {
        String::new()
    };
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let body_h = (inner.height as usize).saturating_sub(4);
    let offset = scroll_offset(g, body_h);
    // Say where the window is, so rows below the fold are never hidden silently.
    let position = if g.lines.len() > body_h && body_h > 0 {
        let last = (offset + body_h).min(g.lines.len());
        let below = g.lines.len() - last;
        let more = if below > 0 { " ↓" } else { "" };
        lang.trf(
            "grid.position",
            &[
                ("from", &(offset + 1)),
                ("to", &last),
                ("total", &g.lines.len()),
                ("more", &more),
            ],
        )
    } else {
        String::new()
    };
    let title = lang.trf(
        "grid.title",
        &[
            ("shown", &g.visible_rows()),
            ("total", &g.rows.len()),
            ("position", &position),
            ("filter", &filter),
        ],
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Border))
        .title(Span::styled(title, t.style(Role::Title)));
    frame.render_widget(block, area);
    if inner.height < 4 || inner.width < 20 {
        return;
    }
    let width = inner.width as usize;
    let methods_w: usize = COLUMNS.iter().map(|m| col_width(*m)).sum();
    // Collapse the Receiver column first when the terminal is narrow.
    let show_receiver = width >= methods_w + RECEIVER_W + 18;
    let node_w = width
        .saturating_sub(methods_w)
        .saturating_sub(if show_receiver { RECEIVER_W } else { 0 })
        .max(8);

    let mut lines: Vec<TextLine> = Vec::with_capacity(inner.height as usize);
    // Two header lines, so "Personal Channel" keeps its full name in a narrow column.
    let mut top = vec![Span::raw(
        " ".repeat(node_w + if show_receiver { RECEIVER_W } else { 0 }),
    )];
    let mut header = vec![Span::styled(
        pad(lang.tr("grid.node"), node_w),
        t.style(Role::Label),
    )];
    if show_receiver {
        header.push(Span::styled(
            pad(lang.tr("grid.receiver"), RECEIVER_W),
            t.style(Role::Label),
        ));
    }
    for m in COLUMNS {
        let w = col_width(m);
        let (a, b) = match m {
            Method::Personal => (
                lang.tr("grid.personal_top"),
                lang.tr("grid.personal_bottom"),
            ),
            other => ("", words::method(lang, other)),
        };
        let role = if m == g.column() {
            Role::Key
        } else {
            Role::Label
        };
        top.push(Span::styled(center(a, w), t.style(role)));
        header.push(Span::styled(center(b, w), t.style(role)));
    }
    lines.push(TextLine::from(top));
    lines.push(TextLine::from(header));

    let footer_lines = 2usize;
    if !g.loaded {
        lines.push(TextLine::styled(
            lang.tr("grid.loading"),
            t.style(Role::Muted),
        ));
    } else if g.lines.is_empty() {
        let msg = if g.rows.is_empty() {
            lang.tr("grid.empty")
        } else {
            lang.tr("list.nothing_matches")
        };
        lines.push(TextLine::styled(msg, t.style(Role::Muted)));
    }
    for (li, line) in g.lines.iter().enumerate().skip(offset).take(body_h) {
        match *line {
            Line::Type(i) => {
                let r = &g.rows[i];
                lines.push(TextLine::styled(
                    truncate(
                        &format!(" {}", words::type_label(lang, &r.type_code, &r.type_label)),
                        width,
                    ),
                    t.style(Role::Title),
                ));
            }
            Line::Row(i) => {
                let r = &g.rows[i];
                let focused = li == g.cursor;
                let marker = if focused { "> " } else { "  " };
                let mut spans = vec![Span::styled(
                    pad(
                        &format!(
                            "{marker}{}",
                            truncate(
                                &words::node_label(lang, &r.type_code, &r.node_code, &r.node_label),
                                node_w.saturating_sub(3)
                            )
                        ),
                        node_w,
                    ),
                    t.style(if focused { Role::Label } else { Role::Base }),
                )];
                if show_receiver {
                    let receiver = words::receiver_label(lang, &r.receiver);
                    let recv = if r.custom_receivers.is_empty() {
                        receiver.into_owned()
                    } else {
                        format!("{receiver}+{}", r.custom_receivers.len())
                    };
                    spans.push(Span::styled(
                        pad(&truncate(&recv, RECEIVER_W - 1), RECEIVER_W),
                        t.style(Role::Muted),
                    ));
                }
                for m in COLUMNS {
                    let w = col_width(m);
                    let on = r.methods.contains(m);
                    let mark = match (m.toggleable(), on) {
                        (false, _) => "[#]",
                        (true, true) => "[x]",
                        (true, false) => "[ ]",
                    };
                    let left = (w - 3) / 2;
                    spans.push(Span::raw(" ".repeat(left)));
                    let role = if focused && m == g.column() {
                        Role::Focus
                    } else if !m.toggleable() {
                        Role::Muted
                    } else if on {
                        Role::Ok
                    } else {
                        Role::Base
                    };
                    spans.push(Span::styled(mark, t.style(role)));
                    spans.push(Span::raw(" ".repeat(w - 3 - left)));
                }
                lines.push(TextLine::from(spans));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);

    // Detail of the focused row and the state of the personal channel, at the bottom.
    let detail_area = Rect::new(
        inner.x,
        inner.y + inner.height - footer_lines as u16,
        inner.width,
        footer_lines as u16,
    );
    let mut detail = Vec::new();
    if let Some(r) = g.current_row() {
        let custom = if r.custom_receivers.is_empty() {
            lang.tr("grid.none").to_string()
        } else {
            r.custom_receivers.join(", ")
        };
        let text = lang.trf(
            "grid.detail",
            &[
                (
                    "type",
                    &words::type_label(lang, &r.type_code, &r.type_label),
                ),
                (
                    "node",
                    &words::node_label(lang, &r.type_code, &r.node_code, &r.node_label),
                ),
                ("receiver", &words::receiver_label(lang, &r.receiver)),
                ("custom", &custom),
            ],
        );
        detail.push(TextLine::styled(
            truncate(&text, width),
            t.style(Role::Muted),
        ));
    } else {
        detail.push(TextLine::raw(""));
    }
    if personal_configured {
        detail.push(TextLine::styled(
            truncate(lang.tr("grid.personal_on"), width),
            t.style(Role::Muted),
        ));
    } else {
        detail.push(TextLine::styled(
            truncate(lang.tr("grid.personal_off"), width),
            t.style(Role::Warn),
        ));
    }
    frame.render_widget(Paragraph::new(detail), detail_area);
}

/// Keep the cursor inside the window, moving the window as little as possible.
fn scroll_offset(g: &Grid, height: usize) -> usize {
    let mut offset = g.offset.get();
    if height == 0 {
        return 0;
    }
    if g.cursor < offset {
        offset = g.cursor;
        // Show the type heading above the first row of a group.
        if offset > 0 && matches!(g.lines.get(offset - 1), Some(Line::Type(_))) {
            offset -= 1;
        }
    } else if g.cursor >= offset + height {
        offset = g.cursor + 1 - height;
    }
    offset = offset.min(g.lines.len().saturating_sub(height));
    g.offset.set(offset);
    offset
}

fn center(s: &str, w: usize) -> String {
    let len = unicode_width::UnicodeWidthStr::width(s);
    let left = w.saturating_sub(len) / 2;
    format!(
        "{}{s}{}",
        " ".repeat(left),
        " ".repeat(w.saturating_sub(len + left))
    )
}
