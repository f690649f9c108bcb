//! Materialized-view freshness against a real PostgreSQL: concurrent-refresh detection, base
//! tables through a view over a partitioned table, refreshes pgstep records and the writes
//! counted since.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use pgstep::engine::{Engine, EngineError, Operator, Settings, Tables};
use pgstep::monitor::matviews::{self, writes_since};
use serde_json::{Value, json};
use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep};

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Makes this session's counters visible to others now (PG15+), else waits out the flush.
fn flush(pg: &Pg) {
    if pg.try_exec("SELECT pg_stat_force_next_flush()").is_err() {
        std::thread::sleep(Duration::from_millis(1100));
    }
}

/// `mv_totals` (unique index) over `orders`; `mv_plain` (none) over `customers`; `mv_events`
/// over a view joining a two-level partitioned table to `customers`; `mv_empty` unpopulated.
fn plant(pg: &Pg) {
    pg.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, name text);
         CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount int);
         INSERT INTO customers SELECT g, 'n' || g FROM generate_series(1, 20) g;
         INSERT INTO orders SELECT g, 1 + g % 20, g FROM generate_series(1, 200) g;
         CREATE MATERIALIZED VIEW mv_totals AS
             SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id;
         CREATE UNIQUE INDEX mv_totals_key ON mv_totals (customer_id);
         CREATE MATERIALIZED VIEW mv_plain AS SELECT id, name FROM customers;
         CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
         CREATE TABLE events_2024 PARTITION OF events
             FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE events_2025 PARTITION OF events
             FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY RANGE (at);
         CREATE TABLE events_2025_h1 PARTITION OF events_2025
             FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
         CREATE VIEW events_named AS
             SELECT e.id, e.at, c.name FROM events e JOIN customers c ON c.id = e.id;
         CREATE MATERIALIZED VIEW mv_events AS SELECT name, count(*) FROM events_named GROUP BY name;
         CREATE MATERIALIZED VIEW mv_empty AS SELECT id FROM orders WITH NO DATA;",
    );
}

fn find<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["matviews"]
        .as_array()
        .expect("a matviews array")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {doc}"))
}

#[test]
fn report_shape_concurrency_and_base_tables() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    let dir = Dir::new();
    let doc = json_of(&pgstep(&db, &dir, &["matviews", "--json"]).expect(0).stdout);
    assert_eq!(doc["matviews"].as_array().unwrap().len(), 4);
    let totals = find(&doc, "mv_totals");
    for key in [
        "schema",
        "name",
        "size_bytes",
        "populated",
        "concurrent_refresh",
        "last_refresh",
        "base_tables",
        "writes_since_refresh",
    ] {
        assert!(totals.get(key).is_some(), "{key} missing from {totals}");
    }
    assert_eq!(totals["schema"], "public");
    assert_eq!(totals["concurrent_refresh"], true);
    assert_eq!(totals["unique_index"], "mv_totals_key");
    assert_eq!(totals["base_tables"], json!(["public.orders"]));
    // Never refreshed by pgstep: freshness unknown.
    assert_eq!(totals["last_refresh"], Value::Null);
    assert_eq!(totals["writes_since_refresh"], Value::Null);
    assert!(totals["size_bytes"].as_i64().unwrap() > 0);

    assert_eq!(find(&doc, "mv_plain")["concurrent_refresh"], false);
    assert_eq!(find(&doc, "mv_empty")["populated"], false);
    assert_eq!(
        find(&doc, "mv_events")["base_tables"],
        json!([
            "public.customers",
            "public.events_2024",
            "public.events_2025_h1"
        ])
    );

    let text = pgstep(&db, &dir, &["matviews"]).expect(0).stdout;
    assert!(text.starts_with("statistics since "), "{text}");
    assert!(text.contains("public.mv_totals"), "{text}");
    assert!(text.contains("4 materialized view(s), 4 stale"), "{text}");
}

#[test]
fn writes_after_a_pgstep_refresh_are_counted() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    flush(&pg);
    let dir = Dir::new();
    let run = pgstep(
        &db,
        &dir,
        &[
            "matviews",
            "--refresh",
            "mv_totals",
            "--yes",
            "--reason",
            "nightly",
        ],
    )
    .expect(0);
    assert!(
        run.stdout
            .contains("refreshed public.mv_totals concurrently"),
        "{run}"
    );
    pgstep(
        &db,
        &dir,
        &["matviews", "--refresh", "public.mv_plain", "--yes"],
    )
    .expect(0);

    let doc = json_of(&pgstep(&db, &dir, &["matviews", "--json"]).expect(0).stdout);
    let totals = find(&doc, "mv_totals");
    assert!(totals["last_refresh"].is_string(), "{totals}");
    assert_eq!(totals["last_refresh_concurrently"], true);
    assert_eq!(totals["writes_since_refresh"], 0);
    assert_eq!(find(&doc, "mv_plain")["last_refresh_concurrently"], false);

    // 5 inserts, 3 updates, 2 deletes.
    pg.exec(
        "INSERT INTO orders SELECT g, 1, g FROM generate_series(1001, 1005) g;
         UPDATE orders SET amount = 0 WHERE id IN (1, 2, 3);
         DELETE FROM orders WHERE id IN (4, 5);
         UPDATE customers SET name = 'x' WHERE id = 1",
    );
    flush(&pg);
    let doc = json_of(&pgstep(&db, &dir, &["matviews", "--json"]).expect(0).stdout);
    assert_eq!(find(&doc, "mv_totals")["writes_since_refresh"], 10);
    assert_eq!(find(&doc, "mv_plain")["writes_since_refresh"], 1);
    assert_eq!(find(&doc, "mv_events")["writes_since_refresh"], Value::Null);

    let events = pg.events_of("refresh");
    assert_eq!(events.len(), 2, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e.outcome.as_str(), e.version.as_deref()),
        ("refreshed", None)
    );
    assert_eq!(e.reason.as_deref(), Some("nightly"));
    assert_eq!(e.details["matview"], "public.mv_totals");
    assert_eq!(e.details["concurrently"], true);
    assert!(
        e.details["base_writes"]["public.orders"].as_i64().unwrap() >= 200,
        "{e:?}"
    );

    // A reset moves the window: the old snapshot means nothing any more.
    pg.exec("SELECT pg_stat_reset()");
    let doc = json_of(&pgstep(&db, &dir, &["matviews", "--json"]).expect(0).stdout);
    assert_eq!(find(&doc, "mv_totals")["writes_since_refresh"], Value::Null);
    assert!(find(&doc, "mv_totals")["last_refresh"].is_string());
}

#[test]
fn refresh_stale_populates_and_refreshes_what_changed() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    plant(&pg);
    flush(&pg);
    let dir = Dir::new();
    pgstep(&db, &dir, &["matviews", "--refresh-stale"]).expect(2);
    let run = pgstep(&db, &dir, &["matviews", "--refresh-stale", "--yes"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 4, "{run}");
    assert_eq!(
        pg.value("SELECT relispopulated::text FROM pg_class WHERE relname = 'mv_empty'"),
        Some("true".into())
    );
    flush(&pg);
    let run = pgstep(&db, &dir, &["matviews", "--refresh-stale", "--yes"]).expect(0);
    assert_eq!(run.stdout, "no materialized view is stale\n", "{run}");

    pg.exec("INSERT INTO events VALUES (1, '2024-05-01')");
    flush(&pg);
    let run = pgstep(&db, &dir, &["matviews", "--refresh-stale", "--yes"]).expect(0);
    assert_eq!(run.stdout.lines().count(), 1, "{run}");
    assert!(
        run.stdout.starts_with("refreshed public.mv_events"),
        "{run}"
    );
    assert_eq!(pg.events_of("refresh").len(), 5);
    pgstep(&db, &dir, &["matviews", "--refresh", "orders", "--yes"]).expect(2);
}

#[tokio::test]
async fn a_read_only_session_refuses_to_refresh() {
    let db = support::fresh_db_async().await;
    let client = db.connect().await;
    client
        .batch_execute("CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one")
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
    let r = engine.refresh_matview("mv", true, None).await;
    assert!(matches!(r, Err(EngineError::Refused(_))), "{r:?}");
    let version = pgstep::monitor::indexes::server_version_num(engine.client())
        .await
        .expect("version");
    let report = matviews::load(engine.client(), version, None)
        .await
        .expect("load");
    assert_eq!(report.matviews.len(), 1);
    assert!(report.matviews[0].is_stale());
}

#[test]
fn writes_since_is_unknown_after_resets_and_for_new_tables() {
    let now: BTreeMap<String, i64> =
        [("public.a".to_string(), 15), ("public.b".to_string(), 4)].into();
    let at: chrono::DateTime<chrono::Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
    let details = json!({"base_writes": {"public.a": 10, "public.b": 4}, "stats_reset": at});
    assert_eq!(writes_since(Some(&details), &now, Some(at)), Some(5));
    assert_eq!(writes_since(None, &now, Some(at)), None);
    let later = "2025-02-01T00:00:00Z".parse().unwrap();
    assert_eq!(writes_since(Some(&details), &now, Some(later)), None);
    let lower: BTreeMap<String, i64> = [("public.a".to_string(), 3)].into();
    assert_eq!(writes_since(Some(&details), &lower, Some(at)), None);
    let new_table: BTreeMap<String, i64> = [("public.c".to_string(), 3)].into();
    assert_eq!(writes_since(Some(&details), &new_table, Some(at)), None);
}
