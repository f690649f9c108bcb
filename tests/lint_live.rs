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

/// Every object of the database a DOWN could leave, as `kind name` the way lint names it
/// (columns as `column table.column`, functions with their argument types), pgstep's own history tables, its kept copies (pgstep_trash) and extension members aside.
const CATALOG: &str = "
    SELECT o FROM (
        SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'p' THEN 'table ' WHEN 'i' THEN 'index '
                   WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' END
               || c.relname AS o, c.oid AS id, 'pg_class'::regclass AS cls
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'i', 'S', 'v', 'm') AND c.relname NOT LIKE 'schema_migrations%'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep_trash') AND n.nspname NOT LIKE 'pg_toast%'
        UNION ALL
        SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || p.proname
               || '(' || oidvectortypes(p.proargtypes) || ')', p.oid,
               'pg_proc'::regclass
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep_trash') AND p.proname NOT LIKE 'schema_migrations%'
        UNION ALL
        SELECT 'type ' || t.typname, t.oid, 'pg_type'::regclass
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep_trash') AND n.nspname NOT LIKE 'pg_toast%'
          AND t.typtype IN ('e', 'd', 'r', 'c')
          AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
        UNION ALL
        SELECT 'column ' || c.relname || '.' || a.attname, c.oid, 'pg_class'::regclass
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relname NOT LIKE 'schema_migrations%'
          AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgstep_trash')
    ) x
    WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = x.cls AND d.objid = x.id AND d.deptype = 'e')
    ORDER BY 1";

fn catalog(pg: &Pg) -> std::collections::BTreeSet<String> {
    pg.rows(CATALOG)
        .into_iter()
        .filter_map(|r| r.into_iter().next().flatten())
        .collect()
}

/// Phases in the shapes real projects have, each with what its DOWN really leaves.
const SHAPES: &[(&str, &str)] = &[
    (
        "001_base.sql",
        "CREATE TABLE accounts (id bigint PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, total int);
CREATE TABLE gadgets (id bigint PRIMARY KEY);
CREATE FUNCTION gadget_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM gadgets $$;
CREATE VIEW recent_orders AS SELECT * FROM orders WHERE id > 1000;
-- DOWN
DROP VIEW recent_orders;
DROP FUNCTION gadget_count();
DROP TABLE gadgets, orders, accounts;
",
    ),
    (
        "002_cascade.sql",
        "CREATE TABLE parts (id bigint PRIMARY KEY, kind text);
CREATE VIEW part_kinds AS SELECT DISTINCT kind FROM parts;
CREATE MATERIALIZED VIEW part_kind_counts AS SELECT kind, count(*) AS n FROM part_kinds GROUP BY kind;
CREATE TYPE part_state AS ENUM ('new', 'used');
ALTER TABLE accounts ADD COLUMN part_state part_state;
CREATE FUNCTION part_label(s part_state) RETURNS text LANGUAGE sql AS $$ SELECT s::text $$;
-- DOWN
DROP TYPE part_state CASCADE;
DROP TABLE parts CASCADE;
",
    ),
    (
        "003_owned.sql",
        "CREATE TABLE bins (id serial PRIMARY KEY, code text, n bigint GENERATED ALWAYS AS IDENTITY);
CREATE UNIQUE INDEX bins_code_idx ON bins (code);
CREATE SEQUENCE bins_batch_seq OWNED BY bins.n;
CREATE SEQUENCE bins_lot_seq;
ALTER SEQUENCE bins_lot_seq OWNED BY bins.id;
CREATE FUNCTION bins_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER bins_touch BEFORE UPDATE ON bins FOR EACH ROW EXECUTE FUNCTION bins_touch();
ALTER TABLE bins ADD COLUMN note text;
ALTER TABLE bins ADD CONSTRAINT bins_code_check CHECK (code <> '');
CREATE TABLE crates_new (id bigint PRIMARY KEY);
CREATE INDEX crates_new_id_idx ON crates_new (id);
ALTER TABLE crates_new RENAME TO crates;
ALTER TABLE orders ADD COLUMN shipped_at timestamptz;
CREATE INDEX orders_shipped_at_idx ON orders (shipped_at) WHERE shipped_at IS NOT NULL;
-- DOWN
ALTER TABLE orders DROP COLUMN shipped_at;
DROP TABLE crates;
DROP TABLE bins;
DROP FUNCTION bins_touch();
",
    ),
    (
        "004_matview.sql",
        "CREATE MATERIALIZED VIEW order_totals AS SELECT id, total FROM orders;
CREATE UNIQUE INDEX order_totals_id_idx ON order_totals (id);
CREATE INDEX order_totals_total_idx ON order_totals (total);
-- DOWN
DROP MATERIALIZED VIEW order_totals;
",
    ),
    (
        "005_up_drops.sql",
        "CREATE TABLE order_staging (id bigint);
CREATE FUNCTION stage_orders() RETURNS void LANGUAGE sql AS $$ INSERT INTO order_staging SELECT id FROM orders $$;
SELECT stage_orders();
ALTER TABLE orders ADD COLUMN staged boolean;
UPDATE orders SET staged = true;
ALTER TABLE orders DROP COLUMN staged;
DROP FUNCTION stage_orders();
DROP TABLE order_staging;
CREATE TEMPORARY TABLE order_ids AS SELECT id FROM orders;
-- DOWN
SELECT 1;
",
    ),
    (
        "006_replace.sql",
        "CREATE OR REPLACE FUNCTION gadget_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) + 0 FROM gadgets $$;
DROP VIEW recent_orders;
CREATE VIEW recent_orders AS SELECT * FROM orders WHERE id > 2000;
CREATE TABLE gadgets_new AS SELECT id FROM gadgets;
DROP TABLE gadgets;
ALTER TABLE gadgets_new RENAME TO gadget_rows;
-- DOWN
ALTER TABLE gadget_rows RENAME TO gadgets;
CREATE OR REPLACE FUNCTION gadget_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM gadgets $$;
",
    ),
    (
        "007_overloads.sql",
        "CREATE FUNCTION score(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a $$;
CREATE FUNCTION score(a text) RETURNS integer LANGUAGE sql AS $$ SELECT length(a) $$;
CREATE FUNCTION rank_of(n numeric, at timestamp) RETURNS numeric LANGUAGE sql AS $$ SELECT n $$;
CREATE PROCEDURE touch(VARIADIC ids int4[]) LANGUAGE sql AS $$ SELECT 1 $$;
-- DOWN
DROP FUNCTION score(int);
DROP FUNCTION rank_of;
DROP PROCEDURE touch(integer[]);
",
    ),
    (
        "008_signature.sql",
        "DROP FUNCTION IF EXISTS rank_of CASCADE;
CREATE FUNCTION rank_of(n numeric, at timestamptz) RETURNS numeric LANGUAGE sql AS $$ SELECT n $$;
-- DOWN
CREATE FUNCTION rank_of(n numeric, at timestamp) RETURNS numeric LANGUAGE sql AS $$ SELECT n $$;
",
    ),
    (
        "009_forgets.sql",
        "CREATE TABLE widgets (id bigint);
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
ALTER TABLE accounts ADD COLUMN widget_id bigint;
CREATE SEQUENCE widget_seq;
CREATE OR REPLACE FUNCTION widget_total() RETURNS bigint LANGUAGE sql AS $$ SELECT 1::bigint $$;
CREATE INDEX orders_total_idx ON orders (total);
CREATE MATERIALIZED VIEW widget_counts AS SELECT count(*) AS n FROM orders;
CREATE INDEX widget_counts_n_idx ON widget_counts (n);
CREATE TYPE widget_kind AS ENUM ('a', 'b');
-- DOWN
DROP TABLE widgets;
",
    ),
];

/// `kind name` of a down-leaves-object finding's message.
fn left_object(f: &Value) -> String {
    let m = f["message"].as_str().expect("a message");
    let what = m
        .strip_prefix("the DOWN leaves ")
        .and_then(|r| r.split_once(", which"))
        .unwrap_or_else(|| panic!("unexpected message: {m}"))
        .0;
    what.to_string()
}

#[test]
fn down_leaves_object_names_exactly_what_a_rollback_leaves_in_the_database() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    for (name, text) in SHAPES {
        dir.write(name, text);
    }
    let run = lint(db.url(), &dir, &["--offline"]);
    let mut said: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for f in findings(&run) {
        if f["rule"] == "down-leaves-object" {
            said.entry(f["version"].as_str().unwrap().to_string())
                .or_default()
                .insert(left_object(&f));
        }
    }
    support::migrations::pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    for (name, _) in &SHAPES[1..] {
        let version = &name[..3];
        let before = catalog(&pg);
        support::migrations::pgstep(&db, &dir, &["up", "--to", version]).expect(0);
        support::migrations::pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
        let left: std::collections::BTreeSet<String> =
            catalog(&pg).difference(&before).cloned().collect();
        let found = said.remove(version).unwrap_or_default();
        // Every finding is an object the rollback really left.
        let wrong: Vec<&String> = found.difference(&left).collect();
        assert!(
            wrong.is_empty(),
            "{name}: false findings {wrong:?}; the database left {left:?}"
        );
        // What lint names for each leftover; the objects a leftover owns (the table's
        // columns, the materialized view's column) come with it.
        let want: std::collections::BTreeSet<String> = match version {
            "007" => ["function score(text)"].as_slice(),
            "008" => &["function rank_of(numeric, timestamp with time zone)"],
            "009" => &[
                "view big_orders",
                "column accounts.widget_id",
                "sequence widget_seq",
                "function widget_total()",
                "index orders_total_idx",
                "materialized view widget_counts",
                "index widget_counts_n_idx",
                "type widget_kind",
            ],
            _ => &[],
        }
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(found, want, "{name}: {run}");
        assert!(want.is_subset(&left), "{name}: {left:?}");
        if want.is_empty() {
            assert!(left.is_empty(), "{name} left {left:?}");
        }
        // On to the next shape from this one applied, its leftovers cleaned up as the
        // operator would.
        for object in &want {
            let drop = match object.split_once(' ') {
                Some(("function", f)) => format!("DROP FUNCTION IF EXISTS {f} CASCADE"),
                _ => String::new(),
            };
            if !drop.is_empty() {
                pg.exec(&drop);
            }
        }
        if version != "009" {
            support::migrations::pgstep(&db, &dir, &["up", "--to", version]).expect(0);
        }
    }
    assert!(
        said.is_empty(),
        "findings on phases never rolled back: {said:?}"
    );
}
