//! `Transaction: none` phases: each statement commits on its own and the history row says
//! how far the phase got, so a failure leaves it `dirty` at statement k of n, to resume.

use std::ops::Range;
use std::time::Instant;

use serde_json::json;

use super::apply::Applied;
use super::batch::{self, Batches};
use super::checks::{self, Scope};
use super::exec::{exec_keeping, failure, invalid_indexes, retryable, timeouts_sql};
use super::history::{Event, EventKind, Outcome, Record, RowState};
use super::verdict::ResultSet;
use super::{Engine, EngineError, Failure, Left, Progress, find, lost};
use crate::adopt::Elapsed;
use crate::plan::{Plan, Read, StatementRef, Version};

/// The operator's word on a statement in doubt that the database cannot settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InDoubt {
    /// It took effect: go on after it.
    Done,
    /// It did not: run it again.
    Rerun,
}

impl Engine {
    /// Retries a dirty phase from the statement that failed. A statement that was in flight
    /// when the session was lost is settled first: by the database where it can tell, else
    /// by the operator's `in_doubt`, else the resume is refused with the statement shown.
    pub async fn resume(
        &self,
        plan: &Plan,
        version: &Version,
        reason: Option<&str>,
        in_doubt: Option<InDoubt>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Applied, EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let rows = eng.tables.rows(&eng.client).await?;
            let row = rows
                .iter()
                .find(|r| Version::parse(&r.version).as_ref() == Some(version))
                .filter(|r| r.state == RowState::Dirty)
                .ok_or_else(|| {
                    EngineError::Refused(format!("phase {version} is not dirty: nothing to resume"))
                })?;
            let m = find(plan, version).ok_or_else(|| {
                EngineError::Refused(format!(
                    "phase {version} is dirty but its file is gone: restore it, or mark it"
                ))
            })?;
            if row.checksum.as_ref() != Some(&m.checksum) {
                return Err(EngineError::Refused(format!(
                    "phase {version}'s file changed since it started: resuming would run other \
                     statements than the ones already run. Restore the file, or mark the phase"
                )));
            }
            let m = m.read()?;
            eng.note_adoption(plan).await?;
            let start = eng
                .settle(row, m.up(), false, in_doubt, reason)
                .await?
                .unwrap_or(row.statements_done.unwrap_or(0).max(0) as usize);
            let before: Vec<(usize, ResultSet)> = row
                .check_snapshot
                .clone()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default();
            eng.log(Event {
                kind: EventKind::Resume,
                version: Some(&row.version),
                name: Some(&m.name),
                outcome: Outcome::Started,
                duration_ms: None,
                reason,
                details: json!({ "from_statement": start + 1 }),
            })
            .await?;
            eng.apply_one_by_one(&m, &row.version, start, before, progress)
                .await
        }
        .await;
        self.unlock(result).await
    }
    /// `Transaction: none`: each statement commits on its own; the history row says how far
    /// the phase got, so a failure leaves it `dirty` at statement k of n.
    pub(super) async fn apply_one_by_one(
        &self,
        m: &Read<'_>,
        stored: &str,
        start: usize,
        mut before: Vec<(usize, ResultSet)>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Applied, EngineError> {
        let c = &self.client;
        let started = Instant::now();
        // A section of its own transaction that stopped part-way was rolled back whole.
        let start = m.up.wrapped_at(start).map_or(start, |r| r.start);
        progress(Progress::PhaseStarted {
            version: m.version.to_string(),
            name: m.name.clone(),
            statements: m.up.count(),
        });
        let who = self.checks_as_for(m).await?;
        c.batch_execute(&timeouts_sql(self, &m.meta, false)).await?;
        if start == 0 {
            before = checks::snapshot(c, &who, Scope::Alone, m).await?;
        }
        // golang-migrate marks the version dirty before a migration runs; the others record
        // it once it has run.
        let tool_entry = self.tool_entry(m)?;
        if let (Some(found), Some(e)) = (self.tool(), &tool_entry) {
            self.tool_write(found.starting(e)).await?;
        }
        let dirty = |done: usize, message: Option<String>, f: Option<&Failure>| Record {
            version: stored,
            state: RowState::Dirty,
            execution_time_ms: Some(started.elapsed().as_millis().min(i32::MAX as u128) as i32),
            error_message: message,
            error_sqlstate: f.map(|f| f.sqlstate.clone()).filter(|s| !s.is_empty()),
            error_line: f.map(|f| f.line as i32),
            statements_done: Some(done as i32),
            check_snapshot: serde_json::to_value(&before).ok(),
        };
        let keep = self
            .prepare_keeping(m.version.as_str(), &m.meta, m.up())
            .await?;
        self.batch_forget(m, stored).await?;
        self.save(m, &dirty(start, None, None)).await?;
        self.wal_start(stored).await?;
        let statements: Vec<StatementRef<'_>> = m.up().statements().collect();
        // The lock retries of the running section, which starts again from its first statement.
        let mut section_attempt = 0;
        let mut i = start;
        'statements: while let Some(&s) = statements.get(i) {
            let section = m.up.wrapped_at(i);
            if self.is_cancelled() {
                let done = self.leave_section(section.as_ref(), i).await;
                return self
                    .stop_one_by_one(m, stored, (done, None), None, started)
                    .await;
            }
            if section.as_ref().is_some_and(|r| r.start == i) {
                c.batch_execute("BEGIN").await?;
            }
            Self::report(m, progress, i, s);
            let mut attempt = 0;
            loop {
                attempt += 1;
                let invalid_before = invalid_indexes(c).await?;
                // A batch commits with its progress, so none is ever in doubt.
                let ran = match batch::at_statement(m, i) {
                    Some(b) => match self.run_batches(m, stored, b, s.sql, progress).await? {
                        Batches::Done => Ok(0),
                        Batches::Stopped => {
                            return self
                                .stop_one_by_one(m, stored, (i, None), None, started)
                                .await;
                        }
                        Batches::Failed(err) => Err(err),
                    },
                    None => {
                        self.tables.in_flight(c, stored, (i + 1) as i32).await?;
                        let kept =
                            Self::keep_for(keep, m.version.as_str(), crate::trash::Part::Up, s.sql);
                        let ran = exec_keeping(c, s, kept.as_deref(), section.is_some()).await;
                        match &section {
                            // The section's progress commits with it.
                            Some(r) if ran.is_ok() && r.end == i + 1 => {
                                self.commit_section(stored, i + 1).await.map(|()| 0)
                            }
                            _ => ran,
                        }
                    }
                };
                self.after_statement(s.sql);
                match ran {
                    Ok(_) => break,
                    Err(err) if lost::is_lost(c, &err) => {
                        return Err(EngineError::ConnectionLost {
                            version: m.version.to_string(),
                            lost: lost::Lost::InFlight {
                                number: i + 1,
                                total: m.up.count(),
                                rollback: false,
                            },
                        });
                    }
                    Err(err) => {
                        let done = self.leave_section(section.as_ref(), i).await;
                        let left: Vec<String> = invalid_indexes(c)
                            .await
                            .unwrap_or_default()
                            .into_iter()
                            .filter(|n| !invalid_before.contains(n))
                            .collect();
                        let mut f = failure(&m.version, m.up(), Some(i), &err);
                        if self.is_cancelled() {
                            return self
                                .stop_one_by_one(m, stored, (done, Some(&f)), Some(&left), started)
                                .await;
                        }
                        let tries = if section.is_some() {
                            section_attempt += 1;
                            section_attempt
                        } else {
                            attempt
                        };
                        if retryable(&err) && tries <= self.settings.lock_retries {
                            // The failed build left its index invalid; it is this statement's
                            // own, so dropping it restores the state before the attempt.
                            for idx in &left {
                                c.batch_execute(&format!(
                                    "DROP INDEX CONCURRENTLY IF EXISTS {idx}"
                                ))
                                .await?;
                            }
                            self.lock_retry((&m.version, stored, &m.name), attempt, &err, progress)
                                .await?;
                            if self.is_cancelled() {
                                return self
                                    .stop_one_by_one(m, stored, (done, Some(&f)), None, started)
                                    .await;
                            }
                            if let Some(r) = section {
                                i = r.start;
                                continue 'statements;
                            }
                            continue;
                        }
                        if !left.is_empty() {
                            f.message.push_str(&format!(
                                "; it left invalid index {}: drop it with DROP INDEX CONCURRENTLY before resuming",
                                left.join(", ")
                            ));
                        }
                        if let Some(r) = &section {
                            f.message.push_str(&format!(
                                "; its section, statements {} to {}, was rolled back: the phase \
                                 goes on from statement {} when resumed",
                                r.start + 1,
                                r.end,
                                r.start + 1
                            ));
                        }
                        if !c.is_closed() {
                            let rec = dirty(done, Some(f.message.clone()), Some(&f));
                            self.save(m, &rec).await?;
                            self.log(Event {
                                kind: EventKind::Failure,
                                version: Some(stored),
                                name: Some(&m.name),
                                outcome: Outcome::Dirty,
                                duration_ms: Some(started.elapsed().as_millis() as i64),
                                reason: None,
                                details: json!({
                                    "statement_index": i + 1,
                                    "statement": f.statement,
                                    "statements_total": m.up.count(),
                                    "line": f.line,
                                    "sqlstate": f.sqlstate,
                                    "error": f.message,
                                    "invalid_indexes": left,
                                    "transaction": false,
                                }),
                            })
                            .await?;
                        }
                        return Err(EngineError::PhaseFailed(Box::new(f)));
                    }
                }
            }
            if section.is_none() {
                self.tables.progress(c, stored, (i + 1) as i32).await?;
            } else if section.as_ref().is_some_and(|r| r.end == i + 1) {
                section_attempt = 0;
            }
            i += 1;
        }
        self.log_kept(keep, stored, &m.name).await?;
        let outcomes = checks::run(c, &who, Scope::Alone, m, &before).await?;
        progress(Progress::Checks {
            version: m.version.to_string(),
            outcomes: outcomes.clone(),
        });
        let millis = started.elapsed().as_millis();
        c.batch_execute(&super::exec::session_timeouts_sql(&self.settings))
            .await?;
        if let Some(bad) = outcomes.iter().find(|o| o.failed()) {
            let msg = format!("check `{}` failed: {}", bad.name, bad.detail);
            let rec = dirty(m.up.count(), Some(msg), None);
            self.save(m, &rec).await?;
            self.log(Event {
                kind: EventKind::Failure,
                version: Some(stored),
                name: Some(&m.name),
                outcome: Outcome::Dirty,
                duration_ms: Some(millis as i64),
                reason: None,
                details: json!({ "checks": outcomes, "transaction": false }),
            })
            .await?;
            return Err(EngineError::CheckFailed {
                version: m.version.to_string(),
                check: bad.name.clone(),
                expect: bad.expect.clone(),
                detail: bad.detail.clone(),
                outcome: "left dirty (its statements ran outside a transaction)",
            });
        }
        if let (Some(found), Some(e)) = (self.tool(), &tool_entry) {
            let took = Elapsed::Took(started.elapsed());
            self.tool_write(Some(found.applied(e, took))).await?;
        }
        let rec = Record::applied(stored, m, Some(millis));
        self.save(m, &rec).await?;
        self.log(Event {
            kind: EventKind::Apply,
            version: Some(stored),
            name: Some(&m.name),
            outcome: Outcome::Applied,
            duration_ms: Some(millis as i64),
            reason: None,
            details: json!({ "checks": outcomes, "transaction": false }),
        })
        .await?;
        Ok(Self::done(m, millis as u64, outcomes, progress))
    }

    /// Ends the section of its own transaction that statement `i` runs in, if any, by rolling
    /// it back; what counts as done is then the statements before the section.
    async fn leave_section(&self, section: Option<&Range<usize>>, i: usize) -> usize {
        match section {
            Some(r) => {
                // Before the section's first statement was sent no transaction is open, and
                // ROLLBACK only warns.
                if !self.client.is_closed() {
                    self.client.batch_execute("ROLLBACK").await.ok();
                }
                r.start
            }
            None => i,
        }
    }

    /// Records that `done` statements ran and commits the section that ends there.
    async fn commit_section(&self, stored: &str, done: usize) -> Result<(), tokio_postgres::Error> {
        self.tables
            .progress(&self.client, stored, done as i32)
            .await?;
        self.client.batch_execute("COMMIT").await
    }

    /// A cancel during a one-by-one phase: what ran stays, the phase is dirty at `done`;
    /// `f` is what the server said of the statement the cancel stopped, if one was running.
    async fn stop_one_by_one(
        &self,
        m: &Read<'_>,
        stored: &str,
        (done, f): (usize, Option<&Failure>),
        invalid: Option<&[String]>,
        started: Instant,
    ) -> Result<Applied, EngineError> {
        let millis = started.elapsed().as_millis() as i64;
        let rec = Record {
            version: stored,
            state: RowState::Dirty,
            execution_time_ms: Some(millis.min(i64::from(i32::MAX)) as i32),
            error_message: Some(match f {
                Some(f) => format!("cancelled by the operator: {}", f.message),
                None => "cancelled by the operator".into(),
            }),
            error_sqlstate: f.map(|f| f.sqlstate.clone()).filter(|s| !s.is_empty()),
            error_line: f.map(|f| f.line as i32),
            statements_done: Some(done as i32),
            check_snapshot: None,
        };
        self.save(m, &rec).await?;
        self.log(Event {
            kind: EventKind::Cancel,
            version: Some(stored),
            name: Some(&m.name),
            outcome: Outcome::Dirty,
            duration_ms: Some(millis),
            reason: None,
            details: json!({
                "statements_done": done,
                "invalid_indexes": invalid,
                "statement": f.map(|f| &f.statement),
                "line": f.map(|f| f.line),
                "sqlstate": f.map(|f| &f.sqlstate),
                "transaction": false,
            }),
        })
        .await?;
        Err(EngineError::Cancelled {
            version: m.version.to_string(),
            left: Left::Dirty,
        })
    }
}
