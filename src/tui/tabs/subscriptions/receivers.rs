//! The custom receivers picker of a subscription row: members to add on top of the row's
//! default receiver, with a `/` filter over names and logins: its state, keys and drawing.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::domain::member_table::MemberTable;
use crate::domain::subscription::SubscriptionRow;
use crate::i18n::{known, words};
use crate::tui::filter::{Filter, SearchText};
use crate::tui::keymap::{Action, Context};
use crate::tui::list;
use crate::tui::msg::{Effect, Outcome};
use crate::tui::theme::Role;
use crate::tui::ui::{Overlay, Request, Ui};
use crate::tui::widgets::{centered, truncate};

#[derive(Debug)]
pub struct ReceiversPicker {
    pub type_code: String,
    pub node_code: String,
    pub title: String,
    pub default_receiver: String,
    /// (login, name, chosen)
    pub choices: Vec<(String, String, bool)>,
    /// Index into `shown()`.
    pub cursor: usize,
    pub filter: Filter,
    pub saving: bool,
    pub notice: Option<String>,
    /// Choices looked at by the filter so far (work counted by the tests).
    pub examined: std::cell::Cell<u64>,
    /// Logins and names lowercased, and the choices the filter lets through: a key or a frame
    /// over 100,000 members uses these rather than filtering again.
    text: SearchText,
    shown: Vec<usize>,
}

impl ReceiversPicker {
    pub fn new(
        type_code: String,
        node_code: String,
        title: String,
        default_receiver: String,
        choices: Vec<(String, String, bool)>,
    ) -> ReceiversPicker {
        ReceiversPicker {
            type_code,
            node_code,
            title,
            default_receiver,
            choices,
            cursor: 0,
            filter: Filter::default(),
            saving: false,
            notice: None,
            examined: Default::default(),
            text: SearchText::default(),
            shown: vec![],
        }
        .with_text()
    }

    fn with_text(mut self) -> ReceiversPicker {
        let rows = self
            .choices
            .iter()
            .map(|(l, n, _)| [l.as_str(), n.as_str()]);
        self.text = SearchText::new(rows);
        self.refilter();
        self
    }

    /// The picker of `row`, offering every member (those already chosen ticked).
    pub fn for_row(row: &SubscriptionRow, members: &MemberTable) -> ReceiversPicker {
        let choices = (0..members.len())
            .map(|i| {
                let login = members.login(i);
                let chosen = row
                    .custom_receivers
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(login));
                (login.to_string(), members.name(i).to_string(), chosen)
            })
            .collect();
        ReceiversPicker::new(
            row.type_code.clone(),
            row.node_code.clone(),
            format!("{} / {}", row.type_label, row.node_label),
            row.receiver.clone(),
            choices,
        )
    }

    pub fn chosen(&self) -> Vec<String> {
        self.choices
            .iter()
            .filter(|c| c.2)
            .map(|c| c.0.clone())
            .collect()
    }

    /// Indexes of the choices matching the filter.
    pub fn shown(&self) -> &[usize] {
        &self.shown
    }

    /// After the filter changed: match again, keep the cursor inside the list.
    pub fn refilter(&mut self) {
        self.shown = match self.filter.needle() {
            Some(needle) => {
                self.examined
                    .set(self.examined.get() + self.choices.len() as u64);
                let found = self.text.find(&needle);
                found.into_iter().map(|i| i as usize).collect()
            }
            None => (0..self.choices.len()).collect(),
        };
        self.clamp();
    }

    pub fn save_failed(&mut self, error: &impl std::fmt::Display) {
        self.saving = false;
        self.notice = Some(format!("Not saved: {error}"));
    }

    pub fn toggle(&mut self) {
        if let Some(&i) = self.shown().get(self.cursor) {
            self.choices[i].2 = !self.choices[i].2;
        }
    }

    pub fn move_by(&mut self, delta: isize) {
        self.cursor = list::step(self.cursor, self.shown().len(), delta);
    }

    /// Keeps the cursor inside the shown choices.
    pub fn clamp(&mut self) {
        self.cursor = self.cursor.min(self.shown().len().saturating_sub(1));
    }
}

impl Overlay for ReceiversPicker {
    fn contexts(&self) -> Vec<Context> {
        if self.filter.editing {
            vec![Context::Filter]
        } else {
            vec![Context::Picker]
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome {
        if self.filter.editing {
            if ui.filter_changed(self.filter.on_key(action, key)) {
                self.refilter();
            }
            return Outcome::Handled(vec![]);
        }
        match action {
            Some(Action::Filter) => self.filter.start(),
            Some(Action::Up) => self.move_by(-1),
            Some(Action::Down) => self.move_by(1),
            Some(Action::Toggle) => self.toggle(),
            Some(Action::Save) if !self.saving => {
                self.saving = true;
                let (type_code, node_code) = (self.type_code.clone(), self.node_code.clone());
                ui.request(Request::RecordReceivers {
                    type_code: type_code.clone(),
                    node_code: node_code.clone(),
                });
                return Outcome::Handled(vec![Effect::SetReceivers {
                    type_code,
                    node_code,
                    logins: self.chosen(),
                }]);
            }
            // Esc clears an active filter first, then closes.
            Some(Action::Close) if self.filter.clear() => self.refilter(),
            Some(Action::Close) => return Outcome::Close,
            _ => ui.unchanged(),
        }
        Outcome::Handled(vec![])
    }

    fn on_paste(&mut self, text: &str, ui: &mut Ui) -> Vec<Effect> {
        match self.filter.paste(text) {
            true => self.refilter(),
            false => ui.unchanged(),
        }
        vec![]
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        draw_picker(ui, self, frame, area);
    }
}

fn draw_picker(ui: &Ui, p: &ReceiversPicker, frame: &mut Frame, area: Rect) {
    let (t, lang) = (&ui.theme, ui.lang);
    // The picker keeps the English names it was made with; the codes name the row.
    let title = words::type_node_label(lang, &p.type_code, &p.node_code, &p.title);
    let width = area.width.min(64);
    let inner_w = width.saturating_sub(4) as usize;
    let max_list = area.height.saturating_sub(9).max(3) as usize;
    let mut lines = vec![
        Line::styled(truncate(&title, inner_w), t.style(Role::Label)),
        Line::from(vec![
            // The same marker column as the members below, so the boxes line up.
            Span::styled(" [#] ", t.style(Role::Muted)),
            Span::styled(
                truncate(
                    &lang.trf(
                        "picker.default",
                        &[("name", &words::receiver_label(lang, &p.default_receiver))],
                    ),
                    inner_w - 5,
                ),
                t.style(Role::Muted),
            ),
        ]),
    ];
    if p.filter.is_shown() {
        lines.push(Line::styled(
            truncate(&p.filter.label_in(lang), inner_w),
            t.style(Role::Label),
        ));
    }
    let shown = p.shown();
    if shown.is_empty() {
        lines.push(Line::styled(
            lang.tr("list.nothing_matches"),
            t.style(Role::Muted),
        ));
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
        let n = known::translate(lang, n);
        lines.push(Line::styled(truncate(&n, inner_w), t.style(Role::Error)));
    } else if p.saving {
        lines.push(Line::styled(
            lang.tr("configure.saving"),
            t.style(Role::Warn),
        ));
    }
    let rect = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocus))
        .title(Span::styled(lang.tr("picker.title"), t.style(Role::Title)))
        .title(
            Line::styled(
                lang.trf("picker.chosen", &[("n", &p.chosen().len())]),
                t.style(Role::Muted),
            )
            .right_aligned(),
        )
        .title_bottom(Line::styled(lang.tr("picker.bottom"), t.style(Role::Muted)).right_aligned());
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
