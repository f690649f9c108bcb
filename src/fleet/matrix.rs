//! The status matrix: every target against every phase of the plan, with what sets each
//! target apart. Pure: built from states already read.

use std::collections::HashMap;

use crate::phases::PhaseState;

/// Where a target stands as a whole, worst first in [`Condition::rank`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Condition {
    /// Its state could not be read.
    Unreachable,
    /// A phase stopped part-way (or its rollback did): it needs a decision.
    Dirty,
    /// A phase's last attempt failed and was rolled back.
    Failed,
    /// An applied phase's file changed since, or is gone.
    Drifted,
    /// A pending phase is older than an applied one.
    OutOfOrder,
    /// Some phases are pending.
    Behind,
    /// Every phase of the plan is applied.
    AtHead,
}

impl Condition {
    /// Lower is worse: failures first.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn word(self) -> &'static str {
        match self {
            Condition::Unreachable => "unreachable",
            Condition::Dirty => "dirty",
            Condition::Failed => "failed",
            Condition::Drifted => "drifted",
            Condition::OutOfOrder => "out-of-order",
            Condition::Behind => "behind",
            Condition::AtHead => "at-head",
        }
    }

    /// From the states of a target's phases.
    pub fn of(states: &[PhaseState]) -> Condition {
        let any = |wanted: &[PhaseState]| states.iter().any(|s| wanted.contains(s));
        if any(&[PhaseState::Dirty, PhaseState::RollingBack]) {
            Condition::Dirty
        } else if any(&[PhaseState::Failed]) {
            Condition::Failed
        } else if any(&[PhaseState::Drifted, PhaseState::Missing]) {
            Condition::Drifted
        } else if any(&[PhaseState::OutOfOrder]) {
            Condition::OutOfOrder
        } else if any(&[PhaseState::Pending, PhaseState::Outdated]) {
            Condition::Behind
        } else {
            Condition::AtHead
        }
    }
}

/// One target's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The target's index in the fleet.
    pub target: usize,
    pub url: String,
    pub server: String,
    pub wave: usize,
    /// One per version of the plan, in plan order; `None` when unreachable.
    pub states: Vec<Option<PhaseState>>,
    pub condition: Condition,
    pub error: Option<String>,
}

/// Every target against every phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    pub versions: Vec<String>,
    /// In target order.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// The rows worst first, then in target order.
    pub fn failures_first(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.iter().collect();
        rows.sort_by_key(|r| (r.condition.rank(), r.target));
        rows
    }

    /// The rows whose phase states differ from the most common ones (the first target's
    /// among equals), and every unreachable one: what an operator must see before starting.
    pub fn odd_ones(&self) -> Vec<&Row> {
        let mut counts: HashMap<&[Option<PhaseState>], (usize, usize)> = HashMap::new();
        for r in &self.rows {
            if r.condition != Condition::Unreachable {
                let entry = counts.entry(&r.states).or_insert((0, r.target));
                entry.0 += 1;
            }
        }
        let usual = counts
            .into_iter()
            .max_by_key(|(_, (n, first))| (*n, std::cmp::Reverse(*first)))
            .map(|(states, _)| states);
        self.failures_first()
            .into_iter()
            .filter(|r| r.condition == Condition::Unreachable || Some(r.states.as_slice()) != usual)
            .collect()
    }

    /// How many targets of each condition, worst first.
    pub fn counts(&self) -> Vec<(Condition, usize)> {
        let mut out: Vec<(Condition, usize)> = Vec::new();
        for r in self.failures_first() {
            match out.last_mut() {
                Some((c, n)) if *c == r.condition => *n += 1,
                _ => out.push((r.condition, 1)),
            }
        }
        out
    }

    /// Per wave: how many of its targets are at the plan's head, and how many it has.
    pub fn wave_progress(&self, waves: usize) -> Vec<(usize, usize)> {
        let mut out = vec![(0, 0); waves];
        for r in &self.rows {
            if let Some(w) = out.get_mut(r.wave) {
                w.1 += 1;
                if r.condition == Condition::AtHead {
                    w.0 += 1;
                }
            }
        }
        out
    }

    /// Whether every target is at the plan's head.
    pub fn all_at_head(&self) -> bool {
        self.rows.iter().all(|r| r.condition == Condition::AtHead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PhaseState::*;

    fn row(target: usize, wave: usize, states: &[PhaseState]) -> Row {
        Row {
            target,
            url: format!("postgresql://u@h:5432/t{target}"),
            server: "h:5432".into(),
            wave,
            states: states.iter().copied().map(Some).collect(),
            condition: Condition::of(states),
            error: None,
        }
    }

    fn unreachable(target: usize) -> Row {
        Row {
            states: vec![None, None],
            condition: Condition::Unreachable,
            error: Some("connection refused".into()),
            ..row(target, 1, &[])
        }
    }

    #[test]
    fn conditions_take_the_worst_phase() {
        assert_eq!(Condition::of(&[Applied, Applied]), Condition::AtHead);
        assert_eq!(Condition::of(&[Applied, Pending]), Condition::Behind);
        assert_eq!(Condition::of(&[Failed, Pending]), Condition::Failed);
        assert_eq!(Condition::of(&[Drifted, Failed]), Condition::Failed);
        assert_eq!(Condition::of(&[Dirty, Failed]), Condition::Dirty);
        assert_eq!(Condition::of(&[OutOfOrder, Applied]), Condition::OutOfOrder);
        assert_eq!(Condition::of(&[Applied, Missing]), Condition::Drifted);
        assert_eq!(Condition::of(&[]), Condition::AtHead);
    }

    #[test]
    fn failures_come_first_and_odd_ones_are_named() {
        let m = Matrix {
            versions: vec!["1".into(), "2".into()],
            rows: vec![
                row(0, 0, &[Applied, Applied]),
                row(1, 1, &[Applied, Pending]),
                row(2, 1, &[Applied, Pending]),
                row(3, 1, &[Failed, Pending]),
                unreachable(4),
                row(5, 1, &[Applied, Pending]),
            ],
        };
        let order: Vec<usize> = m.failures_first().iter().map(|r| r.target).collect();
        assert_eq!(order, vec![4, 3, 1, 2, 5, 0]);
        let odd: Vec<usize> = m.odd_ones().iter().map(|r| r.target).collect();
        assert_eq!(odd, vec![4, 3, 0]);
        assert_eq!(
            m.counts(),
            vec![
                (Condition::Unreachable, 1),
                (Condition::Failed, 1),
                (Condition::Behind, 3),
                (Condition::AtHead, 1)
            ]
        );
        assert_eq!(m.wave_progress(2), vec![(1, 1), (0, 5)]);
        assert!(!m.all_at_head());
    }
}
