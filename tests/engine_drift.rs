//! Files that changed after they were applied (drifted), disappeared (missing), or arrived
//! below an applied version (out of order): each is seen, shown and needs a decision.

mod support;

use support::migrations::{Dir, Pg, pgstep, states};
use support::{TestDb, fresh_db};

const TABLE: &str = "\
CREATE TABLE dr (id int);

-- VERIFY
-- Check: no rows yet
SELECT * FROM dr;

-- DOWN
DROP TABLE dr;
";

/// A database where `dir`'s 001_table.sql (TABLE) is applied.
fn table_applied() -> (TestDb, Dir, Pg) {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_table.sql", TABLE);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    (db, dir, pg)
}

#[test]
fn an_edited_file_is_drifted_until_the_change_is_accepted() {
    let (db, dir, pg) = table_applied();

    dir.write("001_table.sql", &TABLE.replace("(id int)", "(id bigint)"));
    dir.write("002_next.sql", "CREATE TABLE dr_next (id int);\n");

    let status = pgstep(&db, &dir, &["status"]).expect(0);
    let line = status
        .stdout
        .lines()
        .find(|l| l.starts_with("001"))
        .unwrap_or_else(|| panic!("no line for 001:\n{status}"));
    assert!(line.contains("drifted"), "{status}");
    assert!(status.stdout.contains("drift: UP changed"), "{status}");
    assert!(
        !status.stdout.contains("comments and whitespace only"),
        "{status}"
    );

    let run = pgstep(&db, &dir, &["up"]).expect(6);
    assert!(run.stderr.contains("phase 001 is drifted"), "{run}");
    assert!(run.stderr.contains("pgstep diff 001"), "{run}");
    assert!(
        !pg.exists("dr_next"),
        "up applied a phase past a drifted one"
    );

    let diff = pgstep(&db, &dir, &["diff", "001"]).expect(0);
    assert!(diff.stdout.contains("UP changed"), "{diff}");
    assert!(diff.stdout.contains("-CREATE TABLE dr (id int);"), "{diff}");
    assert!(
        diff.stdout.contains("+CREATE TABLE dr (id bigint);"),
        "{diff}"
    );
    assert!(
        !diff.stdout.contains("DROP TABLE"),
        "an unchanged part was shown:\n{diff}"
    );

    let run = pgstep(&db, &dir, &["accept", "001", "--reason", "widened"]).expect(2);
    assert!(run.stderr.contains("--yes"), "{run}");
    pgstep(
        &db,
        &dir,
        &[
            "accept",
            "001",
            "--reason",
            "widened in prod by hand",
            "--yes",
        ],
    )
    .expect(0);
    let accepted = pg.events_of("drift-accepted");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].version.as_deref(), Some("001"));
    assert_eq!(
        accepted[0].reason.as_deref(),
        Some("widened in prod by hand")
    );
    assert_eq!(accepted[0].details["changed"], "UP changed");
    assert_ne!(
        accepted[0].details["old_checksum"],
        accepted[0].details["new_checksum"]
    );

    let status = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(doc["migrations"][0]["state"], "applied");
    assert_eq!(doc["migrations"][1]["state"], "pending");
    let diff = pgstep(&db, &dir, &["diff", "001"]).expect(0);
    assert!(diff.stdout.contains("matches what was applied"), "{diff}");
    let again = pgstep(&db, &dir, &["accept", "001", "--reason", "x", "--yes"]).expect(6);
    assert!(again.stderr.contains("not drifted"), "{again}");

    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.exists("dr_next"));
}

#[test]
fn a_comment_only_change_is_cosmetic_and_a_changed_down_blocks_rollback() {
    let (db, dir, pg) = table_applied();

    let commented = TABLE.replace(
        "CREATE TABLE dr",
        "-- the table our reports read\nCREATE TABLE dr",
    );
    dir.write("001_table.sql", &commented);
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("drifted"), "{status}");
    assert!(
        status
            .stdout
            .contains("UP changed (comments and whitespace only)"),
        "{status}"
    );
    let diff = pgstep(&db, &dir, &["diff", "001"]).expect(0);
    assert!(
        diff.stdout.contains("+-- the table our reports read"),
        "{diff}"
    );

    dir.write(
        "001_table.sql",
        &commented.replace("DROP TABLE dr;", "DROP TABLE dr CASCADE;"),
    );
    let status = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(doc["migrations"][0]["state"], "drifted");
    assert_eq!(doc["migrations"][0]["drift"], "UP, DOWN changed");

    let run = pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(6);
    assert!(run.stderr.contains("phase 001 is drifted"), "{run}");
    assert!(pg.exists("dr"));
    assert_eq!(pg.states(), states(&[("001", "applied")]));
}

#[test]
fn a_deleted_file_is_missing_and_rolls_back_from_history() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_table.sql", TABLE);
    dir.write(
        "002_gone.sql",
        "CREATE TABLE gone (id int);\n-- DOWN\nDROP TABLE gone;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    dir.remove("002_gone.sql");

    let status = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let gone = &doc["migrations"][1];
    assert_eq!(gone["version"], "002");
    assert_eq!(gone["name"], "gone");
    assert_eq!(gone["state"], "missing");
    let text = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("002") && l.contains("missing")),
        "{text}"
    );

    let run = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(run.stdout.contains("rolled back 002"), "{run}");
    assert!(!pg.exists("gone"));
    assert!(pg.exists("dr"));
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    assert_eq!(
        pg.events_of("rollback")[0].details["down_from_history"],
        true
    );
}

#[test]
fn a_lower_version_added_later_is_out_of_order_until_allowed() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("002_later.sql", "CREATE TABLE later (id int);\n");
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    dir.write("001_earlier.sql", "CREATE TABLE earlier (id int);\n");

    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("001") && l.contains("out-of-order")),
        "{status}"
    );
    let run = pgstep(&db, &dir, &["up"]).expect(6);
    assert!(run.stderr.contains("out of order"), "{run}");
    assert!(run.stderr.contains("--allow-out-of-order"), "{run}");
    assert!(!pg.exists("earlier"));
    assert_eq!(pg.states(), states(&[("002", "applied")]));

    pgstep(&db, &dir, &["up", "--allow-out-of-order"]).expect(0);
    assert!(pg.exists("earlier"));
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied")])
    );
}

#[test]
fn a_checksum_edited_in_the_history_is_drift_and_is_kept_as_written() {
    let (db, dir, pg) = table_applied();
    // The same hash in capitals: not what pgstep writes, so it is not taken as a match.
    pg.exec("UPDATE schema_migrations SET checksum = upper(checksum)");
    let edited = pg
        .value("SELECT checksum FROM schema_migrations")
        .unwrap_or_default();

    let status = pgstep(&db, &dir, &["status"]).expect(0);
    let line = status
        .stdout
        .lines()
        .find(|l| l.starts_with("001"))
        .unwrap_or_else(|| panic!("no line for 001:\n{status}"));
    assert!(line.contains("drifted"), "{status}");

    pgstep(&db, &dir, &["accept", "001", "--reason", "fixed", "--yes"]).expect(0);
    let accepted = pg.events_of("drift-accepted");
    assert_eq!(accepted[0].details["old_checksum"], edited.as_str());
    assert_eq!(
        pg.value("SELECT checksum FROM schema_migrations"),
        Some(edited.to_lowercase())
    );
    let status = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    assert_eq!(doc["migrations"][0]["state"], "applied");
    assert_eq!(doc["migrations"][0]["checksum"], edited.to_lowercase());
}
