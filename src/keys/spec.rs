//! Key specs such as `"n"`, `"ctrl-r"`, `"F5"` or `"shift-tab"`, read into [`KeySpec`], a
//! type of our own, so the table and the configuration do not depend on the terminal
//! library; the console matches them against its events.

use std::fmt;

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A printable character; the space bar is `Char(' ')`.
    Char(char),
    /// A function key, `F(1)` to `F(12)`.
    F(u8),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

/// A key and its modifiers. For characters, shift is folded into the character (`shift-a`
/// is `A`, and `shift` is false) and ctrl- letters are lower case, because that is how
/// terminals report them. `shift-tab` is `Tab` with `shift` (crossterm's `BackTab`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// Key names, the first of each code being how it is written back.
const NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("space", KeyCode::Char(' ')),
];

const SPEC_HELP: &str = "write one character (`n`, `?`), F1 to F12, or enter, esc, tab, \
     backspace, delete, insert, up, down, left, right, pgup, pgdown, home, end or space, \
     optionally after ctrl-, alt- or shift-";

pub(super) const fn key(code: KeyCode) -> KeySpec {
    KeySpec {
        code,
        ctrl: false,
        alt: false,
        shift: false,
    }
}

pub(super) const fn char_key(c: char) -> KeySpec {
    key(KeyCode::Char(c))
}

pub(super) const fn ctrl_key(c: char) -> KeySpec {
    KeySpec {
        ctrl: true,
        ..char_key(c)
    }
}

pub(super) const fn alt_key(code: KeyCode) -> KeySpec {
    KeySpec {
        alt: true,
        ..key(code)
    }
}

pub(super) const BACK_TAB: KeySpec = KeySpec {
    shift: true,
    ..key(KeyCode::Tab)
};

impl KeySpec {
    /// Whether it is a character as typed, so a text field would take it as text.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_)) && !self.ctrl && !self.alt
    }

    /// Reads a key spec; the error says what is allowed.
    pub fn parse(spec: &str) -> Result<KeySpec, String> {
        let mut rest = spec.trim();
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        // A lone character after the modifiers is the key itself, so `ctrl--` is ctrl and `-`.
        while rest.chars().count() > 1 {
            let Some((modifier, tail)) = rest.split_once('-') else {
                break;
            };
            let flag = match modifier.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => &mut ctrl,
                "alt" => &mut alt,
                "shift" => &mut shift,
                _ => {
                    return Err(format!(
                        "`{modifier}-` is not a modifier: use ctrl-, alt- or shift-"
                    ));
                }
            };
            if *flag {
                return Err(format!("`{modifier}-` is given twice"));
            }
            *flag = true;
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(format!("no key in `{spec}`: {SPEC_HELP}")),
            (Some(c), None) => KeyCode::Char(c),
            _ => named(rest).ok_or_else(|| format!("unknown key `{rest}`: {SPEC_HELP}"))?,
        };
        let KeyCode::Char(c) = code else {
            return Ok(KeySpec {
                code,
                ctrl,
                alt,
                shift,
            });
        };
        if shift && !c.is_ascii_alphabetic() {
            return Err(format!(
                "shift- goes with letters and named keys; for `{spec}` write the shifted character itself"
            ));
        }
        if ctrl && shift {
            return Err(format!(
                "terminals cannot tell `{spec}` from ctrl-{}: choose another key",
                c.to_ascii_lowercase()
            ));
        }
        let c = if shift {
            c.to_ascii_uppercase()
        } else if ctrl {
            c.to_ascii_lowercase()
        } else {
            c
        };
        Ok(KeySpec {
            code: KeyCode::Char(c),
            ctrl,
            alt,
            shift: false,
        })
    }
}

fn named(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    if let Some(n) = lower.strip_prefix('f')
        && let Ok(n) = n.parse::<u8>()
    {
        return (1..=12).contains(&n).then_some(KeyCode::F(n));
    }
    NAMES
        .iter()
        .find(|(n, _)| *n == lower)
        .map(|&(_, code)| code)
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (on, prefix) in [
            (self.ctrl, "ctrl-"),
            (self.alt, "alt-"),
            (self.shift, "shift-"),
        ] {
            if on {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => {
                let name = NAMES.iter().find(|(_, c)| *c == code).map(|(n, _)| *n);
                f.write_str(name.unwrap_or("?"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> KeySpec {
        KeySpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn specs() {
        assert_eq!(parse("n"), char_key('n'));
        assert_eq!(parse("?"), char_key('?'));
        assert_eq!(parse("-"), char_key('-'));
        assert_eq!(parse("F5"), key(KeyCode::F(5)));
        assert_eq!(parse("f12"), key(KeyCode::F(12)));
        assert_eq!(parse("Enter"), key(KeyCode::Enter));
        assert_eq!(parse("space"), char_key(' '));
        assert_eq!(parse("pgdn"), key(KeyCode::PageDown));
        let ctrl_r = KeySpec {
            ctrl: true,
            ..char_key('r')
        };
        assert_eq!(parse("ctrl-r"), ctrl_r);
        assert_eq!(parse("Ctrl-R"), ctrl_r);
        assert_eq!(parse("ctrl--").code, KeyCode::Char('-'));
        assert_eq!(parse("shift-a"), char_key('A'));
        let alt_shift_x = parse("alt-shift-x");
        assert_eq!(
            (alt_shift_x.code, alt_shift_x.alt),
            (KeyCode::Char('X'), true)
        );
        let back_tab = parse("shift-tab");
        assert_eq!((back_tab.code, back_tab.shift), (KeyCode::Tab, true));
    }

    #[test]
    fn bad_specs_say_what_is_allowed() {
        for (bad, says) in [
            ("", "no key"),
            ("ctrl-", "no key"),
            ("hyper-x", "not a modifier"),
            ("ctrl-ctrl-x", "twice"),
            ("enterr", "F1 to F12"),
            ("F13", "unknown key"),
            ("F0", "unknown key"),
            ("shift-1", "shifted character"),
            ("ctrl-shift-r", "cannot tell"),
        ] {
            let err = KeySpec::parse(bad).expect_err(bad);
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "n",
            "ctrl-r",
            "alt-x",
            "F5",
            "shift-tab",
            "space",
            "pgup",
            "esc",
        ] {
            assert_eq!(parse(s).to_string(), s);
            assert_eq!(parse(&parse(s).to_string()), parse(s));
        }
    }
}
