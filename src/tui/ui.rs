//! What every unit (a tab or an overlay) shares with the App: the theme and clock to draw
//! with, the status line to write to, and requests for what only the App can do (open an
//! overlay, switch tabs, glue two tabs together). Units see this, never the App.

use std::any::Any;
use std::fmt::Debug;

use chrono::FixedOffset;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::filter::FilterKey;
use super::keymap::{Action, Context};
use super::msg::{Effect, Outcome};
use super::theme::Theme;
use crate::domain::sanitize_text;
use crate::i18n::{Lang, LangChoice};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Channels,
    Subscription,
    Members,
    Log,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Channels, Tab::Subscription, Tab::Members, Tab::Log];

    /// [`Tab::title`] in `lang`.
    pub fn title_in(self, lang: Lang) -> &'static str {
        match self {
            Tab::Channels => lang.tr("tab.channels"),
            Tab::Subscription => lang.tr("tab.subscription"),
            Tab::Members => lang.tr("tab.members"),
            Tab::Log => lang.tr("tab.log"),
        }
    }

    /// [`Tab::short_title`] in `lang`.
    pub fn short_title_in(self, lang: Lang) -> &'static str {
        match self {
            Tab::Channels => lang.tr("tab.channels_short"),
            Tab::Subscription => lang.tr("tab.subscription_short"),
            Tab::Members => lang.tr("tab.members_short"),
            Tab::Log => lang.tr("tab.log_short"),
        }
    }

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Error,
}

/// What a unit asks of the App beside effects for the runner: things it does not own.
#[derive(Debug)]
pub enum Request {
    Open(Box<dyn Overlay>),
    /// Show this delivery in its detail overlay (the App names its type and node).
    OpenDelivery(Box<crate::store::DeliveryRow>),
    /// Close the overlay that is now on top (below a confirmation that was answered yes).
    CloseBelow,
    /// Show the Channel Management tab from its first card.
    GotoChannels,
    /// Open the custom receivers picker of the subscription row under the cursor.
    EditReceivers,
    /// Queue a sample event (sandbox) built from the subscriptions and members.
    SendSample,
    /// The receivers of a subscription row are being replaced: keep them for undo.
    RecordReceivers {
        type_code: String,
        node_code: String,
    },
    /// Retry this delivery (from its detail overlay, which closes if the retry starts).
    Retry(Box<crate::store::DeliveryRow>),
    /// An effect for the runner from a unit that also closes (a confirmed delete).
    Run(Effect),
    /// Quit now (a confirmed quit while work was running).
    Quit,
}

pub struct Ui {
    pub theme: Theme,
    /// The interface language (English unless the App was told otherwise).
    pub lang: Lang,
    /// Where that choice came from, for the help overlay.
    pub lang_choice: Option<LangChoice>,
    /// Offset used to show times; injected so snapshots are stable.
    pub utc_offset: FixedOffset,
    /// Spinner frame, advanced by ticks while something runs.
    pub frame: usize,
    pub tab: Tab,
    /// The status line and the tab it was made on (None: shown everywhere, e.g. a banner).
    pub status: Option<(Level, String, Option<Tab>)>,
    /// The banner's versions, longest first (see `set_banner`).
    banner: Vec<String>,
    /// The tab whose `r` reload is under way, to confirm it when its data is back.
    reloading: Option<Tab>,
    next_seq: u64,
    /// Something changed since the last frame.
    pub dirty: bool,
    requests: Vec<Request>,
}

impl Ui {
    pub fn new(theme: Theme, utc_offset: FixedOffset) -> Ui {
        Ui {
            theme,
            lang: Lang::En,
            lang_choice: None,
            utc_offset,
            frame: 0,
            tab: Tab::Channels,
            status: None,
            banner: Vec::new(),
            reloading: None,
            next_seq: 0,
            dirty: true,
            requests: Vec::new(),
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn request(&mut self, request: Request) {
        self.requests.push(request);
    }

    pub fn open(&mut self, overlay: impl Overlay) {
        self.requests.push(Request::Open(Box::new(overlay)));
    }

    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.requests)
    }

    /// Nothing visible changed: no frame is drawn for this input.
    pub fn unchanged(&mut self) {
        self.dirty = false;
    }

    /// What a key did to a filter being typed: true if the list must be filtered again.
    pub fn filter_changed(&mut self, key: FilterKey) -> bool {
        match key {
            FilterKey::Changed => true,
            FilterKey::Kept => false,
            FilterKey::Ignored => {
                self.unchanged();
                false
            }
        }
    }

    /// `r` was pressed on `tab`: say so now, and again when the data is back.
    pub fn reload(&mut self, tab: Tab, effect: Effect) -> Vec<Effect> {
        self.reloading = Some(tab);
        self.set_status(Level::Info, self.lang.tr("status.reloading"));
        vec![effect]
    }

    pub fn reloaded(&mut self, tab: Tab, what: String) {
        if self.reloading == Some(tab) {
            self.reloading = None;
            let text = self.lang.trf("status.reloaded", &[("what", &what)]);
            self.set_status(Level::Ok, text);
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
}

/// One tab's keys and paste. Its drawing is called by name: it may show data of other tabs.
pub trait TabUnit {
    /// The keymap contexts that get keys on this tab, most specific first.
    fn contexts(&self) -> Vec<Context>;

    /// `Ignored` keys go on to the keys every tab shares.
    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome;

    /// Pasted text, for a filter being typed.
    fn on_paste(&mut self, _text: &str, ui: &mut Ui) -> Vec<Effect> {
        ui.unchanged();
        vec![]
    }
}

/// One overlay (dialog, picker, question, help): it owns its state, its keys and its
/// drawing, so the App never asks which kind it is.
pub trait Overlay: Any + Debug {
    /// The keymap contexts that get keys while this overlay is on top, most specific first.
    fn contexts(&self) -> Vec<Context>;

    /// `Close` pops it (after `on_close`); `Ignored` keys are dropped.
    fn on_key(&mut self, action: Option<Action>, key: &KeyEvent, ui: &mut Ui) -> Outcome;

    /// Pasted text, for overlays with a text field or filter.
    fn on_paste(&mut self, _text: &str, ui: &mut Ui) -> Vec<Effect> {
        ui.unchanged();
        vec![]
    }

    fn draw(&self, ui: &Ui, frame: &mut Frame, area: Rect);

    /// It is removed: what it started and must stop (e.g. a running test).
    fn on_close(&mut self) -> Vec<Effect> {
        vec![]
    }
}
