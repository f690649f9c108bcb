//! The keys outside dialogs: help, the filter, the tabs, moving, and the commands that
//! start work.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::job::busy;
use super::{batch, dialog, monitor as um, phase};
use crate::tui::action::Effect;
use crate::tui::app::{App, Connection, Level, Tab};
use crate::tui::dialog::Modal;
use crate::tui::keymap::Command;
use crate::tui::words;

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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

pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
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
            *pos = um::moved(*pos, len, page, cmd);
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
        Command::ApplyNext => return phase::apply_next(app),
        Command::DryRun => return phase::phase_job(app, Command::DryRun),
        Command::Verify => return phase::phase_job(app, Command::Verify),
        Command::Rollback => return phase::rollback(app),
        Command::Resume | Command::Mark | Command::Diff | Command::Accept => {
            return phase::decide(app, cmd);
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
