//! Applying, verifying and rolling back phases on a real PostgreSQL: every state change
//! recorded, one operator at a time, never a half-applied phase left silently.

mod adopted;
mod apply;
pub mod batch;
pub mod bookkeeping;
mod checks;
mod checksum_column;
mod decisions;
pub mod drift;
mod dryrun;
mod error;
mod exec;
pub mod history;
pub mod impact;
mod in_doubt;
pub mod integrity;
pub mod keeping;
mod late;
pub mod lock;
mod lost;
pub mod maintenance;
mod onebyone;
pub mod operator;
mod rollback;
pub mod sessions;

mod stopped;
pub mod verdict;
mod verify;
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
use error::db_message;
pub use error::{EngineError, Failure, Left};
pub use exec::session_timeouts_sql;
pub use history::{
    AppliedSql, Event, EventKind, HistoryRow, LoggedEvent, LoggedOutcome, Outcome, Placement,
    Record, RowState, Tables,
};
pub use lock::Holder;
pub use lost::{Lost, is_connection_error};
pub use onebyone::InDoubt;
pub use operator::Operator;
pub use rollback::{DownTarget, RolledBack, Undo};
pub use verdict::{Grade, ResultSet, Verdict};
pub use verify::Verified;

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

/// See [`Engine::change_mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangeMark {
    pub newest: Option<i64>,
    pub holder: Option<i32>,
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
    /// Phases pgstep applied before it adopted `tool`'s table were recorded there, as the
    /// tool records them, none of them run again.
    RecordedInTool {
        tool: crate::adopt::Tool,
        versions: Vec<String>,
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
        if let Err(e) = bookkeeping::ensure(
            &self.tables,
            &self.client,
            &self.settings,
            self.tool.as_ref(),
        )
        .await
        {
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
}

/// The migration of `version` in the plan.
fn find<'a>(plan: &'a Plan, version: &Version) -> Option<&'a Migration> {
    plan.migrations.iter().find(|m| m.version == *version)
}
