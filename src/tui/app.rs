//! The App: all UI state, updated only by `handle(Msg)`, which returns effects for the runner.
//! Pure: no terminal, no tokio, no I/O, so every transition is testable on its own.

use chrono::FixedOffset;
use crossterm::event::{KeyEvent, KeyEventKind};

use super::configure::{ConfigureDialog, DialogRequest, Focus, TestState};
use super::grid::Grid;
use super::keymap::{self, Action, Context};
use super::log::LogTab;
use super::members::{MemberForm, MembersTab, ReceiversPicker};
use super::msg::{Effect, Msg};
use super::theme::Theme;
use crate::domain::{ChannelKind, ChannelSummary, sanitize_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Channels,
    Subscription,
    Members,
    Log,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Channels, Tab::Subscription, Tab::Members, Tab::Log];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Channels => "Channel Management",
            Tab::Subscription => "Subscription",
            Tab::Members => "Members",
            Tab::Log => "Delivery Log",
        }
    }

    fn context(self) -> Context {
        match self {
            Tab::Channels => Context::Channels,
            Tab::Subscription => Context::Subscription,
            Tab::Members => Context::Members,
            Tab::Log => Context::Log,
        }
    }
}

#[derive(Debug)]
pub enum Overlay {
    Configure(Box<ConfigureDialog>),
    ConfirmDiscard,
    Help { scroll: u16 },
    MemberForm(Box<MemberForm>),
    ConfirmDelete { id: i64, name: String },
    Receivers(Box<ReceiversPicker>),
    Delivery(Box<crate::store::DeliveryRow>),
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
    pub grid: Grid,
    pub members: MembersTab,
    pub log: LogTab,
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
            grid: Grid::new(),
            members: MembersTab::default(),
            log: LogTab::default(),
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
        vec![
            Effect::LoadChannels,
            Effect::LoadSubscriptions,
            Effect::LoadMembers,
        ]
    }

    /// Whether a personal channel exists that the Personal Channel column can send through.
    pub fn personal_configured(&self) -> bool {
        self.channels.iter().any(|c| c.supported && c.configured)
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
            Some(Overlay::MemberForm(_)) => vec![Context::Form],
            Some(Overlay::ConfirmDelete { .. }) => vec![Context::Confirm],
            Some(Overlay::Receivers(_)) => vec![Context::Picker],
            Some(Overlay::Delivery(_)) => vec![Context::Detail],
            None if self.tab == Tab::Log && self.log.text_editing => vec![Context::Filter],
            None if self.tab == Tab::Subscription && self.grid.filter_editing => {
                vec![Context::Filter]
            }
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
                match self.overlays.last_mut() {
                    Some(Overlay::Configure(d)) => d.paste(&text),
                    Some(Overlay::MemberForm(f)) => {
                        if let Some(field) = f.field() {
                            field.paste(&text);
                        }
                        f.clear_error_of_focus();
                    }
                    None if self.tab == Tab::Subscription && self.grid.filter_editing => {
                        self.grid.filter.paste(&text);
                        self.grid.rebuild();
                    }
                    _ => self.dirty = false,
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
            Msg::SubscriptionsLoaded(Ok(rows)) => {
                self.grid.set_rows(rows);
                vec![]
            }
            Msg::SubscriptionsLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load subscriptions: {e}"));
                vec![]
            }
            Msg::MembersLoaded(Ok(list)) => {
                self.members.set(list);
                vec![]
            }
            Msg::MembersLoaded(Err(e)) => {
                self.set_status(Level::Error, format!("Could not load members: {e}"));
                vec![]
            }
            Msg::LogLoaded(Ok(page)) => {
                self.on_log_loaded(page);
                vec![]
            }
            Msg::LogLoaded(Err(e)) => {
                self.set_status(
                    Level::Error,
                    format!("Could not read the delivery log: {e}"),
                );
                vec![]
            }
            Msg::DeliveryRetried(result) => self.on_delivery_retried(result),
            Msg::Notice(text) => {
                self.set_status(Level::Info, text);
                vec![]
            }
            Msg::DatabaseBusy(busy) => {
                self.log.db_busy = busy;
                vec![]
            }
            Msg::DeliveryProgress(counts) => {
                let changed = counts != self.log.counts;
                self.log.counts = counts;
                // Follow new deliveries while the newest page is shown.
                if changed && self.tab == Tab::Log && self.log.before.is_none() {
                    return vec![self.load_log()];
                }
                vec![]
            }
            Msg::MemberSaved(result) => self.on_member_saved(result),
            Msg::MemberDeleted(result) => self.on_member_deleted(result),
            Msg::ReceiversSaved(result) => self.on_receivers_saved(result),
            Msg::MethodsSaved { changes, result } => {
                if let Err(e) = result {
                    self.grid.revert(&changes);
                    self.set_status(Level::Error, format!("Not saved, change undone: {e}"));
                }
                vec![]
            }
            Msg::TestFinished {
                seq,
                record,
                detail,
            } => {
                let summary = sanitize_text(&record.summary);
                if let Some(d) = self.dialog_mut()
                    && d.test == (TestState::Sending { seq })
                {
                    d.tested = d.testing.take().map(|config| (config, record.clone()));
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
                // Close the dialog (and a discard prompt above it), if it is still open.
                if let Some(pos) = self
                    .overlays
                    .iter()
                    .rposition(|o| matches!(o, Overlay::Configure(_)))
                {
                    self.overlays.truncate(pos);
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
            && let Some(how) = std::env::var_os("NOTIFYDESK_TEST_PANIC")
        {
            if how == "abort" {
                // The panic hook alone: a thread without the guard panics, then abort skips
                // every drop (the guard's restore included), as an abort-on-panic build would.
                let _ = std::thread::spawn(|| panic!("deliberate panic in a thread")).join();
                std::process::abort();
            }
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
                        if matches!(self.overlays.last(), Some(Overlay::MemberForm(_))) {
                            self.overlays.pop();
                            return vec![];
                        }
                        return self.close_dialog();
                    }
                    Some(Action::No) => {
                        self.overlays.pop();
                    }
                    _ => self.dirty = false,
                }
                vec![]
            }
            Some(Overlay::MemberForm(_)) => self.on_form_key(action, key),
            Some(Overlay::ConfirmDelete { .. }) => self.on_confirm_delete(action),
            Some(Overlay::Receivers(_)) => self.on_picker_key(action),
            Some(Overlay::Delivery(_)) => self.on_delivery_detail_key(action),
            Some(Overlay::Help { .. }) => {
                match action {
                    Some(Action::Close) => {
                        self.overlays.pop();
                    }
                    Some(Action::ScrollDown) => {
                        if let Some(Overlay::Help { scroll }) = self.overlays.last_mut() {
                            // The help lists every binding plus a heading per context.
                            let max = keymap::BINDINGS.len() as u16 + 24;
                            *scroll = scroll.saturating_add(1).min(max);
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
            None if self.tab == Tab::Subscription => self.on_grid_key(action, key),
            None if self.tab == Tab::Members => self.on_members_key(action),
            None if self.tab == Tab::Log => self.on_log_key(action, key),
            None => self.on_main_key(action),
        }
    }

    fn on_grid_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<Effect> {
        if self.grid.filter_editing {
            match action {
                Some(Action::Close) => self.grid.filter_editing = false,
                Some(Action::ClearFilter) => {
                    self.grid.filter.clear();
                    self.grid.filter_editing = false;
                    self.grid.rebuild();
                }
                _ => {
                    if self.grid.filter.handle_key(&key) {
                        self.grid.rebuild();
                    } else {
                        self.dirty = false;
                    }
                }
            }
            return vec![];
        }
        let page = 10;
        let saved = |app: &mut App, result: Result<Vec<_>, &str>, what: &str| -> Vec<Effect> {
            match result {
                Ok(changes) if changes.is_empty() => vec![],
                Ok(changes) => {
                    let n = changes.len();
                    let noun = if n == 1 { "change" } else { "changes" };
                    app.set_status(Level::Ok, format!("{what}: {n} {noun} saved (u undoes)"));
                    vec![Effect::SaveMethods(changes)]
                }
                Err(e) => {
                    app.set_status(Level::Info, e);
                    vec![]
                }
            }
        };
        match action {
            Some(Action::Up) => self.grid.move_rows(-1),
            Some(Action::Down) => self.grid.move_rows(1),
            Some(Action::PageUp) => self.grid.move_rows(-page),
            Some(Action::PageDown) => self.grid.move_rows(page),
            Some(Action::Home) => self.grid.home(),
            Some(Action::End) => self.grid.end(),
            Some(Action::Left) => self.grid.move_col(-1),
            Some(Action::Right) => self.grid.move_col(1),
            Some(Action::Toggle) => {
                let r = self.grid.toggle_cell();
                return saved(self, r, "Toggled");
            }
            Some(Action::ToggleColumn) => {
                let r = self.grid.toggle_column_in_type();
                return saved(self, r, "Column set for the type");
            }
            Some(Action::ToggleRow) => {
                let r = self.grid.toggle_row();
                return saved(self, r, "Row set");
            }
            Some(Action::Undo) => match self.grid.undo() {
                Some(changes) => return saved(self, Ok(changes), "Undone"),
                None => self.set_status(Level::Info, "Nothing to undo"),
            },
            Some(Action::Filter) => self.grid.filter_editing = true,
            Some(Action::GotoChannels) => {
                self.tab = Tab::Channels;
                self.selected = 0;
            }
            Some(Action::Reload) => return vec![Effect::LoadSubscriptions],
            Some(Action::EditReceivers) => self.open_receivers(),
            other => return self.on_main_key(other),
        }
        vec![]
    }

    fn close_dialog(&mut self) -> Vec<Effect> {
        let mut effects = vec![];
        if let Some(pos) = self
            .overlays
            .iter()
            .rposition(|o| matches!(o, Overlay::Configure(_)))
            && let Overlay::Configure(d) = self.overlays.remove(pos)
            && let TestState::Sending { seq } = d.test
        {
            effects.push(Effect::CancelTest { seq });
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
                d.testing = Some(config.clone());
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
                let test = d.test_of(&config);
                vec![Effect::SaveDingTalk { config, test }]
            }
            DialogRequest::Close { dirty: true } => {
                self.overlays.push(Overlay::ConfirmDiscard);
                vec![]
            }
            DialogRequest::Close { dirty: false } => self.close_dialog(),
        }
    }

    pub(super) fn on_main_key(&mut self, action: Option<Action>) -> Vec<Effect> {
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
                if self.tab == Tab::Log {
                    return vec![self.load_log()];
                }
            }
            Action::GotoTab(i) => {
                self.tab = Tab::ALL[i.min(Tab::ALL.len() - 1)];
                if self.tab == Tab::Log {
                    return vec![self.load_log()];
                }
            }
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
