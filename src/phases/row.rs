//! A row of pgstep's own history, as the merge reads it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::plan::{Checksum, Migration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowState {
    Applied,
    Failed,
    Dirty,
    /// The DOWN of a `Transaction: none` phase stopped part-way.
    RollingBack,
}

impl RowState {
    pub fn parse(s: &str) -> RowState {
        match s {
            "failed" => RowState::Failed,
            "dirty" => RowState::Dirty,
            "rolling-back" => RowState::RollingBack,
            _ => RowState::Applied,
        }
    }

    /// As the history's `state` column holds it.
    pub fn word(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Failed => "failed",
            RowState::Dirty => "dirty",
            RowState::RollingBack => "rolling-back",
        }
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub version: String,
    pub name: String,
    pub applied_at: Option<DateTime<Utc>>,
    pub checksum: Option<Checksum>,
    pub success: bool,
    pub error_message: Option<String>,
    pub execution_time_ms: Option<i32>,
    pub state: RowState,
    pub applied_by_role: Option<String>,
    pub applied_by_os_user: Option<String>,
    pub applied_from_host: Option<String>,
    pub checksum_up: Option<Checksum>,
    pub checksum_down: Option<Checksum>,
    pub checksum_verify: Option<Checksum>,
    pub fingerprint: Option<Checksum>,
    pub transactional: bool,
    pub statements_total: Option<i32>,
    pub statements_done: Option<i32>,
    /// Results of the `unchanged` checks taken before a one-by-one phase, so a resumed phase
    /// can still compare.
    pub check_snapshot: Option<Value>,
    /// The statement (1-based, of UP, or of DOWN while rolling back) that had been sent when
    /// the phase stopped without a reply: it may or may not have taken effect.
    pub in_flight: Option<i32>,
    /// The server process that ran it, to tell whether it is still running.
    pub in_flight_pid: Option<i32>,
    /// How many DOWN statements of a rollback that stopped part-way completed.
    pub down_done: Option<i32>,
    /// What the phase's statements removed that pgstep kept, in the order kept.
    pub kept: Vec<crate::trash::KeptRecord>,
}

impl HistoryRow {
    /// The row pgstep would hold for a phase that an adopted tool applied without pgstep, so
    /// a rollback treats it like any applied phase: its file's checksums, where it has one,
    /// since the tool's own checksum is what judges its drift.
    pub fn recorded_by_tool(version: &str, name: &str, m: Option<&Migration>) -> HistoryRow {
        let sums = m.map(|m| &m.part_checksums);
        HistoryRow {
            version: version.to_string(),
            name: name.to_string(),
            applied_at: None,
            checksum: m.map(|m| m.checksum.clone()),
            success: true,
            error_message: None,
            execution_time_ms: None,
            state: RowState::Applied,
            applied_by_role: None,
            applied_by_os_user: None,
            applied_from_host: None,
            checksum_up: sums.map(|s| s.up.clone()),
            checksum_down: sums.and_then(|s| s.down.clone()),
            checksum_verify: sums.and_then(|s| s.verify.clone()),
            fingerprint: m.and_then(|m| m.fingerprint().ok()),
            transactional: m.is_none_or(Migration::transactional),
            statements_total: None,
            statements_done: None,
            check_snapshot: None,
            in_flight: None,
            in_flight_pid: None,
            down_done: None,
            kept: Vec::new(),
        }
    }
}
