//! What a running job reports: its progress, and the result that alone ends it.

use super::monitor as um;
use crate::engine::Progress;
use crate::text::Escaped;
use crate::tui::action::{Effect, Outcome};
use crate::tui::app::{App, JobKind, Level};
use crate::tui::dialog::Modal;
use crate::tui::words;
use crate::tui::words::facts as w;

pub fn on_progress(app: &mut App, p: Progress) {
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
        Progress::RecordedInTool { tool, versions } => {
            app.message = Some((Level::Info, words::recorded_in_tool(tool, &versions)));
        }
    }
}

/// The job failed: it ends, and what it changed is read again.
pub fn failed(app: &mut App, message: String) -> Vec<Effect> {
    let kind = app.job.take().map(|j| j.kind);
    app.monitors.watch = None;
    app.message = Some((Level::Error, message));
    let mut reload = vec![Effect::LoadStatus, Effect::LoadEvents];
    reload.extend(kind.and_then(um::after));
    reload
}

pub fn on_done(app: &mut App, outcome: Outcome) -> Vec<Effect> {
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
                        (Some(why), _) => w::dry_statement(s.line, &head, why),
                        (None, Some(n)) => {
                            w::dry_statement(s.line, &head, w::dry_rows(n, s.millis))
                        }
                        (None, None) => w::dry_statement(s.line, &head, w::DRY_FAILED),
                    }
                })
                .collect();
            notes.extend(r.locks.iter().map(|(rel, modes)| w::dry_lock(rel, modes)));
            if let Some(e) = &r.error {
                notes.push(w::dry_error(Escaped(&e.to_string())));
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
