//! Pieces shared by the dialogs: labelled text fields with inline errors, buttons, and the
//! framed, centred dialog that keeps its buttons visible on short terminals.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, wrap_text};
use crate::tui::field::TextField;
use crate::tui::theme::Role;
use crate::tui::ui::Ui;

/// Lines of a form being built, and where the text cursor goes (row, column).
pub struct FormLines {
    pub lines: Vec<Line<'static>>,
    pub cursor: Option<(u16, u16)>,
    /// Width of the label column, marker and `*` included.
    pub label_w: usize,
    /// Width inside the dialog's padding.
    pub inner_w: usize,
}

pub struct FieldSpec<'a> {
    pub label: &'a str,
    pub required: bool,
    pub focused: bool,
    pub field: &'a TextField,
    pub placeholder: &'a str,
    pub reveal: bool,
    pub error: Option<&'a str>,
}

impl FormLines {
    pub fn new(label_w: usize, inner_w: usize) -> FormLines {
        FormLines {
            lines: Vec::new(),
            cursor: None,
            label_w,
            inner_w,
        }
    }

    fn box_w(&self) -> usize {
        self.inner_w.saturating_sub(self.label_w + 3).max(8)
    }

    /// `>* Label [value     ]`, then the field's error wrapped below it.
    pub fn field(&mut self, ui: &Ui, f: FieldSpec<'_>) {
        let t = &ui.theme;
        let box_w = self.box_w();
        let (text, cur) = f.field.visible(box_w, f.reveal);
        let (shown, role) = if text.is_empty() && !f.placeholder.is_empty() {
            (f.placeholder.to_string(), Role::Muted)
        } else {
            (text, Role::Base)
        };
        if f.focused {
            self.cursor = Some((self.lines.len() as u16, (self.label_w + 1 + cur) as u16));
        }
        let pad = box_w.saturating_sub(unicode_width::UnicodeWidthStr::width(shown.as_str()));
        let bracket = t.style(if f.focused {
            Role::BorderFocus
        } else {
            Role::Border
        });
        self.lines.push(Line::from(vec![
            self.label(ui, f.label, f.required, f.focused),
            Span::styled("[", bracket),
            Span::styled(format!("{shown}{}", " ".repeat(pad)), t.style(role)),
            Span::styled("]", bracket),
        ]));
        if let Some(e) = f.error {
            let width = self.inner_w.saturating_sub(self.label_w + 1);
            // Errors carry their fix at the end: room for all of it.
            for l in wrap_text(&format!("✗ {e}"), width, 5) {
                self.lines.push(Line::from(vec![
                    Span::raw(" ".repeat(self.label_w + 1)),
                    Span::styled(l, t.style(Role::Error)),
                ]));
            }
        }
    }

    /// The label column: focus marker, required star, right-aligned label.
    pub fn label(&self, ui: &Ui, label: &str, required: bool, focused: bool) -> Span<'static> {
        let marker = if focused { '>' } else { ' ' };
        let star = if required { '*' } else { ' ' };
        // Right-aligned by display width: a CJK label takes two cells a character.
        let fill = (self.label_w - 3).saturating_sub(unicode_width::UnicodeWidthStr::width(label));
        let text = format!("{marker}{star}{}{label} ", " ".repeat(fill));
        Span::styled(
            text,
            ui.theme
                .style(if focused { Role::Label } else { Role::Base }),
        )
    }

    /// `[ OK ]  [ Cancel ]`, right-aligned.
    pub fn ok_cancel(&mut self, ui: &Ui, ok_focused: bool, cancel_focused: bool) {
        self.lines.push(Line::from(vec![
            Span::raw(" ".repeat(self.inner_w.saturating_sub(18))),
            button(ui, ui.lang.tr("form.ok"), ok_focused),
            Span::raw("  "),
            button(ui, ui.lang.tr("form.cancel"), cancel_focused),
        ]));
    }
}

pub fn button(ui: &Ui, label: &str, focused: bool) -> Span<'static> {
    let text = if focused {
        format!("[>{label}<]")
    } else {
        format!("[ {label} ]")
    };
    Span::styled(
        text,
        ui.theme.style(if focused {
            Role::ButtonFocus
        } else {
            Role::Button
        }),
    )
}

/// Draw the form centred in `area`, `width` wide. On a short terminal the spacing lines go
/// first, then lines from the top, so the result and the buttons stay visible.
pub fn render_dialog(
    ui: &Ui,
    frame: &mut Frame,
    area: Rect,
    width: u16,
    title: &str,
    hint: &str,
    mut form: FormLines,
) {
    let t = &ui.theme;
    let max = area.height as usize;
    if form.lines.len() + 2 > max {
        let blank_before_cursor = form.cursor.map_or(0, |(row, _)| {
            form.lines[..row as usize]
                .iter()
                .filter(|l| l.width() == 0)
                .count() as u16
        });
        form.cursor = form
            .cursor
            .map(|(row, col)| (row - blank_before_cursor, col));
        form.lines.retain(|l| l.width() > 0);
    }
    if form.lines.len() + 2 > max {
        let cut = form.lines.len() + 2 - max;
        form.cursor = form
            .cursor
            .and_then(|(row, col)| row.checked_sub(cut as u16).map(|r| (r, col)));
        form.lines.drain(..cut);
    }
    let height = (form.lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(title.to_string(), t.style(Role::Title)))
        .title_bottom(Line::styled(hint.to_string(), t.style(Role::Muted)).right_aligned());
    let inner = block.inner(rect);
    let body = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(form.lines), body);
    if let Some((row, col)) = form.cursor
        && row < body.height
    {
        frame.set_cursor_position(Position::new(body.x + col, body.y + row));
    }
}
