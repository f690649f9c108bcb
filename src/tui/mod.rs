//! The console: a guided, phase-by-phase walk through the plan.
//!
//! Elm-style: `update(state, action) -> effects` and `ui::render(state)` are pure; the
//! runtime runs effects on tokio tasks and sends their results back as actions. The loop
//! redraws only after an action, so an idle console does nothing.

pub mod action;
pub mod app;
pub mod dialog;
pub mod keymap;
mod runtime;
mod summary;
pub mod ui;
pub mod update;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::sync::mpsc;

use crate::conninfo::Params;
use crate::engine::Engine;
use crate::plan::Plan;
use action::{Action, Effect};
use app::App;

/// Everything the console needs: the plan, two sessions on the database, and the settings.
pub struct Console {
    pub app: App,
    pub worker: Engine,
    pub reader: Engine,
    pub params: Params,
}

/// How long a quit waits for cancelled work to record itself.
const QUIT_GRACE: Duration = Duration::from_secs(5);

pub async fn run(console: Console) -> std::io::Result<()> {
    let Console {
        mut app,
        worker,
        reader,
        params,
    } = console;
    let plan: Arc<Plan> = app.plan.clone();
    let pid = worker.backend_pid().await.unwrap_or(0);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut rt = runtime::Runtime::new(worker, reader, pid, params, plan, tx);
    // ratatui::init restores the terminal from its panic hook too.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut app, &mut rt, &mut rx, &mut terminal).await;
    ratatui::restore();
    result
}

async fn event_loop(
    app: &mut App,
    rt: &mut runtime::Runtime,
    rx: &mut mpsc::UnboundedReceiver<Action>,
    terminal: &mut ratatui::DefaultTerminal,
) -> std::io::Result<()> {
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    terminal.draw(|f| ui::render(app, f))?;
    rt.run(Effect::LoadStatus);
    rt.run(Effect::LoadEvents);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
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
            Some(a) = rx.recv() => a,
            _ = tick.tick(), if app.job.is_some() => Action::Tick(rt.elapsed()),
            _ = term.recv() => {
                if app.job.is_some() {
                    rt.run(Effect::Cancel);
                }
                app.quit = true;
                continue;
            }
        };
        if matches!(action, Action::Done(_) | Action::Failed(_)) {
            rt.job_finished();
        }
        for effect in update::update(app, action) {
            rt.run(effect);
        }
        if app.quit {
            let since = *quitting.get_or_insert_with(Instant::now);
            if app.job.is_none() || since.elapsed() > QUIT_GRACE {
                return Ok(());
            }
        }
        terminal.draw(|f| ui::render(app, f))?;
    }
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
