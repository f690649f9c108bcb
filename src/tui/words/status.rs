//! The header and the status line of running work.

use std::fmt::Display;

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

pub fn job_line(spin: &str, verb: &str, what: &str, secs: f64) -> String {
    format!("{spin} {verb} {what} {secs:.1}s")
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
