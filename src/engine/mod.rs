//! Applying, verifying and rolling back phases on a real PostgreSQL: every state change
//! recorded, one operator at a time, never a half-applied phase left silently.

mod adopted;
mod apply;
pub mod batch;
pub mod bookkeeping;
mod checks;
mod checksum_column;
pub mod drift;
mod dryrun;
mod exec;
pub mod history;
pub mod impact;
mod in_doubt;
pub mod integrity;
pub mod keeping;
pub mod lock;
mod lost;
pub mod maintenance;
mod onebyone;
pub mod operator;
mod rollback;
pub mod sessions;

mod stopped;
pub mod verdict;
pub mod waits;
mod writes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio_postgres::{CancelToken, Client};

pub use crate::phases::{Drift, Phase, PhaseState, Source};
pub use apply::{Applied, UpOptions, targets};
pub use checks::CheckOutcome;
pub use dryrun::{DryRun, DryStatement};
pub use history::{
    AppliedSql, Event, EventKind, HistoryRow, LoggedEvent, Record, RowState, Tables,
};
pub use lock::Holder;
pub use lost::{Lost, is_connection_error};
pub use onebyone::InDoubt;
pub use operator::Operator;
pub use rollback::{DownTarget, RolledBack, Undo};
pub use verdict::{Grade, ResultSet, Verdict};

use crate::phases;
use crate::plan::{Migration, Plan, Read, Version};
use writes::Writes;

/// How phases run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `lock_timeout` for every phase unless its header says otherwise.
    pub lock_timeout: Duration,
    /// `statement_timeout` unless the phase's header says otherwise; `None` leaves the
    /// server's setting.
    pub statement_timeout: Option<Duration>,
    /// How many times a phase that lost a lock wait is tried again.
    pub lock_retries: u32,
    /// The first wait before a retry; it doubles each time, with jitter.
    pub retry_base: Duration,
    /// A read-only session: every change is refused, and nothing is written to the log.
    pub read_only: bool,
    /// The role checks run as; `None`: pgstep's own, created when it may be.
    pub checks_role: Option<String>,
    /// The profile's health gates for batched steps, where a phase's headers set none.
    pub gates: crate::plan::batch::Gates,
    /// Whether what destructive statements remove is kept (see [`crate::trash`]).
    pub keep: bool,
    /// Above this many bytes, keeping a copy needs the operator's explicit choice.
    pub trash_max: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lock_timeout: Duration::from_secs(2),
            statement_timeout: None,
            lock_retries: 4,
            retry_base: Duration::from_millis(500),
            read_only: false,
            checks_role: None,
            gates: crate::plan::batch::Gates::default(),
            keep: true,
            trash_max: 2 << 30,
        }
    }
}

/// Where a failed statement is in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub version: String,
    pub file: String,
    pub line: u32,
    pub statement: String,
    pub sqlstate: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "phase {} failed at {}:{} [{}] {}",
            self.version, self.file, self.line, self.sqlstate, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("database error: {}", db_message(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error(
        "{table} was not created by pgstep: it looks like {owner} table (columns: {columns}). \
         pgstep never alters a table it did not create; give pgstep its own history table \
         with --history-table pgstep_migrations"
    )]
    ForeignTable {
        table: String,
        owner: &'static str,
        columns: String,
    },
    #[error("another pgstep holds the migration lock: {0}")]
    LockHeld(Box<Holder>),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    PhaseFailed(Box<Failure>),
    #[error(
        "phase {version}: check `{check}` failed ({expect}): {detail}; the phase was {outcome}"
    )]
    CheckFailed {
        version: String,
        check: String,
        expect: String,
        detail: String,
        outcome: &'static str,
    },
    #[error("{}", .left.describe(.version))]
    Cancelled { version: String, left: Left },
    /// The session was lost mid-work; a second session read what really happened.
    #[error("{}", .lost.describe(.version))]
    ConnectionLost { version: String, lost: Lost },
    #[error("phase {version} needs extension(s) {} that the database does not have: CREATE EXTENSION first", .missing.join(", "))]
    MissingExtensions {
        version: String,
        missing: Vec<String>,
    },
    #[error("{0}")]
    Input(String),
    /// A migration's files could not be read again, or changed since the plan was read.
    #[error("{0}")]
    Plan(#[from] crate::plan::PlanError),
    #[error("{0}")]
    Unread(#[from] crate::plan::Unread),
    /// The adopted tool is migrating this database now: it holds its own lock.
    #[error("{0}")]
    ToolLocked(String),
    /// The adopted tool's table or names could not be read or written as the tool does.
    #[error("{0}")]
    Adopt(#[from] crate::adopt::Error),
}

/// See [`Engine::change_mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeMark {
    pub newest: Option<i64>,
    pub holder: Option<i32>,
}

/// How a cancelled phase was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// Its transaction rolled back: nothing of it remains.
    RolledBack,
    /// Some statements of a `Transaction: none` phase ran: it is dirty.
    Dirty,
    /// A rollback in one transaction was cancelled: the phase is still applied.
    StillApplied,
    /// Some DOWN statements of a `Transaction: none` phase ran.
    RollingBack,
}

impl Left {
    fn describe(self, version: &str) -> String {
        match self {
            Left::RolledBack => format!("phase {version} was cancelled and rolled back"),
            Left::Dirty => format!(
                "phase {version} was cancelled part-way: it is dirty; `pgstep resume {version}` \
                 continues it"
            ),
            Left::StillApplied => format!(
                "the rollback of phase {version} was cancelled and undone: the phase is still \
                 applied"
            ),
            Left::RollingBack => format!(
                "the rollback of phase {version} was cancelled part-way: it is rolling back; \
                 `pgstep down --steps 1` continues it"
            ),
        }
    }
}

/// The server's message, with detail and hint when it gave them.
fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("[{}] {}", db.code().code(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!(" ({d})"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!(" hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}

/// What the engine reports while it works, for a progress line or the console.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    PhaseStarted {
        version: String,
        name: String,
        statements: usize,
    },
    Statement {
        version: String,
        index: usize,
        line: u32,
        step: Option<String>,
    },
    LockRetry {
        version: String,
        attempt: u32,
        wait: Duration,
        message: String,
    },
    Checks {
        version: String,
        outcomes: Vec<CheckOutcome>,
    },
    PhaseDone {
        version: String,
        millis: u64,
    },
}

/// Stops a run: marks it cancelled, so the engine records the attempt as such, and carries
/// the token for the cancel request that stops the running statement on the server.
#[derive(Clone)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    token: CancelToken,
}

impl CancelHandle {
    /// Marks the run cancelled; then send the cancel request with [`CancelHandle::token`].
    pub fn request(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    pub fn token(&self) -> &CancelToken {
        &self.token
    }
}

/// A session that runs phases.
pub struct Engine {
    client: Client,
    /// This session's server process, to tell after a lost connection whether it still runs.
    pid: i32,
    /// How to open a second session after this one is lost, to read what really happened.
    reconnect: Option<crate::conninfo::Params>,
    tables: Tables,
    settings: Settings,
    operator: Operator,
    cancelled: Arc<AtomicBool>,
    /// Steers the batched step that runs, from the console or a signal.
    batch: batch::BatchControl,
    /// Prepared on the first write, once the tables exist; forgotten after a statement that
    /// deallocates prepared statements, so the next write prepares them again.
    writes: std::sync::Mutex<Option<Arc<Writes>>>,
    /// Whose privileges checks run with, once found.
    checks_as: tokio::sync::Mutex<Option<checks::ChecksAs>>,
    /// Said to the operator once, when checks fall back to the operator's privileges.
    checks_notice: std::sync::Mutex<Option<String>>,
    /// The project's own migration tool, whose table says what is applied and gets pgstep's
    /// every change (see [`crate::adopt`]).
    tool: Option<crate::adopt::Found>,
    /// The tool's own advisory lock, while this session holds it.
    tool_lock: std::sync::Mutex<Option<i64>>,
    /// The operator's choice about large copies, for the runs that follow.
    keep_choice: std::sync::Mutex<keeping::KeepChoice>,
}

impl Engine {
    /// Starts the engine on `client`: names the history's schema, and bounds every lock wait
    /// of the session (bookkeeping included) by the configured `lock_timeout`. With
    /// `reconnect`, a lost connection is followed by a second session that reads what
    /// really happened.
    pub async fn open(
        client: Client,
        mut tables: Tables,
        settings: Settings,
        operator: Operator,
        reconnect: Option<crate::conninfo::Params>,
    ) -> Result<Self, EngineError> {
        // Sent together: one wait for the server instead of three, on every command.
        let timeouts = exec::session_timeouts_sql(&settings);
        let (_, _, pid) = tokio::try_join!(
            tables.resolve(&client),
            async { Ok(client.batch_execute(&timeouts).await?) },
            async {
                let row = client
                    .query_typed_one("SELECT pg_backend_pid()", &[])
                    .await?;
                Ok::<i32, EngineError>(row.get(0))
            },
        )?;
        Ok(Engine {
            client,
            pid,
            reconnect,
            tables,
            settings,
            operator,
            cancelled: Arc::new(AtomicBool::new(false)),
            batch: batch::BatchControl::default(),
            writes: std::sync::Mutex::new(None),
            checks_as: tokio::sync::Mutex::new(None),
            checks_notice: std::sync::Mutex::new(None),
            tool: None,
            tool_lock: std::sync::Mutex::new(None),
            keep_choice: std::sync::Mutex::new(keeping::KeepChoice::default()),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            flag: self.cancelled.clone(),
            token: self.client.cancel_token(),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The history rows, or none when the tables do not exist yet.
    pub async fn history(&self) -> Result<Vec<HistoryRow>, EngineError> {
        match bookkeeping::existing(&self.tables, &self.client)
            .await?
            .history
        {
            None => Ok(Vec::new()),
            Some(layout) => Ok(self.tables.rows_of_layout(&self.client, layout).await?),
        }
    }

    /// The SQL recorded when phase `version` (as stored) was applied; empty without a row.
    pub async fn applied_sql(&self, version: &str) -> Result<AppliedSql, EngineError> {
        let found = self.tables.applied_sql(&self.client, &[version]).await?;
        Ok(found
            .into_iter()
            .next()
            .map(|(_, sql)| sql)
            .unwrap_or_default())
    }

    /// The server process id of this session, to watch it from another connection.
    pub async fn backend_pid(&self) -> Result<i32, EngineError> {
        Ok(self.pid)
    }

    /// What is wrong with the event log, if anything: empty while it is intact or does not
    /// exist yet.
    pub async fn integrity(&self) -> Result<Vec<integrity::Finding>, EngineError> {
        let found = bookkeeping::existing(&self.tables, &self.client).await?;
        match (found.history, found.log) {
            (None, Some(_)) => Ok(vec![integrity::Finding::HistoryDropped]),
            (Some(_), Some(bookkeeping::CURRENT)) => {
                Ok(integrity::check(&self.tables, &self.client).await?)
            }
            (Some(_), None) => Ok(vec![integrity::Finding::LogDropped]),
            _ => Ok(Vec::new()),
        }
    }

    /// Runs one query as a check runs (see [`checks`]) and keeps its whole result as text.
    pub async fn query_read_only(&self, sql: &str) -> Result<ResultSet, EngineError> {
        let who = self.checks_as().await?;
        checks::query(&self.client, &who, checks::Scope::Alone, sql)
            .await?
            .map_err(EngineError::Refused)
    }

    /// A cheap mark of what others may have changed: the newest event's id (none without a
    /// log) and the pid holding the migration lock. The console polls it and reloads when it
    /// moves.
    pub async fn change_mark(&self) -> Result<ChangeMark, EngineError> {
        let newest = match bookkeeping::existing(&self.tables, &self.client).await?.log {
            Some(_) => self
                .client
                .query_one(
                    &format!("SELECT max(id)::int8 FROM {}", self.tables.log_sql()),
                    &[],
                )
                .await?
                .get(0),
            None => None,
        };
        let holder = self.lock_holder().await?.map(|h| h.pid);
        Ok(ChangeMark { newest, holder })
    }

    /// Who holds the migration lock now, if anyone.
    pub async fn lock_holder(&self) -> Result<Option<Holder>, EngineError> {
        lock::holder(&self.client, &self.tables).await
    }

    /// The event log, newest first.
    pub async fn events(&self, limit: i64) -> Result<Vec<LoggedEvent>, EngineError> {
        match self.tables.presence(&self.client).await? {
            history::Presence::Missing => Ok(Vec::new()),
            history::Presence::Ours => Ok(self.tables.events(&self.client, limit).await?),
        }
    }

    /// Takes the migration lock and puts the tables in place; pair with [`Engine::unlock`].
    async fn lock(&self) -> Result<(), EngineError> {
        if self.settings.read_only {
            return Err(EngineError::Refused(
                "this session is read-only (its profile says read_only = true): nothing was changed"
                    .into(),
            ));
        }
        self.tables.presence(&self.client).await?;
        lock::acquire(&self.client, &self.tables).await?;
        if let Err(e) = self.ensure_own_schema().await {
            lock::release(&self.client, &self.tables).await.ok();
            return Err(e);
        }
        if let Err(e) = self.lock_tool().await {
            lock::release(&self.client, &self.tables).await.ok();
            return Err(e);
        }
        if let Err(e) = bookkeeping::ensure(&self.tables, &self.client, &self.settings).await {
            lock::release(&self.client, &self.tables).await.ok();
            return Err(e);
        }
        Ok(())
    }

    /// Releases the migration lock after the work's `result`, which wins over a release error.
    /// A session lost after the work is no error: the server releases its locks with it.
    async fn unlock<T>(&self, result: Result<T, EngineError>) -> Result<T, EngineError> {
        // A cancel belongs to the work it stopped: the console runs many on one engine.
        self.cancelled.store(false, Ordering::SeqCst);
        self.unlock_tool().await;
        self.batch.reset();
        let released = lock::release(&self.client, &self.tables).await;
        let value = result?;
        match released {
            Err(EngineError::Db(e)) if lost::is_lost(&self.client, &e) => Ok(value),
            Err(e) => Err(e),
            Ok(()) => Ok(value),
        }
    }

    async fn writes(&self) -> Result<Arc<Writes>, tokio_postgres::Error> {
        if let Some(w) = self.writes.lock().ok().and_then(|w| w.clone()) {
            return Ok(w);
        }
        let w = Arc::new(Writes::prepare(&self.client, &self.tables).await?);
        if let Ok(mut slot) = self.writes.lock() {
            *slot = Some(w.clone());
        }
        Ok(w)
    }

    /// After running `part`: if it can have deallocated the prepared writes (`DEALLOCATE`,
    /// `DISCARD ALL`, also in a transaction that rolled back), prepare them again next time.
    fn after_part(&self, part: crate::plan::Sql<'_>) {
        if part.statements().any(|s| crate::sql::drops_prepared(s.sql)) {
            self.forget_writes();
        }
    }

    /// [`Engine::after_part`] for one statement.
    fn after_statement(&self, sql: &str) {
        if crate::sql::drops_prepared(sql) {
            self.forget_writes();
        }
    }

    fn forget_writes(&self) {
        if let Ok(mut slot) = self.writes.lock() {
            *slot = None;
        }
    }

    /// Writes (or overwrites) the history row of `m`.
    async fn save(&self, m: &Read<'_>, rec: &Record<'_>) -> Result<(), tokio_postgres::Error> {
        let w = self.writes().await?;
        w.record(&self.client, m, rec, &self.operator).await?;
        if rec.state == RowState::Dirty
            && let Some(found) = self.tool()
            // The name was checked before the phase started.
            && let Ok(e) = found.entry(m)
        {
            let ms = rec.execution_time_ms.unwrap_or(0).max(0) as u64;
            let took = crate::adopt::Elapsed::Took(Duration::from_millis(ms));
            self.tool_write(found.stopped(&e, took)).await?;
        }
        Ok(())
    }

    async fn log(&self, e: Event<'_>) -> Result<(), EngineError> {
        let w = self.writes().await?;
        Ok(w.event(&self.client, &e, &self.operator).await?)
    }

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
            let after = if applied { "applied" } else { "pending" };
            eng.log(Event {
                kind: EventKind::Mark,
                version: Some(stored),
                name: m.map(|m| m.name.as_str()),
                outcome: after,
                duration_ms: None,
                reason: Some(reason),
                details: serde_json::json!({ "from": before, "to": after }),
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
                outcome: "accepted",
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

/// The migration of `version` in the plan.
fn find<'a>(plan: &'a Plan, version: &Version) -> Option<&'a Migration> {
    plan.migrations.iter().find(|m| m.version == *version)
}

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
