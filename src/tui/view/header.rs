//! The title bar and the tab bar. Both degrade by dropping whole parts, least important first,
//! and never cut a word: the app name and SANDBOX always stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use crate::tui::app::{App, Tab};
use crate::tui::theme::Role;

/// One part of the title bar; a lower `rank` is dropped later.
struct Part {
    text: String,
    role: Role,
    rank: u8,
    right: bool,
}

const SEPARATOR: &str = " · ";

fn parts(app: &App) -> Vec<Part> {
    let lang = app.ui.lang;
    let part = |text: String, role, rank, right| Part {
        text,
        role,
        rank,
        right,
    };
    let mut parts = vec![
        part(" notifydesk ".into(), Role::Title, 0, false),
        part(lang.tr("header.breadcrumb").into(), Role::Base, 6, false),
    ];
    if app.log.db_busy {
        parts.push(part(lang.tr("header.db_busy").into(), Role::Warn, 1, true));
    }
    if app.log.loaded {
        let c = &app.log.counts;
        let active = |n: u64, role| if n > 0 { role } else { Role::Muted };
        let waiting = c.pending + c.sending;
        parts.push(part(
            lang.trf("header.pending", &[("n", &waiting)]),
            active(waiting, Role::Warn),
            2,
            true,
        ));
        parts.push(part(
            lang.trf("header.sent", &[("n", &c.sent)]),
            active(c.sent, Role::Ok),
            4,
            true,
        ));
        parts.push(part(
            lang.trf("header.failed", &[("n", &c.failed)]),
            active(c.failed, Role::Error),
            2,
            true,
        ));
        if c.unknown > 0 {
            parts.push(part(
                lang.trf("header.maybe_sent", &[("n", &c.unknown)]),
                Role::Warn,
                3,
                true,
            ));
        }
    }
    // A sandbox must never be mistaken for real data: its marker is kept at any width.
    match app.db_label.strip_prefix("SANDBOX") {
        Some(rest) => {
            parts.push(part("SANDBOX".into(), Role::Warn, 0, true));
            if !rest.trim().is_empty() {
                parts.push(part(rest.trim().into(), Role::Muted, 7, true));
            }
        }
        None => parts.push(part(app.db_label.clone(), Role::Muted, 5, true)),
    }
    parts
}

fn width_of(parts: &[&Part]) -> usize {
    let right: Vec<_> = parts.iter().filter(|p| p.right).collect();
    let left: usize = parts
        .iter()
        .filter(|p| !p.right)
        .map(|p| p.text.width())
        .sum();
    let right_w: usize = right.iter().map(|p| p.text.width()).sum::<usize>()
        + SEPARATOR.width() * right.len().saturating_sub(1);
    // One space between the sides and one at the right edge.
    left + right_w + 2
}

pub fn render_title(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.ui.theme;
    let all = parts(app);
    let mut kept: Vec<&Part> = all.iter().collect();
    while width_of(&kept) > area.width as usize {
        let Some(worst) = kept
            .iter()
            .enumerate()
            .filter(|(_, p)| p.rank > 0)
            .max_by_key(|(i, p)| (p.rank, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        kept.remove(worst);
    }
    let left: Vec<Span> = kept
        .iter()
        .filter(|p| !p.right)
        .map(|p| Span::styled(p.text.clone(), t.style(p.role)))
        .collect();
    frame.render_widget(Paragraph::new(Line::from(left)), area);
    let mut right = Vec::new();
    for p in kept.iter().filter(|p| p.right) {
        if !right.is_empty() {
            right.push(Span::styled(SEPARATOR, t.style(Role::Muted)));
        }
        right.push(Span::styled(p.text.clone(), t.style(p.role)));
    }
    right.push(Span::raw(" "));
    frame.render_widget(Paragraph::new(Line::from(right).right_aligned()), area);
}

/// The tab bar: full titles, then short ones, then numbers only for the inactive tabs.
pub fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.ui.theme;
    let label = |tab: Tab, level: u8| match level {
        0 => tab.title_in(app.ui.lang),
        1 => tab.short_title_in(app.ui.lang),
        _ if tab == app.ui.tab => tab.short_title_in(app.ui.lang),
        _ => "",
    };
    let text_of = |level: u8| -> Vec<String> {
        Tab::ALL
            .iter()
            .enumerate()
            .map(|(i, tab)| {
                let marker = if *tab == app.ui.tab { ">" } else { " " };
                let name = label(*tab, level);
                if name.is_empty() {
                    format!("{marker}{} ", i + 1)
                } else {
                    format!("{marker}{} {name} ", i + 1)
                }
            })
            .collect()
    };
    let fits = |texts: &[String]| {
        // One leading space, then each tab and a space after it.
        texts.iter().map(|s| s.width() + 1).sum::<usize>() < area.width as usize
    };
    let texts = (0..3)
        .map(text_of)
        .find(|x| fits(x))
        .unwrap_or_else(|| text_of(2));
    let mut spans = vec![Span::raw(" ")];
    for (tab, text) in Tab::ALL.iter().zip(texts) {
        let role = if *tab == app.ui.tab {
            Role::TabActive
        } else {
            Role::TabInactive
        };
        spans.push(Span::styled(text, t.style(role)));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
