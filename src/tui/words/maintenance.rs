//! The monitoring tabs' status lines and empty states: indexes, materialized views,
//! sessions and the long statements' progress.

pub fn sorted_by(word: &str) -> String {
    format!("sorted by {word}")
}

pub fn showing_indexes(verdict: Option<&str>) -> String {
    match verdict {
        Some(v) => format!("showing {v} indexes"),
        None => "showing every index".into(),
    }
}

pub fn sessions_sorted_by(word: &str) -> String {
    format!("sessions sorted by {word}")
}

pub fn own_session(pid: i32) -> String {
    format!("pid {pid} is this console's own session: quit the console to end it")
}

pub fn nothing_to_cancel(pid: i32, state: &str) -> String {
    format!(
        "pid {pid} is {state}: it runs no statement, so there is nothing to cancel. \
         Terminating it ends its session, rolls back its transaction and releases its locks."
    )
}

pub const NO_INDEX: &str = "no index selected";
pub const NO_MATVIEW: &str = "no materialized view selected";
pub const NO_SESSION: &str = "no session selected";

pub fn index_valid(index: &str) -> String {
    format!("{index} is valid: only an invalid index is rebuilt")
}

pub fn index_in_use(index: &str) -> String {
    format!("{index} is in use: only an unused, invalid, duplicate or covered index is dropped")
}

pub fn index_enforces(index: &str) -> String {
    format!("{index} enforces a constraint or uniqueness: drop it with a migration")
}

pub fn progress_title(gauges: usize) -> String {
    format!(" Progress ({gauges}) ")
}

pub const NO_LONG_STATEMENT: &str = "no long statement runs";
pub const NO_SESSION_LISTED: &str = "no session";

pub fn sessions_out_of_sight(above: usize, below: usize) -> String {
    format!("  ... {above} session(s) above, {below} below")
}

pub fn matviews_title(views: usize, stale: usize) -> String {
    format!(" Materialized views ({views}, {stale} stale) ")
}

pub const NO_MATVIEWS: &str = "no materialized views in this database";
