//! Drawing of the Members tab: a table of the members that match the filter, and a detail
//! line for the one under the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::MembersTab;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;
use crate::tui::widgets::{format_time, pad, truncate};

pub(super) fn render(tab: &MembersTab, ui: &Ui, frame: &mut Frame, area: Rect) {
    let t = &ui.theme;
    let shown = tab.shown();
    let filter = if tab.filter.is_shown() {
        format!(
            "{} of {} · {} ",
            shown.len(),
            tab.members.len(),
            tab.filter.label()
        )
    } else {
        format!("{} ", tab.members.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Border))
        .title(Span::styled(
            format!(" Members · {filter}"),
            t.style(Role::Title),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let wide = width >= 100;
    // name, login, phone, email, userid (+ resolved time when wide)
    let cols: &[(&str, usize)] = if wide {
        &[
            ("Name", 18),
            ("Login", 16),
            ("Phone", 14),
            ("Email", 24),
            ("DingTalk userid", 18),
            ("Resolved", 16),
        ]
    } else if width >= 68 {
        &[
            ("Name", 16),
            ("Login", 14),
            ("Phone", 13),
            ("DingTalk userid", 16),
        ]
    } else {
        // Too narrow for the userid: it stays in the detail line below.
        &[("Name", 16), ("Login", 14), ("Phone", 13)]
    };
    let mut lines = vec![Line::from(
        cols.iter()
            .map(|(h, w)| Span::styled(pad(&format!("  {h}"), *w + 2), t.style(Role::Label)))
            .collect::<Vec<_>>(),
    )];
    if !tab.loaded {
        lines.push(Line::styled("  Loading…", t.style(Role::Muted)));
    } else if shown.is_empty() && !tab.members.is_empty() {
        lines.push(Line::styled(
            crate::tui::widgets::NOTHING_MATCHES,
            t.style(Role::Muted),
        ));
    } else if tab.members.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "  No members yet. Press a to add one, or import a CSV:",
            t.style(Role::Muted),
        ));
        lines.push(Line::styled(
            "  notifydesk member import members.csv   (columns: name,login,phone,email)",
            t.style(Role::Muted),
        ));
    }
    // The last line details the focused member, so narrow terminals lose no column.
    let body_h = (inner.height as usize).saturating_sub(2);
    tab.view_height.set(body_h);
    let offset = tab.cursor.saturating_sub(body_h.saturating_sub(1));
    for (i, m) in shown.iter().enumerate().skip(offset).take(body_h) {
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
                format!("userid {u} (resolved {})", format_time(at, ui.utc_offset))
            }
            (None, Some(at)) => {
                format!("not found in DingTalk ({})", format_time(at, ui.utc_offset))
            }
            _ => "userid not resolved yet".to_string(),
        };
        let others: String = m
            .channel_ids
            .iter()
            .map(|(kind, id)| {
                format!(
                    " · {} {}",
                    kind.platform(),
                    id.as_deref().unwrap_or("not found")
                )
            })
            .collect();
        let detail = format!(
            " {} · {} · DingTalk {}{others}",
            m.login,
            m.email.as_deref().unwrap_or("no email"),
            resolved
        );
        let y = inner.y + inner.height.saturating_sub(1);
        frame.render_widget(
            Paragraph::new(Line::styled(truncate(&detail, width), t.style(Role::Muted))),
            Rect::new(inner.x, y, inner.width, 1),
        );
    }
}
