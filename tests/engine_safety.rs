//! What happens to a phase when the world interferes: a second pgstep, a killed backend, a
//! lock held by someone else, the operator's Ctrl-C.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::migrations::{Dir, Pg, Run, command, finish, pgstep, states, wait_until};
use support::{TestDb, fresh_db};

/// The pid of the pgstep backend running a statement that matches `like`, once it runs.
fn pgstep_backend(pg: &Pg, like: &str, extra: &str) -> Option<String> {
    let sql = format!(
        "SELECT pid::text FROM pg_stat_activity
         WHERE datname = current_database() AND application_name LIKE 'pgstep%'
           AND state = 'active' AND query LIKE '{like}' {extra}"
    );
    pg.rows(&sql).into_iter().next().and_then(|r| r[0].clone())
}

fn wait_for_backend(pg: &Pg, like: &str, extra: &str) -> String {
    let mut pid = None;
    let found = wait_until(Duration::from_secs(15), || {
        pid = pgstep_backend(pg, like, extra);
        pid.is_some()
    });
    assert!(found, "no pgstep backend ever ran {like}");
    pid.expect("found")
}

#[test]
fn two_racing_processes_apply_each_version_exactly_once() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE race_applied (version text)");
    let dir = Dir::new();
    let mut lost = 0;
    for round in 1..=20 {
        let version = format!("{round:03}");
        dir.write(
            &format!("{version}_round.sql"),
            &format!(
                "CREATE TABLE race_{round} (id int);\n\
                 INSERT INTO race_applied VALUES ('{version}');\n"
            ),
        );
        let a = command(db.url(), dir.path(), &["up"])
            .spawn()
            .expect("spawn");
        let b = command(db.url(), dir.path(), &["up"])
            .spawn()
            .expect("spawn");
        let runs = [finish(a), finish(b)];
        let mut applied = 0;
        for run in &runs {
            match run.code {
                Some(0) if run.stdout.contains(&format!("applied {version} round")) => applied += 1,
                Some(0) => assert!(run.stdout.contains("nothing to apply"), "{run}"),
                Some(5) => {
                    lost += 1;
                    assert!(
                        run.stderr
                            .contains("another pgstep holds the migration lock: pid "),
                        "{run}"
                    );
                    assert!(
                        run.stderr.contains("(pgstep"),
                        "the holder is not named:\n{run}"
                    );
                }
                _ => panic!("round {round}: unexpected outcome:\n{run}"),
            }
        }
        assert_eq!(applied, 1, "round {round}: {runs:?}");
        assert_eq!(
            pg.count(&format!(
                "SELECT count(*) FROM race_applied WHERE version = '{version}'"
            )),
            1,
            "round {round}"
        );
        assert!(pg.exists(&format!("race_{round}")));
        let history = pg.history();
        assert_eq!(history.len(), round, "round {round}: {history:?}");
        assert!(history.iter().all(|h| h.state == "applied"), "{history:?}");
    }
    assert_eq!(pg.count("SELECT count(*) FROM race_applied"), 20);
    assert_eq!(pg.events_of("apply").len(), 20);
    // Not asserted to be non-zero: which process gets there first is up to the scheduler.
    eprintln!("{lost} of 40 runs found the lock taken");
}

#[test]
fn a_held_migration_lock_names_its_holder() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_t.sql", "CREATE TABLE held (id int);\n");
    let holder = Pg::connect(db.url());
    holder.exec("SET application_name = 'other operator'");
    // The key pgstep uses for the default history table: its resolved schema and name.
    holder.exec(
        "SELECT pg_advisory_lock(hashtext('pgstep'), \
                hashtext(current_database() || '/' || 'public.schema_migrations'))",
    );
    let pid = holder
        .value("SELECT pg_backend_pid()::text")
        .expect("a pid");

    let run = pgstep(&db, &dir, &["up"]).expect(5);
    assert!(run.stderr.contains(&format!("pid {pid}")), "{run}");
    assert!(run.stderr.contains("other operator"), "{run}");
    assert!(!holder.exists("held"));
    let status = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(doc["lock"]["pid"].to_string(), pid);
    assert_eq!(doc["lock"]["application"], "other operator");

    holder.exec(
        "SELECT pg_advisory_unlock(hashtext('pgstep'), \
                hashtext(current_database() || '/' || 'public.schema_migrations'))",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(holder.exists("held"));
}

#[test]
fn a_terminated_backend_leaves_nothing_of_its_phase() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    // The phase sleeps for as long as this table says, so the rerun need not wait.
    pg.exec("CREATE TABLE sleep_for (s float8); INSERT INTO sleep_for VALUES (5);");
    let dir = Dir::new();
    dir.write(
        "001_slow.sql",
        "CREATE TABLE killed_a (id int);\n\
         SELECT pg_sleep(s) FROM sleep_for;\n\
         CREATE TABLE killed_b (id int);\n",
    );

    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("spawn");
    let pid = wait_for_backend(&pg, "%SELECT pg_sleep%", "");
    pg.exec(&format!("SELECT pg_terminate_backend({pid})"));
    let run = finish(child).expect(3);
    assert!(
        run.stderr
            .contains("shows it not applied: the server rolled it back"),
        "{run}"
    );
    assert!(!pg.exists("killed_a"));
    assert!(!pg.exists("killed_b"));
    assert!(
        pg.history().iter().all(|h| h.state != "applied"),
        "{:?}",
        pg.history()
    );

    pg.exec("UPDATE sleep_for SET s = 0");
    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.exists("killed_a") && pg.exists("killed_b"));
    assert_eq!(pg.states(), states(&[("001", "applied")]));
}

#[test]
fn a_lock_wait_is_bounded_retried_and_never_stalls_readers() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE lt (id int); INSERT INTO lt SELECT generate_series(1, 10);");
    let dir = Dir::new();
    dir.write(
        "001_add_column.sql",
        "-- Lock-Timeout: 200ms\n\
         ALTER TABLE lt ADD COLUMN extra int;\n",
    );
    let blocker = Pg::connect(db.url());
    blocker.exec("BEGIN; LOCK TABLE lt IN ACCESS SHARE MODE;");

    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("spawn");
    let run = std::thread::spawn(move || finish(child));
    let reader = Pg::connect(db.url());
    let mut latencies = Vec::new();
    while !run.is_finished() {
        let waiting = pgstep_backend(&pg, "ALTER TABLE lt%", "AND wait_event_type = 'Lock'");
        if waiting.is_some() {
            // Queued behind the ALTER's lock request: it waits until lock_timeout ends it.
            let started = Instant::now();
            assert_eq!(reader.count("SELECT count(*) FROM lt"), 10);
            latencies.push(started.elapsed());
        } else {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let run = run.join().expect("the pgstep thread");
    let run = run.expect(4);
    assert!(run.stderr.contains("55P03"), "{run}");
    assert!(run.stderr.contains("lock timeout"), "{run}");
    assert!(run.stderr.contains("lock not granted"), "{run}");

    assert!(!latencies.is_empty(), "never saw the ALTER waiting");
    let worst = latencies.iter().max().expect("some");
    assert!(
        *worst < Duration::from_secs(2),
        "a reader waited {worst:?} behind the migration"
    );
    let retries = pg.events_of("lock-retry");
    assert_eq!(retries.len(), 4, "{retries:?}");
    assert!(retries.iter().all(|e| e.version.as_deref() == Some("001")));
    let row = &pg.history()[0];
    assert_eq!(row.state, "failed");
    assert_eq!(row.error_sqlstate.as_deref(), Some("55P03"));
    assert!(!pg.column_exists("lt", "extra"));

    blocker.exec("ROLLBACK");
    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.column_exists("lt", "extra"));
}

#[test]
fn ctrl_c_cancels_the_statement_on_the_server() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    dir.write(
        "001_long.sql",
        "CREATE TABLE cc_a (id int);\n\
         SELECT pg_sleep(30);\n",
    );

    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("spawn");
    let backend = wait_for_backend(&pg, "%SELECT pg_sleep(30)%", "");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let gone = wait_until(Duration::from_secs(5), || {
        pg.count(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = {backend} \
             AND state = 'active' AND query LIKE '%SELECT pg_sleep(30)%'"
        )) == 0
    });
    assert!(gone, "the statement still runs on the server");

    let run = finish(child).expect(130);
    assert!(run.stderr.contains("cancelled"), "{run}");
    assert!(!pg.exists("cc_a"));
    let cancels = pg.events_of("cancel");
    assert_eq!(cancels.len(), 1, "{:?}", pg.events());
    assert_eq!(cancels[0].version.as_deref(), Some("001"));
    assert_eq!(pg.states(), states(&[("001", "failed")]));
}

/// Runs pgstep with `args` while another session holds `table`, sends Ctrl-C once pgstep is
/// waiting to retry, and releases the lock at once: a retry that ignored the Ctrl-C would go
/// through.
fn interrupt_lock_retry(db: &TestDb, dir: &Dir, table: &str, args: &[&str]) -> Run {
    let pg = Pg::connect(db.url());
    let blocker = Pg::connect(db.url());
    blocker.exec(&format!("BEGIN; LOCK TABLE {table} IN ACCESS SHARE MODE;"));
    let child = command(db.url(), dir.path(), args).spawn().expect("spawn");
    // The first retry waits at least 500 ms: plenty of time to interrupt it.
    let retrying = wait_until(Duration::from_secs(15), || {
        pg.exists("schema_migrations_log") && !pg.events_of("lock-retry").is_empty()
    });
    assert!(retrying, "pgstep never retried");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    blocker.exec("ROLLBACK");
    let run = finish(child).expect(130);
    assert!(run.stderr.contains("cancelled"), "{run}");
    run
}

#[test]
fn ctrl_c_while_waiting_to_retry_a_lock_stops_the_phase() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE lr (id int)");
    let dir = Dir::new();
    dir.write(
        "001_add_column.sql",
        "-- Lock-Timeout: 100ms\n\
         ALTER TABLE lr ADD COLUMN extra int;\n",
    );

    interrupt_lock_retry(&db, &dir, "lr", &["up"]);
    assert!(
        !pg.column_exists("lr", "extra"),
        "the phase ran after Ctrl-C"
    );
    assert_eq!(pg.events_of("cancel").len(), 1, "{:?}", pg.events());
    assert_eq!(pg.states(), states(&[("001", "failed")]));
}

#[test]
fn ctrl_c_while_waiting_to_retry_a_lock_stops_a_one_by_one_phase() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE lr (id int)");
    let dir = Dir::new();
    dir.write(
        "001_add_column.sql",
        "-- Transaction: none\n\
         -- Lock-Timeout: 100ms\n\
         ALTER TABLE lr ADD COLUMN extra int;\n\
         CREATE TABLE lr_after (id int);\n",
    );

    interrupt_lock_retry(&db, &dir, "lr", &["up"]);
    assert!(
        !pg.column_exists("lr", "extra"),
        "the phase ran after Ctrl-C"
    );
    assert!(!pg.exists("lr_after"));
    let row = &pg.history()[0];
    assert_eq!(
        (row.state.as_str(), row.statements_done),
        ("dirty", Some(0))
    );
    let cancels = pg.events_of("cancel");
    assert_eq!(cancels.len(), 1, "{:?}", pg.events());
    assert_eq!(cancels[0].outcome, "dirty");
}

#[test]
fn ctrl_c_while_waiting_to_retry_a_lock_stops_a_rollback() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    dir.write(
        "001_child.sql",
        "-- Lock-Timeout: 100ms\n\
         CREATE TABLE lr_child (id int);\n\
         -- DOWN\n\
         DROP TABLE lr_child;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);

    interrupt_lock_retry(&db, &dir, "lr_child", &["down", "--all", "--yes"]);
    assert!(pg.exists("lr_child"), "the rollback ran after Ctrl-C");
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    assert!(pg.events_of("rollback").is_empty());
}

/// Runs `args` on `dir` and sends Ctrl-C once a pgstep session runs `SELECT pg_sleep(30)`.
fn interrupt_sleep(db: &TestDb, dir: &Dir, args: &[&str]) -> Run {
    let pg = Pg::connect(db.url());
    let child = command(db.url(), dir.path(), args).spawn().expect("spawn");
    wait_for_backend(&pg, "%SELECT pg_sleep(30)%", "");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    finish(child).expect(130)
}

/// The event's statement, line and SQLSTATE.
fn where_stopped(e: &support::migrations::LogEvent) -> (String, i64, String) {
    (
        e.details["statement"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        e.details["line"].as_i64().unwrap_or_default(),
        e.details["sqlstate"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// A cancelled phase, transactional (with and without checks) or one statement at a time,
/// records the statement the cancel stopped, its line and the server's SQLSTATE, in its
/// history row and its event.
#[test]
fn a_cancelled_phase_records_its_statement_line_and_sqlstate() {
    let check = "-- VERIFY\n-- Check: one\n-- Expect: = 1\nSELECT 1;\n";
    for (header, verify, state) in [
        ("", "", "failed"),
        ("", check, "failed"),
        ("-- Transaction: none\n", "", "dirty"),
    ] {
        let db = fresh_db();
        let pg = Pg::connect(db.url());
        let dir = Dir::new();
        dir.write(
            "001_long.sql",
            &format!(
                "{header}-- Migration: long\n\nCREATE TABLE cr_a (id int);\n\
                 SELECT pg_sleep(30);\nCREATE TABLE cr_b (id int);\n{verify}"
            ),
        );
        let run = interrupt_sleep(&db, &dir, &["up"]);
        let line = if header.is_empty() { 4 } else { 5 };
        let row = &pg.history()[0];
        assert_eq!(row.state, state, "{header}{verify}\n{run}");
        assert_eq!(row.error_sqlstate.as_deref(), Some("57014"), "{row:?}");
        assert_eq!(row.error_line, Some(line), "{row:?}");
        let message = row.error_message.as_deref().unwrap_or_default();
        assert!(message.contains("cancel"), "{message}");
        let cancels = pg.events_of("cancel");
        assert_eq!(cancels.len(), 1, "{:?}", pg.events());
        assert_eq!(
            where_stopped(&cancels[0]),
            ("SELECT pg_sleep(30)".into(), line as i64, "57014".into()),
            "{header}{verify}"
        );
    }
}

/// A cancelled rollback logs the DOWN statement it stopped, its line and SQLSTATE.
#[test]
fn a_cancelled_rollback_records_its_statement_line_and_sqlstate() {
    for header in ["", "-- Transaction: none\n"] {
        let db = fresh_db();
        let pg = Pg::connect(db.url());
        let dir = Dir::new();
        dir.write(
            "001_table.sql",
            &format!(
                "{header}CREATE TABLE crb (id int);\n-- DOWN\nSELECT 1;\nSELECT pg_sleep(30);\n\
                 DROP TABLE crb;\n"
            ),
        );
        pgstep(&db, &dir, &["up"]).expect(0);
        interrupt_sleep(&db, &dir, &["down", "--steps", "1", "--yes"]);
        let line = if header.is_empty() { 4 } else { 5 };
        let cancels = pg.events_of("cancel");
        assert_eq!(cancels.len(), 1, "{:?}", pg.events());
        assert_eq!(
            where_stopped(&cancels[0]),
            ("SELECT pg_sleep(30)".into(), line, "57014".into()),
            "{header}"
        );
    }
}

/// A failed one-by-one phase and a failed rollback name the statement in their events.
#[test]
fn failures_record_their_statement_line_and_sqlstate() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    dir.write(
        "001_nontx.sql",
        "-- Transaction: none\nCREATE TABLE fr_a (id int);\nSELECT 1 / 0;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(4);
    let row = &pg.history()[0];
    assert_eq!(
        (row.error_sqlstate.as_deref(), row.error_line),
        (Some("22012"), Some(3))
    );
    let failures = pg.events_of("failure");
    assert_eq!(
        where_stopped(&failures[0]),
        ("SELECT 1 / 0".into(), 3, "22012".into())
    );

    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    dir.write(
        "001_tx.sql",
        "CREATE TABLE fr_a (id int);\n-- DOWN\nSELECT 1;\nSELECT 1 / 0;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(4);
    let failures = pg.events_of("failure");
    let last = failures.last().expect("the rollback's failure");
    assert_eq!(
        where_stopped(last),
        ("SELECT 1 / 0".into(), 4, "22012".into())
    );
}
