//! `pgstep lint` from the files alone, through the real binary: every rule's positive and
//! negative fixtures (tests/fixtures/lint), the ignore comment, configuration overrides, the
//! JSON document and the exit code.
//!
//! Each fixture says what it must produce: a `-- want <rule> [table] [@line]` comment names a
//! finding of the next statement (or of `@line`). The fixtures form one plan, so phases see
//! the tables and columns the earlier ones declared, as they would in a real directory.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pgstep::lint::RULES;
use serde_json::Value;
use support::migrations::{Dir, Run, finish};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint")
}

/// `pgstep --dir DIR ARGS... lint --offline LINT_ARGS...`, away from every configuration file
/// and libpq setting of the machine (the working directory and home are a fresh directory).
fn lint(dir: &Path, global: &[&str], lint_args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("a temporary directory");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgstep"));
    cmd.arg("--dir")
        .arg(dir)
        .args(global)
        .arg("lint")
        .args(lint_args)
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "DATABASE_URL",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "PGUSER",
        "PGSERVICE",
        "PGSTEP_DIR",
        "PGSTEP_CONFIG",
        "PGSTEP_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    finish(cmd.spawn().expect("the pgstep binary starts"))
}

fn findings(run: &Run) -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"));
    doc["findings"]
        .as_array()
        .expect("a findings array")
        .clone()
}

/// A finding as (file name, line, rule, table) for comparing with the fixtures' wants.
type Key = (String, u64, String, Option<String>);

fn key(f: &Value) -> Key {
    let file = Path::new(f["file"].as_str().expect("a file"))
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    (
        file,
        f["line"].as_u64().expect("a line"),
        f["rule"].as_str().expect("a rule").to_string(),
        f["table"].as_str().map(str::to_string),
    )
}

/// The findings the fixture files ask for.
fn wants(dir: &Path) -> BTreeSet<Key> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("the fixtures directory") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("a fixture");
        let mut pending: Vec<(String, Option<String>)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("-- want ") {
                let mut words = rest.split_whitespace();
                let rule = words.next().expect("a rule after `-- want`").to_string();
                let mut table = None;
                let mut at = None;
                for w in words {
                    match w.strip_prefix('@') {
                        Some(n) => at = Some(n.parse::<u64>().expect("a line number")),
                        None => table = Some(w.to_string()),
                    }
                }
                match at {
                    Some(n) => {
                        out.insert((name.clone(), n, rule, table));
                    }
                    None => pending.push((rule, table)),
                }
            } else if !line.is_empty() && !line.starts_with("--") {
                for (rule, table) in pending.drain(..) {
                    out.insert((name.clone(), i as u64 + 1, rule, table));
                }
            }
        }
        assert!(
            pending.is_empty(),
            "{name}: a `-- want` with no statement after it"
        );
    }
    out
}

#[test]
fn every_fixture_reports_exactly_what_it_wants() {
    let run = lint(&fixtures(), &[], &["--offline", "--json"]);
    // concurrently-in-transaction and destructive-without-down are errors.
    let run = run.expect(4);
    let got: BTreeSet<Key> = findings(&run).iter().map(key).collect();
    let want = wants(&fixtures());
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing findings: {missing:#?}\nunexpected findings: {extra:#?}"
    );
}

#[test]
fn every_rule_has_a_positive_and_a_negative_fixture() {
    let want = wants(&fixtures());
    let names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for (rule, _, _) in RULES {
        let slug = rule.replace('-', "_");
        let pos: Vec<&String> = names
            .iter()
            .filter(|n| n.contains(&format!("_pos_{slug}")))
            .collect();
        assert!(!pos.is_empty(), "no positive fixture for {rule}");
        for file in pos {
            assert!(
                want.iter().any(|(f, _, r, _)| f == file && r == rule),
                "{file} does not want {rule}"
            );
        }
        let neg: Vec<&String> = names
            .iter()
            .filter(|n| n.contains(&format!("_neg_{slug}")))
            .collect();
        assert!(!neg.is_empty(), "no negative fixture for {rule}");
        for file in neg {
            assert!(
                !want.iter().any(|(f, _, r, _)| f == file && r == rule),
                "the negative fixture {file} wants {rule}"
            );
        }
    }
}

#[test]
fn the_json_document_has_the_documented_shape() {
    let run = lint(&fixtures(), &[], &["--offline", "--json"]).expect(4);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let top: Vec<&String> = doc.as_object().expect("an object").keys().collect();
    assert_eq!(top, ["findings"]);
    let all = findings(&run);
    assert!(all.len() > 30, "{run}");
    for f in &all {
        for key in [
            "rule",
            "severity",
            "file",
            "version",
            "line",
            "message",
            "hint",
            "table",
            "table_bytes",
            "rows_estimate",
            "lock_holders",
            "index_scans",
        ] {
            assert!(f.get(key).is_some(), "{key} missing from {f}");
        }
        assert!(RULES.iter().any(|(id, _, _)| f["rule"] == *id), "{f}");
        assert!(
            ["info", "warning", "error"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        assert!(!f["message"].as_str().unwrap().is_empty(), "{f}");
        assert!(!f["hint"].as_str().unwrap().is_empty(), "{f}");
        // Offline: nothing is weighed.
        assert_eq!(f["table_bytes"], Value::Null, "{f}");
        assert_eq!(f["lock_holders"], serde_json::json!([]), "{f}");
    }
    let index = all
        .iter()
        .find(|f| f["rule"] == "create-index-blocking")
        .expect("a create-index finding");
    assert_eq!(index["version"], "010");
    assert_eq!(index["severity"], "warning");
    assert_eq!(index["table"], "accounts");
    assert!(
        index["file"]
            .as_str()
            .unwrap()
            .ends_with("010_pos_create_index_blocking.sql")
    );
}

#[test]
fn text_output_names_file_line_rule_and_hint() {
    let dir = Dir::new();
    dir.write(
        "001_rename.sql",
        "-- Migration: rename\n\nALTER TABLE users RENAME COLUMN a TO b;\n",
    );
    let run = lint(dir.path(), &[], &[]).expect(0);
    let file = dir.path().join("001_rename.sql");
    assert!(
        run.stdout
            .contains(&format!("{}:3: warning [rename]", file.display())),
        "{run}"
    );
    assert!(run.stdout.contains("\n  hint: "), "{run}");
    // No URL and no libpq environment: the files alone, and it says so.
    assert!(
        run.stdout
            .contains("1 finding(s): 0 error(s), 1 warning(s)"),
        "{run}"
    );
    assert!(run.stdout.contains("files only"), "{run}");
}

#[test]
fn a_clean_plan_exits_zero_with_no_findings() {
    let dir = Dir::new();
    dir.write(
        "001_init.sql",
        "CREATE TABLE t (id bigint PRIMARY KEY, name text);\nCREATE INDEX t_name_idx ON t (name);\n\n-- DOWN\nDROP TABLE t;\n",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    assert!(findings(&run).is_empty(), "{run}");
}

#[test]
fn the_ignore_comment_silences_its_rule_on_the_next_statement_only() {
    let dir = Dir::new();
    dir.write(
        "001_ignore.sql",
        "\
-- pgstep:ignore rename the view keeps the old name readable
ALTER TABLE users RENAME COLUMN a TO b;
ALTER TABLE users RENAME COLUMN b TO c;
-- pgstep:ignore drop-column this column was never read
ALTER TABLE users ADD COLUMN n serial, DROP COLUMN d;
-- pgstep:ignore truncate some other rule
ALTER TABLE users RENAME COLUMN c TO e;
-- pgstep:ignore rename,drop-table both, with a comma
ALTER TABLE users RENAME TO people;
-- DOWN
ALTER TABLE people RENAME TO users;
ALTER TABLE users DROP COLUMN n;
",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    let got: Vec<(u64, String)> = findings(&run)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (3, "rename".to_string()),
            (5, "add-column-rewrite".to_string()),
            (7, "rename".to_string()),
        ],
        "{run}"
    );
}

#[test]
fn the_ignore_comment_reaches_findings_reported_for_the_whole_phase() {
    let dir = Dir::new();
    dir.write(
        "001_drop.sql",
        "\
-- pgstep:ignore drop-table,destructive-without-down kept in the nightly dump
DROP TABLE old_reports;
",
    );
    dir.write(
        "002_leave.sql",
        "\
-- pgstep:ignore down-leaves-object the sequence is shared with the next release
CREATE SEQUENCE shared_seq;
CREATE SEQUENCE own_seq;
-- DOWN
SELECT 1;
",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    let got: Vec<Key> = findings(&run).iter().map(key).collect();
    assert_eq!(
        got,
        [(
            "002_leave.sql".to_string(),
            3,
            "down-leaves-object".to_string(),
            None
        )],
        "{run}"
    );
}

fn config(dir: &Dir, text: &str) -> String {
    dir.write("pgstep.toml", text).display().to_string()
}

#[test]
fn config_turns_a_rule_off() {
    let dir = Dir::new();
    dir.write(
        "001_rename.sql",
        "ALTER TABLE users RENAME COLUMN a TO b;\nALTER TABLE users DROP COLUMN c;\n-- DOWN\nSELECT 1;\n",
    );
    let before = findings(&lint(dir.path(), &[], &["--json"]).expect(0));
    assert!(before.iter().any(|f| f["rule"] == "rename"));

    let conf = Dir::new();
    let file = config(&conf, "[lint]\nrename = \"off\"\n");
    let run = lint(dir.path(), &["--config", &file], &["--json"]).expect(0);
    let rules: Vec<Value> = findings(&run).iter().map(|f| f["rule"].clone()).collect();
    assert_eq!(rules, ["drop-column"], "{run}");
}

#[test]
fn config_re_levels_rules_and_the_exit_code_follows() {
    let dir = Dir::new();
    dir.write(
        "001_drop.sql",
        "DROP TABLE old_reports;\n-- DOWN\nCREATE TABLE old_reports (id bigint);\n",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    assert_eq!(findings(&run)[0]["severity"], "warning");

    let conf = Dir::new();
    let file = config(&conf, "[lint]\ndrop-table = \"error\"\n");
    let run = lint(dir.path(), &["--config", &file], &["--json"]).expect(4);
    let all = findings(&run);
    assert_eq!(all.len(), 1, "{run}");
    assert_eq!(all[0]["rule"], "drop-table");
    assert_eq!(all[0]["severity"], "error");
    assert!(run.stderr.contains("error-level"), "{run}");

    // An error-level rule brought down to info no longer fails the run.
    dir.write("002_nodown.sql", "TRUNCATE audit_log;\n");
    lint(dir.path(), &[], &[]).expect(4);
    let file = config(
        &conf,
        "[lint]\ndestructive-without-down = \"info\"\ntruncate = \"warn\"\n",
    );
    let run = lint(dir.path(), &["--config", &file], &["--json"]).expect(0);
    let levels: BTreeSet<(String, String)> = findings(&run)
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        levels.contains(&("destructive-without-down".into(), "info".into())),
        "{run}"
    );
    assert!(
        levels.contains(&("truncate".into(), "warning".into())),
        "{run}"
    );
}

#[test]
fn a_bad_rule_or_level_in_config_is_an_error_with_file_and_line() {
    let dir = Dir::new();
    dir.write(
        "001_rename.sql",
        "ALTER TABLE users RENAME COLUMN a TO b;\n",
    );
    let conf = Dir::new();

    let file = config(&conf, "# lint levels\n[lint]\nrenam = \"off\"\n");
    let run = lint(dir.path(), &["--config", &file], &[]).expect(2);
    assert!(run.stderr.contains(&format!("{file}:3:")), "{run}");
    assert!(run.stderr.contains("unknown lint rule"), "{run}");
    assert!(
        run.stderr.contains("rename"),
        "the known rules are listed: {run}"
    );
    assert!(run.stdout.is_empty(), "{run}");

    let file = config(&conf, "[lint]\nrename = \"loud\"\n");
    let run = lint(dir.path(), &["--config", &file], &[]).expect(2);
    assert!(run.stderr.contains(&format!("{file}:2:")), "{run}");
    assert!(
        run.stderr.contains("use off, info, warning or error"),
        "{run}"
    );
}

#[test]
fn a_layout_with_no_down_anywhere_gets_one_note_not_an_error_per_phase() {
    let dir = Dir::new();
    dir.write(
        "V1__init.sql",
        "CREATE TABLE a (id bigint);\nCREATE TABLE b (id bigint);\nCREATE TABLE c (id bigint);\n",
    );
    dir.write("V2__drop_a.sql", "DROP TABLE a;\n");
    dir.write("V3__empty_b.sql", "TRUNCATE b;\n");
    dir.write("V4__drop_c.sql", "ALTER TABLE c DROP COLUMN id;\n");
    // Info and warnings only: the plan is as its tool means it, and CI passes.
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    let all = findings(&run);
    let notes: Vec<&Value> = all
        .iter()
        .filter(|f| f["rule"] == "destructive-without-down")
        .collect();
    assert_eq!(notes.len(), 1, "{run}");
    assert_eq!(notes[0]["severity"], "info", "{run}");
    assert!(
        notes[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("V2__drop_a.sql"),
        "{run}"
    );
    let message = notes[0]["message"].as_str().unwrap();
    assert!(message.contains("flyway"), "{message}");
    assert!(message.contains("U<version>__<name>.sql"), "{message}");
    // The data losses themselves are still said, one each.
    let losses: BTreeSet<String> = all
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .filter(|r| r != "destructive-without-down")
        .collect();
    assert_eq!(
        losses,
        BTreeSet::from(["drop-table".into(), "truncate".into(), "drop-column".into()]),
        "{run}"
    );

    // One undo file: the layout has DOWNs, so each phase without one is an error again.
    dir.write("U2__drop_a.sql", "CREATE TABLE a (id bigint);\n");
    let run = lint(dir.path(), &[], &["--json"]).expect(4);
    let errors: Vec<Value> = findings(&run)
        .into_iter()
        .filter(|f| f["rule"] == "destructive-without-down")
        .collect();
    assert_eq!(errors.len(), 2, "{run}");
    assert!(errors.iter().all(|f| f["severity"] == "error"), "{run}");
}

/// sqlx's simple files (`<version>_<name>.sql`, up only) read as native files without a
/// `-- DOWN` anywhere: one note about the layout too, as atuin's server migrations ship.
#[test]
fn sqlx_simple_files_without_any_down_get_one_note() {
    let dir = Dir::new();
    dir.write(
        "20210425153745_create_history.sql",
        "CREATE TABLE history (id bigint, data text);\nCREATE TABLE events (id bigint);\n",
    );
    dir.write("20230315220537_drop-events.sql", "DROP TABLE events;\n");
    dir.write(
        "20260127000000_remove-data.sql",
        "ALTER TABLE history DROP COLUMN data;\n",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(0);
    let notes: Vec<Value> = findings(&run)
        .into_iter()
        .filter(|f| f["rule"] == "destructive-without-down")
        .collect();
    assert_eq!(notes.len(), 1, "{run}");
    assert_eq!(notes[0]["severity"], "info", "{run}");
    let message = notes[0]["message"].as_str().unwrap();
    assert!(
        message.contains("native") && message.contains("-- DOWN"),
        "{message}"
    );

    // A DOWN in one file: the plan means to roll back, so each phase without one is an error.
    dir.write(
        "20230315220537_drop-events.sql",
        "DROP TABLE events;\n-- DOWN\nCREATE TABLE events (id bigint);\n",
    );
    let run = lint(dir.path(), &[], &["--json"]).expect(4);
    assert_eq!(
        findings(&run)
            .iter()
            .filter(|f| f["rule"] == "destructive-without-down" && f["severity"] == "error")
            .count(),
        1,
        "{run}"
    );
}

/// dbmate runs each section of a file in its own transaction unless its marker says
/// `transaction:false`: a CONCURRENTLY statement is flagged in a transactional section of a
/// file with several, not in the section without a transaction.
#[test]
fn concurrently_is_flagged_in_a_transactional_dbmate_section_of_several() {
    let dir = Dir::new();
    dir.write(
        "20240101000000_indexes.sql",
        "-- migrate:up\nCREATE TABLE t (a int, b int);\n\
         CREATE INDEX CONCURRENTLY t_a ON t (a);\n-- migrate:down\nDROP TABLE t;\n\n\
         -- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n\
         -- migrate:down\n",
    );
    let run = lint(dir.path(), &[], &["--json"]);
    let lines: Vec<u64> = findings(&run)
        .iter()
        .filter(|f| f["rule"] == "concurrently-in-transaction")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3], "{run}");
}

/// A plan long enough that its phases are read on several cores and in several windows: what
/// the first half declares (column types, a validated NOT NULL proof, an index) still reaches
/// the second half's phases, on whichever core they were read and in whatever window.
#[test]
fn what_earlier_phases_declare_reaches_phases_read_elsewhere() {
    let half = 700;
    let dir = Dir::new();
    for i in 1..=half {
        dir.write(
            &format!("{i:05}_t{i}.sql"),
            &format!(
                "CREATE TABLE t{i} (id bigint, name varchar(40), qty int);\n\
                 CREATE INDEX t{i}_qty_idx ON t{i} (qty);\n\
                 ALTER TABLE t{i} ADD CONSTRAINT t{i}_name_nn CHECK (name IS NOT NULL) NOT VALID;\n\
                 ALTER TABLE t{i} VALIDATE CONSTRAINT t{i}_name_nn;\n\
                 -- DOWN\nDROP TABLE t{i};\n"
            ),
        );
    }
    for i in 1..=half {
        let v = half + i;
        dir.write(
            &format!("{v:05}_alter_t{i}.sql"),
            &format!(
                "ALTER TABLE t{i} ALTER COLUMN name TYPE varchar(80);\n\
                 ALTER TABLE t{i} ALTER COLUMN name SET NOT NULL;\n\
                 ALTER TABLE t{i} ALTER COLUMN qty TYPE bigint;\n\
                 DROP INDEX t{i}_qty_idx;\n\
                 -- DOWN\nCREATE INDEX t{i}_qty_idx ON t{i} (qty);\n\
                 ALTER TABLE t{i} ALTER COLUMN qty TYPE int;\n"
            ),
        );
    }
    let run = lint(dir.path(), &[], &["--offline", "--json"]).expect(0);
    let got: BTreeSet<(String, u64, String, Option<String>)> =
        findings(&run).iter().map(key).collect();
    // The widening to varchar(80) and the proven SET NOT NULL say nothing; the type change
    // is a known rewrite, not an unknown one; DROP INDEX names the table of an index created
    // hundreds of phases earlier.
    let want: BTreeSet<Key> = (1..=half)
        .flat_map(|i| {
            let file = format!("{:05}_alter_t{i}.sql", half + i);
            let table = Some(format!("t{i}"));
            [
                (
                    file.clone(),
                    3,
                    "alter-column-type-rewrite".to_string(),
                    table.clone(),
                ),
                (file, 4, "drop-index-blocking".to_string(), table),
            ]
        })
        .collect();
    assert_eq!(got, want, "{run}");
    for f in findings(&run)
        .iter()
        .filter(|f| f["rule"] == "alter-column-type-rewrite")
    {
        let message = f["message"].as_str().unwrap();
        assert!(!message.contains("not in the plan"), "{message}");
    }
}

/// openmeter's repair migration, as it ships: it re-adds with `ADD COLUMN IF NOT EXISTS`
/// columns an earlier phase made (a no-op on a database that ran that phase) beside one it
/// really adds, makes helper functions in `pg_temp` (gone when the session ends), and its DOWN
/// is a comment. Only the really new column is left after a rollback.
#[test]
fn columns_re_added_if_not_exists_and_temporary_functions_are_not_leftovers() {
    let dir = Dir::new();
    dir.write(
        "20260428102826_add_tax_codes.up.sql",
        "CREATE TABLE charges (id bigint PRIMARY KEY);\n\
         ALTER TABLE \"charges\" ADD COLUMN \"tax_code_id\" character(26) NULL;\n",
    );
    dir.write(
        "20260428102826_add_tax_codes.down.sql",
        "DROP TABLE charges;\n",
    );
    dir.write(
        "20260520130000_repair.up.sql",
        "ALTER TABLE \"charges\"\n  ADD COLUMN IF NOT EXISTS \"tax_code_id\" character(26) NULL,\n  \
         ADD COLUMN IF NOT EXISTS \"expires_at\" timestamptz NULL;\n\
         CREATE OR REPLACE FUNCTION pg_temp.generate_ulid() RETURNS text AS $$\n\
         SELECT md5(random()::text)\n$$ LANGUAGE sql;\n\
         UPDATE charges SET tax_code_id = pg_temp.generate_ulid() WHERE tax_code_id IS NULL;\n",
    );
    dir.write(
        "20260520130000_repair.down.sql",
        "-- Intentionally no-op.\n",
    );
    let run = lint(dir.path(), &[], &["--offline", "--json"]).expect(0);
    let left: Vec<(u64, String)> = findings(&run)
        .iter()
        .filter(|f| f["rule"] == "down-leaves-object")
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        left,
        [(
            1,
            "the DOWN leaves column charges.expires_at, which this UP creates: after a rollback \
             it is still there"
                .to_string()
        )],
        "{run}"
    );
}

/// The same repair migration re-creates with `CREATE INDEX IF NOT EXISTS` an index an earlier
/// phase made: PostgreSQL skips it, builds nothing and locks nothing. An index the plan never
/// made, or one this phase dropped first, is built.
#[test]
fn an_index_re_created_if_not_exists_that_an_earlier_phase_made_blocks_nothing() {
    let dir = Dir::new();
    dir.write(
        "20260428102826_add_tax_codes.up.sql",
        "CREATE TABLE charges (id bigint PRIMARY KEY, tax_code_id text, currency text);\n",
    );
    dir.write(
        "20260428102826_add_tax_codes.down.sql",
        "DROP TABLE charges;\n",
    );
    dir.write(
        "20260429000000_index_tax_codes.up.sql",
        "CREATE INDEX \"charges_tax_code_id\" ON \"charges\" (\"tax_code_id\");\n\
         CREATE INDEX \"charges_currency\" ON \"charges\" (\"currency\");\n",
    );
    dir.write(
        "20260429000000_index_tax_codes.down.sql",
        "DROP INDEX charges_tax_code_id;\nDROP INDEX charges_currency;\n",
    );
    dir.write(
        "20260520130000_repair.up.sql",
        "CREATE INDEX IF NOT EXISTS \"charges_tax_code_id\" ON \"charges\" (\"tax_code_id\");\n\
         CREATE INDEX IF NOT EXISTS \"charges_id_tax\" ON \"charges\" (\"id\", \"tax_code_id\");\n\
         DROP INDEX \"charges_currency\";\n\
         CREATE INDEX IF NOT EXISTS \"charges_currency\" ON \"charges\" (\"currency\", \"id\");\n",
    );
    dir.write(
        "20260520130000_repair.down.sql",
        "-- Intentionally no-op.\n",
    );
    let run = lint(dir.path(), &[], &["--offline", "--json"]).expect(0);
    let blocking: Vec<(String, u64)> = findings(&run)
        .iter()
        .filter(|f| f["rule"] == "create-index-blocking")
        .map(|f| {
            let (file, line, _, _) = key(f);
            (file, line)
        })
        .collect();
    assert_eq!(
        blocking,
        [
            ("20260429000000_index_tax_codes.up.sql".to_string(), 1),
            ("20260429000000_index_tax_codes.up.sql".to_string(), 2),
            ("20260520130000_repair.up.sql".to_string(), 2),
            ("20260520130000_repair.up.sql".to_string(), 4),
        ],
        "{run}"
    );
}

/// The repair migration also sets NOT NULL again on columns earlier phases made NOT NULL (by
/// `SET NOT NULL`, or added `NOT NULL` with a default): PostgreSQL sees the flag and scans
/// nothing. After `DROP NOT NULL` the next `SET NOT NULL` scans again.
#[test]
fn set_not_null_on_a_column_an_earlier_phase_made_not_null_scans_nothing() {
    let dir = Dir::new();
    dir.write(
        "20260511201803_runs.up.sql",
        "CREATE TABLE runs (id bigint PRIMARY KEY);\nCREATE TABLE entries (id bigint);\n",
    );
    dir.write(
        "20260511201803_runs.down.sql",
        "DROP TABLE entries;\nDROP TABLE runs;\n",
    );
    dir.write(
        "20260513083018_immutable.up.sql",
        "ALTER TABLE \"runs\" ADD COLUMN \"immutable\" boolean NULL;\n\
         UPDATE \"runs\" SET \"immutable\" = false WHERE \"immutable\" IS NULL;\n\
         ALTER TABLE \"runs\" ALTER COLUMN \"immutable\" SET NOT NULL;\n\
         ALTER TABLE \"entries\" ADD COLUMN \"identity_key\" character varying NOT NULL DEFAULT '';\n",
    );
    dir.write(
        "20260513083018_immutable.down.sql",
        "ALTER TABLE entries DROP COLUMN identity_key;\nALTER TABLE runs DROP COLUMN immutable;\n",
    );
    dir.write(
        "20260520130000_repair.up.sql",
        "ALTER TABLE \"runs\" ADD COLUMN IF NOT EXISTS \"immutable\" boolean NULL;\n\
         ALTER TABLE \"runs\" ALTER COLUMN \"immutable\" SET NOT NULL;\n\
         ALTER TABLE \"entries\" ALTER COLUMN \"identity_key\" SET NOT NULL;\n\
         ALTER TABLE \"entries\" ALTER COLUMN \"identity_key\" DROP NOT NULL;\n\
         ALTER TABLE \"entries\" ALTER COLUMN \"identity_key\" SET NOT NULL;\n",
    );
    dir.write(
        "20260520130000_repair.down.sql",
        "-- Intentionally no-op.\n",
    );
    let run = lint(dir.path(), &[], &["--offline", "--json"]).expect(0);
    let scans: Vec<(String, u64)> = findings(&run)
        .iter()
        .filter(|f| f["rule"] == "set-not-null-scan")
        .map(|f| {
            let (file, line, _, _) = key(f);
            (file, line)
        })
        .collect();
    assert_eq!(
        scans,
        [
            ("20260513083018_immutable.up.sql".to_string(), 3),
            ("20260520130000_repair.up.sql".to_string(), 5),
        ],
        "{run}"
    );
}
