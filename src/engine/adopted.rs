//! The engine's side of an adopted tool (see [`crate::adopt`]): reading its history into the
//! merge, writing its record with every change, and saying what was adopted.
//!
//! The console relies on this interface: [`Engine::adopted`] (what was read: tool, table,
//! how many versions, the newest), [`Engine::first_change_pending`] (pgstep has not yet
//! changed anything on this database since adopting, so the first mutating action asks for
//! a typed confirmation), and [`crate::phases::Phase::source`] on every merged phase.

use crate::adopt::{Adopted, Elapsed, Entry, Found, InStep, Recorded, Tool, ToolHistory};
use crate::phases::{self, HistoryRow, Phase, PhaseState, Source};
use crate::plan::{Migration, Plan, Version};

use super::history::{Event, EventKind, Outcome, Tables};
use super::{Engine, EngineError, Undo};

impl Engine {
    /// Adopts `found`, the project's tool whose table pgstep reads and keeps in step.
    pub fn adopt(&mut self, found: Option<Found>) {
        self.tool = found;
    }

    /// The adopted tool's table, if any.
    pub fn tool(&self) -> Option<&Found> {
        self.tool.as_ref()
    }

    /// What the adopted tool's table says now, with its checksums of `plan`'s files and
    /// since when pgstep has written it.
    pub async fn tool_history(&self, plan: &Plan) -> Result<Option<ToolHistory>, EngineError> {
        let recorded = self.tool_recorded().await?;
        self.tool_history_of(recorded, plan)
    }

    /// What the adopted tool's table says, and since when pgstep has written it, read
    /// without the plan: `status` reads it while the plan's files are still being read,
    /// then [`Engine::tool_history_of`] completes it.
    pub async fn tool_recorded(&self) -> Result<Option<(Recorded, InStep)>, EngineError> {
        let Some(found) = &self.tool else {
            return Ok(None);
        };
        // Sent together on the one connection.
        let table = async { Ok::<_, EngineError>(found.recorded(&self.client).await?) };
        let (recorded, in_step) = tokio::try_join!(table, self.in_step(found))?;
        Ok(Some((recorded, in_step)))
    }

    /// [`Engine::tool_history`] from what [`Engine::tool_recorded`] read.
    pub fn tool_history_of(
        &self,
        recorded: Option<(Recorded, InStep)>,
        plan: &Plan,
    ) -> Result<Option<ToolHistory>, EngineError> {
        match (&self.tool, recorded) {
            (Some(found), Some((recorded, in_step))) => {
                let mut history = found.history_of(recorded, plan)?;
                history.in_step = in_step;
                Ok(Some(history))
            }
            _ => Ok(None),
        }
    }

    /// The history a rollback works from: `rows` of pgstep's, and a row for each phase the
    /// adopted tool (`tool`, as [`Engine::tool_history`] read it) applied without pgstep.
    pub fn rollback_history(
        &self,
        plan: &Plan,
        rows: Vec<HistoryRow>,
        tool: Option<&ToolHistory>,
    ) -> Vec<HistoryRow> {
        with_tool_rows(plan, rows, tool)
    }

    /// What pgstep adopted on this database, for the console's confirmation and `status`.
    pub async fn adopted(&self, plan: &Plan) -> Result<Option<Adopted>, EngineError> {
        Ok(self.tool_history(plan).await?.map(|h| h.adopted(plan)))
    }

    /// Whether a tool is adopted and pgstep has not yet changed anything on this database
    /// since: its log holds no `adopted` event for the tool's table. A table pgstep is to
    /// make holds nothing read, so there is nothing to confirm.
    pub async fn first_change_pending(&self) -> Result<bool, EngineError> {
        match &self.tool {
            Some(found) if !found.create => Ok(!self.adoption_logged(found).await?),
            _ => Ok(false),
        }
    }

    /// Whether the log holds an `adopted` event for `found`'s table.
    async fn adoption_logged(&self, found: &Found) -> Result<bool, EngineError> {
        Ok(self.in_step(found).await?.since.is_some())
    }

    /// Logs, the first time pgstep changes this database after adopting its tool (or making
    /// its table), what it adopted and from where.
    pub(super) async fn note_adoption(&self, plan: &Plan) -> Result<(), EngineError> {
        let Some(found) = &self.tool else {
            return Ok(());
        };
        if self.adoption_logged(found).await? {
            return Ok(());
        }
        let Some(a) = self.adopted(plan).await? else {
            return Ok(());
        };
        self.log(Event {
            kind: EventKind::Adopted,
            version: None,
            name: None,
            outcome: Outcome::Adopted,
            duration_ms: None,
            reason: None,
            details: serde_json::json!({
                "tool": a.tool,
                "table": a.table,
                "versions": a.versions,
                "newest": a.newest,
                "created": found.create,
            }),
        })
        .await
    }

    /// Makes pgstep's own schema when its tables live there; a role that may not is told
    /// how to go on.
    pub(super) async fn ensure_own_schema(&self) -> Result<(), EngineError> {
        if !self.tables.own_schema {
            return Ok(());
        }
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            super::history::quote_ident(Tables::OWN_SCHEMA)
        );
        match self.client.batch_execute(&sql).await {
            Ok(()) => Ok(()),
            Err(e)
                if e.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) =>
            {
                Err(EngineError::Input(format!(
                    "pgstep keeps its history beside the adopted tool's in a schema of its own, \
                     `{}`, and this role may not create it: GRANT CREATE ON DATABASE to the \
                     role (or create the schema for it), or give an existing schema with \
                     --history-schema",
                    Tables::OWN_SCHEMA
                )))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `m` as the adopted tool names it.
    pub(super) fn tool_entry(&self, m: &Migration) -> Result<Option<Entry>, EngineError> {
        match &self.tool {
            None => Ok(None),
            Some(found) => Ok(Some(found.entry(m)?)),
        }
    }

    /// The tool's entry for the migration before `version` in the plan: golang-migrate goes
    /// back to it on a rollback.
    pub(super) fn tool_prev(
        &self,
        plan: &Plan,
        version: &Version,
    ) -> Result<Option<Entry>, EngineError> {
        let prev = plan
            .migrations
            .iter()
            .filter(|m| !m.version.is_repeatable() && m.version < *version)
            .max_by(|a, b| a.version.cmp(&b.version));
        match prev {
            Some(m) => self.tool_entry(m),
            None => Ok(None),
        }
    }

    /// The tool's record of `m` applied, as SQL to send in the phase's transaction.
    pub(super) fn tool_applied(
        &self,
        m: &Migration,
        elapsed: Elapsed,
    ) -> Result<Option<String>, EngineError> {
        Ok(match (&self.tool, self.tool_entry(m)?) {
            (Some(found), Some(e)) => Some(found.applied(&e, elapsed)),
            _ => None,
        })
    }

    /// The tool's writes for rolling back `u`.
    pub(super) fn tool_undo(&self, plan: &Plan, u: &Undo<'_>) -> Result<ToolUndo, EngineError> {
        let Some(found) = &self.tool else {
            return Ok(ToolUndo::default());
        };
        let entry = match u.migration {
            Some(m) => found.entry(m)?,
            // Its file is gone: the tool's row names it.
            None => Entry {
                version: u.row.version.clone(),
                description: u.name.clone(),
                script: String::new(),
                checksum: None,
            },
        };
        let prev = self.tool_prev(plan, &u.version)?;
        Ok(ToolUndo {
            starting: found.rolling_back(prev.as_ref()),
            removed: Some(found.removed(&entry, prev.as_ref())),
        })
    }

    /// Takes the tool's own advisory lock where it has one (sqlx, golang-migrate, Flyway),
    /// without waiting: a tool migrating now makes pgstep stop, naming it; a tool started
    /// meanwhile waits for pgstep, as it waits for another run of itself.
    pub(super) async fn lock_tool(&self) -> Result<(), EngineError> {
        let Some(found) = &self.tool else {
            return Ok(());
        };
        let database: String = self
            .client
            .query_one("SELECT current_database()::text", &[])
            .await?
            .get(0);
        let Some(id) = found.lock_id(&database) else {
            return Ok(());
        };
        let got: bool = self
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&id])
            .await?
            .get(0);
        if got {
            if let Ok(mut held) = self.tool_lock.lock() {
                *held = Some(id);
            }
            return Ok(());
        }
        let holder = self
            .client
            .query_opt(
                "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, '') \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND ((l.classid::int8 << 32) | l.objid::int8) = $1",
                &[&id],
            )
            .await?;
        let who = holder.map_or_else(
            || "a session that has just ended".to_string(),
            |r| {
                let (pid, app, user): (i32, String, String) = (r.get(0), r.get(1), r.get(2));
                format!("pid {pid} ({app}, user {user})")
            },
        );
        Err(EngineError::ToolLocked(format!(
            "{} is migrating this database now: {who} holds its lock. Nothing was changed; \
             run pgstep again once it is done",
            found.tool
        )))
    }

    /// Releases the tool's lock, if this session holds it.
    pub(super) async fn unlock_tool(&self) {
        let held = self.tool_lock.lock().ok().and_then(|mut h| h.take());
        if let Some(id) = held {
            // A lost session has released it with everything else.
            self.client
                .query_one("SELECT pg_advisory_unlock($1)", &[&id])
                .await
                .ok();
        }
    }

    /// Sends `sql` of the tool, if any.
    pub(super) async fn tool_write(
        &self,
        sql: Option<String>,
    ) -> Result<(), tokio_postgres::Error> {
        match sql {
            Some(sql) => self.client.batch_execute(&sql).await,
            None => Ok(()),
        }
    }
}

/// What a rollback writes to the adopted tool's table.
#[derive(Debug, Clone, Default)]
pub(super) struct ToolUndo {
    /// Before the first DOWN statement of a phase that runs outside a transaction.
    pub starting: Option<String>,
    /// With the rollback's end, in its transaction when it has one.
    pub removed: Option<String>,
}

/// pgstep's history with a row added for each phase the adopted tool applied without pgstep,
/// so a rollback reaches them like any applied phase.
pub(super) fn with_tool_rows(
    plan: &Plan,
    mut rows: Vec<HistoryRow>,
    tool: Option<&ToolHistory>,
) -> Vec<HistoryRow> {
    if tool.is_none() {
        return rows;
    }
    let merged = phases::merge(plan, &rows, tool);
    let extra: Vec<HistoryRow> = merged
        .iter()
        .filter(|p| p.row.is_none() && matches!(p.source, Source::Tool(_)))
        .filter(|p| {
            matches!(
                p.state,
                PhaseState::Applied | PhaseState::Drifted | PhaseState::Missing | PhaseState::Dirty
            )
        })
        .map(|p: &Phase<'_>| {
            let version = p
                .migration
                .map(|m| m.version.to_string())
                .or_else(|| p.tool.map(|t| t.version.clone()))
                .unwrap_or_else(|| p.version.to_string());
            HistoryRow::recorded_by_tool(&version, &p.name, p.migration)
        })
        .collect();
    rows.extend(extra);
    rows
}

impl Engine {
    /// `mark` on the tool's table: applied records the phase as the tool would (unless the
    /// tool already has it clean), pending removes its record.
    pub(super) async fn mark_tool(
        &self,
        plan: &Plan,
        version: &Version,
        applied: bool,
        merged: &[Phase<'_>],
    ) -> Result<(), EngineError> {
        let Some(found) = &self.tool else {
            return Ok(());
        };
        let phase = merged.iter().find(|p| p.version == *version);
        let m = plan.migrations.iter().find(|m| m.version == *version);
        let entry = match m {
            Some(m) => found.entry(m)?,
            None => Entry {
                version: phase
                    .and_then(|p| p.tool)
                    .map_or_else(|| version.to_string(), |t| t.version.clone()),
                description: String::new(),
                script: String::new(),
                checksum: None,
            },
        };
        let recorded_clean = phase.is_some_and(|p| {
            matches!(p.source, Source::Tool(_))
                && matches!(p.state, PhaseState::Applied | PhaseState::Drifted)
        });
        let sql = if applied {
            (!recorded_clean).then(|| {
                // A row the tool left failed or dirty is replaced.
                let clear = found.removed(&entry, Some(&entry));
                let add = found.applied(&entry, Elapsed::Took(std::time::Duration::ZERO));
                format!("BEGIN; {clear}; {add}; COMMIT")
            })
        } else {
            // golang-migrate's one row says every version up to it is applied: only the
            // newest can be marked pending without marking the ones after it pending too.
            if found.tool == Tool::GolangMigrate
                && let Some(newer) = merged.iter().find(|p| {
                    p.version > *version
                        && matches!(p.source, Source::Tool(_))
                        && !matches!(p.state, PhaseState::Pending | PhaseState::OutOfOrder)
                })
            {
                return Err(EngineError::Refused(format!(
                    "golang-migrate records one version, and {} after {version} is applied: \
                     roll back to {version} instead (`pgstep down --to ...`), or mark the \
                     newer phases pending first",
                    newer.version
                )));
            }
            let prev = self.tool_prev(plan, version)?;
            Some(found.removed(&entry, prev.as_ref()))
        };
        Ok(self.tool_write(sql).await?)
    }
}
