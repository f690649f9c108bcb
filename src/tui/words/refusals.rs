//! Why a key did nothing, and the prompts that ask for a typed confirmation: the state a
//! phase or the console is in, and what to do first.

use std::fmt::Display;

pub const STILL_READING: &str = "the plan is still being read: wait for its phases";
pub const NOT_LOADED: &str = "the database's state is not loaded yet: wait for the connection";
pub const READER_BUSY: &str = "maintenance runs on the reading session: reload when it ends";
pub const READING_AGAIN: &str = "reading the plan again...";
pub const ALL_APPLIED: &str = "nothing to apply: every phase is applied";
pub const NOTHING_PENDING: &str = "nothing is pending: no phase to dry-run";
pub const WRITE_WHY: &str = "write why: the reason goes to the event log";

pub fn not_connected(error: &str, attempt: u32) -> String {
    format!("not connected ({error}); reconnecting, attempt {attempt}")
}

pub fn resolve_first(version: impl Display, state: &str, help_key: &str) -> String {
    format!(
        "phase {version} is {state}: resolve it first (select it and press {help_key} for its keys)"
    )
}

pub fn no_checks(version: impl Display) -> String {
    format!("phase {version} has no checks")
}

pub fn not_applied(version: impl Display) -> String {
    format!("phase {version} is not applied")
}

pub fn wrong_state(version: impl Display, state: &str, what: &str) -> String {
    format!("phase {version} is {state}: {what}")
}

pub const ONLY_DIRTY_RESUMES: &str = "only a dirty phase resumes";
pub const ONLY_DIRTY_OR_FAILED_MARKED: &str = "only a dirty or failed phase is marked";
pub const ONLY_DRIFTED_ACCEPTED: &str = "only a drifted phase has a diff to accept";

pub fn still_reading_phase(version: impl Display) -> String {
    format!("phase {version} is still being read: try again")
}

pub fn work_running(cancel_key: &str) -> String {
    format!("work is running: wait, or cancel it with {cancel_key}")
}

pub fn query_running(cancel_key: &str) -> String {
    format!("a query is still running: wait for it, or cancel it with {cancel_key}")
}

pub fn type_exactly(what: impl Display, submit_key: &str) -> String {
    format!("type {what} exactly, then {submit_key}")
}

pub fn the_version(version: impl Display) -> String {
    format!("the version {version}")
}

pub fn type_to_roll_back(version: impl Display, submit_key: &str) -> String {
    format!("type the version {version} and press {submit_key} to roll back")
}

pub fn typed_wrong(input: &str, version: impl Display) -> String {
    format!("`{input}` is not {version}: type {version} exactly")
}

pub fn rollback_reason(version: impl Display) -> String {
    format!("rolled back from the console to before {version}")
}
