//! PostgreSQL clusters started from the server binaries installed on this machine: throwaway
//! ones for the test suite and a persistent one for `pgstep demo`.
//!
//! A cluster lives in one directory: `data/` (the data directory), `server.log`, and the unix
//! socket. The server listens on that socket and on `127.0.0.1` at a port that was free when
//! it started, and trusts every local connection. As root, initdb and the server run as the
//! `postgres` system user, since PostgreSQL refuses to run as root.

mod binaries;
mod process;
mod running;
mod standby;
mod user;

use std::fmt::Write as _;
use std::io::{self, Read, Seek};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use binaries::{BINDIR_ENV, Binaries, PgVersion};
use user::Account;
pub use user::running_as_root;

/// The superuser initdb creates; every connection logs in as it.
pub const SUPERUSER: &str = "postgres";

/// Enough for a test binary whose tests all hold connections at once.
const MAX_CONNECTIONS: u32 = 200;
/// A first start on a loaded CI machine can be slow; a healthy one takes well under a second.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Another process may take the port between our probe and the server's bind.
const PORT_ATTEMPTS: u32 = 5;
/// The longest unix socket path: `sun_path` holds 108 bytes on Linux, 104 on the BSDs.
const MAX_SOCKET_PATH: usize = 103;
const LOG_TAIL_LINES: usize = 30;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb and postgres) found in PATH, `pg_config --bindir` \
         or /usr/lib/postgresql/*/bin (searched {})\n  \
         hint: install them with `apt-get install postgresql` (Debian, Ubuntu), or set \
         {BINDIR_ENV} to the directory that holds them",
        list_paths(searched)
    )]
    NoBinaries { searched: Vec<PathBuf> },
    #[error("{BINDIR_ENV}={}: {reason}", dir.display())]
    BadBinDir { dir: PathBuf, reason: String },
    #[error(
        "running as root, but there is no `postgres` user in /etc/passwd to run the server as \
         (PostgreSQL refuses to run as root)\n  \
         hint: create one with `useradd --system postgres`, or run as an ordinary user"
    )]
    NoServerUser,
    #[error(
        "{}: the data directory is PostgreSQL {major}, but only these server binaries were \
         found: {found}",
        dir.display()
    )]
    VersionMismatch {
        dir: PathBuf,
        major: String,
        found: String,
    },
    #[error(
        "{}: the unix socket path would be longer than the {MAX_SOCKET_PATH} bytes the system \
         allows; use a shorter directory",
        dir.display()
    )]
    SocketPathTooLong { dir: PathBuf },
    #[error("{what}: {error}")]
    Io { what: String, error: io::Error },
    #[error("pg_basebackup failed ({status}):\n{output}")]
    Basebackup { status: ExitStatus, output: String },
    #[error("initdb failed ({status}):\n{output}")]
    Initdb { status: ExitStatus, output: String },
    #[error(
        "the PostgreSQL server did not start: {reason}\n--- end of {} ---\n{tail}",
        log.display()
    )]
    Start {
        reason: String,
        log: PathBuf,
        tail: String,
    },
    #[error("the PostgreSQL server did not stop: {0}")]
    Stop(String),
}

fn list_paths(paths: &[PathBuf]) -> String {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if names.is_empty() {
        "nothing".to_owned()
    } else {
        names.join(", ")
    }
}

fn io_error(what: impl FnOnce() -> String) -> impl FnOnce(io::Error) -> ClusterError {
    move |error| ClusterError::Io {
        what: what(),
        error,
    }
}

/// A running cluster. Dropping it stops the server; a temporary one also loses its directory.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    binaries: Binaries,
    mode: Mode,
    server: Option<Child>,
    /// Cleans a temporary cluster up should this process die without dropping it.
    watchdog: Option<Child>,
}

impl Cluster {
    /// Initialises and starts a throwaway cluster in a new directory under the system's temp
    /// directory, with durability off for speed.
    ///
    /// Everything is removed on drop, and by a watchdog process if this process ends without
    /// dropping it (a `static`, a kill): the server stops within about a second of that.
    pub fn temporary() -> Result<Cluster, ClusterError> {
        Cluster::temporary_from(Binaries::newest()?, |_, _| Ok(()))
    }

    /// A temporary cluster whose directory `fill` prepares first (given the directory and
    /// the account the server runs as); without a `data/` after it, initdb makes one.
    fn temporary_from(
        binaries: Binaries,
        fill: impl FnOnce(&Path, Option<Account>) -> Result<(), ClusterError>,
    ) -> Result<Cluster, ClusterError> {
        let account = server_account()?;
        let dir = make_temp_dir()?;
        let watchdog = match process::spawn_watchdog(&dir) {
            Ok(watchdog) => watchdog,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(ClusterError::Io {
                    what: "starting the watchdog (sh)".into(),
                    error,
                });
            }
        };
        let mut cluster = Cluster {
            dir,
            port: 0,
            binaries,
            mode: Mode::Temporary,
            server: None,
            watchdog: Some(watchdog),
        };
        if let Err(e) = fill(&cluster.dir, account) {
            let _ = cluster.shutdown();
            return Err(e);
        }
        cluster.boot(account)?;
        Ok(cluster)
    }

    /// Starts the persistent cluster in `dir`, running initdb first if `dir` holds none yet.
    /// An existing cluster is started with binaries of its own major version. Nothing is
    /// removed on drop or [`stop`](Cluster::stop); there is no watchdog.
    ///
    /// As root, the `postgres` user must be able to reach `dir`: directories under `/root`
    /// are closed to it.
    pub fn start_in(dir: &Path) -> Result<Cluster, ClusterError> {
        let account = server_account()?;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_error(|| format!("creating {}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(io_error(|| format!("reading {}", dir.display())))?;
        let binaries = match existing_major(&dir)? {
            None => Binaries::newest()?,
            Some(major) => {
                let all = Binaries::find_all()?;
                let found = all
                    .iter()
                    .map(|b| b.version.to_string())
                    .collect::<Vec<_>>();
                all.into_iter()
                    .find(|b| b.version.major() == major)
                    .ok_or_else(|| ClusterError::VersionMismatch {
                        dir: dir.join("data"),
                        major,
                        found: found.join(", "),
                    })?
            }
        };
        let mut cluster = Cluster {
            dir,
            port: 0,
            binaries,
            mode: Mode::Persistent,
            server: None,
            watchdog: None,
        };
        cluster.boot(account)?;
        Ok(cluster)
    }

    /// Stops the server (fast shutdown, escalating after a timeout) and, for a temporary
    /// cluster, removes its directory; dropping does the same but cannot report failure.
    pub fn stop(mut self) -> Result<(), ClusterError> {
        self.shutdown()
    }

    /// A `postgresql://` URL for database `db` over TCP, for psql and tokio-postgres alike.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgresql://{SUPERUSER}@127.0.0.1:{}/{}",
            self.port,
            percent_encode(db)
        )
    }

    /// The directory holding `data/`, `server.log` and the unix socket.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Where the unix socket `.s.PGSQL.<port>` is (libpq's `host` for a socket connection).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The version of the server binaries.
    pub fn version(&self) -> &PgVersion {
        &self.binaries.version
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Child::id)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Runs initdb when needed and starts the server; on failure a temporary cluster's
    /// directory is already gone.
    fn boot(&mut self, account: Option<Account>) -> Result<(), ClusterError> {
        let result = self.try_boot(account);
        if result.is_err() {
            let _ = self.shutdown();
        }
        result
    }

    fn try_boot(&mut self, account: Option<Account>) -> Result<(), ClusterError> {
        let socket = self.dir.join(".s.PGSQL.65535");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(ClusterError::SocketPathTooLong {
                dir: self.dir.clone(),
            });
        }
        if let Some(account) = account {
            std::os::unix::fs::chown(&self.dir, Some(account.uid), Some(account.gid)).map_err(
                io_error(|| format!("handing {} to `postgres`", self.dir.display())),
            )?;
        }
        if !self.data_dir().join("PG_VERSION").exists() {
            self.initdb(account)?;
        }
        for attempt in 1..=PORT_ATTEMPTS {
            match self.launch(account) {
                Err(Launch::PortTaken(_)) if attempt < PORT_ATTEMPTS => continue,
                Err(Launch::PortTaken(e) | Launch::Failed(e)) => return Err(e),
                Ok(()) => return Ok(()),
            }
        }
        unreachable!("the last attempt returns")
    }

    fn command(&self, program: &str, account: Option<Account>) -> Command {
        let mut command = Command::new(self.binaries.program(program));
        command.current_dir(&self.dir).stdin(Stdio::null());
        if let Some(account) = account {
            command.uid(account.uid).gid(account.gid);
        }
        command
    }

    fn initdb(&self, account: Option<Account>) -> Result<(), ClusterError> {
        let mut command = self.command("initdb", account);
        command.arg("-D").arg(self.data_dir()).args([
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            // Syncing costs seconds, and only an OS crash within moments of initdb could hurt
            // even the persistent demo cluster, which is cheap to re-create.
            "--no-sync",
        ]);
        let out = command
            .output()
            .map_err(io_error(|| "running initdb".to_owned()))?;
        if !out.status.success() {
            let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
            output.push_str(&String::from_utf8_lossy(&out.stdout));
            return Err(ClusterError::Initdb {
                status: out.status,
                output: tail(&output),
            });
        }
        Ok(())
    }

    /// Starts the server directly, not through pg_ctl, so that it is our child to wait for.
    fn launch(&mut self, account: Option<Account>) -> Result<(), Launch> {
        let port = free_port()
            .map_err(io_error(|| "finding a free port".into()))
            .map_err(Launch::Failed)?;
        let log_path = self.log_path();
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&log_path)
            .map_err(io_error(|| format!("opening {}", log_path.display())))
            .map_err(Launch::Failed)?;
        let log_start = log.seek(io::SeekFrom::End(0)).unwrap_or(0);
        let stderr = log
            .try_clone()
            .map_err(io_error(|| "sharing the log".into()))
            .map_err(Launch::Failed)?;

        let mut command = self.command("postgres", account);
        command.arg("-D").arg(self.data_dir());
        let socket_dir = self.dir.to_string_lossy().replace('"', "\"\"");
        let mut settings = vec![
            format!("port={port}"),
            "listen_addresses=127.0.0.1".to_owned(),
            format!("unix_socket_directories=\"{socket_dir}\""),
            format!("max_connections={MAX_CONNECTIONS}"),
            "shared_buffers=32MB".to_owned(),
            "logging_collector=off".to_owned(),
        ];
        if self.mode == Mode::Temporary {
            settings.extend(
                [
                    "fsync=off",
                    "synchronous_commit=off",
                    "full_page_writes=off",
                ]
                .map(String::from),
            );
        }
        for setting in settings {
            command.arg("-c").arg(setting);
        }
        // Its own process group keeps a terminal's Ctrl-C away from it: the owner or the
        // watchdog stops it in order.
        command
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0);
        let mut server = command
            .spawn()
            .map_err(io_error(|| {
                format!("starting {}", self.binaries.program("postgres").display())
            }))
            .map_err(Launch::Failed)?;

        let legacy = self
            .binaries
            .version
            .parts()
            .first()
            .is_some_and(|&major| major < 10);
        let outcome = wait_ready(&mut server, &self.data_dir(), port, legacy);
        let reason = match outcome {
            Ok(()) => {
                self.port = port;
                self.server = Some(server);
                return Ok(());
            }
            Err(reason) => reason,
        };
        let _ = stop_server(&mut server);
        let mut text = String::new();
        let _ = log
            .seek(io::SeekFrom::Start(log_start))
            .and_then(|_| log.read_to_string(&mut text));
        let error = ClusterError::Start {
            reason,
            log: log_path,
            tail: tail(&text),
        };
        if text.contains("could not bind") || text.contains("Address already in use") {
            Err(Launch::PortTaken(error))
        } else {
            Err(Launch::Failed(error))
        }
    }

    /// Idempotent. The watchdog goes first so that it never races us for the server.
    fn shutdown(&mut self) -> Result<(), ClusterError> {
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let stopped = self
            .server
            .take()
            .map_or(Ok(()), |mut s| stop_server(&mut s));
        if self.mode == Mode::Temporary {
            match std::fs::remove_dir_all(&self.dir) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                    stopped?;
                    let what = format!("removing {}", self.dir.display());
                    return Err(ClusterError::Io { what, error });
                }
                _ => {}
            }
        }
        stopped
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Durability off; the directory goes with the cluster.
    Temporary,
    /// For the demo: durable, and kept.
    Persistent,
}

enum Launch {
    PortTaken(ClusterError),
    Failed(ClusterError),
}

/// `None` when this process may run the server itself.
fn server_account() -> Result<Option<Account>, ClusterError> {
    if !user::running_as_root() {
        return Ok(None);
    }
    user::lookup(user::SERVER_USER)
        .map(Some)
        .ok_or(ClusterError::NoServerUser)
}

fn make_temp_dir() -> Result<PathBuf, ClusterError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = std::env::temp_dir();
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("pgstep-{}-{n}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            // Left behind by an earlier process that had our pid.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => {
                return Err(ClusterError::Io {
                    what: format!("creating a directory in {}", base.display()),
                    error,
                });
            }
        }
    }
}

fn existing_major(dir: &Path) -> Result<Option<String>, ClusterError> {
    let file = dir.join("data").join("PG_VERSION");
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(ClusterError::Io {
            what: format!("reading {}", file.display()),
            error,
        }),
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Waits the way `pg_ctl start -w` does: `postmaster.pid` names our server and, since
/// PostgreSQL 10, says `ready` on its eighth line once connections are accepted. Older
/// servers lack that line, so for them a TCP connection once the file is complete has to do.
fn wait_ready(server: &mut Child, data: &Path, port: u16, legacy: bool) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let pidfile = data.join("postmaster.pid");
    loop {
        match server.try_wait() {
            Ok(Some(status)) => return Err(format!("postgres exited ({status})")),
            Ok(None) => {}
            Err(e) => return Err(format!("cannot watch postgres: {e}")),
        }
        if let Ok(text) = std::fs::read_to_string(&pidfile) {
            let lines: Vec<&str> = text.lines().collect();
            if lines.first().map(|l| l.trim()) == Some(&server.id().to_string()) {
                let ready = if legacy {
                    lines.len() >= 7 && TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok()
                } else {
                    lines.get(7).is_some_and(|status| status.trim() == "ready")
                };
                if ready {
                    return Ok(());
                }
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not ready after {} seconds",
                START_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Fast shutdown; immediate if that hangs; SIGKILL as the last resort.
fn stop_server(server: &mut Child) -> Result<(), ClusterError> {
    let failed = |e: io::Error| ClusterError::Stop(e.to_string());
    for (signal, patience) in [
        ("INT", Duration::from_secs(10)),
        ("QUIT", Duration::from_secs(5)),
    ] {
        // A child not yet waited for keeps its pid, so the signal cannot hit a stranger.
        if server.try_wait().map_err(failed)?.is_some() {
            return Ok(());
        }
        process::signal(server.id(), signal);
        if process::wait_timeout(server, patience)
            .map_err(failed)?
            .is_some()
        {
            return Ok(());
        }
    }
    server.kill().map_err(failed)?;
    server.wait().map_err(failed)?;
    Ok(())
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL_LINES);
    lines[start..].join("\n")
}

/// Escapes all but RFC 3986's unreserved characters, so any database name survives the URL.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_escaped_in_urls() {
        assert_eq!(percent_encode("pgstep_t_1_2"), "pgstep_t_1_2");
        assert_eq!(percent_encode("a b/ä"), "a%20b%2F%C3%A4");
    }

    #[test]
    fn tails_keep_the_last_lines() {
        let text: String = (0..100).map(|i| format!("{i}\n")).collect();
        let kept = tail(&text);
        assert!(kept.starts_with("70\n") && kept.ends_with("99"), "{kept}");
    }

    #[test]
    fn missing_binaries_say_how_to_install_them() {
        let err = ClusterError::NoBinaries {
            searched: vec!["/usr/bin".into()],
        }
        .to_string();
        assert!(err.contains("apt-get install postgresql"), "{err}");
        assert!(err.contains(BINDIR_ENV), "{err}");
    }
}
