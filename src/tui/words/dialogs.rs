//! The dialogs' titles, questions, choices and the lines that say what is out of sight.

use std::fmt::Display;

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
