//! `update(app, action) -> effects`: every change of the console's state, and nothing else.
//! No I/O happens here, so each flow is tested by feeding actions and reading the state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod batch;
mod dialog;
mod job;
mod keep_choice;
mod maintenance;
mod monitor;
mod summary;
mod typing;

use super::action::{Action, Effect, Outcome};
use super::app::{App, Connection, Detail, JobKind, Level, Recorded, Tab};
use super::dialog::{Modal, ReasonFor, UndoLine};
use super::keymap::{Command, Context};
use super::words;
use crate::engine::keeping::Oversize;
use crate::engine::{PhaseState, Progress};
use crate::text::Escaped;
use job::{busy, start};
use monitor as um;

/// Applies `action` to `app` and returns the work to do.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = dispatch(app, action);
    effects.extend(wanted(app));
    effects
}

/// The reads the phase now shown needs, whatever moved the selection: its files if the plan
/// does not hold its text, and the SQL its history row recorded if that is shown.
pub fn wanted(app: &mut App) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some(version) = app.detail_wanted() {
        app.detail = Some(Detail {
            version: version.clone(),
            migration: None,
        });
        effects.push(Effect::ReadDetail { version });
    }
    if let Some((version, stored)) = app.recorded_wanted() {
        app.recorded = Some(Recorded {
            version: version.clone(),
            sql: None,
        });
        effects.push(Effect::LoadRecorded { version, stored });
    }
    effects
}

fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Key(key) => on_key(app, key),
        Action::Resize(w, h) => {
            app.size = (w, h);
            Vec::new()
        }
        Action::Linted(Ok(findings)) => {
            app.lint = findings;
            Vec::new()
        }
        Action::Linted(Err(e)) => {
            app.message = Some((Level::Error, words::not_linted(e)));
            Vec::new()
        }
        Action::PlanRead { plan } => {
            let warnings = plan.warnings.len();
            let again = app.reading.is_none();
            app.set_plan(plan, Vec::new());
            // The tool's checksums are of the files: read again with them.
            let effects = if app.adoption.is_some() {
                vec![Effect::LoadStatus]
            } else {
                Vec::new()
            };
            if again {
                let text = words::plan_read_again(app.plan.migrations.len());
                app.message = Some((Level::Info, text));
            }
            if warnings > 0 {
                let text = words::plan_warnings(warnings);
                app.message = Some((Level::Info, text));
            }
            effects
        }
        // Read again on reload, a plan with errors leaves the one already shown in place.
        Action::PlanUnreadable(message) if app.reading.is_none() => {
            let first = message.lines().next().unwrap_or_default();
            let text = words::plan_kept(first);
            app.message = Some((Level::Error, text));
            Vec::new()
        }
        Action::PlanUnreadable(message) => {
            app.plan_error = Some(message);
            app.quit = true;
            Vec::new()
        }
        Action::Tick(elapsed) => {
            app.spinner = app.spinner.wrapping_add(1);
            if let Some(job) = &mut app.job {
                job.elapsed = elapsed;
            }
            Vec::new()
        }
        Action::Disconnected { attempt, error } => {
            app.connection = Connection::Reconnecting { attempt, error };
            app.seen = None;
            Vec::new()
        }
        Action::Connected {
            own,
            role,
            server_version,
        } => {
            app.connection = Connection::Up;
            app.monitors.own = own;
            app.header.role = role;
            app.header.server_version = server_version;
            // The monitoring tabs appear once their first load answers.
            vec![
                Effect::LoadStatus,
                Effect::LoadEvents,
                Effect::LoadIndexes,
                Effect::LoadMatviews,
                Effect::LoadActivity,
                Effect::LoadTrash,
            ]
        }
        Action::Indexes(report) => {
            app.monitors.set_indexes(report);
            Vec::new()
        }
        Action::Trash(kept) => {
            app.monitors.trash = Some(kept);
            app.monitors.clamp();
            Vec::new()
        }
        Action::Matviews(report) => {
            app.monitors.matviews = Some(report);
            app.monitors.clamp();
            Vec::new()
        }
        Action::Activity { activity, gauges } => {
            app.monitors.activity = Some(activity);
            app.monitors.activity_gauges = gauges;
            app.monitors.clamp();
            Vec::new()
        }
        Action::Watch(watch) => {
            if app.job.as_ref().is_some_and(|j| j.kind.phase()) {
                app.monitors.watch = Some(watch);
            }
            Vec::new()
        }
        Action::Batch(p) => {
            batch::on_progress(app, p);
            Vec::new()
        }
        Action::ReadFailed(message) => {
            app.message = Some((Level::Error, message));
            Vec::new()
        }
        Action::Adoption(found) => {
            // A confirmation given in this console holds until the log says so too.
            let confirmed = app.adoption.as_ref().is_some_and(|a| !a.unconfirmed);
            app.adoption = found.map(|a| {
                let mut a = *a;
                a.unconfirmed &= !confirmed;
                a
            });
            Vec::new()
        }
        Action::Status { rows, holder } => {
            app.set_history(rows, holder);
            app.loaded = true;
            Vec::new()
        }
        Action::Refresh => match app.tab {
            // Lock waits and transaction ages go stale within seconds.
            Tab::Activity => vec![Effect::LoadActivity],
            _ => vec![Effect::PollChanges],
        },
        Action::Changes(mark) => {
            if app.seen == Some(mark) {
                return Vec::new();
            }
            let first = app.seen.is_none();
            app.seen = Some(mark);
            // The first mark only records where things stand: they were just loaded.
            if first {
                Vec::new()
            } else {
                vec![Effect::LoadStatus, Effect::LoadEvents]
            }
        }
        Action::LogIntegrity(found) => {
            if !found.is_empty() && found != app.log_tampered {
                let said = crate::engine::integrity::describe(&found);
                app.message = Some((Level::Error, said));
            }
            app.log_tampered = found;
            Vec::new()
        }
        Action::Events(events) => {
            app.events = events;
            app.results_from_log();
            app.clamp_selection();
            Vec::new()
        }
        Action::Progress(p) => {
            on_progress(app, p);
            Vec::new()
        }
        Action::Waiting(line) => {
            if let Some(job) = &mut app.job {
                job.waiting = line;
            }
            Vec::new()
        }
        Action::Impact {
            version,
            losses,
            downs,
            keep,
            unkept,
        } => {
            if let Some(Modal::Rollback {
                version: v,
                impact,
                phases,
                oversize,
                ..
            }) = &mut app.modal
                && *v == version
            {
                let mut lines: Vec<String> =
                    losses.iter().map(crate::engine::impact::describe).collect();
                let kept: Vec<crate::engine::impact::Loss> = losses
                    .iter()
                    .filter(|l| !unkept.iter().any(|u| u.targets.contains(&l.target)))
                    .cloned()
                    .collect();
                let kept = crate::engine::keeping::kept_of(&kept);
                *oversize = kept.oversize(keep);
                lines.extend(words::kept_before(&kept, keep));
                lines.extend(
                    unkept
                        .iter()
                        .map(|u| words::phase_not_kept(&u.version, &u.reason)),
                );
                *impact = Some(lines);
                // Both newest first: matched in one pass, as there can be thousands.
                let mut downs = downs.into_iter().peekable();
                for line in phases.iter_mut() {
                    while downs.next_if(|(v, _)| *v > line.version).is_some() {}
                    if let Some((_, down)) = downs.next_if(|(v, _)| *v == line.version) {
                        line.down = Some(down);
                    }
                }
            }
            Vec::new()
        }
        Action::Recorded { version, sql } => {
            if let Some(r) = &mut app.recorded
                && r.version == version
            {
                r.sql = Some(sql);
            }
            Vec::new()
        }
        Action::DetailRead { version, migration } => {
            if let Some(d) = &mut app.detail
                && d.version == version
            {
                d.migration = Some(migration);
            }
            Vec::new()
        }
        Action::ApplyFacts {
            version,
            findings,
            tables,
            kept,
            oversize,
        } => {
            apply_facts(app, version, findings, (tables, kept, oversize));
            Vec::new()
        }
        Action::Notice(text) => {
            app.message = Some((Level::Info, words::notice(text)));
            Vec::new()
        }
        Action::Done(outcome) => on_done(app, outcome),
        Action::Failed(message) => {
            let kind = app.job.take().map(|j| j.kind);
            app.monitors.watch = None;
            app.message = Some((Level::Error, message));
            let mut reload = vec![Effect::LoadStatus, Effect::LoadEvents];
            reload.extend(kind.and_then(um::after));
            reload
        }
    }
}

fn on_progress(app: &mut App, p: Progress) {
    let Some(job) = &mut app.job else { return };
    match p {
        Progress::PhaseStarted { statements, .. } => {
            job.statements = statements;
            job.statement = None;
            job.retry = None;
        }
        Progress::Statement {
            index, line, step, ..
        } => {
            job.statement = Some(index);
            job.line = Some(line);
            job.step = step;
        }
        Progress::LockRetry {
            attempt,
            wait,
            message,
            ..
        } => {
            job.retry = Some(words::lock_retry(&message, attempt, wait.as_secs_f64()));
        }
        Progress::Checks { version, outcomes } => {
            if let Some(v) = crate::plan::Version::parse(&version) {
                app.set_results(&v, outcomes);
            }
        }
        Progress::PhaseDone { .. } => {}
    }
}

fn on_done(app: &mut App, outcome: Outcome) -> Vec<Effect> {
    let kind = app.job.as_ref().map(|j| j.kind);
    app.job = None;
    app.monitors.watch = None;
    for (v, checks) in outcome.checks() {
        app.set_results(&v, checks);
    }
    let mut reload = vec![Effect::LoadStatus, Effect::LoadEvents];
    reload.extend(kind.and_then(um::after));
    match outcome {
        Outcome::Applied(done) => {
            let names: Vec<String> = done.iter().map(|a| a.version.clone()).collect();
            app.message = Some((Level::Success, words::applied(&names)));
            if let Some(last) = done.last() {
                let checks = last.checks.clone();
                app.modal = Some(Modal::Results {
                    title: words::applied_title(&last.version, Escaped(&last.name), last.millis),
                    version: crate::plan::Version::parse(&last.version),
                    checks,
                    notes: Vec::new(),
                    selected: 0,
                    scroll: 0,
                });
                // Walk the plan: the selection moves to the phase after the one applied.
                if let Some(v) = crate::plan::Version::parse(&last.version) {
                    app.select_version(&v);
                    app.selected += 1;
                }
            }
        }
        Outcome::DryRun(r) => {
            let mut notes: Vec<String> = r
                .statements
                .iter()
                .map(|s| {
                    let head: String = s.sql.split_whitespace().collect::<Vec<_>>().join(" ");
                    let head: String = head.chars().take(48).collect();
                    match (&s.skipped, s.rows) {
                        (Some(why), _) => format!("line {:>4}  {head}: {why}", s.line),
                        (None, Some(n)) => {
                            format!("line {:>4}  {head}: {n} row(s), {} ms", s.line, s.millis)
                        }
                        (None, None) => format!("line {:>4}  {head}: failed", s.line),
                    }
                })
                .collect();
            notes.extend(
                r.locks
                    .iter()
                    .map(|(rel, modes)| format!("lock  {rel}: {modes}")),
            );
            if let Some(e) = &r.error {
                notes.push(format!("error: {}", Escaped(&e.to_string())));
            }
            app.modal = Some(Modal::Results {
                title: words::dry_run_title(&r.version, Escaped(&r.name)),
                version: crate::plan::Version::parse(&r.version),
                checks: r.checks,
                notes,
                selected: 0,
                scroll: 0,
            });
        }
        Outcome::Verified(v) => {
            app.modal = Some(Modal::Results {
                title: words::verify_title(&v.version, Escaped(&v.name)),
                version: crate::plan::Version::parse(&v.version),
                checks: v.checks,
                notes: Vec::new(),
                selected: 0,
                scroll: 0,
            });
        }
        Outcome::Query {
            version,
            check,
            result,
        } => {
            if let Some(Modal::Editor {
                version: v,
                check: c,
                result: r,
                scroll,
                ..
            }) = &mut app.modal
                && *v == version
                && *c == check
            {
                *r = Some(result);
                *scroll = 0;
            }
            return Vec::new();
        }
        Outcome::RolledBack(done) => {
            let names: Vec<String> = done.iter().map(|r| r.version.clone()).collect();
            let kept: usize = done.iter().map(|r| r.kept).sum();
            let text = words::rolled_back(&names, kept);
            app.message = Some((Level::Success, text));
            if kept > 0 {
                reload.push(Effect::LoadTrash);
            }
        }
        Outcome::Marked { version, applied } => {
            app.message = Some((Level::Success, words::marked(version, applied)));
        }
        Outcome::Accepted(version) => {
            app.message = Some((Level::Success, words::accepted(version)));
        }
        Outcome::Cancelled(text) => {
            app.message = Some((Level::Error, text));
        }
        Outcome::Maintained(text) => {
            app.message = Some((Level::Success, text));
        }
    }
    if kind == Some(JobKind::Query) {
        return Vec::new();
    }
    reload
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let cmd = app.keymap.lookup(&app.contexts(), &key, app.read_only());
    if cmd == Some(Command::Interrupt) {
        return quit(app);
    }
    if app.modal.is_some() {
        return dialog::on_key(app, key, cmd);
    }
    if app.help {
        let step: isize = match cmd {
            Some(Command::Down) => 1,
            Some(Command::Up) => -1,
            Some(Command::ScrollPageDown) => 10,
            Some(Command::ScrollPageUp) => -10,
            // Any other key closes it.
            _ => {
                app.help = false;
                app.help_scroll = 0;
                return Vec::new();
            }
        };
        let max = app.help_layout().max_scroll();
        app.help_scroll = app.help_scroll.saturating_add_signed(step).min(max);
        return Vec::new();
    }
    if app.filtering {
        // The Indexes tab filters its own list, by table name.
        let filter = match app.tab {
            Tab::Indexes => &mut app.monitors.index_table,
            _ => &mut app.filter,
        };
        match (cmd, key.code) {
            (Some(Command::FilterClear), _) => {
                filter.clear();
                app.filtering = false;
            }
            (Some(Command::FilterDone), _) => app.filtering = false,
            (_, KeyCode::Backspace) => {
                filter.pop();
            }
            (_, KeyCode::Char(c)) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                filter.push(c);
            }
            _ => {}
        }
        app.selected = 0;
        app.monitors.index_selected = 0;
        return Vec::new();
    }
    match cmd {
        Some(Command::Quit) => quit(app),
        // Too small to draw: only quitting acts.
        _ if app.too_small() => Vec::new(),
        Some(cmd) => command(app, cmd),
        None => Vec::new(),
    }
}

fn switch(app: &mut App, tab: Tab) -> Vec<Effect> {
    app.tab = tab;
    match tab {
        Tab::Log => vec![Effect::LoadEvents],
        Tab::Phases => Vec::new(),
        Tab::Indexes | Tab::Matviews | Tab::Activity | Tab::Trash if um::reader_busy(app) => {
            Vec::new()
        }
        monitor => um::load(monitor),
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    match &app.job {
        Some(_) => app.modal = Some(Modal::ConfirmQuit),
        None => app.quit = true,
    }
    Vec::new()
}

pub(super) fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let database = matches!(
        cmd,
        Command::ApplyNext
            | Command::DryRun
            | Command::Verify
            | Command::Rollback
            | Command::Resume
            | Command::Mark
            | Command::Diff
            | Command::Accept
            | Command::Refresh
            | Command::DropIndex
            | Command::RebuildIndex
            | Command::RefreshMatview
            | Command::CancelBackend
            | Command::TerminateBackend
            | Command::RestoreKept
            | Command::PurgeKept
    );
    if database && app.reading.is_some() {
        app.message = Some((Level::Info, words::STILL_READING.into()));
        return Vec::new();
    }
    if database && let Connection::Reconnecting { attempt, error } = &app.connection {
        let text = words::not_connected(error, *attempt);
        app.message = Some((Level::Error, text));
        return Vec::new();
    }
    if database && !app.loaded {
        app.message = Some((Level::Info, words::NOT_LOADED.into()));
        return Vec::new();
    }
    let changes = matches!(
        cmd,
        Command::ApplyNext | Command::Rollback | Command::Resume | Command::Mark | Command::Accept
    );
    if changes
        && !busy(app)
        && let Some(a) = app.adoption.as_ref().filter(|a| a.unconfirmed)
    {
        app.modal = Some(Modal::ConfirmAdoption {
            summary: a.history.adopted(&app.plan),
            then: cmd,
            input: String::new(),
            hint: None,
            scroll: 0,
        });
        return Vec::new();
    }
    let n = app.visible().len();
    let page = app.size.1.saturating_sub(10).max(1) as usize;
    match cmd {
        Command::Quit | Command::Interrupt => return quit(app),
        Command::Help => app.help = true,
        Command::GoTab(n) => {
            if let Some(t) = app.tabs().get(usize::from(n).wrapping_sub(1)) {
                return switch(app, *t);
            }
        }
        Command::NextTab | Command::PrevTab => {
            let tabs = app.tabs();
            let i = tabs.iter().position(|t| *t == app.tab).unwrap_or(0);
            let len = tabs.len();
            let next = if cmd == Command::NextTab {
                (i + 1) % len
            } else {
                (i + len - 1) % len
            };
            return switch(app, tabs[next]);
        }
        Command::Refresh if um::reader_busy(app) => {
            app.message = Some((Level::Info, words::READER_BUSY.into()));
        }
        Command::Refresh => {
            // The files too: a phase edited since the plan was read runs only once it is
            // read again, so the operator sees the new text first.
            app.message = Some((Level::Info, words::READING_AGAIN.into()));
            let mut effects = vec![Effect::ReadPlan, Effect::LoadStatus, Effect::LoadEvents];
            for e in um::load(app.tab) {
                if !effects.contains(&e) {
                    effects.push(e);
                }
            }
            return effects;
        }
        Command::Down
        | Command::Up
        | Command::PageDown
        | Command::PageUp
        | Command::Top
        | Command::Bottom => {
            let (pos, len) = match app.tab {
                Tab::Phases => (&mut app.selected, n),
                Tab::Log => (&mut app.log_selected, app.events.len()),
                _ => {
                    um::move_selection(app, cmd, page);
                    return Vec::new();
                }
            };
            *pos = match cmd {
                Command::Down => (*pos + 1).min(len.saturating_sub(1)),
                Command::Up => pos.saturating_sub(1),
                Command::PageDown => (*pos + page).min(len.saturating_sub(1)),
                Command::PageUp => pos.saturating_sub(page),
                Command::Top => 0,
                _ => len.saturating_sub(1),
            };
            app.detail_scroll = 0;
        }
        Command::DetailDown => app.detail_scroll = app.detail_scroll.saturating_add(3),
        Command::DetailUp => app.detail_scroll = app.detail_scroll.saturating_sub(3),
        Command::Filter => app.filtering = true,
        Command::CancelJob => app.modal = Some(Modal::ConfirmCancel),
        Command::BatchPause
        | Command::BatchBigger
        | Command::BatchSmaller
        | Command::PauseLonger
        | Command::PauseShorter => return batch::command(app, cmd),
        Command::ApplyNext => return apply_next(app),
        Command::DryRun => return phase_job(app, Command::DryRun),
        Command::Verify => return phase_job(app, Command::Verify),
        Command::Rollback => return rollback(app),
        Command::Resume | Command::Mark | Command::Diff | Command::Accept => {
            return decide(app, cmd);
        }
        // Keys of the dialogs, the filter and the Fleet view, which never reach here.
        Command::OpenTarget
        | Command::EditCheck
        | Command::FilterDone
        | Command::FilterClear
        | Command::Confirm
        | Command::Decline
        | Command::Submit
        | Command::Back
        | Command::Close
        | Command::ScrollUp
        | Command::ScrollDown
        | Command::ScrollPageUp
        | Command::ScrollPageDown
        | Command::NextField
        | Command::MarkApplied
        | Command::MarkPending
        | Command::InDoubtAsk
        | Command::InDoubtDone
        | Command::InDoubtRerun
        | Command::KeepAnyway
        | Command::KeepNone
        | Command::RunQuery
        | Command::ResultDown
        | Command::ResultUp => {}
        Command::CycleSort
        | Command::CycleVerdict
        | Command::DropIndex
        | Command::RebuildIndex
        | Command::RefreshMatview
        | Command::CancelBackend
        | Command::TerminateBackend
        | Command::RestoreKept
        | Command::PurgeKept => return um::command(app, cmd),
    }
    Vec::new()
}

fn apply_next(app: &mut App) -> Vec<Effect> {
    if busy(app) {
        return Vec::new();
    }
    if let Some(p) = app.phases.iter().find(|p| {
        matches!(
            p.state,
            PhaseState::Dirty | PhaseState::Drifted | PhaseState::OutOfOrder
        )
    }) {
        let help = app.keymap.key_of(Context::Global, Command::Help);
        let text = words::resolve_first(&p.version, p.state.word(), &help);
        app.message = Some((Level::Error, text));
        return Vec::new();
    }
    let Some(p) = app.next_pending().cloned() else {
        app.message = Some((Level::Info, words::ALL_APPLIED.into()));
        return Vec::new();
    };
    let summary = app
        .migration_of(&p)
        .map(|m| summary::apply_summary(m, &app.options, &app.lint_of(&p.version), None))
        .unwrap_or_default();
    app.select_version(&p.version);
    app.modal = Some(Modal::ConfirmApply {
        version: p.version.clone(),
        summary,
        typed: app.options.confirm_typed.then(String::new),
        hint: None,
        scroll: 0,
        oversize: None,
    });
    vec![Effect::ApplyFacts { version: p.version }]
}

/// The weighed lint findings and table facts of the phase the apply dialog shows.
fn apply_facts(
    app: &mut App,
    version: crate::plan::Version,
    findings: Vec<crate::lint::Finding>,
    (tables, kept, oversize): (Vec<String>, Vec<String>, Option<Oversize>),
) {
    app.lint
        .retain(|f| crate::plan::Version::parse(&f.version).as_ref() != Some(&version));
    app.lint.extend(findings);
    let Some(m) = app.plan.migrations.iter().find(|m| m.version == version) else {
        return;
    };
    let mut summary =
        summary::apply_summary(m, &app.options, &app.lint_of(&version), Some(&tables));
    summary.extend(kept);
    if let Some(Modal::ConfirmApply {
        version: v,
        summary: s,
        oversize: o,
        ..
    }) = &mut app.modal
        && *v == version
    {
        *s = summary;
        *o = oversize;
    }
}

fn phase_job(app: &mut App, cmd: Command) -> Vec<Effect> {
    if busy(app) {
        return Vec::new();
    }
    let Some(p) = app.selected_phase().cloned() else {
        return Vec::new();
    };
    if cmd == Command::DryRun {
        // The next pending phase, as `n` applies it, whichever is selected: a later one
        // cannot run before the ones in front of it.
        let Some(next) = app.next_pending().map(|n| n.version.clone()) else {
            app.message = Some((Level::Info, words::NOTHING_PENDING.into()));
            return Vec::new();
        };
        start(app, JobKind::DryRun, Some(next.clone()));
        return vec![Effect::DryRun { version: next }];
    }
    if app.migration_of(&p).is_none_or(|m| m.checks.is_empty()) {
        app.message = Some((Level::Info, words::no_checks(&p.version)));
        return Vec::new();
    }
    start(app, JobKind::Verify, Some(p.version.clone()));
    vec![Effect::Verify { version: p.version }]
}

fn rollback(app: &mut App) -> Vec<Effect> {
    if busy(app) {
        return Vec::new();
    }
    let Some(p) = app.selected_phase().cloned() else {
        return Vec::new();
    };
    if !p.recorded() || p.state == PhaseState::Failed {
        app.message = Some((Level::Info, words::not_applied(&p.version)));
        return Vec::new();
    }
    let phases: Vec<UndoLine> = app
        .phases
        .iter()
        .filter(|q| q.version >= p.version && q.recorded() && q.state != PhaseState::Failed)
        .rev()
        .map(|q| UndoLine {
            version: q.version.clone(),
            name: q.name.clone(),
            // A plan that holds its text shows the DOWN at once; otherwise it comes with the
            // impact, read from the files.
            down: app.read_of(q).map(|m| {
                m.down()
                    .into_iter()
                    .flat_map(|d| d.statements())
                    .map(|s| s.sql.to_string())
                    .collect()
            }),
        })
        .collect();
    app.modal = Some(Modal::Rollback {
        version: p.version.clone(),
        phases,
        impact: None,
        input: String::new(),
        hint: None,
        scroll: 0,
        oversize: None,
    });
    let target = job::down_to(app, &p.version);
    vec![Effect::LoadImpact {
        version: p.version,
        target,
        rows: app.rows.clone(),
    }]
}

fn decide(app: &mut App, cmd: Command) -> Vec<Effect> {
    if busy(app) {
        return Vec::new();
    }
    let Some(p) = app.selected_phase().cloned() else {
        return Vec::new();
    };
    let v = p.version.clone();
    let wrong = |app: &mut App, what: &str| {
        let text = words::wrong_state(&v, p.state.word(), what);
        app.message = Some((Level::Info, text));
    };
    match (cmd, p.state) {
        (Command::Resume, PhaseState::Dirty) => {
            let in_flight = p
                .row
                .and_then(|i| app.rows.get(i))
                .and_then(|r| r.in_flight);
            app.modal = Some(match in_flight {
                Some(statement) => Modal::InDoubtChoice {
                    version: v.clone(),
                    statement,
                },
                None => dialog::reason_dialog(ReasonFor::Resume(None), v.clone()),
            });
        }
        (Command::Mark, PhaseState::Dirty | PhaseState::Failed) => {
            // A failed transactional attempt left nothing behind: only pending is true of it.
            let transactional = p
                .row
                .and_then(|i| app.rows.get(i))
                .is_none_or(|r| r.transactional);
            app.modal = Some(Modal::MarkChoice {
                version: v.clone(),
                can_apply: !(p.state == PhaseState::Failed && transactional),
            });
        }
        (Command::Accept, PhaseState::Drifted) => {
            app.modal = Some(dialog::reason_dialog(ReasonFor::Accept, v.clone()));
        }
        (Command::Diff, PhaseState::Drifted) => {
            let text = match (app.recorded_of(&p), app.read_of(&p)) {
                (Some(Ok(recorded)), Some(m)) => crate::engine::drift::diff(recorded, &m),
                (Some(Err(e)), _) => {
                    app.message = Some((Level::Error, e.clone()));
                    return Vec::new();
                }
                _ => {
                    let text = words::still_reading_phase(&v);
                    app.message = Some((Level::Info, text));
                    return Vec::new();
                }
            };
            app.modal = Some(Modal::Diff {
                version: v.clone(),
                text,
                scroll: 0,
            });
        }
        (Command::Resume, _) => wrong(app, words::ONLY_DIRTY_RESUMES),
        (Command::Mark, _) => wrong(app, words::ONLY_DIRTY_OR_FAILED_MARKED),
        _ => wrong(app, words::ONLY_DRIFTED_ACCEPTED),
    }
    Vec::new()
}
