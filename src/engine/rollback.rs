//! Rolling phases back: DOWN in one transaction (one by one for `Transaction: none` phases),
//! then the history row removed and the event logged.

use std::time::Instant;

use serde_json::json;

use super::adopted::{ToolUndo, with_tool_rows};
use super::exec::{exec_keeping, failure, retryable, timeouts_sql};
use super::history::{AppliedSql, Event, EventKind, HistoryRow, Outcome, RowState};
use super::{Engine, EngineError, InDoubt, Left, Progress, lost};
use crate::phases::{self, Phase, PhaseState};
use crate::plan::{Migration, Part, Plan, Read, Sql, Version};

/// How far `down` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownTarget {
    /// Every applied phase after this version.
    To(Version),
    /// The newest N applied phases.
    Steps(usize),
    All,
}

/// A phase to roll back and the DOWN to run.
#[derive(Debug, Clone)]
pub struct Undo<'a> {
    pub version: Version,
    pub name: String,
    pub row: &'a HistoryRow,
    pub migration: Option<&'a Migration>,
    pub down: Part,
    /// The DOWN comes from the history because the file is gone.
    pub from_history: bool,
}

impl<'a> Undo<'a> {
    /// Its DOWN with the text: held by the plan or taken from the history, or read again from
    /// its file into `slot` (refused if the file changed since the plan was read).
    pub fn read_down<'s>(&'s self, slot: &'s mut Option<Read<'a>>) -> Result<Sql<'s>, EngineError> {
        match (self.down.sql(), self.migration) {
            (Ok(down), _) => Ok(down),
            (Err(unread), Some(m)) => Ok(slot.insert(m.read()?).down().ok_or(unread)?),
            (Err(unread), None) => Err(unread.into()),
        }
    }
}

/// The phases `down` would roll back, newest first; refuses before anything runs if any lacks
/// a DOWN or is drifted. `recorded` holds the DOWN kept in the history for the phases whose
/// file is gone, by stored version.
fn undo_list<'a>(
    phases: &[Phase<'a>],
    target: &DownTarget,
    recorded: &[(String, AppliedSql)],
) -> Result<Vec<Undo<'a>>, EngineError> {
    // Repeatable migrations are not rolled back, as Flyway's undo leaves them: they run again
    // after the versioned ones whenever their file changes.
    let applied: Vec<&Phase<'a>> = phases
        .iter()
        .filter(|p| !p.version.is_repeatable())
        .filter(|p| {
            matches!(
                p.state,
                PhaseState::Applied
                    | PhaseState::Dirty
                    | PhaseState::RollingBack
                    | PhaseState::Drifted
                    | PhaseState::Missing
            )
        })
        .collect();
    let chosen: Vec<&Phase<'a>> = match target {
        DownTarget::To(v) => {
            if !phases.iter().any(|p| p.version == *v) {
                return Err(EngineError::Input(format!(
                    "version {v} is neither in the plan nor in the history"
                )));
            }
            applied.into_iter().filter(|p| p.version > *v).collect()
        }
        DownTarget::Steps(n) => applied.into_iter().rev().take(*n).rev().collect(),
        DownTarget::All => applied,
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in chosen.into_iter().rev() {
        let Some(row) = p.row else { continue };
        if p.state == PhaseState::Drifted {
            problems.push(format!(
                "phase {} is drifted: review it with `pgstep diff {}` and accept it first",
                p.version, p.version
            ));
            continue;
        }
        let from_file = p.migration.and_then(|m| m.down.clone());
        let kept = recorded.iter().find(|(v, _)| *v == row.version);
        let from_history = kept
            .and_then(|(_, sql)| sql.down.as_deref())
            .and_then(|text| {
                let file = p.migration.map(|m| m.file.clone()).unwrap_or_default();
                crate::plan::down_from_history(text, file, row.transactional)
            });
        let (down, historic) = match (from_file, from_history) {
            (Some(d), _) => (d, false),
            (None, Some(d)) if p.migration.is_none() && d.count() > 0 => (d, true),
            _ => {
                problems.push(format!("phase {} has no DOWN part", p.version));
                continue;
            }
        };
        out.push(Undo {
            version: p.version.clone(),
            name: p.name.clone(),
            row,
            migration: p.migration,
            down,
            from_history: historic,
        });
    }
    if !problems.is_empty() {
        return Err(EngineError::Refused(format!(
            "nothing was rolled back: {}",
            problems.join("; ")
        )));
    }
    Ok(out)
}

/// What one rolled-back phase did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RolledBack {
    pub version: String,
    pub name: String,
    pub millis: u64,
    pub from_history: bool,
    /// How many copies of what its DOWN removed were kept.
    pub kept: usize,
}

impl Engine {
    /// The phases `down` would roll back, for a confirmation.
    ///
    /// With an adopted tool, `rows` are [`Engine::rollback_history`]'s and `tool` the tool's
    /// history they were made with, so phases only the tool applied are listed too.
    pub async fn plan_down<'a>(
        &self,
        plan: &'a Plan,
        rows: &'a [HistoryRow],
        tool: Option<&'a crate::adopt::ToolHistory>,
        target: &DownTarget,
    ) -> Result<Vec<Undo<'a>>, EngineError> {
        let phases = phases::merge(plan, rows, tool);
        let recorded = self.recorded_downs(&phases).await?;
        undo_list(&phases, target, &recorded)
    }

    /// The DOWN the history kept for the phases whose file is gone: the only ones it runs.
    async fn recorded_downs(
        &self,
        phases: &[Phase<'_>],
    ) -> Result<Vec<(String, AppliedSql)>, EngineError> {
        let gone: Vec<&str> = phases
            .iter()
            .filter(|p| p.migration.is_none())
            .filter_map(|p| p.row.map(|r| r.version.as_str()))
            .collect();
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.tables.applied_sql(&self.client, &gone).await?)
    }

    /// Rolls back, newest first, stopping at the first failure. A `Transaction: none` rollback
    /// that stopped part-way goes on from where it stopped; `in_doubt` settles its statement
    /// in flight when the database cannot (see [`Engine::resume`]).
    pub async fn down(
        &self,
        plan: &Plan,
        target: &DownTarget,
        reason: Option<&str>,
        in_doubt: Option<InDoubt>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Vec<RolledBack>, EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let tool = eng.tool_history(plan).await?;
            let rows = eng.tables.rows(&eng.client).await?;
            let rows = with_tool_rows(plan, rows, tool.as_ref());
            let phases = phases::merge(plan, &rows, tool.as_ref());
            let recorded = eng.recorded_downs(&phases).await?;
            let list = undo_list(&phases, target, &recorded)?;
            if let Some(t) = &tool {
                for u in &list {
                    if let Some(b) = t.below_baseline(plan, &u.version) {
                        return Err(EngineError::Refused(format!(
                            "phase {} is at or below Flyway's baseline {b}: Flyway never runs \
                             it again, so a rollback would leave the database without it for \
                             good. Roll back only phases after the baseline (--to {b})",
                            u.version
                        )));
                    }
                }
            }
            let mut entries = Vec::new();
            for u in &list {
                entries.push(eng.tool_undo(plan, u)?);
            }
            if !list.is_empty() {
                eng.note_adoption(plan).await?;
            }
            // A file changed since the plan was read is refused before anything is rolled
            // back. Its text is not kept: `undo` reads each DOWN again as it runs it, so
            // rolling back thousands of phases never holds every DOWN at once.
            for m in list.iter().filter_map(|u| u.migration) {
                m.read()?;
            }
            let mut done = Vec::new();
            for (u, tool) in list.iter().zip(&entries) {
                done.push(eng.undo(u, tool, reason, in_doubt, progress).await?);
            }
            Ok(done)
        }
        .await;
        self.unlock(result).await
    }

    async fn undo(
        &self,
        u: &Undo<'_>,
        tool: &ToolUndo,
        reason: Option<&str>,
        in_doubt: Option<InDoubt>,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<RolledBack, EngineError> {
        let c = &self.client;
        let mut read = None;
        let down = u.read_down(&mut read)?;
        let meta = u.migration.map(|m| m.meta.clone()).unwrap_or_default();
        let tx = u.down.transactional;
        let stored = u.row.version.as_str();
        // A `Transaction: none` DOWN commits statement by statement, so the history says how
        // far it got: a rollback that stops goes on from there next time.
        let mut start = 0;
        if !tx {
            if u.row.state == RowState::RollingBack {
                let done = u.row.down_done.unwrap_or(0).max(0) as usize;
                start = self
                    .settle(u.row, down, true, in_doubt, reason)
                    .await?
                    .unwrap_or(done);
                // A section of its own transaction that stopped part-way was rolled back whole.
                start = u.down.wrapped_at(start).map_or(start, |r| r.start);
            }
            self.tables
                .rollback_progress(c, stored, start as i32)
                .await?;
            self.tool_write(tool.starting.clone()).await?;
        }
        let keep = self.prepare_keeping(stored, &meta, down).await?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            progress(Progress::PhaseStarted {
                version: u.version.to_string(),
                name: u.name.clone(),
                statements: u.down.count(),
            });
            let result = async {
                let begin = if tx { "BEGIN; " } else { "" };
                c.batch_execute(&format!("{begin}{}", timeouts_sql(self, &meta, tx)))
                    .await
                    .map_err(|e| (e, None))?;
                for (i, s) in down.statements().enumerate().skip(start) {
                    let section = u.down.wrapped_at(i);
                    if section.as_ref().is_some_and(|r| r.start == i) {
                        c.batch_execute("BEGIN").await.map_err(|e| (e, Some(i)))?;
                    }
                    progress(Progress::Statement {
                        version: u.version.to_string(),
                        index: i,
                        line: s.line,
                        step: None,
                    });
                    if !tx {
                        self.tables
                            .in_flight(c, stored, (i + 1) as i32)
                            .await
                            .map_err(|e| (e, None))?;
                    }
                    let kept = Self::keep_for(keep, stored, crate::trash::Part::Down, s.sql);
                    let ran = exec_keeping(c, s, kept.as_deref(), tx || section.is_some()).await;
                    self.after_statement(s.sql);
                    ran.map_err(|e| (e, Some(i)))?;
                    if !tx {
                        self.tables
                            .rollback_progress(c, stored, (i + 1) as i32)
                            .await
                            .map_err(|e| (e, None))?;
                    }
                    // The section's progress commits with it.
                    if section.is_some_and(|r| r.end == i + 1) {
                        c.batch_execute("COMMIT").await.map_err(|e| (e, Some(i)))?;
                    }
                }
                let kept = self
                    .log_kept(keep, stored, &u.name)
                    .await
                    .map_err(|e| (e, None))?
                    .len();
                self.tables
                    .delete(c, &u.row.version)
                    .await
                    .map_err(|e| (e, None))?;
                // In the rollback's transaction: the tool sees the phase pending once it
                // commits, never before.
                self.tool_write(tool.removed.clone())
                    .await
                    .map_err(|e| (e, None))?;
                let millis = started.elapsed().as_millis() as i64;
                let event = Event {
                    kind: EventKind::Rollback,
                    version: Some(&u.row.version),
                    name: Some(&u.name),
                    outcome: Outcome::RolledBack,
                    duration_ms: Some(millis),
                    reason,
                    details: json!({
                        "statements": u.down.count(),
                        "transaction": tx,
                        "down_from_history": u.from_history,
                    }),
                };
                self.writes()
                    .await
                    .map_err(|e| (e, None))?
                    .event(c, &event, &self.operator)
                    .await
                    .map_err(|e| (e, None))?;
                if tx {
                    c.batch_execute("COMMIT").await.map_err(|e| (e, None))?;
                } else {
                    c.batch_execute(&super::exec::session_timeouts_sql(&self.settings))
                        .await
                        .map_err(|e| (e, None))?;
                }
                Ok::<(u64, usize), (tokio_postgres::Error, Option<usize>)>((millis as u64, kept))
            }
            .await;
            match result {
                Ok((millis, kept)) => {
                    progress(Progress::PhaseDone {
                        version: u.version.to_string(),
                        millis,
                    });
                    return Ok(RolledBack {
                        version: u.version.to_string(),
                        name: u.name.clone(),
                        millis,
                        from_history: u.from_history,
                        kept,
                    });
                }
                Err((err, index)) => {
                    if lost::is_lost(c, &err) {
                        return Err(match index {
                            Some(i) if !tx => EngineError::ConnectionLost {
                                version: u.version.to_string(),
                                lost: lost::Lost::InFlight {
                                    number: i + 1,
                                    total: u.down.count(),
                                    rollback: true,
                                },
                            },
                            _ => self.after_lost(u.version.as_str(), stored, true).await,
                        });
                    }
                    // The statements done: those before the failed one, or before its section,
                    // which is rolled back with it.
                    let done = index.map(|i| u.down.wrapped_at(i).map_or(i, |r| r.start));
                    if tx || index.is_some_and(|i| u.down.wrapped_at(i).is_some()) {
                        c.batch_execute("ROLLBACK").await.ok();
                    }
                    if let (false, Some(done)) = (tx, done) {
                        // The server answered: statement i did not take effect.
                        self.tables
                            .rollback_progress(c, stored, done as i32)
                            .await?;
                    }
                    if self.is_cancelled() {
                        let f = failure(&u.version, down, index, &err);
                        self.log(Event {
                            kind: EventKind::Cancel,
                            version: Some(stored),
                            name: Some(&u.name),
                            outcome: if tx {
                                Outcome::RollbackUndone
                            } else {
                                Outcome::RollingBack
                            },
                            duration_ms: Some(started.elapsed().as_millis() as i64),
                            reason,
                            details: json!({
                                "rollback": true,
                                "down_done": if tx { 0 } else { done.unwrap_or(start) },
                                "statements": u.down.count(),
                                "transaction": tx,
                                "statement": f.statement,
                                "line": f.line,
                                "sqlstate": f.sqlstate,
                                "error": f.message,
                            }),
                        })
                        .await?;
                        return Err(EngineError::Cancelled {
                            version: u.version.to_string(),
                            left: if tx {
                                Left::StillApplied
                            } else {
                                Left::RollingBack
                            },
                        });
                    }
                    if tx && retryable(&err) && attempt <= self.settings.lock_retries {
                        let who = (&u.version, u.row.version.as_str(), u.name.as_str());
                        self.lock_retry(who, attempt, &err, progress).await?;
                        if self.is_cancelled() {
                            return Err(EngineError::Cancelled {
                                version: u.version.to_string(),
                                left: Left::StillApplied,
                            });
                        }
                        continue;
                    }
                    let mut f = failure(&u.version, down, index, &err);
                    if !tx {
                        f.message.push_str(&format!(
                            "; the rollback stopped part-way, after {} of {} DOWN statement(s): \
                             once fixed, `pgstep down --steps 1` goes on from there",
                            done.unwrap_or(0),
                            u.down.count()
                        ));
                    }
                    if !c.is_closed() {
                        self.log(Event {
                            kind: EventKind::Failure,
                            version: Some(&u.row.version),
                            name: Some(&u.name),
                            outcome: Outcome::RollbackFailed,
                            duration_ms: Some(started.elapsed().as_millis() as i64),
                            reason,
                            details: json!({
                                "line": f.line,
                                "sqlstate": f.sqlstate,
                                "error": f.message,
                                "statement": f.statement,
                                "transaction": tx,
                            }),
                        })
                        .await?;
                    }
                    return Err(EngineError::PhaseFailed(Box::new(f)));
                }
            }
        }
    }
}
