//! The Members tab, the member form, the delete confirmation and the receivers picker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::form::{FieldSpec, FormLines, render_dialog};
use super::{centered, format_time, pad, truncate, wrap_text};
use crate::tui::app::App;
use crate::tui::dialogs::member_form::{FormFocus, MemberForm};
use crate::tui::dialogs::receivers::ReceiversPicker;
use crate::tui::field::TextField;
use crate::tui::theme::Role;

pub fn render_tab(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let tab = &app.members;
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
        lines.push(Line::styled(super::NOTHING_MATCHES, t.style(Role::Muted)));
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
                    .map(|at| format_time(at, app.utc_offset))
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
                format!("userid {u} (resolved {})", format_time(at, app.utc_offset))
            }
            (None, Some(at)) => format!(
                "not found in DingTalk ({})",
                format_time(at, app.utc_offset)
            ),
            _ => "userid not resolved yet".to_string(),
        };
        let detail = format!(
            " {} · {} · {}",
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

pub fn render_form(app: &App, f: &MemberForm, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.min(70);
    let inner_w = width.saturating_sub(4) as usize;
    let mut form = FormLines::new(10, inner_w);
    form.lines.push(Line::raw(""));
    let fields: [(&str, bool, FormFocus, &TextField, &str); 4] = [
        ("Name", true, FormFocus::Name, &f.name, "e.g. Zhang San"),
        (
            "Login",
            true,
            FormFocus::Login,
            &f.login,
            "unique login name",
        ),
        (
            "Phone",
            true,
            FormFocus::Phone,
            &f.phone,
            "e.g. 138 0013 8000",
        ),
        ("Email", false, FormFocus::Email, &f.email, "optional"),
    ];
    for (i, (label, required, focus, field, placeholder)) in fields.into_iter().enumerate() {
        form.field(
            app,
            FieldSpec {
                label,
                required,
                focused: f.focus == focus,
                field,
                placeholder,
                reveal: false,
                error: f.errors[i].as_deref(),
            },
        );
    }
    form.lines.push(Line::raw(""));
    if f.saving {
        form.lines
            .push(Line::styled("Saving…", t.style(Role::Warn)));
    } else if let Some(n) = &f.notice {
        for l in wrap_text(n, inner_w, 2) {
            form.lines.push(Line::styled(l, t.style(Role::Error)));
        }
    }
    form.ok_cancel(app, f.focus == FormFocus::Ok, f.focus == FormFocus::Cancel);
    let title = if f.id.is_some() {
        " Edit member "
    } else {
        " Add member "
    };
    render_dialog(
        app,
        frame,
        area,
        width,
        title,
        " ^S save · Esc close ",
        form,
    );
}

pub fn render_picker(app: &App, p: &ReceiversPicker, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = area.width.min(64);
    let inner_w = width.saturating_sub(4) as usize;
    let max_list = area.height.saturating_sub(9).max(3) as usize;
    let mut lines = vec![
        Line::styled(truncate(&p.title, inner_w), t.style(Role::Label)),
        Line::from(vec![
            // The same marker column as the members below, so the boxes line up.
            Span::styled(" [#] ", t.style(Role::Muted)),
            Span::styled(
                truncate(
                    &format!(
                        "{} (default receiver, cannot be removed)",
                        p.default_receiver
                    ),
                    inner_w - 5,
                ),
                t.style(Role::Muted),
            ),
        ]),
    ];
    if p.filter.is_shown() {
        lines.push(Line::styled(
            truncate(&p.filter.label(), inner_w),
            t.style(Role::Label),
        ));
    }
    let shown = p.shown();
    if shown.is_empty() {
        lines.push(Line::styled(super::NOTHING_MATCHES, t.style(Role::Muted)));
    }
    let offset = p.cursor.saturating_sub(max_list.saturating_sub(1));
    for (pos, &i) in shown.iter().enumerate().skip(offset).take(max_list) {
        let (login, name, chosen) = &p.choices[i];
        let focused = pos == p.cursor;
        let mark = if *chosen { "[x]" } else { "[ ]" };
        let marker = if focused { ">" } else { " " };
        lines.push(Line::styled(
            truncate(&format!("{marker}{mark} {name} ({login})"), inner_w),
            t.style(if focused { Role::Focus } else { Role::Base }),
        ));
    }
    if let Some(n) = &p.notice {
        lines.push(Line::styled(truncate(n, inner_w), t.style(Role::Error)));
    } else if p.saving {
        lines.push(Line::styled("Saving…", t.style(Role::Warn)));
    }
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(" Custom receivers ", t.style(Role::Title)))
        .title(
            Line::styled(
                format!(" {} chosen ", p.chosen().len()),
                t.style(Role::Muted),
            )
            .right_aligned(),
        )
        .title_bottom(
            Line::styled(
                " Space add/remove · / filter · Enter save · Esc cancel ",
                t.style(Role::Muted),
            )
            .right_aligned(),
        );
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
