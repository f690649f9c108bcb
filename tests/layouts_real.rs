//! Directories shaped as real projects ship them, read as each project's own tool reads them:
//! Diesel's version strings, files a tool ignores, dbmate's names and sections, empty DOWNs,
//! and Flyway's statements that cannot run in a transaction.

use std::fs;
use std::path::Path;

use pgstep::plan::{self, Diagnostic, Layout, Plan, Problem};

/// A temporary directory holding `files` (name, contents); names may contain `/`.
fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = tmp.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    }
    tmp
}

fn load_ok(dir: &Path) -> Plan {
    match plan::load(dir) {
        Ok(p) => p,
        Err(e) => panic!("{} should load, got:\n{e}", dir.display()),
    }
}

fn load_err(dir: &Path) -> Vec<Diagnostic> {
    match plan::load(dir) {
        Ok(p) => panic!("should fail, loaded {} migration(s)", p.migrations.len()),
        Err(e) => e.diagnostics,
    }
}

fn versions(p: &Plan) -> Vec<String> {
    p.migrations.iter().map(|m| m.version.to_string()).collect()
}

fn down_sql(m: &plan::Migration) -> Option<Vec<String>> {
    m.down.as_ref().map(|d| {
        d.sql()
            .unwrap()
            .statements()
            .map(|s| s.sql.to_string())
            .collect()
    })
}

fn up_sql(m: &plan::Migration) -> Vec<String> {
    m.up.sql()
        .unwrap()
        .statements()
        .map(|s| s.sql.to_string())
        .collect()
}

#[test]
fn diesel_versions_are_the_digits_before_the_first_underscore() {
    let tmp = dir_with(&[
        ("20170101000000_y/up.sql", "CREATE TABLE y (id int);"),
        ("2017-08-31-230457_x/up.sql", "CREATE TABLE x (id int);"),
        ("2016-12-01-120000_w/up.sql", "CREATE TABLE w (id int);"),
        ("2026-05-27-120000_a/up.sql", "CREATE TABLE a (id int);"),
        (
            "2026-05-27-120000-0000_b/up.sql",
            "CREATE TABLE b (id int);",
        ),
    ]);
    let p = load_ok(tmp.path());
    let names: Vec<&str> = p.migrations.iter().map(|m| m.name.as_str()).collect();
    // Diesel compares "20170831230457" with "20170101000000": x after y.
    assert_eq!(names, ["w", "y", "x", "a", "b"]);
    assert_ne!(p.migrations[3].version, p.migrations[4].version);
}

#[test]
fn diesel_timestamps_of_both_styles_sort_as_diesel_sorts_them() {
    // crates.io's shape: diesel_cli 2 writes `-0000` after the time, hand-named ones do not.
    // Diesel compares "202511190914440000" with "20260527120000" as text: 2025 first.
    let tmp = dir_with(&[
        ("2026-05-27-120000_add_username/up.sql", "SELECT 1;"),
        ("2025-11-19-091444-0000_trustpub/up.sql", "SELECT 1;"),
        ("2026-07-30-140000-0000_index/up.sql", "SELECT 1;"),
        ("20170101000000_old/up.sql", "SELECT 1;"),
    ]);
    let p = load_ok(tmp.path());
    let names: Vec<&str> = p.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["old", "trustpub", "add_username", "index"]);
}

#[test]
fn diesel_orders_versions_as_text_as_diesel_does() {
    // Diesel sorts "10" before "9" (text); a number does not.
    let tmp = dir_with(&[
        ("9_nine/up.sql", "SELECT 1;"),
        ("10_ten/up.sql", "SELECT 1;"),
    ]);
    assert_eq!(versions(&load_ok(tmp.path())), ["10", "9"]);
}

#[test]
fn dbmate_file_order_against_version_order_is_refused() {
    // dbmate runs files by name ("10_a.sql" before "1_b.sql"); their versions, as text,
    // sort "1" first.
    let tmp = dir_with(&[
        ("1_b.sql", "-- migrate:up\nSELECT 1;\n"),
        ("10_a.sql", "-- migrate:up\nSELECT 1;\n"),
    ]);
    let diags = load_err(tmp.path());
    let d = diags
        .iter()
        .find(|d| matches!(d.problem, Problem::ToolOrder { .. }))
        .unwrap_or_else(|| panic!("{diags:?}"));
    let text = d.to_string();
    assert!(
        text.contains("dbmate runs 10_a.sql before 1_b.sql"),
        "{text}"
    );
}

#[test]
fn diesel_ignores_plain_files_beside_its_directories_with_a_warning() {
    let tmp = dir_with(&[
        ("2019-01-01-000000_a/up.sql", "CREATE TABLE a (id int);"),
        ("2019-01-01-000000_a/down.sql", "DROP TABLE a;"),
        ("README.md", "# migrations"),
        ("helper.sql", "SELECT 1;"),
        ("data_oauth_github.sql", "INSERT INTO a VALUES (1);"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(p.layout, Some(Layout::Diesel));
    assert_eq!(versions(&p), ["2019-01-01-000000"]);
    let ignored: Vec<String> = p
        .warnings
        .iter()
        .filter(|d| matches!(d.problem, Problem::Ignored(_)))
        .map(|d| d.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ignored, ["data_oauth_github.sql", "helper.sql"]);

    // A file named like a migration of another layout is not silently left out.
    let tmp = dir_with(&[
        ("2019-01-01-000000_a/up.sql", "CREATE TABLE a (id int);"),
        ("001_seed.sql", "INSERT INTO a VALUES (1);"),
    ]);
    let diags = load_err(tmp.path());
    assert!(
        diags
            .iter()
            .any(|d| matches!(d.problem, Problem::MixedLayouts(_))),
        "{diags:?}"
    );
}

#[test]
fn flyway_ignores_files_that_do_not_follow_its_naming() {
    let tmp = dir_with(&[
        ("V1__init.sql", "CREATE TABLE a (id int);"),
        ("V2__more.sql", "ALTER TABLE a ADD b int;"),
        ("update-sequences.sql", "SELECT setval('a_id_seq', 1);"),
        ("V57__readme.md", "notes"),
        ("V3_notes.sql", "SELECT 1;"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(p.layout, Some(Layout::Flyway));
    assert_eq!(versions(&p), ["1", "2"]);
    let ignored: Vec<String> = p
        .warnings
        .iter()
        .filter(|d| matches!(d.problem, Problem::Ignored(_)))
        .map(|d| d.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(ignored, ["V3_notes.sql", "update-sequences.sql"]);
}

#[test]
fn flyway_runs_a_file_with_a_non_transactional_statement_outside_a_transaction() {
    let tmp = dir_with(&[
        ("V1__init.sql", "CREATE TABLE a (id int);"),
        (
            "V2__index.sql",
            "-- built without blocking writes\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
        ),
        (
            "V3__unique.sql",
            "create unique index concurrently a_u on a (id);",
        ),
        ("V4__vacuum.sql", "VACUUM a;"),
        ("V5__system.sql", "ALTER SYSTEM SET work_mem = '8MB';"),
        // Flyway's pattern does not match REINDEX INDEX CONCURRENTLY: it stays transactional.
        ("V6__reindex.sql", "REINDEX INDEX CONCURRENTLY a_id;"),
        ("V7__plain.sql", "ALTER TABLE a ADD b int;"),
    ]);
    let p = load_ok(tmp.path());
    let tx: Vec<bool> = p.migrations.iter().map(|m| m.transactional()).collect();
    assert_eq!(tx, [true, false, false, false, false, true, true]);
}

#[test]
fn dbmate_versions_are_the_leading_digits_whatever_follows() {
    let tmp = dir_with(&[
        (
            "00000000000000-initial-schema.sql",
            "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
        ),
        (
            "20240101120000_add_b.sql",
            "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
        ),
        (
            "20240102000000add_c.sql",
            "-- migrate:up\nCREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE c;\n",
        ),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(p.layout, Some(Layout::Dbmate));
    assert_eq!(
        versions(&p),
        ["00000000000000", "20240101120000", "20240102000000"]
    );
    assert_eq!(p.migrations[0].name, "initial-schema");
}

#[test]
fn dbmate_reads_several_sections_and_rolls_back_in_its_own_order() {
    let tmp = dir_with(&[(
        "20240101000000_two.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n\n\
         -- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
    )]);
    let p = load_ok(tmp.path());
    let m = &p.migrations[0];
    assert_eq!(
        up_sql(m),
        ["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]
    );
    // dbmate 2 runs each section's down in file order when rolling back.
    assert_eq!(down_sql(m).unwrap(), ["DROP TABLE a", "DROP TABLE b"]);
    // Each section in a transaction of its own, not the phase in one.
    assert!(!m.transactional());
    assert_eq!(m.up.wrapped.as_ref(), [0..1, 1..2]);
    let down = m.down.as_ref().unwrap();
    assert_eq!(down.wrapped.as_ref(), [0..1, 1..2]);
}

#[test]
fn dbmate_section_without_transaction_makes_the_phase_run_one_by_one() {
    let tmp = dir_with(&[(
        "20240101000000_two.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n\n\
         -- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n\
         -- migrate:down\nDROP INDEX a_id;\n",
    )]);
    let p = load_ok(tmp.path());
    assert!(!p.migrations[0].transactional());
    // The first section still runs in its own transaction; the second outside one.
    assert_eq!(p.migrations[0].up.wrapped.to_vec(), vec![0..1]);
}

#[test]
fn dbmate_second_down_in_one_section_is_refused() {
    let tmp = dir_with(&[(
        "20240101000000_bad.sql",
        "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:down\nSELECT 3;\n",
    )]);
    let diags = load_err(tmp.path());
    assert!(
        diags
            .iter()
            .any(|d| matches!(d.problem, Problem::DuplicateMarker { .. }) && d.line == Some(5)),
        "{diags:?}"
    );
}

#[test]
fn an_empty_or_comment_only_down_is_a_rollback_that_changes_nothing() {
    let tmp = dir_with(&[
        ("001_a.up.sql", "CREATE TABLE a (id int);"),
        ("001_a.down.sql", ""),
        ("002_b.up.sql", "CREATE TABLE b (id int);"),
        (
            "002_b.down.sql",
            "-- This migration cannot be undone safely.\n",
        ),
        ("003_c.up.sql", "CREATE TABLE c (id int);"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(down_sql(&p.migrations[0]), Some(vec![]));
    assert_eq!(down_sql(&p.migrations[1]), Some(vec![]));
    assert_eq!(down_sql(&p.migrations[2]), None);

    let tmp = dir_with(&[
        ("2019-01-01-000000_a/up.sql", "CREATE TABLE a (id int);"),
        ("2019-01-01-000000_a/down.sql", "-- nothing to undo\n"),
    ]);
    assert_eq!(down_sql(&load_ok(tmp.path()).migrations[0]), Some(vec![]));

    let tmp = dir_with(&[(
        "20240101000000_a.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n",
    )]);
    assert_eq!(down_sql(&load_ok(tmp.path()).migrations[0]), Some(vec![]));
}

#[test]
fn sqlx_simple_files_and_no_transaction_line() {
    let tmp = dir_with(&[
        (
            "20240101000000_create_users.sql",
            "CREATE TABLE users (id int);",
        ),
        (
            "20240102000000_index_users.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n",
        ),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(p.layout, Some(Layout::Native));
    assert_eq!(p.migrations[0].name, "create_users");
    assert!(p.migrations[0].transactional());
    assert!(!p.migrations[1].transactional());
}

#[test]
fn native_header_keys_in_other_layouts_are_refused_naming_where_they_work() {
    let tmp = dir_with(&[
        (
            "001_a.up.sql",
            "-- Transaction: none\n-- Lock-Timeout: 5s\nCREATE INDEX CONCURRENTLY a_id ON a (id);",
        ),
        ("001_a.down.sql", "DROP INDEX a_id;"),
    ]);
    let diags = load_err(tmp.path());
    let texts: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    assert_eq!(diags.len(), 2, "{texts:?}");
    assert!(texts[0].contains(":1:") && texts[0].contains("-- Transaction:"));
    assert!(texts[0].contains("-- no-transaction"), "{}", texts[0]);
    assert!(texts[1].contains(":2:") && texts[1].contains("-- Lock-Timeout:"));
}

#[test]
fn a_directory_with_many_problems_reports_them_all_at_once() {
    let tmp = dir_with(&[
        ("V1__init.sql", "CREATE TABLE a (id int;"),
        ("V2__b.sql", "SELECT 1;"),
        ("V2__again.sql", "SELECT 2;"),
        ("U9__orphan.sql", "SELECT 3;"),
        ("V3__empty.sql", ""),
    ]);
    let diags = load_err(tmp.path());
    let kinds: Vec<String> = diags
        .iter()
        .map(|d| {
            format!(
                "{}: {}",
                d.path.file_name().unwrap().to_string_lossy(),
                d.problem
            )
        })
        .collect();
    assert_eq!(diags.len(), 4, "{kinds:#?}");
}

#[test]
fn flyway_repeatables_come_after_every_versioned_migration_in_description_order() {
    let tmp = dir_with(&[
        ("V1__init.sql", "CREATE TABLE a (id int);"),
        (
            "R__views.sql",
            "CREATE OR REPLACE VIEW av AS SELECT id FROM a;",
        ),
        ("V10__more.sql", "ALTER TABLE a ADD b int;"),
        (
            "R__a_functions.sql",
            "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
        ),
        ("V2__index.sql", "CREATE INDEX a_id ON a (id);"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(versions(&p), ["1", "2", "10", "R__a_functions", "R__views"]);
    let kinds: Vec<bool> = p
        .migrations
        .iter()
        .map(|m| m.version.is_repeatable())
        .collect();
    assert_eq!(kinds, [false, false, false, true, true]);
    assert_eq!(p.migrations[3].name, "a_functions");
    assert!(p.migrations[4].down.is_none());
}

#[test]
fn flyway_repeatables_with_one_description_are_one_version_twice() {
    // `R__a_b.sql` and `R__a b.sql` both describe "a b" to Flyway.
    let tmp = dir_with(&[
        ("V1__init.sql", "SELECT 1;"),
        ("R__a_b.sql", "SELECT 2;"),
        ("R__a b.sql", "SELECT 3;"),
    ]);
    let diags = load_err(tmp.path());
    assert!(
        diags
            .iter()
            .any(|d| matches!(d.problem, Problem::DuplicateVersion { .. })),
        "{diags:?}"
    );
}

/// `pgstep lint --offline --json` on `dir`: each finding's rule and hint.
fn lint_hints(dir: &Path) -> Vec<(String, String)> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgstep"))
        .args(["lint", "--offline", "--json", "--dir"])
        .arg(dir)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["hint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn lint_hints_name_what_works_in_the_layout_at_hand() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[
                ("2019-01-01-000000_a/up.sql", "CREATE TABLE a (id int);"),
                (
                    "2019-01-02-000000_b/up.sql",
                    "CREATE INDEX CONCURRENTLY a_id ON a (id);",
                ),
            ],
            "run_in_transaction = false",
        ),
        (
            &[
                ("001_a.up.sql", "CREATE TABLE a (id int);"),
                ("002_b.up.sql", "CREATE INDEX CONCURRENTLY a_id ON a (id);"),
            ],
            "-- no-transaction",
        ),
        (
            &[
                (
                    "20240101000000_a.sql",
                    "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n",
                ),
                (
                    "20240102000000_b.sql",
                    "-- migrate:up\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n-- migrate:down\n",
                ),
            ],
            "transaction:false",
        ),
        (
            &[
                ("001_a.sql", "CREATE TABLE a (id int);"),
                ("002_b.sql", "CREATE INDEX CONCURRENTLY a_id ON a (id);"),
            ],
            "-- Transaction: none",
        ),
    ];
    for (files, want) in cases {
        let tmp = dir_with(files);
        let hints = lint_hints(tmp.path());
        let (_, hint) = hints
            .iter()
            .find(|(rule, _)| rule == "concurrently-in-transaction")
            .unwrap_or_else(|| panic!("{hints:?}"));
        assert!(hint.contains(want), "{want}: {hint}");
        if want == "-- Transaction: none" {
            // sqlx's up-only files read as native ones, and sqlx reads only its own marker.
            assert!(hint.contains("`-- no-transaction`"), "{hint}");
        } else {
            assert!(!hint.contains("Transaction: none"), "{hint}");
        }
    }
}

fn problems_of(dir: &Path) -> Vec<(String, String)> {
    load_err(dir)
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let name = d.path.file_name().unwrap().to_string_lossy().into_owned();
            let kind = format!("{:?}", d.problem);
            let kind = kind.split(['(', ' ', '{']).next().unwrap().to_string();
            (name, kind)
        })
        .collect()
}

#[test]
fn problems_behind_other_problems_are_reported_in_the_same_run() {
    // A file that cannot be read still holds its version: a second file with it is reported
    // now, not after the first is fixed; a file without a version still has its SQL read.
    let tmp = dir_with(&[
        ("002_a.sql", "SELECT 'unterminated;\n"),
        ("002_b.sql", "SELECT 1;\n"),
        ("x_e.sql", "SELECT 'open;\n"),
    ]);
    let mut got = problems_of(tmp.path());
    got.sort();
    assert_eq!(
        got,
        [
            ("002_a.sql".into(), "Sql".into()),
            ("002_b.sql".into(), "DuplicateVersion".into()),
            ("x_e.sql".into(), "NoVersion".into()),
            ("x_e.sql".into(), "Sql".into()),
        ]
    );

    // A DOWN file that cannot be read does not hide the UP file's problems.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("001_a.up.sql"), "SELECT 'open;\n").unwrap();
    fs::write(tmp.path().join("001_a.down.sql"), b"DROP TABLE \xff;\n").unwrap();
    let mut got = problems_of(tmp.path());
    got.sort();
    assert_eq!(
        got,
        [
            ("001_a.down.sql".into(), "NotUtf8".into()),
            ("001_a.up.sql".into(), "Sql".into()),
        ]
    );
}

#[test]
fn flyway_undo_file_with_a_non_transactional_statement_runs_outside_a_transaction() {
    let tmp = dir_with(&[
        ("V1__init.sql", "CREATE TABLE a (id int);"),
        ("V2__index.sql", "CREATE INDEX a_id ON a (id);"),
        ("U2__index.sql", "DROP INDEX CONCURRENTLY a_id;"),
    ]);
    let p = load_ok(tmp.path());
    let m = &p.migrations[1];
    assert!(m.transactional());
    assert!(!m.down.as_ref().unwrap().transactional);
}

/// Diesel and dbmate keep versions as text: `001` and `1` are two migrations there, run in
/// the tool's text order (Diesel's versions, dbmate's file names).
#[test]
fn diesel_and_dbmate_versions_that_differ_as_text_are_two_migrations() {
    let tmp = dir_with(&[
        ("1_b/up.sql", "CREATE TABLE b (id int);"),
        ("001_a/up.sql", "CREATE TABLE a (id int);"),
        ("2_c/up.sql", "CREATE TABLE c (id int);"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(versions(&p), ["001", "1", "2"]);
    assert_ne!(p.migrations[0].version, p.migrations[1].version);

    let tmp = dir_with(&[
        (
            "1_b.sql",
            "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\n",
        ),
        (
            "001_a.sql",
            "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n",
        ),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(versions(&p), ["001", "1"]);
}

/// golang-migrate, sqlx and Flyway read versions as numbers: `001` and `1` are one version,
/// which golang-migrate and Flyway refuse and sqlx fails on when it records the second; pgstep
/// refuses it before running anything, naming both files.
#[test]
fn numeric_layouts_refuse_versions_equal_as_numbers() {
    for files in [
        [("001_a.up.sql", "SELECT 1;"), ("1_b.up.sql", "SELECT 2;")],
        [("001_a.sql", "SELECT 1;"), ("1_b.sql", "SELECT 2;")],
        [("V001__a.sql", "SELECT 1;"), ("V1__b.sql", "SELECT 2;")],
    ] {
        let tmp = dir_with(&files);
        let diags = load_err(tmp.path());
        assert!(
            diags.iter().any(|d| matches!(
                &d.problem,
                Problem::DuplicateVersion { other, .. } if other.ends_with(files[0].0) || other.ends_with(files[1].0)
            )),
            "{files:?}: {diags:?}"
        );
    }
}

/// Flyway scans its location and every folder below it (hidden folders aside), and orders
/// what it finds by version across folders.
#[test]
fn flyway_reads_subfolders_and_orders_by_version_across_them() {
    let tmp = dir_with(&[
        ("V1__base.sql", "CREATE TABLE a (id int);"),
        ("2.32/V2_32_1__b.sql", "CREATE TABLE b (id int);"),
        ("2.31/V2_31_1__a.sql", "CREATE TABLE c (id int);"),
        ("2.31/README.md", "# notes"),
        ("2.32/more/V2_32_2__c.sql", "CREATE TABLE d (id int);"),
        ("2.32/more/U2_32_2__c.sql", "DROP TABLE d;"),
        (".hidden/V9__x.sql", "SELECT 1;"),
    ]);
    let p = load_ok(tmp.path());
    assert_eq!(p.layout, Some(Layout::Flyway));
    assert_eq!(versions(&p), ["1", "2.31.1", "2.32.1", "2.32.2"]);
    assert_eq!(down_sql(&p.migrations[3]).unwrap(), ["DROP TABLE d"]);
}

/// Two files with one version in different folders are refused, as Flyway refuses them
/// ("Found more than one migration with version ..."), naming both.
#[test]
fn flyway_refuses_one_version_in_two_folders() {
    let tmp = dir_with(&[("a/V1__x.sql", "SELECT 1;"), ("b/V1_0__y.sql", "SELECT 2;")]);
    let diags = load_err(tmp.path());
    assert!(
        diags.iter().any(|d| matches!(
            &d.problem,
            Problem::DuplicateVersion { other, .. } if other.ends_with("a/V1__x.sql")
        ) && d.path.ends_with("b/V1_0__y.sql")),
        "{diags:?}"
    );
}
