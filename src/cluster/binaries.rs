//! Finding PostgreSQL server binaries on this machine.

use std::cmp::Ordering;
use std::ffi::OsString;
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::ClusterError;

/// Names the directory of server binaries to use, bypassing the search.
pub const BINDIR_ENV: &str = "PGSTEP_PG_BINDIR";

/// Every program a cluster is started with; a directory lacking one is no candidate.
const REQUIRED: [&str; 2] = ["initdb", "postgres"];

/// A PostgreSQL version as `postgres --version` prints it, compared number by number so that
/// 17 > 15 > 9.6 and 15.10 > 15.9.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PgVersion {
    parts: Vec<u32>,
    text: String,
}

impl PgVersion {
    /// Reads the first number-led word: `15.18`, `9.6.24`, `18beta1` (as 18).
    pub fn parse(text: &str) -> Option<PgVersion> {
        let word = text
            .split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
        let mut parts = Vec::new();
        for piece in word.split('.') {
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            match digits.parse() {
                Ok(n) => parts.push(n),
                Err(_) => break,
            }
            if digits.len() != piece.len() {
                break;
            }
        }
        Some(PgVersion {
            parts,
            text: word.to_owned(),
        })
    }

    /// The numbers, most significant first.
    pub fn parts(&self) -> &[u32] {
        &self.parts
    }

    /// The major version as a data directory's `PG_VERSION` file names it: `15`, or `9.6`
    /// before PostgreSQL 10 made the major a single number.
    pub fn major(&self) -> String {
        match self.parts.as_slice() {
            [first, second, ..] if *first < 10 => format!("{first}.{second}"),
            [first, ..] => first.to_string(),
            [] => String::new(),
        }
    }
}

impl Ord for PgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts
            .cmp(&other.parts)
            .then_with(|| self.text.cmp(&other.text))
    }
}

impl PartialOrd for PgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// One installation's server binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// Symlinks resolved, so the same installation reached twice is found once.
    pub dir: PathBuf,
    pub version: PgVersion,
}

impl Binaries {
    /// Every installation found, newest first; `PGSTEP_PG_BINDIR`, when set, is the only one.
    pub fn find_all() -> Result<Vec<Binaries>, ClusterError> {
        if let Some(dir) = std::env::var_os(BINDIR_ENV).filter(|d| !d.is_empty()) {
            return Binaries::in_dir(Path::new(&dir)).map(|b| vec![b]);
        }
        let dirs = candidate_dirs(std::env::var_os("PATH"), pg_config_bindir());
        let found = probe(&dirs);
        if found.is_empty() {
            return Err(ClusterError::NoBinaries { searched: dirs });
        }
        Ok(found)
    }

    /// The newest installation found.
    pub fn newest() -> Result<Binaries, ClusterError> {
        Ok(Binaries::find_all()?.remove(0))
    }

    /// The installation in `dir`, which must hold every required program.
    pub fn in_dir(dir: &Path) -> Result<Binaries, ClusterError> {
        let bad = |reason: String| ClusterError::BadBinDir {
            dir: dir.to_owned(),
            reason,
        };
        if let Some(missing) = REQUIRED.iter().find(|p| !is_executable(&dir.join(p))) {
            return Err(bad(format!("it has no executable `{missing}`")));
        }
        probe_one(dir).ok_or_else(|| bad("`postgres --version` printed no version".to_owned()))
    }

    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// PATH first, then what `pg_config` names, then Debian's versioned directories.
fn candidate_dirs(path: Option<OsString>, pg_config: Option<PathBuf>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(pg_config);
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .collect();
    debian.sort();
    dirs.extend(debian);
    dirs
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let dir = text.trim();
    (out.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// The usable installations among `dirs`, each once, newest first; ties keep search order.
fn probe(dirs: &[PathBuf]) -> Vec<Binaries> {
    let mut found: Vec<Binaries> = Vec::new();
    for dir in dirs {
        if !REQUIRED.iter().all(|p| is_executable(&dir.join(p))) {
            continue;
        }
        let Some(real) = dir.join("postgres").canonicalize().ok() else {
            continue;
        };
        let Some(real_dir) = real.parent() else {
            continue;
        };
        if found.iter().any(|b| b.dir == real_dir) {
            continue;
        }
        if !REQUIRED.iter().all(|p| is_executable(&real_dir.join(p))) {
            continue;
        }
        if let Some(binaries) = probe_one(real_dir) {
            found.push(binaries);
        }
    }
    found.sort_by(|a, b| b.version.cmp(&a.version));
    found
}

fn probe_one(dir: &Path) -> Option<Binaries> {
    let out = Command::new(dir.join("postgres"))
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let version = PgVersion::parse(&String::from_utf8_lossy(&out.stdout))?;
    if version.parts.is_empty() {
        return None;
    }
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    Some(Binaries { dir, version })
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> PgVersion {
        PgVersion::parse(text).unwrap()
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert!(v("17.0") > v("15.18"));
        assert!(v("15.18") > v("9.6.24"));
        assert!(v("15.10") > v("15.9"));
        assert!(v("18beta1") > v("17.4"));
        assert_eq!(
            v("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)").to_string(),
            "15.18"
        );
    }

    #[test]
    fn majors_follow_pg_version_files() {
        assert_eq!(v("15.18").major(), "15");
        assert_eq!(v("9.6.24").major(), "9.6");
        assert_eq!(v("18beta1").major(), "18");
    }

    fn fake_install(root: &Path, name: &str, version: &str) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let script = format!("#!/bin/sh\necho 'postgres (PostgreSQL) {version}'\n");
        for program in REQUIRED {
            let path = dir.join(program);
            std::fs::write(&path, &script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        dir
    }

    #[test]
    fn probe_sorts_newest_first_and_skips_duplicates_and_incomplete_dirs() {
        let root = tempfile::tempdir().unwrap();
        let old = fake_install(root.path(), "old", "9.6.24");
        let new = fake_install(root.path(), "new", "17.2");
        let mid = fake_install(root.path(), "mid", "15.18");
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&new, &link).unwrap();
        let incomplete = root.path().join("incomplete");
        std::fs::create_dir(&incomplete).unwrap();
        std::fs::copy(mid.join("postgres"), incomplete.join("postgres")).unwrap();

        let found = probe(&[old, incomplete, link, mid, new]);
        let names: Vec<String> = found.iter().map(|b| b.version.to_string()).collect();
        assert_eq!(names, ["17.2", "15.18", "9.6.24"]);
        assert_eq!(found[0].dir.file_name().unwrap(), "new");
    }

    #[test]
    fn search_order_is_path_then_pg_config_then_debian_dirs() {
        let path = std::env::join_paths(["/a", "/b"]).unwrap();
        let dirs = candidate_dirs(Some(path), Some(PathBuf::from("/c")));
        assert_eq!(
            dirs[..3],
            [
                PathBuf::from("/a"),
                PathBuf::from("/b"),
                PathBuf::from("/c")
            ]
        );
    }

    #[test]
    fn a_bad_override_says_what_is_missing() {
        let root = tempfile::tempdir().unwrap();
        let err = Binaries::in_dir(root.path()).unwrap_err().to_string();
        assert!(err.contains("initdb"), "{err}");
    }
}
