//! Runs effects on tokio tasks and feeds their results back as actions, so the UI loop never
//! waits on the database. Changes go through the worker session; reads and the lock-wait
//! watch use a second session, so they answer while a phase holds the first.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::action::{Action, Effect, Outcome, Steer, Unkept};
use crate::conninfo::{self, Params};
use crate::engine::{DownTarget, Engine, EngineError, HistoryRow, UpOptions};
use crate::engine::{impact, keeping};
use crate::monitor::progress::Eta;
use crate::monitor::{activity, indexes, matviews, progress};
use crate::plan::{Plan, Version};

use super::words;
use super::words::reads;
mod watch;
use watch::gauged;

pub struct Runtime {
    lint: crate::lint::LintConfig,
    worker: Arc<Engine>,
    reader: Arc<Engine>,
    params: Params,
    plan: Arc<Plan>,
    tx: UnboundedSender<Action>,
    started: Option<Instant>,
    /// The running job is maintenance, which runs on the reader: a cancel goes there.
    on_reader: bool,
    watch: Option<JoinHandle<()>>,
    worker_pid: i32,
    /// Kept across Activity loads, so an ETA rests on the rate since the phase began.
    eta: Arc<Mutex<Eta>>,
    /// Held by the reader's work that opens a transaction (the index and matview reports,
    /// maintenance): on one session, two such would end each other's transaction.
    serial: Arc<tokio::sync::Mutex<()>>,
}

fn failed(e: EngineError) -> Action {
    match e {
        EngineError::Cancelled { .. } => Action::Done(Outcome::Cancelled(e.to_string())),
        other => Action::Failed(other.to_string()),
    }
}

impl Runtime {
    pub fn new(
        worker: Engine,
        reader: Engine,
        worker_pid: i32,
        params: Params,
        plan: Arc<Plan>,
        lint: crate::lint::LintConfig,
        tx: UnboundedSender<Action>,
    ) -> Runtime {
        Runtime {
            lint,
            worker: Arc::new(worker),
            reader: Arc::new(reader),
            params,
            plan,
            tx,
            started: None,
            on_reader: false,
            watch: None,
            worker_pid,
            eta: Arc::default(),
            serial: Arc::default(),
        }
    }

    /// The plan, once read: the sessions may be up before it is.
    pub fn set_plan(&mut self, plan: Arc<Plan>) {
        self.plan = plan;
    }

    /// Time since the running job started.
    pub fn elapsed(&self) -> Duration {
        self.started.map(|s| s.elapsed()).unwrap_or_default()
    }

    /// Called when a job's result arrives: stops the lock-wait watch.
    pub fn job_finished(&mut self) {
        self.started = None;
        self.on_reader = false;
        if let Some(w) = self.watch.take() {
            w.abort();
        }
    }

    /// Starts the watch on the job (see [`watch`]), ending the last one's.
    fn start_job(&mut self, phase: bool) {
        self.started = Some(Instant::now());
        if let Some(w) = self.watch.take() {
            w.abort();
        }
        let watched = watch::Watched {
            reader: self.reader.clone(),
            worker_pid: self.worker_pid,
            batches: self.worker.batch_control(),
            phase,
        };
        self.watch = Some(tokio::spawn(watch::run(watched, self.tx.clone())));
    }

    fn spawn<F>(&self, f: F)
    where
        F: Future<Output = Action> + Send + 'static,
    {
        let tx = self.tx.clone();
        let worker = self.worker.clone();
        tokio::spawn(async move {
            let _ = tx.send(f.await);
            // After the work's own result, so that its message does not cover this one.
            if let Some(notice) = worker.take_checks_notice() {
                let _ = tx.send(Action::Notice(notice));
            }
        });
    }

    fn progress_sender(&self) -> impl FnMut(crate::engine::Progress) + Send + 'static {
        let tx = self.tx.clone();
        move |p| {
            let _ = tx.send(Action::Progress(p));
        }
    }

    /// Whether either session's connection is gone (a server restart, a network cut).
    pub fn is_lost(&self) -> bool {
        self.worker.client().is_closed() || self.reader.client().is_closed()
    }

    pub fn run(&mut self, effect: Effect) {
        let worker = self.worker.clone();
        let reader = self.reader.clone();
        let plan = self.plan.clone();
        match effect {
            Effect::LoadStatus => {
                let again = reader.clone();
                let tx = self.tx.clone();
                self.spawn(async move {
                    // The tool's table first: the history that follows is merged with it.
                    match adoption(&reader, &plan).await {
                        Ok(found) => {
                            let _ = tx.send(Action::Adoption(found.map(Box::new)));
                        }
                        Err(e) => {
                            return Action::ReadFailed(reads::failed(reads::ADOPTED_TABLE, e));
                        }
                    }
                    let rows = reader.history().await;
                    let holder = reader.lock_holder().await;
                    match (rows, holder) {
                        (Ok(rows), Ok(holder)) => Action::Status { rows, holder },
                        (Err(e), _) | (_, Err(e)) => {
                            Action::ReadFailed(reads::failed(reads::HISTORY, e))
                        }
                    }
                });
                self.spawn(async move {
                    match again.integrity().await {
                        Ok(found) => Action::LogIntegrity(found),
                        Err(e) => Action::ReadFailed(reads::failed(reads::LOG_CHECK, e)),
                    }
                });
            }
            Effect::PollChanges => self.spawn(async move {
                match reader.change_mark().await {
                    Ok(mark) => Action::Changes(mark),
                    Err(e) => Action::ReadFailed(reads::failed(reads::CHANGES, e)),
                }
            }),
            Effect::LoadEvents => self.spawn(async move {
                match reader.events(500).await {
                    Ok(ev) => Action::Events(ev),
                    Err(e) => Action::ReadFailed(reads::failed(reads::EVENTS, e)),
                }
            }),
            Effect::LoadImpact {
                version,
                target,
                rows,
            } => self.spawn(async move {
                match measure(&reader, &plan, &rows, &target).await {
                    Ok((losses, downs, unkept)) => Action::Impact {
                        version,
                        losses,
                        downs,
                        keep: reader.keep_limits(),
                        unkept,
                    },
                    Err(e) => Action::ReadFailed(reads::failed(reads::IMPACT, e)),
                }
            }),
            Effect::LoadRecorded { version, stored } => self.spawn(async move {
                let sql = reader.applied_sql(&stored).await.map_err(|e| e.to_string());
                Action::Recorded { version, sql }
            }),
            // Files only: the event loop reads them, with or without a session.
            Effect::ReadDetail { .. } | Effect::ReadPlan => {}
            Effect::ApplyFacts { version } => {
                let config = self.lint.clone();
                self.spawn(async move {
                    match apply_facts(&reader, &plan, &version, &config).await {
                        Ok((findings, tables, (kept, oversize))) => Action::ApplyFacts {
                            version,
                            findings,
                            tables,
                            kept,
                            oversize,
                        },
                        Err(e) => {
                            Action::ReadFailed(reads::failed(reads::phase_tables(&version), e))
                        }
                    }
                });
            }
            Effect::Cancel => {
                // The session that runs the job: a REINDEX from the Indexes tab runs on the
                // reader, and cancelling the idle worker would leave it running.
                let handle = if self.on_reader {
                    reader.cancel_handle()
                } else {
                    worker.cancel_handle()
                };
                let params = self.params.clone();
                handle.request();
                tokio::spawn(async move {
                    let _ = conninfo::cancel(&params, handle.token()).await;
                });
            }
            // No query: the engine takes the change between batches and logs it.
            Effect::Steer(steer) => {
                let control = worker.batch_control();
                match steer {
                    Steer::Pause => control.pause(),
                    Steer::Resume => control.resume(),
                    Steer::BatchSize(size) => control.set_batch_size(size),
                    Steer::Between(pause) => control.set_pause(pause),
                }
            }
            Effect::LoadIndexes => {
                let serial = self.serial.clone();
                self.spawn(async move {
                    let _turn = serial.lock().await;
                    let r = async {
                        let v = indexes::server_version_num(reader.client()).await?;
                        indexes::load(reader.client(), v).await
                    };
                    match r.await {
                        Ok(report) => Action::Indexes(report),
                        Err(e) => Action::ReadFailed(reads::failed(reads::INDEXES, e)),
                    }
                });
            }
            Effect::LoadMatviews => {
                let serial = self.serial.clone();
                self.spawn(async move {
                    let _turn = serial.lock().await;
                    let r = async {
                        let v = indexes::server_version_num(reader.client()).await?;
                        let present = reader.tables().presence(reader.client()).await;
                        let log = matches!(present, Ok(crate::engine::history::Presence::Ours))
                            .then(|| reader.tables().log_sql());
                        Ok::<_, EngineError>(
                            matviews::load(reader.client(), v, log.as_deref()).await?,
                        )
                    };
                    match r.await {
                        Ok(report) => Action::Matviews(report),
                        Err(e) => Action::ReadFailed(reads::failed(reads::MATVIEWS, e)),
                    }
                });
            }
            Effect::LoadTrash => {
                let serial = self.serial.clone();
                self.spawn(async move {
                    let _turn = serial.lock().await;
                    match crate::trash::list(reader.client()).await {
                        Ok(kept) => Action::Trash(kept),
                        Err(e) => Action::ReadFailed(reads::failed(reads::TRASH, e)),
                    }
                });
            }
            Effect::LoadActivity => {
                let eta = self.eta.clone();
                self.spawn(async move {
                    let r = async {
                        let v = progress::server_version_num(reader.client()).await?;
                        let a = activity::load(reader.client(), None).await?;
                        let g = progress::load(reader.client(), None, v).await?;
                        Ok::<_, activity::Error>((a, g))
                    };
                    match r.await {
                        Ok((activity, gauges)) => {
                            let mut eta = eta.lock().unwrap_or_else(|p| p.into_inner());
                            let gauges = gauged(&mut eta, gauges);
                            Action::Activity { activity, gauges }
                        }
                        Err(e) => Action::ReadFailed(reads::failed(reads::ACTIVITY, e)),
                    }
                });
            }
            Effect::DropIndex { .. }
            | Effect::Reindex { .. }
            | Effect::RefreshMatview { .. }
            | Effect::SignalBackend { .. }
            | Effect::RestoreKept { .. }
            | Effect::PurgeKept => self.run_maintenance(effect),
            job => self.run_job(job),
        }
    }

    /// Maintenance from a monitoring tab, on the reader session: the worker may be running a
    /// phase. No watch: its polls would queue on the same session behind the statement.
    fn run_maintenance(&mut self, effect: Effect) {
        self.started = Some(Instant::now());
        self.on_reader = true;
        let reader = self.reader.clone();
        let reason = Some(reads::FROM_THE_CONSOLE);
        let serial = self.serial.clone();
        self.spawn(async move {
            let _turn = serial.lock().await;
            let done = match effect {
                Effect::DropIndex { name } => reader
                    .drop_index(&name, reason)
                    .await
                    .map(|m| reads::dropped_index(&m.target, m.millis)),
                Effect::Reindex { name } => reader
                    .reindex(&name, reason)
                    .await
                    .map(|m| reads::rebuilt_index(&m.target, m.millis)),
                Effect::RefreshMatview { name } => reader
                    .refresh_matview(&name, true, reason)
                    .await
                    .map(|m| reads::refreshed(&m.target, m.concurrently, m.millis)),
                Effect::SignalBackend { pid, terminate } => {
                    let r = if terminate {
                        reader.terminate_backend(pid, reason).await
                    } else {
                        reader.cancel_backend(pid, reason).await
                    };
                    r.map(|s| reads::signalled(terminate, s.describe()))
                }
                Effect::RestoreKept { id } => reader.restore(&[id], reason).await.map(|r| {
                    r.iter()
                        .map(|r| reads::restored(r.kept.kind.word(), &r.kept.object))
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
                Effect::PurgeKept => reader
                    .purge(None)
                    .await
                    .map(|gone| reads::purged(gone.len())),
                _ => return Action::Failed(reads::NOT_MAINTENANCE.into()),
            };
            match done {
                Ok(text) => Action::Done(Outcome::Maintained(text)),
                Err(e) => failed(e),
            }
        });
    }

    fn run_job(&mut self, job: Effect) {
        let phase = matches!(
            job,
            Effect::Apply { .. }
                | Effect::DryRun { .. }
                | Effect::Rollback { .. }
                | Effect::Resume { .. }
        );
        self.start_job(phase);
        let worker = self.worker.clone();
        let plan = self.plan.clone();
        let mut progress = self.progress_sender();
        match job {
            Effect::Apply { to, keep } => self.spawn(async move {
                // Every run sets its choice, so none outlives the run it was made for.
                worker.choose_keep(keep);
                let opts = UpOptions {
                    to: Some(to),
                    allow_out_of_order: false,
                    stop: None,
                };
                match worker.up(&plan, &opts, &mut progress).await {
                    Ok(done) => Action::Done(Outcome::Applied(done)),
                    Err(e) => failed(e),
                }
            }),
            Effect::DryRun { version } => self.spawn(async move {
                let opts = UpOptions {
                    to: Some(version),
                    allow_out_of_order: false,
                    stop: None,
                };
                match worker.dry_run(&plan, &opts).await {
                    Ok(r) => Action::Done(Outcome::DryRun(r)),
                    Err(e) => failed(e),
                }
            }),
            Effect::Verify { version } => self.spawn(async move {
                match worker.verify(&plan, Some(&version)).await {
                    Ok(mut v) if !v.is_empty() => Action::Done(Outcome::Verified(v.remove(0))),
                    Ok(_) => Action::Failed(reads::nothing_to_verify(&version)),
                    Err(e) => failed(e),
                }
            }),
            Effect::Query {
                version,
                check,
                sql,
            } => self.spawn(async move {
                let result = worker
                    .query_read_only(&sql)
                    .await
                    .map_err(|e| e.to_string());
                Action::Done(Outcome::Query {
                    version,
                    check,
                    result,
                })
            }),
            Effect::Rollback {
                target,
                reason,
                keep,
            } => self.spawn(async move {
                worker.choose_keep(keep);
                match worker
                    .down(&plan, &target, Some(&reason), None, &mut progress)
                    .await
                {
                    Ok(done) => Action::Done(Outcome::RolledBack(done)),
                    Err(e) => failed(e),
                }
            }),
            Effect::Resume {
                version,
                reason,
                in_doubt,
            } => self.spawn(async move {
                match worker
                    .resume(&plan, &version, Some(&reason), in_doubt, &mut progress)
                    .await
                {
                    Ok(done) => Action::Done(Outcome::Applied(vec![done])),
                    Err(e) => failed(e),
                }
            }),
            Effect::Mark {
                version,
                applied,
                reason,
            } => self.spawn(async move {
                match worker.mark(&plan, &version, applied, &reason).await {
                    Ok(()) => Action::Done(Outcome::Marked { version, applied }),
                    Err(e) => failed(e),
                }
            }),
            Effect::Accept { version, reason } => self.spawn(async move {
                match worker.accept(&plan, &version, &reason).await {
                    Ok(()) => Action::Done(Outcome::Accepted(version)),
                    Err(e) => failed(e),
                }
            }),
            Effect::LoadStatus
            | Effect::LoadEvents
            | Effect::PollChanges
            | Effect::ReadDetail { .. }
            | Effect::ReadPlan
            | Effect::LoadRecorded { .. }
            | Effect::LoadImpact { .. }
            | Effect::ApplyFacts { .. }
            | Effect::Cancel
            | Effect::Steer(_)
            | Effect::LoadIndexes
            | Effect::LoadMatviews
            | Effect::LoadActivity
            | Effect::LoadTrash
            | Effect::RestoreKept { .. }
            | Effect::PurgeKept
            | Effect::DropIndex { .. }
            | Effect::Reindex { .. }
            | Effect::RefreshMatview { .. }
            | Effect::SignalBackend { .. } => {
                self.job_finished();
            }
        }
    }
}

/// The DOWN parts a rollback to before `version` would run, newest first (those of the first
/// [`SHOWN_DOWNS`] phases), and what they would destroy (all of them).
type Downs = Vec<(Version, Vec<String>)>;

/// More phases than any terminal shows in the rollback dialog: the DOWN of the others is read
/// for what it destroys, not kept.
const SHOWN_DOWNS: usize = 100;

async fn measure(
    reader: &Engine,
    plan: &Plan,
    rows_shown: &[HistoryRow],
    target: &DownTarget,
) -> Result<(Vec<impact::Loss>, Downs, Vec<Unkept>), EngineError> {
    let tool = reader.tool_history(plan).await?;
    // With a tool, the phases only it applied join the history the rollback works from.
    let with_tool = match &tool {
        Some(_) => reader.rollback_history(plan, rows_shown.to_vec(), tool.as_ref()),
        None => Vec::new(),
    };
    let rows = if tool.is_some() {
        &with_tool[..]
    } else {
        rows_shown
    };
    let undo = reader.plan_down(plan, rows, tool.as_ref(), target).await?;
    let mut downs: Downs = Vec::new();
    let mut targets: Vec<impact::Target> = Vec::new();
    let mut unkept: Vec<Unkept> = Vec::new();
    for (i, u) in undo.iter().enumerate() {
        // An outlined plan's DOWN is read from its file, one phase at a time.
        let mut read = None;
        let statements: Vec<&str> = u
            .read_down(&mut read)?
            .statements()
            .map(|s| s.sql)
            .collect();
        let removed: Vec<impact::Target> = statements
            .iter()
            .flat_map(|sql| impact::destructive_targets(sql))
            .collect();
        if let Some(reason) = u.migration.and_then(|m| m.meta.keep_off.as_deref()) {
            unkept.push(Unkept {
                version: u.version.clone(),
                reason: reason.to_string(),
                targets: removed.clone(),
            });
        }
        targets.extend(removed);
        if i < SHOWN_DOWNS {
            downs.push((
                u.version.clone(),
                statements.iter().map(|s| s.to_string()).collect(),
            ));
        }
    }
    // A rollback from an early phase lists thousands: their DOWN parts are not kept while the
    // catalog is asked about every target.
    drop(undo);
    let losses = impact::measure(reader.client(), &targets).await?;
    Ok((losses, downs, unkept))
}

/// A phase's lint findings, the tables it touches, and what it keeps (and whether that is
/// above `trash_max`), for the apply dialog.
type ApplyFacts = (
    Vec<crate::lint::Finding>,
    Vec<String>,
    (Vec<String>, Option<keeping::Oversize>),
);

/// A phase's lint findings weighed by the live tables, the existing tables it touches
/// described with their sizes and lock holders, and what its statements remove that is kept.
async fn apply_facts(
    reader: &Engine,
    plan: &Arc<Plan>,
    version: &Version,
    config: &crate::lint::LintConfig,
) -> Result<ApplyFacts, String> {
    let Some(m) = plan.migrations.iter().find(|m| m.version == *version) else {
        return Ok((Vec::new(), Vec::new(), (Vec::new(), None)));
    };
    let m = m.read().map_err(|e| e.to_string())?;
    // An outlined plan reads every earlier file again for the column types: off the runtime.
    let earlier = (Arc::clone(plan), version.clone());
    let known = tokio::task::spawn_blocking(move || crate::lint::types_for(&earlier.0, &earlier.1));
    let mut known = known
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let mut findings = crate::lint::lint_migration(&m, config, &mut known);
    crate::lint::live::weigh(reader.client(), &mut findings)
        .await
        .map_err(|e| e.to_string())?;
    let names = crate::lint::touched_tables(&m);
    let facts = crate::monitor::activity::table_facts(reader.client(), &names)
        .await
        .map_err(|e| e.to_string())?;
    let tables = facts
        .iter()
        .filter(|f| f.exists)
        .map(|f| f.describe())
        .collect();
    let kept = match &m.meta.keep_off {
        Some(reason) => (words::not_kept(reason), None),
        None => {
            let k = keeping::measure(reader.client(), m.up().statements().map(|s| s.sql))
                .await
                .map_err(|e| e.to_string())?;
            let k = keeping::kept_of(&k.losses);
            let limits = reader.keep_limits();
            (words::kept_before(&k, limits), k.oversize(limits))
        }
    };
    Ok((findings, tables, kept))
}

/// The adopted tool's history with what it says, and whether pgstep has yet to change
/// anything since adopting it.
async fn adoption(
    reader: &Engine,
    plan: &Plan,
) -> Result<Option<super::app::Adoption>, EngineError> {
    let Some(history) = reader.tool_history(plan).await? else {
        return Ok(None);
    };
    Ok(Some(super::app::Adoption {
        unconfirmed: reader.first_change_pending().await?,
        history,
    }))
}
