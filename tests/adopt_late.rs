//! A tool's table that appears after pgstep applied phases without writing one (an up/down
//! folder with no `adopt` choice, a database pgstep migrated before it kept tools' tables):
//! a developer runs `sqlx migrate info` or `dbmate status`, which makes the tool's table,
//! empty. That table's silence is not a rollback: pgstep's record says applied, `up` runs
//! none of them again and records them in the tool's table as the tool would, after which
//! the real tool agrees. A rollback by the tool after that is still one.

mod support;

use std::path::Path;

use support::migrations::{Dir, Pg, Run, command_with_config, finish, fleet, fleet_of, pgstep};
use support::tools::{GOLANG_TABLE, REFINERY, SQLX, dbmate, golang_row, sqlx_rows};
use support::{TestDb, fresh_db};

/// Two tables, a data migration that inserts one row, then a third table.
fn sqlx_files(dir: &Dir, upto: usize) {
    let files = [
        (
            "1_create_alpha",
            "CREATE TABLE alpha (id int);\n",
            "DROP TABLE alpha;\n",
        ),
        (
            "2_create_beta",
            "CREATE TABLE beta (id int);\n",
            "DROP TABLE beta;\n",
        ),
        (
            "3_seed_alpha",
            "INSERT INTO alpha VALUES (1);\n",
            "DELETE FROM alpha WHERE id = 1;\n",
        ),
        (
            "4_create_gamma",
            "CREATE TABLE gamma (id int);\n",
            "DROP TABLE gamma;\n",
        ),
    ];
    for (name, up, down) in &files[..upto] {
        dir.write(&format!("{name}.up.sql"), up);
        dir.write(&format!("{name}.down.sql"), down);
    }
}

/// pgstep with `pgstep.toml` saying `text`.
fn with_config(db: &TestDb, dir: &Dir, text: &str, args: &[&str]) -> Run {
    let config_dir = Dir::new();
    let config = config_dir.write("pgstep.toml", text);
    let mut all = vec!["--url", db.url()];
    all.extend_from_slice(args);
    finish(
        command_with_config(&config, dir.path(), &all)
            .spawn()
            .expect("pgstep starts"),
    )
}

/// Each migration's (version, state, source, before_adoption, undone_by_tool).
fn phases(run: Run) -> Vec<(String, String, String, bool, bool)> {
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            let b = |k: &str| m[k].as_bool().unwrap_or_else(|| panic!("{k} in {m}"));
            (
                s("version"),
                s("state"),
                s("source"),
                b("before_adoption"),
                b("undone_by_tool"),
            )
        })
        .collect()
}

fn p(
    v: &str,
    state: &str,
    source: &str,
    before: bool,
    undone: bool,
) -> (String, String, String, bool, bool) {
    (v.into(), state.into(), source.into(), before, undone)
}

/// `versions` all applied, by `source`'s record; `before`: applied by pgstep before it
/// adopted the tool's table.
fn applied(
    versions: &[&str],
    source: &str,
    before: bool,
) -> Vec<(String, String, String, bool, bool)> {
    versions
        .iter()
        .map(|v| p(v, "applied", source, before, false))
        .collect()
}

/// The four phases applied once each (phase 3 seeds `alpha`), and golang-migrate's one row
/// at the newest: the tool sees them all applied.
fn all_four_recorded_by_golang_migrate(db: &TestDb, dir: &Dir, pg: &Pg) {
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    assert_eq!(
        golang_row(pg),
        vec![vec![Some("4".into()), Some("false".into())]]
    );
    assert_eq!(
        phases(pgstep(db, dir, &["status", "--json"]).expect(0)),
        applied(&["1", "2", "3", "4"], "golang-migrate", false)
    );
}

fn sqlx(dir: &Path, db: &TestDb, command: &str) -> Run {
    SQLX.run(dir, db.url(), &["migrate", command, "--source", "."])
}

#[test]
fn sqlx_table_made_after_pgstep_applied_is_not_a_rollback() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 3);
    // No adopt choice: an up/down folder is golang-migrate's and sqlx's alike.
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("_sqlx_migrations"));
    // A developer looks with sqlx, which makes its table on the way.
    let info = sqlx(dir.path(), &db, "info").expect(0);
    assert!(pg.exists("_sqlx_migrations"), "{info}");
    assert_eq!(pg.count("SELECT count(*) FROM _sqlx_migrations"), 0);

    let adopt = "adopt = \"sqlx\"\n";
    assert_eq!(
        phases(with_config(&db, &dir, adopt, &["status", "--json"]).expect(0)),
        vec![
            p("1", "applied", "pgstep", true, false),
            p("2", "applied", "pgstep", true, false),
            p("3", "applied", "pgstep", true, false),
        ]
    );
    let text = with_config(&db, &dir, adopt, &["status"]).expect(0);
    assert_eq!(
        text.stdout
            .matches("applied by pgstep before it adopted sqlx's table; not in sqlx's table")
            .count(),
        3,
        "{text}"
    );

    sqlx_files(&dir, 4);
    let up = with_config(&db, &dir, adopt, &["up"]).expect(0);
    assert!(
        up.all()
            .contains("recorded in sqlx's table, applied by pgstep before it adopted it: 1, 2, 3"),
        "{up}"
    );
    // The data migration ran once, the new phase ran.
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    assert!(pg.exists("gamma"));
    let logged = pg.own_events_of("recorded-in-tool");
    assert_eq!(logged.len(), 1);
    assert_eq!(
        logged[0].details["versions"],
        serde_json::json!(["1", "2", "3"])
    );
    assert_eq!(
        phases(with_config(&db, &dir, adopt, &["status", "--json"]).expect(0)),
        applied(&["1", "2", "3", "4"], "sqlx", false)
    );

    // sqlx agrees: nothing pending, nothing to run, the rows it writes itself.
    let info = sqlx(dir.path(), &db, "info").expect(0);
    assert_eq!(info.stdout.matches("installed").count(), 4, "{info}");
    assert!(!info.stdout.contains("pending"), "{info}");
    let run = sqlx(dir.path(), &db, "run").expect(0);
    assert!(!run.all().contains("Applied"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    let oracle = fresh_db();
    sqlx(dir.path(), &oracle, "run").expect(0);
    assert_eq!(sqlx_rows(&pg), sqlx_rows(&Pg::connect(oracle.url())));

    // What sqlx rolls back afterwards is a rollback, the phase recorded late included.
    sqlx(dir.path(), &db, "revert").expect(0);
    sqlx(dir.path(), &db, "revert").expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 0);
    assert_eq!(
        phases(with_config(&db, &dir, adopt, &["status", "--json"]).expect(0)),
        vec![
            p("1", "applied", "sqlx", false, false),
            p("2", "applied", "sqlx", false, false),
            p("3", "pending", "sqlx", false, true),
            p("4", "pending", "sqlx", false, true),
        ]
    );
    with_config(&db, &dir, adopt, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    assert!(
        !sqlx(dir.path(), &db, "info")
            .expect(0)
            .stdout
            .contains("pending")
    );
}

fn dbmate_files(dir: &Dir) {
    let files = [
        (
            "20240101000001_create_alpha",
            "CREATE TABLE alpha (id int);",
            "DROP TABLE alpha;",
        ),
        (
            "20240101000002_create_beta",
            "CREATE TABLE beta (id int);",
            "DROP TABLE beta;",
        ),
        (
            "20240101000003_seed_alpha",
            "INSERT INTO alpha VALUES (1);",
            "DELETE FROM alpha WHERE id = 1;",
        ),
    ];
    for (name, up, down) in files {
        dir.write(
            &format!("{name}.sql"),
            &format!("-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"),
        );
    }
}

#[test]
fn dbmate_table_made_after_pgstep_applied_is_not_a_rollback() {
    let db = fresh_db();
    let dir = Dir::new();
    dbmate_files(&dir);
    // A database pgstep migrated while it kept no tool's table.
    pgstep(&db, &dir, &["up", "--adopt", "none"]).expect(0);
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("public.schema_migrations"));
    // `dbmate status` makes no table; `dbmate migrate` makes it, then fails on the first
    // migration, whose table is there, leaving its table empty.
    let run = dbmate(&db, &dir, "migrate");
    assert_ne!(run.code, Some(0), "{run}");
    assert!(pg.exists("public.schema_migrations"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM public.schema_migrations"), 0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);

    let versions = ["20240101000001", "20240101000002", "20240101000003"];
    assert_eq!(
        phases(pgstep(&db, &dir, &["status", "--json"]).expect(0)),
        applied(&versions, "pgstep", true)
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    let status = dbmate(&db, &dir, "status").expect(0);
    assert!(status.stdout.contains("Applied: 3"), "{status}");
    assert!(status.stdout.contains("Pending: 0"), "{status}");
    dbmate(&db, &dir, "migrate").expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    assert_eq!(
        phases(pgstep(&db, &dir, &["status", "--json"]).expect(0)),
        applied(&versions, "dbmate", false)
    );

    // dbmate's rollback afterwards is one.
    dbmate(&db, &dir, "rollback").expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 0);
    let after = phases(pgstep(&db, &dir, &["status", "--json"]).expect(0));
    assert_eq!(after[2], p(versions[2], "pending", "dbmate", false, true));
}

/// A tool's table pgstep made and kept from the start: what the tool rolls back is pending
/// again, and said to be the tool's doing.
#[test]
fn a_rollback_by_the_tool_after_adoption_is_still_one() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 3);
    let adopt = "adopt = \"sqlx\"\n";
    with_config(&db, &dir, adopt, &["up"]).expect(0);
    sqlx(dir.path(), &db, "revert").expect(0);
    let pg = Pg::connect(db.url());
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 0);
    assert_eq!(
        phases(with_config(&db, &dir, adopt, &["status", "--json"]).expect(0)),
        vec![
            p("1", "applied", "sqlx", false, false),
            p("2", "applied", "sqlx", false, false),
            p("3", "pending", "sqlx", false, true),
        ]
    );
    let text = with_config(&db, &dir, adopt, &["status"]).expect(0);
    assert!(
        text.stdout
            .contains("pgstep applied it; sqlx has rolled it back since"),
        "{text}"
    );
    with_config(&db, &dir, adopt, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    assert!(pg.own_events_of("recorded-in-tool").is_empty());
}

/// `V1__x.sql` files are Flyway's and refinery's alike: pgstep applied them alone, then
/// refinery, run on the database, made its table and stopped at the first migration.
#[test]
fn refinery_table_made_after_pgstep_applied_is_not_a_rollback() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("V1__create_alpha.sql", "CREATE TABLE alpha (id int);\n");
    dir.write("V2__seed_alpha.sql", "INSERT INTO alpha VALUES (1);\n");
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    let refinery = |db: &TestDb| {
        REFINERY.run(
            dir.path(),
            db.url(),
            &["migrate", "-e", "DATABASE_URL", "-p", ".", "-d", "-m"],
        )
    };
    let run = refinery(&db);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(pg.exists("refinery_schema_history"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM refinery_schema_history"), 0);

    assert_eq!(
        phases(pgstep(&db, &dir, &["status", "--json"]).expect(0)),
        vec![
            p("1", "applied", "pgstep", true, false),
            p("2", "applied", "pgstep", true, false),
        ]
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    // refinery, strict about changed and missing migrations, has nothing to do.
    refinery(&db).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    let oracle = fresh_db();
    refinery(&oracle).expect(0);
    let rows = |pg: &Pg| {
        pg.rows("SELECT version::text, name, checksum FROM refinery_schema_history ORDER BY 1")
    };
    assert_eq!(rows(&pg), rows(&Pg::connect(oracle.url())));
}

/// golang-migrate's postgres driver makes its table when it starts: its one row, once
/// pgstep records what it applied before, says the newest of them, clean.
#[test]
fn golang_migrate_table_made_after_pgstep_applied_gets_its_one_row() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 3);
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    assert_eq!(
        phases(pgstep(&db, &dir, &["status", "--json"]).expect(0)),
        applied(&["1", "2", "3"], "pgstep", true)
    );
    sqlx_files(&dir, 4);
    pgstep(&db, &dir, &["up"]).expect(0);
    all_four_recorded_by_golang_migrate(&db, &dir, &pg);
}

/// `pgstep fleet NAME up` records them too, on the target whose tool's table appeared, even
/// with nothing to apply there; the other target is left as it was.
#[test]
fn a_fleet_up_records_them_on_the_target_that_needs_it() {
    let (dbs, config) = fleet_of(2, "");
    let dir = Dir::new();
    sqlx_files(&dir, 3);
    fleet(&config, &dir, &["fleet", "t", "up", "--yes"]).expect(0);
    sqlx(dir.path(), &dbs[0], "info").expect(0);
    let run = fleet(&config, &dir, &["fleet", "t", "up", "--yes"]).expect(0);
    assert!(
        run.stderr
            .contains("recorded in sqlx's table, applied by pgstep before it adopted it: 1, 2, 3"),
        "{run}"
    );
    let info = sqlx(dir.path(), &dbs[0], "info").expect(0);
    assert_eq!(info.stdout.matches("installed").count(), 3, "{info}");
    let (first, second) = (Pg::connect(dbs[0].url()), Pg::connect(dbs[1].url()));
    assert_eq!(first.count("SELECT count(*) FROM alpha"), 1);
    assert_eq!(second.count("SELECT count(*) FROM alpha"), 1);
    assert!(!second.exists("_sqlx_migrations"));
}

/// golang-migrate's one row says every version up to it is applied: with a phase below the
/// ones pgstep applied before the table appeared still pending, the row stops under it, and
/// `up --allow-out-of-order` records the rest once that phase is applied.
#[test]
fn golang_migrates_row_never_passes_a_phase_not_applied() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 4);
    dir.remove("3_seed_alpha.up.sql");
    dir.remove("3_seed_alpha.down.sql");
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    sqlx_files(&dir, 4);
    let status = phases(pgstep(&db, &dir, &["status", "--json"]).expect(0));
    assert_eq!(
        status[2],
        p("3", "out-of-order", "golang-migrate", false, false)
    );
    // Refused as out of order, before anything is written.
    let run = pgstep(&db, &dir, &["up"]);
    assert_ne!(run.code, Some(0), "{run}");
    assert!(pg.rows("SELECT version FROM schema_migrations").is_empty());

    let run = pgstep(&db, &dir, &["up", "--allow-out-of-order"]).expect(0);
    assert!(
        run.stderr.contains(
            "recorded in golang-migrate's table, applied by pgstep before it adopted it: 1, 2\n"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "recorded in golang-migrate's table, applied by pgstep before it adopted it: 4\n"
        ),
        "{run}"
    );
    all_four_recorded_by_golang_migrate(&db, &dir, &pg);
}

/// `pgstep down` rolls back a phase applied before the tool's table appeared like any
/// applied one; the next `up` applies it again with the tool's record and records the
/// others.
#[test]
fn down_rolls_back_a_phase_applied_before_the_tools_table() {
    let db = fresh_db();
    let dir = Dir::new();
    sqlx_files(&dir, 3);
    pgstep(&db, &dir, &["up"]).expect(0);
    sqlx(dir.path(), &db, "info").expect(0);
    let adopt = "adopt = \"sqlx\"\n";
    with_config(&db, &dir, adopt, &["down", "--steps", "1", "--yes"]).expect(0);
    let pg = Pg::connect(db.url());
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 0);
    assert_eq!(
        phases(with_config(&db, &dir, adopt, &["status", "--json"]).expect(0)),
        vec![
            p("1", "applied", "pgstep", true, false),
            p("2", "applied", "pgstep", true, false),
            p("3", "pending", "sqlx", false, false),
        ]
    );
    with_config(&db, &dir, adopt, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM alpha"), 1);
    let info = sqlx(dir.path(), &db, "info").expect(0);
    assert_eq!(info.stdout.matches("installed").count(), 3, "{info}");
}
