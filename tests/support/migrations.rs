//! Helpers for the engine tests: a directory of migration files, the real `pgstep` binary run
//! against a test database, and a plain session to look at what the database really holds.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::runtime::Runtime;
use tokio_postgres::{Client, SimpleQueryMessage};

use super::{TestDb, describe, fresh_db};

/// No pgstep command in these tests should take longer; one that does is hung.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// `n` fresh databases listed as the targets of fleet `t`, `settings` (TOML lines) after
/// them, in a `pgstep.toml` of a directory of its own.
pub fn fleet_of(n: usize, settings: &str) -> (Vec<TestDb>, Dir) {
    let dbs: Vec<TestDb> = (0..n).map(|_| fresh_db()).collect();
    let list: Vec<String> = dbs.iter().map(|d| format!("\"{}\"", d.url())).collect();
    let config = Dir::new();
    config.write(
        "pgstep.toml",
        &format!("[fleets.t]\ntargets = [{}]\n{settings}", list.join(", ")),
    );
    (dbs, config)
}

/// pgstep run to its end with the `pgstep.toml` of `config` and the plan in `plan`.
pub fn fleet(config: &Dir, plan: &Dir, args: &[&str]) -> Run {
    let config = config.path().join("pgstep.toml");
    finish(
        command_with_config(&config, plan.path(), args)
            .spawn()
            .expect("pgstep starts"),
    )
}

/// A temporary migrations directory.
pub struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes (or overwrites) one migration file.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {name}: {e}"));
        path
    }

    pub fn remove(&self, name: &str) {
        std::fs::remove_file(self.dir.path().join(name))
            .unwrap_or_else(|e| panic!("removing {name}: {e}"));
    }

    /// Copies every file of `from` in.
    pub fn copy_from(&self, from: &Path) {
        for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
            let entry = entry.expect("a directory entry");
            std::fs::copy(entry.path(), self.dir.path().join(entry.file_name()))
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

/// What one pgstep command did.
#[derive(Debug)]
pub struct Run {
    /// The exit code; `None` when a signal ended the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(status: ExitStatus, stdout: String, stderr: String) -> Run {
        Run {
            code: status.code(),
            stdout,
            stderr,
        }
    }

    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, Some(code), "unexpected exit code:\n{self}");
        self
    }

    /// Both streams, for searching a message wherever pgstep printed it.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `pgstep --url URL --dir DIR ARGS...`, with no terminal and none of the caller's libpq
/// settings, ready to spawn.
pub fn command(url: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = bare();
    cmd.arg("--url").arg(url).arg("--dir").arg(dir).args(args);
    cmd
}

/// `pgstep --config CONFIG --dir DIR ARGS...`, as [`command`] makes it: for what the
/// configuration names, such as a fleet's targets.
pub fn command_with_config(config: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = bare();
    cmd.arg("--config")
        .arg(config)
        .arg("--dir")
        .arg(dir)
        .args(args);
    cmd
}

/// pgstep with no terminal and none of the caller's libpq settings.
fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgstep"));
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CALLERS_LIBPQ {
        cmd.env_remove(var);
    }
    cmd
}

/// The caller's libpq settings, which would point a test's pgstep elsewhere.
pub const CALLERS_LIBPQ: [&str; 5] = [
    "DATABASE_URL",
    "PGPASSWORD",
    "PGAPPNAME",
    "PGSERVICE",
    "PGOPTIONS",
];

/// Runs pgstep to completion.
pub fn pgstep(db: &TestDb, dir: &Dir, args: &[&str]) -> Run {
    pgstep_url(db.url(), dir, args)
}

pub fn pgstep_url(url: &str, dir: &Dir, args: &[&str]) -> Run {
    let child = command(url, dir.path(), args)
        .spawn()
        .expect("the pgstep binary starts");
    finish(child)
}

/// Waits for a spawned pgstep, killing it (and failing the test) if it hangs.
pub fn finish(mut child: Child) -> Run {
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).ok();
        s
    });
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for pgstep") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("pgstep ran longer than {RUN_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run::from(
        status,
        out.join().expect("stdout reader"),
        err.join().expect("stderr reader"),
    )
}

/// Polls `done` every 20 ms until it holds or `timeout` passes; true if it held.
pub fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One row of the history table, as text.
#[derive(Debug, Clone)]
pub struct History {
    pub version: String,
    pub state: String,
    pub success: bool,
    pub error_message: Option<String>,
    pub error_sqlstate: Option<String>,
    pub error_line: Option<i32>,
    pub statements_done: Option<i32>,
    pub statements_total: Option<i32>,
}

/// One event of the log.
#[derive(Debug, Clone)]
pub struct LogEvent {
    pub event: String,
    pub version: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub details: Value,
}

/// A plain session of the test's own: synchronous, so tests read top to bottom.
pub struct Pg {
    rt: Runtime,
    client: Client,
}

impl Pg {
    pub fn connect(url: &str) -> Pg {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let client = rt.block_on(super::connect(url));
        Pg { rt, client }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Runs SQL that must succeed.
    pub fn exec(&self, sql: &str) {
        self.try_exec(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn try_exec(&self, sql: &str) -> Result<(), String> {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .map_err(|e| describe(&e))
    }

    /// Every row of every result, as text (`None` is NULL).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let msgs = self
            .rt
            .block_on(self.client.simple_query(sql))
            .unwrap_or_else(|e| panic!("{sql}: {}", describe(&e)));
        msgs.iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                }
                _ => None,
            })
            .collect()
    }

    /// The single value of a one-row query.
    pub fn value(&self, sql: &str) -> Option<String> {
        let rows = self.rows(sql);
        assert_eq!(rows.len(), 1, "{sql}: expected one row, got {rows:?}");
        rows[0][0].clone()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.value(sql)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{sql}: not a number"))
    }

    /// Whether a table, index or other relation of that name exists.
    pub fn exists(&self, relation: &str) -> bool {
        let sql = format!(
            "SELECT to_regclass('{}') IS NOT NULL",
            relation.replace('\'', "''")
        );
        self.value(&sql).as_deref() == Some("t")
    }

    /// A table as its maker made it: each column's name, type, NOT NULL and default, and
    /// every constraint with its name, for comparing with the table a tool makes.
    pub fn table_shape(&self, table: &str) -> Vec<Vec<Option<String>>> {
        let table = table.replace('\'', "''");
        let mut shape = self.rows(&format!(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull::text, \
                    pg_get_expr(d.adbin, d.adrelid) \
             FROM pg_attribute a \
             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE a.attrelid = '{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum"
        ));
        shape.extend(self.rows(&format!(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = '{table}'::regclass ORDER BY conname"
        )));
        shape
    }

    pub fn column_exists(&self, table: &str, column: &str) -> bool {
        self.count(&format!(
            "SELECT count(*) FROM information_schema.columns \
             WHERE table_name = '{table}' AND column_name = '{column}'"
        )) == 1
    }

    /// The rows of history table `table`, in version order.
    pub fn history_in(&self, table: &str) -> Vec<History> {
        self.history_at(&format!("\"{table}\""))
    }

    /// The rows of pgstep's history in its own schema, where it is kept beside a tool's
    /// table or a tool's files.
    pub fn own_history(&self) -> Vec<History> {
        self.history_at("pgstep.history")
    }

    fn history_at(&self, qualified: &str) -> Vec<History> {
        let sql = format!(
            "SELECT version, state, success::text, error_message, error_sqlstate,
                    error_line::text, statements_done::text, statements_total::text
             FROM {qualified} ORDER BY version"
        );
        let int = |v: &Option<String>| v.as_deref().map(|s| s.parse().expect("an integer"));
        self.rows(&sql)
            .iter()
            .map(|r| History {
                version: r[0].clone().expect("a version"),
                state: r[1].clone().expect("a state"),
                success: r[2].as_deref() == Some("true"),
                error_message: r[3].clone(),
                error_sqlstate: r[4].clone(),
                error_line: int(&r[5]),
                statements_done: int(&r[6]),
                statements_total: int(&r[7]),
            })
            .collect()
    }

    pub fn history(&self) -> Vec<History> {
        self.history_in("schema_migrations")
    }

    /// `version -> state` pairs of the history, in version order.
    pub fn states(&self) -> Vec<(String, String)> {
        self.history()
            .into_iter()
            .map(|h| (h.version, h.state))
            .collect()
    }

    /// The event log, oldest first.
    pub fn events(&self) -> Vec<LogEvent> {
        self.events_at("schema_migrations_log")
    }

    /// The event log beside pgstep's history in its own schema, oldest first.
    pub fn own_events(&self) -> Vec<LogEvent> {
        self.events_at("pgstep.history_log")
    }

    fn events_at(&self, qualified: &str) -> Vec<LogEvent> {
        self.rows(&format!(
            "SELECT event, version, outcome, reason, details::text \
             FROM {qualified} ORDER BY id"
        ))
        .iter()
        .map(|r| LogEvent {
            event: r[0].clone().expect("an event"),
            version: r[1].clone(),
            outcome: r[2].clone().expect("an outcome"),
            reason: r[3].clone(),
            details: serde_json::from_str(r[4].as_deref().unwrap_or("null"))
                .expect("details are JSON"),
        })
        .collect()
    }

    /// The events of one kind, oldest first.
    pub fn events_of(&self, kind: &str) -> Vec<LogEvent> {
        self.events()
            .into_iter()
            .filter(|e| e.event == kind)
            .collect()
    }

    /// The events of one kind in the log in pgstep's own schema, oldest first.
    pub fn own_events_of(&self, kind: &str) -> Vec<LogEvent> {
        self.own_events()
            .into_iter()
            .filter(|e| e.event == kind)
            .collect()
    }
}

/// `(version, state)` pairs for comparing with [`Pg::states`].
pub fn states(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, s)| (v.to_string(), s.to_string()))
        .collect()
}

/// Kills pgstep with SIGKILL and waits until the server has ended its sessions (it finishes
/// the statement in flight first), so what the test reads next is what the kill left.
pub fn kill_and_wait_for_sessions(child: &mut std::process::Child, pg: &Pg) {
    child.kill().ok();
    child.wait().ok();
    assert!(
        wait_until(Duration::from_secs(30), || {
            pg.count(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE application_name LIKE 'pgstep%' AND pid <> pg_backend_pid()",
            ) == 0
        }),
        "a killed pgstep's session did not end"
    );
}
