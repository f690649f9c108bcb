//! The console's keys: one table of every binding of every screen (tabs, dialogs, the
//! editor, the global keys). The console dispatches keys, draws its footer and its help
//! from it, and the configuration's `[keys]` names are its binding names, so none of them
//! can disagree with what a key does.
//!
//! A leaf module: the configuration and the console both read it, it reads neither.

mod dialogs;
mod fleet;
mod monitor;
mod spec;
mod tabs;

pub use spec::{KeyCode, KeySpec};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    Interrupt,
    Quit,
    Help,
    NextTab,
    PrevTab,
    /// The tab at this 1-based position of the tab bar.
    GoTab(u8),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Filter,
    FilterDone,
    FilterClear,
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
    /// Pause a batched step between batches, or resume it.
    BatchPause,
    BatchBigger,
    BatchSmaller,
    PauseLonger,
    PauseShorter,
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
    RestoreKept,
    PurgeKept,
    /// Yes in a question or the apply dialog.
    Confirm,
    /// No in a question or the apply dialog.
    Decline,
    /// Enter after typing what a dialog asks for.
    Submit,
    /// Leaves a dialog without acting.
    Back,
    /// Closes a result view.
    Close,
    ScrollUp,
    ScrollDown,
    ScrollPageUp,
    ScrollPageDown,
    NextField,
    MarkApplied,
    MarkPending,
    /// Resume a statement in doubt: the database decides.
    InDoubtAsk,
    InDoubtDone,
    InDoubtRerun,
    /// Above `trash_max`: keep the copy whatever its size.
    KeepAnyway,
    /// Above `trash_max`: keep nothing, for a typed reason.
    KeepNone,
    RunQuery,
    /// The Fleet view: the chosen target's own console.
    OpenTarget,
    /// Scroll the query editor's result, whose arrows move the cursor.
    ResultDown,
    ResultUp,
}

/// Where a binding applies: a tab, a dialog, or keys that hold across several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Everywhere, dialogs and the editor included.
    Always,
    /// Every tab while no dialog is open.
    Global,
    Phases,
    Log,
    Indexes,
    Matviews,
    Activity,
    Trash,
    /// While work runs, on every tab.
    Running,
    /// While a batched step runs, on every tab.
    Batch,
    /// Typing a filter.
    FilterInput,
    /// Check results, a dry run's statements.
    Results,
    /// The diff of a drifted phase.
    DiffView,
    /// The apply dialog, when `y` applies.
    Apply,
    /// A dialog that needs a version, name or pid typed: apply with `confirm = "typed"`,
    /// rollback, maintenance.
    Typed,
    /// A reason and the typed version (mark, accept, resume).
    Reason,
    /// Mark applied or pending.
    MarkChoice,
    /// Resuming a statement in doubt.
    InDoubt,
    /// A copy above `trash_max`: keep anyway, do not keep, or cancel.
    KeepChoice,
    /// A yes/no question: cancel the running work, quit while work runs.
    Question,
    /// The read-only query editor.
    Editor,
    /// The Fleet view (`pgstep --fleet NAME`): every target against every phase.
    Fleet,
    /// The list of keys (`?`): any key not bound here closes it.
    HelpView,
}

impl Context {
    /// Every context, in the order help lists them.
    pub const ALL: [Context; 23] = [
        Context::Always,
        Context::Global,
        Context::Phases,
        Context::Log,
        Context::Indexes,
        Context::Matviews,
        Context::Activity,
        Context::Trash,
        Context::Running,
        Context::Batch,
        Context::FilterInput,
        Context::Results,
        Context::DiffView,
        Context::Apply,
        Context::Typed,
        Context::Reason,
        Context::MarkChoice,
        Context::InDoubt,
        Context::KeepChoice,
        Context::Question,
        Context::Editor,
        Context::Fleet,
        Context::HelpView,
    ];

    const TABS: [Context; 6] = [
        Context::Phases,
        Context::Log,
        Context::Indexes,
        Context::Matviews,
        Context::Activity,
        Context::Trash,
    ];

    /// How an error names where it is.
    pub fn describe(self) -> &'static str {
        match self {
            Context::Always => "every screen",
            Context::Global => "every tab",
            Context::Phases => "the Phases tab",
            Context::Log => "the Log tab",
            Context::Indexes => "the Indexes tab",
            Context::Matviews => "the Matviews tab",
            Context::Activity => "the Activity tab",
            Context::Trash => "the Trash tab",
            Context::Running => "running work",
            Context::Batch => "a running batched step",
            Context::FilterInput => "the filter",
            Context::Results => "the check results",
            Context::DiffView => "the diff",
            Context::Apply => "the apply dialog",
            Context::Typed => "a dialog that asks for a typed version, name or pid",
            Context::Reason => "the reason dialog",
            Context::MarkChoice => "the mark dialog",
            Context::InDoubt => "the statement-in-doubt dialog",
            Context::KeepChoice => "the choice about a copy above trash_max",
            Context::Question => "a yes/no question",
            Context::Editor => "the query editor",
            Context::Fleet => "the Fleet view",
            Context::HelpView => "the list of keys",
        }
    }

    /// How long the footer keeps this context's keys on a screen too narrow for all of
    /// them, lowest given up first: the screen's own keys, then the batch's steering, then
    /// cancelling the running work; help and quit, which hold everywhere, stay.
    pub fn footer_rank(self) -> u8 {
        match self {
            Context::Always | Context::Global => 3,
            Context::Running => 2,
            Context::Batch => 1,
            _ => 0,
        }
    }

    /// Where characters are text: a key there must not be one.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Context::FilterInput | Context::Typed | Context::Reason | Context::Editor
        )
    }

    /// The contexts searched together when this one is on screen, most specific first.
    pub fn screen(self) -> Vec<Context> {
        if Context::TABS.contains(&self) {
            vec![
                Context::Always,
                Context::Running,
                Context::Batch,
                self,
                Context::Global,
            ]
        } else {
            match self {
                Context::Always | Context::Global | Context::Running | Context::Batch => {
                    vec![self]
                }
                other => vec![Context::Always, other],
            }
        }
    }

    /// Every screen: the tabs with their global and running keys, and each dialog.
    fn screens() -> impl Iterator<Item = Vec<Context>> {
        Context::ALL
            .into_iter()
            .filter(|c| {
                !matches!(
                    c,
                    Context::Always | Context::Global | Context::Running | Context::Batch
                )
            })
            .map(Context::screen)
    }
}

/// Moving through a list: the same keys on every tab and list.
const DOWN: &[KeySpec] = &[spec::char_key('j'), spec::key(KeyCode::Down)];
const UP: &[KeySpec] = &[spec::char_key('k'), spec::key(KeyCode::Up)];
const TOP: &[KeySpec] = &[spec::char_key('g'), spec::key(KeyCode::Home)];
const BOTTOM: &[KeySpec] = &[spec::char_key('G'), spec::key(KeyCode::End)];

/// Shown in the footer when it applies.
pub const FOOTER: u8 = 1;
/// Changes the database: hidden and refused in a read-only session.
pub const MUTATING: u8 = 2;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub command: Command,
    /// The name `[keys]` rebinds it by; one name may bind the same action on several
    /// screens, and then has the same keys on all of them.
    pub name: &'static str,
    pub keys: Vec<KeySpec>,
    pub help: &'static str,
    pub footer: bool,
    pub mutating: bool,
}

/// A row as the table files write it.
type Row = (
    Context,
    Command,
    &'static str,
    &'static [KeySpec],
    &'static str,
    u8,
);

fn rows(rows: &[Row]) -> impl Iterator<Item = Binding> + '_ {
    rows.iter()
        .map(|&(context, command, name, keys, help, flags)| Binding {
            context,
            command,
            name,
            keys: keys.to_vec(),
            help,
            footer: flags & FOOTER != 0,
            mutating: flags & MUTATING != 0,
        })
}

/// Every binding with its default keys.
pub fn defaults() -> Vec<Binding> {
    rows(tabs::ROWS)
        .chain(rows(monitor::ROWS))
        .chain(rows(dialogs::ROWS))
        .chain(rows(fleet::ROWS))
        .collect()
}

/// Every name `[keys]` takes, with its default keys, in the table's order.
pub fn actions() -> Vec<(&'static str, Vec<KeySpec>)> {
    let mut out: Vec<(&'static str, Vec<KeySpec>)> = Vec::new();
    for b in defaults() {
        if !out.iter().any(|(n, _)| *n == b.name) {
            out.push((b.name, b.keys));
        }
    }
    out
}

/// Why a set of bindings cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Two actions on one screen share a key: the first found would shadow the other.
    Shared {
        first: &'static str,
        second: &'static str,
        key: KeySpec,
    },
    /// A character bound where characters are typed text.
    Typed {
        name: &'static str,
        key: KeySpec,
        context: Context,
    },
}

/// The first conflict among `bindings`, if any.
pub fn conflict(bindings: &[Binding]) -> Option<Conflict> {
    for screen in Context::screens() {
        let on: Vec<&Binding> = bindings
            .iter()
            .filter(|b| screen.contains(&b.context))
            .collect();
        for (i, x) in on.iter().enumerate() {
            for y in &on[i + 1..] {
                if x.name == y.name {
                    continue;
                }
                if let Some(key) = x.keys.iter().find(|k| y.keys.contains(k)) {
                    return Some(Conflict::Shared {
                        first: x.name,
                        second: y.name,
                        key: *key,
                    });
                }
            }
        }
        let Some(&context) = screen.iter().find(|c| c.takes_text()) else {
            continue;
        };
        for b in on {
            if let Some(key) = b.keys.iter().find(|k| k.is_text()) {
                return Some(Conflict::Typed {
                    name: b.name,
                    key: *key,
                    context,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_never_conflict() {
        assert_eq!(conflict(&defaults()), None);
    }

    #[test]
    fn one_name_has_one_set_of_keys_and_one_command() {
        let all = defaults();
        for b in &all {
            for other in all.iter().filter(|o| o.name == b.name) {
                assert_eq!(b.keys, other.keys, "{}", b.name);
                assert_eq!(b.command, other.command, "{}", b.name);
            }
        }
    }

    #[test]
    fn every_default_key_is_written_back_as_it_reads() {
        for (name, keys) in actions() {
            assert!(!keys.is_empty(), "{name}");
            for k in keys {
                assert_eq!(KeySpec::parse(&k.to_string()), Ok(k), "{name}");
            }
        }
    }
}
