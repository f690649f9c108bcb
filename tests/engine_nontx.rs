//! `Transaction: none` phases: statements commit one by one, a failure leaves the phase dirty
//! at the statement that failed, and the operator resumes or marks it.

mod support;

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep, states};

#[test]
fn create_index_concurrently_applies_outside_a_transaction() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_big.sql",
        "-- Transaction: none\n\
         \n\
         CREATE TABLE big (id int, v text);\n\
         INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 2000) g;\n\
         CREATE INDEX CONCURRENTLY big_v_idx ON big (v);\n\
         -- DOWN\n\
         DROP INDEX CONCURRENTLY big_v_idx;\n\
         DROP TABLE big;\n",
    );
    let pg = Pg::connect(db.url());

    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        pg.value("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'big_v_idx'::regclass")
            .as_deref(),
        Some("true")
    );
    let row = &pg.history()[0];
    assert_eq!(row.state, "applied");
    assert_eq!(
        (row.statements_done, row.statements_total),
        (Some(3), Some(3))
    );
    assert_eq!(
        pg.value("SELECT transactional::text FROM schema_migrations")
            .as_deref(),
        Some("false")
    );
    assert_eq!(pg.events_of("apply")[0].details["transaction"], false);

    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert!(!pg.exists("big"));
    assert!(pg.history().is_empty());
}

/// Statement 2 of 3 needs a table the database does not have yet.
const NEEDS_TABLE: &str = "\
-- Migration: backfill
-- Transaction: none

CREATE TABLE nt_first (id int);
INSERT INTO nt_needed (x) VALUES (1);
CREATE TABLE nt_third (id int);

-- VERIFY
-- Check: kept rows
-- Expect: unchanged
SELECT count(*) FROM nt_keep;
";

fn dirty_phase() -> (support::TestDb, Dir, Pg) {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_backfill.sql", NEEDS_TABLE);
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE nt_keep AS SELECT generate_series(1, 3) AS id");
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("001_backfill.sql:5"), "{run}");
    assert!(run.stderr.contains("nt_needed"), "{run}");
    (db, dir, pg)
}

#[test]
fn a_dirty_phase_is_refused_then_resumed_once_the_database_is_fixed() {
    let (db, dir, pg) = dirty_phase();
    let row = &pg.history()[0];
    assert_eq!(row.state, "dirty");
    assert!(!row.success);
    assert_eq!(
        (row.statements_done, row.statements_total),
        (Some(1), Some(3))
    );
    assert_eq!(row.error_sqlstate.as_deref(), Some("42P01"));
    assert_eq!(row.error_line, Some(5));
    assert!(pg.exists("nt_first"), "statement 1 committed on its own");
    assert!(!pg.exists("nt_third"));
    let failure = &pg.events_of("failure")[0];
    assert_eq!(failure.outcome, "dirty");
    assert_eq!(failure.details["statement_index"], 2);

    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("dirty"), "{status}");
    let run = pgstep(&db, &dir, &["up"]).expect(6);
    assert!(run.stderr.contains("dirty"), "{run}");
    assert!(run.stderr.contains("after statement 1 of 3"), "{run}");
    assert!(run.stderr.contains("pgstep resume 001"), "{run}");
    assert!(run.stderr.contains("pgstep mark 001"), "{run}");

    // The file is right; the database lacked something. Fix that, not the file.
    pg.exec("CREATE TABLE nt_needed (x int)");
    let run = pgstep(&db, &dir, &["resume", "001"]).expect(0);
    assert!(run.stdout.contains("applied 001 backfill"), "{run}");
    // The `unchanged` check compares with the snapshot taken before statement 1.
    assert!(run.stdout.contains("pass  kept rows"), "{run}");
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    let row = &pg.history()[0];
    assert_eq!(row.statements_done, Some(3));
    assert!(row.success);
    assert!(pg.exists("nt_third"));
    assert_eq!(pg.count("SELECT count(*) FROM nt_needed"), 1);
    let resume = &pg.events_of("resume")[0];
    assert_eq!(resume.details["from_statement"], 2);
    let apply = pg.events_of("apply");
    assert_eq!(apply.len(), 1);
    assert_eq!(apply[0].details["checks"][0]["before"], "3");

    let again = pgstep(&db, &dir, &["resume", "001"]).expect(6);
    assert!(again.stderr.contains("not dirty"), "{again}");
}

#[test]
fn mark_records_the_decision_and_the_reason() {
    let (db, dir, pg) = dirty_phase();

    let run = pgstep(
        &db,
        &dir,
        &["mark", "001", "pending", "--reason", "try again"],
    )
    .expect(2);
    assert!(run.stderr.contains("--yes"), "{run}");
    assert_eq!(pg.states(), states(&[("001", "dirty")]));

    pgstep(
        &db,
        &dir,
        &[
            "mark",
            "001",
            "pending",
            "--reason",
            "undone by hand",
            "--yes",
        ],
    )
    .expect(0);
    assert!(pg.history().is_empty());
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("pending"), "{status}");
    let marks = pg.events_of("mark");
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0].reason.as_deref(), Some("undone by hand"));
    assert_eq!(marks[0].details["from"], "dirty");
    assert_eq!(marks[0].details["to"], "pending");

    // nt_first is still there, so the rerun stops at statement 1 this time.
    pgstep(&db, &dir, &["up"]).expect(4);
    let row = &pg.history()[0];
    assert_eq!(
        (row.state.as_str(), row.statements_done),
        ("dirty", Some(0))
    );
    assert_eq!(row.error_sqlstate.as_deref(), Some("42P07"));

    pgstep(
        &db,
        &dir,
        &[
            "mark",
            "001",
            "applied",
            "--reason",
            "finished by hand",
            "--yes",
        ],
    )
    .expect(0);
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    assert!(pg.history()[0].success);
    let marks = pg.events_of("mark");
    assert_eq!(marks.len(), 2);
    assert_eq!(marks[1].reason.as_deref(), Some("finished by hand"));
    assert_eq!(marks[1].details["from"], "dirty");
    assert_eq!(marks[1].details["to"], "applied");
    pgstep(&db, &dir, &["up"]).expect(0);
}

#[test]
fn a_failed_unique_concurrent_index_is_left_invalid_and_named() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE dupes (id int, v text);
         INSERT INTO dupes VALUES (1, 'same'), (2, 'same'), (3, 'other');",
    );
    let dir = Dir::new();
    dir.write(
        "001_unique_v.sql",
        "-- Transaction: none\n\
         CREATE UNIQUE INDEX CONCURRENTLY uq_dupes_v ON dupes (v);\n",
    );

    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("23505"), "{run}");
    assert!(run.stderr.contains("invalid index uq_dupes_v"), "{run}");
    assert!(run.stderr.contains("DROP INDEX CONCURRENTLY"), "{run}");
    assert_eq!(
        pg.value("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'uq_dupes_v'::regclass")
            .as_deref(),
        Some("false")
    );
    let row = &pg.history()[0];
    assert_eq!(
        (row.state.as_str(), row.statements_done),
        ("dirty", Some(0))
    );
    assert!(
        row.error_message
            .as_deref()
            .is_some_and(|m| m.contains("uq_dupes_v")),
        "{row:?}"
    );
    let failure = &pg.events_of("failure")[0];
    assert_eq!(failure.details["invalid_indexes"][0], "uq_dupes_v");
}
