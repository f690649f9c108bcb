//! Dialogs: what each holds, and what its keys do. A dialog that changes the database leaves
//! Cancel focused and needs an explicit yes or the typed version.

use ratatui_textarea::TextArea;

use super::keymap::{Command, Context};
use crate::adopt::Adopted;
use crate::engine::keeping::Oversize;
use crate::engine::{CheckOutcome, InDoubt, ResultSet};
use crate::plan::Version;

/// A phase the rollback dialog lists, with its DOWN statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoLine {
    pub version: Version,
    pub name: String,
    /// `None` until the phase's files are read.
    pub down: Option<Vec<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonFor {
    MarkApplied,
    MarkPending,
    Accept,
    /// With the operator's word on a statement in doubt, for when the database cannot tell.
    Resume(Option<InDoubt>),
}

impl ReasonFor {
    pub fn title(self) -> &'static str {
        match self {
            ReasonFor::MarkApplied => "Mark applied",
            ReasonFor::MarkPending => "Mark pending",
            ReasonFor::Accept => "Accept the changed file",
            ReasonFor::Resume(None) => "Resume the dirty phase",
            ReasonFor::Resume(Some(InDoubt::Done)) => "Resume: the statement in doubt took effect",
            ReasonFor::Resume(Some(InDoubt::Rerun)) => "Resume: run the statement in doubt again",
        }
    }
}

/// Which field of a reason dialog has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reason,
    Version,
}

#[derive(Debug)]
pub enum Modal {
    ConfirmApply {
        version: Version,
        summary: Vec<String>,
        /// With `confirm = "typed"`: the version typed so far.
        typed: Option<String>,
        hint: Option<String>,
        /// Rows of the summary scrolled past (the arrow and page keys).
        scroll: usize,
        /// The copy the phase's statements keep, once measured, when it is above `trash_max`.
        oversize: Option<Oversize>,
    },
    Rollback {
        version: Version,
        phases: Vec<UndoLine>,
        /// What the DOWN parts destroy; `None` while it loads.
        impact: Option<Vec<String>>,
        input: String,
        hint: Option<String>,
        /// Lines of the body scrolled past (the arrow and page keys).
        scroll: usize,
        /// The copy the DOWN parts keep, once measured, when it is above `trash_max`.
        oversize: Option<Oversize>,
    },
    /// A confirmed apply or rollback whose copy is above `trash_max`: keep it anyway, keep
    /// nothing for a typed reason, or cancel.
    KeepChoice {
        held: Held,
        oversize: Oversize,
        /// `Some` once "do not keep" is chosen: the reason typed so far.
        reason: Option<String>,
        hint: Option<String>,
    },
    MarkChoice {
        version: Version,
        /// False for a failed transactional phase, of which nothing remains.
        can_apply: bool,
    },
    /// Resuming a phase whose statement `statement` (1-based) was in flight when its session
    /// was lost: the operator's word for when the database cannot tell.
    InDoubtChoice {
        version: Version,
        statement: i32,
    },
    Reason {
        purpose: ReasonFor,
        version: Version,
        reason: String,
        typed: String,
        field: Field,
        hint: Option<String>,
    },
    ConfirmCancel,
    ConfirmQuit,
    Results {
        title: String,
        version: Option<Version>,
        checks: Vec<CheckOutcome>,
        /// Lines before the grid: statements, locks, errors.
        notes: Vec<String>,
        selected: usize,
        /// Lines of the notes scrolled past (the page keys), for a dry run's long list.
        scroll: usize,
    },
    Editor {
        version: Version,
        check: String,
        area: Box<TextArea<'static>>,
        result: Option<Result<ResultSet, String>>,
        /// Rows of the result scrolled past.
        scroll: usize,
        /// The check results it was opened from, shown again when it closes.
        back: Option<Box<Modal>>,
    },
    Diff {
        version: Version,
        text: String,
        scroll: u16,
    },
    /// The first change on a database whose project's own tool pgstep adopted: what was
    /// read, confirmed by typing the tool's name before `then` goes on.
    ConfirmAdoption {
        summary: Adopted,
        then: Command,
        input: String,
        hint: Option<String>,
        scroll: usize,
    },
    /// Drop, rebuild or refresh from a monitoring tab, or signal a blocker.
    Maintain {
        op: Maintenance,
        /// What it acts on, one fact a line.
        facts: Vec<String>,
        input: String,
        hint: Option<String>,
        /// Lines of the facts scrolled past.
        scroll: usize,
    },
}

impl Modal {
    /// Where its keys come from in the binding table.
    pub fn context(&self) -> Context {
        match self {
            Modal::ConfirmApply { typed: None, .. } => Context::Apply,
            Modal::ConfirmApply { .. }
            | Modal::Rollback { .. }
            | Modal::Maintain { .. }
            | Modal::ConfirmAdoption { .. } => Context::Typed,
            Modal::KeepChoice { reason: None, .. } => Context::KeepChoice,
            Modal::KeepChoice { .. } => Context::Typed,
            Modal::MarkChoice { .. } => Context::MarkChoice,
            Modal::InDoubtChoice { .. } => Context::InDoubt,
            Modal::Reason { .. } => Context::Reason,
            Modal::ConfirmCancel | Modal::ConfirmQuit => Context::Question,
            Modal::Results { .. } => Context::Results,
            Modal::Editor { .. } => Context::Editor,
            Modal::Diff { .. } => Context::DiffView,
        }
    }
}

/// The run a [`Modal::KeepChoice`] holds until the operator chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Applying phases up to and including this one.
    Apply(Version),
    /// Rolling back this phase and every applied one after it.
    Rollback(Version),
}

impl Held {
    pub fn version(&self) -> &Version {
        match self {
            Held::Apply(v) | Held::Rollback(v) => v,
        }
    }
}

/// How many lines the rollback dialog's body has in all, before wrapping: where its
/// scrolling ends.
pub fn rollback_lines(phases: &[UndoLine], impact: &Option<Vec<String>>) -> usize {
    let impact_lines = impact.as_ref().map_or(1, |v| v.len().max(1));
    let downs: usize = phases
        .iter()
        .map(|p| {
            let sql: usize = p
                .down
                .iter()
                .flatten()
                .map(|s| s.lines().count().max(1))
                .sum();
            let note = usize::from(p.down.as_ref().is_none_or(Vec::is_empty));
            1 + note + sql
        })
        .sum();
    2 + impact_lines + downs
}

/// What a confirmed maintenance dialog does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Maintenance {
    /// `sql` is the quoted, qualified name; `shown` the one to type.
    DropIndex {
        sql: String,
        shown: String,
    },
    Reindex {
        sql: String,
        shown: String,
    },
    Refresh {
        sql: String,
        shown: String,
    },
    Cancel(i32),
    Terminate(i32),
    /// Kept copy `id`, of `shown`.
    Restore {
        id: i64,
        shown: String,
    },
    /// Every kept copy.
    Purge,
}

impl Maintenance {
    pub fn title(&self) -> String {
        match self {
            Maintenance::DropIndex { shown, .. } => format!(" Drop index {shown}? "),
            Maintenance::Reindex { shown, .. } => format!(" Rebuild index {shown}? "),
            Maintenance::Refresh { shown, .. } => format!(" Refresh {shown}? "),
            Maintenance::Cancel(pid) => format!(" Cancel the statement of pid {pid}? "),
            Maintenance::Terminate(pid) => format!(" Terminate pid {pid}? "),
            Maintenance::Restore { shown, .. } => format!(" Restore {shown}? "),
            Maintenance::Purge => " Drop every kept copy? ".to_string(),
        }
    }

    /// What the operator types to confirm.
    pub fn expect(&self) -> String {
        match self {
            Maintenance::DropIndex { shown, .. }
            | Maintenance::Reindex { shown, .. }
            | Maintenance::Refresh { shown, .. } => shown.clone(),
            Maintenance::Cancel(pid) | Maintenance::Terminate(pid) => pid.to_string(),
            Maintenance::Restore { id, .. } => format!("restore {id}"),
            Maintenance::Purge => "purge".to_string(),
        }
    }

    /// What the input line asks for.
    pub fn prompt(&self) -> &'static str {
        match self {
            Maintenance::DropIndex { .. } | Maintenance::Reindex { .. } => {
                "type the index name to confirm: "
            }
            Maintenance::Refresh { .. } => "type the view name to confirm: ",
            Maintenance::Cancel(_) | Maintenance::Terminate(_) => "type the pid to confirm: ",
            Maintenance::Restore { .. } => "type restore and the id to confirm: ",
            Maintenance::Purge => "type purge to confirm: ",
        }
    }
}
