//! The monitoring tabs: their titles, column heads and the words of their rows and gauges.

use std::fmt::Display;

/// The Activity tab's columns: marks, then each session's facts.
pub const SESSION_COLUMNS: [&str; 9] = [
    "",
    "PID",
    "USER",
    "APPLICATION",
    "STATE",
    "XACT",
    "WAIT",
    "BLOCKED BY",
    "QUERY",
];
/// Marks a session that blocks others.
pub const BLOCKS_MARK: &str = "B";
/// Marks one of the console's own sessions.
pub const OWN_MARK: &str = "*";
/// The state worth spotting, and how the list shortens it.
pub const IDLE_IN_TRANSACTION: &str = "idle in transaction";
pub const IDLE_IN_TX: &str = "idle in tx";

pub fn sessions_title(sessions: usize, waiting: usize, sort: impl Display) -> String {
    format!(" Sessions ({sessions}, {waiting} waiting, by {sort}; B blocks others, * ours) ")
}

pub fn eta(age: impl Display) -> String {
    format!(" ETA {age}")
}

pub fn gauge(command: impl Display, phase: impl Display, rest: impl Display) -> String {
    format!("{command}: {phase}{rest}")
}

pub fn more_blockers(n: usize) -> String {
    format!(" (+{n} more)")
}

pub fn blocked_by(blocker: impl Display, more: impl Display) -> String {
    format!("blocked by {blocker}{more}")
}

pub fn queued(sessions: usize) -> String {
    format!("{sessions} session(s) queued behind it")
}

/// The Indexes tab's columns.
pub const INDEX_COLUMNS: [&str; 6] = ["TABLE", "INDEX", "SIZE", "SCANS", "FLAGS", "VERDICT"];
/// What an index is, in its FLAGS column: primary key, unique, exclusion, replica identity,
/// behind a foreign key, partitioned.
pub const INDEX_FLAGS: [&str; 6] = ["pk", "unique", "excl", "replident", "fk", "part"];
/// No scans counted.
pub const NO_SCANS: &str = "-";
pub const NO_INDEXES: &str = "no indexes in the user schemas";

pub fn no_index_matches(verdict_key: &str, filter_key: &str) -> String {
    format!(
        "no index matches the filters ({verdict_key} cycles the verdict, {filter_key} the table)"
    )
}

pub fn indexes_title(
    shown: usize,
    total: usize,
    sort: impl Display,
    verdict: Option<&str>,
    table: &str,
) -> String {
    let verdict = verdict.map(|v| format!(", {v} only")).unwrap_or_default();
    let table = if table.is_empty() {
        String::new()
    } else {
        format!(", table ~ {table}")
    };
    format!(" Indexes ({shown} of {total}, by {sort}{verdict}{table}) ")
}

pub fn stats_read(since: impl Display, millis: impl Display) -> String {
    format!("{since} · read in {millis} ms")
}
