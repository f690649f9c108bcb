//! What the background reads bring: the plan, the sessions coming and going, the history
//! and the log, the monitoring reports, and the facts the dialogs wait for. A failed read
//! says so where its data would be and never touches a running job.

use std::sync::Arc;

use super::summary;
use crate::engine::ChangeMark;
use crate::engine::impact::Loss;
use crate::engine::keeping::Oversize;
use crate::plan::{Plan, Version};
use crate::tui::action::{Effect, Unkept};
use crate::tui::app::{Adoption, App, Connection, Level};
use crate::tui::dialog::Modal;
use crate::tui::words;

/// A plan read (again): a reload keeps the selection's place and says what it found.
pub fn plan_read(app: &mut App, plan: Arc<Plan>) -> Vec<Effect> {
    let warnings = plan.warnings.len();
    let again = app.reading.is_none();
    app.set_plan(plan, Vec::new());
    // The tool's checksums are of the files: read again with them. At start, the history
    // waits for the plan when the sessions came first (see `connected`).
    let first_with_sessions = !again && app.connection == Connection::Up;
    let effects = if app.adoption.is_some() || first_with_sessions {
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

/// A plan with errors: read again on reload, it leaves the one already shown in place;
/// at start the console ends and says them.
pub fn plan_unreadable(app: &mut App, message: String) {
    if app.reading.is_none() {
        let first = message.lines().next().unwrap_or_default();
        let text = words::plan_kept(first);
        app.message = Some((Level::Error, text));
    } else {
        app.plan_error = Some(message);
        app.quit = true;
    }
}

/// The sessions are up: everything shown is read again.
pub fn connected(
    app: &mut App,
    own: Vec<i32>,
    role: String,
    server_version: String,
) -> Vec<Effect> {
    app.connection = Connection::Up;
    app.monitors.own = own;
    app.header.role = role;
    app.header.server_version = server_version;
    // The monitoring tabs appear once their first load answers.
    let mut effects = vec![
        Effect::LoadEvents,
        Effect::LoadIndexes,
        Effect::LoadMatviews,
        Effect::LoadActivity,
        Effect::LoadTrash,
    ];
    // The history is merged with the plan, so it is read once the plan is: until then it
    // would only take memory while the plan is read and linted.
    if app.reading.is_none() {
        effects.insert(0, Effect::LoadStatus);
    }
    effects
}

pub fn adoption(app: &mut App, found: Option<Box<Adoption>>) {
    // A confirmation given in this console holds until the log says so too.
    let confirmed = app.adoption.as_ref().is_some_and(|a| !a.unconfirmed);
    app.adoption = found.map(|a| {
        let mut a = *a;
        a.unconfirmed &= !confirmed;
        a
    });
}

/// The newest event id: the history is read again when it moved.
pub fn changes(app: &mut App, mark: ChangeMark) -> Vec<Effect> {
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

pub fn log_integrity(app: &mut App, found: Vec<crate::engine::integrity::Finding>) {
    if !found.is_empty() && found != app.log_tampered {
        let said = crate::engine::integrity::describe(&found);
        app.message = Some((Level::Error, said));
    }
    app.log_tampered = found;
}

/// What a rollback would destroy and keep, and the DOWN SQL of each phase, into the open
/// rollback dialog if it is still the one they were read for.
pub fn impact(
    app: &mut App,
    version: Version,
    losses: Vec<Loss>,
    downs: Vec<(Version, Vec<String>)>,
    (keep, unkept): ((bool, u64), Vec<Unkept>),
) {
    let Some(Modal::Rollback {
        version: v,
        impact,
        phases,
        oversize,
        ..
    }) = &mut app.modal
    else {
        return;
    };
    if *v != version {
        return;
    }
    let mut lines: Vec<String> = losses.iter().map(crate::engine::impact::describe).collect();
    let kept: Vec<Loss> = losses
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

/// The weighed lint findings and table facts of the phase the apply dialog shows.
pub fn apply_facts(
    app: &mut App,
    version: Version,
    findings: Vec<crate::lint::Finding>,
    (tables, kept, oversize): (Vec<String>, Vec<String>, Option<Oversize>),
) {
    app.lint
        .retain(|f| Version::parse(&f.version).as_ref() != Some(&version));
    app.lint.extend(findings);
    let Some(mut summary) = summary::of(app, &version, Some(&tables)) else {
        return;
    };
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
