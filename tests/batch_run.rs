//! Batched steps run against a real server through the real binary: each key range commits
//! with its progress, a SIGKILL at any moment loses nothing and repeats nothing, and bad input
//! found in the database is refused before anything runs.

mod support;

use std::time::{Duration, Instant};

use support::fresh_db;
use support::migrations::{Dir, Pg, command, kill_and_wait_for_sessions, pgstep, wait_until};

const TABLE: &str = "\
CREATE TABLE counters (id bigint PRIMARY KEY, n int NOT NULL DEFAULT 0, label text);
INSERT INTO counters (id) SELECT g FROM generate_series(1, 2000) g;
-- DOWN
DROP TABLE counters;
";

/// Not idempotent: a range run twice shows as n = 2.
const BUMP: &str = "\
-- Batch-Pause: 5ms

-- Step: Mark
UPDATE counters SET label = 'started' WHERE id = 1;

-- Step: Bump every row once
-- Batch: counters.id 50
UPDATE counters SET n = n + 1 WHERE id >= $1 AND id < $2;

-- Step: After
UPDATE counters SET label = 'done' WHERE id = 2;

-- VERIFY
-- Check: every row bumped
SELECT id FROM counters WHERE n <> 1;
";

fn setup(bump: &str) -> (support::TestDb, Dir, Pg) {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_counters.sql", TABLE);
    dir.write("002_bump.sql", bump);
    let pg = Pg::connect(db.url());
    (db, dir, pg)
}

#[test]
fn every_range_runs_once_with_its_progress_recorded() {
    let (db, dir, pg) = setup(BUMP);
    let run = pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n <> 1"), 0);
    assert_eq!(
        pg.value("SELECT label FROM counters WHERE id = 2")
            .as_deref(),
        Some("done")
    );
    let row = pg.rows(
        "SELECT state, batch_done::text, batch_rows::text, batch_next::text \
         FROM schema_migrations WHERE version = '002'",
    );
    assert_eq!(
        row[0],
        vec![
            Some("applied".to_string()),
            Some("40".to_string()),
            Some("2000".to_string()),
            Some("2001".to_string())
        ]
    );
    assert!(
        run.stderr.contains("40/40 ranges"),
        "no progress line on stderr:\n{run}"
    );
    assert!(run.stderr.contains("2000 rows"), "{run}");
}

#[test]
fn a_table_with_no_rows_runs_no_batch() {
    let (db, dir, pg) = setup(BUMP);
    dir.write(
        "001_counters.sql",
        "CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0, label text);\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        pg.value("SELECT state FROM schema_migrations WHERE version = '002'")
            .as_deref(),
        Some("applied")
    );
}

/// When [`kill_after`] kills.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This long after the start.
    After(Duration),
    /// As soon as the first batch of phase 002 has committed: a kill that lands among the
    /// batches however fast or slow the machine is.
    FirstBatch,
}

/// Starts `up`, kills it with SIGKILL at `at`, and waits for its sessions to end.
fn kill_after(db: &support::TestDb, dir: &Dir, pg: &Pg, args: &[&str], at: Moment) -> bool {
    let after = match at {
        Moment::After(d) => d,
        Moment::FirstBatch => Duration::from_secs(60),
    };
    let mut child = command(db.url(), dir.path(), args)
        .spawn()
        .expect("pgstep starts");
    let until = Instant::now() + after;
    while Instant::now() < until {
        if child.try_wait().expect("waiting").is_some() {
            return false;
        }
        if matches!(at, Moment::FirstBatch)
            && pg.count(
                "SELECT count(*) FROM schema_migrations \
                 WHERE version = '002' AND coalesce(batch_done, 0) > 0",
            ) > 0
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    kill_and_wait_for_sessions(&mut child, pg);
    true
}

fn seed() -> u64 {
    std::env::var("PGSTEP_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        })
}

#[test]
fn a_kill_at_any_moment_loses_nothing_and_repeats_nothing() {
    let mut s = seed() | 1;
    eprintln!("PGSTEP_FAULT_SEED={s}");
    let runs: usize = std::env::var("PGSTEP_FAULT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let mut killed_mid_batches = 0;
    for run in 0..runs {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let (db, dir, pg) = setup(BUMP);
        pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
        // Random moments, and one among the batches whatever the machine's speed.
        let at = if run == 0 {
            Moment::FirstBatch
        } else {
            Moment::After(Duration::from_millis(100 + s % 1500))
        };
        kill_after(&db, &dir, &pg, &["up"], at);
        let done = pg.count("SELECT count(*) FROM counters WHERE n = 1");
        if done > 0 && done < 2000 {
            killed_mid_batches += 1;
        }
        let state = pg.value(
            "SELECT coalesce(max(state), 'none') FROM schema_migrations WHERE version = '002'",
        );
        match state.as_deref() {
            Some("dirty") => {
                let run = pgstep(&db, &dir, &["resume", "002"]);
                assert_eq!(run.code, Some(0), "killed at {at:?}; resume:\n{run}");
            }
            Some("applied") => {}
            _ => {
                pgstep(&db, &dir, &["up"]).expect(0);
            }
        }
        assert_eq!(
            pg.rows("SELECT n::text, count(*)::text FROM counters GROUP BY n ORDER BY n"),
            vec![vec![Some("1".to_string()), Some("2000".to_string())]],
            "killed at {at:?}: some row was not changed exactly once"
        );
        assert_eq!(
            pg.value("SELECT batch_rows::text FROM schema_migrations WHERE version = '002'")
                .as_deref(),
            Some("2000"),
            "killed at {at:?}: the rows affected were not counted once"
        );
    }
    assert!(killed_mid_batches > 0, "no kill landed among the batches");
}

#[test]
fn resume_continues_from_the_first_range_not_committed() {
    let (db, dir, pg) = setup(BUMP);
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    // A trigger refusing one row makes the batch holding it fail: the phase stops there.
    pg.exec("CREATE FUNCTION refuse_1234() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.id = 1234 AND NEW.n = 1 THEN RAISE EXCEPTION 'row 1234 refused'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse BEFORE UPDATE ON counters FOR EACH ROW EXECUTE FUNCTION refuse_1234();");
    let run = pgstep(&db, &dir, &["up"]);
    assert_eq!(run.code, Some(4), "{run}");
    assert!(run.all().contains("row 1234 refused"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n = 1"), 1200);
    assert_eq!(
        pg.value("SELECT batch_next::text FROM schema_migrations WHERE version = '002'")
            .as_deref(),
        Some("1201")
    );
    pg.exec("DROP TRIGGER refuse ON counters");
    pgstep(&db, &dir, &["resume", "002"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n <> 1"), 0);
}

#[test]
fn a_batch_waiting_on_a_lock_is_retried_not_failed() {
    let (db, dir, pg) = setup(&BUMP.replace("-- Batch-Pause: 5ms", "-- Lock-Timeout: 100ms"));
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    let holder = Pg::connect(db.url());
    holder.exec("BEGIN; SELECT * FROM counters WHERE id = 777 FOR UPDATE;");
    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("starts");
    assert!(wait_until(Duration::from_secs(20), || {
        pg.count("SELECT count(*) FROM schema_migrations_log WHERE event = 'lock-retry'") >= 2
    }));
    holder.exec("COMMIT");
    let run = support::migrations::finish(child);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n <> 1"), 0);
}

#[test]
fn a_missing_table_or_column_is_refused_before_anything_runs() {
    for (batch, word) in [
        ("nowhere.id", "nowhere"),
        ("counters.nope", "nope"),
        ("counters.label", "integer"),
    ] {
        let (db, dir, pg) = setup(&BUMP.replace("counters.id", batch));
        pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
        let run = pgstep(&db, &dir, &["up"]);
        assert_eq!(run.code, Some(2), "{batch}: {run}");
        assert!(run.stderr.contains("002_bump.sql:7"), "{batch}: {run}");
        assert!(run.stderr.contains(word), "{batch}: {run}");
        assert_eq!(
            pg.count("SELECT count(*) FROM counters WHERE label IS NOT NULL"),
            0
        );
        assert_eq!(
            pg.count("SELECT count(*) FROM schema_migrations WHERE version = '002'"),
            0
        );
    }
}

#[test]
fn a_dry_run_says_the_batched_statement_runs_per_key_range() {
    let (db, dir, pg) = setup(BUMP);
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    // Its check then sees rows not bumped, and the dry run says so (exit 4).
    let run = pgstep(&db, &dir, &["up", "--dry-run"]).expect(4);
    assert!(run.stdout.contains("runs once per key range"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n <> 0"), 0);
}

#[test]
fn keys_inserted_above_the_first_max_while_it_runs_are_visited_too() {
    let (db, dir, pg) = setup(BUMP);
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    // The application inserts rows past the max read when the step started, while it runs:
    // here the batch that bumps the last row inserts 120 more, and one of those 30 more.
    pg.exec(
        "CREATE FUNCTION grow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF NEW.id = 2000 THEN INSERT INTO counters (id) SELECT g FROM generate_series(2001, 2120) g; END IF; \
         IF NEW.id = 2120 THEN INSERT INTO counters (id) SELECT g FROM generate_series(2121, 2150) g; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER grow AFTER UPDATE ON counters FOR EACH ROW WHEN (OLD.n = 0) \
         EXECUTE FUNCTION grow();",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM counters"), 2150);
    assert_eq!(pg.count("SELECT count(*) FROM counters WHERE n <> 1"), 0);
    assert_eq!(
        pg.rows(
            "SELECT batch_last::text, batch_rows::text FROM schema_migrations \
             WHERE version = '002'"
        )[0],
        vec![Some("2150".to_string()), Some("2150".to_string())]
    );
}
