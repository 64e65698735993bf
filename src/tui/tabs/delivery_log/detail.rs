//! The delivery detail overlay: every field of one delivery, its error wrapped in full, and
//! `r` to retry it.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::draw::{status_role, what_of};
use crate::domain::sanitize_text;
use crate::i18n::{Lang, errors, words};
use crate::store::{DeliveryRow, DeliveryStatus};
use crate::tui::keymap::{Action, Context};
use crate::tui::msg::Outcome;
use crate::tui::tabs::subscriptions::Grid;
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Request, Ui};
use crate::tui::widgets::{centered, format_time, truncate, wrap_text};

#[derive(Debug)]
pub struct DeliveryDetail {
    pub row: DeliveryRow,
    /// "SQL Task / To be approved", named when it was opened.
    what: String,
}

impl DeliveryDetail {
    pub fn new(row: DeliveryRow, grid: &Grid) -> DeliveryDetail {
        let what = what_of(Lang::En, grid, &row);
        DeliveryDetail { row, what }
    }
}

impl Overlay for DeliveryDetail {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Detail]
    }

    fn on_key(&mut self, action: Option<Action>, _key: &KeyEvent, ui: &mut Ui) -> Outcome {
        match action {
            Some(Action::Close) => Outcome::Close,
            // The Delivery Log decides (it knows whether a second `r` was asked for).
            Some(Action::Retry) => {
                ui.request(Request::Retry(Box::new(self.row.clone())));
                Outcome::Handled(vec![])
            }
            _ => Outcome::Ignored,
        }
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        draw_detail(ui, self, frame, area);
    }
}

fn draw_detail(ui: &Ui, d: &DeliveryDetail, frame: &mut Frame, area: Rect) {
    let r = &d.row;
    let (t, lang) = (&ui.theme, ui.lang);
    let width = area.width.min(76);
    let inner_w = width.saturating_sub(4) as usize;
    let label = |key: &str| format!("{}  ", words::pad_left(lang.tr(key), 14));
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(label(k), t.style(Role::Label)),
            Span::raw(truncate(&sanitize_text(&v), inner_w.saturating_sub(16))),
        ])
    };
    let what = words::type_node_label(lang, &r.type_code, &r.node_code, &d.what);
    let mut lines = vec![
        field("detail.delivery", format!("#{}", r.id)),
        field("detail.event", r.event_id.clone()),
        field("detail.what", what),
        field("detail.title_field", r.title.clone()),
        field(
            "detail.member",
            match &r.member_name {
                Some(n) => format!("{n} ({})", r.login),
                None => r.login.clone(),
            },
        ),
        field(
            "detail.channel",
            r.channel
                .map(|k| words::channel_title(lang, k).to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        Line::from(vec![
            Span::styled(label("detail.status"), t.style(Role::Label)),
            Span::styled(
                words::status_label(lang, r.status),
                t.style(status_role(r.status)),
            ),
        ]),
        field("detail.attempts", r.attempts.to_string()),
        field("detail.created", format_time(r.created_at, ui.utc_offset)),
        field("detail.last_change", format_time(r.at, ui.utc_offset)),
    ];
    if let Some(k) = &r.process_query_key {
        lines.push(field("detail.query_key", k.clone()));
    }
    if let Some(code) = &r.error_code {
        lines.push(field("detail.error_code", code.clone()));
    }
    if let Some(id) = &r.request_id {
        lines.push(field("detail.request_id", id.clone()));
    }
    // The stored error is in the words of the run that failed (English); a code the locale
    // file explains is explained above it in the interface language.
    let explained = match (&r.error_code, r.channel) {
        (Some(code), kind) if lang != Lang::En => {
            // A send put back after it may have been delivered keeps the platform's code.
            let code = code.strip_prefix("maybe-delivered:").unwrap_or(code);
            kind.and_then(|k| {
                errors::platforms_of(k)
                    .iter()
                    .find_map(|p| errors::platform_error(lang, p, code, None, &[]))
            })
            // The delivery's own codes (not found, paced, interrupted…), any platform.
            .or_else(|| errors::platform_error(lang, "delivery", code, None, &[]))
        }
        _ => None,
    };
    if let Some((meaning, fix)) = explained {
        lines.push(Line::raw(""));
        let text = lang.trf("detail.explained", &[("meaning", &meaning), ("fix", &fix)]);
        for l in wrap_text(&text, inner_w, 4) {
            lines.push(Line::styled(l, t.style(Role::Error)));
        }
    }
    if let Some(e) = &r.last_error {
        lines.push(Line::raw(""));
        // All the height there is: DingTalk's message ends with the fix.
        let room = (area.height as usize)
            .saturating_sub(lines.len() + 2)
            .max(2);
        for l in wrap_text(&sanitize_text(e), inner_w, room) {
            lines.push(Line::styled(l, t.style(Role::Error)));
        }
    }
    let hint = if matches!(r.status, DeliveryStatus::Failed | DeliveryStatus::Unknown) {
        lang.tr("detail.hint_retry")
    } else {
        lang.tr("detail.hint")
    };
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(lang.tr("detail.title"), t.style(Role::Title)))
        .title_bottom(Line::styled(hint, t.style(Role::Muted)).right_aligned());
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
