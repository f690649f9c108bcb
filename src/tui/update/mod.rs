//! `update(app, action) -> effects`: every change of the console's state, and nothing else.
//! No I/O happens here, so each flow is tested by feeding actions and reading the state.

mod batch;
mod command;
mod dialog;
mod job;
mod keep_choice;
mod maintenance;
mod monitor;
mod outcome;
mod phase;
mod reads;
mod summary;
mod typing;

use super::action::{Action, Effect};
use super::app::{App, Connection, Detail, Level, Recorded, Tab};
use super::words;

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
        Action::Key(key) => return command::on_key(app, key),
        Action::Resize(w, h) => app.size = (w, h),
        Action::Linted(Ok(findings)) => app.lint = findings,
        Action::Linted(Err(e)) => app.message = Some((Level::Error, words::not_linted(e))),
        Action::PlanRead { plan } => return reads::plan_read(app, plan),
        Action::PlanUnreadable(message) => reads::plan_unreadable(app, message),
        Action::Tick(elapsed) => {
            app.spinner = app.spinner.wrapping_add(1);
            if let Some(job) = &mut app.job {
                job.elapsed = elapsed;
            }
        }
        Action::Disconnected { attempt, error } => {
            app.connection = Connection::Reconnecting { attempt, error };
            app.seen = None;
        }
        Action::Connected {
            own,
            role,
            server_version,
        } => return reads::connected(app, own, role, server_version),
        Action::Indexes(report) => app.monitors.set_indexes(report),
        Action::Trash(kept) => {
            app.monitors.trash = Some(kept);
            app.monitors.clamp();
        }
        Action::Matviews(report) => {
            app.monitors.matviews = Some(report);
            app.monitors.clamp();
        }
        Action::Activity { activity, gauges } => {
            app.monitors.activity = Some(activity);
            app.monitors.activity_gauges = gauges;
            app.monitors.clamp();
        }
        Action::Watch(watch) => {
            if app.job.as_ref().is_some_and(|j| j.kind.phase()) {
                app.monitors.watch = Some(watch);
            }
        }
        Action::Batch(p) => batch::on_progress(app, p),
        Action::ReadFailed(message) => app.message = Some((Level::Error, message)),
        Action::Adoption(found) => reads::adoption(app, found),
        Action::Status { rows, holder } => {
            app.set_history(rows, holder);
            app.loaded = true;
        }
        Action::Refresh => {
            return match app.tab {
                // Lock waits and transaction ages go stale within seconds.
                Tab::Activity => vec![Effect::LoadActivity],
                _ => vec![Effect::PollChanges],
            };
        }
        Action::Changes(mark) => return reads::changes(app, mark),
        Action::LogIntegrity(found) => reads::log_integrity(app, found),
        Action::Events(events) => {
            app.events = events;
            app.results_from_log();
            app.clamp_selection();
        }
        Action::Progress(p) => outcome::on_progress(app, p),
        Action::Waiting(line) => {
            if let Some(job) = &mut app.job {
                job.waiting = line;
            }
        }
        Action::Impact {
            version,
            losses,
            downs,
            keep,
            unkept,
        } => reads::impact(app, version, losses, downs, (keep, unkept)),
        Action::Recorded { version, sql } => {
            if let Some(r) = &mut app.recorded
                && r.version == version
            {
                r.sql = Some(sql);
            }
        }
        Action::DetailRead { version, migration } => {
            if let Some(d) = &mut app.detail
                && d.version == version
            {
                d.migration = Some(migration);
            }
        }
        Action::ApplyFacts {
            version,
            findings,
            tables,
            kept,
            oversize,
        } => reads::apply_facts(app, version, findings, (tables, kept, oversize)),
        Action::Notice(text) => app.message = Some((Level::Info, words::notice(text))),
        Action::Done(outcome) => return outcome::on_done(app, outcome),
        Action::Failed(message) => return outcome::failed(app, message),
    }
    Vec::new()
}
