//! The adopted tool's history as the merge reads it: what the tool says of each version.

use std::collections::{HashMap, HashSet};

use crate::adopt::{Recorded, ToolHistory, ToolRow};
use crate::plan::{Migration, Plan, Version};

/// What the adopted tool says of one plan version.
pub(super) enum Said<'a> {
    Nothing,
    Applied(Option<&'a ToolRow>),
    Stopped(Option<&'a ToolRow>),
}

/// The tool's records by version, and the newest version it has applied.
pub(super) struct ToolView<'a> {
    pub(super) history: &'a ToolHistory,
    rows: HashMap<Version, &'a ToolRow>,
    upto: Option<(Version, &'a ToolRow)>,
    /// Flyway's baseline: every version up to it is applied, unless a row says otherwise.
    baseline: Option<(Version, &'a ToolRow)>,
}

impl<'a> ToolView<'a> {
    pub(super) fn of(plan: &Plan, history: &'a ToolHistory) -> ToolView<'a> {
        let rows = history
            .recorded
            .rows()
            .iter()
            .filter_map(|r| plan.recorded_version(&r.version).map(|v| (v, r)))
            .collect();
        let floor = history
            .recorded
            .floor()
            .and_then(|r| plan.recorded_version(&r.version).map(|v| (v, r)));
        let (upto, baseline) = match &history.recorded {
            Recorded::UpTo(_) => (floor, None),
            Recorded::Baselined { .. } => (None, floor),
            Recorded::Rows(_) => (None, None),
        };
        ToolView {
            history,
            rows,
            upto,
            baseline,
        }
    }

    pub(super) fn said(&self, v: &Version) -> Said<'a> {
        if let Some((top, row)) = &self.upto {
            return match v.cmp(top) {
                std::cmp::Ordering::Less => Said::Applied(None),
                std::cmp::Ordering::Equal if row.success => Said::Applied(Some(row)),
                std::cmp::Ordering::Equal => Said::Stopped(Some(row)),
                std::cmp::Ordering::Greater => Said::Nothing,
            };
        }
        match self.rows.get(v) {
            None => match &self.baseline {
                Some((b, row)) if v <= b => Said::Applied(Some(row)),
                _ => Said::Nothing,
            },
            Some(r) if r.success => Said::Applied(Some(r)),
            Some(r) => Said::Stopped(Some(r)),
        }
    }

    pub(super) fn newest(&self) -> Option<Version> {
        if let Some((top, _)) = &self.upto {
            return Some(top.clone());
        }
        self.rows
            .keys()
            .chain(self.baseline.as_ref().map(|(b, _)| b))
            .filter(|v| !v.is_repeatable())
            .max()
            .cloned()
    }

    /// The tool's versions that the plan does not have.
    pub(super) fn missing(&self, in_plan: &HashSet<&Version>) -> Vec<(Version, &'a ToolRow)> {
        if let Some((top, row)) = &self.upto {
            return if in_plan.contains(top) {
                Vec::new()
            } else {
                vec![(top.clone(), *row)]
            };
        }
        self.rows
            .iter()
            .filter(|(v, _)| !in_plan.contains(v))
            .map(|(v, r)| (v.clone(), *r))
            .collect()
    }

    /// The tool's checksum of the file differs from the one it recorded.
    pub(super) fn drifted(&self, m: &Migration, row: &ToolRow) -> bool {
        if !self.history.tool.has_checksums() {
            return false;
        }
        match (&row.checksum, self.history.checksums.get(&m.version)) {
            (Some(recorded), Some(now)) => recorded != now,
            _ => false,
        }
    }
}
