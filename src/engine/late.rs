//! Phases pgstep applied before it adopted the tool's table: when pgstep began writing that
//! table (read from its log), and recording those phases there, as the tool would, so the
//! application's own tool run at start-up does not run them again.

use std::time::Duration;

use crate::adopt::{Elapsed, Found, InStep, Tool};
use crate::phases::{self, HistoryRow, Phase, PhaseState, ToolGap};
use crate::plan::{Migration, Plan};

use super::history::{Event, EventKind, Outcome};
use super::{Engine, EngineError, Progress};

impl Engine {
    /// Since when pgstep has written `found`'s table, and what it recorded there late.
    pub(super) async fn in_step(&self, found: &Found) -> Result<InStep, EngineError> {
        if super::bookkeeping::existing(&self.tables, &self.client)
            .await?
            .log
            .is_none()
        {
            return Ok(InStep::default());
        }
        // One pass over the log: `status` asks this on every read.
        let row = self
            .client
            .query_one(
                &format!(
                    "SELECT min(at) FILTER (WHERE event = $1),
                        coalesce(array_agg(details->'versions') FILTER (WHERE event = $2), '{{}}')
                     FROM {} WHERE event IN ($1, $2) AND details->>'table' = $3",
                    self.tables.log_sql()
                ),
                &[
                    &EventKind::Adopted.word(),
                    &EventKind::RecordedInTool.word(),
                    &found.table_name(),
                ],
            )
            .await?;
        let late: Vec<serde_json::Value> = row.get(1);
        let recorded_late = late
            .iter()
            .filter_map(serde_json::Value::as_array)
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Ok(InStep {
            since: row.get(0),
            recorded_late,
        })
    }

    /// Writes the tool's record of every phase of `phases` that pgstep applied before it
    /// adopted the tool's table, as the tool writes it, in one transaction with the event
    /// that says so. Nothing of the phases runs.
    pub(super) async fn record_late(&self, phases: &[Phase<'_>]) -> Result<Late, EngineError> {
        let Some(found) = &self.tool else {
            return Ok(Late::default());
        };
        let (late, held_back) = late(found.tool, phases);
        if late.is_empty() {
            return Ok(Late {
                recorded: None,
                held_back,
            });
        }
        let mut sql = String::from("BEGIN");
        for (m, row) in &late {
            let took = u64::try_from(row.execution_time_ms.unwrap_or(0)).unwrap_or(0);
            let e = found.entry(m)?;
            sql.push_str("; ");
            sql.push_str(&found.applied(&e, Elapsed::Took(Duration::from_millis(took))));
        }
        let versions: Vec<String> = late.iter().map(|(_, r)| r.version.clone()).collect();
        let result = async {
            self.client.batch_execute(&sql).await?;
            self.log(Event {
                kind: EventKind::RecordedInTool,
                version: None,
                name: None,
                outcome: Outcome::Applied,
                duration_ms: None,
                reason: None,
                details: serde_json::json!({
                    "tool": found.tool,
                    "table": found.table_name(),
                    "versions": versions,
                }),
            })
            .await?;
            Ok::<_, EngineError>(self.client.batch_execute("COMMIT").await?)
        }
        .await;
        if let Err(e) = result {
            // Nothing of it is kept: the tool's table stays as it was.
            self.client.batch_execute("ROLLBACK").await.ok();
            return Err(e);
        }
        Ok(Late {
            recorded: Some((found.tool, versions)),
            held_back,
        })
    }

    /// Records, once the phases below them are applied, the phases pgstep applied before it
    /// adopted golang-migrate's table that its one row could not take in before.
    pub(super) async fn record_after(
        &self,
        plan: &Plan,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), EngineError> {
        let rows = self.tables.rows(&self.client).await?;
        let tool = self.tool_history(plan).await?;
        let phases = phases::merge(plan, &rows, tool.as_ref());
        if let Some((tool, versions)) = self.record_late(&phases).await?.recorded {
            progress(Progress::RecordedInTool { tool, versions });
        }
        Ok(())
    }
}

/// What [`Engine::record_late`] did.
#[derive(Debug, Default)]
pub(super) struct Late {
    /// The tool and the versions recorded in its table.
    pub recorded: Option<(Tool, Vec<String>)>,
    /// golang-migrate's row stopped below a phase not yet applied: once it is, the phases
    /// above it can be recorded too.
    pub held_back: bool,
}

/// Phases with pgstep's rows of them.
type Rows<'a> = Vec<(&'a Migration, &'a HistoryRow)>;

/// The phases to record, with pgstep's rows, in version order, and whether some were held
/// back. golang-migrate's one row says every version up to it is applied, so it moves no
/// further than the first phase that is not.
fn late<'a>(tool: Tool, phases: &[Phase<'a>]) -> (Rows<'a>, bool) {
    let mut out = Vec::new();
    let mut stop = false;
    for p in phases {
        let applied = matches!(p.state, PhaseState::Applied | PhaseState::Drifted);
        match (p.migration, p.row) {
            (Some(m), Some(r)) if applied && p.gap == Some(ToolGap::BeforeAdoption) => {
                if stop {
                    return (out, true);
                }
                out.push((m, r));
            }
            _ if tool == Tool::GolangMigrate && !applied && !p.version.is_repeatable() => {
                stop = true;
            }
            _ => {}
        }
    }
    (out, false)
}
