//! What is kept before a statement destroys it: the rollback dialog's lines, the choice
//! above trash_max, the Trash tab and a phase's kept copies.

use std::fmt::Display;

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
