//! Rendering: a pure function of `&App`. The App draws the shared frame (title, tabs,
//! status line, footer); each tab and overlay draws itself. Overlays are drawn last, in
//! stack order.

mod header;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::app::{App, Level, Tab};
use super::keymap;
use super::text::truncate;
use super::theme::Role;

/// Below this the layout cannot show the dialog without cutting fields off.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        render_too_small(app, frame, area);
        return;
    }
    // Title, tabs, body, status, footer: fixed rows around the body, cut by hand (a layout
    // solver for five rows costs more than the rest of the first frame's layout).
    let row = |y: u16, h: u16| Rect::new(area.x, y, area.width, h);
    let (title, tabs) = (row(area.y, 1), row(area.y + 1, 1));
    let body = row(area.y + 2, area.height - 4);
    let (status, footer) = (row(area.bottom() - 2, 1), row(area.bottom() - 1, 1));
    header::render_title(app, frame, title);
    header::render_tabs(app, frame, tabs);
    let ui = &app.ui;
    match ui.tab {
        Tab::Channels => app.channels.draw(ui, frame, body),
        Tab::Subscription => {
            let personal = app.channels.personal_configured();
            app.subscriptions.draw(ui, personal, frame, body);
        }
        Tab::Members => app.members.draw(ui, frame, body),
        Tab::Log => app
            .log
            .draw(ui, &app.subscriptions, app.sandbox, frame, body),
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
        overlay.draw(ui, frame, beneath);
    }
}

fn render_too_small(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.ui.theme;
    let lang = app.ui.lang;
    let need = format!("{MIN_WIDTH}x{MIN_HEIGHT}");
    let text = vec![
        Line::styled(lang.tr("small.title"), t.style(Role::Error)),
        Line::raw(format!("{}x{}", area.width, area.height)),
        Line::raw(lang.trf("small.need", &[("size", &need)])),
        Line::styled(lang.tr("small.hint"), t.style(Role::Muted)),
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
    let t = &app.ui.theme;
    let Some((level, text)) = app.ui.visible_status() else {
        return;
    };
    let (marker, role) = match level {
        Level::Info => ("·", Role::Base),
        Level::Ok => ("✓", Role::Ok),
        Level::Error => ("✗", Role::Error),
    };
    let width = area.width.saturating_sub(3) as usize;
    let fitting = app
        .ui
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
    let t = &app.ui.theme;
    let hints = keymap::footer_hints_in(&app.contexts(), app.ui.lang);
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
