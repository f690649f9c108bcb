//! Running one job per target, wave after wave: at most `parallel` at once and `per_server`
//! on one server, no new target once `max_failures` have failed (or the canary has), and
//! targets in flight asked to stop after their current phase.

use std::collections::HashMap;
use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};

use super::target::Identity;
use super::waves::Schedule;

/// How much runs at once, and when to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub parallel: usize,
    pub per_server: usize,
    pub max_failures: usize,
}

/// How one target's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Already where the command takes it: nothing ran.
    Unchanged,
    /// `phases` phases done (applied, rolled back or verified).
    Done { phases: usize },
    /// The fleet stopped while this target was in flight: it finished its current phase and
    /// went no further.
    Stopped { phases: usize },
    /// It failed, after `phases` phases done.
    Failed { phases: usize, error: String },
    /// The fleet stopped before this target's turn.
    NotStarted,
    /// Failed in an earlier run and not resolved since: left alone and reported.
    Held { error: String },
}

impl Outcome {
    /// Whether it counts against `max_failures` and the canary: a target held by an
    /// earlier failure does too, so running `up` again never rolls past an unresolved
    /// canary or past as many unresolved failures as the fleet allows.
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed { .. } | Outcome::Held { .. })
    }
}

/// Asked to stop: no new target starts, and a target in flight stops after its current
/// phase. Set by failures, or by the operator (Ctrl-C).
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, for the engine to read between phases.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// Runs `job` on every target by `schedule`, and returns each target's outcome, in target
/// order. `wave_started` is told of each wave as it starts. A wave starts when the one
/// before it has finished; within a wave, targets start in order as slots free up.
pub async fn run<F, Fut>(
    targets: &[Identity],
    schedule: &Schedule,
    limits: Limits,
    stop: &Stop,
    mut wave_started: impl FnMut(usize, &Range<usize>),
    job: F,
) -> Vec<Outcome>
where
    F: Fn(usize, Stop) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let slots = Slots::new(targets, limits.parallel, limits.per_server);
    let failures = AtomicUsize::new(0);
    let mut outcomes = vec![Outcome::NotStarted; targets.len()];
    for (k, wave) in schedule.waves.iter().enumerate() {
        if stop.requested() {
            break;
        }
        wave_started(k, wave);
        let runs = wave.clone().map(|i| {
            let (slots, failures, job) = (&slots, &failures, &job);
            async move {
                let outcome = slots
                    .hold(&targets[i].server, stop, || job(i, stop.clone()))
                    .await
                    .unwrap_or(Outcome::NotStarted);
                if outcome.failed()
                    && failures.fetch_add(1, Ordering::SeqCst) + 1 >= limits.max_failures
                {
                    stop.request();
                }
                (i, outcome)
            }
        });
        let done = futures_util::future::join_all(runs).await;
        let canary_failed = k == 0 && schedule.canary && done.iter().any(|(_, o)| o.failed());
        if canary_failed {
            stop.request();
        }
        for (i, outcome) in done {
            outcomes[i] = outcome;
        }
    }
    outcomes
}

/// Reads at once over the whole fleet, however many servers it has: each holds a socket, and
/// this stays far below the usual limit of 1,024 open files.
pub const READS_AT_ONCE: usize = 64;

/// Runs `job` on every target, at most `per_server` at once on one server and
/// [`READS_AT_ONCE`] in all, with no waves and no stopping: for reading state, which changes
/// nothing but still loads the servers.
pub async fn each<T, F, Fut>(targets: &[Identity], per_server: usize, job: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T>,
{
    let slots = Slots::new(targets, READS_AT_ONCE, per_server);
    let reads = (0..targets.len()).map(|i| {
        let (slots, job) = (&slots, &job);
        async move {
            let _slots = slots.take(&targets[i].server).await;
            job(i).await
        }
    });
    futures_util::future::join_all(reads).await
}

/// The fleet's slots and each server's.
struct Slots {
    all: Semaphore,
    servers: HashMap<String, Semaphore>,
}

impl Slots {
    fn new(targets: &[Identity], parallel: usize, per_server: usize) -> Slots {
        let servers = targets
            .iter()
            .map(|t| (t.server.clone(), Semaphore::new(per_server.max(1))))
            .collect();
        Slots {
            all: Semaphore::new(parallel.max(1)),
            servers,
        }
    }

    /// Runs `work` holding a slot on `server` and one of the fleet's; a target that waited
    /// while the fleet was asked to stop does not start (`None`). The server's slot is taken
    /// first, so a target waiting for a busy server holds none of the fleet's.
    async fn hold<T, Fut: Future<Output = T>>(
        &self,
        server: &str,
        stop: &Stop,
        work: impl FnOnce() -> Fut,
    ) -> Option<T> {
        let _slots = self.take(server).await?;
        if stop.requested() {
            return None;
        }
        Some(work().await)
    }

    /// A slot on `server` and one of the fleet's, the server's first; `None` only for a
    /// server no target is on.
    async fn take(&self, server: &str) -> Option<(SemaphorePermit<'_>, SemaphorePermit<'_>)> {
        let on_server = self.servers.get(server)?.acquire().await.ok()?;
        let all = self.all.acquire().await.ok()?;
        Some((on_server, all))
    }
}
