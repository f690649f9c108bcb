//! Since when pgstep has kept the adopted tool's table in step with its own changes, read
//! from pgstep's event log. A phase pgstep applied before then was never written to the
//! tool's table (an up/down folder applied with no `adopt` choice, a database pgstep
//! migrated before it kept tools' tables), so the tool's lack of it is no rollback.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

/// When pgstep began writing the tool's table, and what it recorded there afterwards of
/// what it had applied before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InStep {
    /// The time of the log's first `adopted` event for the table: every change pgstep made
    /// from then on wrote the tool's record too. `None`: pgstep has not yet changed the
    /// database since the table appeared.
    pub since: Option<DateTime<Utc>>,
    /// Versions, as pgstep's history names them, that pgstep had applied before `since`
    /// and recorded in the tool's table later (its `recorded-in-tool` events).
    pub recorded_late: HashSet<String>,
}

impl InStep {
    /// Whether pgstep's application of `version` at `applied_at` went into the tool's table,
    /// so that the table's lack of it now means the tool rolled it back. A time unknown
    /// after adoption is taken as recorded, as pgstep read it before it knew `since`.
    pub fn recorded(&self, version: &str, applied_at: Option<DateTime<Utc>>) -> bool {
        if self.recorded_late.contains(version) {
            return true;
        }
        match (self.since, applied_at) {
            (None, _) => false,
            (Some(since), Some(at)) => at >= since,
            (Some(_), None) => true,
        }
    }
}
