//! Files that are not what they seem, through the real binary: FIFOs, devices, files over the
//! size limit, NUL bytes and control characters. Each is refused, or shown escaped, with exit
//! code 2 and nothing run.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs pgstep, killing it if it has not finished after a minute: a hang must fail the test,
/// not stall the suite.
fn pgstep(cwd: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgstep"))
        .args(args)
        .current_dir(cwd)
        .env_remove("PGSTEP_CONFIG")
        .env_remove("PGSTEP_DIR")
        .env_remove("PGSTEP_PROFILE")
        .env("XDG_CONFIG_HOME", cwd.join("no-user-config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pgstep");
    let start = Instant::now();
    while child.try_wait().expect("wait for pgstep").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().expect("kill pgstep");
            panic!("pgstep {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("pgstep output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn plan(dir: &Path) -> Run {
    pgstep(dir, &["plan", "--dir", dir.to_str().unwrap()])
}

fn migrations() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("001_first.sql"),
        "CREATE TABLE a (x int);\n",
    )
    .unwrap();
    tmp
}

fn assert_refused(run: &Run, file: &Path, what: &[&str]) {
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(
        run.stderr.contains(&file.display().to_string()),
        "{}",
        run.stderr
    );
    for w in what {
        assert!(run.stderr.contains(w), "no {w:?} in: {}", run.stderr);
    }
}

#[test]
fn a_fifo_named_sql_is_refused_without_waiting_for_a_writer() {
    let tmp = migrations();
    let fifo = tmp.path().join("002_pipe.sql");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let run = plan(tmp.path());
    assert_refused(&run, &fifo, &["not a regular file", "FIFO"]);
}

#[test]
fn a_link_to_a_device_is_refused_without_reading_it() {
    let tmp = migrations();
    let link = tmp.path().join("002_zero.sql");
    symlink("/dev/zero", &link).unwrap();
    let run = plan(tmp.path());
    assert_refused(&run, &link, &["not a regular file", "device"]);
}

#[test]
fn a_config_file_that_is_a_device_or_fifo_is_refused() {
    let tmp = migrations();
    let dir = tmp.path().to_str().unwrap();
    let run = pgstep(tmp.path(), &["plan", "--dir", dir, "--config", "/dev/zero"]);
    assert_refused(&run, Path::new("/dev/zero"), &["not a regular file"]);
    let fifo = tmp.path().join("pgstep.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let run = pgstep(tmp.path(), &["plan", "--dir", dir]);
    assert_refused(&run, &fifo, &["not a regular file", "FIFO"]);
}

#[test]
fn a_file_over_the_configured_limit_is_refused_naming_size_limit_and_key() {
    let tmp = migrations();
    let big = tmp.path().join("002_big.sql");
    fs::write(&big, format!("SELECT 1;\n{}\n", "-".repeat(3000))).unwrap();
    let config = tmp.path().join("limit.toml");
    fs::write(&config, "max_file_size = \"2 KiB\"\n").unwrap();
    let dir = tmp.path().to_str().unwrap();
    let run = pgstep(
        tmp.path(),
        &["plan", "--dir", dir, "--config", config.to_str().unwrap()],
    );
    assert_refused(&run, &big, &["3011 bytes", "2048 bytes", "max_file_size"]);
    // The default limit is generous.
    assert_eq!(plan(tmp.path()).code, Some(0));
    fs::write(&config, "max_file_size = \"lots\"\n").unwrap();
    let run = pgstep(
        tmp.path(),
        &["plan", "--dir", dir, "--config", config.to_str().unwrap()],
    );
    assert_refused(&run, &config, &["max_file_size", "MiB"]);
}

#[test]
fn a_nul_byte_is_refused_naming_its_line() {
    let tmp = migrations();
    let file = tmp.path().join("002_nul.sql");
    fs::write(
        &file,
        "CREATE TABLE b (x int);\n\nINSERT INTO b VALUES (1);\0\n",
    )
    .unwrap();
    let run = plan(tmp.path());
    let place = format!("{}:3", file.display());
    assert_refused(&run, &file, &[&place, "NUL byte at line 3", "PostgreSQL"]);
}

#[test]
fn control_characters_reach_no_output_raw() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "001_red\x1b[31mflag\rx.sql";
    fs::write(tmp.path().join(name), "CREATE TABLE a (x int);\n").unwrap();
    let run = plan(tmp.path());
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stdout.contains(['\x1b', '\r']), "{:?}", run.stdout);
    assert!(run.stdout.contains(r"red\x1b[31mflag\rx"), "{}", run.stdout);

    let bad = "002_bad\nline.sql";
    let body = "-- Lock-Timeout: 5\x1b]0;owned\x07\n-- VERIFY\n-- Check: a\x1bb\nSELECT 1;\n-- Check: a\x1bb\nSELECT 2;\n";
    fs::write(tmp.path().join(bad), body).unwrap();
    let run = plan(tmp.path());
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!run.stderr.contains(['\x1b', '\x07']), "{:?}", run.stderr);
    for shown in [r"002_bad\nline.sql", r"5\x1b]0;owned\x07", r"a\x1bb"] {
        assert!(run.stderr.contains(shown), "no {shown} in: {}", run.stderr);
    }
}
