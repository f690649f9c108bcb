//! Dry run: the next phase inside a transaction that is rolled back, reporting what each
//! statement did, the locks it took and the checks.

use std::time::Instant;

use serde_json::json;

use super::apply::{UpOptions, targets};
use super::checks::{self, CheckOutcome, ChecksAs, Scope};
use super::exec::{exec, failure, timeouts_sql};
use super::history::{Event, EventKind, Outcome};
use super::{Engine, EngineError};
use crate::phases;
use crate::plan::{Plan, Read};
use crate::sql;

/// A dry run of one phase: everything it did, then rolled back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DryRun {
    pub version: String,
    pub name: String,
    pub statements: Vec<DryStatement>,
    /// Relations the phase's transaction held locks on, with the strongest lock mode.
    pub locks: Vec<(String, String)>,
    pub checks: Vec<CheckOutcome>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DryStatement {
    pub line: u32,
    pub sql: String,
    pub rows: Option<u64>,
    pub millis: u64,
    /// Why it was not run (statements that cannot run inside a transaction).
    pub skipped: Option<String>,
}

impl Engine {
    /// Runs the next pending phase inside a transaction and rolls it back, reporting what
    /// each statement did, the locks held and the checks. Only the event log keeps a trace.
    pub async fn dry_run(&self, plan: &Plan, opts: &UpOptions) -> Result<DryRun, EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let rows = eng.tables.rows(&eng.client).await?;
            let tool = eng.tool_history(plan).await?;
            let phases = phases::merge(plan, &rows, tool.as_ref());
            let Some(m) = targets(&phases, opts)?.into_iter().next() else {
                return Err(EngineError::Refused("nothing is pending: no phase to dry-run".into()));
            };
            let report = eng.dry_run_phase(&m.read()?).await?;
            eng.log(Event {
                kind: EventKind::DryRun,
                version: Some(m.version.as_str()),
                name: Some(&m.name),
                outcome: if report.error.is_some() { Outcome::Failed } else { Outcome::Ok },
                duration_ms: Some(report.statements.iter().map(|s| s.millis as i64).sum()),
                reason: None,
                details: json!({ "error": report.error, "checks": report.checks, "locks": report.locks }),
            })
            .await?;
            Ok(report)
        }
        .await;
        self.unlock(result).await
    }

    async fn dry_run_phase(&self, m: &Read<'_>) -> Result<DryRun, EngineError> {
        let c = &self.client;
        let mut report = DryRun {
            version: m.version.to_string(),
            name: m.name.clone(),
            statements: Vec::new(),
            locks: Vec::new(),
            checks: Vec::new(),
            error: None,
        };
        let who = self.checks_as_for(m).await?;
        c.batch_execute("BEGIN").await?;
        let outcome = self.dry_run_inside(m, &who, &mut report).await;
        c.batch_execute("ROLLBACK").await?;
        if let Err(e) = outcome {
            report.error = Some(e.to_string());
        }
        Ok(report)
    }

    async fn dry_run_inside(
        &self,
        m: &Read<'_>,
        who: &ChecksAs,
        report: &mut DryRun,
    ) -> Result<(), EngineError> {
        let c = &self.client;
        c.batch_execute(&timeouts_sql(self, &m.meta, true)).await?;
        let before = checks::snapshot(c, who, Scope::Savepoint, m).await?;
        for (i, s) in m.up().statements().enumerate() {
            let mut line = DryStatement {
                line: s.line,
                sql: s.sql.to_string(),
                rows: None,
                millis: 0,
                skipped: None,
            };
            if sql::needs_autocommit(s.sql) {
                line.skipped = Some("cannot run inside a transaction: not tried".into());
                report.statements.push(line);
                continue;
            }
            if super::batch::at_statement(m, i).is_some() {
                line.skipped = Some("runs once per key range: not tried".into());
                report.statements.push(line);
                continue;
            }
            let t = Instant::now();
            let rows = exec(c, s).await;
            self.after_statement(s.sql);
            line.millis = t.elapsed().as_millis() as u64;
            match rows {
                Ok(n) => {
                    line.rows = Some(n);
                    report.statements.push(line);
                }
                Err(err) => {
                    report.statements.push(line);
                    return Err(EngineError::PhaseFailed(Box::new(failure(
                        &m.version,
                        m.up(),
                        Some(i),
                        &err,
                    ))));
                }
            }
        }
        report.locks = c
            .query(
                "SELECT l.relation::regclass::text, string_agg(l.mode, ', ' ORDER BY l.mode)
                 FROM pg_locks l
                 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                   AND l.relation >= 16384
                 GROUP BY 1 ORDER BY 1",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        report.checks = checks::run(c, who, Scope::Savepoint, m, &before).await?;
        Ok(())
    }
}
