//! What runs on one target: the engine's own `up`, `down` and `verify`, phase by phase so
//! that a stopping fleet lets a target finish its current phase and go no further.

use std::sync::{Arc, Mutex};

use super::Ctx;
use crate::cli::db::{self, Session};
use crate::conninfo::Params;
use crate::engine::{CancelHandle, DownTarget, EngineError, PhaseState, Progress, UpOptions};
use crate::fleet::{Outcome, Stop};
use crate::plan::Version;
use crate::text::Escaped;

/// The sessions running now, so a second Ctrl-C can cancel their statements on the server.
#[derive(Clone, Default)]
pub struct Running(Arc<Mutex<Vec<(usize, CancelHandle, Params)>>>);

impl Running {
    fn add(&self, i: usize, s: &Session) {
        if let Ok(mut all) = self.0.lock() {
            all.push((i, s.engine.cancel_handle(), s.params.clone()));
        }
    }

    fn remove(&self, i: usize) {
        if let Ok(mut all) = self.0.lock() {
            all.retain(|(k, _, _)| *k != i);
        }
    }

    /// Cancels the running statement of every session, on the server.
    pub async fn cancel_all(&self) {
        let all = self.0.lock().map(|a| a.clone()).unwrap_or_default();
        for (_, handle, params) in all {
            handle.request();
            if let Err(e) = crate::conninfo::cancel(&params, handle.token()).await {
                eprintln!("pgstep: the cancel request to {params} failed: {e}");
            }
        }
    }
}

/// What a fleet command does on each target.
#[derive(Debug, Clone)]
pub enum Action {
    Up {
        to: Option<Version>,
        allow_out_of_order: bool,
        retry_failed: bool,
    },
    Down {
        how: DownTarget,
        reason: Option<String>,
    },
    Verify,
}

/// Runs `action` on target `i`.
pub async fn run_one(
    ctx: &Ctx<'_>,
    action: &Action,
    running: &Running,
    i: usize,
    stop: Stop,
) -> Outcome {
    let id = &ctx.targets[i];
    let session = match db::open(&ctx.target_for(i), id.params.clone()).await {
        Ok(s) => s,
        Err(fail) => {
            eprintln!("{}: {}", Escaped(&id.url), Escaped(&fail.message));
            return Outcome::Failed {
                phases: 0,
                error: fail.message,
            };
        }
    };
    running.add(i, &session);
    // As `pgstep up` and `down` say it before a change.
    if !matches!(action, Action::Verify)
        && let Ok(found) = session.engine.integrity().await
        && !found.is_empty()
    {
        let what = crate::engine::integrity::describe(&found);
        eprintln!("{}: WARNING: {}", Escaped(&id.url), Escaped(&what));
    }
    let outcome = match action {
        Action::Up {
            to,
            allow_out_of_order,
            retry_failed,
        } => {
            let opts = UpOptions {
                to: to.clone(),
                allow_out_of_order: *allow_out_of_order,
                stop: Some(stop.flag()),
            };
            up(ctx, &session, i, &opts, *retry_failed, &stop).await
        }
        Action::Down { how, reason } => down(ctx, &session, i, how, reason.as_deref(), &stop).await,
        Action::Verify => verify(ctx, &session).await,
    };
    running.remove(i);
    if let Some(notice) = session.engine.take_checks_notice() {
        eprintln!("{}: warning: {notice}", Escaped(&id.url));
    }
    match &outcome {
        Outcome::Failed { error, .. } | Outcome::Held { error } => {
            eprintln!("{}: {}", Escaped(&id.url), Escaped(error));
        }
        _ => {}
    }
    outcome
}

fn failed(phases: usize, e: EngineError) -> Outcome {
    Outcome::Failed {
        phases,
        error: e.to_string(),
    }
}

/// Progress of one target, on stderr, each line led by its URL.
fn printer(url: &str) -> impl FnMut(Progress) + Send + use<> {
    let url = Escaped(url).to_string();
    move |p| match p {
        Progress::LockRetry {
            version,
            attempt,
            wait,
            message,
        } => eprintln!(
            "{url}: phase {version}: {}; retry {attempt} in {} ms",
            Escaped(&message),
            wait.as_millis()
        ),
        Progress::PhaseDone { version, millis } => {
            eprintln!("{url}: phase {version} done in {millis} ms");
        }
        Progress::RecordedInTool { tool, versions } => {
            eprintln!("{url}: {}", crate::cli::progress::recorded(tool, &versions));
        }
        _ => {}
    }
}

async fn up(
    ctx: &Ctx<'_>,
    session: &Session,
    i: usize,
    opts: &UpOptions,
    retry_failed: bool,
    stop: &Stop,
) -> Outcome {
    let engine = &session.engine;
    let read = async {
        let rows = engine.history().await?;
        let tool = engine.tool_history(ctx.plan).await?;
        Ok::<_, EngineError>((rows, tool))
    };
    let (rows, tool) = match read.await {
        Ok(r) => r,
        Err(e) => return failed(0, e),
    };
    let phases = crate::phases::merge(ctx.plan, &rows, tool.as_ref());
    // A failed phase after `--to` is not this run's business, as for `pgstep up --to`.
    let held = phases.iter().find(|p| {
        p.state == PhaseState::Failed && opts.to.as_ref().is_none_or(|to| p.version <= *to)
    });
    if !retry_failed && let Some(p) = held {
        let cause = p
            .row
            .and_then(|r| r.error_message.clone())
            .unwrap_or_default();
        return Outcome::Held {
            error: format!(
                "phase {} failed in an earlier run: {cause}; fix the cause, then \
                 `pgstep fleet {} up --retry-failed`",
                p.version, ctx.fleet.name
            ),
        };
    }
    let todo = match crate::engine::targets(&phases, opts) {
        Ok(todo) => todo.len(),
        Err(e) => return failed(0, e),
    };
    // Phases applied before pgstep adopted the tool's table are still `up`'s to record.
    let late = phases
        .iter()
        .any(|p| p.gap == Some(crate::phases::ToolGap::BeforeAdoption));
    if todo == 0 && !late {
        return Outcome::Unchanged;
    }
    if stop.requested() {
        return Outcome::Stopped { phases: 0 };
    }
    // One `up`, as `pgstep up` runs it; the phases done are counted from its progress, so a
    // failure after some of them still says how many.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut print = printer(&ctx.targets[i].url);
    let mut progress = |p: Progress| {
        if matches!(p, Progress::PhaseDone { .. }) {
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        print(p);
    };
    let result = engine.up(ctx.plan, opts, &mut progress).await;
    let done = done.load(std::sync::atomic::Ordering::SeqCst);
    match result {
        Err(e) => failed(done, e),
        Ok(applied) if applied.len() < todo => Outcome::Stopped {
            phases: applied.len(),
        },
        Ok(applied) => Outcome::Done {
            phases: applied.len(),
        },
    }
}

async fn down(
    ctx: &Ctx<'_>,
    session: &Session,
    i: usize,
    how: &DownTarget,
    reason: Option<&str>,
    stop: &Stop,
) -> Outcome {
    let engine = &session.engine;
    let count = async {
        let tool = engine.tool_history(ctx.plan).await?;
        let rows = engine.history().await?;
        let rows = engine.rollback_history(ctx.plan, rows, tool.as_ref());
        let list = engine
            .plan_down(ctx.plan, &rows, tool.as_ref(), how)
            .await?;
        Ok::<_, EngineError>(list.len())
    };
    let count = match count.await {
        Ok(n) => n,
        Err(e) => return failed(0, e),
    };
    if count == 0 {
        return Outcome::Unchanged;
    }
    let mut progress = printer(&ctx.targets[i].url);
    for done in 0..count {
        if stop.requested() {
            return Outcome::Stopped { phases: done };
        }
        let step = engine.down(ctx.plan, &DownTarget::Steps(1), reason, None, &mut progress);
        if let Err(e) = step.await {
            return failed(done, e);
        }
    }
    Outcome::Done { phases: count }
}

async fn verify(ctx: &Ctx<'_>, session: &Session) -> Outcome {
    let verified = match session.engine.verify(ctx.plan, None).await {
        Ok(v) => v,
        Err(e) => return failed(0, e),
    };
    let bad: Vec<String> = verified
        .iter()
        .flat_map(|v| {
            v.checks
                .iter()
                .filter(|c| c.failed())
                .map(move |c| format!("{} `{}`", v.version, c.name))
        })
        .collect();
    if bad.is_empty() {
        Outcome::Done {
            phases: verified.len(),
        }
    } else {
        Outcome::Failed {
            phases: verified.len(),
            error: format!("check(s) failed: {}", bad.join(", ")),
        }
    }
}
