//! The Channel Management tab: one card per channel, two per row; a card opens the Configure
//! dialog (Enter) or tests the saved configuration (t).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};

use crate::domain::{ChannelKind, ChannelSummary, sanitize_text};
use crate::i18n::words;
use crate::tui::dialogs::message::MessageDialog;
use crate::tui::keymap::{self, Action, Context};
use crate::tui::msg::{Effect, Outcome};
use crate::tui::theme::Role;
use crate::tui::ui::{Level, Tab, TabUnit, Ui};
use crate::tui::widgets::{SPINNER, format_time, split_even, truncate, wrap_text};

/// A test started from a card with the stored configuration (key `t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardTest {
    Idle,
    Sending { seq: u64 },
}

#[derive(Debug)]
pub struct ChannelsTab {
    pub channels: Vec<ChannelSummary>,
    pub loaded: bool,
    pub selected: usize,
    pub card_test: CardTest,
}

impl Default for ChannelsTab {
    fn default() -> ChannelsTab {
        ChannelsTab {
            channels: ChannelKind::ALL
                .into_iter()
                .map(ChannelSummary::unconfigured)
                .collect(),
            loaded: false,
            selected: 0,
            card_test: CardTest::Idle,
        }
    }
}

impl ChannelsTab {
    /// Whether a personal channel exists that the Personal Channel column can send through.
    pub fn personal_configured(&self) -> bool {
        self.channels.iter().any(|c| c.supported && c.configured)
    }

    pub fn selected_channel(&self) -> Option<&ChannelSummary> {
        self.channels.get(self.selected)
    }

    pub fn set(&mut self, list: Vec<ChannelSummary>) {
        self.channels = list;
        self.loaded = true;
        self.selected = self.selected.min(self.channels.len().saturating_sub(1));
    }

    /// Test `seq` ended; only the card's own test (`t`) is reported here.
    pub fn test_finished(&mut self, seq: u64, ok: bool, summary: String, ui: &mut Ui) {
        if self.card_test != (CardTest::Sending { seq }) {
            return;
        }
        self.card_test = CardTest::Idle;
        if ok {
            ui.set_status(Level::Ok, ui.lang.tr("card.test_ok_status"));
        } else {
            ui.set_status(Level::Error, summary);
        }
    }

    pub fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect) {
        render(self, ui, frame, area);
    }
}

impl TabUnit for ChannelsTab {
    fn contexts(&self) -> Vec<Context> {
        vec![Context::Channels, Context::Global]
    }

    fn on_key(&mut self, action: Option<Action>, _key: &KeyEvent, ui: &mut Ui) -> Outcome {
        let Some(action) = action else {
            return Outcome::Ignored;
        };
        let n = self.channels.len().max(1);
        match action {
            Action::Left => self.selected = (self.selected + n - 1) % n,
            Action::Right => self.selected = (self.selected + 1) % n,
            // Cards are laid out two per row.
            Action::Up => self.selected = self.selected.saturating_sub(2),
            Action::Down => self.selected = (self.selected + 2).min(n - 1),
            Action::Reload => {
                return Outcome::Handled(ui.reload(Tab::Channels, Effect::LoadChannels));
            }
            Action::ViewFull => {
                let failed = self
                    .selected_channel()
                    .and_then(|c| c.last_test.as_ref())
                    .filter(|t| !t.ok)
                    .map(|t| t.summary.clone());
                match failed {
                    Some(text) => ui.open(MessageDialog {
                        title: ui.lang.tr("card.last_failed_title").into(),
                        text: sanitize_text(&text),
                    }),
                    None => ui.set_status(Level::Info, ui.lang.tr("card.no_failed_test")),
                }
            }
            Action::Configure => {
                let Some(ch) = self.selected_channel() else {
                    return Outcome::Handled(vec![]);
                };
                return Outcome::Handled(vec![Effect::LoadConfig(ch.kind)]);
            }
            Action::TestStored => {
                let Some(ch) = self.selected_channel().cloned() else {
                    return Outcome::Handled(vec![]);
                };
                if !ch.configured {
                    ui.set_status(
                        Level::Info,
                        ui.lang.trf(
                            "card.not_configured",
                            &[("channel", &words::channel_title(ui.lang, ch.kind))],
                        ),
                    );
                    return Outcome::Handled(vec![]);
                }
                if self.card_test != CardTest::Idle {
                    return Outcome::Handled(vec![]);
                }
                if ch.receiver.is_none() {
                    ui.set_status(Level::Error, ui.lang.tr("card.no_receiver"));
                    return Outcome::Handled(vec![]);
                }
                let seq = ui.next_seq();
                self.card_test = CardTest::Sending { seq };
                ui.set_status(Level::Info, ui.lang.tr("card.sending"));
                return Outcome::Handled(vec![Effect::TestStored { seq, kind: ch.kind }]);
            }
            _ => return Outcome::Ignored,
        }
        Outcome::Handled(vec![])
    }
}

fn render(tab: &ChannelsTab, ui: &Ui, frame: &mut Frame, area: Rect) {
    let rows = tab.channels.len().div_ceil(2).max(1);
    let row_areas = split_even(area, rows as u16, true);
    for (i, ch) in tab.channels.iter().enumerate() {
        let cell = split_even(row_areas[i / 2], 2, false)[i % 2];
        render_card(ui, tab, ch, i == tab.selected, frame, cell);
    }
}

fn render_card(
    ui: &Ui,
    tab: &ChannelsTab,
    ch: &ChannelSummary,
    selected: bool,
    frame: &mut Frame,
    area: Rect,
) {
    let (t, lang) = (&ui.theme, ui.lang);
    let marker = if selected { "> " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .padding(Padding::horizontal(1))
        .border_style(t.style(if selected {
            Role::BorderFocus
        } else {
            Role::Border
        }))
        .title(Span::styled(
            format!(" {marker}{} ", words::channel_title(lang, ch.kind)),
            t.style(if selected { Role::Title } else { Role::Label }),
        ));
    let inner_w = area.width.saturating_sub(4) as usize;
    let mut lines = Vec::new();
    let status_role = if ch.configured { Role::Ok } else { Role::Warn };
    lines.push(Line::styled(
        truncate(&words::status_text(lang, ch), inner_w),
        t.style(status_role),
    ));
    if ch.configured {
        let source = words::source_column(lang, ch.source_column.unwrap_or_default());
        let line = |key: &str, value: &dyn std::fmt::Display| {
            Line::raw(truncate(&lang.trf(key, &[("value", value)]), inner_w))
        };
        if let Some(agent) = ch.agent_id {
            lines.push(line("card.agent_id", &agent));
        }
        lines.push(line("card.source_column", &source));
        if let Some(id) = &ch.template_id {
            lines.push(line("card.template_id", id));
        }
        if let Some(r) = &ch.receiver {
            lines.push(line("card.receiver", r));
        }
    } else {
        let needs = words::channel_needs(lang, ch.kind);
        lines.push(Line::styled(truncate(needs, inner_w), t.style(Role::Muted)));
    }
    let sending = selected && matches!(tab.card_test, CardTest::Sending { .. });
    if sending {
        let spin = SPINNER[ui.frame % SPINNER.len()];
        lines.push(Line::styled(
            format!("{spin} {}", lang.tr("card.sending")),
            t.style(Role::Warn),
        ));
    } else if let Some(test) = &ch.last_test {
        let when = format_time(test.at, ui.utc_offset);
        let (head, role) = if test.ok {
            (lang.tr("card.last_ok"), Role::Ok)
        } else {
            (lang.tr("card.last_failed"), Role::Error)
        };
        // The time goes beside the result when it fits, leaving a line to the error.
        let beside = format!("{head} {when}");
        if unicode_width::UnicodeWidthStr::width(beside.as_str()) <= inner_w {
            lines.push(Line::styled(beside, t.style(role)));
        } else {
            lines.push(Line::styled(head, t.style(role)));
            let at = lang.trf("card.at", &[("when", &when)]);
            lines.push(Line::styled(at, t.style(Role::Muted)));
        }
        if !test.ok {
            // All the room the card has (the hint keeps the last line): the fix comes last.
            let inner_h = area.height.saturating_sub(2) as usize;
            let room = inner_h.saturating_sub(lines.len() + 1).max(1);
            let whole = wrap_text(&test.summary, inner_w, usize::MAX);
            if whole.len() <= room || !selected {
                for l in wrap_text(&test.summary, inner_w, room) {
                    lines.push(Line::styled(l, t.style(Role::Error)));
                }
            } else {
                // Cut: the last line says where the whole text is.
                for l in wrap_text(&test.summary, inner_w, room.saturating_sub(1).max(1)) {
                    lines.push(Line::styled(l, t.style(Role::Error)));
                }
                let view = keymap::key_for(Context::Channels, Action::ViewFull);
                lines.push(Line::styled(
                    lang.trf("card.full_text", &[("key", &view)]),
                    t.style(Role::Key),
                ));
            }
        }
    } else if ch.configured {
        lines.push(Line::styled(
            lang.tr("card.not_tested"),
            t.style(Role::Muted),
        ));
    }
    if selected {
        let hint = if ch.configured {
            lang.tr("card.hint_configured")
        } else {
            lang.tr("card.hint")
        };
        let inner_h = area.height.saturating_sub(2) as usize;
        // Keep the hint on the last line of the card.
        while lines.len() + 1 < inner_h {
            lines.push(Line::raw(""));
        }
        lines.truncate(inner_h.saturating_sub(1));
        lines.push(Line::styled(truncate(hint, inner_w), t.style(Role::Key)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
