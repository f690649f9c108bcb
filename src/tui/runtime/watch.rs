//! The watch kept on running work from the reader session: the worker's lock waits every
//! half second, and for a phase, every second, its blockers, the sessions queued behind it,
//! its progress, the standbys' lag and the WAL written since it started; the batched step's
//! progress is read from the engine's handle, without a query.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use crate::engine::Engine;
use crate::engine::batch::{BatchControl, BatchProgress};
use crate::engine::waits;
use crate::monitor::progress::Eta;
use crate::monitor::{activity, indexes, progress, replication};
use crate::tui::action::Action;
use crate::tui::monitor::{Gauged, Replication, Watch};

/// What the watch follows.
pub struct Watched {
    pub reader: std::sync::Arc<Engine>,
    pub worker_pid: i32,
    pub batches: BatchControl,
    /// A phase runs (not a check query or a mark).
    pub phase: bool,
}

/// Runs until aborted or the console is gone; sends only what changed.
pub async fn run(w: Watched, tx: UnboundedSender<Action>) {
    let reader = w.reader.client();
    let mut last = None;
    let mut last_watch = None;
    let mut last_batch: Option<BatchProgress> = None;
    let mut eta = Eta::default();
    let version = indexes::server_version_num(reader).await.ok();
    // Where the WAL was when the phase started: what the standbys have to replay since.
    let wal_start = match w.phase {
        true => replication::wal_position(reader).await.ok().flatten(),
        false => None,
    };
    for tick in 0u64.. {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = waits::lock_wait(reader, w.worker_pid).await.ok().flatten();
        if now != last {
            last = now.clone();
            if tx.send(Action::Waiting(now)).is_err() {
                return;
            }
        }
        if w.batches.is_running()
            && let Some(p) = w.batches.progress()
            && last_batch.as_ref() != Some(&p)
        {
            last_batch = Some(p.clone());
            if tx.send(Action::Batch(p)).is_err() {
                return;
            }
        }
        let (true, Some(version), 1) = (w.phase, version, tick % 2) else {
            continue;
        };
        let focus = activity::load(reader, Some(w.worker_pid))
            .await
            .ok()
            .and_then(|a| a.focus);
        let gauges = progress::load(reader, Some(w.worker_pid), version)
            .await
            .unwrap_or_default();
        let mut watch = Watch::from_focus(focus, gauged(&mut eta, gauges));
        watch.replication = replication_since(reader, wal_start).await;
        if last_watch.as_ref() != Some(&watch) {
            last_watch = Some(watch.clone());
            if tx.send(Action::Watch(watch)).is_err() {
                return;
            }
        }
    }
}

/// The standbys and the WAL written since `start`; `None` when either cannot be read.
async fn replication_since(
    client: &tokio_postgres::Client,
    start: Option<i64>,
) -> Option<Replication> {
    let start = start?;
    let now = replication::wal_position(client).await.ok().flatten()?;
    let standbys = replication::standbys(client).await.ok()?;
    Some(Replication {
        wal_bytes: u64::try_from(now - start).unwrap_or(0),
        standbys,
    })
}

/// Each gauge with the time left the rate since its phase began allows.
pub(super) fn gauged(eta: &mut Eta, gauges: Vec<progress::Gauge>) -> Vec<Gauged> {
    let left = eta.observe(&gauges, Instant::now());
    gauges
        .into_iter()
        .zip(left)
        .map(|(gauge, eta)| Gauged { gauge, eta })
        .collect()
}
