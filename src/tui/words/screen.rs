//! The screen's frame: the header's badges, the panes' titles and empty states, and the
//! filters being typed.

pub fn log_title(events: usize) -> String {
    format!(" Event log ({events} newest first) ")
}

pub const NO_EVENTS: &str = "no events yet";

pub const DETAIL_TITLE: &str = " Detail ";
pub const NO_MIGRATIONS: &str = "no migrations in the plan";
pub const NO_PHASE_MATCHES: &str = "no phase matches the filter";

pub fn too_small(size: (u16, u16), needs: (u16, u16), quit_key: &str) -> String {
    format!(
        "terminal too small: {}x{}, pgstep needs {}x{} ({quit_key} quits)",
        size.0, size.1, needs.0, needs.1
    )
}

pub const READ_ONLY_BADGE: &str = " READ-ONLY ";
pub const LOG_TAMPERED_BADGE: &str = " LOG TAMPERED ";
pub const CANCELLING: &str = "  cancelling...";

pub fn reconnecting_badge(attempt: u32) -> String {
    format!(" RECONNECTING ({attempt}) ")
}

pub fn lock_held_by(pid: i32, application: Option<&str>) -> String {
    format!("  lock held by pid {pid} ({})", application.unwrap_or("?"))
}

pub fn table_filter(text: &str) -> String {
    format!("table filter: {text}_")
}

/// The phase filter, with a cursor while it is typed.
pub fn phase_filter(text: &str, typing: bool) -> String {
    let cursor = if typing { "_" } else { "" };
    format!("filter: {text}{cursor}")
}
