//! Steering a batched step from another task while it runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::BatchProgress;
use crate::plan::batch::{Batched, Gates};

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

    pub(super) fn set_running(&self, running: bool) {
        self.0.running.store(running, Ordering::SeqCst);
    }

    pub(super) fn publish(&self, p: Option<BatchProgress>) {
        if let Ok(mut slot) = self.0.latest.lock() {
            *slot = p;
        }
    }

    /// Forgets what the operator asked of the last run: each run starts as written.
    pub(in crate::engine) fn reset(&self) {
        self.0.paused.store(false, Ordering::SeqCst);
        self.0.stop.store(false, Ordering::SeqCst);
        self.0.size.store(0, Ordering::SeqCst);
        self.0.pause_ms.store(u64::MAX, Ordering::SeqCst);
    }

    pub(super) fn wanted(&self, b: &Batched, gates: &Gates) -> Wanted {
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

    pub(super) fn stopping(&self) -> bool {
        self.0.stop.load(Ordering::SeqCst)
    }
}

/// What the operator wants now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Wanted {
    pub(super) paused: bool,
    pub(super) size: u64,
    pub(super) pause: Duration,
}
