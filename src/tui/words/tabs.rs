//! The monitoring tabs: their titles, column heads and the words of their rows and gauges.

use std::fmt::Display;

use crate::tui::monitor::SessionSort;

/// What the Activity tab's sessions are sorted by.
pub fn session_sort(sort: SessionSort) -> &'static str {
    match sort {
        SessionSort::XactAge => "transaction age",
        SessionSort::Pid => "pid",
        SessionSort::User => "user",
        SessionSort::Application => "application",
        SessionSort::State => "state",
        SessionSort::Wait => "wait",
    }
}

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

/// The Matviews tab's columns.
pub const MATVIEW_COLUMNS: [&str; 7] = [
    "NAME",
    "SIZE",
    "POPULATED",
    "CONC",
    "REFRESHED",
    "WRITES",
    "BASE TABLES",
];
pub const UNKNOWN: &str = "unknown";
pub const YES: &str = "yes";
pub const NO: &str = "no";

/// Writes counted since a refresh, when a rewrite of the table may have hidden some.
pub fn at_most(n: impl Display) -> String {
    format!("<= {n}")
}

pub fn matview_stats(since: impl Display) -> String {
    format!("writes since pgstep's last refresh; {since}")
}

/// The Log tab's columns.
pub const LOG_COLUMNS: [&str; 6] = ["AT (UTC)", "EVENT", "VERSION", "OUTCOME", "WHO", "REASON"];
/// Stands for a user or host the log did not record.
pub const NOT_RECORDED: &str = "?";

pub fn who(user: impl Display, host: impl Display) -> String {
    format!("{user}@{host}")
}

/// The Trash tab's columns.
pub const TRASH_COLUMNS: [&str; 7] = ["ID", "KIND", "OBJECT", "PHASE", "KEPT", "ROWS", "SIZE"];

pub fn trash_title(copies: usize, size: impl Display) -> String {
    format!(" Kept copies ({copies}, {size}) ")
}

/// The check results' columns.
pub const CHECK_COLUMNS: [&str; 5] = ["", "CHECK", "EXPECT", "BEFORE", "AFTER"];
/// A NULL in a query's result.
pub const NULL: &str = "NULL";

/// A session whose state the server did not give.
pub const NOT_RUNNING: &str = "not running a statement";
