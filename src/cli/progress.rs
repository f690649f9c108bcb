//! The engine's progress on stderr. Lines are written in batches: at the end of each phase,
//! and while one runs within a tenth of a second of being made, so a long statement shows at
//! once while a thousand short phases cost one write each instead of five (stderr is
//! unbuffered, and over SSH every write is a packet).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::Progress;
use crate::text::Escaped;

/// How long a progress line may wait for company.
const LATENCY: Duration = Duration::from_millis(100);

/// Owns the pending lines and the task that writes them; what is left is written on drop.
pub struct Printer {
    pending: Arc<Mutex<String>>,
    flusher: tokio::task::JoinHandle<()>,
}

impl Printer {
    /// Starts the flusher; call inside the runtime.
    pub fn start() -> Printer {
        let pending = Arc::new(Mutex::new(String::new()));
        let lines = pending.clone();
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(LATENCY);
            loop {
                tick.tick().await;
                flush(&lines);
            }
        });
        Printer { pending, flusher }
    }

    /// The callback for the engine.
    pub fn sink(&self) -> impl FnMut(Progress) + Send + use<> {
        let pending = self.pending.clone();
        let mut total = 0;
        move |p| {
            let now = matches!(p, Progress::PhaseDone { .. } | Progress::LockRetry { .. });
            let line = line(&mut total, p);
            if let Ok(mut s) = pending.lock() {
                s.push_str(&line);
            }
            if now {
                flush(&pending);
            }
        }
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.flusher.abort();
        flush(&self.pending);
    }
}

fn flush(pending: &Mutex<String>) {
    let Ok(mut s) = pending.lock() else { return };
    if !s.is_empty() {
        let _ = std::io::stderr().write_all(s.as_bytes());
        s.clear();
    }
}

/// One event as a line; `total` carries the phase's statement count to its statements.
fn line(total: &mut usize, p: Progress) -> String {
    match p {
        Progress::PhaseStarted {
            version,
            name,
            statements,
        } => {
            *total = statements;
            let name = Escaped(&name);
            format!("-> {version} {name}: {statements} statement(s)\n")
        }
        Progress::Statement {
            index, line, step, ..
        } => {
            let step = step
                .map(|s| format!(" ({})", Escaped(&s)))
                .unwrap_or_default();
            format!("   [{}/{total}] line {line}{step}\n", index + 1)
        }
        Progress::LockRetry {
            attempt,
            wait,
            message,
            ..
        } => format!(
            "   lock not granted ({}); nothing kept, retry {attempt} in {:.1}s\n",
            Escaped(&message),
            wait.as_secs_f64()
        ),
        Progress::Checks { outcomes, .. } => {
            let failed = outcomes.iter().filter(|o| o.failed()).count();
            format!("   {} check(s), {failed} failed\n", outcomes.len())
        }
        Progress::PhaseDone { millis, .. } => format!("   done in {millis} ms\n"),
    }
}
