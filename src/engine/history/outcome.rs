//! What an event of the log came to: one variant per word pgstep writes in the log's outcome
//! column, and an outcome read back, which may be text pgstep does not write.

use std::fmt;

/// An outcome pgstep writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// A dry run without error, or the log's first event.
    Ok,
    Passed,
    NotJudged,
    Failed,
    CheckFailed,
    Dirty,
    Cancelled,
    Terminated,
    /// The signal to another session was not delivered (it had ended).
    NotSent,
    Started,
    Retrying,
    RolledBack,
    RollbackFailed,
    /// A cancelled transactional rollback: the phase is still applied.
    RollbackUndone,
    /// A cancelled rollback outside a transaction: part of its DOWN ran.
    RollingBack,
    Accepted,
    Pending,
    Done,
    NotDone,
    Dropped,
    Rebuilt,
    Refreshed,
    Kept,
    NotKept,
    Restored,
    Purged,
    Adopted,
    Created,
    Found,
    Paused,
    Resumed,
    Changed,
}

impl Outcome {
    pub const ALL: [Outcome; 33] = [
        Outcome::Applied,
        Outcome::Ok,
        Outcome::Passed,
        Outcome::NotJudged,
        Outcome::Failed,
        Outcome::CheckFailed,
        Outcome::Dirty,
        Outcome::Cancelled,
        Outcome::Terminated,
        Outcome::NotSent,
        Outcome::Started,
        Outcome::Retrying,
        Outcome::RolledBack,
        Outcome::RollbackFailed,
        Outcome::RollbackUndone,
        Outcome::RollingBack,
        Outcome::Accepted,
        Outcome::Pending,
        Outcome::Done,
        Outcome::NotDone,
        Outcome::Dropped,
        Outcome::Rebuilt,
        Outcome::Refreshed,
        Outcome::Kept,
        Outcome::NotKept,
        Outcome::Restored,
        Outcome::Purged,
        Outcome::Adopted,
        Outcome::Created,
        Outcome::Found,
        Outcome::Paused,
        Outcome::Resumed,
        Outcome::Changed,
    ];

    /// The text stored in the log's outcome column.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Ok => "ok",
            Outcome::Passed => "passed",
            Outcome::NotJudged => "not judged",
            Outcome::Failed => "failed",
            Outcome::CheckFailed => "check failed",
            Outcome::Dirty => "dirty",
            Outcome::Cancelled => "cancelled",
            Outcome::Terminated => "terminated",
            Outcome::NotSent => "not-sent",
            Outcome::Started => "started",
            Outcome::Retrying => "retrying",
            Outcome::RolledBack => "rolled back",
            Outcome::RollbackFailed => "rollback failed",
            Outcome::RollbackUndone => "rollback undone",
            Outcome::RollingBack => "rolling back",
            Outcome::Accepted => "accepted",
            Outcome::Pending => "pending",
            Outcome::Done => "done",
            Outcome::NotDone => "not done",
            Outcome::Dropped => "dropped",
            Outcome::Rebuilt => "rebuilt",
            Outcome::Refreshed => "refreshed",
            Outcome::Kept => "kept",
            Outcome::NotKept => "not kept",
            Outcome::Restored => "restored",
            Outcome::Purged => "purged",
            Outcome::Adopted => "adopted",
            Outcome::Created => "created",
            Outcome::Found => "found",
            Outcome::Paused => "paused",
            Outcome::Resumed => "resumed",
            Outcome::Changed => "changed",
        }
    }

    /// The outcome whose stored text this is; `None` for text pgstep does not write.
    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An outcome read back from the log. The log is a table anyone with rights can write to,
/// and older or newer pgstep versions may use other words: text pgstep does not write is kept
/// as it was read, to be shown as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoggedOutcome {
    Known(Outcome),
    Unknown(String),
}

impl LoggedOutcome {
    pub fn read(text: String) -> LoggedOutcome {
        match Outcome::parse(&text) {
            Some(o) => LoggedOutcome::Known(o),
            None => LoggedOutcome::Unknown(text),
        }
    }

    pub fn known(&self) -> Option<Outcome> {
        match self {
            LoggedOutcome::Known(o) => Some(*o),
            LoggedOutcome::Unknown(_) => None,
        }
    }

    /// The text as stored.
    pub fn as_str(&self) -> &str {
        match self {
            LoggedOutcome::Known(o) => o.as_str(),
            LoggedOutcome::Unknown(text) => text,
        }
    }
}

impl From<Outcome> for LoggedOutcome {
    fn from(o: Outcome) -> Self {
        LoggedOutcome::Known(o)
    }
}

impl fmt::Display for LoggedOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written as the stored text, so `pgstep log --json` keeps its words.
impl serde::Serialize for LoggedOutcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_as_itself() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o), "{o:?}");
            assert_eq!(LoggedOutcome::read(o.as_str().to_string()).known(), Some(o));
        }
    }

    #[test]
    fn the_stored_words_are_distinct() {
        let mut words: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
        words.sort_unstable();
        words.dedup();
        assert_eq!(words.len(), Outcome::ALL.len());
    }

    #[test]
    fn unknown_text_is_kept_as_read() {
        for text in ["", "APPLIED", "applied ", "ok\u{0}", "déjà vu"] {
            let read = LoggedOutcome::read(text.to_string());
            assert_eq!(read.known(), None, "{text:?}");
            assert_eq!(read.as_str(), text);
            assert_eq!(read.to_string(), text);
        }
    }
}
