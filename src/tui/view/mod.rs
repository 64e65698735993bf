//! Rendering: a pure function of `&App`. Overlays are drawn last, in stack order.

mod channels;
mod configure;
mod form;
mod help;
mod delivery_log;
mod members;
mod subscriptions;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{App, Level, Overlay, Tab};
use super::keymap;
use super::theme::{Role, Theme};

/// Below this the layout cannot show the dialog without cutting fields off.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

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
    render_title(app, frame, title);
    render_tabs(app, frame, tabs);
    match app.tab {
        Tab::Channels => channels::render(app, frame, body),
        Tab::Subscription => subscriptions::render(app, frame, body),
        Tab::Members => members::render_tab(app, frame, body),
        Tab::Log => delivery_log::render_tab(app, frame, body),
    }
    render_status(app, frame, status);
    render_footer(app, frame, footer);
    for overlay in &app.overlays {
        match overlay {
            Overlay::Configure(d) => configure::render(app, d, frame, body.union(status)),
            Overlay::ConfirmDiscard => render_confirm(app, frame, area),
            Overlay::Help { scroll } => help::render(app, *scroll, frame, area),
            Overlay::MemberForm(f) => members::render_form(app, f, frame, body.union(status)),
            Overlay::ConfirmDelete { name, .. } => {
                members::render_confirm_delete(app, name, frame, area)
            }
            Overlay::Receivers(p) => members::render_picker(app, p, frame, body.union(status)),
            Overlay::Delivery(r) => delivery_log::render_detail(app, r, frame, area),
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

fn render_title(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let left = Line::from(vec![
        Span::styled(" notifydesk ", t.style(Role::Title)),
        Span::styled("Notification > Subscription", t.style(Role::Base)),
    ]);
    frame.render_widget(Paragraph::new(left), area);
    // Outbox counters (always visible), then where the data lives, as room allows.
    let c = &app.log.counts;
    let mut spans = Vec::new();
    let mut used = 0usize;
    if app.log.db_busy {
        let text = "database busy";
        used += text.len() + 3;
        spans.push(Span::styled(text, t.style(Role::Warn)));
        spans.push(Span::styled(" · ", t.style(Role::Muted)));
    }
    if app.log.loaded {
        let mut counters = vec![
            (
                format!("{} pending", c.pending + c.sending),
                Role::Warn,
                c.pending + c.sending > 0,
            ),
            (format!("{} sent", c.sent), Role::Ok, c.sent > 0),
            (format!("{} failed", c.failed), Role::Error, c.failed > 0),
        ];
        if c.unknown > 0 {
            counters.push((format!("{} maybe sent", c.unknown), Role::Warn, true));
        }
        for (text, role, active) in counters {
            used += text.chars().count() + 3;
            spans.push(Span::styled(
                text,
                t.style(if active { role } else { Role::Muted }),
            ));
            spans.push(Span::styled(" · ", t.style(Role::Muted)));
        }
    }
    let room = (area.width as usize).saturating_sub(42 + used);
    if room >= 8 {
        spans.push(Span::styled(
            truncate_left(&app.db_label, room - 1),
            t.style(Role::Muted),
        ));
    } else {
        spans.pop();
    }
    spans.push(Span::raw(" "));
    frame.render_widget(Paragraph::new(Line::from(spans).right_aligned()), area);
}

fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let active = *tab == app.tab;
        let marker = if active { ">" } else { " " };
        let text = format!("{marker}{} {} ", i + 1, tab.title());
        let role = if active {
            Role::TabActive
        } else {
            Role::TabInactive
        };
        spans.push(Span::styled(text, t.style(role)));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some((level, text)) = &app.status else {
        return;
    };
    let (marker, role) = match level {
        Level::Info => ("·", Role::Base),
        Level::Ok => ("✓", Role::Ok),
        Level::Error => ("✗", Role::Error),
    };
    let width = area.width.saturating_sub(3) as usize;
    let line = Line::from(vec![
        Span::styled(format!(" {marker} "), t.style(role)),
        Span::styled(truncate(text, width), t.style(role)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// Hints from the keymap for what currently has the keys; shortened to fit, never clipped
/// mid-hint, and always ending with the help key when there is room for nothing else.
fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let hints = keymap::footer_hints(&app.contexts());
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1usize;
    let width = area.width as usize;
    for (keys, desc) in hints {
        let w = keys.chars().count() + desc.chars().count() + 3;
        if used + w > width {
            break;
        }
        spans.push(Span::styled(keys, t.style(Role::Key)));
        spans.push(Span::styled(format!(" {desc}  "), t.style(Role::Muted)));
        used += w;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_confirm(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let rect = centered(area, 44, 5);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(" Discard changes? ");
    let text = vec![
        Line::raw("The dialog has unsaved changes."),
        Line::from(vec![
            Span::styled("y", t.style(Role::Key)),
            Span::raw(" discard   "),
            Span::styled("n", t.style(Role::Key)),
            Span::raw("/"),
            Span::styled("Esc", t.style(Role::Key)),
            Span::raw(" keep editing"),
        ]),
    ];
    frame.render_widget(Paragraph::new(text).block(block), rect);
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

pub fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

fn truncate_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = s.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

/// Word-wrap `text` to `width` columns, at most `max_lines` lines (the last ends in `…` if cut).
pub fn wrap_text(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed = if current.is_empty() {
            word.width()
        } else {
            current.width() + 1 + word.width()
        };
        if needed <= width {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word longer than the line is split by characters.
        let mut rest = word;
        while rest.width() > width {
            let mut cut = 0;
            let mut w = 0;
            for (i, ch) in rest.char_indices() {
                let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if w + cw > width {
                    break;
                }
                w += cw;
                cut = i + ch.len_utf8();
            }
            if cut == 0 {
                break;
            }
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        current.push_str(rest);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            *last = truncate(&format!("{last} …"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
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
