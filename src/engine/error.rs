//! How the engine fails: a statement's place in its file, the errors the commands report,
//! and how a cancelled phase was left.

use super::Holder;
use super::lost::Lost;

/// Where a failed statement is in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub version: String,
    pub file: String,
    pub line: u32,
    pub statement: String,
    pub sqlstate: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "phase {} failed at {}:{} [{}] {}",
            self.version, self.file, self.line, self.sqlstate, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("database error: {}", db_message(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error(
        "{table} was not created by pgstep: it looks like {owner} table (columns: {columns}). \
         pgstep never alters a table it did not create; give pgstep its own history table \
         with --history-table pgstep_migrations"
    )]
    ForeignTable {
        table: String,
        owner: &'static str,
        columns: String,
    },
    #[error("another pgstep holds the migration lock: {0}")]
    LockHeld(Box<Holder>),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    PhaseFailed(Box<Failure>),
    #[error(
        "phase {version}: check `{check}` failed ({expect}): {detail}; the phase was {outcome}"
    )]
    CheckFailed {
        version: String,
        check: String,
        expect: String,
        detail: String,
        outcome: &'static str,
    },
    #[error("{}", .left.describe(.version))]
    Cancelled { version: String, left: Left },
    /// The session was lost mid-work; a second session read what really happened.
    #[error("{}", .lost.describe(.version))]
    ConnectionLost { version: String, lost: Lost },
    #[error("phase {version} needs extension(s) {} that the database does not have: CREATE EXTENSION first", .missing.join(", "))]
    MissingExtensions {
        version: String,
        missing: Vec<String>,
    },
    #[error("{0}")]
    Input(String),
    /// A migration's files could not be read again, or changed since the plan was read.
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error("{0}")]
    Unread(#[from] crate::plan::Unread),
    /// The adopted tool is migrating this database now: it holds its own lock.
    #[error("{0}")]
    ToolLocked(String),
    /// The adopted tool's table or names could not be read or written as the tool does.
    #[error("{0}")]
    Adopt(#[from] crate::adopt::Error),
}

/// How a cancelled phase was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// Its transaction rolled back: nothing of it remains.
    RolledBack,
    /// Some statements of a `Transaction: none` phase ran: it is dirty.
    Dirty,
    /// A rollback in one transaction was cancelled: the phase is still applied.
    StillApplied,
    /// Some DOWN statements of a `Transaction: none` phase ran.
    RollingBack,
}

impl Left {
    fn describe(self, version: &str) -> String {
        match self {
            Left::RolledBack => format!("phase {version} was cancelled and rolled back"),
            Left::Dirty => format!(
                "phase {version} was cancelled part-way: it is dirty; `pgstep resume {version}` \
                 continues it"
            ),
            Left::StillApplied => format!(
                "the rollback of phase {version} was cancelled and undone: the phase is still \
                 applied"
            ),
            Left::RollingBack => format!(
                "the rollback of phase {version} was cancelled part-way: it is rolling back; \
                 `pgstep down --steps 1` continues it"
            ),
        }
    }
}

/// The server's message, with detail and hint when it gave them.
pub(super) fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("[{}] {}", db.code().code(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}
