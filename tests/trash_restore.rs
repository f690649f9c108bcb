//! Keeping what rollbacks destroy and putting it back: dropped tables referenced by foreign
//! keys, dropped columns holding NULLs and TOASTed values, truncated rows; each restored to the
//! rows and catalog definitions it had before the rollback.

mod support;

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep};

/// Three phases: 001 makes customers (serial key, defaults, unique, an enum column), orders
/// (identity key, a foreign key to customers, a check, an expression index) and events;
/// 002 adds a column to orders holding NULLs and values large enough to be TOASTed; 003
/// fills events. Their DOWNs drop the tables, drop the column, and truncate.
fn phases(dir: &Dir) {
    dir.write(
        "001_base.sql",
        "CREATE TYPE mood AS ENUM ('calm', 'busy');\n\
         CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'anon', \
             mood mood, signed date DEFAULT current_date, UNIQUE (name));\n\
         CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             customer_id int NOT NULL REFERENCES customers (id) ON DELETE CASCADE, \
             note text, amount numeric(10,2) CHECK (amount >= 0));\n\
         CREATE INDEX orders_note_lower ON orders (lower(note)) WHERE note IS NOT NULL;\n\
         CREATE TABLE events (at timestamptz NOT NULL, what text);\n\
         INSERT INTO customers (name, mood) SELECT 'c' || g, \
             (ARRAY['calm','busy',NULL])[g % 3 + 1]::mood FROM generate_series(1, 50) g;\n\
         INSERT INTO orders (customer_id, note, amount) SELECT g % 50 + 1, \
             CASE WHEN g % 4 = 0 THEN NULL ELSE 'note ' || g END, g * 1.5 \
             FROM generate_series(1, 300) g;\n\
         -- DOWN\n\
         DROP TABLE events;\n\
         DROP TABLE orders;\n\
         DROP TABLE customers;\n",
    );
    dir.write(
        "002_big.sql",
        "ALTER TABLE orders ADD COLUMN big text DEFAULT 'none';\n\
         UPDATE orders SET big = CASE WHEN id % 3 = 0 THEN NULL \
             WHEN id % 3 = 1 THEN repeat(md5(id::text), 4000) ELSE 'small ' || id END;\n\
         -- DOWN\n\
         ALTER TABLE orders DROP COLUMN big;\n",
    );
    dir.write(
        "003_events.sql",
        "INSERT INTO events SELECT '2026-01-01'::timestamptz + g * interval '1 min', \
             'e' || g FROM generate_series(1, 200) g;\n\
         -- DOWN\n\
         TRUNCATE events;\n",
    );
}

/// Everything compared: each table's row digest (by content), columns with types, defaults
/// and nullability, constraints, indexes, and where its sequences stand.
fn state(pg: &Pg, tables: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut out = Vec::new();
    for t in tables {
        out.extend(pg.rows(&format!(
            "SELECT '{t} rows', count(*)::text, md5(coalesce(string_agg(x::text, '|' \
                 ORDER BY x::text), '')) FROM {t} x"
        )));
        out.extend(pg.rows(&format!(
            "SELECT attname, format_type(atttypid, atttypmod) || ' ' || attnotnull || ' ' || \
                 attidentity::text || ' ' || coalesce(pg_get_expr(adbin, adrelid), '-') \
             FROM pg_attribute LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum \
             WHERE attrelid = '{t}'::regclass AND attnum > 0 AND NOT attisdropped \
             ORDER BY attnum"
        )));
        out.extend(pg.rows(&format!(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = '{t}'::regclass ORDER BY conname"
        )));
        out.extend(pg.rows(&format!(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index \
             WHERE indrelid = '{t}'::regclass ORDER BY 1"
        )));
        out.extend(pg.rows(&format!(
            "SELECT a.attname, pg_sequence_last_value(pg_get_serial_sequence('{t}', \
                 a.attname)::regclass)::text FROM pg_attribute a \
             WHERE a.attrelid = '{t}'::regclass AND a.attnum > 0 \
               AND pg_get_serial_sequence('{t}', a.attname) IS NOT NULL"
        )));
    }
    out
}

fn kept(pg: &Pg) -> Vec<Vec<Option<String>>> {
    pg.rows(
        "SELECT id::text, kind::text, schema_name || '.' || table_name || \
                 coalesce('.' || column_name, ''), phase, rows::text \
             FROM pgstep_trash.kept ORDER BY id",
    )
}

#[test]
fn a_full_rollback_is_restored_to_the_rows_and_definitions_before_it() {
    let db = fresh_db();
    let dir = Dir::new();
    phases(&dir);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    let tables = ["customers", "orders", "events"];
    let before = state(&pg, &tables);
    assert!(
        pg.value("SELECT count(*) FROM orders WHERE pg_column_size(big) < octet_length(big)")
            .is_some_and(|n| n != "0"),
        "some values of the column are stored compressed (TOASTed)"
    );

    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert_eq!(pg.value("SELECT to_regclass('orders')::text"), None);
    let ids = kept(&pg);
    let as_text = |rows: &[Vec<Option<String>>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|v| v.clone().unwrap_or_default()).collect())
            .collect()
    };
    assert_eq!(
        as_text(&ids),
        [
            ["1", "rows", "public.events", "003", "200"],
            ["2", "column", "public.orders.big", "002", "300"],
            ["3", "table", "public.events", "001", "0"],
            ["4", "table", "public.orders", "001", "300"],
            ["5", "table", "public.customers", "001", "50"],
        ]
        .map(|r| r.map(str::to_string).to_vec())
    );
    let logged: Vec<(String, String, String)> = pg
        .events_of("kept")
        .iter()
        .map(|e| {
            (
                e.version.clone().unwrap_or_default(),
                e.details["object"].as_str().unwrap_or("").to_string(),
                e.details["rows"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("003", "public.events", "200"),
            ("002", "public.orders.big", "300"),
            ("001", "public.events", "0"),
            ("001", "public.orders", "300"),
            ("001", "public.customers", "50"),
        ]
        .map(|(v, o, r)| (v.to_string(), o.to_string(), r.to_string()))
    );

    let listed = pgstep(&db, &dir, &["trash", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let first = &json["kept"][1];
    assert_eq!(first["kind"], "column");
    assert_eq!(first["object"], "public.orders.big");
    assert_eq!(first["phase"], "002");
    assert_eq!(first["statement"], "ALTER TABLE orders DROP COLUMN big");
    assert!(first["bytes"].as_i64().is_some_and(|b| b > 0));

    let run = pgstep(&db, &dir, &["restore", "1", "2", "3", "4", "5", "--yes"]).expect(0);
    assert!(
        run.stdout.contains("restored table public.customers"),
        "{run}"
    );
    assert_eq!(state(&pg, &tables), before);
    assert!(kept(&pg).is_empty(), "restored copies leave the trash");
    assert_eq!(
        pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'pgstep_trash'"),
        Some("1".to_string()),
        "only the catalog is left"
    );
}

#[test]
fn a_restore_is_refused_when_the_name_is_taken_and_puts_back_foreign_keys_pointing_at_it() {
    let db = fresh_db();
    let dir = Dir::new();
    phases(&dir);
    dir.write(
        "004_drop.sql",
        "CREATE TABLE scratch (id int);\n\
         -- DOWN\n\
         DROP TABLE scratch;\n\
         DROP TABLE customers CASCADE;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    let before = state(&pg, &["customers", "orders"]);
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(
        pg.value("SELECT count(*) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'"),
        Some("0".to_string()),
        "CASCADE dropped the foreign key of orders"
    );
    let id = pg
        .value("SELECT id::text FROM pgstep_trash.kept WHERE table_name = 'customers'")
        .expect("customers kept");

    pg.exec("CREATE TABLE customers (id int)");
    let run = pgstep(&db, &dir, &["restore", &id, "--yes"]).expect(6);
    assert!(
        run.stderr
            .contains("public.customers exists again: the name is taken"),
        "{run}"
    );
    assert_eq!(
        pg.value("SELECT count(*) FROM customers"),
        Some("0".to_string())
    );
    assert_eq!(kept(&pg).len(), 2, "nothing left the trash");

    pg.exec("DROP TABLE customers");
    pgstep(&db, &dir, &["restore", &id, "--yes"]).expect(0);
    assert_eq!(state(&pg, &["customers", "orders"]), before);
}

#[test]
fn a_column_restore_is_refused_when_the_column_exists_again_or_the_key_moved() {
    let db = fresh_db();
    let dir = Dir::new();
    phases(&dir);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    pgstep(&db, &dir, &["down", "--to", "001", "--yes"]).expect(0);
    let id = pg
        .value("SELECT id::text FROM pgstep_trash.kept WHERE kind = 'column'")
        .expect("the column kept");

    pg.exec("ALTER TABLE orders ADD COLUMN big int");
    let run = pgstep(&db, &dir, &["restore", &id, "--yes"]).expect(6);
    assert!(
        run.stderr.contains("column public.orders.big exists again"),
        "{run}"
    );

    pg.exec(
        "ALTER TABLE orders DROP COLUMN big; ALTER TABLE orders DROP CONSTRAINT orders_pkey; \
             ALTER TABLE orders ADD PRIMARY KEY (id, customer_id)",
    );
    let run = pgstep(&db, &dir, &["restore", &id, "--yes"]).expect(6);
    assert!(run.stderr.contains("the key no longer matches"), "{run}");
    assert!(run.stderr.contains("(id, customer_id)"), "{run}");
}

#[test]
fn keeping_is_off_for_a_profile_or_a_phase_that_says_why() {
    let db = fresh_db();
    let dir = Dir::new();
    phases(&dir);
    dir.write(
        "004_scratch.sql",
        "-- Keep: no scratch data, rebuilt by the nightly job\n\
         CREATE TABLE scratch AS SELECT g FROM generate_series(1, 10) g;\n\
         -- DOWN\n\
         DROP TABLE scratch;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(
        pg.value("SELECT to_regnamespace('pgstep_trash')::text"),
        None,
        "nothing kept, nothing made"
    );
    pgstep(
        &db,
        &dir,
        &["down", "--steps", "1", "--yes", "--no-keep", "test data"],
    )
    .expect(0);
    assert_eq!(
        pg.value("SELECT to_regnamespace('pgstep_trash')::text"),
        None
    );
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(kept(&pg).len(), 1, "{:?}", kept(&pg));

    dir.write("pgstep.toml", "[profiles.ci]\nkeep = \"no\"\n");
    let run = pgstep(
        &db,
        &dir,
        &[
            "--config",
            &dir.path().join("pgstep.toml").to_string_lossy(),
            "--profile",
            "ci",
            "status",
        ],
    )
    .expect(2);
    assert!(run.stderr.contains("profiles.ci.keep"), "{run}");
}

#[test]
fn a_dropped_schema_is_kept_table_by_table_and_comes_back_whole() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_shop.sql",
        "CREATE SCHEMA shop;\n\
         CREATE TABLE shop.items (id int PRIMARY KEY, label text UNIQUE);\n\
         CREATE TABLE shop.stock (item int REFERENCES shop.items, n int DEFAULT 0);\n\
         CREATE VIEW shop.listing AS SELECT label FROM shop.items;\n\
         INSERT INTO shop.items SELECT g, 'i' || g FROM generate_series(1, 40) g;\n\
         INSERT INTO shop.stock SELECT g, g * 2 FROM generate_series(1, 40) g;\n\
         -- DOWN\n\
         DROP SCHEMA shop CASCADE;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    let tables = ["shop.items", "shop.stock"];
    let before = state(&pg, &tables);
    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert_eq!(pg.value("SELECT to_regnamespace('shop')::text"), None);
    let ids: Vec<String> = kept(&pg).iter().filter_map(|r| r[0].clone()).collect();
    assert_eq!(ids.len(), 2, "{:?}", kept(&pg));
    let run = pgstep(&db, &dir, &["restore", &ids[1], "--yes"]).expect(6);
    assert!(
        run.stderr
            .contains("references shop.items, which does not exist"),
        "stock alone cannot point at items: {run}"
    );
    let mut args = vec!["restore"];
    args.extend(ids.iter().map(String::as_str));
    args.push("--yes");
    pgstep(&db, &dir, &args).expect(0);
    assert_eq!(state(&pg, &tables), before);
}
