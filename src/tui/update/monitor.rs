//! `update` for the monitoring tabs: their reports arriving, their keys, and the maintenance
//! they start. Pure, like the rest of `update`.

use super::job::busy;
use super::maintenance as dm;
use crate::tui::action::Effect;
use crate::tui::app::{App, JobKind, Level, Tab};
use crate::tui::keymap::Command;
use crate::tui::words;

/// The effect that (re)loads `tab`'s data.
pub fn load(tab: Tab) -> Vec<Effect> {
    match tab {
        Tab::Phases => vec![Effect::LoadStatus, Effect::LoadEvents],
        Tab::Log => vec![Effect::LoadEvents],
        Tab::Indexes => vec![Effect::LoadIndexes],
        Tab::Matviews => vec![Effect::LoadMatviews],
        Tab::Activity => vec![Effect::LoadActivity],
        Tab::Trash => vec![Effect::LoadTrash],
    }
}

/// Loading a monitoring tab while maintenance runs on the reader session would queue behind
/// it (or, for a statement that must run outside a transaction, get in its way): the tab is
/// reloaded when the maintenance ends.
pub fn reader_busy(app: &App) -> bool {
    app.job.as_ref().is_some_and(|j| j.kind.maintenance())
}

/// The tab reloaded after a maintenance job of `kind`.
pub fn after(kind: JobKind) -> Option<Effect> {
    use JobKind as K;
    match kind {
        K::DropIndex | K::Reindex => Some(Effect::LoadIndexes),
        K::Refresh => Some(Effect::LoadMatviews),
        K::CancelBackend | K::TerminateBackend => Some(Effect::LoadActivity),
        K::Restore | K::Purge => Some(Effect::LoadTrash),
        _ => None,
    }
}

/// Moves the selection of a monitoring tab.
pub fn move_selection(app: &mut App, cmd: Command, page: usize) {
    let len = app.monitors.len(app.tab);
    let Some(pos) = app.monitors.selection(app.tab) else {
        return;
    };
    *pos = moved(*pos, len, page, cmd);
}

/// Where a list's selection at `pos` of `len` rows goes on a movement key, `page` rows a page:
/// every list of the console (phases, log, monitoring tabs) moves alike.
pub fn moved(pos: usize, len: usize, page: usize, cmd: Command) -> usize {
    let last = len.saturating_sub(1);
    match cmd {
        Command::Down => (pos + 1).min(last),
        Command::Up => pos.saturating_sub(1),
        Command::PageDown => (pos + page).min(last),
        Command::PageUp => pos.saturating_sub(page),
        Command::Top => 0,
        _ => last,
    }
}

fn refuse(app: &mut App, text: String) -> Vec<Effect> {
    app.message = Some((Level::Info, text));
    Vec::new()
}

/// The commands only the monitoring tabs have.
pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let m = &mut app.monitors;
    match cmd {
        Command::CycleSort if app.tab == Tab::Activity => {
            m.cycle_session_sort();
            let text = words::sessions_sorted_by(words::tabs::session_sort(m.session_sort));
            app.message = Some((Level::Info, text));
            return Vec::new();
        }
        Command::CycleSort => {
            m.cycle_sort();
            let text = words::sorted_by(crate::tui::monitor::sort_word(m.index_sort));
            app.message = Some((Level::Info, text));
            return Vec::new();
        }
        Command::CycleVerdict => {
            m.cycle_verdict();
            let text = match m.index_verdict {
                Some(v) => words::showing_indexes(Some(v.word())),
                None => words::showing_indexes(None),
            };
            app.message = Some((Level::Info, text));
            return Vec::new();
        }
        _ => {}
    }
    if busy(app) {
        return Vec::new();
    }
    match cmd {
        Command::DropIndex | Command::RebuildIndex => {
            let Some(i) = app.monitors.selected_index().cloned() else {
                return refuse(app, words::NO_INDEX.into());
            };
            let rebuild = cmd == Command::RebuildIndex;
            if rebuild && !i.invalid {
                let text = words::index_valid(&i.index);
                return refuse(app, text);
            }
            if !rebuild && (i.verdict_text().is_empty() || i.building) {
                let text = words::index_in_use(&i.index);
                return refuse(app, text);
            }
            if !rebuild && i.enforces_something() {
                let text = words::index_enforces(&i.index);
                return refuse(app, text);
            }
            app.modal = Some(dm::index_dialog(&i, rebuild));
        }
        Command::RestoreKept => {
            let sel = app.monitors.trash_selected;
            let Some(k) = app
                .monitors
                .trash
                .as_ref()
                .and_then(|t| t.get(sel))
                .cloned()
            else {
                return refuse(app, words::NO_KEPT.into());
            };
            app.modal = Some(dm::restore_dialog(&k));
        }
        Command::PurgeKept => {
            let kept = app.monitors.trash.clone().unwrap_or_default();
            if kept.is_empty() {
                return refuse(app, words::NO_KEPT.into());
            }
            app.modal = Some(dm::purge_dialog(&kept));
        }
        Command::RefreshMatview => {
            let sel = app.monitors.matview_selected;
            let Some(v) = app
                .monitors
                .matviews
                .as_ref()
                .and_then(|r| r.matviews.get(sel))
                .cloned()
            else {
                return refuse(app, words::NO_MATVIEW.into());
            };
            app.modal = Some(dm::matview_dialog(&v));
        }
        Command::CancelBackend | Command::TerminateBackend => {
            let Some(s) = app.monitors.selected_session().cloned() else {
                return refuse(app, words::NO_SESSION.into());
            };
            if app.monitors.own.contains(&s.pid) {
                return refuse(app, words::own_session(s.pid));
            }
            // A cancel stops a running statement: a session that runs none would report a
            // cancel that changed nothing, so it is offered the terminate that would act.
            let running = matches!(
                s.state.as_deref(),
                Some("active" | "fastpath function call")
            );
            let terminate = cmd == Command::TerminateBackend || !running;
            let mut modal = dm::session_dialog(&s, terminate);
            if cmd == Command::CancelBackend && !running {
                let state = s.state.as_deref().unwrap_or(words::tabs::NOT_RUNNING);
                if let crate::tui::dialog::Modal::Maintain { facts, .. } = &mut modal {
                    facts.insert(0, words::nothing_to_cancel(s.pid, state));
                }
            }
            app.modal = Some(modal);
        }
        _ => {}
    }
    Vec::new()
}
