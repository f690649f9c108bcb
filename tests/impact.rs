//! What a DOWN part would destroy, measured on a real PostgreSQL.

mod support;

use pgstep::engine::impact::{Loss, Target, describe, destructive_targets, measure};
use support::fresh_db_async;

const SCHEMA: &str = "
    CREATE SCHEMA shop;
    CREATE TABLE shop.books (id int PRIMARY KEY, title text NOT NULL, note text);
    INSERT INTO shop.books SELECT g, 'title ' || g, CASE WHEN g % 4 = 0 THEN 'n' END
        FROM generate_series(1, 1000) g;
    CREATE TABLE \"Odd Name\" (x int);
    INSERT INTO \"Odd Name\" VALUES (1), (2), (3);
    CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO events SELECT g, DATE '2024-06-01' + g FROM generate_series(1, 500) g;
    CREATE MATERIALIZED VIEW shop.titles AS SELECT title FROM shop.books;
    CREATE MATERIALIZED VIEW shop.empty AS SELECT 1 AS one WITH NO DATA;
    CREATE VIEW shop.noted AS SELECT * FROM shop.books WHERE note IS NOT NULL;
    CREATE INDEX books_title ON shop.books (title);
    CREATE TYPE mood AS ENUM ('ok', 'meh');
    CREATE TABLE big (id int);
    INSERT INTO big SELECT generate_series(1, 120000);
    ANALYZE big;
";

/// The DOWN part of a phase that undoes all of the above.
const DOWN: &[&str] = &[
    "ALTER TABLE shop.books DROP COLUMN note, DROP COLUMN IF EXISTS gone",
    "DROP VIEW shop.noted",
    "DROP MATERIALIZED VIEW shop.titles, shop.empty",
    "DROP INDEX shop.books_title",
    "DELETE FROM big WHERE id > 10",
    "TRUNCATE events",
    "DROP TABLE IF EXISTS shop.books, \"Odd Name\", old_x CASCADE",
    "DROP TYPE mood",
    "DROP SCHEMA shop CASCADE",
    "DROP SCHEMA nowhere",
];

async fn losses(sql: &str) -> Vec<Loss> {
    let db = fresh_db_async().await;
    let client = db.connect().await;
    client.batch_execute(sql).await.unwrap();
    let targets: Vec<Target> = DOWN.iter().flat_map(|s| destructive_targets(s)).collect();
    let out = measure(&client, &targets).await.unwrap();
    assert_eq!(out.len(), targets.len());
    // The read-only transaction is over.
    let read_only: String = client
        .query_one("SELECT current_setting('transaction_read_only')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(read_only, "off");
    out
}

#[tokio::test]
async fn measures_and_describes_what_a_down_part_destroys() {
    let out = losses(SCHEMA).await;
    let lines: Vec<String> = out.iter().map(describe).collect();
    let line = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line starts with {prefix:?} in {lines:#?}"))
            .clone()
    };
    let loss = |prefix: &str| &out[lines.iter().position(|l| l.starts_with(prefix)).unwrap()];

    assert_eq!(
        line("column shop.books.note"),
        "column shop.books.note (text): 250 non-null values in 1,000 rows, 500 bytes"
    );
    assert_eq!(
        line("column shop.books.gone"),
        "column shop.books.gone does not exist"
    );
    assert_eq!(line("view shop.noted"), "view shop.noted: holds no data");

    let books = loss("table shop.books");
    assert!(books.exists && books.rows_exact);
    assert_eq!(books.rows_estimate, Some(1000));
    let bytes = books.bytes.unwrap();
    assert!(bytes > 40_000, "{bytes}: heap, primary key and title index");
    assert!(line("table shop.books").starts_with("table shop.books: 1,000 rows, "));

    assert!(line("table \"Odd Name\"").starts_with("table \"Odd Name\": 3 rows, "));
    assert_eq!(line("table old_x"), "table old_x does not exist");

    assert!(line("materialized view shop.titles: 1,000 rows, ").ends_with("kB"));
    let empty = loss("materialized view shop.empty");
    assert!(empty.exists && !empty.rows_exact, "{empty:?}");

    let index = loss("index shop.books_title");
    assert!(index.bytes.unwrap() > 8192 && index.rows_estimate.is_none());

    let events = loss("all rows of table events");
    assert_eq!((events.rows_estimate, events.rows_exact), (Some(500), true));
    assert!(events.bytes.unwrap() >= 2 * 8192, "both partitions count");

    let big = loss("some rows of table big");
    assert!(!big.rows_exact, "never a full count of a big table");
    let estimate = big.rows_estimate.unwrap();
    assert!((100_000..=140_000).contains(&estimate), "{estimate}");
    assert!(line("some rows of table big").starts_with("some rows of table big: out of about 1"));

    assert_eq!(line("type mood"), "type mood");
    let shop = loss("schema shop");
    assert_eq!(shop.tables, Some(1));
    assert!(
        shop.bytes.unwrap() > bytes,
        "books and the materialized views"
    );
    assert_eq!(line("schema nowhere"), "schema nowhere does not exist");
}

#[tokio::test]
async fn a_locked_table_is_found_but_not_waited_for() {
    let db = fresh_db_async().await;
    let client = db.connect().await;
    client
        .batch_execute("CREATE TABLE t (c int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let holder = db.connect().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let out = measure(&client, &destructive_targets("ALTER TABLE t DROP c"))
        .await
        .unwrap();
    assert!(out[0].exists);
    assert_eq!(out[0].column_type.as_deref(), Some("integer"));
    assert_eq!(out[0].non_null_values, None);
    assert_eq!(
        describe(&out[0]),
        "column t.c (integer): not fully measured: another session holds a lock on it"
    );
    holder.batch_execute("ROLLBACK").await.unwrap();
    let out = measure(&client, &destructive_targets("DROP TABLE t"))
        .await
        .unwrap();
    assert!(describe(&out[0]).starts_with("table t: 1 row, "));
}

/// A table dropped by another session while it is measured: reported as gone or as not
/// measured, never a panic, and the measuring session is left out of any transaction.
#[tokio::test(flavor = "multi_thread")]
async fn a_table_dropped_while_it_is_measured_is_no_panic() {
    let db = fresh_db_async().await;
    let client = db.connect().await;
    let churn = db.connect().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let churning = tokio::spawn(async move {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            churn
                .batch_execute("CREATE TABLE churn (id int); INSERT INTO churn VALUES (1)")
                .await
                .unwrap();
            churn.batch_execute("DROP TABLE churn").await.unwrap();
        }
    });
    let targets = destructive_targets("DROP TABLE churn");
    for _ in 0..400 {
        let out = measure(&client, &targets).await.unwrap();
        assert_eq!(out.len(), 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churning.await.unwrap();
    let read_only: String = client
        .query_one("SELECT current_setting('transaction_read_only')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(read_only, "off");
}

/// A dropped column is sized by its values alone: summed on a table small enough to count,
/// estimated from the statistics (and said "about") on one too large to scan.
#[tokio::test]
async fn a_columns_size_is_its_values_summed_or_estimated_on_a_large_table() {
    let db = fresh_db_async().await;
    let client = db.connect().await;
    client
        .batch_execute(
            "CREATE TABLE wide (id int PRIMARY KEY, payload text, spare int);
             INSERT INTO wide SELECT g, repeat('x', 99), NULL FROM generate_series(1, 150000) g;
             ANALYZE wide;
             CREATE TABLE unanalyzed (id int, payload text);",
        )
        .await
        .unwrap();
    let targets: Vec<Target> = [
        "ALTER TABLE wide DROP COLUMN payload",
        "ALTER TABLE wide DROP COLUMN spare",
        "ALTER TABLE unanalyzed DROP COLUMN payload",
    ]
    .iter()
    .flat_map(|s| destructive_targets(s))
    .collect();
    let out = measure(&client, &targets).await.unwrap();
    // 150,000 values of 100 bytes each (99 and a 1-byte header), not the table's 20 MB.
    let payload = out[0].bytes.expect("estimated");
    assert!(
        (14_000_000..=16_000_000).contains(&payload),
        "{payload} bytes"
    );
    assert!(!out[0].rows_exact);
    assert!(
        describe(&out[0]).ends_with(&format!("about {}", pgstep::engine::impact::size(payload))),
        "{}",
        describe(&out[0])
    );
    assert_eq!(out[1].bytes, Some(0), "a column of NULLs holds nothing");
    // Never analyzed, and empty: counted, so summed.
    assert_eq!(out[2].bytes, Some(0));
    assert!(out[2].rows_exact);
    let kept = pgstep::engine::keeping::kept_of(&out[..1]);
    assert!(kept.size().starts_with("about "), "{}", kept.size());
}
