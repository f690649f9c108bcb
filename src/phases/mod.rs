//! Each phase's state, from the plan on disk and what the database records: pgstep's own
//! history and, where pgstep adopted a project's tool, that tool's table. A pure merge: no
//! database, no files.

mod row;
#[cfg(test)]
mod tests;
mod view;

use std::collections::{HashMap, HashSet};

use crate::adopt::{Tool, ToolHistory, ToolRow};
use crate::plan::{Migration, Plan, Version};

pub use row::{HistoryRow, RowState};
use view::{Said, ToolView};

/// What a phase is, as the operator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
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
    /// The adopted tool's checksum of the file differs from the one it recorded.
    pub tool: Option<Tool>,
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
        let what = match self.tool {
            Some(t) => {
                format!("{what} ({t}'s checksum of the file differs from the one it recorded)")
            }
            None => what,
        };
        if self.cosmetic {
            format!("{what} (comments and whitespace only)")
        } else {
            what
        }
    }
}

/// Whose record a phase's state comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "tool")]
pub enum Source {
    /// pgstep's own history (or nothing recorded anywhere).
    Pgstep,
    /// The adopted tool's table: it says whether the phase is applied; pgstep's row, where
    /// there is one, adds detail.
    Tool(Tool),
}

impl Source {
    pub fn word(self) -> &'static str {
        match self {
            Source::Pgstep => "pgstep",
            Source::Tool(t) => t.word(),
        }
    }
}

/// Where pgstep's history says applied and the adopted tool's table has nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ToolGap {
    /// pgstep applied it while it wrote the tool's table: the tool has rolled it back since,
    /// and the phase is pending again.
    UndoneByTool,
    /// pgstep applied it before it adopted the tool's table, so the tool never recorded it:
    /// applied by pgstep's record, though the tool, run now, would run it again; pgstep's
    /// next `up` records it there.
    BeforeAdoption,
}

/// One line of the status: a phase from the plan, the histories, or both.
///
/// The console reads `source` to say where each row's state comes from, and `gap` why
/// pgstep's history and the tool's table disagree.
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
    pub source: Source,
    /// The adopted tool's own row for this version, where it keeps one per version.
    pub tool: Option<&'a ToolRow>,
    /// pgstep's history says applied, the tool's table does not, and why.
    pub gap: Option<ToolGap>,
}

impl Phase<'_> {
    /// When it was applied, by pgstep's record or else the tool's.
    pub fn applied_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let ours = self.row.filter(|_| self.gap != Some(ToolGap::UndoneByTool));
        ours.and_then(|r| r.applied_at)
            .or_else(|| self.tool.and_then(|t| t.applied_at))
    }

    /// How long it took, by pgstep's record or else the tool's.
    pub fn execution_time_ms(&self) -> Option<i64> {
        let ours = self.row.filter(|_| self.gap != Some(ToolGap::UndoneByTool));
        ours.and_then(|r| r.execution_time_ms.map(i64::from))
            .or_else(|| self.tool.and_then(|t| t.execution_time_ms))
    }
}

/// Merges the plan and pgstep's history, in version order.
pub fn phases<'a>(plan: &'a Plan, rows: &'a [HistoryRow]) -> Vec<Phase<'a>> {
    merge(plan, rows, None)
}

/// Merges the plan, pgstep's history and, when one was adopted, the tool's history, in
/// version order. With a tool, the tool's table says what is applied; pgstep's row adds the
/// detail it has (a phase stopped part-way, its checks, its SQL).
pub fn merge<'a>(
    plan: &'a Plan,
    rows: &'a [HistoryRow],
    tool: Option<&'a ToolHistory>,
) -> Vec<Phase<'a>> {
    let view = tool.map(|t| ToolView::of(plan, t));
    // Each row's version is read once: `status` merges 10,000 of them.
    let recorded: Vec<Option<Version>> = rows
        .iter()
        .map(|r| plan.recorded_version(&r.version))
        .collect();
    // Repeatable migrations come after every versioned one whenever they ran: they say
    // nothing of which versioned phases are out of order.
    let newest_applied = match &view {
        // The tool's newest, or a newer one pgstep applied before it wrote the tool's table.
        Some(view) => rows
            .iter()
            .zip(&recorded)
            .filter(|(r, _)| before_adoption(view, Some(r)))
            .filter_map(|(_, v)| v.clone())
            .filter(|v| !v.is_repeatable())
            .chain(view.newest())
            .max(),
        None => rows
            .iter()
            .zip(&recorded)
            .filter(|(r, _)| r.state == RowState::Applied)
            .filter_map(|(_, v)| v.as_ref())
            .filter(|v| !v.is_repeatable())
            .max()
            .cloned(),
    };
    // Looked up once per phase: a history of 10,000 rows must not be scanned 10,000 times.
    let by_version: HashMap<&Version, usize> = recorded
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_ref().map(|v| (v, i)))
        .collect();
    let source = match tool {
        Some(t) => Source::Tool(t.tool),
        None => Source::Pgstep,
    };
    let mut out: Vec<Phase<'a>> = plan
        .migrations
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let row_index = by_version.get(&m.version).copied();
            let row = row_index.map(|i| &rows[i]);
            let unrecorded = || {
                if newest_applied.as_ref().is_some_and(|n| *n > m.version) {
                    PhaseState::OutOfOrder
                } else {
                    PhaseState::Pending
                }
            };
            let mut phase = Phase {
                version: m.version.clone(),
                name: m.name.clone(),
                state: PhaseState::Pending,
                migration: Some(m),
                row,
                migration_index: Some(mi),
                row_index,
                drift: None,
                source: Source::Pgstep,
                tool: None,
                gap: None,
            };
            let Some(view) = &view else {
                (phase.state, phase.drift) = match row {
                    None => (unrecorded(), None),
                    Some(r) => by_row(m, r),
                };
                return phase;
            };
            let ours = row.map(|r| r.state);
            match view.said(&m.version) {
                // A phase pgstep is in the middle of: its own row knows where it stopped.
                _ if matches!(ours, Some(RowState::Dirty | RowState::RollingBack)) => {
                    (phase.state, phase.drift) = by_row(m, row.expect("matched a row"));
                    if let Said::Applied(t) | Said::Stopped(t) = view.said(&m.version) {
                        phase.tool = t;
                    }
                }
                // Applied by pgstep before it wrote the tool's table: the tool never had it.
                Said::Nothing if before_adoption(view, row) => {
                    (phase.state, phase.drift) = by_row(m, row.expect("matched a row"));
                    phase.gap = Some(ToolGap::BeforeAdoption);
                }
                Said::Nothing => {
                    phase.source = source;
                    phase.state = unrecorded();
                    phase.gap = (ours == Some(RowState::Applied)).then_some(ToolGap::UndoneByTool);
                    if ours == Some(RowState::Failed) {
                        phase.state = PhaseState::Failed;
                        phase.source = Source::Pgstep;
                    }
                }
                Said::Stopped(t) => {
                    phase.source = source;
                    phase.tool = t;
                    phase.state = PhaseState::Dirty;
                }
                Said::Applied(t) => {
                    phase.source = source;
                    phase.tool = t;
                    let tool_drift = t.is_some_and(|t| view.drifted(m, t));
                    let ours = row
                        .filter(|r| r.state == RowState::Applied)
                        .map(|r| by_row(m, r));
                    (phase.state, phase.drift) = match ours {
                        Some((state, drift)) if state != PhaseState::Applied => (state, drift),
                        _ if tool_drift && m.version.is_repeatable() => {
                            (PhaseState::Outdated, None)
                        }
                        _ if tool_drift => (
                            PhaseState::Drifted,
                            Some(Drift {
                                up: true,
                                tool: Some(view.history.tool),
                                ..Drift::default()
                            }),
                        ),
                        _ => (PhaseState::Applied, None),
                    };
                }
            }
            phase
        })
        .collect();
    let in_plan: HashSet<&Version> = plan.migrations.iter().map(|m| &m.version).collect();
    if let Some(view) = &view {
        for (v, t) in view.missing(&in_plan) {
            let row_index = by_version.get(&v).copied();
            out.push(Phase {
                name: t.name.clone().unwrap_or_default(),
                version: v,
                state: PhaseState::Missing,
                migration: None,
                row: row_index.map(|i| &rows[i]),
                migration_index: None,
                row_index,
                drift: None,
                source,
                tool: Some(t),
                gap: None,
            });
        }
    }
    for (ri, (r, v)) in rows.iter().zip(&recorded).enumerate() {
        let Some(v) = v else {
            continue;
        };
        if in_plan.contains(v) {
            continue;
        }
        // With a tool, an applied row of pgstep's that the tool no longer has was rolled
        // back by the tool, unless pgstep applied it before it wrote the tool's table; one
        // the tool has is listed above.
        let before = view.as_ref().is_some_and(|view| {
            matches!(view.said(v), Said::Nothing) && before_adoption(view, Some(r))
        });
        if let Some(view) = &view
            && !before
            && (r.state == RowState::Applied || !matches!(view.said(v), Said::Nothing))
        {
            continue;
        }
        out.push(Phase {
            version: v.clone(),
            name: r.name.clone(),
            state: PhaseState::Missing,
            migration: None,
            row: Some(r),
            migration_index: None,
            row_index: Some(ri),
            drift: None,
            source: Source::Pgstep,
            tool: None,
            gap: before.then_some(ToolGap::BeforeAdoption),
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    out
}

/// pgstep's row says applied, at a time before pgstep began writing the tool's table, and
/// the tool has nothing of it.
fn before_adoption(view: &ToolView<'_>, row: Option<&HistoryRow>) -> bool {
    row.is_some_and(|r| {
        r.state == RowState::Applied && !view.history.in_step.recorded(&r.version, r.applied_at)
    })
}

/// A phase's state by pgstep's own row.
fn by_row(m: &Migration, r: &HistoryRow) -> (PhaseState, Option<Drift>) {
    match r.state {
        RowState::Failed => (PhaseState::Failed, None),
        RowState::Dirty => (PhaseState::Dirty, None),
        RowState::RollingBack => (PhaseState::RollingBack, None),
        RowState::Applied => match drift(m, r) {
            Some(_) if m.version.is_repeatable() => (PhaseState::Outdated, None),
            Some(d) => (PhaseState::Drifted, Some(d)),
            None => (PhaseState::Applied, None),
        },
    }
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
        tool: None,
    })
}
