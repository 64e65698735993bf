//! The App: the tabs, the overlay stack and what they share. It routes a key to the top
//! overlay or the current tab, and glues tabs together through effects and requests; each
//! tab and overlay owns its state, keys and drawing. Pure: no terminal, no tokio, no I/O.

use std::any::Any;

use chrono::FixedOffset;
use crossterm::event::KeyEvent;

mod glue;
mod messages;

use super::dialogs::configure::ConfigureDialog;
use super::dialogs::confirm::Confirm;
use super::dialogs::help::HelpDialog;
use super::keymap::{self, Action, Context};
use super::msg::{Effect, Outcome};
use super::tabs::channels::{CardTest, ChannelsTab};
use super::tabs::delivery_log::LogTab;
use super::tabs::members::MembersTab;
use super::tabs::subscriptions::Grid;
use super::theme::Theme;
pub use super::ui::{Level, Overlay, Tab, TabUnit, Ui};

pub struct AppOptions {
    /// Where the data lives, shown in the title bar.
    pub db_label: String,
    pub theme: Theme,
    /// Offset used to show times; injected so snapshots are stable.
    pub utc_offset: FixedOffset,
}

pub struct App {
    /// What the tabs and overlays share: theme, clock, status line, the current tab.
    pub ui: Ui,
    pub channels: ChannelsTab,
    pub subscriptions: Grid,
    pub members: MembersTab,
    pub log: LogTab,
    pub overlays: Vec<Box<dyn Overlay>>,
    pub should_quit: bool,
    pub db_label: String,
    /// Running on the sandbox's temporary database: sample events may be sent.
    pub sandbox: bool,
    /// In the sandbox: what to type in each card's Configure dialog (shown in the dialog,
    /// where a narrow status line has no room for all four platforms' values).
    pub sandbox_hints: Vec<(crate::domain::ChannelKind, String)>,
    /// The database could not be opened: nothing else can work.
    pub store_unavailable: bool,
}

/// The overlay as `T`, if it is one.
fn downcast<T: Overlay>(o: &dyn Overlay) -> Option<&T> {
    (o as &dyn Any).downcast_ref()
}

fn downcast_mut<T: Overlay>(o: &mut dyn Overlay) -> Option<&mut T> {
    (o as &mut dyn Any).downcast_mut()
}

impl App {
    pub fn new(opts: AppOptions) -> App {
        App {
            ui: Ui::new(opts.theme, opts.utc_offset),
            channels: ChannelsTab::default(),
            subscriptions: Grid::new(),
            members: MembersTab::default(),
            log: LogTab::default(),
            overlays: Vec::new(),
            should_quit: false,
            db_label: opts.db_label,
            sandbox: false,
            sandbox_hints: Vec::new(),
            store_unavailable: false,
        }
    }

    pub fn init(&mut self) -> Vec<Effect> {
        vec![
            Effect::LoadChannels,
            Effect::LoadSubscriptions,
            Effect::LoadMembers,
        ]
    }

    /// Whether a spinner is running (the loop ticks only then).
    pub fn animating(&self) -> bool {
        self.channels.card_test != CardTest::Idle
            || self.dialog().is_some_and(|d| d.is_sending() || d.saving)
    }

    /// The topmost overlay of type `T`, and its place in the stack.
    fn find<T: Overlay>(&self) -> Option<(usize, &T)> {
        self.overlays
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, o)| downcast::<T>(o.as_ref()).map(|t| (i, t)))
    }

    fn find_mut<T: Overlay>(&mut self) -> Option<&mut T> {
        self.overlays
            .iter_mut()
            .rev()
            .find_map(|o| downcast_mut::<T>(o.as_mut()))
    }

    /// The overlay on top, if it is a `T`.
    fn top_mut<T: Overlay>(&mut self) -> Option<&mut T> {
        self.overlays
            .last_mut()
            .and_then(|o| downcast_mut::<T>(o.as_mut()))
    }

    pub fn dialog(&self) -> Option<&ConfigureDialog> {
        self.find::<ConfigureDialog>().map(|(_, d)| d)
    }

    /// Contexts that currently receive keys, most specific first (also drives the footer).
    pub fn contexts(&self) -> Vec<Context> {
        if let Some(top) = self.overlays.last() {
            return top.contexts();
        }
        self.tab_unit().contexts()
    }

    fn tab_unit(&self) -> &dyn TabUnit {
        match self.ui.tab {
            Tab::Channels => &self.channels,
            Tab::Subscription => &self.subscriptions,
            Tab::Members => &self.members,
            Tab::Log => &self.log,
        }
    }

    fn tab_unit_mut(&mut self) -> (&mut dyn TabUnit, &mut Ui) {
        let unit: &mut dyn TabUnit = match self.ui.tab {
            Tab::Channels => &mut self.channels,
            Tab::Subscription => &mut self.subscriptions,
            Tab::Members => &mut self.members,
            Tab::Log => &mut self.log,
        };
        (unit, &mut self.ui)
    }

    /// Speak `choice.lang` from now on; the help overlay says where the choice came from.
    pub fn set_lang(&mut self, choice: crate::i18n::LangChoice) {
        self.ui.lang = choice.lang;
        self.ui.lang_choice = Some(choice);
    }

    pub fn set_banner(&mut self, level: Level, variants: &[String]) {
        self.ui.set_banner(level, variants);
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // F12 with NOTIFYDESK_TEST_PANIC set panics on purpose, so tests can check that the
        // terminal is restored after a panic; release builds have no such key.
        #[cfg(debug_assertions)]
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
        let outcome = match self.overlays.last_mut() {
            Some(top) => top.on_key(action, &key, &mut self.ui),
            // A tab's own keys first; what it ignores goes to the keys every tab shares.
            None => {
                let (unit, ui) = self.tab_unit_mut();
                unit.on_key(action, &key, ui)
            }
        };
        let mut effects = match outcome {
            Outcome::Ignored if self.overlays.is_empty() => self.on_main_key(action),
            Outcome::Ignored => {
                self.ui.unchanged();
                vec![]
            }
            Outcome::Handled(effects) => effects,
            Outcome::Close => self.close_top(),
        };
        effects.extend(self.apply_requests());
        effects
    }

    /// Pasted text goes to the focused field or the filter being typed.
    fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        match self.overlays.last_mut() {
            Some(top) => top.on_paste(text, &mut self.ui),
            None => {
                let (unit, ui) = self.tab_unit_mut();
                unit.on_paste(text, ui)
            }
        }
    }

    /// The keys every tab shares, for what the tab itself ignored.
    fn on_main_key(&mut self, action: Option<Action>) -> Vec<Effect> {
        let Some(action) = action else {
            self.ui.unchanged();
            return vec![];
        };
        match action {
            Action::Quit => match self.running_work() {
                Some(running) => self.overlays.push(Box::new(Confirm::Quit { running })),
                None => self.should_quit = true,
            },
            Action::NextTab | Action::PrevTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.ui.tab).unwrap_or(0);
                let step = if action == Action::NextTab {
                    1
                } else {
                    Tab::ALL.len() - 1
                };
                return self.show_tab(Tab::ALL[(i + step) % Tab::ALL.len()]);
            }
            Action::GotoTab(i) => return self.show_tab(Tab::ALL[i.min(Tab::ALL.len() - 1)]),
            Action::Help => self.overlays.push(Box::new(HelpDialog::default())),
            _ => self.ui.unchanged(),
        }
        vec![]
    }

    fn show_tab(&mut self, tab: Tab) -> Vec<Effect> {
        self.ui.tab = tab;
        if tab == Tab::Log {
            return vec![self.log.load()];
        }
        vec![]
    }

    /// Removes the overlay on top, stopping what it started.
    fn close_top(&mut self) -> Vec<Effect> {
        let fx = self
            .overlays
            .pop()
            .map(|mut o| o.on_close())
            .unwrap_or_default();
        // Without a database nothing works: closing its explanation ends the program.
        if self.store_unavailable && self.overlays.is_empty() {
            self.should_quit = true;
        }
        fx
    }

    /// What still runs and would be cut short by quitting, if anything.
    pub fn running_work(&self) -> Option<String> {
        if self.channels.card_test != CardTest::Idle
            || self.dialog().is_some_and(|d| d.is_sending())
        {
            return Some(self.ui.lang.tr("confirm.quit.running_test").into());
        }
        if self.log.counts.sending > 0 {
            return Some(self.ui.lang.tr("confirm.quit.running_delivery").into());
        }
        None
    }
}
