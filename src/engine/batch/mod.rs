//! Batched steps: one statement run once per key range, each range committed in its own
//! transaction together with the history row's progress, so a kill at any moment loses
//! nothing and repeats nothing. Before each batch the health gates are read (every standby's
//! lag, paused or stopped by the operator), after it the WAL-rate pacing and the pause.

mod control;
mod progress;
mod standbys;

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_postgres::types::Type;

use super::exec::{backoff, retryable};
use super::history::{Event, EventKind, Outcome, quote_ident};
use super::{Engine, EngineError, Progress};
use crate::plan::batch::Batched;
use crate::plan::{Migration, Read};
pub use control::BatchControl;
use control::Wanted;
use progress::Gauge;
pub use progress::{BatchProgress, Waiting, bytes_text};
use standbys::Standbys;

/// How a batched step ended.
pub(super) enum Batches {
    Done,
    /// Stopped between batches by the operator: the phase is left to `resume`.
    Stopped,
    /// A batch failed (it was rolled back with its progress).
    Failed(tokio_postgres::Error),
}

/// Where the step is, as committed in the history row.
struct At {
    next: i64,
    last: i64,
    done: i64,
    rows: i64,
}

/// The longest a pause after lock waits grows to.
const MAX_LOCK_PAUSE: Duration = Duration::from_secs(10);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(100);
/// How often the gauge's WAL figure is read while batches run without a rate gate.
const WAL_EVERY: Duration = Duration::from_secs(1);

/// The phase's batched step, if statement `index` is it.
pub(super) fn at_statement(m: &Migration, index: usize) -> Option<&Batched> {
    m.batch.as_deref().filter(|b| b.statement == index)
}

impl Engine {
    /// The handle that steers batched steps run by this engine.
    pub fn batch_control(&self) -> BatchControl {
        self.batch.clone()
    }

    /// Before a `Transaction: none` phase's row is marked dirty: a phase applied afresh
    /// (its row, if any, is not dirty) starts its batched step from the beginning.
    pub(super) async fn batch_forget(
        &self,
        m: &Migration,
        stored: &str,
    ) -> Result<(), EngineError> {
        if m.batch.is_some() {
            let sql = format!(
                "UPDATE {} SET batch_next = NULL, batch_last = NULL, batch_done = NULL, \
                 batch_rows = NULL WHERE version = $1 AND state <> 'dirty'",
                self.tables.history_sql()
            );
            self.client.execute(&sql, &[&stored]).await?;
        }
        Ok(())
    }

    /// Records where the WAL was when the phase started, for `pgstep activity`.
    pub(super) async fn wal_start(&self, stored: &str) -> Result<(), EngineError> {
        let sql = format!(
            "UPDATE {} SET wal_start = CASE WHEN pg_is_in_recovery() THEN NULL \
             ELSE pg_current_wal_insert_lsn() END WHERE version = $1",
            self.tables.history_sql()
        );
        self.client.execute(&sql, &[&stored]).await?;
        Ok(())
    }

    /// Runs the batched step `b` (statement `sql`) from the first range not committed.
    pub(super) async fn run_batches(
        &self,
        m: &Read<'_>,
        stored: &str,
        b: &Batched,
        sql: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Batches, EngineError> {
        self.batch.publish(None);
        self.batch.set_running(true);
        let ran = self.batches(m, stored, b, sql, progress).await;
        self.batch.set_running(false);
        ran
    }

    async fn batches(
        &self,
        m: &Read<'_>,
        stored: &str,
        b: &Batched,
        sql: &str,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<Batches, EngineError> {
        let c = &self.client;
        let h = self.tables.history_sql();
        let gates = m.meta.gates.or(self.settings.gates);
        let step = Self::step_of(m, b.statement);
        let mut at = match self.batch_at(stored, b).await {
            Ok(at) => at,
            Err(e) => return Ok(Batches::Failed(e)),
        };
        let stmt = match c.prepare_typed(sql, &[Type::INT8, Type::INT8]).await {
            Ok(s) => s,
            Err(e) => return Ok(Batches::Failed(e)),
        };
        let record = c
            .prepare(&format!(
                "UPDATE {h} SET batch_next = $2, batch_done = batch_done + 1, \
                 batch_rows = batch_rows + $3 WHERE version = $1"
            ))
            .await?;
        let control = &self.batch;
        let mut seen = control.wanted(b, &gates);
        let started = Instant::now();
        let rows_at_start = at.rows;
        let wal_at_start = self.wal_position(stored).await?;
        let mut wal = self.wal_since(wal_at_start).await?;
        let mut wal_read = Instant::now();
        let mut lock_factor: u32 = 1;
        let mut standbys = Standbys::default();
        let gauge = Gauge {
            version: m.version.to_string(),
            step,
        };
        loop {
            let want = control.wanted(b, &gates);
            if want != seen {
                self.log_control(m, stored, seen, want).await?;
                seen = want;
            }
            let report = |at: &At, waiting: Option<Waiting>, wal: u64| {
                let p = gauge.progress(at, want, started, rows_at_start, wal, waiting);
                control.publish(Some(p));
            };
            if at.next > at.last {
                // Keys the application inserted past the max read at the start are visited
                // too: the max is read again after the last range, until no new key shows.
                match self.grown_to(stored, b, at.next).await {
                    Ok(Some(last)) => {
                        at.last = last;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => return Ok(Batches::Failed(e)),
                }
                report(&at, None, self.wal_since(wal_at_start).await?);
                return Ok(Batches::Done);
            }
            if control.stopping() || self.is_cancelled() {
                return Ok(Batches::Stopped);
            }
            if want.paused {
                report(
                    &at,
                    Some(Waiting::Paused),
                    self.wal_since(wal_at_start).await?,
                );
                tokio::time::sleep(POLL).await;
                continue;
            }
            if let Some(limit) = gates.max_replica_lag
                && let Some(waiting) = standbys.over(c, limit).await?
            {
                report(&at, Some(waiting), self.wal_since(wal_at_start).await?);
                tokio::time::sleep(POLL).await;
                continue;
            }
            // The last range ends at the max read: a key inserted past it meanwhile is left
            // to the ranges after the max is read again, never skipped by a range run before.
            let hi = at
                .next
                .saturating_add(want.size.min(i64::MAX as u64) as i64)
                .min(at.last.saturating_add(1));
            // The WAL position costs a query of its own: read before a batch only for the
            // rate gate, and after one at most once a second for the gauge, unless the gate
            // needs it. A batch is four round trips otherwise.
            let wal_before = match gates.max_wal_rate {
                Some(_) => Some(self.wal_now().await?),
                None => None,
            };
            let t0 = Instant::now();
            let ran = async {
                c.batch_execute("BEGIN").await?;
                let n = c.execute(&stmt, &[&at.next, &hi]).await?;
                let n = n.min(i64::MAX as u64) as i64;
                c.execute(&record, &[&stored, &hi, &n]).await?;
                c.batch_execute("COMMIT").await?;
                Ok::<i64, tokio_postgres::Error>(n)
            }
            .await;
            let n = match ran {
                Ok(n) => n,
                Err(err) => {
                    if !c.is_closed() {
                        c.batch_execute("ROLLBACK").await.ok();
                    }
                    if retryable(&err) && !self.is_cancelled() && !control.stopping() {
                        // Lock waits mean the application holds rows now: back off, and
                        // leave more room between the next batches too.
                        lock_factor = (lock_factor * 2).min(64);
                        let attempt = lock_factor.trailing_zeros();
                        let error = err
                            .as_db_error()
                            .map_or_else(|| err.to_string(), |d| d.message().to_string());
                        report(
                            &at,
                            Some(Waiting::Locks {
                                attempt,
                                error: error.clone(),
                            }),
                            self.wal_since(wal_at_start).await?,
                        );
                        let wait = backoff(self.settings.retry_base, attempt).min(MAX_LOCK_PAUSE);
                        self.log(Event {
                            kind: EventKind::LockRetry,
                            version: Some(stored),
                            name: Some(&m.name),
                            outcome: Outcome::Retrying,
                            duration_ms: None,
                            reason: None,
                            details: json!({
                                "attempt": attempt,
                                "wait_ms": wait.as_millis() as u64,
                                "error": error,
                                "batch": { "from": at.next, "to": hi },
                            }),
                        })
                        .await?;
                        progress(Progress::LockRetry {
                            version: m.version.to_string(),
                            attempt,
                            wait,
                            message: error,
                        });
                        self.sleep_unless_stopped(wait).await;
                        continue;
                    }
                    return Ok(Batches::Failed(err));
                }
            };
            let took = t0.elapsed();
            at.next = hi;
            at.done += 1;
            at.rows += n;
            if wal_before.is_some() || wal_read.elapsed() >= WAL_EVERY {
                wal = self.wal_since(wal_at_start).await?;
                wal_read = Instant::now();
            }
            report(&at, None, wal);
            // A clean batch lets the pause shrink back towards what was asked.
            lock_factor = (lock_factor / 2).max(1);
            if let (Some(limit), Some(before)) = (gates.max_wal_rate, wal_before) {
                let written = wal_at_start.saturating_add(wal).saturating_sub(before);
                let need = Duration::from_secs_f64(written as f64 / limit as f64);
                if need > took {
                    let bytes_per_s = (written as f64 / took.as_secs_f64().max(1e-3)) as u64;
                    report(&at, Some(Waiting::WalRate { bytes_per_s, limit }), wal);
                    self.sleep_unless_stopped(need - took).await;
                }
            }
            let pause = (want.pause * lock_factor).min(MAX_LOCK_PAUSE.max(want.pause));
            if !pause.is_zero() && at.next <= at.last {
                report(&at, Some(Waiting::Pause(pause)), wal);
                self.sleep_unless_stopped(pause).await;
            }
        }
    }

    /// The step's committed progress; on its first run, the key's range, read and recorded.
    async fn batch_at(&self, stored: &str, b: &Batched) -> Result<At, tokio_postgres::Error> {
        let c = &self.client;
        let h = self.tables.history_sql();
        let row = c
            .query_one(
                &format!(
                    "SELECT batch_next, batch_last, batch_done, batch_rows FROM {h} \
                     WHERE version = $1"
                ),
                &[&stored],
            )
            .await?;
        if let (Some(next), Some(last)) = (row.get::<_, Option<i64>>(0), row.get(1)) {
            return Ok(At {
                next,
                last,
                done: row.get::<_, Option<i64>>(2).unwrap_or(0),
                rows: row.get::<_, Option<i64>>(3).unwrap_or(0),
            });
        }
        let range = c
            .query_one(
                &format!(
                    "SELECT min({col})::int8, max({col})::int8 FROM {table}",
                    col = quote_ident(&b.column),
                    table = qualified_table(&b.table)
                ),
                &[],
            )
            .await?;
        // An empty table: a range that is done before it starts.
        let (next, last) = match (range.get::<_, Option<i64>>(0), range.get(1)) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => (1, 0),
        };
        c.execute(
            &format!(
                "UPDATE {h} SET batch_next = $2, batch_last = $3, batch_done = 0, \
                 batch_rows = 0 WHERE version = $1"
            ),
            &[&stored, &next, &last],
        )
        .await?;
        Ok(At {
            next,
            last,
            done: 0,
            rows: 0,
        })
    }

    /// The key's max when rows at or past `next` exist now, recorded as the step's new end
    /// so that `resume` goes on to it too; `None` when no key reaches `next`.
    async fn grown_to(
        &self,
        stored: &str,
        b: &Batched,
        next: i64,
    ) -> Result<Option<i64>, tokio_postgres::Error> {
        let h = self.tables.history_sql();
        let row = self
            .client
            .query_one(
                &format!(
                    "SELECT max({col})::int8 FROM {table}",
                    col = quote_ident(&b.column),
                    table = qualified_table(&b.table)
                ),
                &[],
            )
            .await?;
        let Some(max) = row.get::<_, Option<i64>>(0).filter(|max| *max >= next) else {
            return Ok(None);
        };
        self.client
            .execute(
                &format!("UPDATE {h} SET batch_last = $2 WHERE version = $1"),
                &[&stored, &max],
            )
            .await?;
        Ok(Some(max))
    }

    /// Checks, before anything runs, that a batched step's table and key exist and the key
    /// is an integer. A table or key that does not exist yet but may be made first (by an
    /// earlier phase of the run, or an earlier statement of the phase naming it) is judged
    /// when the step is reached, by the server.
    pub(super) async fn check_batch(
        &self,
        m: &Read<'_>,
        earlier_phases: bool,
    ) -> Result<(), EngineError> {
        let Some(b) = m.batch.as_deref() else {
            return Ok(());
        };
        let named_before = |word: &str| {
            let word = word.to_ascii_lowercase();
            earlier_phases
                || m.up()
                    .statements()
                    .take(b.statement)
                    .any(|s| s.sql.to_ascii_lowercase().contains(&word))
        };
        let at = format!("{}:{}", m.file.display(), b.line);
        let table = qualified_table(&b.table);
        let found = self
            .client
            .query_opt(
                "SELECT a.atttypid::regtype::text FROM pg_attribute a \
                 WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
                &[&table, &b.column],
            )
            .await?;
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .await?
            .get(0);
        match found.map(|r| r.get::<_, String>(0)) {
            Some(t) if matches!(t.as_str(), "smallint" | "integer" | "bigint") => Ok(()),
            Some(t) => Err(EngineError::Input(format!(
                "{at}: the batch key {}.{} is {t}, not an integer: batch on an integer \
                 column (the primary key, as a rule)",
                b.table, b.column
            ))),
            None if exists && !named_before(&b.column) => Err(EngineError::Input(format!(
                "{at}: table {} has no column {}: name the integer key to batch on",
                b.table, b.column
            ))),
            None if !exists && !named_before(&b.table) => Err(EngineError::Input(format!(
                "{at}: no table {} in the database: name an existing table (schema.table \
                 when it is not on the search_path)",
                b.table
            ))),
            None => Ok(()),
        }
    }

    async fn log_control(
        &self,
        m: &Migration,
        stored: &str,
        was: Wanted,
        now: Wanted,
    ) -> Result<(), EngineError> {
        let outcome = match (was.paused, now.paused) {
            (false, true) => Outcome::Paused,
            (true, false) => Outcome::Resumed,
            _ => Outcome::Changed,
        };
        self.log(Event {
            kind: EventKind::BatchControl,
            version: Some(stored),
            name: Some(&m.name),
            outcome,
            duration_ms: None,
            reason: None,
            details: json!({
                "paused": now.paused,
                "batch_size": now.size,
                "batch_size_was": was.size,
                "pause_ms": now.pause.as_millis() as u64,
                "pause_ms_was": was.pause.as_millis() as u64,
            }),
        })
        .await
    }

    async fn sleep_unless_stopped(&self, d: Duration) {
        let until = tokio::time::Instant::now() + d;
        while !self.is_cancelled() && !self.batch.stopping() && tokio::time::Instant::now() < until
        {
            let tick = tokio::time::Instant::now() + POLL;
            tokio::time::sleep_until(tick.min(until)).await;
        }
    }

    /// The WAL position in bytes; 0 on a server in recovery (nothing is written there). The
    /// insert position, not the write position: under `synchronous_commit = off` the WAL
    /// of a batch may not be written out yet, but it is made.
    async fn wal_now(&self) -> Result<u64, EngineError> {
        let v: i64 = self
            .client
            .query_one(
                "SELECT CASE WHEN pg_is_in_recovery() THEN 0 \
                 ELSE pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8 END",
                &[],
            )
            .await?
            .get(0);
        Ok(v.max(0) as u64)
    }

    /// Where the WAL was when the phase started, as the history row says.
    async fn wal_position(&self, stored: &str) -> Result<u64, EngineError> {
        let v: Option<i64> = self
            .client
            .query_one(
                &format!(
                    "SELECT pg_wal_lsn_diff(wal_start, '0/0')::int8 FROM {} WHERE version = $1",
                    self.tables.history_sql()
                ),
                &[&stored],
            )
            .await?
            .get(0);
        match v {
            Some(v) => Ok(v.max(0) as u64),
            None => self.wal_now().await,
        }
    }

    async fn wal_since(&self, start: u64) -> Result<u64, EngineError> {
        Ok(self.wal_now().await?.saturating_sub(start))
    }
}

/// `schema.table` or `table`, each part quoted as written.
fn qualified_table(table: &str) -> String {
    table
        .split('.')
        .map(quote_ident)
        .collect::<Vec<_>>()
        .join(".")
}
