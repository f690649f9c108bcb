//! The header and the status line of running work.

use std::fmt::Display;

use crate::tui::app::JobKind;

/// The header's first word: whose console this is.
pub const PRODUCT: &str = " pgstep ";

pub fn connected_to(
    profile: impl Display,
    target: impl Display,
    role: impl Display,
    server_version: impl Display,
) -> String {
    format!("{profile} {target} as {role} · PostgreSQL {server_version}")
}

/// What a running job does, before what it does it to.
fn job_verb(kind: JobKind) -> &'static str {
    match kind {
        JobKind::Apply => "applying",
        JobKind::DryRun => "dry run of",
        JobKind::Verify => "verifying",
        JobKind::Query => "running query for",
        JobKind::Rollback => "rolling back",
        JobKind::Resume => "resuming",
        JobKind::Mark => "marking",
        JobKind::Accept => "accepting",
        JobKind::DropIndex => "dropping index",
        JobKind::Reindex => "rebuilding index",
        JobKind::Refresh => "refreshing",
        JobKind::CancelBackend => "cancelling the statement of",
        JobKind::TerminateBackend => "terminating",
        JobKind::Restore => "restoring",
        JobKind::Purge => "purging",
    }
}

pub fn job_line(spin: &str, kind: JobKind, what: &str, secs: f64) -> String {
    format!("{spin} {} {what} {secs:.1}s", job_verb(kind))
}

pub fn job_statement(n: usize, of: usize) -> String {
    format!("  statement {n}/{of}")
}

pub fn job_line_no(line: impl Display) -> String {
    format!(" (line {line})")
}

pub fn job_step(step: impl Display) -> String {
    format!("  step: {step}")
}
