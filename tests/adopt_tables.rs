//! Tools that cannot be installed here (golang-migrate, Flyway) through their tables, made
//! exactly as their sources make them; and what pgstep refuses: two tools' tables at once,
//! a history table of no known tool. A project without a tool stays pgstep-only.

mod support;

use support::migrations::{Dir, Pg, pgstep};
use support::tools::{GOLANG_TABLE, golang_row};
use support::{TestDb, fresh_db};

/// `database/postgres/postgres.go`'s `ensureVersionTable`.
/// Flyway's `createMetaDataTable.sql` for PostgreSQL, with `${table}` filled in.
fn flyway_table(table: &str) -> String {
    format!(
        "CREATE TABLE \"public\".\"{table}\" (
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
        ALTER TABLE \"public\".\"{table}\" ADD CONSTRAINT \"{table}_pk\" PRIMARY KEY (\"installed_rank\");
        CREATE INDEX \"{table}_s_idx\" ON \"public\".\"{table}\" (\"success\");"
    )
}

/// Flyway's checksum, restated from `ChecksumCalculator`: CRC-32 of the lines, line breaks
/// dropped, as a signed integer.
fn flyway_crc(text: &str) -> i32 {
    let mut h = crc32fast::Hasher::new();
    for line in text.lines() {
        h.update(line.as_bytes());
    }
    h.finalize() as i32
}

const TABLES: [&str; 4] = ["alpha", "beta", "gamma", "delta"];

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

fn states(db: &TestDb, dir: &Dir, extra: &[&str]) -> Vec<(String, String, String)> {
    let mut args = vec!["status", "--json"];
    args.extend_from_slice(extra);
    let run = pgstep(db, dir, &args).expect(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    json["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (s("version"), s("state"), s("source"))
        })
        .collect()
}

fn row(v: &str, state: &str, source: &str) -> (String, String, String) {
    (v.into(), state.into(), source.into())
}

#[test]
fn golang_migrate_one_row_moves_with_every_phase() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    pg.exec("CREATE TABLE alpha (id int); CREATE TABLE beta (id int);");
    pg.exec("INSERT INTO schema_migrations VALUES (2, false)");
    let g = "golang-migrate";
    assert_eq!(
        states(&db, &dir, &[]),
        vec![
            row("1", "applied", g),
            row("2", "applied", g),
            row("3", "pending", g),
            row("4", "pending", g)
        ]
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("4".into()), Some("false".into())]]
    );
    // One row cannot say 2 is pending while 3 and 4 are applied.
    let run = pgstep(
        &db,
        &dir,
        &["mark", "2", "pending", "--reason", "r", "--yes"],
    )
    .expect(6);
    assert!(
        run.stderr.contains("golang-migrate records one version"),
        "{run}"
    );
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("4".into()), Some("false".into())]]
    );
    // Down goes back to the version before, as golang-migrate's down does; the first's down
    // empties the table.
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("3".into()), Some("false".into())]]
    );
    pgstep(&db, &dir, &["down", "--steps", "3", "--yes"]).expect(0);
    assert!(golang_row(&pg).is_empty());
    assert!(!pg.exists("alpha"));
}

#[test]
fn golang_migrate_dirty_is_dirty_and_a_non_transactional_phase_is_dirty_first() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    pg.exec("CREATE TABLE alpha (id int); CREATE TABLE beta (id int);");
    pg.exec("INSERT INTO schema_migrations VALUES (2, true)");
    let g = "golang-migrate";
    assert_eq!(states(&db, &dir, &[])[1], row("2", "dirty", g));
    pgstep(&db, &dir, &["up"]).expect(6);
    pgstep(
        &db,
        &dir,
        &[
            "mark",
            "2",
            "applied",
            "--reason",
            "checked by hand",
            "--yes",
        ],
    )
    .expect(0);
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("2".into()), Some("false".into())]]
    );

    // A non-transactional phase that fails part-way leaves the version dirty, as
    // golang-migrate marks it dirty before it runs.
    dir.write(
        "3_create_gamma.up.sql",
        "-- no-transaction\nCREATE TABLE gamma (id int);\nCREATE INDEX CONCURRENTLY nope ON missing (id);\n",
    );
    pgstep(&db, &dir, &["up"]).expect(4);
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("3".into()), Some("true".into())]]
    );
    assert_eq!(states(&db, &dir, &[])[2], row("3", "dirty", "pgstep"));
}

#[test]
fn golang_migrate_version_without_its_file_is_missing() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    pg.exec("INSERT INTO schema_migrations VALUES (9, false)");
    let s = states(&db, &dir, &[]);
    assert_eq!(s[4], row("9", "missing", "golang-migrate"));
    assert!(s[..4].iter().all(|r| r.1 == "applied"), "{s:?}");
}

#[test]
fn dbmate_versions_missing_and_out_of_order() {
    let db = fresh_db();
    let dir = Dir::new();
    for v in ["1", "2", "3"] {
        dir.write(
            &format!("2024000{v}_p{v}.sql"),
            &format!(
                "-- migrate:up\nCREATE TABLE p{v} (id int);\n-- migrate:down\nDROP TABLE p{v};\n"
            ),
        );
    }
    let pg = Pg::connect(db.url());
    // dbmate's CreateMigrationsTable.
    pg.exec(
        "create table if not exists public.schema_migrations (version varchar(255) primary key)",
    );
    pg.exec("INSERT INTO schema_migrations VALUES ('20240001'), ('20240003'), ('20240009')");
    let d = "dbmate";
    assert_eq!(
        states(&db, &dir, &[]),
        vec![
            row("20240001", "applied", d),
            row("20240002", "out-of-order", d),
            row("20240003", "applied", d),
            row("20240009", "missing", d),
        ]
    );
}

fn flyway_files(dir: &Dir) {
    for (i, t) in TABLES[..3].iter().enumerate() {
        dir.write(
            &format!("V{}__create_{t}.sql", i + 1),
            &format!("-- the {t} table\r\nCREATE TABLE {t} (id int);\r\n"),
        );
        dir.write(
            &format!("U{}__create_{t}.sql", i + 1),
            &format!("DROP TABLE {t};\n"),
        );
    }
}

fn flyway_rows(pg: &Pg, table: &str) -> Vec<Vec<Option<String>>> {
    pg.rows(&format!(
        "SELECT installed_rank::text, version, description, type, script, checksum::text, \
                (installed_by = current_user)::text, success::text, \
                (execution_time >= 0)::text \
         FROM {table} ORDER BY installed_rank"
    ))
}

fn flyway_row(rank: u32, v: usize, checksum: i32) -> Vec<Option<String>> {
    let t = TABLES[v - 1];
    [
        rank.to_string(),
        v.to_string(),
        format!("create {t}"),
        "SQL".into(),
        format!("V{v}__create_{t}.sql"),
        checksum.to_string(),
        "true".into(),
        "true".into(),
        "true".into(),
    ]
    .into_iter()
    .map(Some)
    .collect()
}

#[test]
fn flyway_rows_are_written_as_flyway_writes_them() {
    for table in ["flyway_schema_history", "schema_version"] {
        let db = fresh_db();
        let dir = Dir::new();
        flyway_files(&dir);
        let pg = Pg::connect(db.url());
        pg.exec(&flyway_table(table));
        let v1 = "-- the alpha table\r\nCREATE TABLE alpha (id int);\r\n";
        pg.exec("CREATE TABLE alpha (id int)");
        pg.exec(&format!(
            "INSERT INTO {table} (installed_rank, version, description, type, script, checksum, \
                                  installed_by, execution_time, success) \
             VALUES (1, '1', 'create alpha', 'SQL', 'V1__create_alpha.sql', {}, current_user, 7, true)",
            flyway_crc(v1)
        ));
        assert_eq!(
            states(&db, &dir, &[])[0],
            row("1", "applied", "flyway"),
            "{table}"
        );
        pgstep(&db, &dir, &["up"]).expect(0);
        let text = |t: &str| format!("-- the {t} table\r\nCREATE TABLE {t} (id int);\r\n");
        let rows = flyway_rows(&pg, table);
        assert_eq!(
            rows[1],
            flyway_row(2, 2, flyway_crc(&text("beta"))),
            "{table}"
        );
        assert_eq!(
            rows[2],
            flyway_row(3, 3, flyway_crc(&text("gamma"))),
            "{table}"
        );

        pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
        assert_eq!(flyway_rows(&pg, table).len(), 2, "{table}");
        pgstep(&db, &dir, &["up"]).expect(0);
        assert_eq!(
            flyway_rows(&pg, table)[2],
            flyway_row(3, 3, flyway_crc(&text("gamma"))),
            "the next rank: {table}"
        );

        // A changed file is drift by Flyway's checksum; accept records it as repair does.
        let edited = "-- the alpha table, edited\nCREATE TABLE alpha (id int);\n";
        dir.write("V1__create_alpha.sql", edited);
        assert_eq!(states(&db, &dir, &[])[0], row("1", "drifted", "flyway"));
        pgstep(&db, &dir, &["accept", "1", "--reason", "comment", "--yes"]).expect(0);
        assert_eq!(
            pg.value(&format!(
                "SELECT checksum::text FROM {table} WHERE version = '1'"
            )),
            Some(flyway_crc(edited).to_string())
        );
        assert_eq!(states(&db, &dir, &[])[0], row("1", "applied", "flyway"));
    }
}

#[test]
fn two_tools_tables_are_refused_until_one_is_named() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
            installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
            checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
         CREATE TABLE refinery_schema_history (version INT4 PRIMARY KEY, name VARCHAR(255),
            applied_on VARCHAR(255), checksum VARCHAR(255));",
    );
    for args in [&["status"][..], &["up"][..]] {
        let run = pgstep(&db, &dir, args).expect(2);
        let all = run.all();
        assert!(
            all.contains("refinery (public.refinery_schema_history)")
                && all.contains("sqlx (public._sqlx_migrations)")
                && all.contains("--adopt TOOL")
                && all.contains("adopt = \"TOOL\""),
            "{run}"
        );
    }
    assert!(!pg.exists("pgstep.history") && !pg.exists("schema_migrations"));
    let s = states(&db, &dir, &["--adopt", "sqlx"]);
    assert!(s.iter().all(|r| r.2 == "sqlx"), "{s:?}");
    // In the configuration, as a project says it once.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("pgstep.toml"), "adopt = \"sqlx\"\n").unwrap();
    let run = support::migrations::command(db.url(), dir.path(), &["status", "--json"])
        .current_dir(project.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(out.contains("\"source\": \"sqlx\""), "{out}{err}");
    // A tool whose names the files do not follow is refused, naming the file.
    let run = pgstep(&db, &dir, &["status", "--adopt", "refinery"]).expect(2);
    assert!(
        run.stderr
            .contains("1_create_alpha.up.sql:1: refinery names"),
        "{run}"
    );
    // none: pgstep's own history only.
    let s = states(&db, &dir, &["--adopt", "none"]);
    assert!(s.iter().all(|r| r.2 == "pgstep"), "{s:?}");
    let run = pgstep(&db, &dir, &["status", "--adopt", "liquibase"]).expect(2);
    assert!(run.stderr.contains("golang-migrate"), "{run}");
}

#[test]
fn a_history_table_of_no_known_tool_is_refused_with_its_columns() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("1_alpha.sql", "CREATE TABLE alpha (id int);\n");
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE schema_migrations (id serial, filename text, ran_at timestamptz)");
    let run = pgstep(&db, &dir, &["up"]).expect(2);
    assert!(run.stderr.contains("id, filename, ran_at"), "{run}");
    assert!(!pg.exists("alpha"));
    // A tool's folder keeps pgstep's history in its own schema, out of that table's way.
    updown_files(&dir);
    dir.remove("1_alpha.sql");
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM pgstep.history"), 4);
    assert_eq!(pg.count("SELECT count(*) FROM schema_migrations"), 0);
}

#[test]
fn a_project_without_a_tool_stays_pgstep_only() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    for t in [
        "_sqlx_migrations",
        "__diesel_schema_migrations",
        "flyway_schema_history",
        "refinery_schema_history",
        "public.schema_migrations",
    ] {
        assert!(!pg.exists(t), "{t} was created");
    }
    // The folder is golang-migrate's (or sqlx's): pgstep's history is out of their way.
    assert_eq!(pg.count("SELECT count(*) FROM pgstep.history"), 4);
    let s = states(&db, &dir, &[]);
    assert!(
        s.iter().all(|r| r.1 == "applied" && r.2 == "pgstep"),
        "{s:?}"
    );
    // golang-migrate run afterwards makes its table and reads it, as its postgres driver
    // does at start; pgstep's table of that name made the read fail (no `dirty` column).
    pg.exec(GOLANG_TABLE);
    assert!(golang_row(&pg).is_empty());
    assert!(
        pg.try_exec("SELECT version, dirty FROM \"public\".\"schema_migrations\" LIMIT 1")
            .is_ok()
    );
}

/// A native folder on a fresh database keeps pgstep's history at the named default.
#[test]
fn a_native_folder_keeps_its_history_at_schema_migrations() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_a.sql",
        "CREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    assert_eq!(pg.count("SELECT count(*) FROM public.schema_migrations"), 1);
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstep'"),
        0
    );
    // No tool is the project's: no tool's table is made.
    for t in [
        "_sqlx_migrations",
        "__diesel_schema_migrations",
        "flyway_schema_history",
        "refinery_schema_history",
    ] {
        assert!(!pg.exists(t), "{t} was created");
    }
}

#[test]
fn an_adopted_database_dumps_its_schema_without_pgstep() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg_dump = pgstep::cluster::Binaries::newest()
        .expect("PostgreSQL's binaries")
        .program("pg_dump");
    let out = std::process::Command::new(pg_dump)
        .args(["-s", "-n", "public", "-d", db.url()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(dump.contains("CREATE TABLE public.delta"), "{dump}");
    assert!(!dump.contains("pgstep") && !dump.contains("_log"), "{dump}");
    assert_eq!(pg.count("SELECT count(*) FROM pgstep.history"), 4);
}

#[test]
fn a_role_that_may_not_create_pgsteps_schema_is_told_how_to_go_on() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(GOLANG_TABLE);
    let role = format!("{}_app", db.name());
    pg.exec(&format!(
        "CREATE ROLE {role} LOGIN; GRANT ALL ON SCHEMA public TO {role};
         GRANT ALL ON schema_migrations TO {role};
         REVOKE CREATE ON DATABASE {} FROM PUBLIC",
        support::quote_ident(db.name())
    ));
    let url = db.url().replacen("postgres@", &format!("{role}@"), 1);
    let run = support::migrations::pgstep_url(&url, &dir, &["up"]).expect(2);
    assert!(
        run.stderr.contains("GRANT CREATE ON DATABASE") && run.stderr.contains("--history-schema"),
        "{run}"
    );
    assert!(!pg.exists("alpha"));
    // With a schema of its own named, pgstep keeps its tables there.
    pg.exec(&format!("CREATE SCHEMA ops AUTHORIZATION {role}"));
    support::migrations::pgstep_url(&url, &dir, &["up", "--history-schema", "ops"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM ops.schema_migrations"), 4);
    assert_eq!(
        golang_row(&pg),
        vec![vec![Some("4".into()), Some("false".into())]]
    );
}

#[test]
fn an_earlier_pgsteps_history_stays_where_it_is_when_a_tool_appears() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    dir.remove("4_create_delta.up.sql");
    dir.remove("4_create_delta.down.sql");
    // An earlier pgstep kept its tables at the default place, whatever the folder's layout.
    pgstep(&db, &dir, &["up", "--history-table", "schema_migrations"]).expect(0);
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
            installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
            checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
    );
    // The project moved to sqlx, which records what ran so far.
    for (i, t) in TABLES[..3].iter().enumerate() {
        pg.exec(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES ({}, 'create {t}', true,
                     sha384(convert_to(E'CREATE TABLE {t} (id int);\\n', 'UTF8')), 1)",
            i + 1
        ));
    }
    updown_files(&dir);
    let s = states(&db, &dir, &[]);
    assert!(
        s[..3].iter().all(|r| r.1 == "applied" && r.2 == "sqlx"),
        "{s:?}"
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM public.schema_migrations"), 4);
    assert_eq!(
        pg.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgstep'"),
        0
    );
    assert_eq!(
        pg.rows("SELECT description FROM _sqlx_migrations WHERE version = 4"),
        vec![vec![Some("create delta".into())]]
    );
}

#[test]
fn sqlx_migrating_now_stops_pgstep_naming_it() {
    let db = fresh_db();
    let dir = Dir::new();
    updown_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL,
            installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,
            checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
    );
    // sqlx-postgres's generate_lock_id, as `sqlx migrate run` takes it.
    let id = 0x3d32ad9e_i64 * i64::from(crc32fast::hash(db.name().as_bytes()));
    waits_for_the_tools_lock(&db, &dir, &pg, id, "sqlx");
}

/// The confirmation `down` prints lists what it rolls back: phases only the tool applied are
/// applied phases like the others, and their rollback removes the tool's record.
#[test]
fn down_rolls_back_phases_only_the_tool_applied() {
    let db = fresh_db();
    let dir = Dir::new();
    for v in ["1", "2"] {
        dir.write(
            &format!("2024000{v}_p{v}.sql"),
            &format!(
                "-- migrate:up\nCREATE TABLE p{v} (id int);\n-- migrate:down\nDROP TABLE p{v};\n"
            ),
        );
    }
    let pg = Pg::connect(db.url());
    pg.exec(
        "create table if not exists public.schema_migrations (version varchar(255) primary key);
         CREATE TABLE p1 (id int); CREATE TABLE p2 (id int);
         INSERT INTO schema_migrations VALUES ('20240001'), ('20240002')",
    );
    let run = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(
        !run.stdout.contains("nothing to roll back"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert!(pg.exists("p1") && !pg.exists("p2"));
    assert_eq!(
        pg.rows("SELECT version FROM schema_migrations ORDER BY 1"),
        vec![vec![Some("20240001".to_string())]]
    );
    let d = "dbmate";
    assert_eq!(
        states(&db, &dir, &[]),
        vec![row("20240001", "applied", d), row("20240002", "pending", d)]
    );
}

/// Flyway records a migration that ran outside a transaction and failed with `success`
/// false, and refuses to go on until it is resolved: so does pgstep, and a later success
/// replaces that row as `repair` and `migrate` would.
#[test]
fn flyway_records_a_failed_migration_outside_a_transaction_as_failed() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("V1__create_alpha.sql", "CREATE TABLE alpha (id int);\n");
    dir.write(
        "V2__index_alpha.sql",
        "CREATE INDEX CONCURRENTLY alpha_name ON alpha (name);\n",
    );
    let pg = Pg::connect(db.url());
    pg.exec(&flyway_table("flyway_schema_history"));
    let failed = pgstep(&db, &dir, &["up"]);
    assert_ne!(failed.code, Some(0), "{}", failed.stderr);
    let rows = || {
        pg.rows(
            "SELECT installed_rank::text, version, success::text FROM flyway_schema_history \
             ORDER BY installed_rank",
        )
    };
    let row = |rank: &str, v: &str, ok: &str| {
        vec![
            Some(rank.to_string()),
            Some(v.to_string()),
            Some(ok.to_string()),
        ]
    };
    assert_eq!(rows(), vec![row("1", "1", "true"), row("2", "2", "false")]);
    assert_eq!(states(&db, &dir, &[])[1].1, "dirty");

    pg.exec("ALTER TABLE alpha ADD COLUMN name text");
    pgstep(&db, &dir, &["resume", "2", "--reason", "column added"]).expect(0);
    assert_eq!(rows(), vec![row("1", "1", "true"), row("2", "2", "true")]);
    assert_eq!(states(&db, &dir, &[])[1].1, "applied");
}

/// A Flyway history that starts with a `BASELINE` row (`flyway baseline` on an existing
/// database): Flyway never runs a version at or below it, so pgstep counts those as applied,
/// applies only what follows, and refuses to roll one of them back.
#[test]
fn flyway_versions_up_to_its_baseline_are_applied_and_not_rolled_back() {
    let db = fresh_db();
    let dir = Dir::new();
    flyway_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(&flyway_table("flyway_schema_history"));
    pg.exec(
        "CREATE TABLE alpha (id int); CREATE TABLE beta (id int);
         INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, \
                                           installed_by, execution_time, success) \
         VALUES (1, '2', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', \
                 current_user, 0, true)",
    );
    let f = "flyway";
    assert_eq!(
        states(&db, &dir, &[]),
        vec![
            row("1", "applied", f),
            row("2", "applied", f),
            row("3", "pending", f)
        ]
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.exists("gamma"));
    assert_eq!(
        pg.rows("SELECT installed_rank::text, version FROM flyway_schema_history ORDER BY 1"),
        vec![
            vec![Some("1".to_string()), Some("2".to_string())],
            vec![Some("2".to_string()), Some("3".to_string())]
        ]
    );
    pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(!pg.exists("gamma"));
    let refused = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]);
    assert_ne!(refused.code, Some(0));
    assert!(refused.stderr.contains("baseline 2"), "{}", refused.stderr);
    assert!(pg.exists("beta"), "nothing was rolled back");
}

/// Flyway holds a session advisory lock while it migrates; pgstep takes the same one, so a
/// Flyway running now stops pgstep, and one started meanwhile waits for it.
#[test]
fn flyway_migrating_now_stops_pgstep_naming_it() {
    let db = fresh_db();
    let dir = Dir::new();
    flyway_files(&dir);
    let pg = Pg::connect(db.url());
    pg.exec(&flyway_table("flyway_schema_history"));
    // PostgreSQLAdvisoryLockTemplate: 77431708279161 + hashCode of "public"."flyway_schema_history".
    let id = 77_433_833_903_597_i64;
    waits_for_the_tools_lock(&db, &dir, &pg, id, "flyway");
}

/// While the tool holds its advisory lock `id`, `pgstep up` refuses, naming the tool, and
/// changes nothing; once it is released pgstep applies, and releases it after the work so
/// the tool can take it again.
fn waits_for_the_tools_lock(db: &TestDb, dir: &Dir, pg: &Pg, id: i64, tool: &str) {
    let holder = Pg::connect(db.url());
    holder.exec(&format!("SELECT pg_advisory_lock({id})"));
    let run = pgstep(db, dir, &["up"]).expect(5);
    assert!(
        run.stderr
            .contains(&format!("{tool} is migrating this database now")),
        "{run}"
    );
    assert!(!pg.exists("alpha"));
    holder.exec(&format!("SELECT pg_advisory_unlock({id})"));
    pgstep(db, dir, &["up"]).expect(0);
    assert_eq!(
        holder.value(&format!("SELECT pg_try_advisory_lock({id})::text")),
        Some("true".into())
    );
}
