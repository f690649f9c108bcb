//! Running a phase's checks: `unchanged` ones before the phase, all of them after it.

use tokio_postgres::{Client, SimpleQueryMessage};

use super::verdict::{self, ResultSet, Verdict};
use crate::plan::{Expect, Migration};

/// One check's result, for the outcome table (name, expectation, before, after, pass/fail).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckOutcome {
    pub name: String,
    pub expect: String,
    pub before: Option<String>,
    pub after: String,
    pub passed: bool,
    pub detail: String,
}

/// Runs one query and keeps its whole result as text.
pub async fn query(c: &Client, sql: &str) -> Result<ResultSet, tokio_postgres::Error> {
    let mut out = ResultSet::default();
    for msg in c.simple_query(sql).await? {
        match msg {
            SimpleQueryMessage::RowDescription(cols) => {
                out.columns = cols.iter().map(|c| c.name().to_string()).collect();
            }
            SimpleQueryMessage::Row(row) => {
                if out.columns.is_empty() {
                    out.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                }
                out.rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_string))
                        .collect(),
                );
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Results of the `unchanged` checks, by check index, taken before the phase.
pub async fn snapshot(
    c: &Client,
    m: &Migration,
) -> Result<Vec<(usize, ResultSet)>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for (i, check) in m.checks.iter().enumerate() {
        if check.expect == Expect::Unchanged {
            out.push((i, query(c, &check.sql).await?));
        }
    }
    Ok(out)
}

/// Runs every check of `m` and judges it.
pub async fn run(
    c: &Client,
    m: &Migration,
    before: &[(usize, ResultSet)],
) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for (i, check) in m.checks.iter().enumerate() {
        let after = query(c, &check.sql).await?;
        let prior = before.iter().find(|(j, _)| *j == i).map(|(_, r)| r);
        let Verdict { passed, detail } = verdict::judge(&check.expect, prior, &after);
        out.push(CheckOutcome {
            name: check.name.clone(),
            expect: check.expect.to_string(),
            before: prior.map(ResultSet::summary),
            after: after.summary(),
            passed,
            detail,
        });
    }
    Ok(out)
}

/// Runs the checks against the database as it is, each in a read-only transaction. A query
/// the server rejects fails its check; `unchanged` checks need a before and an after, so they
/// are reported but not judged.
pub async fn verify_now(
    c: &Client,
    m: &Migration,
) -> Result<Vec<CheckOutcome>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for check in &m.checks {
        c.batch_execute("BEGIN READ ONLY").await?;
        let result = query(c, &check.sql).await;
        c.batch_execute("ROLLBACK").await?;
        let (after, passed, detail) = match result {
            Ok(after) if check.expect == Expect::Unchanged => (
                after.summary(),
                true,
                "not judged: needs a before and an after".to_string(),
            ),
            Ok(after) => {
                let v = verdict::judge(&check.expect, None, &after);
                (after.summary(), v.passed, v.detail)
            }
            Err(e) => match e.as_db_error() {
                Some(db) => (
                    "error".to_string(),
                    false,
                    format!("[{}] {}", db.code().code(), db.message()),
                ),
                None => return Err(e),
            },
        };
        out.push(CheckOutcome {
            name: check.name.clone(),
            expect: check.expect.to_string(),
            before: None,
            after,
            passed,
            detail,
        });
    }
    Ok(out)
}
