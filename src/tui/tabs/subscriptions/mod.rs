//! State of the Subscription tab: a checkbox grid of (type, node) rows × methods.
//! Toggles are applied at once (optimistically) and saved as one batch; the last batch can be
//! undone. Rendering shows only the rows that fit, so thousands of rows cost nothing extra.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::domain::subscription::{Method, MethodChange, SubscriptionRow};
use crate::i18n::{Lang, words};
use crate::tui::filter::Filter;
use crate::tui::ui::Ui;

mod draw;
mod keys;
pub mod receivers;

/// Methods that have a column the cursor can reach (Inbox is shown but locked).
pub const COLUMNS: [Method; 6] = Method::ALL;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A type heading, with the index of its first row.
    Type(usize),
    Row(usize),
}

/// One undoable change: a batch of method changes, or a row's custom receivers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UndoStep {
    Methods(Vec<MethodChange>),
    /// The receivers a row had before; undoing saves them back.
    Receivers {
        type_code: String,
        node_code: String,
        logins: Vec<String>,
    },
}

#[derive(Debug, Default)]
pub struct Grid {
    pub rows: Vec<SubscriptionRow>,
    /// Display lines after the filter: type headings and rows.
    pub lines: Vec<Line>,
    /// Index into `lines`; always on a `Line::Row` when there is one.
    pub cursor: usize,
    /// Index into `COLUMNS`.
    pub col: usize,
    pub filter: Filter,
    pub undo: Vec<UndoStep>,
    /// Row of each (type, node): the Delivery Log looks labels up per visible row and frame.
    /// (type → node → row), so a lookup by `&str` allocates nothing.
    by_codes: std::collections::HashMap<String, std::collections::HashMap<String, usize>>,
    pub loaded: bool,
    /// First display line shown; updated by the view so the cursor stays visible.
    pub offset: Cell<usize>,
}

impl Grid {
    /// `personal_configured`: whether the Personal Channel column can send anywhere.
    pub fn draw(&self, ui: &Ui, personal_configured: bool, frame: &mut Frame, area: Rect) {
        draw::render(self, ui, personal_configured, frame, area);
    }

    pub fn new() -> Grid {
        Grid {
            col: COLUMNS.len() - 1, // start on Personal Channel, the column this tool is about
            ..Grid::default()
        }
    }

    pub fn set_rows(&mut self, rows: Vec<SubscriptionRow>) {
        let keep = self
            .current_row()
            .map(|r| (r.type_code.clone(), r.node_code.clone()));
        self.rows = rows;
        self.by_codes.clear();
        for (i, r) in self.rows.iter().enumerate() {
            self.by_codes
                .entry(r.type_code.clone())
                .or_default()
                .insert(r.node_code.clone(), i);
        }
        self.loaded = true;
        self.rebuild();
        if let Some((t, n)) = keep
            && let Some(pos) = self.lines.iter().position(|l| {
                matches!(l, Line::Row(i) if self.rows[*i].type_code == t && self.rows[*i].node_code == n)
            }) {
                self.cursor = pos;
            }
    }

    /// Recompute the display lines from the rows and the filter.
    pub fn rebuild(&mut self) {
        let needle = self.filter.value().trim().to_lowercase();
        let mut lines = Vec::with_capacity(self.rows.len() + 8);
        let mut last_type: Option<&str> = None;
        for (i, r) in self.rows.iter().enumerate() {
            if !needle.is_empty() && !row_matches(r, &needle) {
                continue;
            }
            if last_type != Some(r.type_code.as_str()) {
                lines.push(Line::Type(i));
                last_type = Some(r.type_code.as_str());
            }
            lines.push(Line::Row(i));
        }
        self.lines = lines;
        self.cursor = self.cursor.min(self.lines.len().saturating_sub(1));
        self.snap_to_row(true);
    }

    fn snap_to_row(&mut self, forward: bool) {
        if self.lines.is_empty() {
            self.cursor = 0;
            return;
        }
        if matches!(self.lines.get(self.cursor), Some(Line::Row(_))) {
            return;
        }
        let found = if forward {
            (self.cursor..self.lines.len()).find(|&i| matches!(self.lines[i], Line::Row(_)))
        } else {
            (0..=self.cursor)
                .rev()
                .find(|&i| matches!(self.lines[i], Line::Row(_)))
        };
        if let Some(i) =
            found.or_else(|| (0..self.lines.len()).find(|&i| matches!(self.lines[i], Line::Row(_))))
        {
            self.cursor = i;
        }
    }

    /// The catalogue's labels of a (type, node), as the Delivery Log shows them.
    pub fn labels(&self, type_code: &str, node_code: &str) -> Option<(&str, &str)> {
        let i = *self.by_codes.get(type_code)?.get(node_code)?;
        let r = &self.rows[i];
        Some((r.type_label.as_str(), r.node_label.as_str()))
    }

    pub fn current_index(&self) -> Option<usize> {
        match self.lines.get(self.cursor) {
            Some(Line::Row(i)) => Some(*i),
            _ => None,
        }
    }

    pub fn current_row(&self) -> Option<&SubscriptionRow> {
        self.current_index().map(|i| &self.rows[i])
    }

    pub fn column(&self) -> Method {
        COLUMNS[self.col.min(COLUMNS.len() - 1)]
    }

    pub fn visible_rows(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| matches!(l, Line::Row(_)))
            .count()
    }

    pub fn move_rows(&mut self, delta: isize) {
        if self.lines.is_empty() {
            return;
        }
        let mut steps = delta.unsigned_abs();
        let forward = delta > 0;
        let mut i = self.cursor;
        while steps > 0 {
            let next = if forward {
                (i + 1..self.lines.len()).find(|&j| matches!(self.lines[j], Line::Row(_)))
            } else {
                (0..i)
                    .rev()
                    .find(|&j| matches!(self.lines[j], Line::Row(_)))
            };
            match next {
                Some(j) => i = j,
                None => break,
            }
            steps -= 1;
        }
        self.cursor = i;
    }

    pub fn home(&mut self) {
        self.cursor = 0;
        self.snap_to_row(true);
    }

    pub fn end(&mut self) {
        self.cursor = self.lines.len().saturating_sub(1);
        self.snap_to_row(false);
    }

    pub fn move_col(&mut self, delta: isize) {
        let n = COLUMNS.len() as isize;
        // Inbox (column 0) is locked; the cursor skips it.
        let mut c = self.col as isize + delta;
        if c < 1 {
            c = n - 1;
        } else if c >= n {
            c = 1;
        }
        self.col = c as usize;
    }

    /// Apply changes to the rows in memory and return them, skipping no-ops.
    fn apply(&mut self, changes: Vec<MethodChange>) -> Vec<MethodChange> {
        let mut applied = Vec::new();
        // Index once, so a column toggle over thousands of nodes stays linear.
        let index: std::collections::HashMap<(&str, &str), usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.type_code.as_str(), r.node_code.as_str()), i))
            .collect();
        let targets: Vec<Option<usize>> = changes
            .iter()
            .map(|c| {
                index
                    .get(&(c.type_code.as_str(), c.node_code.as_str()))
                    .copied()
            })
            .collect();
        for (ch, target) in changes.into_iter().zip(targets) {
            if let Some(r) = target.map(|i| &mut self.rows[i])
                && r.methods.contains(ch.method) != ch.on
                && ch.method.toggleable()
            {
                r.methods.set(ch.method, ch.on);
                applied.push(ch);
            }
        }
        applied
    }

    fn record(&mut self, changes: Vec<MethodChange>) -> Option<Vec<MethodChange>> {
        let applied = self.apply(changes);
        if applied.is_empty() {
            return None;
        }
        self.push_undo(UndoStep::Methods(applied.clone()));
        Some(applied)
    }

    fn push_undo(&mut self, step: UndoStep) {
        self.undo.push(step);
        if self.undo.len() > 100 {
            self.undo.remove(0);
        }
    }

    /// The custom receivers of a row are about to be replaced: remember the old ones for `u`.
    pub fn record_receivers(&mut self, type_code: &str, node_code: &str) {
        let Some(row) = self
            .rows
            .iter()
            .find(|r| r.type_code == type_code && r.node_code == node_code)
        else {
            return;
        };
        let step = UndoStep::Receivers {
            type_code: type_code.to_string(),
            node_code: node_code.to_string(),
            logins: row.custom_receivers.clone(),
        };
        self.push_undo(step);
    }

    /// Space: flip the focused cell.
    pub fn toggle_cell(&mut self) -> Result<Vec<MethodChange>, &'static str> {
        let m = self.column();
        if !m.toggleable() {
            return Err("Inbox is always on and cannot be changed");
        }
        let Some(r) = self.current_row() else {
            return Err("no row selected");
        };
        let change = MethodChange {
            type_code: r.type_code.clone(),
            node_code: r.node_code.clone(),
            method: m,
            on: !r.methods.contains(m),
        };
        Ok(self.record(vec![change]).unwrap_or_default())
    }

    /// Set the focused column for every node of the focused row's type (to the opposite of
    /// the focused cell, so pressing twice restores a uniform column).
    pub fn toggle_column_in_type(&mut self) -> Result<Vec<MethodChange>, &'static str> {
        let m = self.column();
        if !m.toggleable() {
            return Err("Inbox is always on and cannot be changed");
        }
        let Some(r) = self.current_row() else {
            return Err("no row selected");
        };
        let (ty, on) = (r.type_code.clone(), !r.methods.contains(m));
        let changes = self
            .rows
            .iter()
            .filter(|r| r.type_code == ty)
            .map(|r| MethodChange {
                type_code: r.type_code.clone(),
                node_code: r.node_code.clone(),
                method: m,
                on,
            })
            .collect();
        Ok(self.record(changes).unwrap_or_default())
    }

    /// Turn every method of the focused row on, or all off if they are all on already.
    pub fn toggle_row(&mut self) -> Result<Vec<MethodChange>, &'static str> {
        let Some(r) = self.current_row() else {
            return Err("no row selected");
        };
        let all_on = COLUMNS
            .iter()
            .filter(|m| m.toggleable())
            .all(|m| r.methods.contains(*m));
        let changes = COLUMNS
            .iter()
            .filter(|m| m.toggleable())
            .map(|m| MethodChange {
                type_code: r.type_code.clone(),
                node_code: r.node_code.clone(),
                method: *m,
                on: !all_on,
            })
            .collect();
        Ok(self.record(changes).unwrap_or_default())
    }

    /// Undo the last batch: the inverse changes, to be saved like any other.
    pub fn undo(&mut self) -> Option<UndoStep> {
        match self.undo.pop()? {
            UndoStep::Methods(last) => {
                let inverse: Vec<MethodChange> = last
                    .into_iter()
                    .rev()
                    .map(|c| MethodChange { on: !c.on, ..c })
                    .collect();
                Some(UndoStep::Methods(self.apply(inverse)))
            }
            receivers => Some(receivers),
        }
    }

    /// A save failed: put the rows back as they were and forget the batch.
    pub fn revert(&mut self, changes: &[MethodChange]) {
        let inverse = changes
            .iter()
            .rev()
            .map(|c| MethodChange {
                on: !c.on,
                ..c.clone()
            })
            .collect();
        self.apply(inverse);
        if self
            .undo
            .last()
            .is_some_and(|l| matches!(l, UndoStep::Methods(m) if m == changes))
        {
            self.undo.pop();
        }
    }
}

fn row_matches(r: &SubscriptionRow, needle: &str) -> bool {
    [
        &r.type_label,
        &r.node_label,
        &r.type_code,
        &r.node_code,
        &r.receiver,
    ]
    .iter()
    .any(|s| s.to_lowercase().contains(needle))
        || r.custom_receivers
            .iter()
            .any(|c| c.to_lowercase().contains(needle))
        // The catalogue's Chinese names match too, whatever the interface language.
        || [
            words::type_label(Lang::Zh, &r.type_code, ""),
            words::node_label(Lang::Zh, &r.type_code, &r.node_code, ""),
            words::receiver_label(Lang::Zh, &r.receiver),
        ]
        .iter()
        .any(|s| !s.is_empty() && s.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests;
