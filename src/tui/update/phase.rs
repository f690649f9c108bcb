//! The commands on the selected phase: apply the next one, dry-run, verify, roll back,
//! resume, mark, diff and accept. Each opens its dialog or starts its job.

use super::job::{busy, down_to, start};
use super::summary;
use crate::engine::PhaseState;
use crate::plan::Version;
use crate::tui::action::Effect;
use crate::tui::app::{App, JobKind, Level};
use crate::tui::dialog::{Field, Modal, ReasonFor, UndoLine};
use crate::tui::keymap::{Command, Context};
use crate::tui::words;

pub fn apply_next(app: &mut App) -> Vec<Effect> {
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

pub fn phase_job(app: &mut App, cmd: Command) -> Vec<Effect> {
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

pub fn rollback(app: &mut App) -> Vec<Effect> {
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
    let target = down_to(app, &p.version);
    vec![Effect::LoadImpact {
        version: p.version,
        target,
        rows: app.rows.clone(),
    }]
}

pub fn decide(app: &mut App, cmd: Command) -> Vec<Effect> {
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
                None => reason_dialog(ReasonFor::Resume(None), v.clone()),
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
            app.modal = Some(reason_dialog(ReasonFor::Accept, v.clone()));
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

pub fn reason_dialog(purpose: ReasonFor, version: Version) -> Modal {
    Modal::Reason {
        purpose,
        version,
        reason: String::new(),
        typed: String::new(),
        field: Field::Reason,
        hint: None,
    }
}
