//! `pgstep plan` through the real binary: exit codes, what goes to stdout and stderr, and the
//! `--json` document.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn pgstep(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pgstep"))
        .args(args)
        .output()
        .expect("run pgstep");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn plan(dir: &Path, json: bool) -> Run {
    let dir = dir.to_str().unwrap();
    if json {
        pgstep(&["plan", "--dir", dir, "--json"])
    } else {
        pgstep(&["plan", "--dir", dir])
    }
}

fn plan_json(dir: &Path) -> Value {
    let run = plan(dir, true);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("--json prints JSON")
}

fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = tmp.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    }
    tmp
}

/// Asserts a failed run: exit 2, nothing on stdout, and stderr naming `file` as an error at
/// `line` when the problem has one.
fn assert_input_error(run: &Run, file: &Path, line: Option<u32>, what: &str) {
    assert_eq!(run.code, Some(2), "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: stdout {:?}", run.stdout);
    let place = match line {
        Some(l) => format!("{}:{l}", file.display()),
        None => format!("{}: error", file.display()),
    };
    let hit = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&place))
        .unwrap_or_else(|| panic!("{what}: stderr lacks {place:?}:\n{}", run.stderr));
    assert!(hit.contains("error: "), "{what}: {hit}");
    assert!(run.stderr.contains("\n  hint: "), "{what}: {}", run.stderr);
    assert!(
        run.stderr.contains("nothing was run"),
        "{what}: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

#[test]
fn every_layout_plans_in_order() {
    let cases: [(&str, &str, &[&str]); 6] = [
        ("native", "native", &["001", "002", "010"]),
        ("updown", "up-down", &["001", "002", "10"]),
        (
            "diesel",
            "diesel",
            &[
                "2019-01-01-000000",
                "2019-01-02-000000",
                "2019-01-10-000000",
            ],
        ),
        ("flyway", "flyway", &["1", "1.9", "1.10", "2"]),
        (
            "dbmate",
            "dbmate",
            &["20240101120000", "20240102000000", "20240115093000"],
        ),
        (
            "ordering",
            "native",
            &["1.9", "1.10", "2", "10", "20240101120000"],
        ),
    ];
    for (dir, layout, versions) in cases {
        let run = plan(&fixture(dir), false);
        assert_eq!(run.code, Some(0), "{dir}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{dir}: {}", run.stderr);
        let first = run.stdout.lines().next().unwrap();
        assert!(
            first.ends_with(&format!(
                ": {} migration(s), {layout} layout",
                versions.len()
            )),
            "{dir}: {first}"
        );
        let listed: Vec<&str> = run
            .stdout
            .lines()
            .skip(2)
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(listed, versions, "{dir}");

        let doc = plan_json(&fixture(dir));
        let got: Vec<&str> = doc["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                assert_eq!(m["layout"], layout, "{dir}");
                m["version"].as_str().unwrap()
            })
            .collect();
        assert_eq!(got, versions, "{dir}: json");
    }
}

#[test]
fn json_transaction_flags_and_down_per_layout() {
    let cases: [(&str, &[(bool, bool)]); 5] = [
        ("native", &[(true, true), (false, true), (true, false)]),
        ("updown", &[(true, true), (false, true), (true, false)]),
        ("diesel", &[(true, true), (false, true), (true, false)]),
        (
            "flyway",
            &[(true, true), (true, true), (false, false), (true, false)],
        ),
        ("dbmate", &[(true, true), (false, true), (true, false)]),
    ];
    for (dir, want) in cases {
        let doc = plan_json(&fixture(dir));
        let got: Vec<(bool, bool)> = doc["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let has_down = match &m["down"] {
                    Value::Null => false,
                    Value::Array(a) => !a.is_empty(),
                    other => panic!("{dir}: down is {other}"),
                };
                assert_eq!(m["checksums"]["down"].is_string(), has_down, "{dir}");
                (m["transaction"].as_bool().unwrap(), has_down)
            })
            .collect();
        assert_eq!(got, want, "{dir}");
    }
}

#[test]
fn json_of_the_native_fixture_field_by_field() {
    let dir = fixture("native");
    let doc = plan_json(&dir);
    assert_eq!(doc["warnings"], json!([]));
    let ms = doc["migrations"].as_array().unwrap();
    assert_eq!(ms.len(), 3);

    let m = &ms[0];
    let file = dir.join("001_create_users.sql");
    let sha = Sha256::digest(fs::read(&file).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    assert_eq!(m["version"], "001");
    assert_eq!(m["name"], "create_users");
    assert_eq!(m["file"], file.display().to_string());
    assert_eq!(m["layout"], "native");
    assert_eq!(m["depends"], json!([]));
    assert_eq!(m["transaction"], true);
    assert_eq!(m["checksum"], sha);
    assert_eq!(m["title"], "Create users and audit");
    assert_eq!(m["goal"], "users table with an audit trigger");
    assert_eq!(m["author"], "Ada Lovelace");
    assert_eq!(m["date"], "2025-01-25");
    assert_eq!(m["requires"], json!(["pgcrypto", "citext"]));
    assert_eq!(m["lock_timeout_ms"], 5000);
    assert_eq!(m["statement_timeout_ms"], 600_000);
    for part in ["up", "down", "verify"] {
        let c = m["checksums"][part].as_str().unwrap();
        assert_eq!(c.len(), 64, "{part}");
        assert_ne!(c, sha, "{part} is the part's own checksum");
    }
    assert_eq!(
        m["up"],
        json!([
            {"line": 11, "sql": "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL DEFAULT '\n-- DOWN\n'\n)"},
            {"line": 18, "sql": "CREATE TABLE audit (id bigserial, note text)"},
            {"line": 21, "sql": "CREATE FUNCTION audit_users() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n-- DOWN\n  INSERT INTO audit(note) VALUES ('-- VERIFY');\n  RETURN NEW;\nEND\n$body$"},
            {"line": 32, "sql": "CREATE TRIGGER users_audit AFTER INSERT ON users\n    FOR EACH ROW EXECUTE FUNCTION audit_users()"},
        ])
    );
    assert_eq!(
        m["down"],
        json!([
            {"line": 36, "sql": "DROP TRIGGER users_audit ON users"},
            {"line": 37, "sql": "DROP FUNCTION audit_users()"},
            {"line": 38, "sql": "DROP TABLE audit"},
            {"line": 39, "sql": "DROP TABLE users"},
        ])
    );
    assert_eq!(
        m["checks"],
        json!([
            {"name": "no users without email", "expect": "empty", "sql": "SELECT id FROM users WHERE email IS NULL", "line": 44},
            {"name": "audit exists", "expect": "true", "sql": "SELECT to_regclass('audit') IS NOT NULL", "line": 48},
            {"name": "one trigger", "expect": "= 1", "sql": "SELECT count(*) FROM pg_trigger WHERE tgname = 'users_audit'", "line": 52},
            {"name": "default expectation", "expect": "empty", "sql": "SELECT 1 WHERE false", "line": 55},
        ])
    );
    assert_eq!(
        m["steps"],
        json!([{"title": "Tables", "line": 10}, {"title": "Trigger", "line": 20}])
    );

    let m = &ms[1];
    assert_eq!(m["version"], "002");
    assert_eq!(m["name"], "backfill");
    assert_eq!(m["depends"], json!(["001"]));
    assert_eq!(m["transaction"], false);
    assert_eq!(m["title"], Value::Null);
    assert_eq!(m["lock_timeout_ms"], Value::Null);
    assert_eq!(
        m["down"],
        json!([{"line": 31, "sql": "DROP INDEX CONCURRENTLY users_email_idx"}])
    );
    let expects: Vec<&str> = m["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["expect"].as_str().unwrap())
        .collect();
    assert_eq!(
        expects,
        [
            "nonempty",
            "!= 0",
            "< 5",
            "<= 5",
            "> 0",
            ">= 1",
            "unchanged"
        ]
    );
    assert_eq!(m["steps"], json!([]));

    let m = &ms[2];
    assert_eq!(m["version"], "010");
    assert_eq!(m["depends"], json!(["001", "002"]));
    assert_eq!(m["down"], Value::Null);
    assert_eq!(m["checksums"]["down"], Value::Null);
    assert_eq!(m["checksums"]["verify"], Value::Null);
    assert_eq!(m["checks"], json!([]));
    assert_eq!(
        m["up"],
        json!([{"line": 3, "sql": "CREATE VIEW active_users AS SELECT * FROM users"}])
    );
}

#[test]
fn seed_003_example_plans() {
    let doc = plan_json(&fixture("seed003"));
    let m = &doc["migrations"][1];
    assert_eq!(m["version"], "006");
    assert_eq!(m["depends"], json!(["001"]));
    assert_eq!(m["up"].as_array().unwrap().len(), 4);
    assert_eq!(m["down"].as_array().unwrap().len(), 4);
}

#[test]
fn mixed_layouts_exit_2_naming_the_files() {
    let dir = fixture("mixed");
    let run = plan(&dir, false);
    assert_input_error(&run, &dir, None, "mixed");
    for f in ["001_native.sql", "002_pair.up.sql"] {
        let shown = dir.join(f).display().to_string();
        assert!(run.stderr.contains(&shown), "{}", run.stderr);
    }
}

/// (what, files, file the error names, its line)
type Bad = (
    &'static str,
    Vec<(&'static str, &'static [u8])>,
    &'static str,
    Option<u32>,
);

fn bad_cases() -> Vec<Bad> {
    vec![
        ("empty file", vec![("001_a.sql", b"")], "001_a.sql", None),
        (
            "comments only",
            vec![("001_a.sql", b"-- a note\n/* a block */\n")],
            "001_a.sql",
            None,
        ),
        (
            "non-UTF-8",
            vec![("001_a.sql", b"SELECT 1;\n-- caf\xe9\n")],
            "001_a.sql",
            Some(2),
        ),
        (
            "duplicate versions",
            vec![("001_a.sql", b"SELECT 1;\n"), ("1_b.sql", b"SELECT 2;\n")],
            "1_b.sql",
            None,
        ),
        (
            "two DOWN lines",
            vec![(
                "001_a.sql",
                b"SELECT 1;\n-- DOWN\nSELECT 2;\n-- DOWN\nSELECT 3;\n",
            )],
            "001_a.sql",
            Some(4),
        ),
        (
            "check without SQL",
            vec![("001_a.sql", b"SELECT 1;\n-- VERIFY\n-- Check: c\n")],
            "001_a.sql",
            Some(3),
        ),
        (
            "malformed expectation",
            vec![(
                "001_a.sql",
                b"SELECT 1;\n-- VERIFY\n-- Check: c\n-- Expect: maybe\nSELECT 1;\n",
            )],
            "001_a.sql",
            Some(4),
        ),
        (
            "missing dependency",
            vec![("001_a.sql", b"-- Depends: 005\nSELECT 1;\n")],
            "001_a.sql",
            Some(1),
        ),
        (
            "dependency on a later version",
            vec![
                ("001_a.sql", b"-- Depends: 002\nSELECT 1;\n"),
                ("002_b.sql", b"SELECT 1;\n"),
            ],
            "001_a.sql",
            Some(1),
        ),
        (
            "dependency cycle",
            vec![
                ("001_a.sql", b"-- Depends: 001\nSELECT 1;\n"),
                ("002_b.sql", b"SELECT 1;\n"),
            ],
            "001_a.sql",
            Some(1),
        ),
    ]
}

#[test]
fn bad_inputs_exit_2_naming_file_and_line() {
    for (what, files, file, line) in bad_cases() {
        let tmp = dir_with(&files);
        let run = plan(tmp.path(), false);
        assert_input_error(&run, &tmp.path().join(file), line, what);
        let json = plan(tmp.path(), true);
        assert_input_error(&json, &tmp.path().join(file), line, what);
    }
}

#[test]
fn duplicate_versions_name_both_files_on_stderr() {
    let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n"), ("1_b.sql", b"SELECT 2;\n")]);
    let run = plan(tmp.path(), false);
    assert_eq!(run.code, Some(2));
    for f in ["001_a.sql", "1_b.sql"] {
        let shown = tmp.path().join(f).display().to_string();
        assert!(run.stderr.contains(&shown), "{}", run.stderr);
    }
}

#[test]
fn dependency_cycle_names_both_files_on_stderr() {
    let tmp = dir_with(&[
        ("001_a.sql", b"-- Depends: 002\nSELECT 1;\n"),
        ("002_b.sql", b"-- Depends: 001\nSELECT 1;\n"),
    ]);
    let run = plan(tmp.path(), false);
    assert_input_error(&run, &tmp.path().join("001_a.sql"), Some(1), "cycle");
    let cycle = run
        .stderr
        .lines()
        .find(|l| l.contains("dependency cycle"))
        .unwrap_or_else(|| panic!("{}", run.stderr));
    for f in ["001_a.sql", "002_b.sql"] {
        let shown = tmp.path().join(f).display().to_string();
        assert!(cycle.contains(&shown), "{cycle}");
    }
}

#[test]
fn three_problems_are_all_reported() {
    let tmp = dir_with(&[
        ("001_a.sql", b""),
        (
            "002_b.sql",
            b"SELECT 1;\n-- DOWN\nSELECT 2;\n-- DOWN\nSELECT 3;\n",
        ),
        ("003_c.sql", b"SELECT 1;\n-- VERIFY\n-- Check: c\n"),
    ]);
    let run = plan(tmp.path(), false);
    assert_input_error(&run, &tmp.path().join("001_a.sql"), None, "three");
    assert_input_error(&run, &tmp.path().join("002_b.sql"), Some(4), "three");
    assert_input_error(&run, &tmp.path().join("003_c.sql"), Some(3), "three");
    assert!(run.stderr.contains("3 error(s)"), "{}", run.stderr);
}

#[test]
fn unknown_header_key_warns_and_still_plans() {
    let tmp = dir_with(&[(
        "001_a.sql",
        b"-- Migration: a\n-- Ticket: OPS-1\n\nSELECT 1;\n",
    )]);
    let file = tmp.path().join("001_a.sql");
    let run = plan(tmp.path(), false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "{}:2: warning: unknown header key `Ticket`",
            file.display()
        )),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("1 migration(s)"), "{}", run.stdout);

    let doc = plan_json(tmp.path());
    let w = &doc["warnings"][0];
    assert_eq!(w["severity"], "warning");
    assert_eq!(w["file"], file.display().to_string());
    assert_eq!(w["line"], 2);
    assert!(w["message"].as_str().unwrap().contains("Ticket"));
    assert!(w["hint"].is_string());
    assert_eq!(doc["migrations"][0]["version"], "001");
}

#[test]
fn missing_directory_and_file_as_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    assert_input_error(&plan(&missing, false), &missing, None, "missing dir");
    let file = tmp.path().join("001_a.sql");
    fs::write(&file, "SELECT 1;\n").unwrap();
    assert_input_error(&plan(&file, false), &file, None, "file as dir");
}

#[test]
fn empty_directory_plans_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = plan(tmp.path(), false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("no migrations found"), "{}", run.stderr);
    assert!(run.stdout.contains("0 migration(s), empty layout"));
}

#[test]
fn bad_arguments_exit_2() {
    let run = pgstep(&["plan", "--frobnicate"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn dangling_symlink() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let link = tmp.path().join("002_b.sql");
        symlink(tmp.path().join("gone.sql"), &link).unwrap();
        let run = plan(tmp.path(), false);
        assert_input_error(&run, &link, None, "dangling");
        assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    }

    #[test]
    fn symlink_loop() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let link = tmp.path().join("002_b.sql");
        symlink(&link, &link).unwrap();
        let run = plan(tmp.path(), true);
        assert_input_error(&run, &link, None, "loop");
        assert!(run.stderr.contains("symbolic link loop"), "{}", run.stderr);
    }

    #[test]
    fn unreadable_file_without_permission() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let file = tmp.path().join("001_a.sql");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
        // Root reads through mode 000; the dangling-link test covers that setup.
        if fs::read(&file).is_ok() {
            return;
        }
        let run = plan(tmp.path(), false);
        assert_input_error(&run, &file, None, "mode 000");
        assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    }
}

/// A dbmate file of several sections runs each transactional section in a transaction of its
/// own and the others statement by statement: `plan` says so ("per section", and the runs in
/// `--json`), not "none".
#[test]
fn a_dbmate_file_of_several_sections_shows_its_transactions_per_section() {
    let tmp = dir_with(&[(
        "20240101000000_three.sql",
        b"-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\
          -- migrate:down\nDROP TABLE b;\nDROP TABLE a;\n\n\
          -- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n\
          -- migrate:down transaction:false\nDROP INDEX CONCURRENTLY a_id;\n\n\
          -- migrate:up\nALTER TABLE a ADD v int;\n-- migrate:down\nALTER TABLE a DROP v;\n",
    )]);
    let run = plan(tmp.path(), false);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with("20240101000000"))
        .expect("the phase's row");
    let columns: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        columns,
        ["20240101000000", "three", "per section", "4", "0", "0", "4"]
    );

    let doc = plan_json(tmp.path());
    let m = &doc["migrations"][0];
    assert_eq!(m["transaction"], json!(false));
    let runs = json!([
        {"first": 1, "last": 2, "transaction": true},
        {"first": 3, "last": 3, "transaction": false},
        {"first": 4, "last": 4, "transaction": true},
    ]);
    assert_eq!(
        m["transactions"],
        json!({"up": "per-section", "up_runs": runs, "down": "per-section", "down_runs": runs})
    );
}
