//! Steering a running batched step: its progress as the engine publishes it, and the keys
//! that pause it, resume it, and change its batch size and the pause between batches. The
//! engine takes each change between batches and writes it to the event log.

use std::time::Duration;

use crate::engine::batch::BatchProgress;
use crate::tui::action::{Effect, Steer};
use crate::tui::app::App;
use crate::tui::keymap::Command;

/// The pause `>` starts from when there is none.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// The longest pause `>` lengthens it to: a longer one is a pause.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// A pause `<` shortens below this becomes none.
const MIN_PAUSE: Duration = Duration::from_millis(10);

/// The engine's newest progress, kept with the phase job it belongs to.
pub fn on_progress(app: &mut App, p: BatchProgress) {
    if let Some(job) = app.job.as_mut().filter(|j| j.kind.phase()) {
        job.batch = Some(p);
    }
}

/// A steering key: the change, computed from what was last asked (or, before anything
/// was, from the step's progress), so two quick presses make two steps.
pub fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
    let Some(job) = app.job.as_mut() else {
        return Vec::new();
    };
    let Some(p) = &job.batch else {
        return Vec::new();
    };
    let s = &mut job.steering;
    let steer = match cmd {
        Command::BatchPause => {
            s.paused = !s.paused;
            if s.paused {
                Steer::Pause
            } else {
                Steer::Resume
            }
        }
        Command::BatchBigger | Command::BatchSmaller => {
            let now = s.batch_size.unwrap_or(p.batch_size).max(1);
            let size = if cmd == Command::BatchBigger {
                now.saturating_mul(2)
            } else {
                (now / 2).max(1)
            };
            s.batch_size = Some(size);
            Steer::BatchSize(size)
        }
        Command::PauseLonger | Command::PauseShorter => {
            let now = s.pause.unwrap_or(p.pause);
            let pause = match cmd {
                Command::PauseLonger if now.is_zero() => FIRST_PAUSE,
                Command::PauseLonger => (now * 2).min(MAX_PAUSE),
                _ if now / 2 < MIN_PAUSE => Duration::ZERO,
                _ => now / 2,
            };
            s.pause = Some(pause);
            Steer::Between(pause)
        }
        _ => return Vec::new(),
    };
    vec![Effect::Steer(steer)]
}
