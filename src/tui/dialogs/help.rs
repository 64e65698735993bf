//! The help overlay: every binding of the keymap, grouped by context, wrapped to the width.
//! It scrolls by line, page, to the top and to the end, and stops at its last line.

use std::cell::Cell;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::keymap::{self, Action, Context};
use crate::tui::msg::Outcome;
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Ui};
use crate::tui::widgets::{centered, wrap_text};

#[derive(Debug, Default)]
pub struct HelpDialog {
    /// First line shown, as asked by keys; drawing clamps it to the last full page.
    pub scroll: usize,
    /// Lines in view and the largest useful scroll, both from the last frame (they depend on
    /// the terminal's size, which only drawing knows).
    pub page: Cell<usize>,
    pub max_scroll: Cell<usize>,
}

impl HelpDialog {
    /// The scroll to draw with `total` lines in a view of `page` lines; remembered for keys.
    pub fn clamp(&self, total: usize, page: usize) -> usize {
        let max = total.saturating_sub(page);
        self.page.set(page);
        self.max_scroll.set(max);
        self.scroll.min(max)
    }
}

impl Overlay for HelpDialog {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Help]
    }

    fn on_key(&mut self, action: Option<Action>, _key: &KeyEvent, _ui: &mut Ui) -> Outcome {
        let max = self.max_scroll.get();
        let page = self.page.get().max(1);
        // Start from what is on screen, so a key after the end moves at once.
        let at = self.scroll.min(max);
        self.scroll = match action {
            Some(Action::Close) => return Outcome::Close,
            Some(Action::ScrollDown) => (at + 1).min(max),
            Some(Action::ScrollUp) => at.saturating_sub(1),
            Some(Action::PageDown) => (at + page).min(max),
            Some(Action::PageUp) => at.saturating_sub(page),
            Some(Action::Home) => 0,
            Some(Action::End) => max,
            _ => return Outcome::Ignored,
        };
        Outcome::Handled(vec![])
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        let help = self;
        let t = &ui.theme;
        let rect = centered(area, 72, area.height);
        frame.render_widget(Clear, rect);
        let inner_w = rect.width.saturating_sub(2) as usize;
        let page = rect.height.saturating_sub(2) as usize;
        let all = lines(ui, inner_w);
        let total = all.len();
        let scroll = help.clamp(total, page);
        let shown: Vec<Line> = all.into_iter().skip(scroll).take(page).collect();
        let position = if total <= page {
            String::new()
        } else {
            let (from, to) = (scroll + 1, (scroll + page).min(total));
            ui.lang.trf(
                "help.position",
                &[("from", &from), ("to", &to), ("total", &total)],
            )
        };
        let close = keymap::key_for(Context::Help, Action::Close);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocus))
            .title(ui.lang.tr("help.title"))
            .title(Line::styled(position, t.style(Role::Muted)).right_aligned())
            .title_bottom(ui.lang.trf("help.bottom", &[("close", &close)]));
        frame.render_widget(Paragraph::new(shown).block(block), rect);
    }
}

const KEYS_WIDTH: usize = 14;

/// Every line of the help at `width` columns.
fn lines(ui: &Ui, width: usize) -> Vec<Line<'static>> {
    let (theme, lang) = (&ui.theme, ui.lang);
    let mut lines = Vec::new();
    // Which language is shown and why, so a user knows what to change.
    if let Some(choice) = &ui.lang_choice {
        let text = lang.trf("help.language", &[("choice", &choice.describe())]);
        for part in wrap_text(&text, width, usize::MAX) {
            lines.push(Line::styled(part, theme.style(Role::Muted)));
        }
        lines.push(Line::raw(""));
    }
    let desc_width = width.saturating_sub(KEYS_WIDTH + 3).max(8);
    for ctx in Context::ALL {
        lines.push(Line::styled(ctx.title_in(lang), theme.style(Role::Title)));
        for b in keymap::bindings_of(ctx) {
            let keys = b.all_keys_label();
            for (i, part) in wrap_text(b.desc_in(lang), desc_width, usize::MAX)
                .into_iter()
                .enumerate()
            {
                let keys = if i == 0 { keys.as_str() } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<KEYS_WIDTH$} "), theme.style(Role::Key)),
                    Span::raw(part),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    for note in [lang.tr("help.note_fields"), lang.tr("help.note_paste")] {
        for part in wrap_text(note, width, usize::MAX) {
            lines.push(Line::styled(part, theme.style(Role::Muted)));
        }
    }
    lines
}
