//! The console: a guided, phase-by-phase walk through the plan.
//!
//! Elm-style: `update(state, action) -> effects` and `ui::render(state)` are pure; the
//! runtime runs effects on tokio tasks and sends their results back as actions. The loop
//! redraws only after an action, so an idle console does nothing.
//!
//! Layers, each using only those before it:
//! - `keymap`, `theme`, `tab`, `words`: the keys, colours, tabs and the console's text;
//! - `monitor`, `dialog`, `action`, `app`: the state and the messages that change it;
//! - `update` (the pure changes) and `ui` (drawing), which never use each other;
//! - `runtime` (the effects' I/O) and this module's event loop.

pub mod action;
pub mod app;
pub mod dialog;
pub mod fleet;
pub mod keymap;
pub mod monitor;
mod runtime;
pub mod tab;
pub mod theme;
pub mod ui;
pub mod update;
pub mod words;

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::mpsc::{self, UnboundedSender};

use crate::conninfo::Params;
use crate::engine::Engine;
use crate::lint::LintConfig;
use crate::plan::{Plan, Version};
use action::{Action, Effect};
use app::App;

/// The two sessions the console works with, and facts for the header.
pub struct Connected {
    pub worker: Engine,
    pub reader: Engine,
    pub params: Params,
    pub role: String,
    pub server_version: String,
}

/// How often an idle console looks at what others changed: one small query; the history is
/// read again, and the screen changes, only when something moved.
const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// The wait before reconnection attempt `failures` + 1: doubling from 1 s, at most 10 s.
fn reconnect_wait(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(4)).min(Duration::from_secs(10))
}

/// How long a quit waits for cancelled work to record itself.
const QUIT_GRACE: Duration = Duration::from_secs(5);

/// Runs the console and gives back its final state (`plan_error` says whether the plan could
/// be read). The first frame is drawn before `read_plan` and `connect` finish, so the operator
/// sees the console at once; the phases appear when the plan is read, their state when the
/// sessions are up.
pub async fn run<R, C, F>(mut app: App, read_plan: R, connect: C) -> std::io::Result<App>
where
    R: Fn() -> Result<Plan, String> + Send + Sync + 'static,
    C: Fn() -> F,
    F: Future<Output = Result<Connected, String>> + 'static,
{
    // ratatui::init restores the terminal from its panic hook too.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut app, read_plan, connect, &mut terminal).await;
    ratatui::restore();
    result.map(|()| app)
}

async fn event_loop<R, C, F>(
    app: &mut App,
    read_plan: R,
    connect: C,
    terminal: &mut ratatui::DefaultTerminal,
) -> std::io::Result<()>
where
    R: Fn() -> Result<Plan, String> + Send + Sync + 'static,
    C: Fn() -> F,
    F: Future<Output = Result<Connected, String>> + 'static,
{
    draw(app, terminal)?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Kept to read the plan again when the operator reloads.
    let read_plan: Arc<R> = Arc::new(read_plan);
    read_in_background(read_plan.clone(), app.options.lint.clone(), tx.clone())?;
    let mut rt: Option<runtime::Runtime> = None;
    // One attempt at a time: the first at once, the next after a backoff, and again whenever
    // the sessions are found lost. No action is ever replayed after a reconnection.
    let mut attempt: Pin<Box<dyn Future<Output = Result<Connected, String>>>> = Box::pin(connect());
    let mut connecting = true;
    let mut failures = 0u32;
    let mut retry = Box::pin(tokio::time::sleep(Duration::ZERO));
    let mut retrying = false;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    // Idle and connected: what other sessions changed shows without a key.
    let mut refresh = tokio::time::interval(REFRESH_EVERY);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut quitting: Option<Instant> = None;
    let mut term = terminate_signal();
    loop {
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => Action::Key(k),
                Some(Ok(Event::Resize(w, h))) => Action::Resize(w, h),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            () = &mut retry, if retrying => {
                retrying = false;
                connecting = true;
                attempt = Box::pin(connect());
                continue;
            }
            done = &mut attempt, if connecting => {
                connecting = false;
                match done {
                    Ok(c) => {
                        failures = 0;
                        let pid = c.worker.backend_pid().await.unwrap_or(0);
                        let reader = c.reader.backend_pid().await.unwrap_or(0);
                        let action = Action::Connected {
                            own: vec![pid, reader],
                            role: c.role,
                            server_version: c.server_version,
                        };
                        rt = Some(runtime::Runtime::new(
                            c.worker,
                            c.reader,
                            pid,
                            c.params,
                            app.plan.clone(),
                            app.options.lint.clone(),
                            tx.clone(),
                        ));
                        action
                    }
                    Err(error) => {
                        failures += 1;
                        retrying = true;
                        retry.as_mut().reset(tokio::time::Instant::now() + reconnect_wait(failures));
                        Action::Disconnected { attempt: failures, error }
                    }
                }
            }
            Some(a) = rx.recv() => a,
            _ = tick.tick(), if app.job.is_some() => {
                Action::Tick(rt.as_ref().map(|r| r.elapsed()).unwrap_or_default())
            }
            _ = refresh.tick(), if rt.is_some() && app.job.is_none() => Action::Refresh,
            // `Some`: once the signal task has ended, `None` must not fire this arm forever.
            Some(()) = term.recv() => {
                match (rt.as_mut(), app.job.is_some()) {
                    (Some(rt), true) => rt.run(Effect::Cancel),
                    // Nothing to wait for: leave now, not at the next key.
                    _ => return Ok(()),
                }
                app.quit = true;
                continue;
            }
        };
        // Lost sessions (a server restart, a network cut) are found at the next look for
        // changes or key, and made again; the key is not replayed.
        let action = match action {
            Action::Key(_) | Action::Refresh
                if app.job.is_none() && rt.as_ref().is_some_and(runtime::Runtime::is_lost) =>
            {
                rt = None;
                connecting = true;
                attempt = Box::pin(connect());
                Action::Disconnected {
                    attempt: 0,
                    error: "the connection to the server was lost".into(),
                }
            }
            other => other,
        };
        if let (Some(rt), Action::Done(_) | Action::Failed(_)) = (rt.as_mut(), &action) {
            rt.job_finished();
        }
        let plan_read = matches!(action, Action::PlanRead { .. });
        // The idle look for changes and its answer change nothing on screen (what moved is
        // drawn when it has been read): not drawing them keeps an idle console silent.
        let unseen = matches!(action, Action::Refresh | Action::Changes(_));
        let effects = update::update(app, action);
        if let (Some(rt), true) = (rt.as_mut(), plan_read) {
            rt.set_plan(app.plan.clone());
        }
        for effect in effects {
            match (effect, rt.as_mut()) {
                (Effect::ReadDetail { version }, _) => {
                    read_detail(app.plan.clone(), version, tx.clone());
                }
                (Effect::ReadPlan, _) => {
                    read_in_background(read_plan.clone(), app.options.lint.clone(), tx.clone())?;
                }
                // Before the sessions are up nothing asks for database work (update refuses
                // until the state is loaded), so there is nothing to keep.
                (effect, Some(rt)) => rt.run(effect),
                (_, None) => {}
            }
        }
        if app.quit {
            let since = *quitting.get_or_insert_with(Instant::now);
            if app.job.is_none() || since.elapsed() > QUIT_GRACE {
                return Ok(());
            }
        }
        if !unseen {
            draw(app, terminal)?;
        }
    }
}

/// Draws the screen at the terminal's size now. A resize can come before the event stream
/// listens for it (at start-up) and its event is then never sent, so the size is read at
/// every frame rather than trusted to the last resize event.
fn draw(app: &mut App, terminal: &mut ratatui::DefaultTerminal) -> std::io::Result<()> {
    let size = terminal.size()?;
    if app.size != (size.width, size.height) {
        update::update(app, Action::Resize(size.width, size.height));
    }
    terminal.draw(|f| ui::render(app, f))?;
    Ok(())
}

/// Reads and lints the plan on a thread of its own: a large plan takes many frames' time. A
/// detached thread, unlike a blocking task of the runtime, does not hold up a quit.
fn read_in_background<R>(
    read_plan: Arc<R>,
    lint: LintConfig,
    tx: UnboundedSender<Action>,
) -> std::io::Result<()>
where
    R: Fn() -> Result<Plan, String> + Send + Sync + 'static,
{
    std::thread::Builder::new()
        .name("plan".into())
        .spawn(move || {
            let action = match read_plan() {
                // Linted before it is shown (an outlined plan is linted from its files, read
                // again one at a time): the lint's registry of every object the plan creates
                // is freed before the phase list and the history, read once the plan is
                // shown, are built. Held together, they made a 10,000-phase console's peak.
                Ok(plan) => {
                    let plan = Arc::new(plan);
                    let linted = crate::lint::lint_plan(&plan, &lint).map_err(|e| e.to_string());
                    if tx.send(Action::PlanRead { plan }).is_err() {
                        return;
                    }
                    Action::Linted(linted)
                }
                Err(message) => Action::PlanUnreadable(message),
            };
            let _ = tx.send(action);
        })?;
    Ok(())
}

/// Reads phase `version`'s files for the detail view, off the event loop.
fn read_detail(plan: Arc<Plan>, version: Version, tx: UnboundedSender<Action>) {
    tokio::task::spawn_blocking(move || {
        let migration = match plan.migrations.iter().find(|m| m.version == version) {
            Some(m) => m
                .read()
                .map(|r| Arc::new(r.into_owned()))
                .map_err(|e| e.to_string()),
            None => Err(format!("phase {version} is not in the plan")),
        };
        let _ = tx.send(Action::DetailRead { version, migration });
    });
}

/// SIGTERM, so a console killed by its SSH session's end restores the terminal first.
fn terminate_signal() -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        #[cfg(unix)]
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
            let _ = tx.send(());
        }
    });
    rx
}
