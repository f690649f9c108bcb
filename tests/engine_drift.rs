//! Files that changed after they were applied (drifted), disappeared (missing), or arrived
//! below an applied version (out of order): each is seen, shown and needs a decision.

mod support;

use std::fs::{File, FileTimes};
use std::path::Path;

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

/// Rewrites `from` to `to` (the same length) in the file at `path`, then gives the file back
/// its modification and access times: an edit that a check by size and time would miss.
fn edit_keeping_size_and_times(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "the edit must keep the size");
    let before = std::fs::metadata(path).expect("the file's metadata");
    let text = std::fs::read_to_string(path).expect("the file");
    assert!(text.contains(from), "{} has no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).expect("the edit");
    let times = FileTimes::new()
        .set_modified(before.modified().expect("mtime"))
        .set_accessed(before.accessed().expect("atime"));
    File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_times(times))
        .expect("the times put back");
    let after = std::fs::metadata(path).expect("the file's metadata");
    assert_eq!(after.len(), before.len());
    assert_eq!(after.modified().ok(), before.modified().ok());
}

/// The state and drift `status --json` gives each version.
fn drifts(db: &TestDb, dir: &Dir) -> Vec<(String, String, Option<String>)> {
    let status = pgstep(db, dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    doc["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            let version = text(&m["version"]).unwrap_or_default();
            (
                version,
                text(&m["state"]).unwrap_or_default(),
                text(&m["drift"]),
            )
        })
        .collect()
}

#[test]
fn a_byte_edited_without_changing_size_or_time_is_drift_in_every_file() {
    // Enough migrations that the files are read by several threads: the edits land in the
    // first and in the last file, so each reader's share is checked.
    let db = fresh_db();
    let dir = Dir::new();
    let count = 300;
    for i in 1..=count {
        dir.write(
            &format!("{i:04}_t{i}.up.sql"),
            &format!("CREATE TABLE sd_{i} (id int);\n"),
        );
        dir.write(
            &format!("{i:04}_t{i}.down.sql"),
            &format!("DROP TABLE sd_{i};\n"),
        );
    }
    pgstep(&db, &dir, &["up"]).expect(0);
    let states = drifts(&db, &dir);
    assert_eq!(states.len(), count);
    assert!(
        states.iter().all(|(_, s, d)| s == "applied" && d.is_none()),
        "{states:?}"
    );

    let first_up = dir.path().join("0001_t1.up.sql");
    edit_keeping_size_and_times(&first_up, "(id int)", "(ix int)");
    let last_down = dir.path().join(format!("{count:04}_t{count}.down.sql"));
    edit_keeping_size_and_times(&last_down, "DROP", "drop");

    let states = drifts(&db, &dir);
    let drifted: Vec<_> = states.iter().filter(|(_, s, _)| s != "applied").collect();
    assert_eq!(
        drifted,
        vec![
            &(
                "0001".to_string(),
                "drifted".to_string(),
                Some("UP changed".to_string())
            ),
            &(
                format!("{count:04}"),
                "drifted".to_string(),
                Some("DOWN changed".to_string())
            ),
        ],
        "{states:?}"
    );
    let run = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(6);
    assert!(run.stderr.contains("is drifted"), "{run}");
}

#[test]
fn a_dbmate_file_edited_without_changing_size_or_time_is_drift() {
    let db = fresh_db();
    let dir = Dir::new();
    let file = dir.write(
        "20260101000000_accounts.sql",
        "-- migrate:up\nCREATE TABLE sd_accounts (id int);\n\n-- migrate:down\nDROP TABLE sd_accounts;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        drifts(&db, &dir),
        vec![("20260101000000".to_string(), "applied".to_string(), None)]
    );

    edit_keeping_size_and_times(&file, "(id int)", "(ix int)");

    assert_eq!(
        drifts(&db, &dir),
        vec![(
            "20260101000000".to_string(),
            "drifted".to_string(),
            Some("UP changed".to_string())
        )]
    );
}
