//! `pgstep lint --url`: findings weighed by a real database (table size and row estimate,
//! sessions holding locks now, an index's scans, the live column type, severity by size).

mod support;

use std::time::Duration;

use serde_json::Value;
use support::fresh_db;
use support::migrations::{Dir, Pg, Run, command, finish, wait_until};

/// `pgstep --url URL --dir DIR lint --json ARGS...`, away from the machine's config files.
fn lint(url: &str, dir: &Dir, args: &[&str]) -> Run {
    let mut all = vec!["lint", "--json"];
    all.extend_from_slice(args);
    let mut cmd = command(url, dir.path(), &all);
    cmd.current_dir(dir.path())
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("PGSTEP_CONFIG");
    finish(cmd.spawn().expect("the pgstep binary starts"))
}

fn findings(run: &Run) -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{run}"));
    doc["findings"]
        .as_array()
        .expect("a findings array")
        .clone()
}

fn only(run: &Run, rule: &str) -> Value {
    let all: Vec<Value> = findings(run)
        .into_iter()
        .filter(|f| f["rule"] == rule)
        .collect();
    assert_eq!(all.len(), 1, "one {rule} finding expected:\n{run}");
    all[0].clone()
}

/// A table of 10,000 analysed rows with an email column of varchar(10).
fn accounts(pg: &Pg) {
    pg.exec(
        "CREATE TABLE accounts (id bigint PRIMARY KEY, email varchar(10), code int);
         INSERT INTO accounts SELECT g, 'a' || g, g % 100 FROM generate_series(1, 10000) g;
         ANALYZE accounts;",
    );
}

#[test]
fn a_finding_on_a_live_table_shows_its_size_rows_and_lock_holders() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    accounts(&pg);
    let dir = Dir::new();
    dir.write(
        "001_index.sql",
        "-- Migration: index the emails\n\nCREATE INDEX accounts_email_idx ON accounts (email);\n",
    );

    let offline = only(
        &lint(db.url(), &dir, &["--offline"]).expect(0),
        "create-index-blocking",
    );
    assert_eq!(offline["table_bytes"], Value::Null);
    assert_eq!(offline["rows_estimate"], Value::Null);

    let f = only(
        &lint(db.url(), &dir, &[]).expect(0),
        "create-index-blocking",
    );
    assert_eq!(f["table"], "accounts");
    let bytes = f["table_bytes"].as_i64().expect("table_bytes");
    let real = pg.count("SELECT pg_total_relation_size('accounts')");
    assert_eq!(bytes, real);
    assert_eq!(f["rows_estimate"], 10000);
    assert_eq!(f["lock_holders"], serde_json::json!([]));
    // A small table keeps the rule's own severity.
    assert_eq!(f["severity"], "warning");

    // Another session holds a lock on the table now: the finding names it.
    let holder = Pg::connect(db.url());
    holder.exec(
        "SET application_name = 'report_job'; BEGIN; LOCK TABLE accounts IN ACCESS SHARE MODE",
    );
    let pid = holder.value("SELECT pg_backend_pid()").expect("a pid");
    let run = lint(db.url(), &dir, &[]).expect(0);
    let f = only(&run, "create-index-blocking");
    let holders = f["lock_holders"].as_array().expect("lock_holders");
    assert_eq!(holders.len(), 1, "{run}");
    let h = holders[0].as_str().unwrap();
    assert!(h.starts_with(&format!("{pid} (")), "{h}");
    assert!(h.contains("report_job"), "{h}");
    assert!(h.contains("AccessShareLock"), "{h}");

    // The text output says the same.
    let mut cmd = command(db.url(), dir.path(), &["lint"]);
    cmd.current_dir(dir.path()).env("HOME", dir.path());
    let text = finish(cmd.spawn().unwrap()).expect(0);
    assert!(text.stdout.contains("table accounts: "), "{text}");
    assert!(text.stdout.contains("about 10000 rows"), "{text}");
    assert!(
        text.stdout.contains(&format!("locked now by {pid} (")),
        "{text}"
    );
    assert!(!text.stdout.contains("files only"), "{text}");
    holder.exec("ROLLBACK");
}

#[test]
fn a_drop_index_finding_shows_the_index_scans() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    accounts(&pg);
    pg.exec("CREATE INDEX accounts_code_idx ON accounts (code)");
    // Three index scans, flushed to the cumulative statistics when the transaction ends.
    pg.exec(
        "SET enable_seqscan = off; SET enable_bitmapscan = off;
         SELECT count(*) FROM accounts WHERE code = 1;
         SELECT count(*) FROM accounts WHERE code = 2;
         SELECT count(*) FROM accounts WHERE code = 3;
         SELECT pg_stat_force_next_flush();",
    );
    let scans = || {
        pg.count(
            "SELECT coalesce(sum(idx_scan), 0) FROM pg_stat_user_indexes \
             WHERE indexrelname = 'accounts_code_idx'",
        )
    };
    assert!(
        wait_until(Duration::from_secs(10), || scans() >= 3),
        "the scans never reached the statistics"
    );
    let expected = scans();

    let dir = Dir::new();
    dir.write(
        "001_drop.sql",
        "DROP INDEX accounts_code_idx;\n\n-- DOWN\nCREATE INDEX accounts_code_idx ON accounts (code);\n",
    );
    let run = lint(db.url(), &dir, &[]).expect(0);
    let f = only(&run, "drop-index-blocking");
    assert_eq!(f["index_scans"], expected, "{run}");
    // The table comes from the index, so the finding is weighed by it too.
    assert_eq!(f["table"], "accounts", "{run}");
    assert!(f["table_bytes"].as_i64().unwrap() > 0, "{run}");

    let offline = only(
        &lint(db.url(), &dir, &["--offline"]).expect(0),
        "drop-index-blocking",
    );
    assert_eq!(offline["index_scans"], Value::Null);
}

#[test]
fn a_safe_widening_of_the_live_column_is_not_reported() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    accounts(&pg);
    let dir = Dir::new();
    dir.write(
        "001_widen.sql",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(20);\n",
    );
    // From the files alone the current type is unknown: reported, saying so.
    let offline = only(
        &lint(db.url(), &dir, &["--offline"]).expect(0),
        "alter-column-type-rewrite",
    );
    assert!(
        offline["message"]
            .as_str()
            .unwrap()
            .contains("lint with a connection"),
        "{offline}"
    );
    // The live column is varchar(10): widening it only changes the catalog.
    let run = lint(db.url(), &dir, &[]).expect(0);
    assert!(findings(&run).is_empty(), "{run}");

    // Narrowing it rewrites: still reported, with the live type in the message.
    dir.write(
        "001_widen.sql",
        "ALTER TABLE accounts ALTER COLUMN email TYPE varchar(5);\n",
    );
    let run = lint(db.url(), &dir, &[]).expect(0);
    let f = only(&run, "alter-column-type-rewrite");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("from character varying(10) to varchar(5)"),
        "{run}"
    );
    assert!(f["table_bytes"].as_i64().is_some(), "{run}");
}

#[test]
fn severity_rises_for_a_table_over_100_mb() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    // About 128 MB: 7 rows of ~1 kB per 8 kB page. Unlogged, so writing it skips the WAL; its
    // size counts the same.
    pg.exec(
        "CREATE UNLOGGED TABLE big (id int, filler text);
         INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 110000) g;
         ANALYZE big;
         CREATE TABLE small (id int);",
    );
    let bytes = pg.count("SELECT pg_total_relation_size('big')");
    assert!(bytes > 100 * 1024 * 1024, "only {bytes} bytes");
    let dir = Dir::new();
    dir.write(
        "001_index.sql",
        "CREATE INDEX big_id_idx ON big (id);\nCREATE INDEX small_id_idx ON small (id);\n",
    );

    // From the files both are warnings, and warnings do not fail the run.
    let offline = lint(db.url(), &dir, &["--offline"]).expect(0);
    assert!(
        findings(&offline)
            .iter()
            .all(|f| f["severity"] == "warning"),
        "{offline}"
    );

    // Weighed, the big table's finding is an error and the run fails for it.
    let run = lint(db.url(), &dir, &[]).expect(4);
    let all = findings(&run);
    let of = |t: &str| {
        all.iter()
            .find(|f| f["table"] == t)
            .unwrap_or_else(|| panic!("no finding on {t}:\n{run}"))
    };
    assert_eq!(of("big")["severity"], "error", "{run}");
    assert_eq!(of("big")["table_bytes"], bytes, "{run}");
    // ANALYZE samples a table this big, so its estimate is close, not exact.
    let rows = of("big")["rows_estimate"].as_i64().expect("rows_estimate");
    assert!((104_000..=116_000).contains(&rows), "{run}");
    assert_eq!(of("small")["severity"], "warning", "{run}");
}

#[test]
fn tables_the_plan_creates_are_not_weighed() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_create.sql", "CREATE TABLE later (id int);\n");
    dir.write(
        "002_index.sql",
        "CREATE INDEX later_id_idx ON later (id);\n",
    );
    // The table does not exist yet: the finding stays, unweighed.
    let run = lint(db.url(), &dir, &[]).expect(0);
    let f = only(&run, "create-index-blocking");
    assert_eq!(f["table"], "later");
    assert_eq!(f["table_bytes"], Value::Null);
}
