//! dbmate itself as the oracle: the same files applied and rolled back by the real `dbmate`
//! (installed first when missing) and by pgstep, on two databases, compared with `pg_dump
//! -s` and the versions each recorded.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep_url};

/// Runs the real dbmate on `dir` against `url`.
fn dbmate(url: &str, dir: &Path, args: &[&str]) -> Output {
    let url = format!("{url}?sslmode=disable");
    Command::new(support::tools::DBMATE.path())
        .args(["--url", &url, "--migrations-dir"])
        .arg(dir)
        .arg("--no-dump-schema")
        .args(args)
        .output()
        .expect("dbmate runs")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "dbmate failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The schema without either tool's bookkeeping (dbmate's `schema_migrations`, pgstep's
/// history, log, their functions and the data pgstep kept of what a DOWN dropped).
fn schema(url: &str) -> String {
    let pg = Pg::connect(url);
    pg.exec(
        "DROP TABLE IF EXISTS schema_migrations, schema_migrations_log CASCADE;
         DROP SCHEMA IF EXISTS pgstep_trash, pgstep CASCADE;
         DO $$ DECLARE f regprocedure; BEGIN
           FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public' AND p.proname LIKE 'schema_migrations%'
           LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP;
         END $$;",
    );
    let bindir = std::env::var_os("PGSTEP_PG_BINDIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".into());
    let out = Command::new(bindir.join("pg_dump"))
        .args(["-s", "--no-owner", "-d", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The versions dbmate recorded, in its own `schema_migrations`.
fn versions(pg: &Pg) -> Vec<String> {
    pg.rows("SELECT version FROM schema_migrations ORDER BY version")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

/// The versions pgstep recorded, in its own schema (the folder is dbmate's).
fn pgstep_versions(pg: &Pg) -> Vec<String> {
    pg.own_history().into_iter().map(|h| h.version).collect()
}

/// Files in dbmate's shapes: leading digits whatever follows, a version that differs from
/// another only as text, a section without a transaction, an empty DOWN.
const FILES: &[(&str, &str)] = &[
    (
        "00000000000000-initial-schema.sql",
        "-- migrate:up\nCREATE TABLE account (id bigint PRIMARY KEY, handle text NOT NULL);\n\
         -- migrate:down\nDROP TABLE account;\n",
    ),
    (
        "001_sessions.sql",
        "-- migrate:up\nCREATE TABLE session (id bigint PRIMARY KEY, account_id bigint REFERENCES account);\n\
         -- migrate:down\nDROP TABLE session;\n",
    ),
    (
        "1_session_index.sql",
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY session_account ON session (account_id);\n\
         -- migrate:down transaction:false\nDROP INDEX CONCURRENTLY session_account;\n",
    ),
    (
        "20240102000000_account_note.sql",
        "-- migrate:up\nALTER TABLE account ADD COLUMN note text;\n\
         -- migrate:down\n-- The column is kept: notes are not ours to delete.\n",
    ),
];

#[test]
fn dbmate_and_pgstep_apply_and_roll_back_the_same_files_alike() {
    let dir = Dir::new();
    for (name, text) in FILES {
        dir.write(name, text);
    }
    let by_dbmate = fresh_db();
    let by_pgstep = fresh_db();
    let (dbm, pgs) = (Pg::connect(by_dbmate.url()), Pg::connect(by_pgstep.url()));
    ok(dbmate(by_dbmate.url(), dir.path(), &["up"]));
    pgstep_url(by_pgstep.url(), &dir, &["up"]).expect(0);
    let want = ["00000000000000", "001", "1", "20240102000000"];
    assert_eq!(versions(&dbm), want);
    assert_eq!(pgstep_versions(&pgs), want);
    let (a, b) = (fresh_db(), fresh_db());
    ok(dbmate(a.url(), dir.path(), &["up"]));
    pgstep_url(b.url(), &dir, &["up"]).expect(0);
    assert_eq!(schema(b.url()), schema(a.url()), "after UP");

    // Rolled back one at a time, newest first: the empty DOWN forgets its version, the
    // non-transactional one drops the index, the versions that differ only as text stay apart.
    for left in [3, 2, 1] {
        ok(dbmate(by_dbmate.url(), dir.path(), &["rollback"]));
        pgstep_url(by_pgstep.url(), &dir, &["down", "--steps", "1", "--yes"]).expect(0);
        assert_eq!(versions(&dbm), want[..left], "dbmate");
        assert_eq!(pgstep_versions(&pgs), want[..left], "pgstep");
    }
    // The kept column stays; the session table and its index are gone.
    for pg in [&dbm, &pgs] {
        assert!(pg.column_exists("account", "note"));
        assert_eq!(
            pg.count(
                "SELECT count(*) FROM pg_class WHERE relname IN ('session', 'session_account')"
            ),
            0
        );
    }
}

/// dbmate gives each `-- migrate:up` section of a file its own transaction and records the
/// file's version inside each; on PostgreSQL the second record breaks the version's primary
/// key (dbmate issue #820), so dbmate keeps the first section and fails on the second. pgstep
/// runs every section, each in its own transaction as dbmate does, and records the version
/// once, after the last (as dbmate's proposed fix does).
#[test]
fn dbmate_stops_after_the_first_section_where_pgstep_runs_the_whole_file() {
    let dir = Dir::new();
    dir.write(
        "20240101000000_two.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n\n\
         -- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
    );
    let by_dbmate = fresh_db();
    let out = dbmate(by_dbmate.url(), dir.path(), &["up"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("duplicate key"), "{stderr}");
    let dbm = Pg::connect(by_dbmate.url());
    assert!(dbm.exists("a") && !dbm.exists("b"));
    assert_eq!(versions(&dbm), ["20240101000000"]);

    let by_pgstep = fresh_db();
    pgstep_url(by_pgstep.url(), &dir, &["up"]).expect(0);
    let pgs = Pg::connect(by_pgstep.url());
    assert!(pgs.exists("a") && pgs.exists("b"));
    pgstep_url(by_pgstep.url(), &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(!pgs.exists("a") && !pgs.exists("b"));
}

/// A section without a transaction, then one with a transaction whose second statement fails:
/// dbmate keeps the first section and rolls the second back whole. A file run statement by
/// statement would keep the second section's first statement too.
const FAILS_IN_SECOND: &str = "-- migrate:up transaction:false\n\
    CREATE TABLE a (id int);\n\
    -- migrate:down transaction:false\nDROP TABLE a;\n\n\
    -- migrate:up\nCREATE TABLE c (id int);\nINSERT INTO missing VALUES (1);\n\
    -- migrate:down\nDROP TABLE c;\n";

#[test]
fn a_failure_in_a_transactional_section_rolls_back_that_section_alone_as_dbmate_does() {
    let dir = Dir::new();
    dir.write("20240101000000_mixed.sql", FAILS_IN_SECOND);
    let (by_dbmate, by_pgstep) = (fresh_db(), fresh_db());
    let (dbm, pgs) = (Pg::connect(by_dbmate.url()), Pg::connect(by_pgstep.url()));
    let out = dbmate(by_dbmate.url(), dir.path(), &["up"]);
    assert!(!out.status.success());
    let run = pgstep_url(by_pgstep.url(), &dir, &["up"]);
    assert_ne!(run.code, Some(0), "{}", run.all());
    for pg in [&dbm, &pgs] {
        assert!(pg.exists("a") && !pg.exists("c"));
    }
    // dbmate leaves the version in its table (it wrote it with the first section); pgstep's
    // row says the phase stopped after its first statement.
    assert_eq!(versions(&dbm), ["20240101000000"]);
    assert_eq!(pgstep_versions(&pgs), ["20240101000000"]);
    let h = &pgs.own_history()[0];
    assert_eq!((h.state.as_str(), h.statements_done), ("dirty", Some(1)));
    assert!(
        h.error_message
            .as_deref()
            .is_some_and(|m| m.contains("statements 2 to 3, was rolled back")),
        "{h:?}"
    );
    assert_eq!(schema(by_pgstep.url()), schema(by_dbmate.url()));

    // Resumed, the section runs again from its first statement.
    let resumed = fresh_db();
    let res = Pg::connect(resumed.url());
    pgstep_url(resumed.url(), &dir, &["up"]).expect(4);
    res.exec("CREATE TABLE missing (id int)");
    pgstep_url(resumed.url(), &dir, &["resume", "20240101000000"]).expect(0);
    assert!(res.exists("a") && res.exists("c"));
    assert_eq!(res.count("SELECT count(*) FROM missing"), 1);
}

/// dbmate rolls a file back section by section in file order, each DOWN in its own
/// transaction: when the second fails, the first stays rolled back.
#[test]
fn down_sections_run_in_file_order_each_in_its_own_transaction_as_dbmate_runs_them() {
    let dir = Dir::new();
    dir.write(
        "20240101000000_two.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE b;\n\n\
         -- migrate:up transaction:false\nCREATE TABLE b (id int);\n\
         -- migrate:down\nDROP TABLE a;\nSELECT missing_function();\n",
    );
    let (by_dbmate, by_pgstep) = (fresh_db(), fresh_db());
    let (dbm, pgs) = (Pg::connect(by_dbmate.url()), Pg::connect(by_pgstep.url()));
    // The second section has no transaction, so dbmate's duplicate record (issue #820) fails
    // after its statements ran: both tables are there, as pgstep leaves them.
    assert!(
        !dbmate(by_dbmate.url(), dir.path(), &["up"])
            .status
            .success()
    );
    pgstep_url(by_pgstep.url(), &dir, &["up"]).expect(0);
    assert_eq!(versions(&dbm), pgstep_versions(&pgs));
    for pg in [&dbm, &pgs] {
        assert!(pg.exists("a") && pg.exists("b"));
    }

    assert!(
        !dbmate(by_dbmate.url(), dir.path(), &["rollback"])
            .status
            .success()
    );
    let run = pgstep_url(by_pgstep.url(), &dir, &["down", "--steps", "1", "--yes"]);
    assert_ne!(run.code, Some(0), "{}", run.all());
    // The first DOWN section (b) ran and committed; the second (a) was rolled back.
    for pg in [&dbm, &pgs] {
        assert!(pg.exists("a") && !pg.exists("b"));
    }
    assert_eq!(schema(by_pgstep.url()), schema(by_dbmate.url()));
}

/// A file whose `-- migrate:up` section holds only a comment, as a real project ships one:
/// dbmate applies it and rolls it back, recording and forgetting its version.
#[test]
fn an_up_section_of_comments_only_is_a_phase_that_changes_nothing_as_in_dbmate() {
    let dir = Dir::new();
    dir.write(
        "20230101000000_table.sql",
        "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n",
    );
    dir.write(
        "20230613081306_nothing.sql",
        "-- migrate:up\n-- EMPTY FILE - the change moved to a later migration\n\n-- migrate:down\n",
    );
    let (by_dbmate, by_pgstep) = (fresh_db(), fresh_db());
    let (dbm, pgs) = (Pg::connect(by_dbmate.url()), Pg::connect(by_pgstep.url()));
    ok(dbmate(by_dbmate.url(), dir.path(), &["up"]));
    pgstep_url(by_pgstep.url(), &dir, &["up"]).expect(0);
    let want = ["20230101000000", "20230613081306"];
    assert_eq!(versions(&dbm), want);
    assert_eq!(pgstep_versions(&pgs), want);
    ok(dbmate(by_dbmate.url(), dir.path(), &["rollback"]));
    pgstep_url(by_pgstep.url(), &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(versions(&dbm), want[..1]);
    assert_eq!(pgstep_versions(&pgs), want[..1]);
    assert_eq!(schema(by_pgstep.url()), schema(by_dbmate.url()));
}

/// pgstep on a fresh database with a dbmate folder keeps its history in its own schema
/// (`schema_migrations` is the name dbmate reads and writes) and makes dbmate's table there
/// as dbmate makes it, recording each file it applies: dbmate then finds every file applied,
/// has nothing to run, and its rollback is seen by pgstep as the file pending again.
#[test]
fn pgstep_on_a_fresh_database_makes_dbmates_table_and_dbmate_agrees() {
    let dir = Dir::new();
    dir.write(
        "20240101000000_a.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
    );
    dir.write(
        "20240102000000_b.sql",
        "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n",
    );
    let (db, by_dbmate) = (fresh_db(), fresh_db());
    let pg = Pg::connect(db.url());
    pgstep_url(db.url(), &dir, &["up"]).expect(0);
    assert_eq!(versions(&pg), ["20240101000000", "20240102000000"]);
    assert_eq!(pgstep_versions(&pg), ["20240101000000", "20240102000000"]);
    // The log says the table was made, once, with what it held then.
    let adopted = pg.own_events_of("adopted");
    assert_eq!(adopted.len(), 1);
    assert_eq!(adopted[0].details["created"], true);
    assert_eq!(adopted[0].details["versions"], 0);
    ok(dbmate(by_dbmate.url(), dir.path(), &["up"]));
    let oracle = Pg::connect(by_dbmate.url());
    assert_eq!(
        pg.table_shape("public.schema_migrations"),
        oracle.table_shape("public.schema_migrations")
    );

    let status = ok(dbmate(db.url(), dir.path(), &["status"]));
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(
        said.contains("Applied: 2") && said.contains("Pending: 0"),
        "{said}"
    );
    let up = ok(dbmate(db.url(), dir.path(), &["up"]));
    assert!(
        !String::from_utf8_lossy(&up.stdout).contains("Applying"),
        "{up:?}"
    );
    ok(dbmate(db.url(), dir.path(), &["rollback"]));
    assert!(pg.exists("a") && !pg.exists("b"));
    let run = pgstep_url(db.url(), &dir, &["status", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let states: Vec<(&str, &str)> = json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| (m["state"].as_str().unwrap(), m["source"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("applied", "dbmate"), ("pending", "dbmate")]);
}

/// A file of two sections whose second DOWN fails part-way, rolled back after the file is
/// gone: pgstep runs the DOWN its history kept section by section, each in its own
/// transaction, as dbmate runs the file's. The first section's DOWN stays done, the second's
/// first statement is rolled back with it (run one by one, it stayed done).
#[test]
fn a_down_kept_in_the_history_runs_its_sections_as_dbmate_runs_the_file() {
    const FILE: &str = "20240101000000_two.sql";
    let text = "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n\n\
         -- migrate:up transaction:false\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);\n\
         -- migrate:down\nDROP TABLE c;\nSELECT missing_function();\n";
    let dir = Dir::new();
    dir.write(FILE, text);
    let (by_dbmate, by_pgstep) = (fresh_db(), fresh_db());
    let (dbm, pgs) = (Pg::connect(by_dbmate.url()), Pg::connect(by_pgstep.url()));
    // dbmate's duplicate record fails the second section after its statements ran (#820).
    assert!(
        !dbmate(by_dbmate.url(), dir.path(), &["up"])
            .status
            .success()
    );
    pgstep_url(by_pgstep.url(), &dir, &["up"]).expect(0);
    for pg in [&dbm, &pgs] {
        assert!(pg.exists("a") && pg.exists("b") && pg.exists("c"));
    }

    assert!(
        !dbmate(by_dbmate.url(), dir.path(), &["rollback"])
            .status
            .success()
    );
    dir.remove(FILE);
    let run = pgstep_url(by_pgstep.url(), &dir, &["down", "--steps", "1", "--yes"]);
    assert_ne!(run.code, Some(0), "{}", run.all());
    assert!(run.all().contains("missing_function"), "{}", run.all());
    for pg in [&dbm, &pgs] {
        assert!(!pg.exists("a") && pg.exists("b") && pg.exists("c"));
    }
    assert_eq!(schema(by_pgstep.url()), schema(by_dbmate.url()));
}

/// A history table named `schema_migrations` on the command line is pgstep's: dbmate's table
/// of that name is not made beside it.
#[test]
fn a_history_named_as_dbmates_table_stays_pgsteps() {
    let dir = Dir::new();
    dir.write(
        "20240101000000_a.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
    );
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let named = ["--history-table", "schema_migrations"];
    pgstep_url(db.url(), &dir, &[&named[..], &["up"]].concat()).expect(0);
    assert_eq!(
        pg.history_in("schema_migrations")
            .into_iter()
            .map(|h| h.version)
            .collect::<Vec<_>>(),
        ["20240101000000"]
    );
    pgstep_url(db.url(), &dir, &[&named[..], &["status"]].concat()).expect(0);
}
