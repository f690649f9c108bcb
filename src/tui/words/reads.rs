//! What the console's reads and maintenance say: which read failed, and what a maintenance
//! action did.

use std::fmt::Display;

pub const ADOPTED_TABLE: &str = "reading the adopted tool's table";
pub const HISTORY: &str = "reading the history";
pub const LOG_CHECK: &str = "checking the event log";
pub const CHANGES: &str = "looking for changes";
pub const EVENTS: &str = "reading the event log";
pub const IMPACT: &str = "measuring what the rollback destroys";
pub const INDEXES: &str = "reading the indexes";
pub const MATVIEWS: &str = "reading the materialized views";
pub const TRASH: &str = "reading the kept copies";
pub const ACTIVITY: &str = "reading the activity";

pub fn failed(what: impl Display, e: impl Display) -> String {
    format!("{what}: {e}")
}

pub fn phase_tables(version: impl Display) -> String {
    format!("reading the tables of phase {version}")
}

/// The reason the event log records for maintenance started here.
pub const FROM_THE_CONSOLE: &str = "from the console";

pub fn dropped_index(index: impl Display, millis: impl Display) -> String {
    format!("dropped index {index} in {millis} ms")
}

pub fn rebuilt_index(index: impl Display, millis: impl Display) -> String {
    format!("rebuilt index {index} in {millis} ms")
}

pub fn refreshed(matview: impl Display, concurrently: bool, millis: impl Display) -> String {
    let how = if concurrently { " concurrently" } else { "" };
    format!("refreshed {matview}{how} in {millis} ms")
}

pub fn signalled(terminate: bool, session: impl Display) -> String {
    let verb = if terminate {
        "terminated"
    } else {
        "cancelled the statement of"
    };
    format!("{verb} {session}")
}

pub fn restored(kind: impl Display, object: impl Display) -> String {
    format!("restored {kind} {object}")
}

pub fn purged(copies: usize) -> String {
    format!("purged {copies} kept cop(ies)")
}

pub const NOT_MAINTENANCE: &str = "not a maintenance action";

pub fn nothing_to_verify(version: impl Display) -> String {
    format!("phase {version} has nothing to verify")
}
