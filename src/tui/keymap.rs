//! The one table of key bindings. Dispatch, the footer hints and the help overlay all read it,
//! so a binding is documented exactly where it is defined.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    Confirm,
    Help,
}

impl Context {
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
            Context::Confirm => "Confirmation",
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
    Close,
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
    Retry,
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
    /// How the keys are written in the footer and help.
    pub keys_label: &'static str,
    pub desc: &'static str,
    /// Shown in the footer (the help overlay shows every binding).
    pub footer: bool,
}

const fn b(
    context: Context,
    keys: &'static [Key],
    action: Action,
    keys_label: &'static str,
    desc: &'static str,
    footer: bool,
) -> Binding {
    Binding {
        context,
        keys,
        action,
        keys_label,
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
    b(C::Dialog, &[k(K::Tab), k(K::Down)], A::NextField, "Tab", "next field", true),
    b(C::Dialog, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT), k(K::Up)], A::PrevField, "S-Tab/↑", "previous field", false),
    b(C::Dialog, &[k(K::Enter)], A::Activate, "Enter", "press / next", true),
    b(C::Dialog, &[ctrl('t')], A::SendTest, "^T", "test", true),
    b(C::Dialog, &[ctrl('s')], A::Save, "^S", "save", true),
    b(C::Dialog, &[k(K::Esc)], A::Close, "Esc", "cancel/close", true),
    b(C::Dialog, &[ctrl('r'), k(K::F(2))], A::ToggleReveal, "^R", "reveal", true),
    b(C::Dialog, &[c(' ')], A::Cycle, "Space", "change Source Column (on the select)", false),
    b(C::Confirm, &[c('y'), c('Y')], A::Yes, "y", "yes", true),
    b(C::Confirm, &[c('n'), c('N'), k(K::Esc)], A::No, "n/Esc", "no", true),
    b(C::Help, &[k(K::Esc), c('q'), c('?'), k(K::F(1))], A::Close, "Esc/?", "close help", true),
    b(C::Help, &[k(K::Down), c('j')], A::ScrollDown, "↓/j", "scroll", true),
    b(C::Help, &[k(K::Up), c('k')], A::ScrollUp, "↑/k", "scroll", false),
    b(C::Channels, &[k(K::Enter), c('c')], A::Configure, "Enter", "configure", true),
    b(C::Channels, &[c('t')], A::TestStored, "t", "test", true),
    b(C::Channels, &[k(K::Left), c('h')], A::Left, "←/h", "previous card", false),
    b(C::Channels, &[k(K::Right), c('l')], A::Right, "→/l", "next card", false),
    b(C::Channels, &[k(K::Up), c('k')], A::Up, "↑/k", "card above", false),
    b(C::Channels, &[k(K::Down), c('j')], A::Down, "↓/j", "card below", false),
    b(C::Channels, &[c('r'), k(K::F(5))], A::Reload, "r", "reload", false),
    b(C::Subscription, &[c(' ')], A::Toggle, "Space", "toggle", true),
    b(C::Subscription, &[c('c')], A::ToggleColumn, "c", "column for type", true),
    b(C::Subscription, &[c('w')], A::ToggleRow, "w", "whole row", true),
    b(C::Subscription, &[c('u')], A::Undo, "u", "undo", true),
    b(C::Subscription, &[c('/')], A::Filter, "/", "filter", true),
    b(C::Subscription, &[k(K::Enter)], A::EditReceivers, "Enter", "custom receivers", false),
    b(C::Subscription, &[k(K::Up), c('k')], A::Up, "↑/k", "previous row", false),
    b(C::Subscription, &[k(K::Down), c('j')], A::Down, "↓/j", "next row", false),
    b(C::Subscription, &[k(K::Left), c('h')], A::Left, "←/h", "previous column", false),
    b(C::Subscription, &[k(K::Right), c('l')], A::Right, "→/l", "next column", false),
    b(C::Subscription, &[k(K::PageUp)], A::PageUp, "PgUp", "page up", false),
    b(C::Subscription, &[k(K::PageDown)], A::PageDown, "PgDn", "page down", false),
    b(C::Subscription, &[k(K::Home), c('g')], A::Home, "Home/g", "first row", false),
    b(C::Subscription, &[k(K::End), c('G')], A::End, "End/G", "last row", false),
    b(C::Subscription, &[c('p')], A::GotoChannels, "p", "set up the personal channel", false),
    b(C::Subscription, &[c('r'), k(K::F(5))], A::Reload, "r", "reload", false),
    b(C::Filter, &[k(K::Enter), k(K::Down), k(K::Up)], A::Close, "Enter", "keep filter", true),
    b(C::Filter, &[k(K::Esc)], A::ClearFilter, "Esc", "clear filter", true),
    b(C::Members, &[c('a')], A::Add, "a", "add", true),
    b(C::Members, &[k(K::Enter), c('e')], A::Edit, "Enter/e", "edit", true),
    b(C::Members, &[c('d'), k(K::Delete)], A::Delete, "d", "delete", true),
    b(C::Members, &[k(K::Up), c('k')], A::Up, "↑/k", "previous member", false),
    b(C::Members, &[k(K::Down), c('j')], A::Down, "↓/j", "next member", false),
    b(C::Members, &[c('r'), k(K::F(5))], A::Reload, "r", "reload", false),
    b(C::Form, &[k(K::Tab), k(K::Down)], A::NextField, "Tab", "next field", true),
    b(C::Form, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT), k(K::Up)], A::PrevField, "S-Tab", "previous field", false),
    b(C::Form, &[k(K::Enter)], A::Activate, "Enter", "press / next", true),
    b(C::Form, &[ctrl('s')], A::Save, "^S", "save", true),
    b(C::Form, &[k(K::Esc)], A::Close, "Esc", "close", true),
    b(C::Picker, &[c(' ')], A::Toggle, "Space", "add/remove", true),
    b(C::Picker, &[k(K::Enter), ctrl('s')], A::Save, "Enter", "save", true),
    b(C::Picker, &[k(K::Up), c('k')], A::Up, "↑/k", "previous", false),
    b(C::Picker, &[k(K::Down), c('j')], A::Down, "↓/j", "next", false),
    b(C::Picker, &[k(K::Esc)], A::Close, "Esc", "cancel", true),
    b(C::Log, &[k(K::Enter)], A::Edit, "Enter", "details", true),
    b(C::Log, &[c('r')], A::Retry, "r", "retry failed", true),
    b(C::Log, &[c('f')], A::CycleStatus, "f", "status filter", true),
    b(C::Log, &[c('/')], A::Filter, "/", "search", true),
    b(C::Log, &[k(K::Up), c('k')], A::Up, "↑/k", "newer", false),
    b(C::Log, &[k(K::Down), c('j')], A::Down, "↓/j", "older", false),
    b(C::Log, &[k(K::PageDown), c(']')], A::PageDown, "PgDn/]", "older page", false),
    b(C::Log, &[k(K::PageUp), c('[')], A::PageUp, "PgUp/[", "newer page", false),
    b(C::Log, &[k(K::Home), c('g')], A::Home, "Home/g", "first on page", false),
    b(C::Log, &[k(K::End), c('G')], A::End, "End/G", "last on page", false),
    b(C::Log, &[c('R'), k(K::F(5))], A::Reload, "R", "reload", false),
    b(C::Detail, &[c('r')], A::Retry, "r", "retry", true),
    b(C::Detail, &[k(K::Esc), k(K::Enter), c('q')], A::Close, "Esc", "close", true),
    b(C::Global, &[k(K::Tab)], A::NextTab, "Tab/1-4", "switch tab", true),
    b(C::Global, &[k(K::BackTab), Key(K::BackTab, KeyModifiers::SHIFT)], A::PrevTab, "S-Tab", "previous tab", false),
    b(C::Global, &[c('1')], A::GotoTab(0), "1", "Channel Management", false),
    b(C::Global, &[c('2')], A::GotoTab(1), "2", "Subscription", false),
    b(C::Global, &[c('3')], A::GotoTab(2), "3", "Members", false),
    b(C::Global, &[c('4')], A::GotoTab(3), "4", "Delivery Log", false),
    b(C::Global, &[c('?'), k(K::F(1))], A::Help, "?", "help", true),
    b(C::Global, &[c('q'), k(K::Esc), ctrl('c')], A::Quit, "q/Esc", "quit", true),
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

/// Footer hints for a chain of contexts, most specific first.
pub fn footer_hints(contexts: &[Context]) -> Vec<(&'static str, &'static str)> {
    contexts
        .iter()
        .flat_map(|ctx| {
            BINDINGS
                .iter()
                .filter(move |b| b.context == *ctx && b.footer)
        })
        .map(|b| (b.keys_label, b.desc))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn dialog_binds_no_printable_character_except_space_on_select() {
        for b in BINDINGS.iter().filter(|b| b.context == Context::Dialog) {
            for k in b.keys {
                if let KeyCode::Char(ch) = k.0 {
                    assert!(
                        k.1.contains(KeyModifiers::CONTROL)
                            || (ch == ' ' && b.action == Action::Cycle)
                    );
                }
            }
        }
    }

    #[test]
    fn no_duplicate_keys_within_a_context() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for bnd in &BINDINGS[i + 1..] {
                if a.context != bnd.context {
                    continue;
                }
                for ka in a.keys {
                    for kb in bnd.keys {
                        assert!(
                            !(ka.0 == kb.0 && ka.1 == kb.1),
                            "{:?} bound twice in {:?}",
                            ka.0,
                            a.context
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn shifted_characters_match() {
        assert_eq!(
            lookup(
                Context::Global,
                &key(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            Some(Action::Help)
        );
        assert_eq!(
            lookup(
                Context::Global,
                &key(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(
                Context::Global,
                &key(KeyCode::Char('x'), KeyModifiers::NONE)
            ),
            None
        );
    }
}
