//! Batched steps (`-- Batch: TABLE.COLUMN SIZE`) and the health-gate header keys as `pgstep
//! plan` reads them: what is accepted, and every bad input refused with its file and line,
//! exit code 2.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn plan(dir: &Path, json: bool) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgstep"));
    cmd.args(["plan", "--dir"]).arg(dir);
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().expect("run pgstep");
    (
        out.status.code(),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

fn dir_with(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join(name), text).expect("write");
    dir
}

/// Asserts the plan is refused with exit 2 and a message naming `file:line` and containing
/// every one of `words`.
fn refused(name: &str, text: &str, line: u32, words: &[&str]) {
    let dir = dir_with(name, text);
    let (code, out, err) = plan(dir.path(), false);
    assert_eq!(code, Some(2), "exit code for {text:?}\n{out}\n{err}");
    let at = format!("{name}:{line}");
    let hit = err
        .lines()
        .find(|l| l.contains(&at))
        .unwrap_or_else(|| panic!("no error at {at} in:\n{err}"));
    for w in words {
        assert!(
            hit.to_lowercase().contains(&w.to_lowercase()),
            "{w:?} missing from {hit:?}\n{err}"
        );
    }
}

const GOOD: &str = "\
-- Migration: Backfill
-- Max-Replica-Lag: 16MB
-- Max-Wal-Rate: 50MB/s
-- Batch-Pause: 50ms

-- Step: Column
ALTER TABLE users ADD COLUMN email_lower text;

-- Step: Backfill lower-case emails
-- Batch: users.id 10000
UPDATE users SET email_lower = lower(email)
WHERE id >= $1 AND id < $2 AND email_lower IS NULL;

-- VERIFY
-- Check: none left
SELECT 1 FROM users WHERE email_lower IS NULL LIMIT 1;
";

#[test]
fn a_batched_step_is_read_with_its_gates_and_runs_outside_a_transaction() {
    let dir = dir_with("001_backfill.sql", GOOD);
    let (code, out, err) = plan(dir.path(), true);
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let m = &doc["migrations"][0];
    assert_eq!(m["transaction"], false, "{m}");
    let b = &m["batch"];
    assert_eq!(b["table"], "users", "{m}");
    assert_eq!(b["column"], "id");
    assert_eq!(b["size"], 10000);
    assert_eq!(b["line"], 10);
    assert_eq!(b["statement_line"], 11);
    assert_eq!(m["gates"]["max_replica_lag_bytes"], 16 * 1024 * 1024);
    assert_eq!(m["gates"]["max_wal_rate_bytes_per_s"], 50 * 1024 * 1024);
    assert_eq!(m["gates"]["batch_pause_ms"], 50);
}

#[test]
fn a_replica_lag_may_be_a_time() {
    let text = GOOD.replace("16MB", "5s");
    let dir = dir_with("001_backfill.sql", &text);
    let (code, out, err) = plan(dir.path(), true);
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["migrations"][0]["gates"]["max_replica_lag_ms"], 5000);
}

#[test]
fn a_batched_step_works_in_other_layouts() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("001_backfill.up.sql"),
        "-- Step: Backfill\n-- Batch: t.id 500\nUPDATE t SET n = n + 1 WHERE id >= $1 AND id < $2;\n",
    )
    .expect("write");
    let (code, out, err) = plan(dir.path(), true);
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(doc["migrations"][0]["batch"]["size"], 500);
    assert_eq!(doc["migrations"][0]["transaction"], false);
}

#[test]
fn a_statement_without_both_parameters_is_refused() {
    let text = "-- Step: B\n-- Batch: t.id 100\nUPDATE t SET n = 1 WHERE id >= $1;\n";
    refused("001_a.sql", text, 3, &["$2"]);
    let text = "-- Step: B\n-- Batch: t.id 100\nUPDATE t SET n = '$1 $2';\n";
    refused("001_a.sql", text, 3, &["$1"]);
}

#[test]
fn two_statements_in_a_batched_step_are_refused() {
    let text = "-- Step: B\n-- Batch: t.id 100\n\
                UPDATE t SET n = 1 WHERE id >= $1 AND id < $2;\n\
                UPDATE t SET m = 1 WHERE id >= $1 AND id < $2;\n";
    refused("001_a.sql", text, 4, &["one statement"]);
}

#[test]
fn a_batch_line_without_statement_is_refused() {
    let text = "-- Step: B\n-- Batch: t.id 100\n-- Step: C\nSELECT 1;\n";
    refused("001_a.sql", text, 2, &["statement"]);
}

#[test]
fn unchanged_checks_are_refused_in_a_batched_phase() {
    let text = "-- Step: B\n-- Batch: t.id 100\n\
                UPDATE t SET n = 1 WHERE id >= $1 AND id < $2;\n\
                -- VERIFY\n-- Check: same rows\n-- Expect: unchanged\nSELECT count(*) FROM t;\n";
    refused("001_a.sql", text, 5, &["unchanged", "batch"]);
}

#[test]
fn bad_batch_lines_are_refused() {
    for (batch, word) in [
        ("t.id", "size"),
        ("t.id 0", "size"),
        ("t.id ten", "size"),
        ("t.id -5", "size"),
        ("tid 100", "TABLE.COLUMN"),
        ("t. 100", "TABLE.COLUMN"),
        ("t.id 100 more", "TABLE.COLUMN"),
    ] {
        let text = format!(
            "-- Step: B\n-- Batch: {batch}\nUPDATE t SET n = 1 WHERE id >= $1 AND id < $2;\n"
        );
        refused("001_a.sql", &text, 2, &[word]);
    }
}

#[test]
fn two_batched_steps_in_one_phase_are_refused() {
    let text = "-- Step: B\n-- Batch: t.id 100\n\
                UPDATE t SET n = 1 WHERE id >= $1 AND id < $2;\n\
                -- Step: C\n-- Batch: u.id 100\n\
                UPDATE u SET n = 1 WHERE id >= $1 AND id < $2;\n";
    refused("001_a.sql", text, 5, &["one batched step"]);
}

#[test]
fn bad_gate_values_are_refused() {
    for (header, word) in [
        ("Max-Replica-Lag: 16 parsecs", "unit"),
        ("Max-Replica-Lag: lots", "MB"),
        ("Max-Wal-Rate: 50MB", "/s"),
        ("Max-Wal-Rate: fast/s", "MB"),
        ("Batch-Pause: soon", "ms"),
        ("Max-Replica-Lag: 99999999999999999999GB", "large"),
    ] {
        let text = format!("-- {header}\n\nSELECT 1;\n");
        refused("001_a.sql", &text, 1, &[word]);
    }
}

#[test]
fn gates_work_in_every_layout_that_has_steps() {
    const GATES: &str =
        "-- Max-Replica-Lag: 16MB\n-- Max-Wal-Rate: 50MB/s\n-- Batch-Pause: 250ms\n";
    const STEP: &str = "-- Step: Backfill\n-- Batch: t.id 500\nUPDATE t SET n = n + 1 WHERE id >= $1 AND id < $2;\n";
    let dbmate = format!("{GATES}-- migrate:up\n{STEP}-- migrate:down\n");
    let up = format!("{GATES}{STEP}");
    let layouts: [(&str, &[(&str, &str)]); 4] = [
        (
            "sqlx",
            &[("001_b.up.sql", &up), ("001_b.down.sql", "SELECT 1;\n")],
        ),
        ("Flyway", &[("V1__b.sql", &up)]),
        ("dbmate", &[("001_b.sql", &dbmate)]),
        ("Diesel", &[("2024-01-01-000000_b/up.sql", &up)]),
    ];
    for (layout, files) in layouts {
        let dir = tempfile::tempdir().expect("dir");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let (code, out, err) = plan(dir.path(), true);
        assert_eq!(code, Some(0), "{layout}: {err}");
        let doc: Value = serde_json::from_str(&out).expect("JSON");
        let g = &doc["migrations"][0]["gates"];
        assert_eq!(
            g["max_replica_lag_bytes"],
            16 * 1024 * 1024,
            "{layout}: {g}"
        );
        assert_eq!(g["max_wal_rate_bytes_per_s"], 50 * 1024 * 1024, "{layout}");
        assert_eq!(g["batch_pause_ms"], 250, "{layout}");
    }
}

#[test]
fn gates_are_refused_in_a_down_file_and_bad_values_in_any_layout() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("001_b.up.sql"),
        "-- Batch-Pause: soon\nSELECT 1;\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("001_b.down.sql"),
        "-- Max-Wal-Rate: 50MB/s\nSELECT 1;\n",
    )
    .expect("write");
    let (code, out, err) = plan(dir.path(), false);
    assert_eq!(code, Some(2), "{out}\n{err}");
    // Each error's line, with the hint under it.
    let at = |name: &str| {
        let from = err
            .find(name)
            .unwrap_or_else(|| panic!("nothing said of {name}:\n{err}"));
        err[from..].lines().take(2).collect::<Vec<_>>().join("\n")
    };
    assert!(at("001_b.up.sql:1").contains("500ms"), "{err}");
    assert!(at("001_b.down.sql:1").contains("UP file"), "{err}");
}
