//! What the confirmation dialogs state before work starts (the apply summary, the facts of
//! a maintenance action) and the notes of a dry run.

use std::fmt::Display;

pub fn phase_title(version: impl Display, name: impl Display, title: impl Display) -> String {
    format!("{version} {name}: {title}")
}

pub fn goal(goal: impl Display) -> String {
    format!("goal: {goal}")
}

pub fn statements_in_steps(statements: usize, steps: usize, titles: &[String]) -> String {
    let titles = if titles.is_empty() {
        String::new()
    } else {
        format!(": {}", titles.join(", "))
    };
    format!("{statements} statement(s) in {steps} step(s){titles}")
}

pub const ONE_TRANSACTION: &str = "one transaction: any failure rolls the whole phase back";
pub const NO_TRANSACTION: &str =
    "Transaction: none: statements commit one by one; a failure leaves the phase dirty";

pub fn timeouts(lock: impl Display, statement: impl Display) -> String {
    format!("lock_timeout {lock}, statement_timeout {statement}")
}

pub const NO_CHECKS: &str = "no checks";

pub fn check(name: impl Display, expect: impl Display) -> String {
    format!("{name} [{expect}]")
}

pub fn checks(names: &[String]) -> String {
    format!("{} check(s): {}", names.len(), names.join(", "))
}

pub fn requires(extensions: &[String]) -> String {
    format!("requires extension(s): {}", extensions.join(", "))
}

pub const NO_DOWN: &str = "no DOWN: it cannot be rolled back";
pub const MEASURING_TABLES: &str = "tables it touches: measuring...";

pub fn touches(table: impl Display) -> String {
    format!("touches {table}")
}

pub fn finding(
    severity: impl Display,
    rule: impl Display,
    line: impl Display,
    message: impl Display,
) -> String {
    format!("{severity} [{rule}] line {line}: {message}")
}

/// A dry run's statement: its line, its head, and what it did.
pub fn dry_statement(line: impl Display, head: &str, what: impl Display) -> String {
    format!("line {line:>4}  {head}: {what}")
}

pub fn dry_rows(rows: impl Display, millis: impl Display) -> String {
    format!("{rows} row(s), {millis} ms")
}

pub const DRY_FAILED: &str = "failed";

pub fn dry_lock(relation: impl Display, modes: impl Display) -> String {
    format!("lock  {relation}: {modes}")
}

pub fn dry_error(e: impl Display) -> String {
    format!("error: {e}")
}

pub const REINDEX_HOW: &str =
    "REINDEX INDEX CONCURRENTLY: a new copy is built beside it, then swapped in";
pub const DROP_INDEX_HOW: &str = "DROP INDEX CONCURRENTLY: its definition is kept in the event log";

pub fn index(qualified: impl Display, schema: impl Display, table: impl Display) -> String {
    format!("index {qualified} on table {schema}.{table}")
}

pub fn index_use(size: impl Display, scans: Option<i64>, verdict: impl Display) -> String {
    let scans = scans.map_or("no".into(), |s| s.to_string());
    format!("size {size}, {scans} scans, {verdict}")
}

pub const INDEX_LOCKED: &str = "definition unknown: the index is locked";
pub const REFRESH_CONCURRENTLY: &str = "REFRESH MATERIALIZED VIEW CONCURRENTLY: readers continue";
pub const REFRESH_BLOCKING: &str =
    "REFRESH MATERIALIZED VIEW without CONCURRENTLY: readers wait (ACCESS EXCLUSIVE)";

pub fn matview(qualified: impl Display, size: impl Display, populated: bool) -> String {
    let populated = if populated {
        "populated"
    } else {
        "not populated"
    };
    format!("materialized view {qualified}, {size}, {populated}")
}

pub fn base_tables(tables: &[String]) -> String {
    format!("base tables: {}", tables.join(", "))
}

pub fn removed_by(statement: impl Display) -> String {
    format!("removed by: {statement}")
}

pub const TERMINATE_HOW: &str =
    "pg_terminate_backend: the session ends and its transaction rolls back";
pub const CANCEL_HOW: &str = "pg_cancel_backend: its running statement fails; the session stays";
/// Stands for a query the server did not show.
pub const NO_QUERY: &str = "?";

pub fn query(q: impl Display) -> String {
    format!("query: {q}")
}
