//! Each phase's state, from the plan on disk and the history rows in the database.

use std::collections::{HashMap, HashSet};

use crate::plan::{Migration, Plan, Version};

use super::history::{HistoryRow, RowState};

/// What a phase is, as the operator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseState {
    Applied,
    Pending,
    /// A transactional attempt failed and was rolled back: safe to run again.
    Failed,
    /// A non-transactional phase stopped part-way: some statements ran.
    Dirty,
    /// The rollback of a non-transactional phase stopped part-way: some DOWN statements ran.
    RollingBack,
    /// Applied, but its file changed since.
    Drifted,
    /// Applied, but its file is gone.
    Missing,
    /// Pending, but older than the newest applied phase.
    OutOfOrder,
    /// A Flyway repeatable migration whose file changed since it was applied: pending again,
    /// as Flyway runs it again after the versioned ones.
    Outdated,
}

impl PhaseState {
    pub fn word(self) -> &'static str {
        match self {
            PhaseState::Applied => "applied",
            PhaseState::Pending => "pending",
            PhaseState::Failed => "failed",
            PhaseState::Dirty => "dirty",
            PhaseState::RollingBack => "rolling-back",
            PhaseState::Drifted => "drifted",
            PhaseState::Missing => "missing",
            PhaseState::OutOfOrder => "out-of-order",
            PhaseState::Outdated => "outdated",
        }
    }
}

/// Which parts of a drifted phase changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Drift {
    pub up: bool,
    pub down: bool,
    pub verify: bool,
    /// Only comments, whitespace or the header changed: no statement differs.
    pub cosmetic: bool,
}

impl Drift {
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.up {
            parts.push("UP");
        }
        if self.down {
            parts.push("DOWN");
        }
        if self.verify {
            parts.push("VERIFY");
        }
        let what = if parts.is_empty() {
            "the header or comments outside the parts changed".to_string()
        } else {
            format!("{} changed", parts.join(", "))
        };
        if self.cosmetic {
            format!("{what} (comments and whitespace only)")
        } else {
            what
        }
    }
}

/// One line of the status: a phase from the plan, the history, or both.
#[derive(Debug, Clone)]
pub struct Phase<'a> {
    pub version: Version,
    pub name: String,
    pub state: PhaseState,
    pub migration: Option<&'a Migration>,
    pub row: Option<&'a HistoryRow>,
    /// Where `migration` and `row` are in the plan and the history.
    pub migration_index: Option<usize>,
    pub row_index: Option<usize>,
    pub drift: Option<Drift>,
}

/// Merges the plan and the history, in version order.
pub fn phases<'a>(plan: &'a Plan, rows: &'a [HistoryRow]) -> Vec<Phase<'a>> {
    // Repeatable migrations come after every versioned one whenever they ran: they say
    // nothing of which versioned phases are out of order.
    let newest_applied = rows
        .iter()
        .filter(|r| r.state == RowState::Applied)
        .filter_map(|r| plan.recorded_version(&r.version))
        .filter(|v| !v.is_repeatable())
        .max();
    // Looked up once per phase: a history of 10,000 rows must not be scanned 10,000 times.
    let by_version: HashMap<Version, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| plan.recorded_version(&r.version).map(|v| (v, i)))
        .collect();
    let mut out: Vec<Phase<'a>> = plan
        .migrations
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let row_index = by_version.get(&m.version).copied();
            let row = row_index.map(|i| &rows[i]);
            let (state, drift) = match row {
                None if newest_applied.as_ref().is_some_and(|n| *n > m.version) => {
                    (PhaseState::OutOfOrder, None)
                }
                None => (PhaseState::Pending, None),
                Some(r) => match r.state {
                    RowState::Failed => (PhaseState::Failed, None),
                    RowState::Dirty => (PhaseState::Dirty, None),
                    RowState::RollingBack => (PhaseState::RollingBack, None),
                    RowState::Applied => match drift(m, r) {
                        Some(_) if m.version.is_repeatable() => (PhaseState::Outdated, None),
                        Some(d) => (PhaseState::Drifted, Some(d)),
                        None => (PhaseState::Applied, None),
                    },
                },
            };
            Phase {
                version: m.version.clone(),
                name: m.name.clone(),
                state,
                migration: Some(m),
                row,
                migration_index: Some(mi),
                row_index,
                drift,
            }
        })
        .collect();
    let in_plan: HashSet<&Version> = plan.migrations.iter().map(|m| &m.version).collect();
    for (ri, r) in rows.iter().enumerate() {
        let Some(v) = plan.recorded_version(&r.version) else {
            continue;
        };
        if !in_plan.contains(&v) {
            out.push(Phase {
                version: v,
                name: r.name.clone(),
                state: PhaseState::Missing,
                migration: None,
                row: Some(r),
                migration_index: None,
                row_index: Some(ri),
                drift: None,
            });
        }
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out
}

fn drift(m: &Migration, r: &HistoryRow) -> Option<Drift> {
    if r.checksum.as_ref() == Some(&m.checksum) {
        return None;
    }
    let part = &m.part_checksums;
    Some(Drift {
        up: r.checksum_up.as_ref() != Some(&part.up),
        down: r.checksum_down != part.down,
        verify: r.checksum_verify != part.verify,
        cosmetic: m
            .fingerprint()
            .is_ok_and(|fp| r.fingerprint.as_ref() == Some(&fp)),
    })
}
