//! What a batched step shows while it runs: where it is, and why it waits.

use std::time::{Duration, Instant};

use super::{At, Wanted};
use crate::plan::batch::LagLimit;

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

/// Builds progress reports for one run of a step.
pub(super) struct Gauge {
    pub(super) version: String,
    pub(super) step: Option<String>,
}

impl Gauge {
    pub(super) fn progress(
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
