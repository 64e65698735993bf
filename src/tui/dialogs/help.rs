//! The help overlay: every binding of the keymap, grouped by context, wrapped to the width.
//! It scrolls by line, page, to the top and to the end, and stops at its last line.

use std::cell::Cell;

use crate::tui::keymap::Action;
use crate::tui::msg::Outcome;

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
    pub fn on_action(&mut self, action: Option<Action>) -> Outcome {
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

    /// The scroll to draw with `total` lines in a view of `page` lines; remembered for keys.
    pub fn clamp(&self, total: usize, page: usize) -> usize {
        let max = total.saturating_sub(page);
        self.page.set(page);
        self.max_scroll.set(max);
        self.scroll.min(max)
    }
}
