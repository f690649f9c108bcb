//! Keeping on the way up and for phases outside a transaction, the size limit and its
//! choices, and purging.

mod support;

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep};

fn kept(pg: &Pg) -> Vec<String> {
    pg.rows(
        "SELECT kind || ' ' || schema_name || '.' || table_name || coalesce('.' || column_name, '') \
         || ' ' || phase || ' ' || part || ' ' || rows FROM pgstep_trash.kept ORDER BY id",
    )
    .into_iter()
    .filter_map(|r| r[0].clone())
    .collect()
}

fn base(dir: &Dir) {
    dir.write(
        "001_base.sql",
        "CREATE TABLE a (id int PRIMARY KEY, v text);\n\
         CREATE TABLE b (id int PRIMARY KEY, gone text);\n\
         CREATE TABLE c (id int);\n\
         INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 10) g;\n\
         INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 20) g;\n\
         INSERT INTO c SELECT g FROM generate_series(1, 30) g;\n",
    );
}

#[test]
fn an_up_phase_sent_as_one_pipeline_keeps_in_its_transaction_or_not_at_all() {
    let db = fresh_db();
    let dir = Dir::new();
    base(&dir);
    dir.write(
        "002_clean.sql",
        "DROP TABLE a;\n\
         ALTER TABLE b DROP COLUMN gone;\n\
         TRUNCATE c;\n\
         SELECT 1 / 0;\n",
    );
    let pg = Pg::connect(db.url());
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(
        run.stderr.contains("002_clean.sql:4"),
        "the failure names its own line: {run}"
    );
    assert_eq!(pg.value("SELECT count(*) FROM a"), Some("10".into()));
    assert!(
        kept(&pg).is_empty(),
        "the copies rolled back with the phase"
    );

    dir.write(
        "002_clean.sql",
        "DROP TABLE a;\nALTER TABLE b DROP COLUMN gone;\nTRUNCATE c;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        kept(&pg),
        [
            "table public.a 002 up 10",
            "column public.b.gone 002 up 20",
            "rows public.c 002 up 30",
        ]
    );
    let events = pg.events_of("kept");
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].details["statement"], "DROP TABLE a");
}

#[test]
fn a_phase_outside_a_transaction_keeps_each_copy_with_its_statement() {
    let db = fresh_db();
    let dir = Dir::new();
    base(&dir);
    dir.write(
        "002_clean.sql",
        "-- Transaction: none\n\
         DROP TABLE a;\n\
         ALTER TABLE b DROP COLUMN nope;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(4);
    assert_eq!(
        kept(&pg),
        ["table public.a 002 up 10"],
        "the first statement committed with its copy; the failed one kept nothing"
    );
}

#[test]
fn a_copy_above_trash_max_needs_a_choice_and_purge_drops_copies() {
    let db = fresh_db();
    let dir = Dir::new();
    base(&dir);
    dir.write(
        "002_big.sql",
        "CREATE TABLE d AS SELECT g FROM generate_series(1, 40) g;\n-- DOWN\nDROP TABLE d;\n",
    );
    let config = dir.write("pgstep.toml", "[profiles.small]\ntrash_max = \"1kB\"\n");
    let config = config.to_string_lossy().to_string();
    let small = |args: &[&str]| {
        let mut all = vec!["--config", config.as_str(), "--profile", "small"];
        all.extend_from_slice(args);
        pgstep(&db, &dir, &all)
    };
    let pg = Pg::connect(db.url());
    small(&["up"]).expect(0);

    let run = small(&["down", "--steps", "1", "--yes"]).expect(6);
    assert!(run.stderr.contains("above trash_max (1.0 kB)"), "{run}");
    assert!(
        run.stderr.contains("--keep") && run.stderr.contains("--no-keep"),
        "{run}"
    );
    assert_eq!(
        pg.value("SELECT count(*) FROM d"),
        Some("40".into()),
        "nothing changed"
    );

    small(&["down", "--steps", "1", "--yes", "--keep"]).expect(0);
    assert_eq!(kept(&pg), ["table public.d 002 down 40"]);

    small(&["up"]).expect(0);
    small(&[
        "down",
        "--steps",
        "1",
        "--yes",
        "--no-keep",
        "a copy exists in staging",
    ])
    .expect(0);
    assert_eq!(kept(&pg).len(), 1, "nothing more kept");
    let not_kept = pg.events_of("kept");
    let last = not_kept.last().expect("an event");
    assert_eq!(last.outcome, "not kept");
    assert_eq!(last.reason.as_deref(), Some("a copy exists in staging"));

    pgstep(&db, &dir, &["purge", "--older-than", "7d", "--yes"]).expect(0);
    assert_eq!(kept(&pg).len(), 1, "a copy made now is younger than 7 days");
    let run = pgstep(&db, &dir, &["purge", "--yes"]).expect(0);
    assert!(run.stdout.contains("purged 1 kept cop(ies)"), "{run}");
    assert!(kept(&pg).is_empty());
    assert_eq!(
        pg.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'pgstep_trash'"),
        Some("1".into()),
        "the copy's table is gone, the catalog stays"
    );
    assert_eq!(pg.events_of("purged").len(), 1);
    let run = pgstep(&db, &dir, &["restore", "1", "--yes"]).expect(6);
    assert!(run.stderr.contains("nothing is kept with id 1"), "{run}");
}

/// `status --json`'s phases, by position.
fn status_json(db: &support::TestDb, dir: &Dir) -> serde_json::Value {
    let run = pgstep(db, dir, &["status", "--json"]).expect(0);
    assert!(!run.all().contains("WARNING"), "{run}");
    serde_json::from_str(&run.stdout).expect("status --json is JSON")
}

#[test]
fn the_history_row_of_a_phase_records_what_it_kept_and_an_older_history_is_upgraded() {
    let db = fresh_db();
    let dir = Dir::new();
    base(&dir);
    dir.write(
        "002_clean.sql",
        "DROP TABLE a;\nALTER TABLE b DROP COLUMN gone;\n",
    );
    dir.write("003_empty.sql", "-- Transaction: none\nTRUNCATE c;\n");
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up", "--to", "002"]).expect(0);

    let doc = status_json(&db, &dir);
    assert_eq!(doc["migrations"][0]["kept"], serde_json::json!([]));
    let kept = &doc["migrations"][1]["kept"];
    assert_eq!(kept.as_array().map(Vec::len), Some(2), "{kept}");
    assert_eq!(
        (&kept[0]["kind"], &kept[0]["object"], &kept[0]["rows"]),
        (&"table".into(), &"public.a".into(), &10.into())
    );
    assert_eq!(kept[0]["statement"], "DROP TABLE a");
    assert!(kept[0]["bytes"].as_i64().is_some_and(|b| b > 0), "{kept}");
    assert_eq!(
        (&kept[1]["kind"], &kept[1]["object"], &kept[1]["rows"]),
        (&"column".into(), &"public.b.gone".into(), &20.into())
    );
    let ids: Vec<String> = pg
        .rows("SELECT id::text FROM pgstep_trash.kept ORDER BY id")
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    assert_eq!(
        ids,
        [kept[0]["id"].to_string(), kept[1]["id"].to_string()],
        "the same copies as the trash lists"
    );

    // A history of layout 3, without the column: read as it is, then upgraded by a change.
    pg.exec(
        "ALTER TABLE schema_migrations DROP COLUMN kept;
         COMMENT ON TABLE schema_migrations IS 'pgstep history v3';
         COMMENT ON TABLE schema_migrations_log IS 'pgstep event log v3 (append-only)';",
    );
    let doc = status_json(&db, &dir);
    assert_eq!(doc["migrations"][1]["kept"], serde_json::json!([]));
    assert!(!pg.column_exists("schema_migrations", "kept"));
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        pg.value("SELECT obj_description('schema_migrations'::regclass, 'pg_class')")
            .as_deref(),
        Some("pgstep history v4")
    );
    let doc = status_json(&db, &dir);
    let kept = &doc["migrations"][2]["kept"];
    assert_eq!(
        (&kept[0]["kind"], &kept[0]["object"], &kept[0]["rows"]),
        (&"rows".into(), &"public.c".into(), &30.into()),
        "a phase outside a transaction records its copies too: {kept}"
    );
}

#[test]
fn a_truncate_cascade_keeps_the_rows_of_every_table_it_empties() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_tree.sql",
        "CREATE TABLE p (id int PRIMARY KEY);\n\
         CREATE TABLE ch (id int PRIMARY KEY, p_id int REFERENCES p);\n\
         CREATE TABLE gc (id int, ch_id int REFERENCES ch);\n\
         CREATE TABLE other (id int);\n\
         INSERT INTO p SELECT generate_series(1, 5);\n\
         INSERT INTO ch SELECT g, 1 + g % 5 FROM generate_series(1, 7) g;\n\
         INSERT INTO gc SELECT g, 1 + g % 7 FROM generate_series(1, 3) g;\n\
         INSERT INTO other VALUES (1);\n",
    );
    dir.write(
        "002_empty.sql",
        "TRUNCATE p, ch CASCADE;\nTRUNCATE other;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.value("SELECT count(*) FROM gc"), Some("0".into()));
    assert_eq!(
        kept(&pg),
        [
            "rows public.p 002 up 5",
            "rows public.ch 002 up 7",
            "rows public.gc 002 up 3",
            "rows public.other 002 up 1",
        ],
        "each table CASCADE empties, once, and nothing else"
    );

    // Each comes back, parents first.
    let ids: Vec<String> = pg
        .rows("SELECT id::text FROM pgstep_trash.kept WHERE table_name <> 'other' ORDER BY id")
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    for id in &ids {
        pgstep(&db, &dir, &["restore", id, "--yes"]).expect(0);
    }
    assert_eq!(
        pg.value("SELECT (SELECT count(*) FROM p) || ' ' || (SELECT count(*) FROM ch) || ' ' || (SELECT count(*) FROM gc)"),
        Some("5 7 3".into())
    );
}
