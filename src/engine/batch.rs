//! Batched steps: one statement run once per key range, each range committed in its own
//! transaction together with the history row's progress, so a kill at any moment loses
//! nothing and repeats nothing. Before each batch the health gates are read (every standby's
//! lag, paused or stopped by the operator), after it the WAL-rate pacing and the pause.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_postgres::types::Type;

use super::exec::{backoff, retryable};
use super::history::{Event, EventKind, quote_ident};
use super::{Engine, EngineError, Progress};
use crate::plan::batch::{Batched, Gates, LagLimit};
use crate::plan::{Migration, Read};

/// Where a batched step is, for a gauge: the engine publishes one after every batch and
/// whenever it starts or stops waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchProgress {
    pub version: String,
    pub step: Option<String>,
    pub ranges_done: u64,
    /// Ranges done plus those left at the current batch size.
    pub ranges_total: u64,
    pub rows: u64,
    /// Rows per second since this run of the step started.
    pub rate: f64,
    pub eta: Option<Duration>,
    pub batch_size: u64,
    pub pause: Duration,
    /// WAL written since the phase started (this run of it).
    pub wal_bytes: u64,
    pub waiting: Option<Waiting>,
}

/// Why no batch runs now.
#[derive(Debug, Clone, PartialEq)]
pub enum Waiting {
    /// A standby is further behind than `Max-Replica-Lag`.
    ReplicaLag {
        standby: String,
        bytes: Option<u64>,
        time: Option<Duration>,
        limit: LagLimit,
        /// The WAL the next batch is expected to add, counted against a byte limit.
        next_batch: u64,
    },
    /// The last batches wrote WAL faster than `Max-Wal-Rate`.
    WalRate { bytes_per_s: u64, limit: u64 },
    /// The last batch hit `lock_timeout`; it is tried again.
    Locks { attempt: u32, error: String },
    /// `Batch-Pause` between batches (lengthened after lock waits).
    Pause(Duration),
    /// The operator paused it.
    Paused,
}

impl std::fmt::Display for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Waiting::ReplicaLag {
                standby,
                bytes,
                time,
                limit,
                next_batch,
            } => {
                let limit = match limit {
                    LagLimit::Bytes(b) if *next_batch > 0 => format!(
                        "{} with the next batch's ~{}",
                        bytes_text(*b),
                        bytes_text(*next_batch)
                    ),
                    LagLimit::Bytes(b) => bytes_text(*b),
                    LagLimit::Time(t) => format!("{:.1}s", t.as_secs_f64()),
                };
                let bytes = bytes.map_or("?".into(), bytes_text);
                let time = time.map_or(String::new(), |t| format!(", {:.1}s", t.as_secs_f64()));
                write!(
                    f,
                    "waiting: standby {standby} is {bytes}{time} behind (limit {limit})"
                )
            }
            Waiting::WalRate { bytes_per_s, limit } => write!(
                f,
                "pacing: WAL at {}/s (limit {}/s)",
                bytes_text(*bytes_per_s),
                bytes_text(*limit)
            ),
            Waiting::Locks { attempt, error } => {
                write!(f, "waiting for locks ({error}); retry {attempt}")
            }
            Waiting::Pause(d) => write!(f, "pause {} ms", d.as_millis()),
            Waiting::Paused => write!(f, "paused by the operator"),
        }
    }
}

/// `16.0MB`, `512kB`, `100B`.
pub fn bytes_text(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.1}GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1}MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{}kB", b >> 10),
        b => format!("{b}B"),
    }
}

/// Steers a batched step while it runs, from another task (the console's keys, the CLI's
/// Ctrl-C). Changes take effect between batches; the engine writes each to the event log.
#[derive(Clone)]
pub struct BatchControl(Arc<Shared>);

struct Shared {
    paused: AtomicBool,
    stop: AtomicBool,
    running: AtomicBool,
    /// Keys per range; 0: as the step says.
    size: AtomicU64,
    /// Milliseconds between batches; `u64::MAX`: as the gates say.
    pause_ms: AtomicU64,
    latest: Mutex<Option<BatchProgress>>,
}

impl Default for BatchControl {
    fn default() -> Self {
        BatchControl(Arc::new(Shared {
            paused: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            running: AtomicBool::new(false),
            size: AtomicU64::new(0),
            pause_ms: AtomicU64::new(u64::MAX),
            latest: Mutex::new(None),
        }))
    }
}

impl BatchControl {
    pub fn pause(&self) {
        self.0.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.0.paused.store(false, Ordering::SeqCst);
    }

    /// Keys per range from the next batch on; 0 is ignored.
    pub fn set_batch_size(&self, size: u64) {
        if size > 0 {
            self.0.size.store(size, Ordering::SeqCst);
        }
    }

    pub fn set_pause(&self, pause: Duration) {
        let ms = pause.as_millis().min(u128::from(u64::MAX - 1)) as u64;
        self.0.pause_ms.store(ms, Ordering::SeqCst);
    }

    /// Ends the step after the batch that runs now, leaving the phase to `resume`.
    pub fn stop_after_batch(&self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }

    /// The newest progress of the batched step that runs now, or of the last one run by
    /// this engine; `None` before any.
    pub fn progress(&self) -> Option<BatchProgress> {
        self.0.latest.lock().ok().and_then(|p| p.clone())
    }

    /// Whether a batched step runs now.
    pub fn is_running(&self) -> bool {
        self.0.running.load(Ordering::SeqCst)
    }

    fn publish(&self, p: Option<BatchProgress>) {
        if let Ok(mut slot) = self.0.latest.lock() {
            *slot = p;
        }
    }

    /// Forgets what the operator asked of the last run: each run starts as written.
    pub(super) fn reset(&self) {
        self.0.paused.store(false, Ordering::SeqCst);
        self.0.stop.store(false, Ordering::SeqCst);
        self.0.size.store(0, Ordering::SeqCst);
        self.0.pause_ms.store(u64::MAX, Ordering::SeqCst);
    }

    fn wanted(&self, b: &Batched, gates: &Gates) -> Wanted {
        let size = match self.0.size.load(Ordering::SeqCst) {
            0 => b.size,
            n => n,
        };
        let pause = match self.0.pause_ms.load(Ordering::SeqCst) {
            u64::MAX => gates.batch_pause.unwrap_or(Duration::ZERO),
            ms => Duration::from_millis(ms),
        };
        Wanted {
            paused: self.0.paused.load(Ordering::SeqCst),
            size,
            pause,
        }
    }

    fn stopping(&self) -> bool {
        self.0.stop.load(Ordering::SeqCst)
    }
}

/// What the operator wants now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wanted {
    paused: bool,
    size: u64,
    pause: Duration,
}

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
        self.batch.0.running.store(true, Ordering::SeqCst);
        let ran = self.batches(m, stored, b, sql, progress).await;
        self.batch.0.running.store(false, Ordering::SeqCst);
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
                            outcome: "retrying",
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
            (false, true) => "paused",
            (true, false) => "resumed",
            _ => "changed",
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

/// Builds progress reports for one run of a step.
struct Gauge {
    version: String,
    step: Option<String>,
}

impl Gauge {
    fn progress(
        &self,
        at: &At,
        want: Wanted,
        started: Instant,
        rows_at_start: i64,
        wal_bytes: u64,
        waiting: Option<Waiting>,
    ) -> BatchProgress {
        let left_keys = (at.last as i128 - at.next as i128 + 1).max(0) as u128;
        let size = u128::from(want.size.max(1));
        let left = left_keys.div_ceil(size).min(u128::from(u64::MAX)) as u64;
        let done = at.done.max(0) as u64;
        let secs = started.elapsed().as_secs_f64();
        let rows_now = (at.rows - rows_at_start).max(0) as f64;
        let rate = if secs > 0.0 { rows_now / secs } else { 0.0 };
        let ranges_now = done as f64; // ranges are what the ETA counts
        let eta = (left == 0).then_some(Duration::ZERO).or_else(|| {
            let per_range = secs / ranges_now.max(1.0);
            (ranges_now > 0.0).then(|| Duration::from_secs_f64(per_range * left as f64))
        });
        BatchProgress {
            version: self.version.clone(),
            step: self.step.clone(),
            ranges_done: done,
            ranges_total: done + left,
            rows: at.rows.max(0) as u64,
            rate,
            eta,
            batch_size: want.size,
            pause: want.pause,
            wal_bytes,
            waiting,
        }
    }
}

/// What was last seen of each standby, to tell a replay that stopped moving, and of the WAL
/// the last batch added, to keep a byte limit with the next batch counted.
#[derive(Default)]
struct Standbys {
    /// Replay position and since when it has not moved.
    replay: HashMap<String, (i64, Instant)>,
    /// The WAL position when the gate last let a batch start.
    passed_at: Option<i64>,
    /// The WAL written from that pass to the next look: one batch, with what the rest of the
    /// server wrote meanwhile.
    per_batch: u64,
}

/// Whether a standby `lag` bytes behind is over `max` once the next batch's `ahead` bytes are
/// counted. At most half the limit is counted ahead, so a batch larger than the limit still
/// runs once the standby has caught up halfway; the lag then passes the limit by less than
/// that batch.
fn over_bytes(lag: u64, ahead: u64, max: u64) -> bool {
    lag.saturating_add(ahead.min(max / 2)) > max
}

impl Standbys {
    /// The first standby over `limit`, as a reason to wait; `None` when all are within it.
    /// A time limit counts `replay_lag`, and also how long a standby that is behind has not
    /// replayed anything: `replay_lag` keeps its last value while replay is paused.
    async fn over(
        &mut self,
        c: &tokio_postgres::Client,
        limit: LagLimit,
    ) -> Result<Option<Waiting>, EngineError> {
        let rows = c
            .query(
                "SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text), \
                        pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::int8, \
                        pg_wal_lsn_diff(replay_lsn, '0/0')::int8, \
                        (extract(epoch FROM replay_lag) * 1000)::int8, \
                        pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8 \
                 FROM pg_stat_replication",
                &[],
            )
            .await?;
        let mut found = None;
        let position: Option<i64> = rows.first().map(|r| r.get(4));
        if let (Some(now), Some(then)) = (position, self.passed_at) {
            self.per_batch = now.saturating_sub(then).max(0) as u64;
        }
        for r in rows {
            let name: String = r.get(0);
            let bytes: Option<i64> = r.get(1);
            let replay: Option<i64> = r.get(2);
            let lag_ms: Option<i64> = r.get(3);
            let now = Instant::now();
            let stalled = match replay {
                Some(pos) => {
                    let e = self.replay.entry(name.clone()).or_insert((pos, now));
                    if e.0 != pos {
                        *e = (pos, now);
                    }
                    (bytes.unwrap_or(0) > 0).then(|| now - e.1)
                }
                None => None,
            };
            let time = lag_ms
                .map(|ms| Duration::from_millis(ms.max(0) as u64))
                .max(stalled);
            let over = match limit {
                LagLimit::Bytes(max) => {
                    bytes.is_some_and(|b| over_bytes(b.max(0) as u64, self.per_batch, max))
                }
                LagLimit::Time(max) => time.is_some_and(|t| t > max),
            };
            if over && found.is_none() {
                found = Some(Waiting::ReplicaLag {
                    standby: name,
                    bytes: bytes.map(|b| b.max(0) as u64),
                    time,
                    limit,
                    next_batch: match limit {
                        LagLimit::Bytes(max) => self.per_batch.min(max / 2),
                        LagLimit::Time(_) => 0,
                    },
                });
            }
        }
        self.passed_at = if found.is_none() { position } else { None };
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::over_bytes;

    #[test]
    fn a_byte_limit_counts_the_next_batch() {
        let mb = 1 << 20;
        // Under the limit, but the next batch would take it over: wait.
        assert!(over_bytes(15 * mb + mb / 2, mb, 16 * mb));
        assert!(!over_bytes(15 * mb, mb, 16 * mb));
        // Nothing known of the batches yet: the limit alone.
        assert!(!over_bytes(16 * mb, 0, 16 * mb));
        assert!(over_bytes(16 * mb + 1, 0, 16 * mb));
        // A batch larger than the limit counts as half of it, so it still runs.
        assert!(!over_bytes(8 * mb, 40 * mb, 16 * mb));
        assert!(over_bytes(8 * mb + 1, 40 * mb, 16 * mb));
    }

    #[test]
    fn the_wait_names_the_next_batch_it_counted() {
        let waiting = super::Waiting::ReplicaLag {
            standby: "replica1".into(),
            bytes: Some(15 << 20),
            time: None,
            limit: super::LagLimit::Bytes(16 << 20),
            next_batch: 3 << 19,
        };
        assert_eq!(
            waiting.to_string(),
            "waiting: standby replica1 is 15.0MB behind (limit 16.0MB with the next batch's ~1.5MB)"
        );
    }
}
