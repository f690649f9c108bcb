//! The binding table (`crate::keys`) with the configuration's keys, matched against the
//! terminal's events. Dispatch, the footer and the help overlay all read it, so they can
//! never disagree with what the keys do.

use std::cmp::Reverse;

use ratatui::crossterm::event::{KeyCode as K, KeyEvent, KeyModifiers as M};

pub use crate::keys::{Binding, Command, Conflict, Context};
use crate::keys::{KeyCode, KeySpec};

/// Whether `event` is `spec`. Shift is part of an upper-case character (and of shift-tab),
/// so it is not compared for those.
pub fn matches(spec: &KeySpec, event: &KeyEvent) -> bool {
    let (code_matches, shift_counts) = match (spec.code, event.code) {
        (KeyCode::Char(a), K::Char(b)) => (a == b, false),
        (KeyCode::Tab, K::BackTab) => (spec.shift, false),
        (KeyCode::Tab, K::Tab) => (true, true),
        (KeyCode::F(a), K::F(b)) => (a == b, true),
        (KeyCode::Enter, K::Enter)
        | (KeyCode::Esc, K::Esc)
        | (KeyCode::Backspace, K::Backspace)
        | (KeyCode::Delete, K::Delete)
        | (KeyCode::Insert, K::Insert)
        | (KeyCode::Up, K::Up)
        | (KeyCode::Down, K::Down)
        | (KeyCode::Left, K::Left)
        | (KeyCode::Right, K::Right)
        | (KeyCode::PageUp, K::PageUp)
        | (KeyCode::PageDown, K::PageDown)
        | (KeyCode::Home, K::Home)
        | (KeyCode::End, K::End) => (true, true),
        _ => (false, false),
    };
    let m = event.modifiers;
    code_matches
        && spec.ctrl == m.contains(M::CONTROL)
        && spec.alt == m.contains(M::ALT)
        && (!shift_counts || spec.shift == m.contains(M::SHIFT))
}

/// How the footer and the help overlay write a key.
pub fn label(spec: &KeySpec) -> String {
    match (spec.code, spec.ctrl || spec.alt || spec.shift) {
        (KeyCode::Up, false) => "↑".into(),
        (KeyCode::Down, false) => "↓".into(),
        (KeyCode::PageDown, false) => "pgdn".into(),
        _ => spec.to_string(),
    }
}

/// Keys as the help writes them: a run of consecutive digits as `1-9`.
fn joined(keys: &[String]) -> String {
    let digits: Option<Vec<u32>> = keys
        .iter()
        .map(|k| k.parse::<u32>().ok().filter(|d| *d < 10))
        .collect();
    match digits.as_deref() {
        Some([first, .., last]) if keys.len() > 2 && (last - first) as usize + 1 == keys.len() => {
            format!("{first}-{last}")
        }
        _ => keys.join("/"),
    }
}

/// The bindings in force: the table's, with the configuration's keys.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: crate::keys::defaults(),
        }
    }
}

impl Keymap {
    /// The table with the keys `config` gives; refused when two actions would then share a
    /// key on one screen, or a character would be taken where text is typed.
    pub fn configured(config: &crate::config::Keymap) -> Result<Keymap, Conflict> {
        let mut km = Keymap::default();
        for (name, keys) in config.set_by_files() {
            km.rebind(name, keys.to_vec());
        }
        match crate::keys::conflict(&km.bindings) {
            Some(c) => Err(c),
            None => Ok(km),
        }
    }

    /// Rebinds every binding named `name` to `keys`.
    pub fn rebind(&mut self, name: &str, keys: Vec<KeySpec>) {
        for b in self.bindings.iter_mut().filter(|b| b.name == name) {
            b.keys = keys.clone();
        }
    }

    /// The command `event` means in `contexts` (searched in order).
    pub fn lookup(
        &self,
        contexts: &[Context],
        event: &KeyEvent,
        read_only: bool,
    ) -> Option<Command> {
        self.visible(contexts, read_only)
            .find(|b| b.keys.iter().any(|k| matches(k, event)))
            .map(|b| b.command)
    }

    /// How the keys of `command` in `context` are written, for text that names them.
    pub fn key_of(&self, context: Context, command: Command) -> String {
        let keys: Vec<String> = self
            .bindings
            .iter()
            .find(|b| b.context == context && b.command == command)
            .map(|b| b.keys.iter().map(label).collect())
            .unwrap_or_default();
        keys.join("/")
    }

    /// The bindings that apply in `contexts`, for the help overlay, the keys that hold on
    /// every screen last: rows with the same help text one after the other (the tab digits)
    /// are one row.
    pub fn help(&self, contexts: &[Context], read_only: bool) -> Vec<(String, &'static str)> {
        let mut order: Vec<Context> = contexts.to_vec();
        order.sort_by_key(|c| *c == Context::Always);
        let mut out: Vec<(Vec<String>, &'static str)> = Vec::new();
        for b in self.visible(&order, read_only) {
            let keys = b.keys.iter().map(label);
            match out.last_mut() {
                Some((k, h)) if *h == b.help => k.extend(keys),
                _ => out.push((keys.collect(), b.help)),
            }
        }
        out.into_iter().map(|(k, h)| (joined(&k), h)).collect()
    }

    /// The short list for the footer: each action, its keys and its name.
    pub fn footer(
        &self,
        contexts: &[Context],
        read_only: bool,
    ) -> Vec<(Command, String, &'static str)> {
        self.visible(contexts, read_only)
            .filter(|b| b.footer)
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(label).collect();
                (b.command, keys.join("/"), b.name)
            })
            .collect()
    }

    /// The footer within `width` columns, each entry written as its keys, its name and two
    /// spaces. When not all fit, entries give way by their context's rank, the last first:
    /// the screen's own keys before the running work's, and the ways to get help and to quit
    /// last, so they stay on the narrowest screen.
    pub fn footer_within(
        &self,
        contexts: &[Context],
        read_only: bool,
        width: usize,
        offered: impl Fn(Command) -> bool,
    ) -> Vec<(Command, String, &'static str)> {
        let mut entries: Vec<(u8, Command, String, &'static str)> = self
            .visible(contexts, read_only)
            .filter(|b| b.footer && offered(b.command))
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(label).collect();
                (b.context.footer_rank(), b.command, keys.join("/"), b.name)
            })
            .collect();
        let wide = |e: &[(u8, Command, String, &str)]| -> usize {
            e.iter()
                .map(|(_, _, k, n)| k.chars().count() + n.chars().count() + 3)
                .sum()
        };
        // The last entry's two trailing spaces may fall off the edge.
        while wide(&entries) > width + 2 {
            let Some(i) = (0..entries.len()).min_by_key(|i| (entries[*i].0, Reverse(*i))) else {
                break;
            };
            entries.remove(i);
        }
        entries.into_iter().map(|(_, c, k, n)| (c, k, n)).collect()
    }

    fn visible<'a>(
        &'a self,
        contexts: &'a [Context],
        read_only: bool,
    ) -> impl Iterator<Item = &'a Binding> + 'a {
        contexts.iter().flat_map(move |ctx| {
            self.bindings
                .iter()
                .filter(move |b| b.context == *ctx && !(read_only && b.mutating))
        })
    }
}
