//! Index verdicts against a real PostgreSQL: planted unused, FK-backing, invalid, duplicate,
//! covered and used indexes; the drop and rebuild actions and what they log.

mod support;

use std::time::Duration;

use pgstep::engine::{Engine, EngineError, Operator, Settings, Tables};
use pgstep::monitor::indexes::{self, IndexInfo, IndexReport, SortKey, Verdict};
use serde_json::Value;
use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Makes this session's counters visible to others now (PG15+), else waits out the flush.
fn flush(pg: &Pg) {
    if pg.try_exec("SELECT pg_stat_force_next_flush()").is_err() {
        std::thread::sleep(Duration::from_millis(1100));
    }
}

/// Every kind of index the verdicts tell apart.
fn plant(pg: &Pg) {
    pg.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE, name text);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                              a int, b int, c int, note text);
         INSERT INTO customers SELECT g, 'c' || g, 'n' || g FROM generate_series(1, 50) g;
         INSERT INTO orders SELECT g, 1 + g % 50, g % 7, g, g, 'x' FROM generate_series(1, 500) g;
         CREATE INDEX orders_note ON orders (note);
         CREATE INDEX orders_customer ON orders (customer_id);
         CREATE INDEX orders_a ON orders (a);
         CREATE INDEX orders_ab ON orders (a, b);
         CREATE INDEX orders_b ON orders (b);
         CREATE INDEX orders_b_again ON orders (b);
         CREATE INDEX orders_used ON orders (c);
         CREATE TABLE dupes (k int);
         INSERT INTO dupes VALUES (1), (1), (2);
         ANALYZE",
    );
    let failed = pg.try_exec("CREATE UNIQUE INDEX CONCURRENTLY dupes_k ON dupes (k)");
    assert!(failed.is_err(), "the duplicate keys must fail the build");
    pg.exec(
        "SET enable_seqscan = off; SET enable_bitmapscan = off;
         SELECT count(*) FROM orders WHERE c = 3;
         RESET enable_seqscan; RESET enable_bitmapscan",
    );
    flush(pg);
}

fn by_name<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["indexes"]
        .as_array()
        .expect("an indexes array")
        .iter()
        .find(|i| i["index"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {doc}"))
}

#[test]
fn planted_indexes_get_their_verdicts() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    let dir = Dir::new();
    let doc = json(&pgstep(&db, &dir, &["indexes", "--json"]).expect(0).stdout);

    let top: Vec<&String> = doc.as_object().expect("an object").keys().collect();
    assert_eq!(top, vec!["indexes", "query_ms", "stats_since"]);
    assert!(doc["stats_since"]["counting_since"].is_string(), "{doc}");
    for key in [
        "schema",
        "table",
        "index",
        "size_bytes",
        "scans",
        "unused",
        "invalid",
        "duplicate_of",
        "covered_by",
        "definition",
        "last_scan",
        "warnings",
    ] {
        assert!(by_name(&doc, "orders_note").get(key).is_some(), "{key}");
    }

    let note = by_name(&doc, "orders_note");
    assert_eq!(
        (note["unused"].as_bool(), note["scans"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(
        (&note["schema"], &note["table"]),
        (&"public".into(), &"orders".into())
    );
    assert!(note["size_bytes"].as_i64().unwrap() > 0);
    assert_eq!(note["warnings"], Value::Array(vec![]));

    let fk = by_name(&doc, "orders_customer");
    assert_eq!(fk["unused"], true);
    assert_eq!(fk["foreign_key"], "orders_customer_id_fkey");
    assert!(
        fk["warnings"][0]
            .as_str()
            .unwrap()
            .contains("orders_customer_id_fkey"),
        "{fk}"
    );

    let used = by_name(&doc, "orders_used");
    assert!(used["scans"].as_i64().unwrap() >= 1, "{used}");
    assert_eq!(
        (&used["unused"], &used["covered_by"]),
        (&false.into(), &Value::Null)
    );

    let invalid = by_name(&doc, "dupes_k");
    assert_eq!(
        (&invalid["invalid"], &invalid["unused"]),
        (&true.into(), &false.into())
    );

    assert_eq!(by_name(&doc, "orders_b_again")["duplicate_of"], "orders_b");
    assert_eq!(by_name(&doc, "orders_b")["duplicate_of"], Value::Null);
    assert_eq!(by_name(&doc, "orders_a")["covered_by"], "orders_ab");
    assert_eq!(by_name(&doc, "orders_ab")["covered_by"], Value::Null);

    // Never scanned, yet they enforce something: never "unused".
    for name in ["customers_email_key", "customers_pkey", "orders_pkey"] {
        let i = by_name(&doc, name);
        assert_eq!(i["unused"], false, "{i}");
        assert!(i["constraint"].is_string(), "{i}");
    }
    assert_eq!(by_name(&doc, "orders_pkey")["primary"], true);

    let only = json(
        &pgstep(&db, &dir, &["indexes", "--json", "--verdict", "duplicate"])
            .expect(0)
            .stdout,
    );
    let names: Vec<&Value> = only["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["index"])
        .collect();
    assert_eq!(names, vec!["orders_b_again"]);
    let t = json(
        &pgstep(&db, &dir, &["indexes", "--json", "--table", "public.dupes"])
            .expect(0)
            .stdout,
    );
    assert_eq!(t["indexes"].as_array().unwrap().len(), 1);

    let text = pgstep(&db, &dir, &["indexes", "--sort", "scans"])
        .expect(0)
        .stdout;
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("statistics since "), "{text}");
    assert!(text.contains("duplicate of orders_b"), "{text}");
    assert!(
        text.contains("! backs foreign key orders_customer_id_fkey"),
        "{text}"
    );
}

#[test]
fn drop_refuses_what_enforces_or_is_used_and_logs_what_it_drops() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    let dir = Dir::new();

    let run = pgstep(&db, &dir, &["indexes", "--drop", "orders_pkey", "--yes"]).expect(6);
    assert!(run.stderr.contains("backs constraint orders_pkey"), "{run}");
    let run = pgstep(&db, &dir, &["indexes", "--drop", "orders_used", "--yes"]).expect(6);
    assert!(run.stderr.contains("in use"), "{run}");
    // No terminal to confirm on and no --yes: nothing happens.
    pgstep(&db, &dir, &["indexes", "--drop", "orders_note"]).expect(2);
    assert!(pg.exists("orders_pkey") && pg.exists("orders_used") && pg.exists("orders_note"));

    let run = pgstep(
        &db,
        &dir,
        &[
            "indexes",
            "--drop",
            "orders_b_again",
            "--yes",
            "--reason",
            "duplicate",
        ],
    )
    .expect(0);
    assert!(
        run.stdout.contains("dropped public.orders_b_again"),
        "{run}"
    );
    assert!(!pg.exists("orders_b_again"));
    pgstep(&db, &dir, &["indexes", "--drop", "dupes_k", "--yes"]).expect(0);
    assert!(!pg.exists("dupes_k"));

    let events = pg.events_of("index-dropped");
    assert_eq!(events.len(), 2, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e.outcome.as_str(), e.version.as_deref()),
        ("dropped", None)
    );
    assert_eq!(e.reason.as_deref(), Some("duplicate"));
    assert_eq!(e.details["index"], "public.orders_b_again");
    assert!(
        e.details["definition"].as_str().unwrap().contains("(b)"),
        "{:?}",
        e.details
    );
    assert_eq!(e.details["verdicts"], "unused, duplicate of orders_b");
    assert_eq!(
        pg.value("SELECT name FROM schema_migrations_log WHERE event = 'index-dropped' ORDER BY id LIMIT 1"),
        Some("public.orders_b_again".into())
    );
}

#[test]
fn reindex_rebuilds_an_invalid_index_and_logs_failures_too() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    let dir = Dir::new();

    pgstep(&db, &dir, &["indexes", "--reindex", "orders_note", "--yes"]).expect(6);
    // The duplicates are still there: the rebuild fails, and says so in the log.
    let run = pgstep(&db, &dir, &["indexes", "--reindex", "dupes_k", "--yes"]).expect(4);
    assert!(run.stderr.contains("23505"), "{run}");
    pg.exec("DELETE FROM dupes WHERE ctid = (SELECT max(ctid) FROM dupes WHERE k = 1)");
    let leftover = json(
        &pgstep(&db, &dir, &["indexes", "--json", "--verdict", "invalid"])
            .expect(0)
            .stdout,
    );
    let leftovers: Vec<&Value> = leftover["indexes"].as_array().unwrap().iter().collect();
    if let Some(ccnew) = leftovers.iter().find(|i| i["reindex_leftover"] == true) {
        let name = ccnew["index"].as_str().unwrap();
        pgstep(&db, &dir, &["indexes", "--reindex", name, "--yes"]).expect(6);
        pgstep(&db, &dir, &["indexes", "--drop", name, "--yes"]).expect(0);
    }
    pgstep(
        &db,
        &dir,
        &[
            "indexes",
            "--reindex",
            "dupes_k",
            "--yes",
            "--reason",
            "fix",
        ],
    )
    .expect(0);
    assert_eq!(
        pg.value("SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'dupes_k'::regclass"),
        Some("true".into())
    );
    let outcomes: Vec<String> = pg
        .events_of("index-rebuilt")
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, vec!["failed", "rebuilt"]);
    let after = json(
        &pgstep(&db, &dir, &["indexes", "--json", "--verdict", "invalid"])
            .expect(0)
            .stdout,
    );
    assert_eq!(after["indexes"], Value::Array(vec![]));
}

#[tokio::test]
async fn a_read_only_session_refuses_every_action() {
    let db = support::fresh_db_async().await;
    let client = db.connect().await;
    client
        .batch_execute("CREATE TABLE t (a int); CREATE INDEX t_a ON t (a)")
        .await
        .expect("setup");
    let settings = Settings {
        read_only: true,
        ..Settings::default()
    };
    let engine = Engine::open(
        client,
        Tables::default(),
        settings,
        Operator::current(),
        None,
    )
    .await
    .expect("engine");
    let refused = |r: Result<_, EngineError>| matches!(r, Err(EngineError::Refused(_)));
    assert!(refused(engine.drop_index("t_a", None).await));
    assert!(refused(engine.reindex("t_a", None).await));
    let version = indexes::server_version_num(engine.client())
        .await
        .expect("version");
    let report = indexes::load(engine.client(), version).await.expect("load");
    assert_eq!(report.indexes.len(), 1);
    assert!(report.indexes[0].unused);
}

fn index(table: &str, name: &str, size: i64, scans: i64) -> IndexInfo {
    IndexInfo {
        schema: "public".into(),
        table: table.into(),
        index: name.into(),
        size_bytes: Some(size),
        scans: Some(scans),
        unused: scans == 0,
        ..IndexInfo::default()
    }
}

#[test]
fn sorting_and_filtering_for_the_console() {
    let mut r = IndexReport {
        indexes: vec![
            index("b", "b_small", 10, 0),
            index("a", "a_big", 1000, 5),
            index("a", "a_mid", 100, 2),
        ],
        ..IndexReport::default()
    };
    let names = |r: &IndexReport| {
        r.indexes
            .iter()
            .map(|i| i.index.clone())
            .collect::<Vec<_>>()
    };
    r.sort_by(SortKey::Size);
    assert_eq!(names(&r), ["a_big", "a_mid", "b_small"]);
    r.sort_by(SortKey::Scans);
    assert_eq!(names(&r), ["b_small", "a_mid", "a_big"]);
    r.sort_by(SortKey::Name);
    assert_eq!(names(&r), ["a_big", "a_mid", "b_small"]);
    assert_eq!(r.filter(Some("a"), None).len(), 2);
    assert_eq!(r.filter(Some("public.b"), None).len(), 1);
    assert_eq!(r.filter(None, Some(Verdict::Unused))[0].index, "b_small");
    assert!(r.filter(Some("a"), Some(Verdict::Unused)).is_empty());
    assert_eq!(indexes::pretty_size(Some(2048)), "2.0 kB");
    assert_eq!(indexes::pretty_size(Some(12)), "12 bytes");
}

#[test]
fn the_query_is_chosen_by_server_version() {
    assert!(indexes::sql(160000).contains("pg_stat_get_lastscan(x.indexrelid)"));
    assert!(indexes::sql(170004).contains("pg_stat_get_lastscan"));
    for old in [130000, 140010, 150018] {
        assert!(!indexes::sql(old).contains("pg_stat_get_lastscan"));
    }
}

#[tokio::test]
async fn the_view_does_not_queue_behind_an_access_exclusive_lock() {
    let db = support::fresh_db_async().await;
    let holder = db.connect().await;
    holder
        .batch_execute(
            "CREATE TABLE busy (a int); CREATE INDEX busy_a ON busy (a);
             CREATE TABLE calm (a int); CREATE INDEX calm_a ON calm (a)",
        )
        .await
        .expect("setup");
    holder
        .batch_execute("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let client = db.connect().await;
    let version = indexes::server_version_num(&client).await.expect("version");
    let report = tokio::time::timeout(Duration::from_secs(3), indexes::load(&client, version))
        .await
        .expect("the view waited for the lock")
        .expect("load");
    let size = |name: &str| {
        report
            .indexes
            .iter()
            .find(|i| i.index == name)
            .unwrap()
            .size_bytes
    };
    assert_eq!(size("busy_a"), None);
    let busy = report.indexes.iter().find(|i| i.index == "busy_a").unwrap();
    assert_eq!((&busy.definition, busy.unused), (&None, true));
    assert!(size("calm_a").is_some());
    holder.batch_execute("ROLLBACK").await.expect("rollback");
}
