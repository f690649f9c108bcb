//! pgstep on databases that the projects' own tools migrated, with the real tools as the
//! oracle: half the migrations applied by the tool, the rest by pgstep; the tool then sees
//! everything applied and has nothing to do; after `pgstep down --steps 2` it sees two
//! pending and applies them again.

mod support;

use support::migrations::{Dir, Pg, pgstep};
use support::tools::{DIESEL, REFINERY, SQLX, dbmate, sqlx_rows};
use support::{TestDb, fresh_db};

const TABLES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

fn status_json(db: &TestDb, dir: &Dir) -> serde_json::Value {
    let run = pgstep(db, dir, &["status", "--json"]).expect(0);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// Every phase's (state, source), in order.
fn sources(db: &TestDb, dir: &Dir) -> Vec<(String, String)> {
    status_json(db, dir)["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            (
                m["state"].as_str().unwrap_or_default().to_string(),
                m["source"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn all(state: &str, source: &str, n: usize) -> Vec<(String, String)> {
    vec![(state.to_string(), source.to_string()); n]
}

fn sqlx_files(dir: &Dir, range: std::ops::Range<usize>) {
    for i in range {
        let t = TABLES[i];
        dir.write(
            &format!("{}_create_{t}.up.sql", i + 1),
            &format!("-- the {t} table\nCREATE TABLE {t} (id int);\n"),
        );
        dir.write(
            &format!("{}_create_{t}.down.sql", i + 1),
            &format!("DROP TABLE {t};\n"),
        );
    }
}

fn sqlx_pending(db: &TestDb, dir: &Dir) -> usize {
    let run = SQLX
        .run(dir.path(), db.url(), &["migrate", "info", "--source", "."])
        .expect(0);
    run.stdout.lines().filter(|l| l.contains("pending")).count()
}

#[test]
fn sqlx_half_applied_by_sqlx_the_rest_by_pgstep() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 0..2);
    SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    sqlx_files(&dir, 2..4);

    assert_eq!(
        sources(&db, &dir),
        [all("applied", "sqlx", 2), all("pending", "sqlx", 2)].concat()
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(sqlx_pending(&db, &dir), 0);
    let again = SQLX
        .run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    assert!(!again.all().contains("Applied"), "{again}");

    // The rows are the ones sqlx writes itself.
    let oracle = fresh_db();
    SQLX.run(
        dir.path(),
        oracle.url(),
        &["migrate", "run", "--source", "."],
    )
    .expect(0);
    let pg = Pg::connect(db.url());
    assert_eq!(sqlx_rows(&pg), sqlx_rows(&Pg::connect(oracle.url())));
    assert!(pg.count("SELECT count(*) FROM _sqlx_migrations WHERE execution_time < 0") == 0);

    pgstep(&db, &dir, &["down", "--steps", "2", "--yes"]).expect(0);
    assert_eq!(sqlx_pending(&db, &dir), 2);
    SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    assert!(pg.exists("gamma") && pg.exists("delta"));
    assert_eq!(sources(&db, &dir), all("applied", "sqlx", 4));

    // The first change was logged with what was adopted, once; pgstep's own tables are in
    // a schema of their own, out of the application's.
    let adopted = pg.rows(
        "SELECT details->>'tool', details->>'table', details->>'versions', details->>'newest' \
         FROM pgstep.history_log WHERE event = 'adopted'",
    );
    assert_eq!(
        adopted,
        vec![vec![
            Some("sqlx".into()),
            Some("public._sqlx_migrations".into()),
            Some("2".into()),
            Some("2".into())
        ]]
    );
    assert_eq!(
        pg.count(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname = 'public' AND c.relname LIKE 'schema_migrations%'"
        ),
        0
    );
}

#[test]
fn sqlx_checksum_changed_is_drift_and_accept_writes_sqlx_checksum() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 0..2);
    SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    dir.write(
        "2_create_beta.up.sql",
        "-- edited\nCREATE TABLE beta (id int);\n",
    );
    let json = status_json(&db, &dir);
    let beta = &json["migrations"][1];
    assert_eq!(beta["state"], "drifted", "{json}");
    assert!(
        beta["drift"]
            .as_str()
            .unwrap_or_default()
            .contains("sqlx's checksum"),
        "{json}"
    );
    // sqlx agrees that it changed.
    let run = SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."]);
    assert_ne!(run.code, Some(0), "{run}");
    pgstep(&db, &dir, &["up"]).expect(6);
    pgstep(
        &db,
        &dir,
        &["accept", "2", "--reason", "comment added", "--yes"],
    )
    .expect(0);
    SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    assert_eq!(sources(&db, &dir), all("applied", "sqlx", 2));
}

fn dbmate_files(dir: &Dir, range: std::ops::Range<usize>) {
    for i in range {
        let t = TABLES[i];
        dir.write(
            &format!("2024010100000{}_create_{t}.sql", i + 1),
            &format!(
                "-- migrate:up\nCREATE TABLE {t} (id int);\n\n-- migrate:down\nDROP TABLE {t};\n"
            ),
        );
    }
}

fn dbmate_pending(db: &TestDb, dir: &Dir) -> String {
    let run = dbmate(db, dir, "status");
    run.stdout
        .lines()
        .find(|l| l.starts_with("Pending:"))
        .unwrap_or_else(|| panic!("{run}"))
        .to_string()
}

#[test]
fn dbmate_half_applied_by_dbmate_the_rest_by_pgstep() {
    let db = fresh_db();
    let dir = Dir::new();
    dbmate_files(&dir, 0..2);
    dbmate(&db, &dir, "migrate").expect(0);
    dbmate_files(&dir, 2..4);
    assert_eq!(
        sources(&db, &dir),
        [all("applied", "dbmate", 2), all("pending", "dbmate", 2)].concat()
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(dbmate_pending(&db, &dir), "Pending: 0");
    dbmate(&db, &dir, "migrate").expect(0);

    pgstep(&db, &dir, &["down", "--steps", "2", "--yes"]).expect(0);
    assert_eq!(dbmate_pending(&db, &dir), "Pending: 2");
    dbmate(&db, &dir, "migrate").expect(0);
    let pg = Pg::connect(db.url());
    assert!(pg.exists("gamma") && pg.exists("delta"));
    assert_eq!(sources(&db, &dir), all("applied", "dbmate", 4));
}

fn refinery_files(dir: &Dir, range: std::ops::Range<usize>) {
    for i in range {
        let t = TABLES[i];
        dir.write(
            &format!("V{}__create_{t}.sql", i + 1),
            &format!("CREATE TABLE {t} (id int);\n"),
        );
    }
}

fn refinery(db: &TestDb, dir: &Dir, extra: &[&str]) -> support::migrations::Run {
    let mut args = vec!["migrate", "-e", "DATABASE_URL", "-p", "."];
    args.extend_from_slice(extra);
    REFINERY.run(dir.path(), db.url(), &args)
}

fn refinery_rows(pg: &Pg) -> Vec<Vec<Option<String>>> {
    pg.rows("SELECT version::text, name, checksum FROM refinery_schema_history ORDER BY version")
}

#[test]
fn refinery_half_applied_by_refinery_the_rest_by_pgstep() {
    let db = fresh_db();
    let dir = Dir::new();
    refinery_files(&dir, 0..2);
    refinery(&db, &dir, &[]).expect(0);
    refinery_files(&dir, 2..4);
    assert_eq!(
        sources(&db, &dir),
        [all("applied", "refinery", 2), all("pending", "refinery", 2)].concat()
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    // refinery, strict about changed and missing migrations, has nothing to do.
    refinery(&db, &dir, &["-d", "-m"]).expect(0);
    let pg = Pg::connect(db.url());
    let oracle = fresh_db();
    refinery(&oracle, &dir, &[]).expect(0);
    assert_eq!(
        refinery_rows(&pg),
        refinery_rows(&Pg::connect(oracle.url()))
    );
    let applied_on = pg.value("SELECT applied_on FROM refinery_schema_history WHERE version = 4");
    let applied_on = applied_on.unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&applied_on).is_ok() && applied_on.ends_with('Z'),
        "{applied_on}"
    );
}

#[test]
fn refinery_checksum_changed_is_drift() {
    let db = fresh_db();
    let dir = Dir::new();
    refinery_files(&dir, 0..2);
    refinery(&db, &dir, &[]).expect(0);
    dir.write(
        "V2__create_beta.sql",
        "CREATE TABLE beta (id int, x int);\n",
    );
    let json = status_json(&db, &dir);
    assert_eq!(json["migrations"][1]["state"], "drifted", "{json}");
    assert_ne!(refinery(&db, &dir, &["-d"]).code, Some(0));
    pgstep(
        &db,
        &dir,
        &["accept", "2", "--reason", "column added by hand", "--yes"],
    )
    .expect(0);
    refinery(&db, &dir, &["-d", "-m"]).expect(0);
}

fn diesel_files(dir: &Dir, range: std::ops::Range<usize>) {
    for i in range {
        let t = TABLES[i];
        let d = format!("2024-01-01-00000{}_create_{t}", i + 1);
        std::fs::create_dir_all(dir.path().join(&d)).expect("a migration directory");
        dir.write(
            &format!("{d}/up.sql"),
            &format!("CREATE TABLE {t} (id int);\n"),
        );
        dir.write(&format!("{d}/down.sql"), &format!("DROP TABLE {t};\n"));
    }
}

fn diesel(db: &TestDb, dir: &Dir, command: &str) -> support::migrations::Run {
    let url = support::tools::tool_url(db.url());
    let dir_arg = dir.path().display().to_string();
    // Run from the directory's parent, where no diesel.toml asks it to write a schema.
    let cwd = dir.path().parent().expect("parent").to_path_buf();
    DIESEL.run(
        &cwd,
        db.url(),
        &[
            "migration",
            command,
            "--database-url",
            &url,
            "--migration-dir",
            &dir_arg,
        ],
    )
}

fn diesel_pending(db: &TestDb, dir: &Dir) -> usize {
    let run = diesel(db, dir, "list").expect(0);
    run.stdout.lines().filter(|l| l.contains("[ ]")).count()
}

#[test]
fn diesel_half_applied_by_diesel_the_rest_by_pgstep() {
    let db = fresh_db();
    let dir = Dir::new();
    diesel_files(&dir, 0..2);
    diesel(&db, &dir, "run").expect(0);
    diesel_files(&dir, 2..4);
    assert_eq!(
        sources(&db, &dir),
        [all("applied", "diesel", 2), all("pending", "diesel", 2)].concat()
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(diesel_pending(&db, &dir), 0);
    diesel(&db, &dir, "run").expect(0);

    pgstep(&db, &dir, &["down", "--steps", "2", "--yes"]).expect(0);
    assert_eq!(diesel_pending(&db, &dir), 2);
    diesel(&db, &dir, "run").expect(0);
    let pg = Pg::connect(db.url());
    assert!(pg.exists("gamma") && pg.exists("delta"));
    assert_eq!(sources(&db, &dir), all("applied", "diesel", 4));
}

/// On a fresh database, a Diesel folder is Diesel's alone: pgstep makes Diesel's table as
/// Diesel makes it and records each migration it applies there, so `diesel migration
/// list` sees them applied, `run` has nothing to do, and a `revert` is seen by pgstep.
#[test]
fn a_fresh_database_gets_diesels_table_with_pgsteps_own() {
    let (db, by_diesel) = (fresh_db(), fresh_db());
    let dir = Dir::new();
    diesel_files(&dir, 0..3);
    // Reading changes nothing: the table comes with pgstep's first change.
    assert_eq!(sources(&db, &dir), all("pending", "diesel", 3));
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("__diesel_schema_migrations"));
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(diesel_pending(&db, &dir), 0);
    diesel(&db, &dir, "run").expect(0);
    assert_eq!(
        pg.count("SELECT count(*) FROM __diesel_schema_migrations"),
        3
    );
    diesel(&by_diesel, &dir, "run").expect(0);
    assert_eq!(
        pg.table_shape("__diesel_schema_migrations"),
        Pg::connect(by_diesel.url()).table_shape("__diesel_schema_migrations")
    );

    diesel(&db, &dir, "revert").expect(0);
    assert!(!pg.exists("gamma"));
    assert_eq!(
        sources(&db, &dir),
        [all("applied", "diesel", 2), all("pending", "diesel", 1)].concat()
    );
}

/// `.up.sql`/`.down.sql` pairs are golang-migrate's and sqlx's alike: with `adopt = "sqlx"`
/// in the configuration, a fresh database gets sqlx's table, made as sqlx makes it, with the
/// rows sqlx writes.
#[test]
fn adopt_sqlx_on_a_fresh_database_makes_sqlxs_table() {
    let (db, by_sqlx) = (fresh_db(), fresh_db());
    let dir = Dir::new();
    sqlx_files(&dir, 0..3);
    let config_dir = Dir::new();
    let config = config_dir.write("pgstep.toml", "adopt = \"sqlx\"\n");
    let with_config = |args: &[&str]| {
        let mut all = vec!["--url", db.url()];
        all.extend_from_slice(args);
        let child = support::migrations::command_with_config(&config, dir.path(), &all)
            .spawn()
            .expect("pgstep starts");
        support::migrations::finish(child)
    };
    with_config(&["up"]).expect(0);
    assert_eq!(sqlx_pending(&db, &dir), 0);
    SQLX.run(dir.path(), db.url(), &["migrate", "run", "--source", "."])
        .expect(0);
    SQLX.run(
        dir.path(),
        by_sqlx.url(),
        &["migrate", "run", "--source", "."],
    )
    .expect(0);
    let (pg, oracle) = (Pg::connect(db.url()), Pg::connect(by_sqlx.url()));
    assert_eq!(sqlx_rows(&pg), sqlx_rows(&oracle));
    assert_eq!(
        pg.table_shape("_sqlx_migrations"),
        oracle.table_shape("_sqlx_migrations")
    );

    SQLX.run(
        dir.path(),
        db.url(),
        &["migrate", "revert", "--source", "."],
    )
    .expect(0);
    assert!(!pg.exists("gamma"));
    let run = with_config(&["status", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let states: Vec<&str> = json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| m["state"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(states, ["applied", "applied", "pending"]);
}
