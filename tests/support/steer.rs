//! A batched phase to steer while it runs: 3,000 rows, 300 batches of 10 with a short pause,
//! and a statement that is not idempotent, so a range run twice shows as `n = 2`.

use super::migrations::{Dir, Pg};

const TABLE: &str = "\
CREATE TABLE steer (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
INSERT INTO steer (id) SELECT g FROM generate_series(1, 3000) g;
";

const STEP: &str = "\
-- Batch-Pause: 20ms

-- Step: Bump
-- Batch: steer.id 10
UPDATE steer SET n = n + 1 WHERE id >= $1 AND id < $2;
";

/// Writes the table's phase (001) and the batched one (002) into `dir`.
pub fn write(dir: &Dir) {
    dir.write("001_steer.sql", TABLE);
    dir.write("002_bump.sql", STEP);
}

/// The batches of phase 002 committed so far.
pub fn done(pg: &Pg) -> i64 {
    pg.value(
        "SELECT coalesce(max(batch_done), 0)::text FROM schema_migrations WHERE version = '002'",
    )
    .and_then(|v| v.parse().ok())
    .unwrap_or(0)
}
