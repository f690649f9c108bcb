//! What the console says in its status line and dialog hints, in one place: the wording of
//! a message is found, and changed, here rather than in the flows that send it.

use std::fmt::Display;

mod batch;
pub mod facts;
mod fleet;
pub mod phases;
pub mod reads;
pub mod status;
pub mod tabs;

pub use batch::*;
pub use fleet::*;

pub fn not_linted(e: impl Display) -> String {
    format!("the plan was not linted: {e}")
}

pub fn plan_read_again(phases: usize) -> String {
    format!("the plan was read again: {phases} phases")
}

pub fn plan_warnings(warnings: usize) -> String {
    format!("the plan has {warnings} warning(s): listed when you quit")
}

pub fn plan_kept(first_error: &str) -> String {
    format!("the plan was not read again, the one shown is kept: {first_error}")
}

pub fn notice(text: impl Display) -> String {
    format!("warning: {text}")
}

pub fn lock_retry(message: &str, attempt: impl Display, wait_secs: f64) -> String {
    format!("{message}: rolled back, retry {attempt} in {wait_secs:.1}s")
}

pub fn applied(versions: &[String]) -> String {
    format!("applied {}", versions.join(", "))
}

pub fn applied_title(version: &str, name: impl Display, millis: impl Display) -> String {
    format!("Applied {version} {name} in {millis} ms")
}

pub fn dry_run_title(version: &str, name: impl Display) -> String {
    format!("Dry run of {version} {name} (rolled back)")
}

pub fn verify_title(version: &str, name: impl Display) -> String {
    format!("Checks of {version} {name} now (read-only)")
}

/// A rollback's result, offering the restore of what it kept.
pub fn rolled_back(versions: &[String], kept: usize) -> String {
    if versions.is_empty() {
        "nothing to roll back".into()
    } else if kept > 0 {
        format!(
            "rolled back {}; kept {kept} cop(ies) of what it removed: the Trash tab restores them",
            versions.join(", ")
        )
    } else {
        format!("rolled back {}", versions.join(", "))
    }
}

pub fn marked(version: impl Display, applied: bool) -> String {
    let to = if applied { "applied" } else { "pending" };
    format!("phase {version} marked {to}")
}

pub fn accepted(version: impl Display) -> String {
    format!("phase {version}: changed file accepted")
}

pub const STILL_READING: &str = "the plan is still being read: wait for its phases";
pub const NOT_LOADED: &str = "the database's state is not loaded yet: wait for the connection";
pub const READER_BUSY: &str = "maintenance runs on the reading session: reload when it ends";
pub const READING_AGAIN: &str = "reading the plan again...";
pub const ALL_APPLIED: &str = "nothing to apply: every phase is applied";
pub const NOTHING_PENDING: &str = "nothing is pending: no phase to dry-run";
pub const WRITE_WHY: &str = "write why: the reason goes to the event log";

pub fn not_connected(error: &str, attempt: u32) -> String {
    format!("not connected ({error}); reconnecting, attempt {attempt}")
}

pub fn resolve_first(version: impl Display, state: &str, help_key: &str) -> String {
    format!(
        "phase {version} is {state}: resolve it first (select it and press {help_key} for its keys)"
    )
}

pub fn no_checks(version: impl Display) -> String {
    format!("phase {version} has no checks")
}

pub fn not_applied(version: impl Display) -> String {
    format!("phase {version} is not applied")
}

pub fn wrong_state(version: impl Display, state: &str, what: &str) -> String {
    format!("phase {version} is {state}: {what}")
}

pub const ONLY_DIRTY_RESUMES: &str = "only a dirty phase resumes";
pub const ONLY_DIRTY_OR_FAILED_MARKED: &str = "only a dirty or failed phase is marked";
pub const ONLY_DRIFTED_ACCEPTED: &str = "only a drifted phase has a diff to accept";

pub fn still_reading_phase(version: impl Display) -> String {
    format!("phase {version} is still being read: try again")
}

pub fn work_running(cancel_key: &str) -> String {
    format!("work is running: wait, or cancel it with {cancel_key}")
}

pub fn query_running(cancel_key: &str) -> String {
    format!("a query is still running: wait for it, or cancel it with {cancel_key}")
}

pub fn type_exactly(what: impl Display, submit_key: &str) -> String {
    format!("type {what} exactly, then {submit_key}")
}

pub fn the_version(version: impl Display) -> String {
    format!("the version {version}")
}

pub fn type_to_roll_back(version: impl Display, submit_key: &str) -> String {
    format!("type the version {version} and press {submit_key} to roll back")
}

pub fn typed_wrong(input: &str, version: impl Display) -> String {
    format!("`{input}` is not {version}: type {version} exactly")
}

pub fn rollback_reason(version: impl Display) -> String {
    format!("rolled back from the console to before {version}")
}

pub fn sorted_by(word: &str) -> String {
    format!("sorted by {word}")
}

pub fn showing_indexes(verdict: Option<&str>) -> String {
    match verdict {
        Some(v) => format!("showing {v} indexes"),
        None => "showing every index".into(),
    }
}

pub fn sessions_sorted_by(word: &str) -> String {
    format!("sessions sorted by {word}")
}

pub fn own_session(pid: i32) -> String {
    format!("pid {pid} is this console's own session: quit the console to end it")
}

pub fn nothing_to_cancel(pid: i32, state: &str) -> String {
    format!(
        "pid {pid} is {state}: it runs no statement, so there is nothing to cancel. \
         Terminating it ends its session, rolls back its transaction and releases its locks."
    )
}

pub const NO_INDEX: &str = "no index selected";
pub const NO_MATVIEW: &str = "no materialized view selected";
pub const NO_SESSION: &str = "no session selected";
pub const NO_KEPT: &str = "nothing kept";
pub const RESTORE_HOW: &str = "one transaction: the table or column is created again with its rows, constraints and indexes; refused if the schema has moved on";
pub const PURGE_HOW: &str = "the copies are dropped for good";
pub const TRASH_EMPTY: &str =
    "nothing kept: copies of what destructive statements remove appear here";

/// What a rollback keeps before it destroys, for its dialog: the size and about how long the
/// copy takes, or that nothing is kept, and what to do above `trash_max`.
pub fn kept_before(k: &crate::engine::keeping::Keeping, (on, max): (bool, u64)) -> Vec<String> {
    if k.is_empty() {
        return Vec::new();
    }
    if !on {
        return vec!["not kept: the profile says keep = false".into()];
    }
    let unmeasured = k.losses.iter().filter(|l| l.bytes.is_none()).count();
    let size = match unmeasured {
        0 => k.size(),
        n if n == k.losses.len() => "size not measured".to_string(),
        n => format!("{} and {n} object(s) not measured", k.size()),
    };
    let time = if unmeasured == k.losses.len() {
        String::new()
    } else {
        format!(" (about {} s to copy)", k.estimate.as_secs().max(1))
    };
    let mut lines = vec![format!(
        "kept in pgstep_trash before it goes: {} object(s), {size}{time}; the Trash tab \
         restores it",
        k.losses.len(),
    )];
    if k.bytes as u64 > max {
        lines.push(format!(
            "above trash_max ({}): once confirmed, choose to keep it anyway, keep nothing \
             (with a reason), or cancel",
            crate::engine::impact::size(max as i64)
        ));
    }
    lines
}

/// The title of the choice a copy above `trash_max` needs.
pub fn keep_choice_title(held: &crate::tui::dialog::Held) -> String {
    match held {
        crate::tui::dialog::Held::Apply(v) => format!(" Apply {v}: keep a copy above trash_max? "),
        crate::tui::dialog::Held::Rollback(v) => {
            format!(" Roll back to before {v}: keep a copy above trash_max? ")
        }
    }
}

/// What the copy is, before the choices.
pub fn keep_choice_facts(o: &crate::engine::keeping::Oversize) -> String {
    format!(
        "keeping what it removes takes a copy of {} (about {} s), above trash_max ({})",
        crate::engine::impact::size(o.bytes),
        o.estimate.as_secs().max(1),
        crate::engine::impact::size(o.max as i64),
    )
}

pub const KEEP_ANYWAY: &str =
    " keep anyway: each copy is made in the statement's transaction, right before it";
pub const KEEP_NONE: &str = " do not keep: what it removes goes for good; you type why";
pub const KEEP_CANCEL: &str = " cancel: nothing runs";
pub const KEEP_REASON_LABEL: &str = "why nothing is kept (goes to the event log): ";

pub fn keep_reason_needed(submit_key: &str) -> String {
    format!("type why nothing is kept, then {submit_key}")
}

/// A phase of a rollback whose header says `Keep: no`: what its DOWN removes goes for good.
pub fn phase_not_kept(version: impl Display, reason: &str) -> String {
    format!("not kept, phase {version} says Keep: no: {reason}")
}

/// A phase whose header says `Keep: no`.
pub fn not_kept(reason: &str) -> Vec<String> {
    vec![format!("not kept (Keep: no): {reason}")]
}

/// A copy a phase kept, as its history row records it, for the phase's detail.
pub fn history_kept(k: &crate::trash::KeptRecord) -> String {
    format!(
        "#{} {} {}, {} rows, {} ({})",
        k.id,
        k.kind.word(),
        crate::text::Escaped(&k.object),
        k.rows,
        crate::engine::impact::size(k.bytes),
        crate::text::Escaped(k.statement.trim())
    )
}

/// One kept copy, as the Trash tab and its dialogs show it.
pub fn kept_line(k: &crate::trash::Kept) -> String {
    format!(
        "#{} {} {}, phase {}, {} rows, {}, kept {}",
        k.id,
        k.kind.word(),
        k.object,
        k.phase,
        k.rows,
        crate::engine::impact::size(k.bytes),
        k.kept_at.format("%Y-%m-%d %H:%M")
    )
}

pub fn index_valid(index: &str) -> String {
    format!("{index} is valid: only an invalid index is rebuilt")
}

pub fn index_in_use(index: &str) -> String {
    format!("{index} is in use: only an unused, invalid, duplicate or covered index is dropped")
}

pub fn index_enforces(index: &str) -> String {
    format!("{index} enforces a constraint or uniqueness: drop it with a migration")
}

/// What the adoption dialog shows of what was read, one fact a line.
pub fn adoption_facts(a: &crate::adopt::Adopted) -> Vec<String> {
    vec![
        format!(
            "this database was migrated by {}: its table {}",
            a.tool, a.table
        ),
        format!(
            "{} version(s) recorded there, the newest {}",
            a.versions,
            a.newest.as_deref().unwrap_or("none")
        ),
        "pgstep reads that table as the record of what is applied, and writes the tool's own \
         record with every change it makes, so the tool finds nothing to do afterwards"
            .to_string(),
    ]
}

pub const ADOPTION_TITLE: &str = " First change since adopting the project's tool ";

pub const ADOPTION_PROMPT: &str = "type the tool's name to confirm: ";

/// Whose record a phase's state comes from, for its detail.
pub fn state_source(source: crate::phases::Source, table: &str) -> String {
    match source {
        crate::phases::Source::Tool(tool) => format!("{tool}'s table {table}"),
        crate::phases::Source::Pgstep => "pgstep's history".to_string(),
    }
}

/// The list of keys' title; `scroll` names the keys that scroll it, when it does.
pub fn help_title(scroll: Option<(String, String)>) -> String {
    match scroll {
        Some((down, up)) => format!(" Keys ({down} {up} scroll, any other key closes) "),
        None => " Keys (any key closes) ".to_string(),
    }
}

/// What a scrolled view has out of sight: `above` rows above it and `below` below.
pub fn more_rows(above: usize, below: usize) -> String {
    match (above, below) {
        (0, n) => format!("  ... {n} more line(s) below"),
        (n, 0) => format!("  ... {n} line(s) above"),
        (a, b) => format!("  ... {a} line(s) above, {b} below"),
    }
}

/// The last line of a query's result: how many rows, which are shown, and how to see more.
pub fn result_rows(total: usize, first: usize, shown: usize, keys: &str) -> String {
    if shown >= total {
        format!("{total} row(s)")
    } else {
        format!(
            "rows {}-{} of {total} ({keys} scrolls)",
            first + 1,
            first + shown
        )
    }
}

pub const RESULT_TITLE: &str = " result ";

pub fn run_query_hint(run_key: &str) -> String {
    format!("{run_key} runs the query in a read-only transaction")
}

pub fn checks_out_of_sight(above: usize, below: usize) -> String {
    format!("  ... {above} check(s) above, {below} below")
}

pub const CANCEL_BUTTON: &str = " Cancel ";

pub fn apply_or_cancel(yes_key: &str, no_key: &str) -> String {
    format!("{yes_key} apply · {no_key} cancel")
}

pub const TYPE_TO_APPLY: &str = "type the version to apply: ";

pub fn apply_title(version: impl Display) -> String {
    format!(" Apply phase {version}? ")
}

pub const MARK_APPLIED: &str = " applied (its statements did run)";
pub const MARK_NOT_APPLIED: &str = "  (not applied: its transaction rolled back)";
pub const MARK_PENDING: &str = " pending (nothing of it remains)";

pub fn mark_question(version: impl Display) -> String {
    format!("Record phase {version} without running any SQL as:")
}

pub fn mark_title(version: impl Display) -> String {
    format!(" Mark {version} ")
}

/// The statement-in-doubt dialog's question, a line each.
pub fn in_doubt_question(statement: impl Display, version: impl Display) -> [String; 3] {
    [
        format!("Statement {statement} of phase {version} had been sent when pgstep lost its"),
        "session: it may have taken effect. pgstep asks the database first; if it".into(),
        "cannot tell, your word decides:".into(),
    ]
}

pub const IN_DOUBT_ASK: &str = " let the database decide (stop if it cannot tell)";
pub const IN_DOUBT_DONE: &str = " it took effect: go on after it";
pub const IN_DOUBT_RERUN: &str = " it did not: run it again";

pub fn resume_title(version: impl Display) -> String {
    format!(" Resume {version} ")
}

pub const REASON_LABEL: &str = "reason (goes to the event log): ";
pub const TYPED_VERSION_LABEL: &str = "type the version to confirm:    ";
pub const CANCEL_TITLE: &str = " Cancel? ";
pub const QUIT_TITLE: &str = " Quit? ";

pub fn cancel_question(yes_key: &str, no_key: &str) -> String {
    format!("Cancel the running statement on the server? {yes_key} yes · {no_key} no")
}

pub fn quit_question(yes_key: &str, no_key: &str) -> String {
    format!("Work is running. Cancel it on the server and quit?\n{yes_key} yes · {no_key} no")
}

pub const NO_CHECKS: &str = "no checks";

pub fn editor_title(check: &str) -> String {
    format!(" Check `{check}`: edit and run read-only (never saved) ")
}

pub fn diff_title(version: impl Display) -> String {
    format!(" {version}: applied (-) against the file (+) ")
}

pub fn rollback_more(hidden: impl Display) -> String {
    format!("  ... {hidden} more line(s) (↓ scrolls)")
}

pub fn rollback_above(skipped: impl Display) -> String {
    format!("  ... {skipped} line(s) above (↑ scrolls back)")
}

pub const WHAT_IT_DESTROYS: &str = "what it destroys:";
pub const MEASURING: &str = "  measuring...";
pub const NOTHING_DROPPED: &str = "  no table, column or rows dropped";
pub const READING_ITS_FILE: &str = "  reading its file...";
pub const NOT_SHOWN: &str = "  not shown";
pub const NO_DOWN_IN_FILE: &str = "  no DOWN in the file";
pub const TYPE_TO_ROLL_BACK: &str = "type the version to roll back: ";

pub fn down_of(version: impl Display, name: impl Display) -> String {
    format!("DOWN of {version} {name}")
}

pub fn rollback_title(version: impl Display) -> String {
    format!(" Roll back to before {version}? ")
}

pub fn rolled_back_newest_first(phases: usize) -> String {
    format!("{phases} phase(s) will be rolled back, newest first: ")
}

pub fn and_more(n: usize) -> String {
    format!(", ... and {n} more")
}

pub fn progress_title(gauges: usize) -> String {
    format!(" Progress ({gauges}) ")
}

pub const NO_LONG_STATEMENT: &str = "no long statement runs";
pub const NO_SESSION_LISTED: &str = "no session";

pub fn sessions_out_of_sight(above: usize, below: usize) -> String {
    format!("  ... {above} session(s) above, {below} below")
}

pub fn log_title(events: usize) -> String {
    format!(" Event log ({events} newest first) ")
}

pub const NO_EVENTS: &str = "no events yet";

pub fn matviews_title(views: usize, stale: usize) -> String {
    format!(" Materialized views ({views}, {stale} stale) ")
}

pub const NO_MATVIEWS: &str = "no materialized views in this database";
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
