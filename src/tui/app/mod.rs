//! The App: all UI state, updated only by `handle(Msg)`, which returns effects for the runner.
//! Pure: no terminal, no tokio, no I/O, so every transition is testable on its own.

use chrono::FixedOffset;
use crossterm::event::KeyEvent;

mod channels;
mod configure;
mod delivery_log;
mod members;
mod messages;
mod subscriptions;

use super::dialogs::configure::{ConfigureDialog, Focus};
use super::dialogs::confirm::Confirm;
use super::dialogs::help::HelpDialog;
use super::dialogs::member_form::MemberForm;
use super::dialogs::message::MessageDialog;
use super::dialogs::receivers::ReceiversPicker;
use super::keymap::{self, Context};
use super::msg::{Effect, Outcome};
use super::tabs::delivery_log::LogTab;
use super::tabs::members::MembersTab;
use super::tabs::subscriptions::Grid;
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

    /// For narrow terminals.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Channels => "Channels",
            Tab::Subscription => "Subscription",
            Tab::Members => "Members",
            Tab::Log => "Log",
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
    Confirm(Confirm),
    Help(HelpDialog),
    MemberForm(Box<MemberForm>),
    Receivers(Box<ReceiversPicker>),
    Delivery(Box<crate::store::DeliveryRow>),
    Message(MessageDialog),
}

impl Overlay {
    /// The keymap contexts that get keys while this overlay is on top, most specific first.
    fn contexts(&self) -> Vec<Context> {
        match self {
            Overlay::Configure(d) if d.focus == Focus::SourceColumn => {
                vec![Context::Select, Context::Dialog]
            }
            Overlay::Configure(_) => vec![Context::Dialog],
            Overlay::Confirm(_) => vec![Context::Confirm],
            Overlay::Help(_) => vec![Context::Help],
            Overlay::MemberForm(_) => vec![Context::Form],
            Overlay::Receivers(p) if p.filter.editing => vec![Context::Filter],
            Overlay::Receivers(_) => vec![Context::Picker],
            Overlay::Delivery(_) => vec![Context::Detail],
            Overlay::Message(_) => vec![Context::Message],
        }
    }
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
    pub subscriptions: Grid,
    pub members: MembersTab,
    pub log: LogTab,
    pub overlays: Vec<Overlay>,
    /// The status line and the tab it was made on (None: shown everywhere, e.g. a banner).
    pub status: Option<(Level, String, Option<Tab>)>,
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
    /// The banner's versions, longest first (see `set_banner`).
    banner: Vec<String>,
    /// Running on the sandbox's temporary database: sample events may be sent.
    pub sandbox: bool,
    /// The tab whose `r` reload is under way, to confirm it when its data is back.
    reloading: Option<Tab>,
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
            subscriptions: Grid::new(),
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
            sandbox: false,
            banner: Vec::new(),
            reloading: None,
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
        if let Some(top) = self.overlays.last() {
            return top.contexts();
        }
        match () {
            _ if self.tab == Tab::Log && self.log.search.editing => vec![Context::Filter],
            _ if self.tab == Tab::Subscription && self.subscriptions.filter.editing => {
                vec![Context::Filter]
            }
            _ if self.tab == Tab::Members && self.members.filter.editing => vec![Context::Filter],
            _ => vec![self.tab.context(), Context::Global],
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// `r` was pressed on `tab`: say so now, and again when the data is back.
    pub(super) fn reload(&mut self, tab: Tab, effect: Effect) -> Vec<Effect> {
        self.reloading = Some(tab);
        self.set_status(Level::Info, "Reloading…");
        vec![effect]
    }

    fn reloaded(&mut self, tab: Tab, what: String) {
        if self.reloading == Some(tab) {
            self.reloading = None;
            self.set_status(Level::Ok, format!("Reloaded: {what}"));
        }
    }

    pub fn set_status(&mut self, level: Level, text: impl Into<String>) {
        self.status = Some((level, sanitize_text(&text.into()), Some(self.tab)));
    }

    /// A status line shown on every tab (e.g. the sandbox's credentials), in versions from the
    /// longest to the shortest: the status line shows the longest that fits, never a cut one.
    pub fn set_banner(&mut self, level: Level, variants: &[String]) {
        self.banner = variants.iter().map(|v| sanitize_text(v)).collect();
        if let Some(first) = self.banner.first() {
            self.status = Some((level, first.clone(), None));
        }
    }

    /// The versions of the banner, if the status line shows it.
    pub fn banner_variants(&self) -> &[String] {
        match &self.status {
            Some((_, _, None)) => &self.banner,
            _ => &[],
        }
    }

    /// The status line for the tab shown: a message belongs to the tab it was made on.
    pub fn visible_status(&self) -> Option<(Level, &str)> {
        match &self.status {
            Some((level, text, tab)) if tab.is_none_or(|t| t == self.tab) => Some((*level, text)),
            _ => None,
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // F12 with NOTIFYDESK_TEST_PANIC set panics on purpose, so tests can check that the
        // terminal is restored after a panic; release builds have no such key.
        #[cfg(debug_assertions)]
        if key.code == crossterm::event::KeyCode::F(12)
            && std::env::var_os("NOTIFYDESK_TEST_PANIC").is_some()
        {
            panic!("deliberate panic requested by NOTIFYDESK_TEST_PANIC");
        }
        let contexts = self.contexts();
        let action = contexts.iter().find_map(|c| keymap::lookup(*c, &key));
        let outcome = match self.overlays.last_mut() {
            Some(Overlay::Configure(_)) => return self.on_dialog_key(action, key),
            Some(Overlay::MemberForm(_)) => return self.on_form_key(action, key),
            Some(Overlay::Receivers(_)) => return self.on_picker_key(action, key),
            Some(Overlay::Delivery(_)) => return self.on_delivery_detail_key(action),
            Some(Overlay::Help(h)) => h.on_action(action),
            Some(Overlay::Message(m)) => m.on_action(action),
            Some(Overlay::Confirm(c)) => match c.on_action(action) {
                Outcome::Close => return self.on_confirmed(),
                // "No": the question goes away, whatever was below stays.
                Outcome::Handled(effects) => {
                    self.overlays.pop();
                    return effects;
                }
                Outcome::Ignored => Outcome::Ignored,
            },
            // A tab's own keys first; what it ignores goes to the keys every tab shares.
            None => match self.tab {
                Tab::Subscription => self.on_grid_key(action, key),
                Tab::Members => self.on_members_key(action, key),
                Tab::Log => self.on_log_key(action, key),
                Tab::Channels => Outcome::Ignored,
            },
        };
        match outcome {
            Outcome::Ignored if self.overlays.is_empty() => self.on_main_key(action),
            Outcome::Ignored => {
                self.dirty = false;
                vec![]
            }
            Outcome::Handled(effects) => effects,
            Outcome::Close => {
                self.overlays.pop();
                vec![]
            }
        }
    }

    /// Pasted text goes to the focused field or the filter being typed.
    fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        match self.overlays.last_mut() {
            Some(Overlay::Configure(d)) => d.paste(text),
            Some(Overlay::Receivers(p)) if p.filter.editing => {
                p.filter.text.paste(text);
                p.clamp();
            }
            Some(Overlay::MemberForm(f)) => {
                if let Some(field) = f.field() {
                    f.notice = field.paste(text).notice();
                }
                f.clear_error_of_focus();
            }
            None if self.tab == Tab::Members && self.members.filter.editing => {
                self.members.filter.text.paste(text);
                self.members.clamp();
            }
            None if self.tab == Tab::Subscription && self.subscriptions.filter.editing => {
                self.subscriptions.filter.text.paste(text);
                self.subscriptions.rebuild();
            }
            None if self.tab == Tab::Log && self.log.search.editing => {
                self.log.search.text.paste(text);
                self.log.reset_paging();
                return vec![self.load_log()];
            }
            _ => self.dirty = false,
        }
        vec![]
    }

    /// The user answered yes to the confirmation on top.
    fn on_confirmed(&mut self) -> Vec<Effect> {
        let Some(Overlay::Confirm(question)) = self.overlays.pop() else {
            return vec![];
        };
        match question {
            Confirm::DiscardChanges => {
                if matches!(self.overlays.last(), Some(Overlay::MemberForm(_))) {
                    self.overlays.pop();
                    return vec![];
                }
                self.close_dialog()
            }
            Confirm::DeleteMember { id, name } => vec![Effect::DeleteMember { id, name }],
            Confirm::Quit { .. } => {
                self.should_quit = true;
                vec![]
            }
        }
    }

    /// What still runs and would be cut short by quitting, if anything.
    pub fn running_work(&self) -> Option<String> {
        if self.card_test != CardTest::Idle || self.dialog().is_some_and(|d| d.is_sending()) {
            return Some("A Test Message Sending".into());
        }
        if self.log.counts.sending > 0 {
            return Some("A delivery".into());
        }
        None
    }
}
