//! The replica gate against a real primary and streaming standby (`pg_basebackup -R`): with
//! replay paused on the standby, batches stop while its lag is over `Max-Replica-Lag`, and go
//! on once replay resumes; the lag never passes the limit by more than about one batch.

mod support;

use std::time::Duration;

use pgstep::cluster::Cluster;
use support::migrations::{Dir, Pg, command, finish, pgstep_url, wait_until};

const TABLE: &str = "\
CREATE TABLE wide (id int PRIMARY KEY, pad text NOT NULL);
INSERT INTO wide SELECT g, repeat('x', 200) FROM generate_series(1, 6000) g;
-- DOWN
DROP TABLE wide;
";

const LIMIT: u64 = 256 * 1024;

const BACKFILL: &str = "\
-- Max-Replica-Lag: 256kB

-- Step: Rewrite the padding
-- Batch: wide.id 100
UPDATE wide SET pad = repeat('y', 200) WHERE id >= $1 AND id < $2;
";

fn lag(pg: &Pg) -> Option<i64> {
    pg.value(
        "SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::int8::text \
         FROM pg_stat_replication",
    )
    .and_then(|v| v.parse().ok())
}

#[test]
fn batches_wait_while_a_standby_lags_and_go_on_when_it_replays() {
    let primary = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
    let standby = primary
        .temporary_standby()
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = Pg::connect(&primary.url("postgres"));
    admin.exec("CREATE DATABASE gate");
    let url = primary.url("gate");
    let pg = Pg::connect(&url);
    let dir = Dir::new();
    dir.write("001_wide.sql", TABLE);
    dir.write("002_backfill.sql", BACKFILL);
    pgstep_url(&url, &dir, &["up", "--to", "001"]).expect(0);

    assert!(
        wait_until(Duration::from_secs(30), || lag(&pg) == Some(0)),
        "the standby did not catch up"
    );
    let replica = Pg::connect(&standby.url("gate"));
    assert_eq!(replica.count("SELECT count(*) FROM wide"), 6000);
    replica.exec("SELECT pg_wal_replay_pause()");

    let child = command(&url, dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    let done = || {
        pg.value("SELECT coalesce(max(batch_done), 0)::text FROM schema_migrations WHERE version = '002'")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    // The lag nears the limit within a few batches; then no batch starts, as the next one
    // would take it over.
    assert!(
        wait_until(Duration::from_secs(30), || {
            let before = done();
            std::thread::sleep(Duration::from_secs(1));
            before > 0 && done() == before && lag(&pg).is_some_and(|l| l as u64 > LIMIT / 2)
        }),
        "the batches never stopped for the standby"
    );
    let stalled_at = done();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(done(), stalled_at, "a batch ran while the standby lagged");
    assert!(
        stalled_at > 0 && stalled_at < 60,
        "{stalled_at} batches ran"
    );
    // What one batch writes: the WAL of the batches so far, shared out.
    let lagged = lag(&pg).expect("a standby") as u64;
    let per_batch = lagged / stalled_at as u64;
    assert!(
        lagged <= LIMIT + per_batch / 2,
        "lag {lagged} is over the limit {LIMIT} by more than half a batch ({per_batch})"
    );

    // `pgstep activity` shows the standby's lag and the WAL the running phase has written.
    let shown = pgstep_url(&url, &dir, &["activity"]).expect(0);
    assert!(
        shown.stdout.contains("standby walreceiver") || shown.stdout.contains("standby "),
        "{shown}"
    );
    assert!(shown.stdout.contains("behind"), "{shown}");
    assert!(
        shown.stdout.contains("phase 002 backfill is running")
            && shown.stdout.contains("of WAL so far"),
        "{shown}"
    );
    let json = pgstep_url(&url, &dir, &["activity", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let lag_shown = doc["standbys"][0]["lag_bytes"].as_i64().expect("lag_bytes");
    assert!(lag_shown as u64 > LIMIT / 2, "{doc}");
    assert_eq!(doc["running_phase"]["version"], "002", "{doc}");
    assert!(
        doc["running_phase"]["wal_bytes"]
            .as_i64()
            .expect("wal_bytes")
            > 0
    );
    assert_eq!(doc["running_phase"]["batch_done"], stalled_at, "{doc}");

    replica.exec("SELECT pg_wal_replay_resume()");
    let run = finish(child);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stderr.contains("waiting: standby"),
        "the wait was not said:\n{run}"
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM wide WHERE pad = repeat('y', 200)"),
        6000
    );
    assert_eq!(done(), 60);
}
