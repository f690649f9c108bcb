//! Starting work, refusing to start more while work runs, and where a rollback goes down to:
//! shared by every flow.

use crate::engine::DownTarget;
use crate::plan::Version;
use crate::tui::app::{App, Job, JobKind, Level};
use crate::tui::keymap::{Command, Context};
use crate::tui::words;

/// Marks `kind` of work as running, clearing the last message.
pub fn start(app: &mut App, kind: JobKind, version: Option<Version>) {
    app.job = Some(Job {
        kind,
        version,
        elapsed: std::time::Duration::ZERO,
        statements: 0,
        statement: None,
        line: None,
        step: None,
        waiting: None,
        retry: None,
        cancelling: false,
        target: None,
        batch: None,
        steering: Default::default(),
    });
    app.message = None;
}

/// Whether work runs; then says so, with the key that cancels it.
pub fn busy(app: &mut App) -> bool {
    if app.job.is_some() {
        let cancel = app.keymap.key_of(Context::Running, Command::CancelJob);
        let text = words::work_running(&cancel);
        app.message = Some((Level::Info, text));
        return true;
    }
    false
}

/// The applied phase just before `version`, which `down --to` keeps.
/// Rolling back `version` and every applied phase after it: down to the applied phase
/// before it, or all of them.
pub fn down_to(app: &App, version: &Version) -> DownTarget {
    let before = app
        .phases
        .iter()
        .filter(|p| p.version < *version && p.recorded())
        .map(|p| p.version.clone())
        .next_back();
    before.map_or(DownTarget::All, DownTarget::To)
}
