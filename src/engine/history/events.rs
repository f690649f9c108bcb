//! The event log's entries: the kinds of event, one to append, and one read back.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{LoggedOutcome, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Apply,
    Rollback,
    Verify,
    Failure,
    Cancel,
    DriftAccepted,
    Mark,
    DryRun,
    Resume,
    LockRetry,
    BackendCancelled,
    BackendTerminated,
    IndexDropped,
    IndexRebuilt,
    Refresh,
    /// The log's first event, written when pgstep makes it.
    LogCreated,
    /// The first event after a log of an older layout was upgraded.
    LogUpgraded,
    /// pgstep found the log tampered with.
    LogTampered,
    /// A statement sent before pgstep lost its session was found done or not done.
    InDoubt,
    ChecksRoleCreated,
    /// pgstep first changed a database whose project's tool it adopted: what it read.
    Adopted,
    /// Phases pgstep applied before it adopted the tool's table were recorded there.
    RecordedInTool,
    /// The operator paused, resumed or resized a batched step while it ran.
    BatchControl,
    /// What a destructive statement removed was kept in `pgstep_trash`.
    Kept,
    /// A kept copy was put back.
    Restored,
    /// Kept copies were dropped.
    Purged,
}

impl EventKind {
    pub fn word(self) -> &'static str {
        match self {
            EventKind::Apply => "apply",
            EventKind::Rollback => "rollback",
            EventKind::Verify => "verify",
            EventKind::Failure => "failure",
            EventKind::Cancel => "cancel",
            EventKind::DriftAccepted => "drift-accepted",
            EventKind::Mark => "mark",
            EventKind::DryRun => "dry-run",
            EventKind::Resume => "resume",
            EventKind::LockRetry => "lock-retry",
            EventKind::BackendCancelled => "backend-cancelled",
            EventKind::BackendTerminated => "backend-terminated",
            EventKind::IndexDropped => "index-dropped",
            EventKind::IndexRebuilt => "index-rebuilt",
            EventKind::Refresh => "refresh",
            EventKind::LogCreated => "log-created",
            EventKind::LogUpgraded => "log-upgraded",
            EventKind::LogTampered => "log-tampered",
            EventKind::InDoubt => "in-doubt",
            EventKind::ChecksRoleCreated => "checks-role-created",
            EventKind::Adopted => "adopted",
            EventKind::RecordedInTool => "recorded-in-tool",
            EventKind::BatchControl => "batch-control",
            EventKind::Kept => "kept",
            EventKind::Restored => "restored",
            EventKind::Purged => "purged",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub kind: EventKind,
    pub version: Option<&'a str>,
    pub name: Option<&'a str>,
    pub outcome: Outcome,
    pub duration_ms: Option<i64>,
    pub reason: Option<&'a str>,
    pub details: Value,
}

/// An event read back from the log.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoggedEvent {
    pub at: DateTime<Utc>,
    pub event: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub outcome: LoggedOutcome,
    pub duration_ms: Option<i64>,
    pub db_role: String,
    pub os_user: Option<String>,
    pub host: Option<String>,
    pub application: Option<String>,
    pub reason: Option<String>,
    pub details: Value,
}
