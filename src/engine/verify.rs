//! Running the checks of applied phases against the database as it is, read-only.

use super::history::{Event, EventKind};
use super::{CheckOutcome, Engine, EngineError, PhaseState, checks, find, phases, verdict};
use crate::plan::{Plan, Version};

/// The checks of one phase run against the database as it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    pub version: String,
    pub name: String,
    pub checks: Vec<CheckOutcome>,
}

impl Engine {
    /// Runs the checks of every applied phase (or of `only`) in read-only transactions, and
    /// logs the outcome.
    pub async fn verify(
        &self,
        plan: &Plan,
        only: Option<&Version>,
    ) -> Result<Vec<Verified>, EngineError> {
        let rows = self.history().await?;
        let tool = self.tool_history(plan).await?;
        let phases = phases::merge(plan, &rows, tool.as_ref());
        if let Some(v) = only
            && find(plan, v).is_none()
        {
            return Err(EngineError::Input(format!(
                "version {v} is not in the plan"
            )));
        }
        let chosen = phases.iter().filter(|p| match only {
            Some(v) => p.version == *v,
            None => matches!(p.state, PhaseState::Applied | PhaseState::Drifted),
        });
        let mut out = Vec::new();
        for p in chosen {
            let Some(m) = p.migration else { continue };
            let started = std::time::Instant::now();
            let who = self.checks_as_for(m).await?;
            let checks = checks::verify_now(&self.client, &who, m).await?;
            if !rows.is_empty() && !self.settings.read_only {
                let grades = checks.iter().map(|c| c.grade);
                self.log(Event {
                    kind: EventKind::Verify,
                    version: Some(m.version.as_str()),
                    name: Some(&m.name),
                    outcome: verdict::overall(grades),
                    duration_ms: Some(started.elapsed().as_millis() as i64),
                    reason: None,
                    details: serde_json::json!({ "checks": checks }),
                })
                .await?;
            }
            out.push(Verified {
                version: m.version.to_string(),
                name: m.name.clone(),
                checks,
            });
        }
        Ok(out)
    }
}
