//! What the console says in its status line and dialog hints, in one place: the wording of
//! a message is found, and changed, here rather than in the flows that send it.

use std::fmt::Display;

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
        0 => crate::engine::impact::size(k.bytes),
        n if n == k.losses.len() => "size not measured".to_string(),
        n => format!(
            "{} and {n} object(s) not measured",
            crate::engine::impact::size(k.bytes)
        ),
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
            "above trash_max ({}): the rollback stops before it changes anything; choose with \
             `pgstep down --keep` or `--no-keep REASON`",
            crate::engine::impact::size(max as i64)
        ));
    }
    lines
}

/// A phase whose header says `Keep: no`.
pub fn not_kept(reason: &str) -> Vec<String> {
    vec![format!("not kept (Keep: no): {reason}")]
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

pub fn fleet_title(name: &str, targets: usize, servers: usize, head: Option<&str>) -> String {
    let head = head.map_or_else(|| "an empty plan".to_owned(), |v| format!("plan head {v}"));
    format!(" Fleet {name}: {targets} target(s) on {servers} server(s), {head} ")
}

/// Each wave's targets at the plan's head, as `at/of`.
pub fn fleet_waves(progress: &[(usize, usize)], canary: bool) -> String {
    let parts: Vec<String> = progress
        .iter()
        .enumerate()
        .map(|(k, (at, of))| {
            if k == 0 && canary {
                format!("canary {at}/{of}")
            } else {
                format!("{at}/{of}")
            }
        })
        .collect();
    format!("waves at head: {}", parts.join(" · "))
}

pub fn fleet_counts(counts: &[(&str, usize)]) -> String {
    let parts: Vec<String> = counts.iter().map(|(c, n)| format!("{n} {c}")).collect();
    format!("now: {}", parts.join(", "))
}

pub const FLEET_TARGET: &str = "TARGET";
pub const FLEET_WAVE: &str = "WAVE";
pub const FLEET_STATE: &str = "STATE";
pub const FLEET_NONE_MATCH: &str = "no target matches the filter";

pub fn fleet_filter(text: &str) -> String {
    format!("filter: {text}")
}

pub fn fleet_shown(shown: usize, all: usize) -> String {
    format!("{shown} of {all} target(s) shown")
}
