//! The engine under faults: a killed pgstep, a connection cut mid-phase or right after
//! COMMIT, two operators racing on one history table. Never the same work twice, never a
//! report that the database contradicts.

mod support;

use std::time::Duration;

use support::fresh_db;
use support::migrations::{Dir, Pg, command, finish, pgstep, pgstep_url, wait_until};
use support::proxy::{Proxy, server_port};

/// Statement 2 inserts a row and takes a while: killed during it, the server still commits it.
const INSERT_IN_FLIGHT: &str = "\
-- Transaction: none

CREATE TABLE f_rows (id int);
INSERT INTO f_rows SELECT 1 FROM pg_sleep(1.5);
CREATE TABLE f_after (id int);
-- DOWN
DROP TABLE f_after;
DROP TABLE f_rows;
";

/// The server process of the session that recorded statement `number` in flight, once it has.
fn in_flight_pid(pg: &Pg, number: i32) -> Option<String> {
    if !pg.exists("schema_migrations") {
        return None;
    }
    pg.rows(&format!(
        "SELECT in_flight_pid::text FROM schema_migrations WHERE in_flight = {number}"
    ))
    .into_iter()
    .next()
    .and_then(|r| r[0].clone())
}

/// Kills pgstep with SIGKILL once the history shows statement `number` in flight, then waits
/// for the server to finish it and end the session.
fn kill_during(pg: &Pg, child: &mut std::process::Child, number: i32) {
    assert!(
        wait_until(Duration::from_secs(20), || in_flight_pid(pg, number)
            .is_some()),
        "statement {number} was never recorded in flight"
    );
    let pid = in_flight_pid(pg, number).expect("a pid");
    child.kill().expect("SIGKILL");
    child.wait().ok();
    assert!(
        wait_until(Duration::from_secs(20), || {
            pg.count(&format!(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = {pid}"
            )) == 0
        }),
        "the killed pgstep's server process did not end"
    );
}

/// `INSERT_IN_FLIGHT` applied, with pgstep killed while its INSERT ran.
fn killed_during_the_insert() -> (support::TestDb, Dir, Pg) {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_rows.sql", INSERT_IN_FLIGHT);
    let pg = Pg::connect(db.url());
    let mut child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    kill_during(&pg, &mut child, 2);
    (db, dir, pg)
}

#[test]
fn a_statement_in_flight_at_a_kill_is_never_run_again_silently() {
    let (db, dir, pg) = killed_during_the_insert();
    assert_eq!(
        pg.count("SELECT count(*) FROM f_rows"),
        1,
        "the server committed it"
    );

    // An INSERT leaves nothing in the catalog to tell by: the operator decides.
    let refused = pgstep(&db, &dir, &["resume", "001"]).expect(6);
    assert!(refused.stderr.contains("001_rows.sql:4"), "{refused}");
    assert!(refused.stderr.contains("INSERT INTO f_rows"), "{refused}");
    assert!(refused.stderr.contains("--statement done"), "{refused}");
    assert_eq!(
        pg.count("SELECT count(*) FROM f_rows"),
        1,
        "nothing ran again"
    );
    pgstep(&db, &dir, &["resume", "001", "--statement", "done"]).expect(2);

    pgstep(
        &db,
        &dir,
        &[
            "resume",
            "001",
            "--statement",
            "done",
            "--reason",
            "the row is there",
        ],
    )
    .expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM f_rows"), 1);
    assert!(pg.exists("f_after"));
    let decided = pg.events_of("in-doubt");
    assert_eq!(decided.len(), 1, "{decided:?}");
    assert_eq!(decided[0].outcome, "done");
    assert_eq!(decided[0].details["decided_by"], "operator");
    assert_eq!(decided[0].reason.as_deref(), Some("the row is there"));
    assert_eq!(pg.history()[0].state, "applied");
}

#[test]
fn an_operator_can_have_a_statement_in_doubt_run_again() {
    let (db, dir, pg) = killed_during_the_insert();
    pg.exec("DELETE FROM f_rows");
    pgstep(
        &db,
        &dir,
        &[
            "resume",
            "001",
            "--statement",
            "rerun",
            "--reason",
            "row removed by hand",
        ],
    )
    .expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM f_rows"), 1);
    assert_eq!(pg.events_of("in-doubt")[0].outcome, "not done");
}

#[test]
fn the_database_settles_a_statement_whose_effect_it_shows() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_tables.sql",
        "-- Transaction: none\n\
         CREATE TABLE f_one (id int);\n\
         CREATE TABLE f_two AS SELECT 1 AS id FROM pg_sleep(1.5);\n\
         CREATE INDEX CONCURRENTLY f_two_id ON f_two (id);\n\
         -- DOWN\n\
         DROP TABLE f_two;\n\
         DROP TABLE f_one;\n",
    );
    let pg = Pg::connect(db.url());
    let mut child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    kill_during(&pg, &mut child, 2);
    assert!(pg.exists("f_two"), "the server committed it");

    // Before: resume ran CREATE TABLE f_two again and failed on "already exists".
    let run = pgstep(&db, &dir, &["resume", "001"]).expect(0);
    assert!(run.stdout.contains("applied 001"), "{run}");
    let decided = pg.events_of("in-doubt");
    assert_eq!(decided[0].outcome, "done");
    assert_eq!(decided[0].details["decided_by"], "database");
    assert_eq!(pg.count("SELECT count(*) FROM f_two"), 1);
    assert_eq!(
        pg.value("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'f_two_id'::regclass")
            .as_deref(),
        Some("true")
    );
}

/// A phase that holds the migration lock for a while.
const SLOW: &str = "CREATE TABLE f_slow (id int);\nSELECT pg_sleep(2);\n";

#[test]
fn two_spellings_of_one_history_table_take_one_lock() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_slow.sql", SLOW);
    let pg = Pg::connect(db.url());
    let first = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    assert!(
        wait_until(Duration::from_secs(20), || {
            pg.count("SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%SELECT pg_sleep(2)%'")
                > 0
        }),
        "the first pgstep never ran its phase"
    );
    let second = pgstep(&db, &dir, &["--history-schema", "public", "up"]);
    let first = finish(first).expect(0);
    let second = second.expect(5);
    assert!(
        second.stderr.contains("holds the migration lock"),
        "{second}"
    );
    assert!(first.stdout.contains("applied 001"), "{first}");
    assert_eq!(
        pg.value("SELECT state || ' ' || attempts FROM schema_migrations")
            .as_deref(),
        Some("applied 1")
    );
}

#[test]
fn a_lost_reply_to_commit_is_reported_as_applied() {
    let db = fresh_db();
    let Some(port) = server_port(db.url()) else {
        eprintln!("skipped: the test server is not on 127.0.0.1");
        return;
    };
    let dir = Dir::new();
    // pgstep's tables are made first, so the COMMIT cut is the phase's own.
    dir.write("000_first.sql", "CREATE TABLE f_first (id int);\n");
    pgstep(&db, &dir, &["up"]).expect(0);
    dir.write("001_table.sql", "CREATE TABLE f_committed (id int);\n");
    let proxy = Proxy::start(port, b"COMMIT\0", Duration::from_millis(500));
    let pg = Pg::connect(db.url());

    let run = pgstep_url(&proxy.url(db.url()), &dir, &["up"]).expect(3);
    assert!(proxy.has_cut());
    assert!(run.stderr.contains("it committed"), "{run}");
    assert!(!run.all().contains("rolls back"), "{run}");
    assert!(pg.exists("f_committed"));
    assert_eq!(
        pg.states(),
        support::migrations::states(&[("000", "applied"), ("001", "applied")])
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM schema_migrations"), 2);
}

#[test]
fn a_connection_cut_mid_phase_is_reported_as_rolled_back() {
    let db = fresh_db();
    let Some(port) = server_port(db.url()) else {
        eprintln!("skipped: the test server is not on 127.0.0.1");
        return;
    };
    let dir = Dir::new();
    // The check keeps COMMIT from going out with the statements: it is read first.
    dir.write(
        "001_cut.sql",
        "CREATE TABLE f_cut (id int);\n\
         SELECT pg_sleep(1);\n\
         -- VERIFY\n\
         -- Check: table made\n\
         -- Expect: = 1\n\
         SELECT count(*) FROM pg_class WHERE relname = 'f_cut';\n",
    );
    let proxy = Proxy::start(port, b"pg_sleep", Duration::ZERO);
    let pg = Pg::connect(db.url());

    let run = pgstep_url(&proxy.url(db.url()), &dir, &["up"]).expect(3);
    assert!(run.stderr.contains("rolled it back"), "{run}");
    assert!(!pg.exists("f_cut"));
    assert!(pg.history().is_empty());
    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.exists("f_cut"));
}

#[test]
fn a_terminated_session_exits_three_not_four() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_long.sql",
        "-- Transaction: none\nCREATE TABLE f_long (id int);\nSELECT pg_sleep(30);\n",
    );
    let pg = Pg::connect(db.url());
    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    assert!(wait_until(Duration::from_secs(20), || in_flight_pid(
        &pg, 2
    )
    .is_some()));
    let pid = in_flight_pid(&pg, 2).expect("a pid");
    pg.exec(&format!("SELECT pg_terminate_backend({pid})"));
    let run = finish(child).expect(3);
    assert!(run.stderr.contains("statement 2 of 2"), "{run}");
    assert!(run.stderr.contains("pgstep resume 001"), "{run}");
}

/// A one-by-one DOWN that waits half-way, so it can be interrupted there.
const SLOW_DOWN: &str = "\
-- Transaction: none

CREATE TABLE f_big (id int);
CREATE INDEX CONCURRENTLY f_big_id ON f_big (id);
-- DOWN
DROP INDEX CONCURRENTLY f_big_id;
SELECT pg_sleep(2);
DROP TABLE f_big;
";

#[test]
fn an_interrupted_one_by_one_rollback_is_recorded_and_continued() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_big.sql", SLOW_DOWN);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);

    let child = command(db.url(), dir.path(), &["down", "--all", "--yes"])
        .spawn()
        .expect("pgstep starts");
    assert!(
        wait_until(Duration::from_secs(20), || in_flight_pid(&pg, 2).is_some()),
        "DOWN statement 2 was never recorded in flight"
    );
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupt.success());
    let run = finish(child).expect(130);
    assert!(run.stderr.contains("rolling back"), "{run}");
    assert!(!run.stderr.contains("dirty"), "{run}");
    let row = &pg.history()[0];
    assert_eq!(row.state, "rolling-back");
    assert_eq!(
        pg.value("SELECT down_done::text FROM schema_migrations")
            .as_deref(),
        Some("1")
    );
    let cancel = pg.events_of("cancel");
    assert_eq!(cancel.len(), 1, "{cancel:?}");
    assert_eq!(cancel[0].details["rollback"], true);

    let refused = pgstep(&db, &dir, &["up"]).expect(6);
    assert!(refused.stderr.contains("rolling back"), "{refused}");

    // On from DOWN statement 2: before, the next rollback began again at statement 1 and
    // failed on the index that was already gone.
    let run = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(run.stdout.contains("rolled back 001"), "{run}");
    assert!(!pg.exists("f_big"));
    assert!(pg.history().is_empty());
}

#[test]
fn bad_arguments_exit_two_and_touch_nothing() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_t.sql", "CREATE TABLE f_args (id int);\n");
    let pg = Pg::connect(db.url());
    for args in [
        &["--history-schema", "no_such_schema", "up"][..],
        &["log", "--limit", "-1"],
        &["log", "--limit", "0"],
        &["down", "--steps", "0", "--yes"],
        &["up", "--to", "999"],
        &["resume", "001", "--statement", "maybe"],
    ] {
        let run = pgstep(&db, &dir, args);
        assert_eq!(run.code, Some(2), "{args:?}:\n{run}");
    }
    assert!(!pg.exists("f_args"));
    assert!(!pg.exists("schema_migrations"));
}

/// The console keeps one engine for many jobs: a cancel belongs to the job it stopped.
#[test]
fn a_cancel_stops_its_job_and_not_the_next_one() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    // How long 001 sleeps is read from a table: long for the cancelled run, none after.
    pg.exec("CREATE TABLE f_sleep AS SELECT 30 AS s");
    let dir = Dir::new();
    dir.write(
        "001_slow.sql",
        "CREATE TABLE f_slow (id int);\nSELECT pg_sleep(s) FROM f_sleep;\n",
    );
    dir.write(
        "002_next.sql",
        "-- Transaction: none\nCREATE TABLE f_next (id int);\nCREATE TABLE f_last (id int);\n",
    );
    let plan = pgstep::plan::load(dir.path()).expect("the plan");
    let (first, second) = support::block_on(|| async {
        let params = pgstep::conninfo::resolve(&pgstep::conninfo::Inputs::from_process(Some(
            db.url().to_string(),
        )))
        .expect("params");
        let (client, _conn) = pgstep::conninfo::connect(&params).await.expect("connect");
        let engine = support::engine(client, Default::default()).await;
        let handle = engine.cancel_handle();
        let all = pgstep::engine::UpOptions::default();
        let (watcher, _watching) = pgstep::conninfo::connect(&params).await.expect("connect");
        let cancel = async {
            loop {
                let running: i64 = watcher
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity \
                         WHERE pid <> pg_backend_pid() AND query LIKE '%pg_sleep(s) FROM f_sleep%'",
                        &[],
                    )
                    .await
                    .expect("pg_stat_activity")
                    .get(0);
                if running > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            handle.request();
            pgstep::conninfo::cancel(&params, handle.token())
                .await
                .expect("the cancel request");
            watcher
                .batch_execute("UPDATE f_sleep SET s = 0")
                .await
                .expect("no more sleep");
        };
        let (mut quiet, mut quiet_too) = (|_| {}, |_| {});
        let (first, ()) = tokio::join!(engine.up(&plan, &all, &mut quiet), cancel);
        let second = engine.up(&plan, &all, &mut quiet_too).await;
        (first.map(|_| ()), second.map(|a| a.len()))
    });
    assert!(
        matches!(first, Err(pgstep::engine::EngineError::Cancelled { .. })),
        "{first:?}"
    );
    // Before, the flag stayed set: 002 stopped at once, "cancelled part-way".
    assert_eq!(second.expect("the next job runs"), 2);
    assert!(pg.exists("f_last"));
}
