//! The engine's progress on stderr. Lines are written in batches: at the end of each phase,
//! and while one runs within a tenth of a second of being made, so a long statement shows at
//! once while a thousand short phases cost one write each instead of five (stderr is
//! unbuffered, and over SSH every write is a packet). A batched step gets a line of its own
//! every second while it runs, and one when it ends.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::Progress;
use crate::engine::batch::{BatchControl, BatchProgress, bytes_text};
use crate::text::Escaped;

/// How long a progress line may wait for company.
const LATENCY: Duration = Duration::from_millis(100);
/// How often a batched step's line is written while it runs.
const BATCH_EVERY: u32 = 10;

/// Owns the pending lines and the task that writes them; what is left is written on drop.
pub struct Printer {
    pending: Arc<Mutex<String>>,
    flusher: tokio::task::JoinHandle<()>,
    batches: BatchControl,
    /// The batched step's last line written.
    last: Arc<Mutex<Option<BatchProgress>>>,
}

impl Printer {
    /// Starts the flusher, which also writes the progress of batched steps steered by
    /// `batches`; call inside the runtime.
    pub fn start(batches: BatchControl) -> Printer {
        let pending = Arc::new(Mutex::new(String::new()));
        let last = Arc::new(Mutex::new(batches.progress()));
        let (lines, control, seen) = (pending.clone(), batches.clone(), last.clone());
        let flusher = tokio::spawn(async move {
            let mut tick = tokio::time::interval(LATENCY);
            let mut n = 0u32;
            loop {
                tick.tick().await;
                n = n.wrapping_add(1);
                if n.is_multiple_of(BATCH_EVERY) && control.is_running() {
                    batch_line(&lines, &seen, control.progress());
                }
                flush(&lines);
            }
        });
        Printer {
            pending,
            flusher,
            batches,
            last,
        }
    }

    /// The callback for the engine.
    pub fn sink(&self) -> impl FnMut(Progress) + Send + use<> {
        let pending = self.pending.clone();
        let (batches, last) = (self.batches.clone(), self.last.clone());
        let mut total = 0;
        move |p| {
            let now = matches!(p, Progress::PhaseDone { .. } | Progress::LockRetry { .. });
            // A batched step's last line comes before what follows it.
            if !batches.is_running()
                && matches!(
                    p,
                    Progress::Checks { .. }
                        | Progress::PhaseDone { .. }
                        | Progress::Statement { .. }
                )
            {
                batch_line(&pending, &last, batches.progress());
            }
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
        batch_line(&self.pending, &self.last, self.batches.progress());
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
        Progress::RecordedInTool { tool, versions } => format!("{}\n", recorded(tool, &versions)),
    }
}

/// Phases pgstep applied before it adopted `tool`'s table, recorded there.
pub(crate) fn recorded(tool: crate::adopt::Tool, versions: &[String]) -> String {
    format!(
        "recorded in {tool}'s table, applied by pgstep before it adopted it: {}",
        Escaped(&crate::text::list_of(versions, 20))
    )
}

/// Adds the batched step's line to `pending` unless it says what the last one said.
fn batch_line(
    pending: &Mutex<String>,
    last: &Mutex<Option<BatchProgress>>,
    now: Option<BatchProgress>,
) {
    let Some(p) = now else { return };
    let Ok(mut seen) = last.lock() else { return };
    if seen.as_ref() == Some(&p) {
        return;
    }
    if let Ok(mut s) = pending.lock() {
        s.push_str(&batch_text(&p));
    }
    *seen = Some(p);
}

/// `   batch 12/40 ranges, 600 rows, 1450 rows/s, ETA 2s, size 50, WAL 1.2MB; waiting: ...`
pub fn batch_text(p: &BatchProgress) -> String {
    let eta = p
        .eta
        .map_or("?".to_string(), |d| format!("{}s", d.as_secs()));
    let waiting = p
        .waiting
        .as_ref()
        .map_or(String::new(), |w| format!("; {}", Escaped(&w.to_string())));
    format!(
        "   batch {}/{} ranges, {} rows, {:.0} rows/s, ETA {eta}, size {}, WAL {}{waiting}\n",
        p.ranges_done,
        p.ranges_total,
        p.rows,
        p.rate,
        p.batch_size,
        bytes_text(p.wal_bytes),
    )
}
