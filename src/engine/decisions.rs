//! The operator's word recorded without running a phase's SQL: a dirty or failed phase marked
//! applied or pending, a drifted file accepted. Each under the migration lock, logged with
//! its reason.

use super::history::{self, Event, EventKind, Outcome};
use super::{Engine, EngineError, PhaseState, phases};
use crate::plan::{Plan, Version};

impl Engine {
    /// Records an operator's decision about a dirty or failed phase.
    pub async fn mark(
        &self,
        plan: &Plan,
        version: &Version,
        applied: bool,
        reason: &str,
    ) -> Result<(), EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let rows = eng.tables.rows(&eng.client).await?;
            let tool = eng.tool_history(plan).await?;
            let merged = phases::merge(plan, &rows, tool.as_ref());
            let phase = merged.iter().find(|p| p.version == *version);
            let row = rows
                .iter()
                .find(|r| Version::parse(&r.version).as_ref() == Some(version));
            let m = plan.migrations.iter().find(|m| m.version == *version);
            let stored = row.map_or(version.as_str(), |r| r.version.as_str());
            let before = phase.map_or("pending", |p| p.state.word());
            eng.note_adoption(plan).await?;
            eng.mark_tool(plan, version, applied, &merged).await?;
            if applied {
                let Some(m) = m else {
                    return Err(EngineError::Input(format!(
                        "version {version} is not in the plan: cannot mark it applied"
                    )));
                };
                let m = m.read()?;
                eng.save(&m, &history::Record::applied(stored, &m, None))
                    .await?;
            } else if row.is_some() {
                eng.tables.delete(&eng.client, stored).await?;
            }
            let after = if applied {
                Outcome::Applied
            } else {
                Outcome::Pending
            };
            eng.log(Event {
                kind: EventKind::Mark,
                version: Some(stored),
                name: m.map(|m| m.name.as_str()),
                outcome: after,
                duration_ms: None,
                reason: Some(reason),
                details: serde_json::json!({ "from": before, "to": after.as_str() }),
            })
            .await
        }
        .await;
        self.unlock(result).await
    }

    /// Records the file's current checksums for a drifted phase.
    pub async fn accept(
        &self,
        plan: &Plan,
        version: &Version,
        reason: &str,
    ) -> Result<(), EngineError> {
        self.lock().await?;
        let eng = self;
        let result = async {
            let rows = eng.tables.rows(&eng.client).await?;
            let tool = eng.tool_history(plan).await?;
            let phases = phases::merge(plan, &rows, tool.as_ref());
            let Some(p) = phases.iter().find(|p| p.version == *version) else {
                return Err(EngineError::Input(format!(
                    "version {version} is not in the plan or the history"
                )));
            };
            let (Some(m), PhaseState::Drifted) = (p.migration, p.state) else {
                return Err(EngineError::Refused(format!(
                    "phase {version} is {}, not drifted: nothing to accept",
                    p.state.word()
                )));
            };
            let drift = p.drift.clone().unwrap_or_default();
            eng.note_adoption(plan).await?;
            let stored = p.row.map_or(version.as_str(), |r| r.version.as_str());
            let old_tool = p.tool.and_then(|t| t.checksum.clone());
            let new_tool = match (drift.tool, eng.tool()) {
                (Some(_), Some(found)) => {
                    let e = found.entry(m)?;
                    eng.tool_write(found.accepted(&e)).await?;
                    e.checksum
                }
                _ => None,
            };
            if let Some(row) = p.row {
                eng.tables
                    .accept(&eng.client, &row.version, &m.read()?)
                    .await?;
            }
            eng.log(Event {
                kind: EventKind::DriftAccepted,
                version: Some(stored),
                name: Some(&m.name),
                outcome: Outcome::Accepted,
                duration_ms: None,
                reason: Some(reason),
                details: serde_json::json!({
                    "old_checksum": p.row.map(|r| &r.checksum),
                    "new_checksum": m.checksum,
                    "changed": drift.describe(),
                    "tool": drift.tool,
                    "old_tool_checksum": old_tool,
                    "new_tool_checksum": new_tool,
                }),
            })
            .await
        }
        .await;
        self.unlock(result).await
    }
}
