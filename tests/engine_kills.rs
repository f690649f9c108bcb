//! pgstep killed with SIGKILL at random moments, applying and rolling back, transactional and
//! `Transaction: none` phases alike: whatever was killed, the next runs finish the work with
//! nothing applied twice. `PGSTEP_FAULT_RUNS` sets how many kills (default 6 each way).

mod support;

use std::time::{Duration, Instant};

use support::fresh_db;
use support::migrations::{Dir, Pg, Run, command, kill_and_wait_for_sessions, pgstep};

const BASE: &str = "CREATE TABLE k_count (phase text);\n-- DOWN\nDROP TABLE k_count;\n";

const TX: &str = "\
INSERT INTO k_count SELECT '002' FROM pg_sleep(0.3);
CREATE TABLE k_tx (id int);
-- DOWN
DELETE FROM k_count WHERE phase = '002';
SELECT pg_sleep(0.3);
DROP TABLE k_tx;
";

/// Every statement's effect shows in the catalog, so a statement in flight at the kill is
/// settled by the database.
const NONE: &str = "\
-- Transaction: none
CREATE TABLE k_one AS SELECT 1 AS id FROM pg_sleep(0.2);
CREATE INDEX CONCURRENTLY k_one_id ON k_one (id);
CREATE TABLE k_two AS SELECT 1 AS id FROM pg_sleep(0.2);
ALTER TABLE k_two ADD COLUMN c int;
-- DOWN
ALTER TABLE k_two DROP COLUMN c;
DROP TABLE k_two;
DROP INDEX CONCURRENTLY k_one_id;
DROP TABLE k_one;
";

/// A small random source, seeded from the clock; the seed is printed to replay a failure.
struct Random(u64);

impl Random {
    fn new() -> Random {
        let seed = std::env::var("PGSTEP_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("PGSTEP_FAULT_SEED={seed}");
        Random(seed | 1)
    }

    /// A duration below `max`.
    fn below(&mut self, max: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        max.mul_f64((self.0 % 10_000) as f64 / 10_000.0)
    }
}

fn runs() -> usize {
    std::env::var("PGSTEP_FAULT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6)
}

/// Starts `args`, kills it with SIGKILL after `after` (if it is still running), and waits
/// until no session of it is left on the server; true if it was killed.
fn kill_after(db: &support::TestDb, dir: &Dir, pg: &Pg, args: &[&str], after: Duration) -> bool {
    let mut child = command(db.url(), dir.path(), args)
        .spawn()
        .expect("pgstep starts");
    let until = Instant::now() + after;
    while Instant::now() < until {
        if child.try_wait().expect("waiting").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    kill_and_wait_for_sessions(&mut child, pg);
    true
}

/// Runs `args` again until it succeeds, resuming a phase left dirty; returns the runs.
fn finish_work(db: &support::TestDb, dir: &Dir, args: &[&str]) -> Vec<Run> {
    let mut runs = Vec::new();
    for _ in 0..4 {
        let run = pgstep(db, dir, args);
        let done = run.code == Some(0);
        let dirty = run.code == Some(6) && run.stderr.contains("is dirty");
        runs.push(run);
        if done {
            return runs;
        }
        if dirty {
            let resumed = pgstep(db, dir, &["resume", "003"]);
            assert_eq!(resumed.code, Some(0), "resume failed:\n{resumed}");
            runs.push(resumed);
        } else {
            let last = runs.last().expect("a run");
            panic!("{args:?} failed:\n{last}");
        }
    }
    panic!(
        "{args:?} did not finish: {:?}",
        runs.last().map(|r| r.to_string())
    );
}

#[test]
fn kills_at_random_moments_never_apply_anything_twice() {
    let mut random = Random::new();
    let mut killed = [0, 0];
    for _ in 0..runs() {
        let db = fresh_db();
        let dir = Dir::new();
        dir.write("001_base.sql", BASE);
        dir.write("002_tx.sql", TX);
        dir.write("003_none.sql", NONE);
        let pg = Pg::connect(db.url());

        let at = random.below(Duration::from_millis(900));
        killed[0] += usize::from(kill_after(&db, &dir, &pg, &["up"], at));
        finish_work(&db, &dir, &["up"]);
        assert_eq!(
            pg.count("SELECT count(*) FROM k_count WHERE phase = '002'"),
            1,
            "killed after {at:?}: phase 002 ran twice or never"
        );
        assert!(pg.column_exists("k_two", "c"), "killed after {at:?}");
        assert_eq!(
            pg.value(
                "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'k_one_id'::regclass"
            )
            .as_deref(),
            Some("true"),
            "killed after {at:?}"
        );
        assert!(pg.history().iter().all(|h| h.state == "applied"));

        let at = random.below(Duration::from_millis(500));
        killed[1] += usize::from(kill_after(&db, &dir, &pg, &["down", "--all", "--yes"], at));
        finish_work(&db, &dir, &["down", "--all", "--yes"]);
        assert!(pg.history().is_empty(), "rollback killed after {at:?}");
        for table in ["k_count", "k_tx", "k_one", "k_two"] {
            assert!(
                !pg.exists(table),
                "{table} left after a rollback killed at {at:?}"
            );
        }
    }
    eprintln!(
        "killed while running: {} of {} applies, {} of {} rollbacks; all finished once",
        killed[0],
        runs(),
        killed[1],
        runs()
    );
}
