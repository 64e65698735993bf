//! Drawing of the Members tab: a table of the members that match the filter, and a detail
//! line for the one under the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::MembersTab;
use crate::i18n::words;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::{format_time, pad, truncate};

pub(super) fn render(tab: &MembersTab, ui: &Ui, frame: &mut Frame, area: Rect) {
    let (t, lang) = (&ui.theme, ui.lang);
    let shown = tab.shown_len();
    let title = if tab.filter.is_shown() {
        lang.trf(
            "members.title_filtered",
            &[
                ("shown", &shown),
                ("total", &tab.members.len()),
                ("filter", &tab.filter.label_in(lang)),
            ],
        )
    } else {
        lang.trf("members.title", &[("total", &tab.members.len())])
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Border))
        .title(Span::styled(title, t.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let wide = width >= 100;
    // name, login, phone, email, userid (+ resolved time when wide)
    let cols: &[(&str, usize)] = if wide {
        &[
            ("name", 18),
            ("login", 16),
            ("phone", 14),
            ("email", 24),
            ("userid", 18),
            ("resolved", 16),
        ]
    } else if width >= 68 {
        &[("name", 16), ("login", 14), ("phone", 13), ("userid", 16)]
    } else {
        // Too narrow for the userid: it stays in the detail line below.
        &[("name", 16), ("login", 14), ("phone", 13)]
    };
    let mut lines = vec![Line::from(
        cols.iter()
            .map(|(h, w)| {
                let h = lang.tr(&format!("members.col.{h}"));
                Span::styled(pad(&format!("  {h}"), *w + 2), t.style(Role::Label))
            })
            .collect::<Vec<_>>(),
    )];
    if !tab.loaded {
        lines.push(Line::styled(lang.tr("grid.loading"), t.style(Role::Muted)));
    } else if shown == 0 && !tab.members.is_empty() {
        lines.push(Line::styled(
            lang.tr("list.nothing_matches"),
            t.style(Role::Muted),
        ));
    } else if tab.members.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(lang.tr("members.empty"), t.style(Role::Muted)));
        lines.push(Line::styled(
            lang.tr("members.empty_import"),
            t.style(Role::Muted),
        ));
    }
    // The last line details the focused member, so narrow terminals lose no column.
    let body_h = (inner.height as usize).saturating_sub(2);
    tab.view_height.set(body_h);
    let offset = tab.cursor.saturating_sub(body_h.saturating_sub(1));
    let visible = (offset..shown.min(offset + body_h)).filter_map(|i| Some((i, tab.shown_at(i)?)));
    for (i, m) in visible {
        let focused = i == tab.cursor;
        let userid = m.dingtalk_userid.clone().unwrap_or_else(|| "-".into());
        let mut values = vec![m.name.clone(), m.login.clone(), m.mobile.to_string()];
        if wide {
            values.push(m.email.clone().unwrap_or_default());
            values.push(userid);
            values.push(
                m.resolved_at
                    .map(|at| format_time(at, ui.utc_offset))
                    .unwrap_or_else(|| "-".into()),
            );
        } else {
            values.push(userid);
        }
        let marker = if focused { "> " } else { "  " };
        let spans: Vec<Span> = values
            .iter()
            .zip(cols)
            .enumerate()
            .map(|(ci, (v, (_, w)))| {
                let prefix = if ci == 0 { marker } else { "  " };
                let text = pad(&format!("{prefix}{}", truncate(v, *w)), *w + 2);
                Span::styled(
                    text,
                    t.style(if focused { Role::Focus } else { Role::Base }),
                )
            })
            .collect();
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(m) = tab.current() {
        let resolved = match (&m.dingtalk_userid, m.resolved_at) {
            (Some(u), Some(at)) => {
                let at = format_time(at, ui.utc_offset);
                lang.trf("members.resolved", &[("userid", u), ("at", &at)])
            }
            (None, Some(at)) => {
                let at = format_time(at, ui.utc_offset);
                lang.trf("members.not_found", &[("at", &at)])
            }
            _ => lang.tr("members.unresolved").to_string(),
        };
        let others: String = m
            .channel_ids
            .iter()
            .map(|(kind, id)| {
                format!(
                    " · {} {}",
                    words::platform(lang, *kind),
                    id.as_deref().unwrap_or(lang.tr("members.id_not_found"))
                )
            })
            .collect();
        let detail = lang.trf(
            "members.detail",
            &[
                ("login", &m.login),
                (
                    "email",
                    &m.email.as_deref().unwrap_or(lang.tr("members.no_email")),
                ),
                ("resolved", &resolved),
                ("others", &others),
            ],
        );
        let y = inner.y + inner.height.saturating_sub(1);
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&detail, width), t.style(Role::Muted))),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
}
