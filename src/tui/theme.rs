//! Semantic styles. The colour theme uses the 16 named ANSI colours so the user's palette
//! applies (light or dark, over SSH, in tmux). The mono theme (NO_COLOR or `--no-color`) sets
//! no foreground or background anywhere: crossterm turns every colour change into a full SGR
//! reset under NO_COLOR, which would wipe BOLD/REVERSED. State is always shown by a marker
//! (`>`, `[x]`, `✓`/`✗`) as well, never by colour alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Base,
    Title,
    Muted,
    TabActive,
    TabInactive,
    Border,
    BorderFocus,
    Focus,
    Key,
    Ok,
    Error,
    Warn,
    Button,
    ButtonFocus,
    Label,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub mono: bool,
}

impl Theme {
    pub fn color() -> Theme {
        Theme { mono: false }
    }

    pub fn mono() -> Theme {
        Theme { mono: true }
    }

    /// NO_COLOR counts when it is set and not empty (no-color.org).
    pub fn from_env(force_mono: bool) -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if force_mono || no_color {
            Theme::mono()
        } else {
            Theme::color()
        }
    }

    pub fn style(&self, role: Role) -> Style {
        let s = Style::default();
        let bold = Modifier::BOLD;
        if self.mono {
            return match role {
                Role::Title | Role::TabActive | Role::Label => s.add_modifier(bold),
                Role::Focus | Role::ButtonFocus => s.add_modifier(Modifier::REVERSED),
                Role::BorderFocus => s.add_modifier(bold),
                Role::Key => s.add_modifier(bold),
                Role::Error | Role::Warn => s.add_modifier(bold),
                Role::Muted | Role::TabInactive => s,
                _ => s,
            };
        }
        match role {
            Role::Base => s,
            Role::Title => s.fg(Color::Cyan).add_modifier(bold),
            Role::Muted => s.fg(Color::DarkGray),
            Role::TabActive => s.fg(Color::Black).bg(Color::Cyan).add_modifier(bold),
            Role::TabInactive => s,
            Role::Border => s.fg(Color::DarkGray),
            Role::BorderFocus => s.fg(Color::Cyan),
            Role::Focus => s.add_modifier(Modifier::REVERSED),
            Role::Key => s.fg(Color::Cyan).add_modifier(bold),
            Role::Ok => s.fg(Color::Green).add_modifier(bold),
            Role::Error => s.fg(Color::Red).add_modifier(bold),
            Role::Warn => s.fg(Color::Yellow),
            Role::Button => s,
            Role::ButtonFocus => s.fg(Color::Black).bg(Color::Cyan).add_modifier(bold),
            Role::Label => s.add_modifier(bold),
        }
    }
}
