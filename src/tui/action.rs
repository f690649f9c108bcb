//! What flows into `update` (actions) and out of it (effects, run by the runtime).

use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::KeyEvent;

use crate::engine::impact::Loss;
use crate::engine::keeping::{KeepChoice, Oversize};
use crate::engine::{
    Applied, AppliedSql, CheckOutcome, DownTarget, DryRun, HistoryRow, Holder, LoggedEvent,
    Progress, ResultSet, RolledBack, Verified,
};
use crate::lint::Finding;
use crate::plan::{Migration, Plan, Version};

use super::monitor::{Gauged, Watch};

/// Something happened: a key, a resize, or the result of work the runtime did.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The plan is read, off the event loop.
    PlanRead {
        plan: Arc<Plan>,
    },
    /// The plan's lint findings, which follow it, or why its files could not be linted.
    Linted(Result<Vec<Finding>, String>),
    /// The plan has errors, every one in the message: the console ends and says them.
    PlanUnreadable(String),
    /// The sessions are up.
    Connected {
        /// The backend pids of the console's own sessions, marked in the Activity tab.
        own: Vec<i32>,
        role: String,
        server_version: String,
    },
    /// The sessions are down (never up yet, or lost): attempt `attempt` failed with `error`,
    /// and another follows.
    Disconnected {
        attempt: u32,
        error: String,
    },
    /// While work runs: time since it started.
    Tick(Duration),
    /// The adopted tool's history, sent just before the [`Action::Status`] it is merged
    /// with; `None` without a tool.
    Adoption(Option<Box<crate::tui::app::Adoption>>),
    Status {
        rows: Vec<HistoryRow>,
        holder: Option<Holder>,
    },
    Events(Vec<LoggedEvent>),
    /// Time to look again at what others may have changed (idle, connected).
    Refresh,
    /// What the poll found: the newest event and the lock holder.
    Changes(crate::engine::ChangeMark),
    /// What is wrong with the event log; empty while it is intact.
    LogIntegrity(Vec<crate::engine::integrity::Finding>),
    Progress(Progress),
    /// Who the running statement waits for, polled from a second connection.
    Waiting(Option<String>),
    Impact {
        version: Version,
        losses: Vec<Loss>,
        /// The statements of each DOWN part the rollback would run, newest phase first.
        downs: Vec<(Version, Vec<String>)>,
        /// Whether copies are kept, and `trash_max`.
        keep: (bool, u64),
        /// The phases whose header says `Keep: no`, with the reason and what their DOWN
        /// removes: not kept, whatever the profile says.
        unkept: Vec<Unkept>,
    },
    /// The SQL the history recorded for a phase.
    Recorded {
        version: Version,
        sql: Result<AppliedSql, String>,
    },
    /// A phase read from its files for the detail view.
    DetailRead {
        version: Version,
        migration: Result<Arc<Migration>, String>,
    },
    /// The live facts of a phase about to be applied: its lint findings weighed by the live
    /// tables, and the tables it touches with their sizes and lock holders.
    ApplyFacts {
        version: Version,
        findings: Vec<Finding>,
        tables: Vec<String>,
        /// What the phase's statements remove that is kept, as the dialog says it.
        kept: Vec<String>,
        /// That copy, when it is above `trash_max`.
        oversize: Option<Oversize>,
    },
    /// The index report answered (the Indexes tab appears with it).
    Indexes(crate::monitor::indexes::IndexReport),
    Matviews(crate::monitor::matviews::MatviewReport),
    /// The kept copies (the Trash tab appears with them).
    Trash(Vec<crate::trash::Kept>),
    /// The lock waits of the database and every progress gauge, for the Activity tab.
    Activity {
        activity: crate::monitor::activity::Activity,
        gauges: Vec<Gauged>,
    },
    /// The watch on a running phase: its blockers, the queue behind it, its progress.
    Watch(Watch),
    /// Where the running batched step is, and why it waits if it does.
    Batch(crate::engine::batch::BatchProgress),
    /// A background read (the history, the log, a rollback's impact, a phase's tables, a
    /// monitoring view) failed: said, without ending or touching the running job.
    ReadFailed(String),
    /// Something the operator should know that ends nothing (said once).
    Notice(String),
    Done(Outcome),
    /// Work failed: the message says what and what to do.
    Failed(String),
}

/// The result of finished work.
#[derive(Debug)]
pub enum Outcome {
    Applied(Vec<Applied>),
    DryRun(DryRun),
    Verified(Verified),
    Query {
        version: Version,
        check: String,
        result: Result<ResultSet, String>,
    },
    RolledBack(Vec<RolledBack>),
    Marked {
        version: Version,
        applied: bool,
    },
    Accepted(Version),
    Cancelled(String),
    /// A maintenance action from a monitoring tab finished: what it did.
    Maintained(String),
}

/// Work for the runtime. Everything that touches the database is one of these.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadStatus,
    LoadEvents,
    /// Read the newest event's id and the lock holder, to reload when they move.
    PollChanges,
    /// Apply phases up to and including `to`, with the choice for a copy above
    /// `trash_max`.
    Apply {
        to: Version,
        keep: KeepChoice,
    },
    DryRun {
        version: Version,
    },
    Verify {
        version: Version,
    },
    /// Run an edited check query, read-only.
    Query {
        version: Version,
        check: String,
        sql: String,
    },
    /// The live facts of the phase the apply dialog shows.
    ApplyFacts {
        version: Version,
    },
    /// Read the SQL the history recorded for phase `version`, stored as `stored`.
    LoadRecorded {
        version: Version,
        stored: String,
    },
    /// Read the plan again from its directory, as at start.
    ReadPlan,
    /// Read a phase's files for the detail view.
    ReadDetail {
        version: Version,
    },
    /// What the DOWN parts of the phases to roll back would destroy, judged by the history
    /// the console shows (not read again: it can hold thousands of rows).
    LoadImpact {
        version: Version,
        target: DownTarget,
        rows: Arc<Vec<HistoryRow>>,
    },
    Rollback {
        target: DownTarget,
        reason: String,
        keep: KeepChoice,
    },
    Resume {
        version: Version,
        reason: String,
        /// The operator's word on a statement in doubt, used only where the database
        /// cannot tell.
        in_doubt: Option<crate::engine::InDoubt>,
    },
    Mark {
        version: Version,
        applied: bool,
        reason: String,
    },
    Accept {
        version: Version,
        reason: String,
    },
    /// Cancel the running statement on the server.
    Cancel,
    /// Change the running batched step from its next batch on (the engine logs it).
    Steer(Steer),
    LoadIndexes,
    LoadMatviews,
    LoadActivity,
    LoadTrash,
    /// The maintenance actions, run on the reader session since the worker may be busy.
    /// `name` is SQL: quoted and schema-qualified.
    DropIndex {
        name: String,
    },
    Reindex {
        name: String,
    },
    RefreshMatview {
        name: String,
    },
    SignalBackend {
        pid: i32,
        terminate: bool,
    },
    /// Put kept copy `id` back.
    RestoreKept {
        id: i64,
    },
    /// Drop every kept copy.
    PurgeKept,
}

/// A change to a running batched step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steer {
    Pause,
    Resume,
    BatchSize(u64),
    /// The pause between batches.
    Between(Duration),
}

impl Outcome {
    /// The check results it carries, by phase.
    pub fn checks(&self) -> Vec<(Version, Vec<CheckOutcome>)> {
        let parse = |s: &str| Version::parse(s);
        match self {
            Outcome::Applied(done) => done
                .iter()
                .filter_map(|a| parse(&a.version).map(|v| (v, a.checks.clone())))
                .collect(),
            Outcome::DryRun(r) => parse(&r.version)
                .map(|v| vec![(v, r.checks.clone())])
                .unwrap_or_default(),
            Outcome::Verified(r) => parse(&r.version)
                .map(|v| vec![(v, r.checks.clone())])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// A phase of a rollback whose header says `Keep: no`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unkept {
    pub version: Version,
    pub reason: String,
    pub targets: Vec<crate::engine::impact::Target>,
}
