//! `Max-Wal-Rate`: batches are paced so that the WAL they make stays under the rate. Alone in
//! its binary: WAL positions are the whole cluster's, and other tests would write too.

mod support;

use support::migrations::{Dir, Pg, pgstep};

const TABLE: &str = "\
CREATE TABLE steer (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
INSERT INTO steer (id) SELECT g FROM generate_series(1, 3000) g;
";

const STEP: &str = "\
-- Max-Wal-Rate: 200kB/s

-- Step: Bump
-- Batch: steer.id 300
UPDATE steer SET n = n + 1 WHERE id >= $1 AND id < $2;
";

#[test]
fn wal_is_paced_under_max_wal_rate() {
    let db = support::fresh_db();
    let dir = Dir::new();
    dir.write("001_steer.sql", TABLE);
    dir.write("002_bump.sql", STEP);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    let before: i64 = pg
        .value("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8::text")
        .and_then(|v| v.parse().ok())
        .expect("a position");
    let started = std::time::Instant::now();
    let run = pgstep(&db, &dir, &["up"]).expect(0);
    let took = started.elapsed().as_secs_f64();
    let after: i64 = pg
        .value("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8::text")
        .and_then(|v| v.parse().ok())
        .expect("a position");
    let written = (after - before) as f64;
    // Paced per batch: the whole change cannot beat the rate by more than its last batch.
    let floor = (written - written / 10.0) / (200.0 * 1024.0);
    assert!(
        took >= floor,
        "{written} bytes of WAL in {took:.2}s: faster than 200kB/s allows ({floor:.2}s)\n{run}"
    );
    assert!(run.stderr.contains("pacing: WAL"), "{run}");
}
