//! The real migration tools pgstep adopts, run as a project runs them: sqlx-cli, dbmate,
//! refinery_cli and diesel_cli. A tool that is not installed is installed first, by
//! `tests/support/install-peer.sh` (the script CI's `.ci/run` calls too), one test at a time.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::TestDb;
use super::migrations::{Dir, Pg, Run};

/// A tool's binary, installed by `install-peer.sh <bin>` when missing.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub bin: &'static str,
}

pub const SQLX: Tool = Tool { bin: "sqlx" };
pub const DBMATE: Tool = Tool { bin: "dbmate" };
pub const REFINERY: Tool = Tool { bin: "refinery" };
pub const DIESEL: Tool = Tool { bin: "diesel" };

/// Where `bin` is: on PATH, or where `cargo install` puts it.
fn find(bin: &str) -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join(bin))
        .find(|path| path.is_file())
}

/// One installation at a time, across the test threads of this binary and across test
/// binaries (an exclusive lock on a file beside the build).
fn install(bin: &str) {
    static IN_THIS_PROCESS: Mutex<()> = Mutex::new(());
    let _guard = IN_THIS_PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    let lock_path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-peer.lock");
    let lock = std::fs::File::create(&lock_path).expect("create the install lock");
    // SAFETY: flock on a descriptor this function owns for as long as the lock is held.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "lock {}", lock_path.display());
    if find(bin).is_some() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/install-peer.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(bin)
        .status()
        .expect("run install-peer.sh");
    assert!(
        status.success() && find(bin).is_some(),
        "{bin} is needed for this test and could not be installed: run `{} {bin}` and see \
         why",
        script.display()
    );
}

/// `url` as the tools take it: every one of them connects without TLS to the test server.
pub fn tool_url(url: &str) -> String {
    format!("{url}?sslmode=disable")
}

impl Tool {
    /// The tool's binary, installed first when missing.
    pub fn path(self) -> PathBuf {
        find(self.bin).unwrap_or_else(|| {
            install(self.bin);
            find(self.bin).expect("installed")
        })
    }

    /// Runs the tool with `args` in `cwd`, `DATABASE_URL` set to `url`.
    pub fn run(self, cwd: &Path, url: &str, args: &[&str]) -> Run {
        let child = Command::new(self.path())
            .args(args)
            .current_dir(cwd)
            .env("DATABASE_URL", tool_url(url))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} could not be started: {e}", self.bin));
        super::migrations::finish(child)
    }
}

/// sqlx's rows: what `sqlx migrate run` would have written, checksum included.
pub fn sqlx_rows(pg: &Pg) -> Vec<Vec<Option<String>>> {
    pg.rows(
        "SELECT version::text, description, success::text, encode(checksum, 'hex') \
         FROM _sqlx_migrations ORDER BY version",
    )
}

/// `dbmate COMMAND` on `db` with the migrations of `dir`, as a project runs it.
pub fn dbmate(db: &TestDb, dir: &Dir, command: &str) -> Run {
    let url = tool_url(db.url());
    DBMATE.run(
        dir.path(),
        db.url(),
        &[
            "--url",
            &url,
            "--migrations-dir",
            ".",
            "--no-dump-schema",
            command,
        ],
    )
}

/// golang-migrate's table as its postgres driver makes it (`ensureVersionTable`).
pub const GOLANG_TABLE: &str = "CREATE TABLE IF NOT EXISTS \"public\".\"schema_migrations\" \
     (version bigint not null primary key, dirty boolean not null)";

/// golang-migrate's one row.
pub fn golang_row(pg: &Pg) -> Vec<Vec<Option<String>>> {
    pg.rows("SELECT version::text, dirty::text FROM schema_migrations")
}
