//! The database side of the CLI: connecting, running engine work with Ctrl-C turned into a
//! server-side cancel, and mapping failures to exit codes.

use std::future::Future;
use std::io::IsTerminal;

use super::exit;
use crate::config::{Confirm, Profile};
use crate::conninfo::{self, Inputs, Params};
use crate::engine::{Engine, EngineError, Operator, Placement, Settings, Tables};
use crate::plan::{self, Plan};
use crate::text::{self, Escaped};

/// Connection and history settings shared by every database command.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Option<String>,
    pub history_table: String,
    pub history_schema: Option<String>,
    pub settings: Settings,
    pub profile: Option<Profile>,
    /// Whose migration history to adopt (`--adopt`, the `adopt` key).
    pub adopt: crate::adopt::Choice,
    /// Whether the history table or schema was named (command line, environment or
    /// configuration): pgstep then keeps its tables there even beside an adopted tool.
    pub history_named: bool,
    /// The migrations directory, where the tool's names and `sqlx.toml` are read.
    pub dir: std::path::PathBuf,
}

impl Target {
    /// The profile's name, or `default` without one.
    pub fn profile_name(&self) -> &str {
        self.profile.as_ref().map_or("default", |p| p.name.as_str())
    }

    /// What decides where pgstep's history is on a database; `adopted`: a tool's table was.
    pub fn placement(&self, adopted: bool) -> Placement<'_> {
        Placement {
            named: Tables::named(self.history_schema.as_deref(), &self.history_table),
            named_by_user: self.history_named,
            adopted,
            dir: &self.dir,
        }
    }

    /// Whether every mutating action needs the typed version.
    pub fn typed(&self) -> bool {
        self.profile
            .as_ref()
            .is_some_and(|p| p.confirm == Confirm::Typed)
    }
}

/// A failure that ends the command, with its exit code.
#[derive(Debug)]
pub struct Fail {
    pub code: u8,
    pub message: String,
}

impl Fail {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Fail {
            code,
            message: message.into(),
        }
    }
}

impl From<EngineError> for Fail {
    fn from(e: EngineError) -> Self {
        let code = match &e {
            EngineError::Db(err) if crate::engine::is_connection_error(err) => exit::CONNECTION,
            EngineError::ConnectionLost { .. } => exit::CONNECTION,
            EngineError::Db(_) => exit::FAILED,
            EngineError::ForeignTable { .. } | EngineError::Input(_) | EngineError::Plan(_) => {
                exit::INPUT
            }
            EngineError::LockHeld(_) | EngineError::ToolLocked(_) => exit::LOCKED,
            EngineError::Refused(_) => exit::REFUSED,
            EngineError::PhaseFailed(_)
            | EngineError::CheckFailed { .. }
            | EngineError::MissingExtensions { .. }
            | EngineError::Unread(_) => exit::FAILED,
            EngineError::Cancelled { .. } => exit::CANCELLED,
            EngineError::Adopt(crate::adopt::Error::Db(err))
                if crate::engine::is_connection_error(err) =>
            {
                exit::CONNECTION
            }
            EngineError::Adopt(crate::adopt::Error::Db(_)) => exit::FAILED,
            EngineError::Adopt(_) => exit::INPUT,
        };
        Fail::new(code, e.to_string())
    }
}

/// Reads the plan, or fails with every problem in it.
pub fn load_plan(dir: &std::path::Path) -> Result<Plan, Fail> {
    said(dir, plan::load(dir))
}

/// A plan read from `dir` with its warnings said, or its problems as the failure.
fn said(dir: &std::path::Path, read: Result<Plan, plan::PlanError>) -> Result<Plan, Fail> {
    match read {
        Ok(p) => {
            for w in &p.warnings {
                eprintln!("{w}");
            }
            Ok(p)
        }
        Err(e) => Err(Fail::new(exit::INPUT, plan_errors(dir, &e))),
    }
}

/// The plan being read on a thread of its own, so connecting and querying overlap with it:
/// reading 10,000 files is most of what `status` spends. It keeps no part's text (a state
/// needs only the checksums), so each file's memory is reused for the next one.
pub struct PlanReader {
    dir: std::path::PathBuf,
    task: tokio::task::JoinHandle<Result<Plan, plan::PlanError>>,
}

impl PlanReader {
    pub fn start(dir: &std::path::Path) -> PlanReader {
        let path = dir.to_path_buf();
        PlanReader {
            dir: dir.to_path_buf(),
            task: tokio::task::spawn_blocking(move || plan::load_outline(&path)),
        }
    }

    /// The plan, or its problems: await this before acting on anything else's result, so a
    /// bad plan is reported first, as when it was read before connecting.
    pub async fn finish(self) -> Result<Plan, Fail> {
        match self.task.await {
            Ok(read) => said(&self.dir, read),
            Err(e) => Err(Fail::new(
                exit::INTERNAL,
                format!("pgstep: reading the plan stopped: {e}"),
            )),
        }
    }
}

/// What is said of a plan that cannot be read: every problem, and that nothing was run.
pub fn plan_errors(dir: &std::path::Path, e: &plan::PlanError) -> String {
    format!(
        "{e}\npgstep: the plan in {} has errors; nothing was run",
        text::path(dir)
    )
}

/// An open session: the engine and what is needed to cancel its statements.
pub struct Session {
    pub engine: Engine,
    pub params: Params,
}

/// The connection settings, as libpq would read them; connects to nothing.
pub fn resolve(target: &Target) -> Result<Params, Fail> {
    conninfo::resolve(&Inputs::from_process(target.url.clone()))
        .map_err(|e| Fail::new(exit::INPUT, format!("pgstep: {e}")))
}

pub async fn connect(target: &Target) -> Result<Session, Fail> {
    let params = resolve(target)?;
    for w in params.warnings() {
        eprintln!("warning: {}", Escaped(w));
    }
    open(target, params).await
}

/// Opens a session with settings already resolved.
pub async fn open(target: &Target, params: Params) -> Result<Session, Fail> {
    let client = dial(&params).await?;
    open_on(target, params, client).await
}

/// A connection with settings already resolved, nothing run on it yet.
pub async fn dial(params: &Params) -> Result<tokio_postgres::Client, Fail> {
    let (client, _connection) = conninfo::connect(params)
        .await
        .map_err(|e| Fail::new(exit::CONNECTION, format!("pgstep: {e}")))?;
    Ok(client)
}

/// Opens a session on `client`, a connection [`dial`] made with `params`.
pub async fn open_on(
    target: &Target,
    params: Params,
    client: tokio_postgres::Client,
) -> Result<Session, Fail> {
    let mut settings = target.settings.clone();
    if target.profile.as_ref().is_some_and(|p| p.read_only) {
        settings.read_only = true;
        // The server enforces it too, whatever a query tries.
        client
            .batch_execute("SET default_transaction_read_only = on")
            .await
            .map_err(|e| Fail::new(exit::CONNECTION, format!("pgstep: {e}")))?;
    }
    let placed = Tables::place_with_tool(&client, target.placement(false), target.adopt)
        .await
        .map_err(Fail::from)?;
    let mut engine = Engine::open(
        client,
        placed.tables,
        settings,
        Operator::current(),
        Some(params.clone()),
    )
    .await
    .map_err(Fail::from)?;
    engine.adopt(placed.tool);
    Ok(Session { engine, params })
}

/// Says on stderr, before a change, that the event log was tampered with, if it was.
pub async fn warn_if_tampered(session: &Session) -> Result<(), Fail> {
    let found = session.engine.integrity().await?;
    if !found.is_empty() {
        eprintln!("WARNING: {}", crate::engine::integrity::describe(&found));
    }
    Ok(())
}

/// Runs `work`; Ctrl-C or SIGTERM cancels the running statement on the server (not only the
/// client), and the engine records the attempt as cancelled before `work` returns. What the
/// engine has to say about how its checks ran is said after.
pub async fn cancellable<T>(
    session: &Session,
    work: impl Future<Output = Result<T, EngineError>>,
) -> Result<T, Fail> {
    let handle = session.engine.cancel_handle();
    let batches = session.engine.batch_control();
    let params = session.params.clone();
    let watcher = tokio::spawn(async move {
        shutdown_signal().await;
        // A batched step stops cleanly between batches; a second signal does not wait.
        if batches.is_running() {
            eprintln!(
                "\npgstep: stopping after the current batch (`pgstep resume` goes on from \
                 there); Ctrl-C again cancels it on the server"
            );
            batches.stop_after_batch();
            shutdown_signal().await;
        }
        eprintln!("\npgstep: cancelling the running statement on the server...");
        handle.request();
        if let Err(e) = conninfo::cancel(&params, handle.token()).await {
            eprintln!("pgstep: the cancel request failed: {e}");
        }
    });
    let result = work.await;
    watcher.abort();
    if let Some(notice) = session.engine.take_checks_notice() {
        eprintln!("warning: {notice}");
    }
    result.map_err(Fail::from)
}

pub(super) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                tokio::signal::ctrl_c().await.ok();
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await.ok();
}

/// Asks the operator to type `expected` before a destructive action. Without a terminal the
/// action needs `--yes`.
pub fn confirm(question: &str, expected: &str, yes: bool) -> Result<(), Fail> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Fail::new(
            exit::INPUT,
            "pgstep: refusing to change the database without a terminal to confirm on; pass --yes",
        ));
    }
    eprintln!("{}", text::escape_lines(question));
    eprint!("Type {expected} and Enter to go ahead (anything else cancels): ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Fail::new(exit::INPUT, format!("pgstep: cannot read the answer: {e}")))?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(Fail::new(
            exit::CANCELLED,
            "pgstep: not confirmed; nothing was changed",
        ))
    }
}

/// Runs one command on a single-threaded runtime: a command waits on one session at a time,
/// and handing every reply from a connection thread to a worker thread cost more CPU than
/// the command's own work.
pub fn block_on<F: Future<Output = Result<(), Fail>>>(f: F) -> u8 {
    run_on(tokio::runtime::Builder::new_current_thread(), f)
}

/// Runs the console, whose screen and sessions work side by side, on two threads.
pub fn block_on_threaded<F: Future<Output = Result<(), Fail>>>(f: F) -> u8 {
    tune_malloc();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2);
    run_on(builder, f)
}

/// The console's threads (the plan reader, the runtime's workers, its blocking pool) would
/// each get a malloc arena of their own, and memory freed in one (the plan reader's
/// scratch) could not hold what another allocates next (the history, the monitoring
/// reports), so the peak held the sum of the arenas' highs. Called before any thread starts.
///
/// The mmap threshold is fixed at glibc's initial 128 KiB. Left dynamic (mallopt(3)), it
/// rises to the size of each mapped block freed, and blocks below that then come from the
/// heap, where they stay among the small blocks around them; above a fixed threshold each
/// has pages of its own, returned whole when it is freed. Measured on a 10,000-phase
/// console, live: 47.3 against 49.0 MB at its peak (BENCHMARKS.md).
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets parameters of glibc's malloc; no thread has started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn run_on<F: Future<Output = Result<(), Fail>>>(mut builder: tokio::runtime::Builder, f: F) -> u8 {
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pgstep: cannot start the async runtime: {e}");
            return exit::INTERNAL;
        }
    };
    match runtime.block_on(f) {
        Ok(()) => exit::OK,
        Err(fail) => {
            eprintln!("{}", text::escape_lines(&fail.message));
            fail.code
        }
    }
}
