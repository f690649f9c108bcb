//! One table of key bindings: it dispatches keys, and the help overlay and the footer are
//! generated from it, so they can never disagree with what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    Help,
    NextTab,
    PrevTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    ApplyNext,
    DryRun,
    Verify,
    EditCheck,
    Rollback,
    Resume,
    Mark,
    Diff,
    Accept,
    CancelJob,
    Refresh,
    DetailDown,
    DetailUp,
    CycleSort,
    CycleVerdict,
    DropIndex,
    RebuildIndex,
    RefreshMatview,
    CancelBackend,
    TerminateBackend,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere no dialog is open.
    Global,
    /// The Phases tab.
    Phases,
    /// The Log tab.
    Log,
    /// The Indexes tab.
    Indexes,
    /// The Matviews tab.
    Matviews,
    /// The Activity tab.
    Activity,
    /// While a phase or a query runs.
    Running,
    /// The check results grid of a validation preview.
    Checks,
}

impl Context {
    fn is_tab(self) -> bool {
        matches!(
            self,
            Context::Phases
                | Context::Log
                | Context::Indexes
                | Context::Matviews
                | Context::Activity
        )
    }
}

/// A key: code and modifiers, compared as crossterm reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Whether `event` is this key. Shift is part of an upper-case character, so it is
    /// ignored for characters.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let mods = match event.code {
            KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
            KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
            _ => event.modifiers,
        };
        self.code == event.code && self.mods == mods
    }

    /// How the help overlay and the footer write it.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "shift-tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}").to_lowercase(),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("ctrl-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("alt-{base}")
        } else {
            base
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Binding {
    pub context: Context,
    pub command: Command,
    pub keys: Vec<Key>,
    /// The name a configuration file uses to rebind it.
    pub name: &'static str,
    pub help: &'static str,
    /// Shown in the footer when it applies.
    pub footer: bool,
    /// Changes the database: hidden in a read-only session.
    pub mutating: bool,
}

pub(super) fn b(
    context: Context,
    command: Command,
    keys: &[Key],
    name: &'static str,
    help: &'static str,
    footer: bool,
    mutating: bool,
) -> Binding {
    Binding {
        context,
        command,
        keys: keys.to_vec(),
        name,
        help,
        footer,
        mutating,
    }
}

/// The default bindings.
pub fn defaults() -> Vec<Binding> {
    use Command::*;
    use Context::*;
    use KeyCode as K;
    vec![
        b(
            Global,
            Help,
            &[Key::ch('?')],
            "help",
            "show these keys",
            true,
            false,
        ),
        b(
            Global,
            Quit,
            &[Key::ch('q')],
            "quit",
            "quit (asks if work runs)",
            true,
            false,
        ),
        b(
            Global,
            NextTab,
            &[Key::plain(K::Tab)],
            "next_tab",
            "next tab",
            false,
            false,
        ),
        b(
            Global,
            PrevTab,
            &[Key::plain(K::BackTab)],
            "prev_tab",
            "previous tab",
            false,
            false,
        ),
        b(
            Global,
            Refresh,
            &[Key::ctrl('r')],
            "refresh",
            "reload the plan and tab",
            false,
            false,
        ),
        b(
            Phases,
            Down,
            &[Key::ch('j'), Key::plain(K::Down)],
            "down",
            "next phase",
            false,
            false,
        ),
        b(
            Phases,
            Up,
            &[Key::ch('k'), Key::plain(K::Up)],
            "up",
            "previous phase",
            false,
            false,
        ),
        b(
            Phases,
            PageDown,
            &[Key::plain(K::PageDown)],
            "page_down",
            "page down",
            false,
            false,
        ),
        b(
            Phases,
            PageUp,
            &[Key::plain(K::PageUp)],
            "page_up",
            "page up",
            false,
            false,
        ),
        b(
            Phases,
            Top,
            &[Key::ch('g'), Key::plain(K::Home)],
            "top",
            "first phase",
            false,
            false,
        ),
        b(
            Phases,
            Bottom,
            &[Key::ch('G'), Key::plain(K::End)],
            "bottom",
            "last phase",
            false,
            false,
        ),
        b(
            Phases,
            DetailDown,
            &[Key::ch('J')],
            "detail_down",
            "scroll the detail down",
            false,
            false,
        ),
        b(
            Phases,
            DetailUp,
            &[Key::ch('K')],
            "detail_up",
            "scroll the detail up",
            false,
            false,
        ),
        b(
            Phases,
            Filter,
            &[Key::ch('/')],
            "filter",
            "filter by version/name/state",
            true,
            false,
        ),
        b(
            Phases,
            ApplyNext,
            &[Key::ch('n')],
            "apply_next",
            "apply the next pending phase",
            true,
            true,
        ),
        b(
            Phases,
            DryRun,
            &[Key::ch('d')],
            "dry_run",
            "dry run the next phase",
            true,
            true,
        ),
        b(
            Phases,
            Verify,
            &[Key::ch('v')],
            "verify",
            "run checks now, read-only",
            true,
            false,
        ),
        b(
            Phases,
            Rollback,
            &[Key::ch('r')],
            "rollback",
            "roll back from the selected",
            true,
            true,
        ),
        b(
            Phases,
            Resume,
            &[Key::ch('s')],
            "resume",
            "resume a dirty phase",
            false,
            true,
        ),
        b(
            Phases,
            Mark,
            &[Key::ch('m')],
            "mark",
            "mark dirty/failed phase",
            false,
            true,
        ),
        b(
            Phases,
            Diff,
            &[Key::ch('f')],
            "diff",
            "diff of a drifted phase",
            false,
            false,
        ),
        b(
            Phases,
            Accept,
            &[Key::ch('a')],
            "accept",
            "accept a drifted file",
            false,
            true,
        ),
        b(
            Log,
            Down,
            &[Key::ch('j'), Key::plain(K::Down)],
            "down",
            "next event",
            false,
            false,
        ),
        b(
            Log,
            Up,
            &[Key::ch('k'), Key::plain(K::Up)],
            "up",
            "previous event",
            false,
            false,
        ),
        b(
            Log,
            Top,
            &[Key::ch('g'), Key::plain(K::Home)],
            "top",
            "newest event",
            false,
            false,
        ),
        b(
            Log,
            Bottom,
            &[Key::ch('G'), Key::plain(K::End)],
            "bottom",
            "oldest event",
            false,
            false,
        ),
        b(
            Running,
            CancelJob,
            &[Key::ch('c'), Key::plain(K::Esc)],
            "cancel",
            "cancel it on the server",
            true,
            false,
        ),
        b(
            Checks,
            EditCheck,
            &[Key::ch('e')],
            "edit_check",
            "edit the check, run read-only",
            true,
            false,
        ),
    ]
    .into_iter()
    .chain(super::keymap_monitor::bindings())
    .collect()
}

/// The bindings in force: the defaults with configured overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: defaults(),
        }
    }
}

impl Keymap {
    /// Rebinds every binding named `name` to `keys`.
    pub fn rebind(&mut self, name: &str, keys: Vec<Key>) {
        for b in self.bindings.iter_mut().filter(|b| b.name == name) {
            b.keys = keys.clone();
        }
    }

    /// Two actions that share a key where both can be in force at once (a tab's, the running
    /// phase's and the global keys are searched together), so one would silently shadow the
    /// other: their binding names and the key.
    pub fn clash(&self) -> Option<(&'static str, &'static str, Key)> {
        let together = |a: Context, b: Context| {
            a == b || (a != Context::Checks && b != Context::Checks && !(a.is_tab() && b.is_tab()))
        };
        let all = &self.bindings;
        all.iter()
            .enumerate()
            .flat_map(|(i, x)| all[i + 1..].iter().map(move |y| (x, y)))
            .filter(|(x, y)| x.name != y.name && together(x.context, y.context))
            .find_map(|(x, y)| {
                let k = x.keys.iter().find(|k| y.keys.contains(k))?;
                Some((x.name, y.name, *k))
            })
    }

    /// The command `event` means in `contexts` (searched in order).
    pub fn lookup(
        &self,
        contexts: &[Context],
        event: &KeyEvent,
        read_only: bool,
    ) -> Option<Command> {
        contexts.iter().find_map(|ctx| {
            self.bindings
                .iter()
                .filter(|b| b.context == *ctx && !(read_only && b.mutating))
                .find(|b| b.keys.iter().any(|k| k.matches(event)))
                .map(|b| b.command)
        })
    }

    /// The bindings that apply in `contexts`, for the help overlay.
    pub fn help(&self, contexts: &[Context], read_only: bool) -> Vec<(String, &'static str)> {
        self.visible(contexts, read_only)
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(Key::label).collect();
                (keys.join("/"), b.help)
            })
            .collect()
    }

    /// The short list for the footer: the first key and the action's name.
    pub fn footer(&self, contexts: &[Context], read_only: bool) -> Vec<(String, &'static str)> {
        self.visible(contexts, read_only)
            .filter(|b| b.footer)
            .filter_map(|b| b.keys.first().map(|k| (k.label(), b.name)))
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn the_default_keys_never_shadow_each_other() {
        assert_eq!(Keymap::default().clash(), None);
    }

    #[test]
    fn a_rebound_key_that_shadows_another_on_the_same_screen_is_a_clash() {
        let mut km = Keymap::default();
        km.rebind("rollback", vec![Key::ch('r'), Key::ctrl('r')]);
        let clash = km.clash().map(|(a, b, k)| (a, b, k.label()));
        assert_eq!(clash, Some(("refresh", "rollback", "ctrl-r".into())));

        let mut km = Keymap::default();
        km.rebind("apply_next", vec![Key::ch('q')]);
        assert!(
            km.clash().is_some(),
            "q would no longer quit on the phases tab"
        );

        // Keys of different tabs never meet.
        let mut km = Keymap::default();
        km.rebind("apply_next", vec![Key::ch('x')]);
        assert_eq!(km.clash(), None);
    }

    #[test]
    fn lookup_by_context_and_read_only() {
        let km = Keymap::default();
        let phases = [Context::Phases, Context::Global];
        assert_eq!(
            km.lookup(&phases, &key('n'), false),
            Some(Command::ApplyNext)
        );
        assert_eq!(km.lookup(&phases, &key('n'), true), None);
        assert_eq!(km.lookup(&phases, &key('q'), true), Some(Command::Quit));
        assert_eq!(
            km.lookup(&[Context::Log, Context::Global], &key('n'), false),
            None
        );
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(km.lookup(&phases, &shifted, false), Some(Command::Bottom));
    }

    #[test]
    fn rebinding_changes_dispatch_and_help() {
        let mut km = Keymap::default();
        km.rebind("apply_next", vec![Key::ctrl('a')]);
        let phases = [Context::Phases];
        assert_eq!(km.lookup(&phases, &key('n'), false), None);
        let ctrl_a = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL);
        assert_eq!(km.lookup(&phases, &ctrl_a, false), Some(Command::ApplyNext));
        let help = km.help(&phases, false);
        assert!(
            help.iter()
                .any(|(k, h)| k == "ctrl-a" && h.contains("apply"))
        );
        assert!(
            !km.help(&phases, true)
                .iter()
                .any(|(_, h)| h.contains("apply"))
        );
    }
}
