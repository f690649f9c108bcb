//! What the status line says once an action ends: the plan read again, a phase applied,
//! rolled back, marked or accepted, and the titles of their result views.

use std::fmt::Display;

pub fn not_linted(e: impl Display) -> String {
    format!("the plan was not linted: {e}")
}

pub fn plan_read_again(phases: usize) -> String {
    format!("the plan was read again: {phases} phases")
}

pub fn plan_warnings(warnings: usize) -> String {
    format!("the plan has {warnings} warning(s): listed when you quit")
}

pub fn plan_kept(first_error: &str) -> String {
    format!("the plan was not read again, the one shown is kept: {first_error}")
}

pub fn notice(text: impl Display) -> String {
    format!("warning: {text}")
}

pub fn lock_retry(message: &str, attempt: impl Display, wait_secs: f64) -> String {
    format!("{message}: rolled back, retry {attempt} in {wait_secs:.1}s")
}

pub fn applied(versions: &[String]) -> String {
    format!("applied {}", versions.join(", "))
}

pub fn applied_title(version: &str, name: impl Display, millis: impl Display) -> String {
    format!("Applied {version} {name} in {millis} ms")
}

pub fn dry_run_title(version: &str, name: impl Display) -> String {
    format!("Dry run of {version} {name} (rolled back)")
}

pub fn verify_title(version: &str, name: impl Display) -> String {
    format!("Checks of {version} {name} now (read-only)")
}

/// A rollback's result, offering the restore of what it kept.
pub fn rolled_back(versions: &[String], kept: usize) -> String {
    if versions.is_empty() {
        "nothing to roll back".into()
    } else if kept > 0 {
        format!(
            "rolled back {}; kept {kept} cop(ies) of what it removed: the Trash tab restores them",
            versions.join(", ")
        )
    } else {
        format!("rolled back {}", versions.join(", "))
    }
}

pub fn marked(version: impl Display, applied: bool) -> String {
    let to = if applied { "applied" } else { "pending" };
    format!("phase {version} marked {to}")
}

pub fn accepted(version: impl Display) -> String {
    format!("phase {version}: changed file accepted")
}
