//! Applying phases: one transaction per phase with the verify gate inside it; lock waits
//! bounded by `lock_timeout` and retried with backoff.

use std::time::Instant;

use serde_json::json;

use super::checks::{self, Blocked, CheckOutcome, ChecksAs, Scope};
use super::exec::{At, Batch, can_batch, exec_keeping, failure_at, retryable, timeouts_sql};
use super::history::{EventKind, Outcome, RowState};
use super::{Engine, EngineError, Progress, lost};
use crate::adopt::Elapsed;
use crate::phases::{self, Phase, PhaseState};
use crate::plan::{Expect, Migration, Plan, Read, StatementRef, Version};
use crate::sql::drops_prepared;
use crate::trash::Part;

#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    /// Apply up to and including this version.
    pub to: Option<Version>,
    pub allow_out_of_order: bool,
    /// Read before each phase: once set, no further phase starts and `up` returns what it
    /// applied (a fleet stopping lets each target finish its current phase only).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What one applied phase did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub millis: u64,
    pub checks: Vec<CheckOutcome>,
}

/// Why a phase attempt stopped.
enum Stop {
    Db { err: tokio_postgres::Error, at: At },
    Check(Vec<CheckOutcome>),
}

impl From<tokio_postgres::Error> for Stop {
    fn from(err: tokio_postgres::Error) -> Self {
        Stop::Db {
            err,
            at: At {
                statement: None,
                position: None,
            },
        }
    }
}

impl From<Blocked> for Stop {
    fn from(b: Blocked) -> Self {
        match b {
            Blocked::Db(err) => err.into(),
            Blocked::Check { outcome, .. } => Stop::Check(vec![*outcome]),
        }
    }
}

/// The phases `up` would apply, or why it refuses to apply anything.
pub fn targets<'a>(
    phases: &[Phase<'a>],
    opts: &UpOptions,
) -> Result<Vec<&'a Migration>, EngineError> {
    if let Some(p) = phases.iter().find(|p| p.state == PhaseState::Drifted) {
        let what = p.drift.as_ref().map(|d| d.describe()).unwrap_or_default();
        return Err(EngineError::Refused(format!(
            "phase {} is drifted: {what} since it was applied. Review with `pgstep diff {}`, then \
             `pgstep accept {} --reason ...`, or restore the file",
            p.version, p.version, p.version
        )));
    }
    if let Some(p) = phases.iter().find(|p| p.state == PhaseState::Dirty) {
        let done = p.row.and_then(|r| r.statements_done).unwrap_or(0);
        let total = p.row.and_then(|r| r.statements_total).unwrap_or(0);
        return Err(EngineError::Refused(format!(
            "phase {} is dirty: it stopped after statement {done} of {total}. Resolve it first: \
             `pgstep resume {}`, `pgstep mark {} applied|pending --reason ...`, or roll it back",
            p.version, p.version, p.version
        )));
    }
    if let Some(p) = phases.iter().find(|p| p.state == PhaseState::RollingBack) {
        let done = p.row.and_then(|r| r.down_done).unwrap_or(0);
        return Err(EngineError::Refused(format!(
            "phase {} is rolling back: its rollback stopped after DOWN statement {done}. Finish \
             it with `pgstep down --steps 1`, or `pgstep mark {} applied|pending --reason ...`",
            p.version, p.version
        )));
    }
    if !opts.allow_out_of_order
        && let Some(p) = phases.iter().find(|p| p.state == PhaseState::OutOfOrder)
    {
        return Err(EngineError::Refused(format!(
            "phase {} is pending but older than an applied phase (out of order); apply it with \
             --allow-out-of-order if that is safe",
            p.version
        )));
    }
    if let Some(to) = &opts.to
        && !phases
            .iter()
            .any(|p| p.version == *to && p.migration.is_some())
    {
        return Err(EngineError::Input(format!(
            "version {to} is not in the plan"
        )));
    }
    Ok(phases
        .iter()
        .filter(|p| {
            matches!(
                p.state,
                PhaseState::Pending
                    | PhaseState::Failed
                    | PhaseState::OutOfOrder
                    | PhaseState::Outdated
            )
        })
        .filter(|p| opts.to.as_ref().is_none_or(|to| p.version <= *to))
        .filter_map(|p| p.migration)
        .collect())
}

impl Engine {
    /// Applies pending phases in order, stopping at the first failure.
    pub async fn up(
        &self,
        plan: &Plan,
        opts: &UpOptions,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Vec<Applied>, EngineError> {
        // Bad input is refused before anything, pgstep's own tables included, is made.
        if let Some(to) = &opts.to
            && super::find(plan, to).is_none()
        {
            return Err(EngineError::Input(format!(
                "version {to} is not in the plan"
            )));
        }
        self.lock().await?;
        let eng = self;
        let result = async {
            let rows = eng.tables.rows(&eng.client).await?;
            let tool = eng.tool_history(plan).await?;
            let phases = phases::merge(plan, &rows, tool.as_ref());
            let todo = targets(&phases, opts)?;
            for (k, m) in todo.iter().enumerate() {
                eng.require_extensions(m).await?;
                // A name the tool cannot read is refused before anything runs.
                eng.tool_entry(m)?;
                if m.batch.is_some() {
                    eng.check_batch(&m.read()?, k > 0).await?;
                }
            }
            let late = phases
                .iter()
                .any(|p| p.gap == Some(crate::phases::ToolGap::BeforeAdoption));
            if !todo.is_empty() || late {
                eng.note_adoption(plan).await?;
            }
            let late = eng.record_late(&phases).await?;
            if let Some((tool, versions)) = late.recorded {
                progress(Progress::RecordedInTool { tool, versions });
            }
            let mut done = Vec::new();
            for m in todo {
                let stop = opts.stop.as_ref();
                if stop.is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst)) {
                    break;
                }
                // Read here, one at a time: a plan outlined by the console holds no text, and
                // a file changed since then stops the run before its phase starts.
                let m = &m.read()?;
                let stored = rows
                    .iter()
                    .find(|r| Version::parse(&r.version).as_ref() == Some(&m.version))
                    .map_or_else(|| m.version.to_string(), |r| r.version.clone());
                let applied = if m.transactional() {
                    eng.apply_tx(m, &stored, progress).await?
                } else {
                    eng.apply_one_by_one(m, &stored, 0, Vec::new(), progress)
                        .await?
                };
                done.push(applied);
            }
            if late.held_back && !done.is_empty() {
                eng.record_after(plan, progress).await?;
            }
            Ok(done)
        }
        .await;
        self.unlock(result).await
    }

    async fn require_extensions(&self, m: &Migration) -> Result<(), EngineError> {
        if m.meta.requires.is_empty() {
            return Ok(());
        }
        let have: Vec<String> = self
            .client
            .query("SELECT extname::text FROM pg_extension", &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let missing: Vec<String> = m
            .meta
            .requires
            .iter()
            .filter(|e| !have.contains(e))
            .cloned()
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(EngineError::MissingExtensions {
                version: m.version.to_string(),
                missing,
            })
        }
    }

    pub(super) fn step_of(m: &Migration, index: usize) -> Option<String> {
        m.steps
            .iter()
            .rev()
            .find(|s| s.first_statement <= index)
            .map(|s| s.title.clone())
    }

    /// One transaction: UP, the checks, the history row and the log event, or nothing.
    async fn apply_tx(
        &self,
        m: &Read<'_>,
        stored: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Applied, EngineError> {
        let who = self.checks_as_for(m).await?;
        // The tool's record commits with the phase, sent with the COMMIT.
        let commit = match self.tool_applied(m, Elapsed::Transaction)? {
            Some(tool) => format!("{tool}; COMMIT"),
            None => "COMMIT".to_string(),
        };
        let keep = self
            .prepare_keeping(m.version.as_str(), &m.meta, m.up())
            .await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            progress(Progress::PhaseStarted {
                version: m.version.to_string(),
                name: m.name.clone(),
                statements: m.up.count(),
            });
            let stop = match self
                .try_tx(m, stored, (&who, keep), &commit, progress)
                .await
            {
                Ok(applied) => return Ok(applied),
                Err(stop) => stop,
            };
            self.after_part(m.up());
            if !self.client.is_closed() {
                // The attempt's transaction may already be gone; ROLLBACK then only warns.
                self.client.batch_execute("ROLLBACK").await.ok();
            }
            let millis = started.elapsed().as_millis() as i64;
            match stop {
                // A lost session first: a cancel that raced with it changes nothing of what
                // the server did.
                Stop::Db { err, .. } if lost::is_lost(&self.client, &err) => {
                    return Err(self.after_lost(m.version.as_str(), stored, false).await);
                }
                Stop::Db { err, at } if self.is_cancelled() => {
                    let f = failure_at(&m.version, m.up(), at, &err);
                    return self.cancelled_tx(m, stored, millis, &f).await;
                }
                Stop::Db { err, at }
                    if retryable(&err) && attempt <= self.settings.lock_retries =>
                {
                    self.lock_retry((&m.version, stored, &m.name), attempt, &err, progress)
                        .await?;
                    // A Ctrl-C during the wait must not be followed by another attempt.
                    if self.is_cancelled() {
                        let f = failure_at(&m.version, m.up(), at, &err);
                        return self.cancelled_tx(m, stored, millis, &f).await;
                    }
                }
                Stop::Db { err, at } => {
                    let f = failure_at(&m.version, m.up(), at, &err);
                    if !self.client.is_closed() {
                        self.record_stop(
                            m,
                            stored,
                            RowState::Failed,
                            EventKind::Failure,
                            Outcome::Failed,
                            millis,
                            Some(f.message.clone()),
                            Some(&f),
                            None,
                        )
                        .await?;
                    }
                    return Err(EngineError::PhaseFailed(Box::new(f)));
                }
                Stop::Check(outcomes) => {
                    let bad = outcomes.iter().find(|o| o.failed()).cloned();
                    let bad = bad.unwrap_or_else(|| outcomes[0].clone());
                    let msg = format!("check `{}` failed: {}", bad.name, bad.detail);
                    self.record_stop(
                        m,
                        stored,
                        RowState::Failed,
                        EventKind::Failure,
                        Outcome::CheckFailed,
                        millis,
                        Some(msg),
                        None,
                        Some(&outcomes),
                    )
                    .await?;
                    return Err(EngineError::CheckFailed {
                        version: m.version.to_string(),
                        check: bad.name,
                        expect: bad.expect,
                        detail: bad.detail,
                        outcome: "rolled back",
                    });
                }
            }
        }
    }

    async fn try_tx(
        &self,
        m: &Read<'_>,
        stored: &str,
        (who, keep): (&ChecksAs, bool),
        commit: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Applied, Stop> {
        let c = &self.client;
        let version = m.version.as_str();
        let keep_sql = |sql: &str| Self::keep_for(keep, version, Part::Up, sql);
        let begin = format!("BEGIN; {}", timeouts_sql(self, &m.meta, true));
        let batch = can_batch(m.up()).then(|| Batch::of(m.up(), &keep_sql));
        let stop = |(err, at)| Stop::Db { err, at };
        if let Some(batch) = &batch
            && m.checks.is_empty()
            && !m.up().statements().any(|s| drops_prepared(s.sql))
        {
            let w = self.writes().await?;
            // Nothing to read between UP and the writes: BEGIN and the statements go out at
            // once, and the writes and COMMIT once they have all answered, so nothing
            // follows a failed statement.
            batch
                .run(c, Some(&begin), m.up(), &mut |i, s| {
                    Self::report(m, progress, i, s)
                })
                .await
                .map_err(stop)?;
            let kept = Self::kept_json(self.log_kept(keep, stored, &m.name).await?);
            let details = json!({ "checks": [], "transaction": true });
            let (written, committed) = futures_util::future::join(
                w.applied(c, (m, stored), (&details, kept.as_ref()), &self.operator),
                c.batch_execute(commit),
            )
            .await;
            let millis = written?;
            committed?;
            return Ok(Self::done(m, millis, Vec::new(), progress));
        }
        // `unchanged` checks read the database inside the transaction before UP runs.
        let snapshot_first = m.checks.iter().any(|k| k.expect == Expect::Unchanged);
        if snapshot_first || batch.is_none() {
            c.batch_execute(&begin).await?;
        }
        let before = checks::snapshot(c, who, Scope::Savepoint, m).await?;
        if let Some(batch) = &batch {
            let prologue = (!snapshot_first).then_some(begin.as_str());
            batch
                .run(c, prologue, m.up(), &mut |i, s| {
                    Self::report(m, progress, i, s)
                })
                .await
                .map_err(stop)?;
        } else {
            for (i, s) in m.up().statements().enumerate() {
                Self::report(m, progress, i, s);
                exec_keeping(c, s, keep_sql(s.sql).as_deref(), true)
                    .await
                    .map_err(|err| Stop::Db {
                        at: At::statement(Some(i), &err),
                        err,
                    })?;
            }
        }
        self.after_part(m.up());
        let kept = Self::kept_json(self.log_kept(keep, stored, &m.name).await?);
        let w = self.writes().await?;
        let outcomes = checks::run(c, who, Scope::Savepoint, m, &before).await?;
        progress(Progress::Checks {
            version: m.version.to_string(),
            outcomes: outcomes.clone(),
        });
        if outcomes.iter().any(CheckOutcome::failed) {
            return Err(Stop::Check(outcomes));
        }
        let details = json!({ "checks": outcomes, "transaction": true });
        // Sent together, answered in one round trip. A failed write aborts the transaction,
        // so the COMMIT behind it rolls back, and the write's error is the one reported.
        let (written, committed) = futures_util::future::join(
            w.applied(c, (m, stored), (&details, kept.as_ref()), &self.operator),
            c.batch_execute(commit),
        )
        .await;
        let millis = written?;
        committed?;
        Ok(Self::done(m, millis, outcomes, progress))
    }

    pub(super) fn report(
        m: &Migration,
        progress: &mut (dyn FnMut(Progress) + Send),
        index: usize,
        s: StatementRef<'_>,
    ) {
        progress(Progress::Statement {
            version: m.version.to_string(),
            index,
            line: s.line,
            step: Self::step_of(m, index),
        });
    }

    pub(super) fn done(
        m: &Migration,
        millis: u64,
        checks: Vec<CheckOutcome>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Applied {
        progress(Progress::PhaseDone {
            version: m.version.to_string(),
            millis,
        });
        Applied {
            version: m.version.to_string(),
            name: m.name.clone(),
            millis,
            checks,
        }
    }
}
