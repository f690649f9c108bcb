//! The choice a copy above `trash_max` needs before an apply or rollback runs: keep it
//! anyway, keep nothing for a typed reason, or cancel. The choice goes to the engine as the
//! CLI's `--keep` and `--no-keep REASON` do.

use ratatui::crossterm::event::KeyEvent;

use super::job::{down_to, start};
use super::typing::edit;
use crate::engine::keeping::{KeepChoice, Oversize};
use crate::tui::action::Effect;
use crate::tui::app::{App, JobKind};
use crate::tui::dialog::{Held, Modal};
use crate::tui::keymap::{Command, Context};
use crate::tui::words;

/// A confirmed apply or rollback: runs it, or asks first when its copy is above `trash_max`.
pub fn run_or_ask(
    app: &mut App,
    held: Held,
    oversize: Option<Oversize>,
) -> (Option<Modal>, Vec<Effect>) {
    match oversize {
        Some(oversize) => {
            let modal = Modal::KeepChoice {
                held,
                oversize,
                reason: None,
                hint: None,
            };
            (Some(modal), Vec::new())
        }
        None => (None, run(app, held, KeepChoice::UpToMax)),
    }
}

/// Starts the held run with `keep`.
fn run(app: &mut App, held: Held, keep: KeepChoice) -> Vec<Effect> {
    match held {
        Held::Apply(to) => {
            start(app, JobKind::Apply, Some(to.clone()));
            vec![Effect::Apply { to, keep }]
        }
        Held::Rollback(version) => {
            start(app, JobKind::Rollback, Some(version.clone()));
            let target = down_to(app, &version);
            let reason = words::rollback_reason(&version);
            vec![Effect::Rollback {
                target,
                reason,
                keep,
            }]
        }
    }
}

/// A key in the choice: `cmd` is what the binding table makes of it (in
/// [`Context::KeepChoice`] while choosing, [`Context::Typed`] while the reason is typed).
pub fn on_key(
    app: &mut App,
    key: &KeyEvent,
    cmd: Option<Command>,
    (held, oversize): (Held, Oversize),
    reason: Option<String>,
) -> (Option<Modal>, Vec<Effect>) {
    let ask = |reason, hint| {
        let modal = Modal::KeepChoice {
            held: held.clone(),
            oversize,
            reason,
            hint,
        };
        (Some(modal), Vec::new())
    };
    match (cmd, reason) {
        (Some(Command::Back), _) => (None, Vec::new()),
        (Some(Command::KeepAnyway), None) => (None, run(app, held, KeepChoice::Anyway)),
        (Some(Command::KeepNone), None) => ask(Some(String::new()), None),
        (_, None) => ask(None, None),
        (Some(Command::Submit), Some(reason)) if reason.trim().is_empty() => {
            let submit = app.keymap.key_of(Context::Typed, Command::Submit);
            ask(
                Some(String::new()),
                Some(words::keep_reason_needed(&submit)),
            )
        }
        (Some(Command::Submit), Some(reason)) => {
            let reason = reason.trim().to_string();
            (None, run(app, held, KeepChoice::No { reason }))
        }
        (_, Some(mut reason)) => {
            edit(&mut reason, key);
            ask(Some(reason), None)
        }
    }
}
