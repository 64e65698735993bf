//! Rendering: a pure function of `&App`. Overlays are drawn last, in stack order.

mod channels;
mod configure;
mod confirm;
mod delivery_log;
mod form;
mod header;
mod help;
mod members;
mod message;
mod subscriptions;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::{App, Level, Overlay, Tab};
use super::keymap;
pub use super::text::{pad, truncate, truncate_left, wrap_text};
use super::theme::{Role, Theme};

/// Below this the layout cannot show the dialog without cutting fields off.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// What every filtered list says when the filter leaves nothing.
pub const NOTHING_MATCHES: &str = "  Nothing matches the filter (Esc clears it).";

pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(app, frame, area);
        return;
    }
    let [title, tabs, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::render_title(app, frame, title);
    header::render_tabs(app, frame, tabs);
    match app.tab {
        Tab::Channels => channels::render(app, frame, body),
        Tab::Subscription => subscriptions::render(app, frame, body),
        Tab::Members => members::render_tab(app, frame, body),
        Tab::Log => delivery_log::render_tab(app, frame, body),
    }
    render_status(app, frame, status);
    render_footer(app, frame, footer);
    // Overlays sit on a cleared body, so no fragment of the tab beneath shows beside them; the
    // status line stays readable unless an overlay needs its row.
    let beneath = body.union(status);
    if !app.overlays.is_empty() {
        frame.render_widget(Clear, body);
    }
    for overlay in &app.overlays {
        match overlay {
            Overlay::Configure(d) => configure::render(app, d, frame, beneath),
            Overlay::Confirm(c) => confirm::render(app, c, frame, beneath),
            Overlay::Help(h) => help::render(app, h, frame, beneath),
            Overlay::MemberForm(f) => members::render_form(app, f, frame, beneath),
            Overlay::Receivers(p) => members::render_picker(app, p, frame, beneath),
            Overlay::Delivery(r) => delivery_log::render_detail(app, r, frame, beneath),
            Overlay::Message(m) => message::render(app, m, frame, beneath),
        }
    }
}

fn render_too_small(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let text = vec![
        Line::styled("Terminal too small", t.style(Role::Error)),
        Line::raw(format!("{}x{}", area.width, area.height)),
        Line::raw(format!("need at least {MIN_WIDTH}x{MIN_HEIGHT}")),
        Line::styled("enlarge it, or press q to quit", t.style(Role::Muted)),
    ];
    let height = (text.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 2;
    frame.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        Rect::new(area.x, y, area.width, height),
    );
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some((level, text)) = app.visible_status() else {
        return;
    };
    let (marker, role) = match level {
        Level::Info => ("·", Role::Base),
        Level::Ok => ("✓", Role::Ok),
        Level::Error => ("✗", Role::Error),
    };
    let width = area.width.saturating_sub(3) as usize;
    let fitting = app
        .banner_variants()
        .iter()
        .find(|v| unicode_width::UnicodeWidthStr::width(v.as_str()) <= width);
    let text = fitting.map_or(text, |v| v.as_str());
    let line = Line::from(vec![
        Span::styled(format!(" {marker} "), t.style(role)),
        Span::styled(truncate(text, width), t.style(role)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// Hints from the keymap for what currently has the keys. The hints that must always be
/// found (help and quit) are placed first in the budget and drawn last; the others fill the
/// rest in table order, each whole or not at all.
fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    use unicode_width::UnicodeWidthStr;
    let t = &app.theme;
    let hints = keymap::footer_hints(&app.contexts());
    let cost = |h: &(String, &str, bool)| h.0.width() + h.1.width() + 3;
    let (essential, optional): (Vec<_>, Vec<_>) = hints.into_iter().partition(|h| h.2);
    let width = area.width as usize;
    let mut used = 1 + essential.iter().map(cost).sum::<usize>();
    let mut shown = Vec::new();
    for h in optional {
        let w = cost(&h);
        if used + w > width {
            break;
        }
        used += w;
        shown.push(h);
    }
    shown.extend(essential);
    let mut spans = vec![Span::raw(" ")];
    for (keys, desc, _) in shown {
        spans.push(Span::styled(keys, t.style(Role::Key)));
        spans.push(Span::styled(format!(" {desc}  "), t.style(Role::Muted)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A rectangle of at most `w`×`h`, centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn format_time(at: i64, offset: chrono::FixedOffset) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "unknown time".into())
}

pub fn style(theme: &Theme, role: Role) -> Style {
    theme.style(role)
}
