//! The one table of key bindings. Dispatch, the footer hints and the help overlay all read it,
//! so a binding is documented exactly where it is defined.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::i18n::Lang;

/// Where a binding applies. The top overlay's context is tried first, then the tab's, then Global.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Global,
    Channels,
    Subscription,
    Filter,
    Members,
    Form,
    Picker,
    Log,
    Detail,
    Dialog,
    Select,
    Confirm,
    Message,
    Help,
}

impl Context {
    /// Every context, in the order the help overlay lists them.
    pub const ALL: [Context; 14] = [
        Context::Global,
        Context::Channels,
        Context::Subscription,
        Context::Filter,
        Context::Picker,
        Context::Members,
        Context::Form,
        Context::Log,
        Context::Detail,
        Context::Dialog,
        Context::Select,
        Context::Confirm,
        Context::Message,
        Context::Help,
    ];
}

impl Context {
    /// [`Context::title`] in `lang`.
    pub fn title_in(self, lang: Lang) -> &'static str {
        match self {
            Context::Global => lang.tr("context.global"),
            Context::Channels => lang.tr("context.channels"),
            Context::Subscription => lang.tr("context.subscription"),
            Context::Filter => lang.tr("context.filter"),
            Context::Members => lang.tr("context.members"),
            Context::Form => lang.tr("context.form"),
            Context::Picker => lang.tr("context.picker"),
            Context::Log => lang.tr("context.log"),
            Context::Detail => lang.tr("context.detail"),
            Context::Dialog => lang.tr("context.dialog"),
            Context::Select => lang.tr("context.select"),
            Context::Confirm => lang.tr("context.confirm"),
            Context::Message => lang.tr("context.message"),
            Context::Help => lang.tr("context.help"),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Channels => "Channel Management",
            Context::Subscription => "Subscription",
            Context::Filter => "Filter (after /)",
            Context::Members => "Members",
            Context::Form => "Member form",
            Context::Picker => "Custom receivers",
            Context::Log => "Delivery Log",
            Context::Detail => "Delivery detail",
            Context::Dialog => "Configure dialog",
            Context::Select => "Source Column select (in the dialog)",
            Context::Confirm => "Confirmation",
            Context::Message => "Full text of a message",
            Context::Help => "Help",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GotoTab(usize),
    Help,
    Up,
    Down,
    Left,
    Right,
    Configure,
    TestStored,
    Reload,
    NextField,
    PrevField,
    Activate,
    Save,
    SendTest,
    ToggleReveal,
    Cycle,
    CycleBack,
    Close,
    Back,
    Yes,
    No,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Home,
    End,
    Toggle,
    ToggleColumn,
    ToggleRow,
    Undo,
    Filter,
    ClearFilter,
    EditReceivers,
    GotoChannels,
    Add,
    Edit,
    Delete,
    CycleStatus,
    CycleChannel,
    Retry,
    SendSample,
    ViewFull,
}

#[derive(Clone, Copy, Debug)]
pub struct Key(pub KeyCode, pub KeyModifiers);

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn k(code: KeyCode) -> Key {
    Key(code, NONE)
}
const fn c(ch: char) -> Key {
    Key(KeyCode::Char(ch), NONE)
}
const fn ctrl(ch: char) -> Key {
    Key(KeyCode::Char(ch), CTRL)
}

pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    pub desc: &'static str,
    /// Shown in the footer (the help overlay shows every binding).
    pub footer: bool,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    desc: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        desc,
        footer,
    }
}

use Action as A;
use Context as C;
use KeyCode as K;

#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    // Dialog: only non-printing keys, so every character can be typed into a field.
    b(C::Dialog, &[k(K::Tab), k(K::Down)], A::NextField, "next field", true),
    b(C::Dialog, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT), k(K::Up)], A::PrevField, "previous field", false),
    b(C::Dialog, &[k(K::Enter)], A::Activate, "press / next", true),
    b(C::Dialog, &[ctrl('t')], A::SendTest, "test", true),
    b(C::Dialog, &[ctrl('s')], A::Save, "save", true),
    b(C::Dialog, &[k(K::Esc)], A::Close, "cancel/close", true),
    b(C::Dialog, &[ctrl('r'), k(K::F(2))], A::ToggleReveal, "reveal", true),
    // On the Source Column select, before the dialog's own keys.
    b(C::Select, &[c(' '), k(K::Right)], A::Cycle, "change Source Column", true),
    // The select is drawn `< value >`: ← goes back.
    b(C::Select, &[k(K::Left)], A::CycleBack, "previous Source Column", false),
    b(C::Confirm, &[c('y'), c('Y')], A::Yes, "yes", true),
    b(C::Confirm, &[c('n'), c('N'), k(K::Esc)], A::No, "no", true),
    b(C::Help, &[k(K::Esc), c('q'), c('?'), k(K::F(1))], A::Close, "close help", true),
    b(C::Help, &[k(K::Down), c('j')], A::ScrollDown, "scroll", true),
    b(C::Help, &[k(K::Up), c('k')], A::ScrollUp, "scroll up", false),
    b(C::Help, &[k(K::PageDown), c(' ')], A::PageDown, "page down", false),
    b(C::Help, &[k(K::PageUp)], A::PageUp, "page up", false),
    b(C::Help, &[k(K::Home), c('g')], A::Home, "top", false),
    b(C::Help, &[k(K::End), c('G')], A::End, "end", false),
    b(C::Channels, &[k(K::Enter), c('c')], A::Configure, "configure", true),
    b(C::Channels, &[c('t')], A::TestStored, "test", true),
    b(C::Channels, &[c('v')], A::ViewFull, "full text of the last test", false),
    b(C::Channels, &[k(K::Left), c('h')], A::Left, "previous card", false),
    b(C::Channels, &[k(K::Right), c('l')], A::Right, "next card", false),
    b(C::Channels, &[k(K::Up), c('k')], A::Up, "card above", false),
    b(C::Channels, &[k(K::Down), c('j')], A::Down, "card below", false),
    b(C::Channels, &[c('r'), k(K::F(5))], A::Reload, "reload", false),
    b(C::Subscription, &[c(' ')], A::Toggle, "toggle", true),
    b(C::Subscription, &[c('c')], A::ToggleColumn, "column for type", true),
    b(C::Subscription, &[c('w')], A::ToggleRow, "whole row", true),
    b(C::Subscription, &[c('u')], A::Undo, "undo", true),
    b(C::Subscription, &[c('/')], A::Filter, "filter", true),
    b(C::Subscription, &[k(K::Enter)], A::EditReceivers, "custom receivers", false),
    b(C::Subscription, &[k(K::Up), c('k')], A::Up, "previous row", false),
    b(C::Subscription, &[k(K::Down), c('j')], A::Down, "next row", false),
    b(C::Subscription, &[k(K::Left), c('h')], A::Left, "previous column", false),
    b(C::Subscription, &[k(K::Right), c('l')], A::Right, "next column", false),
    b(C::Subscription, &[k(K::PageUp)], A::PageUp, "page up", false),
    b(C::Subscription, &[k(K::PageDown)], A::PageDown, "page down", false),
    b(C::Subscription, &[k(K::Home), c('g')], A::Home, "first row", false),
    b(C::Subscription, &[k(K::End), c('G')], A::End, "last row", false),
    b(C::Subscription, &[c('p')], A::GotoChannels, "set up the personal channel", false),
    b(C::Subscription, &[c('r'), k(K::F(5))], A::Reload, "reload", false),
    b(C::Filter, &[k(K::Enter), k(K::Down), k(K::Up)], A::Close, "keep filter", true),
    b(C::Filter, &[k(K::Esc)], A::ClearFilter, "clear filter", true),
    b(C::Members, &[c('a')], A::Add, "add", true),
    b(C::Members, &[k(K::Enter), c('e')], A::Edit, "edit", true),
    b(C::Members, &[c('d'), k(K::Delete)], A::Delete, "delete", true),
    b(C::Members, &[k(K::Up), c('k')], A::Up, "previous member", false),
    b(C::Members, &[k(K::Down), c('j')], A::Down, "next member", false),
    b(C::Members, &[c('/')], A::Filter, "filter", true),
    b(C::Members, &[k(K::PageUp)], A::PageUp, "page up", false),
    b(C::Members, &[k(K::PageDown)], A::PageDown, "page down", false),
    b(C::Members, &[k(K::Home), c('g')], A::Home, "first member", false),
    b(C::Members, &[k(K::End), c('G')], A::End, "last member", false),
    b(C::Members, &[c('r'), k(K::F(5))], A::Reload, "reload", false),
    b(C::Form, &[k(K::Tab), k(K::Down)], A::NextField, "next field", true),
    b(C::Form, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT), k(K::Up)], A::PrevField, "previous field", false),
    b(C::Form, &[k(K::Enter)], A::Activate, "press / next", true),
    b(C::Form, &[ctrl('s')], A::Save, "save", true),
    b(C::Form, &[k(K::Esc)], A::Close, "close", true),
    b(C::Picker, &[c(' ')], A::Toggle, "add/remove", true),
    b(C::Picker, &[k(K::Enter), ctrl('s')], A::Save, "save", true),
    b(C::Picker, &[k(K::Up), c('k')], A::Up, "previous", false),
    b(C::Picker, &[k(K::Down), c('j')], A::Down, "next", false),
    b(C::Picker, &[c('/')], A::Filter, "filter", true),
    b(C::Picker, &[k(K::Esc)], A::Close, "clear filter / cancel", true),
    b(C::Log, &[k(K::Enter)], A::Edit, "details", true),
    b(C::Log, &[c('r')], A::Retry, "retry failed", true),
    b(C::Log, &[c('f')], A::CycleStatus, "status filter", true),
    b(C::Log, &[c('c')], A::CycleChannel, "channel filter", false),
    b(C::Log, &[c('/')], A::Filter, "search", true),
    b(C::Log, &[c('s')], A::SendSample, "send a sample event (--sandbox)", false),
    b(C::Log, &[k(K::Up), c('k')], A::Up, "newer", false),
    b(C::Log, &[k(K::Down), c('j')], A::Down, "older", false),
    b(C::Log, &[k(K::PageDown), c(']')], A::PageDown, "page down", false),
    b(C::Log, &[k(K::PageUp), c('[')], A::PageUp, "page up", false),
    b(C::Log, &[k(K::Home), c('g')], A::Home, "first row", false),
    b(C::Log, &[k(K::End), c('G')], A::End, "last row", false),
    b(C::Log, &[c('R'), k(K::F(5))], A::Reload, "reload", false),
    b(C::Message, &[k(K::Esc), k(K::Enter), c('q'), c('v')], A::Close, "close", true),
    b(C::Detail, &[c('r')], A::Retry, "retry", true),
    b(C::Detail, &[k(K::Esc), k(K::Enter), c('q')], A::Close, "close", true),
    b(C::Global, &[k(K::Tab)], A::NextTab, "switch tab", true),
    b(C::Global, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT)], A::PrevTab, "previous tab", false),
    b(C::Global, &[c('1')], A::GotoTab(0), "Channel Management", false),
    b(C::Global, &[c('2')], A::GotoTab(1), "Subscription", false),
    b(C::Global, &[c('3')], A::GotoTab(2), "Members", false),
    b(C::Global, &[c('4')], A::GotoTab(3), "Delivery Log", false),
    b(C::Global, &[c('?'), k(K::F(1))], A::Help, "help", true),
    b(C::Global, &[c('q'), ctrl('c')], A::Quit, "quit", true),
    // Esc goes back one level (clears a filter); on a main screen it never quits.
    b(C::Global, &[k(K::Esc)], A::Back, "back / clear filter", false),
];

fn matches(key: &Key, ev: &KeyEvent) -> bool {
    if key.0 != ev.code {
        return false;
    }
    // Terminals differ on whether a shifted character carries SHIFT; the character says it.
    let mods = match ev.code {
        KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
        _ => ev.modifiers,
    };
    mods == key.1
}

/// The action bound to `ev` in `context` (not falling back to other contexts).
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<Action> {
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .find(|b| b.keys.iter().any(|k| matches(k, ev)))
        .map(|b| b.action)
}

/// How one key is written in the footer and help.
pub fn key_label(key: &Key) -> String {
    let name = match key.0 {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(ch) => ch.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "S-Tab".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Backspace => "Bksp".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.1.contains(KeyModifiers::CONTROL) {
        format!("^{}", name.to_uppercase())
    } else {
        name
    }
}

impl Binding {
    /// Where [`Binding::desc`] lives in the locale files: `keys.<Context>.<Action>`.
    pub fn desc_key(&self) -> String {
        let action: String = format!("{:?}", self.action)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        format!("keys.{:?}.{action}", self.context)
    }

    /// [`Binding::desc`] in `lang`.
    pub fn desc_in(&self, lang: Lang) -> &'static str {
        lang.tr(&self.desc_key())
    }

    /// Every key of the binding, as the help lists them ("Esc/q/?/F1").
    pub fn all_keys_label(&self) -> String {
        let mut labels: Vec<String> = Vec::new();
        for key in self.keys {
            let l = key_label(key);
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        labels.join("/")
    }

    /// The first key, as the footer shows it (the help lists the others).
    pub fn first_key_label(&self) -> String {
        self.keys.first().map(key_label).unwrap_or_default()
    }
}

/// The bindings of one context, in table order.
pub fn bindings_of(context: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.context == context)
}

/// The first key bound to `action` in `context`, for texts that name a key.
pub fn key_for(context: Context, action: Action) -> String {
    bindings_of(context)
        .find(|b| b.action == action)
        .map(Binding::first_key_label)
        .unwrap_or_default()
}

/// Footer hints for a chain of contexts, most specific first: (key, description, essential).
/// Help and quit are essential: the footer never drops them.
pub fn footer_hints(contexts: &[Context]) -> Vec<(String, &'static str, bool)> {
    contexts
        .iter()
        .flat_map(|ctx| bindings_of(*ctx).filter(|b| b.footer))
        .map(|b| {
            let essential =
                b.context == Context::Global && matches!(b.action, Action::Help | Action::Quit);
            (b.first_key_label(), b.desc, essential)
        })
        .collect()
}

/// [`footer_hints`] with the descriptions in `lang` (the keys never change).
pub fn footer_hints_in(contexts: &[Context], lang: Lang) -> Vec<(String, &'static str, bool)> {
    contexts
        .iter()
        .flat_map(|ctx| bindings_of(*ctx).filter(|b| b.footer))
        .map(|b| {
            let essential =
                b.context == Context::Global && matches!(b.action, Action::Help | Action::Quit);
            (b.first_key_label(), b.desc_in(lang), essential)
        })
        .collect()
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
