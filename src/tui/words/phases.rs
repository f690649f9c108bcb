//! The Phases tab: the list's title and rows, and the detail pane's labels, headings and the
//! lines that stand in for what is not read yet.

use std::fmt::Display;

pub const LIST_TITLE: &str = " Phases ";
pub const LOADING: &str = "loading";
/// Whose record a state comes from, when the project's tool is adopted: pgstep's own.
pub const OWN_SOURCE: &str = "pgstep";

pub fn list_title(phases: usize) -> String {
    format!(" Phases ({phases}) ")
}

pub fn list_title_filtered(shown: usize, phases: usize, filter: &str) -> String {
    format!(" Phases ({shown} of {phases}) /{filter} ")
}

pub fn reading_plan(dir: impl Display, files: usize) -> String {
    format!("reading the plan in {dir} ({files} files)...")
}

pub fn row_millis(ms: impl Display) -> String {
    format!("{ms}ms")
}

pub fn label(key: &str) -> String {
    format!("{key}: ")
}

pub const STATE_NOT_LOADED: &str = "state not loaded yet";

pub fn applied_at(at: impl Display) -> String {
    format!(" {at} UTC")
}

pub fn applied_by(by: impl Display, host: impl Display, role: impl Display) -> String {
    format!(" by {by}@{host} as {role}")
}

/// Stands for a name or host the history did not record.
pub const UNKNOWN: &str = "?";

pub fn took(ms: impl Display) -> String {
    format!(", {ms} ms")
}

pub fn stopped_after(done: impl Display, total: impl Display) -> String {
    format!(", stopped after statement {done} of {total}")
}

pub const STATE_FROM: &str = "state from";

pub fn last_error(e: impl Display) -> String {
    format!("last error: {e}")
}

pub fn drift(d: impl Display) -> String {
    format!("drift: {d}")
}

pub const FILE_GONE: &str =
    "the file of this phase is gone: its DOWN as applied is kept in the history";
pub const DOWN_AS_APPLIED: &str = "DOWN (as applied)";
pub const NO_DOWN_RECORDED: &str = "no DOWN was recorded: this phase cannot be rolled back";
pub const READING_HISTORY: &str = "reading the history...";
pub const READING_APPLIED: &str = "reading what was applied...";
pub const READING_FILE: &str = "reading its file...";
pub const NO_DOWN: &str = "no DOWN: this phase cannot be rolled back";

pub const GOAL: &str = "goal";
pub const DEPENDS: &str = "depends";
pub const TRANSACTION: &str = "transaction";
pub const REQUIRES: &str = "requires";
pub const FILE: &str = "file";
pub const STEPS: &str = "steps";
pub const CHECKS: &str = "checks";
pub const LINT: &str = "lint";
pub const HISTORY: &str = "history";

pub const ONE_TRANSACTION: &str = "one transaction";
pub const NO_TRANSACTION: &str = "none (statement by statement)";
/// The lock timeout pgstep sets when neither the phase nor the profile says one.
pub const DEFAULT_LOCK_TIMEOUT: &str = "2s";
pub const SERVER_DEFAULT: &str = "server default";

pub fn timeouts(tx: &str, lock: impl Display, statement: impl Display) -> String {
    format!("{tx}; lock_timeout {lock}; statement_timeout {statement}")
}

pub fn step(n: usize, title: impl Display, line: impl Display) -> String {
    format!("  {n}. {title} (line {line})")
}

/// The mark of a check not run yet, where a grade would be.
pub const NOT_RUN_MARK: &str = "-";
pub const NOT_RUN_YET: &str = "not run yet";

pub fn check(name: impl Display, expect: impl Display) -> String {
    format!("{name} [{expect}] ")
}

pub fn finding(rule: impl Display, line: impl Display, message: impl Display) -> String {
    format!("[{rule}] line {line}: {message}")
}

pub fn safer(hint: impl Display) -> String {
    format!("    safer: {hint}")
}

pub fn statements(n: usize) -> String {
    format!("{n} statement{}", if n == 1 { "" } else { "s" })
}

pub fn up_heading(n: usize) -> String {
    format!("UP ({})", statements(n))
}

pub fn down_heading(n: usize) -> String {
    format!("DOWN ({})", statements(n))
}

pub fn history_line(
    at: impl Display,
    event: impl Display,
    outcome: impl Display,
    reason: Option<&str>,
) -> String {
    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    format!("  {at} {event} {outcome}{reason}")
}
