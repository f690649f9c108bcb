//! The tool's table made by pgstep on a fresh database for the tools a layout does not name
//! alone: chosen with `--adopt`, made as the tool makes it, and refused where pgstep's
//! history is already kept.

mod support;

use support::migrations::{Dir, Pg, pgstep};
use support::tools::{GOLANG_TABLE, REFINERY};
use support::{TestDb, fresh_db};

const TABLES: [&str; 3] = ["alpha", "beta", "gamma"];

fn updown_files(dir: &Dir) {
    for (i, t) in TABLES.iter().enumerate() {
        dir.write(
            &format!("{}_create_{t}.up.sql", i + 1),
            &format!("CREATE TABLE {t} (id int);\n"),
        );
        dir.write(
            &format!("{}_create_{t}.down.sql", i + 1),
            &format!("DROP TABLE {t};\n"),
        );
    }
}

fn versioned_files(dir: &Dir) {
    for (i, t) in TABLES.iter().enumerate() {
        dir.write(
            &format!("V{}__create_{t}.sql", i + 1),
            &format!("CREATE TABLE {t} (id int);\n"),
        );
    }
}

/// Every phase's state and source, in order.
fn states(db: &TestDb, dir: &Dir, adopt: &str) -> Vec<(String, String)> {
    let run = pgstep(db, dir, &["status", "--json", "--adopt", adopt]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (s("state"), s("source"))
        })
        .collect()
}

#[test]
fn chosen_golang_migrate_gets_its_table_and_its_one_row() {
    let (db, by_tool) = (fresh_db(), fresh_db());
    let dir = Dir::new();
    updown_files(&dir);
    pgstep(&db, &dir, &["up", "--adopt", "golang-migrate"]).expect(0);
    let pg = Pg::connect(db.url());
    let oracle = Pg::connect(by_tool.url());
    oracle.exec(GOLANG_TABLE);
    assert_eq!(
        pg.table_shape("public.schema_migrations"),
        oracle.table_shape("public.schema_migrations")
    );
    let row = "SELECT version::text, dirty::text FROM public.schema_migrations";
    assert_eq!(
        pg.rows(row),
        [[Some("3".to_string()), Some("false".to_string())]]
    );
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(
        pg.rows(row),
        [[Some("2".to_string()), Some("false".to_string())]]
    );
    let g = || ("applied".to_string(), "golang-migrate".to_string());
    assert_eq!(
        states(&db, &dir, "golang-migrate"),
        [g(), g(), ("pending".into(), "golang-migrate".into())]
    );
}

fn refinery(db: &TestDb, dir: &Dir, extra: &[&str]) -> support::migrations::Run {
    let mut args = vec!["migrate", "-e", "DATABASE_URL", "-p", "."];
    args.extend_from_slice(extra);
    REFINERY.run(dir.path(), db.url(), &args)
}

#[test]
fn chosen_refinery_gets_its_table_as_refinery_makes_it() {
    let (db, by_tool) = (fresh_db(), fresh_db());
    let dir = Dir::new();
    versioned_files(&dir);
    pgstep(&db, &dir, &["up", "--adopt", "refinery"]).expect(0);
    // refinery, strict about changed and missing migrations, has nothing to do.
    refinery(&db, &dir, &["-d", "-m"]).expect(0);
    refinery(&by_tool, &dir, &[]).expect(0);
    let (pg, oracle) = (Pg::connect(db.url()), Pg::connect(by_tool.url()));
    let rows = "SELECT version::text, name, checksum FROM refinery_schema_history ORDER BY 1";
    assert_eq!(pg.rows(rows), oracle.rows(rows));
    assert_eq!(
        pg.table_shape("refinery_schema_history"),
        oracle.table_shape("refinery_schema_history")
    );
}

/// Without a choice, `V1__x.sql` files are Flyway's or refinery's: no tool's table.
#[test]
fn files_two_tools_share_get_no_tools_table_unless_chosen() {
    let db = fresh_db();
    let dir = Dir::new();
    versioned_files(&dir);
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    for t in ["refinery_schema_history", "flyway_schema_history"] {
        assert!(!pg.exists(t), "{t} was created");
    }
    assert_eq!(pg.count("SELECT count(*) FROM pgstep.history"), 3);
}

/// Flyway's `PostgreSQLDatabase.getRawCreateScript` (Flyway 5 and later, no baseline, no
/// tablespace) for its default table in `public`.
const FLYWAY_TABLE: &str = "CREATE TABLE \"public\".\"flyway_schema_history\" (
    \"installed_rank\" INT NOT NULL,
    \"version\" VARCHAR(50),
    \"description\" VARCHAR(200) NOT NULL,
    \"type\" VARCHAR(20) NOT NULL,
    \"script\" VARCHAR(1000) NOT NULL,
    \"checksum\" INTEGER,
    \"installed_by\" VARCHAR(100) NOT NULL,
    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),
    \"execution_time\" INTEGER NOT NULL,
    \"success\" BOOLEAN NOT NULL
);
ALTER TABLE \"public\".\"flyway_schema_history\" ADD CONSTRAINT \"flyway_schema_history_pk\" PRIMARY KEY (\"installed_rank\");
CREATE INDEX \"flyway_schema_history_s_idx\" ON \"public\".\"flyway_schema_history\" (\"success\");";

/// Flyway chosen on a fresh database: its table as Flyway makes it, its index included, and
/// a row per migration as Flyway writes them.
#[test]
fn chosen_flyway_gets_its_table_as_flyway_makes_it() {
    let (db, by_tool) = (fresh_db(), fresh_db());
    let dir = Dir::new();
    versioned_files(&dir);
    pgstep(&db, &dir, &["up", "--adopt", "flyway"]).expect(0);
    let (pg, oracle) = (Pg::connect(db.url()), Pg::connect(by_tool.url()));
    oracle.exec(FLYWAY_TABLE);
    assert_eq!(
        pg.table_shape("public.flyway_schema_history"),
        oracle.table_shape("public.flyway_schema_history")
    );
    let index = "SELECT indexname::text, indexdef FROM pg_indexes \
                 WHERE tablename = 'flyway_schema_history' ORDER BY 1";
    assert_eq!(pg.rows(index), oracle.rows(index));
    assert_eq!(
        pg.rows(
            "SELECT installed_rank::text, version, script, type, success::text \
             FROM flyway_schema_history ORDER BY installed_rank"
        ),
        (1..=3)
            .map(|i| {
                let t = TABLES[i - 1];
                vec![
                    Some(i.to_string()),
                    Some(i.to_string()),
                    Some(format!("V{i}__create_{t}.sql")),
                    Some("SQL".to_string()),
                    Some("true".to_string()),
                ]
            })
            .collect::<Vec<_>>()
    );
}

/// A database pgstep already keeps gets no tool's table later: the tool's table would say
/// nothing of what pgstep applied before it.
#[test]
fn a_database_with_pgsteps_tables_gets_no_tools_table_added() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    pgstep(&db, &dir, &["up"]).expect(0);
    let run = pgstep(&db, &dir, &["status", "--adopt", "sqlx"]).expect(2);
    assert!(
        run.stderr.contains("no sqlx history table")
            && run
                .stderr
                .contains("only on a database without its own tables"),
        "{run}"
    );
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("_sqlx_migrations"));
}

/// What the console asks before its first change: nothing for a dbmate table pgstep is to
/// make (nothing was read), nothing after pgstep made it (the log says so), and the typed
/// confirmation for a table dbmate made.
#[test]
fn the_first_change_asks_nothing_for_a_table_pgstep_makes() {
    use pgstep::adopt::Choice;
    use pgstep::conninfo::{self, Inputs};
    use pgstep::engine::{Engine, Operator, Placement, Settings, Tables, UpOptions};

    let dir = Dir::new();
    dir.write(
        "20240101000000_a.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n",
    );
    let plan = pgstep::plan::load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let (db, by_dbmate) = (fresh_db(), fresh_db());
    Pg::connect(by_dbmate.url())
        .exec("create table if not exists public.schema_migrations (version varchar primary key)");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let open = |url: &str| {
        rt.block_on(async {
            let params = conninfo::resolve(&Inputs::from_process(Some(url.to_string())))
                .unwrap_or_else(|e| panic!("{e}"));
            let (client, _conn) = conninfo::connect(&params)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let placement = Placement {
                named: Tables::default(),
                named_by_user: false,
                adopted: false,
                dir: dir.path(),
            };
            let placed = Tables::place_with_tool(&client, placement, Choice::Detect)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let mut engine = Engine::open(
                client,
                placed.tables,
                Settings::default(),
                Operator::current(),
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            engine.adopt(placed.tool);
            engine
        })
    };
    let pending = |e: &Engine| rt.block_on(e.first_change_pending()).expect("read");

    let engine = open(db.url());
    assert!(!pending(&engine));
    rt.block_on(engine.up(&plan, &UpOptions::default(), &mut |_| {}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!pending(&engine));
    assert!(!pending(&open(db.url())));
    assert!(pending(&open(by_dbmate.url())));
}

/// sqlx's table named in the project's `sqlx.toml` is the one pgstep makes, with the rows
/// sqlx writes. (The sqlx-cli here is built without its `sqlx-toml` feature, so sqlx itself
/// reads the rows from its default table on a second database, from the same files.)
#[test]
fn sqlx_toml_names_the_table_pgstep_makes() {
    let (db, by_sqlx) = (fresh_db(), fresh_db());
    let project = Dir::new();
    project.write("sqlx.toml", "[migrate]\ntable-name = \"sqlx_history\"\n");
    std::fs::create_dir(project.path().join("migrations")).expect("migrations");
    let plain = Dir::new();
    updown_files(&plain);
    for entry in std::fs::read_dir(plain.path()).expect("files") {
        let from = entry.expect("a file").path();
        let name = from
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        std::fs::copy(&from, project.path().join("migrations").join(name)).expect("copied");
    }
    let dir = project.path().join("migrations");
    let child = support::migrations::command(db.url(), &dir, &["up", "--adopt", "sqlx"])
        .spawn()
        .expect("pgstep starts");
    support::migrations::finish(child).expect(0);
    support::tools::SQLX
        .run(
            plain.path(),
            by_sqlx.url(),
            &["migrate", "run", "--source", "."],
        )
        .expect(0);
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("_sqlx_migrations"));
    let rows = |table: &str| {
        format!(
            "SELECT version::text, description, success::text, encode(checksum, 'hex') \
             FROM public.{table} ORDER BY version"
        )
    };
    assert_eq!(
        pg.rows(&rows("sqlx_history")),
        Pg::connect(by_sqlx.url()).rows(&rows("_sqlx_migrations"))
    );
}
