//! Unit tests of `keymap`, kept beside it so the module stays short.

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
                    k.1.contains(KeyModifiers::CONTROL) || (ch == ' ' && b.action == Action::Cycle)
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
fn labels_name_every_bound_key() {
    let close_help = bindings_of(Context::Help)
        .find(|b| b.action == Action::Close)
        .unwrap();
    assert_eq!(close_help.all_keys_label(), "Esc/q/?/F1");
    let quit = bindings_of(Context::Global)
        .find(|b| b.action == Action::Quit)
        .unwrap();
    assert_eq!(quit.all_keys_label(), "q/^C");
    assert_eq!(quit.first_key_label(), "q");
    // Every context with bindings is listed in the help.
    for b in BINDINGS {
        assert!(Context::ALL.contains(&b.context), "{:?}", b.context);
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
