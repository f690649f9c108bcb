//! The gauge of a running batched step, and the replication it watches.

pub fn batch_title(version: &str, step: Option<&str>) -> String {
    match step {
        Some(step) => format!(" Batches of {version} · {step} "),
        None => format!(" Batches of {version} "),
    }
}

pub fn batch_ranges(done: u64, total: u64, percent: f64) -> String {
    format!(" {done}/{total} ranges {percent:.0}%")
}

/// Rows, rate and time left, then the size and pause, each with the value asked for when
/// the engine has yet to take it.
pub fn batch_figures(
    p: &crate::engine::batch::BatchProgress,
    asked_size: Option<u64>,
    asked_pause: Option<std::time::Duration>,
) -> String {
    let eta = p.eta.map_or("?".to_string(), |d| {
        crate::engine::waits::age_text(d.as_secs() as i64)
    });
    let size = match asked_size.filter(|s| *s != p.batch_size) {
        Some(s) => format!("{} (then {s})", p.batch_size),
        None => p.batch_size.to_string(),
    };
    let ms = |d: std::time::Duration| format!("{} ms", d.as_millis());
    let pause = match asked_pause.filter(|d| *d != p.pause) {
        Some(d) => format!("{} (then {})", ms(p.pause), ms(d)),
        None => ms(p.pause),
    };
    format!(
        "{} rows · {:.0} rows/s · ETA {eta} · batch size {size} · pause {pause}",
        p.rows, p.rate
    )
}

pub const BATCH_RUNNING: &str = "running a batch";
pub const BATCH_PAUSING: &str = "pausing after the current batch";
pub const BATCH_RESUMING: &str = "resuming at the next look";

pub fn batch_paused(resume_key: &str) -> String {
    format!("paused by the operator: {resume_key} resumes")
}

/// The WAL written since the phase started and each standby's lag, for the status area.
pub fn replication(wal_bytes: u64, standbys: &[crate::monitor::replication::Standby]) -> String {
    use crate::engine::batch::bytes_text;
    let mut text = format!("WAL since it started {}", bytes_text(wal_bytes));
    if standbys.is_empty() {
        text.push_str(" · no standby");
    }
    for s in standbys {
        let bytes = s
            .lag_bytes
            .map_or("?".to_string(), |b| bytes_text(b.max(0) as u64));
        let time = s
            .replay_lag_ms
            .map_or(String::new(), |ms| format!(", {:.1}s", ms as f64 / 1000.0));
        let name = crate::text::escape(&s.name);
        text.push_str(&format!(" · standby {name} {bytes}{time} behind"));
    }
    text
}
