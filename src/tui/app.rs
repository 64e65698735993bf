//! The App: all UI state, updated only by `handle(Msg)`, which returns effects for the runner.
//! Pure: no terminal, no tokio, no I/O, so every transition is testable on its own.

use chrono::FixedOffset;
use crossterm::event::{KeyEvent, KeyEventKind};

use super::configure::{ConfigureDialog, DialogRequest, Focus, TestState};
use super::keymap::{self, Action, Context};
use super::msg::{Effect, Msg};
use super::theme::Theme;
use crate::domain::{ChannelKind, ChannelSummary, sanitize_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Channels,
    Subscription,
}

impl Tab {
    pub const ALL: [Tab; 2] = [Tab::Channels, Tab::Subscription];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Channels => "Channel Management",
            Tab::Subscription => "Subscription",
        }
    }

    fn context(self) -> Context {
        match self {
            Tab::Channels => Context::Channels,
            Tab::Subscription => Context::Subscription,
        }
    }
}

#[derive(Debug)]
pub enum Overlay {
    Configure(Box<ConfigureDialog>),
    ConfirmDiscard,
    Help { scroll: u16 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Error,
}

/// A test started from a card with the stored configuration (key `t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardTest {
    Idle,
    Sending { seq: u64 },
}

pub struct AppOptions {
    /// Where the data lives, shown in the title bar.
    pub db_label: String,
    pub theme: Theme,
    /// Offset used to show times; injected so snapshots are stable.
    pub utc_offset: FixedOffset,
}

pub struct App {
    pub tab: Tab,
    pub channels: Vec<ChannelSummary>,
    pub channels_loaded: bool,
    pub selected: usize,
    pub overlays: Vec<Overlay>,
    pub status: Option<(Level, String)>,
    pub card_test: CardTest,
    pub should_quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Spinner frame, advanced by ticks while something runs.
    pub frame: usize,
    pub theme: Theme,
    pub db_label: String,
    pub utc_offset: FixedOffset,
    next_seq: u64,
}

impl App {
    pub fn new(opts: AppOptions) -> App {
        App {
            tab: Tab::Channels,
            channels: ChannelKind::ALL
                .into_iter()
                .map(ChannelSummary::unconfigured)
                .collect(),
            channels_loaded: false,
            selected: 0,
            overlays: Vec::new(),
            status: None,
            card_test: CardTest::Idle,
            should_quit: false,
            dirty: true,
            frame: 0,
            theme: opts.theme,
            db_label: opts.db_label,
            utc_offset: opts.utc_offset,
            next_seq: 0,
        }
    }

    pub fn init(&mut self) -> Vec<Effect> {
        vec![Effect::LoadChannels]
    }

    /// Whether a spinner is running (the loop ticks only then).
    pub fn animating(&self) -> bool {
        self.card_test != CardTest::Idle
            || self.dialog().is_some_and(|d| d.is_sending() || d.saving)
    }

    pub fn dialog(&self) -> Option<&ConfigureDialog> {
        self.overlays.iter().rev().find_map(|o| match o {
            Overlay::Configure(d) => Some(d.as_ref()),
            _ => None,
        })
    }

    fn dialog_mut(&mut self) -> Option<&mut ConfigureDialog> {
        self.overlays.iter_mut().rev().find_map(|o| match o {
            Overlay::Configure(d) => Some(d.as_mut()),
            _ => None,
        })
    }

    pub fn selected_channel(&self) -> Option<&ChannelSummary> {
        self.channels.get(self.selected)
    }

    /// Contexts that currently receive keys, most specific first (also drives the footer).
    pub fn contexts(&self) -> Vec<Context> {
        match self.overlays.last() {
            Some(Overlay::Configure(_)) => vec![Context::Dialog],
            Some(Overlay::ConfirmDiscard) => vec![Context::Confirm],
            Some(Overlay::Help { .. }) => vec![Context::Help],
            None => vec![self.tab.context(), Context::Global],
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn set_status(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some((level, sanitize_text(&text.into())));
    }

    pub fn handle(&mut self, msg: Msg) -> Vec<Effect> {
        self.dirty = true;
        match msg {
            Msg::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    self.dirty = false;
                    return vec![];
                }
                self.on_key(key)
            }
            Msg::Paste(text) => {
                if let Some(d) = self.dialog_mut() {
                    d.paste(&text);
                }
                vec![]
            }
            Msg::Resize => vec![],
            Msg::Tick => {
                self.frame = self.frame.wrapping_add(1);
                vec![]
            }
            Msg::Quit => {
                self.should_quit = true;
                vec![]
            }
            Msg::ChannelsLoaded(Ok(list)) => {
                self.channels = list;
                self.channels_loaded = true;
                self.selected = self.selected.min(self.channels.len().saturating_sub(1));
                vec![]
            }
            Msg::ChannelsLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load channels: {e}"));
                vec![]
            }
            Msg::DingTalkLoaded(Ok(stored)) => {
                self.overlays
                    .push(Overlay::Configure(Box::new(ConfigureDialog::new(stored))));
                vec![]
            }
            Msg::DingTalkLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not read the channel: {e}"));
                vec![]
            }
            Msg::Saved(result) => self.on_saved(result),
            Msg::TestFinished {
                seq,
                record,
                detail,
            } => {
                let summary = sanitize_text(&record.summary);
                if let Some(d) = self.dialog_mut() {
                    if d.test == (TestState::Sending { seq }) {
                        d.test = if record.ok {
                            TestState::Succeeded {
                                at: record.at,
                                detail,
                            }
                        } else {
                            TestState::Failed {
                                message: summary.clone(),
                            }
                        };
                    }
                }
                if self.card_test == (CardTest::Sending { seq }) {
                    self.card_test = CardTest::Idle;
                    if record.ok {
                        self.set_status(Level::Ok, "Test Message Sending: Successful");
                    } else {
                        self.set_status(Level::Error, summary);
                    }
                }
                vec![Effect::LoadChannels]
            }
        }
    }

    fn on_saved(&mut self, result: Result<(), String>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                // Close the dialog (and a discard prompt above it, if any).
                while let Some(top) = self.overlays.pop() {
                    if matches!(top, Overlay::Configure(_)) {
                        break;
                    }
                }
                self.set_status(Level::Ok, "DingTalk personal channel saved");
                vec![Effect::LoadChannels]
            }
            Err(e) => {
                if let Some(d) = self.dialog_mut() {
                    d.saving = false;
                    d.notice = Some(format!("Not saved: {e}"));
                }
                vec![]
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // F12 with NOTIFYDESK_TEST_PANIC set panics on purpose, so tests can check that the
        // terminal is restored after a panic.
        if key.code == crossterm::event::KeyCode::F(12)
            && std::env::var_os("NOTIFYDESK_TEST_PANIC").is_some()
        {
            panic!("deliberate panic requested by NOTIFYDESK_TEST_PANIC");
        }
        let contexts = self.contexts();
        let action = contexts.iter().find_map(|c| keymap::lookup(*c, &key));
        match self.overlays.last() {
            Some(Overlay::Configure(_)) => self.on_dialog_key(action, key),
            Some(Overlay::ConfirmDiscard) => {
                match action {
                    Some(Action::Yes) => {
                        self.overlays.pop();
                        let effects = self.close_dialog();
                        return effects;
                    }
                    Some(Action::No) => {
                        self.overlays.pop();
                    }
                    _ => self.dirty = false,
                }
                vec![]
            }
            Some(Overlay::Help { .. }) => {
                match action {
                    Some(Action::Close) => {
                        self.overlays.pop();
                    }
                    Some(Action::ScrollDown) => {
                        if let Some(Overlay::Help { scroll }) = self.overlays.last_mut() {
                            *scroll = scroll.saturating_add(1);
                        }
                    }
                    Some(Action::ScrollUp) => {
                        if let Some(Overlay::Help { scroll }) = self.overlays.last_mut() {
                            *scroll = scroll.saturating_sub(1);
                        }
                    }
                    _ => self.dirty = false,
                }
                vec![]
            }
            None => self.on_main_key(action),
        }
    }

    fn close_dialog(&mut self) -> Vec<Effect> {
        let mut effects = vec![];
        if let Some(pos) = self
            .overlays
            .iter()
            .rposition(|o| matches!(o, Overlay::Configure(_)))
        {
            if let Overlay::Configure(d) = self.overlays.remove(pos) {
                if let TestState::Sending { seq } = d.test {
                    effects.push(Effect::CancelTest { seq });
                }
            }
        }
        effects
    }

    fn on_dialog_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        let next_seq = self.next_seq + 1;
        let Some(d) = self.dialog_mut() else {
            return vec![];
        };
        let on_select = d.focus == Focus::SourceColumn;
        let request = match action {
            Some(Action::NextField) => {
                d.next_field();
                DialogRequest::None
            }
            Some(Action::PrevField) => {
                d.prev_field();
                DialogRequest::None
            }
            Some(Action::Activate) => d.activate(),
            Some(Action::SendTest) => d.request_test(),
            Some(Action::Save) => d.request_save(),
            Some(Action::ToggleReveal) => {
                d.reveal = !d.reveal;
                DialogRequest::None
            }
            Some(Action::Cycle) if on_select => {
                d.cycle_source();
                DialogRequest::None
            }
            Some(Action::Close) => d.escape(),
            _ => {
                if on_select
                    && matches!(
                        key.code,
                        crossterm::event::KeyCode::Left | crossterm::event::KeyCode::Right
                    )
                {
                    d.cycle_source();
                } else if !d.edit(&key) {
                    return vec![];
                }
                DialogRequest::None
            }
        };
        match request {
            DialogRequest::None => vec![],
            DialogRequest::Test(config) => {
                d.test = TestState::Sending { seq: next_seq };
                d.notice = None;
                self.next_seq = next_seq;
                vec![Effect::SendTest {
                    seq: next_seq,
                    kind: ChannelKind::DingTalk,
                    config,
                }]
            }
            DialogRequest::CancelTest(seq) => vec![Effect::CancelTest { seq }],
            DialogRequest::Save(config) => {
                d.saving = true;
                d.notice = None;
                vec![Effect::SaveDingTalk(config)]
            }
            DialogRequest::Close { dirty: true } => {
                self.overlays.push(Overlay::ConfirmDiscard);
                vec![]
            }
            DialogRequest::Close { dirty: false } => self.close_dialog(),
        }
    }

    fn on_main_key(&mut self, action: Option<Action>) -> Vec<Effect> {
        let Some(action) = action else {
            self.dirty = false;
            return vec![];
        };
        let n = self.channels.len().max(1);
        match action {
            Action::Quit => self.should_quit = true,
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                self.tab = Tab::ALL[(i + step) % Tab::ALL.len()];
            }
            Action::GotoTab(i) => self.tab = Tab::ALL[i.min(Tab::ALL.len() - 1)],
            Action::Help => self.overlays.push(Overlay::Help { scroll: 0 }),
            Action::Left => self.selected = (self.selected + n - 1) % n,
            Action::Right => self.selected = (self.selected + 1) % n,
            // Cards are laid out two per row.
            Action::Up => self.selected = self.selected.saturating_sub(2),
            Action::Down => self.selected = (self.selected + 2).min(n - 1),
            Action::Reload => return vec![Effect::LoadChannels],
            Action::Configure => {
                let Some(ch) = self.selected_channel() else {
                    return vec![];
                };
                if !ch.supported {
                    let title = ch.kind.title();
                    self.set_status(
                        Level::Info,
                        format!("{title} is not supported yet; only DingTalk can be configured"),
                    );
                    return vec![];
                }
                return vec![Effect::LoadDingTalk];
            }
            Action::TestStored => {
                let Some(ch) = self.selected_channel().cloned() else {
                    return vec![];
                };
                if !ch.configured {
                    self.set_status(
                        Level::Info,
                        format!(
                            "{} is not configured: press Enter to configure it",
                            ch.kind.title()
                        ),
                    );
                    return vec![];
                }
                if self.card_test != CardTest::Idle {
                    return vec![];
                }
                if ch.receiver.is_none() {
                    self.set_status(
                        Level::Error,
                        "No Receiver Info saved: open Configure (Enter) and enter a phone",
                    );
                    return vec![];
                }
                let seq = self.next_seq();
                self.card_test = CardTest::Sending { seq };
                self.set_status(Level::Info, "Sending test message…");
                return vec![Effect::TestStored { seq, kind: ch.kind }];
            }
            _ => self.dirty = false,
        }
        vec![]
    }
}
