//! The replica-lag gate: every standby's lag before each batch, with the next batch counted.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{EngineError, Waiting};
use crate::plan::batch::LagLimit;

/// What was last seen of each standby, to tell a replay that stopped moving, and of the WAL
/// the last batch added, to keep a byte limit with the next batch counted.
#[derive(Default)]
pub(super) struct Standbys {
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
    pub(super) async fn over(
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
