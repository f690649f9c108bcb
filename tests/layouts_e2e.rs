//! Each layout's fixture set (tests/fixtures/shipped, shaped as real projects ship them)
//! applied twice: by pgstep, and by psql following the tool's own order and transaction
//! rules, restated here from the tools' sources. The two schemas, dumped with `pg_dump -s`,
//! must be the same, after UP and again after rolling everything back.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::fresh_db;
use support::migrations::{Pg, Run, command, finish};

fn shipped(layout: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/shipped")
        .join(layout)
}

fn bindir() -> PathBuf {
    let dir = std::env::var_os("PGSTEP_PG_BINDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
    assert!(
        dir.join("psql").exists(),
        "psql not found in {}",
        dir.display()
    );
    dir
}

fn run_pgstep(url: &str, dir: &Path, args: &[&str]) -> Run {
    finish(
        command(url, dir, args)
            .spawn()
            .expect("the pgstep binary starts"),
    )
}

/// One unit the tool sends: SQL text, and whether it wraps it in a transaction.
struct Unit {
    sql: String,
    transaction: bool,
}

/// Runs `unit` with psql as the tool would: `-1` for one transaction, else statement by
/// statement in autocommit; stops at the first error.
fn psql(url: &str, unit: &Unit) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &unit.sql).unwrap();
    let mut cmd = Command::new(bindir().join("psql"));
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(file.path());
    if unit.transaction {
        cmd.arg("-1");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "psql failed on:\n{}\n{}",
        unit.sql,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The schema, without pgstep's own history, log and kept copies, and without the tool's
/// table pgstep makes beside them (psql makes none).
fn schema(url: &str) -> String {
    let pg = Pg::connect(url);
    pg.exec(
        "DROP TABLE IF EXISTS schema_migrations, schema_migrations_log,
                              __diesel_schema_migrations CASCADE;
         DROP SCHEMA IF EXISTS pgstep_trash, pgstep CASCADE;
         DO $$ DECLARE f regprocedure; BEGIN
           FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
                    JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname = 'public' AND p.proname LIKE 'schema_migrations%'
           LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP;
         END $$;",
    );
    let out = Command::new(bindir().join("pg_dump"))
        .args(["-s", "--no-owner", "-d", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pg_dump's `\restrict` lines carry a random key, different in every dump.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Applies `ups` with psql on one database and the fixture with pgstep on another, compares
/// their schemas; then rolls both back (`downs` with psql, `pgstep down --all`) and compares
/// again.
fn same_as_psql(layout: &str, ups: Vec<Unit>, downs: Vec<Unit>) {
    let dir = shipped(layout);
    let by_tool = fresh_db();
    let by_pgstep = fresh_db();
    for u in &ups {
        psql(by_tool.url(), u);
    }
    run_pgstep(by_pgstep.url(), &dir, &["up"]).expect(0);
    let applied = schema(by_pgstep.url());
    assert!(applied.contains("CREATE TABLE"), "{applied}");
    assert_eq!(applied, schema(by_tool.url()), "{layout}: UP differs");

    for u in &downs {
        psql(by_tool.url(), u);
    }
    let by_pgstep = fresh_db();
    run_pgstep(by_pgstep.url(), &dir, &["up"]).expect(0);
    run_pgstep(
        by_pgstep.url(),
        &dir,
        &["down", "--all", "--yes", "--reason", "test"],
    )
    .expect(0);
    assert_eq!(
        schema(by_pgstep.url()),
        schema(by_tool.url()),
        "{layout}: rolled back differs"
    );
}

/// Diesel: directories whose name has `up.sql`, ordered by the name before the first `_`
/// with its dashes removed, compared as text; `metadata.toml` may turn the transaction off.
#[test]
fn diesel_set_applies_and_rolls_back_as_diesel_does() {
    let dir = shipped("diesel");
    let mut migrations: Vec<(String, PathBuf)> = names(&dir)
        .into_iter()
        .map(|n| dir.join(n))
        .filter(|p| p.join("up.sql").exists())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let version = name.split('_').next().unwrap().replace('-', "");
            (version, p)
        })
        .collect();
    migrations.sort();
    let tx = |p: &Path| !read_opt(&p.join("metadata.toml")).contains("run_in_transaction = false");
    let unit = |p: &Path, f: &str| Unit {
        sql: read(&p.join(f)),
        transaction: tx(p),
    };
    let ups = migrations.iter().map(|(_, p)| unit(p, "up.sql")).collect();
    let downs = migrations
        .iter()
        .rev()
        .map(|(_, p)| unit(p, "down.sql"))
        .collect();
    same_as_psql("diesel", ups, downs);
}

fn read_opt(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Flyway: `V<version>__<description>.sql`, versions compared as numbers segment by segment;
/// a migration holding a statement that cannot run in a transaction runs without one.
/// Community Flyway has no undo: rolling back is not compared.
#[test]
fn flyway_set_applies_as_flyway_does() {
    let dir = shipped("flyway");
    let mut migrations: Vec<(Vec<u64>, String)> = names(&dir)
        .into_iter()
        .filter_map(|n| {
            let rest = n.strip_prefix('V')?.strip_suffix(".sql")?;
            let (version, _) = rest.split_once("__")?;
            let v = version.split('_').map(|s| s.parse().unwrap()).collect();
            Some((v, n))
        })
        .collect();
    migrations.sort();
    let ups: Vec<Unit> = migrations
        .iter()
        .map(|(_, n)| {
            let sql = read(&dir.join(n));
            let transaction = !sql.contains("CONCURRENTLY");
            Unit { sql, transaction }
        })
        .collect();
    let by_tool = fresh_db();
    let by_pgstep = fresh_db();
    for u in &ups {
        psql(by_tool.url(), u);
    }
    let run = run_pgstep(by_pgstep.url(), &dir, &["up"]).expect(0);
    assert!(run.stderr.contains("update-sequences.sql"), "{run}");
    assert_eq!(schema(by_pgstep.url()), schema(by_tool.url()));
}

/// dbmate: files whose names start with digits, in file-name order; each `-- migrate:up`
/// section runs in a transaction unless `transaction:false`; rolling back runs each
/// section's `-- migrate:down`, in file order.
#[test]
fn dbmate_set_applies_and_rolls_back_as_dbmate_does() {
    let dir = shipped("dbmate");
    let files: Vec<String> = names(&dir)
        .into_iter()
        .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()) && n.ends_with(".sql"))
        .collect();
    let mut ups = Vec::new();
    let mut downs_per_file = Vec::new();
    for f in &files {
        let (u, d) = dbmate_sections(&read(&dir.join(f)));
        ups.extend(u);
        downs_per_file.push(d);
    }
    let downs = downs_per_file.into_iter().rev().flatten().collect();
    same_as_psql("dbmate", ups, downs);
}

/// The UP and DOWN units of a dbmate file: a section starts at each `-- migrate:up` line.
fn dbmate_sections(text: &str) -> (Vec<Unit>, Vec<Unit>) {
    let mut ups = Vec::new();
    let mut downs = Vec::new();
    let mut current: Option<(bool, Unit)> = None;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        let up = t.starts_with("-- migrate:up");
        if up || t.starts_with("-- migrate:down") {
            if let Some((is_up, u)) = current.take() {
                if is_up { &mut ups } else { &mut downs }.push(u);
            }
            let transaction = !t.contains("transaction:false");
            current = Some((
                up,
                Unit {
                    sql: String::new(),
                    transaction,
                },
            ));
        } else if let Some((_, u)) = &mut current {
            u.sql.push_str(line);
        }
    }
    if let Some((is_up, u)) = current {
        if is_up { &mut ups } else { &mut downs }.push(u);
    }
    (ups, downs)
}

/// sqlx's simple files: `<version>_<description>.sql`, versions as numbers; a file starting
/// with `-- no-transaction` runs outside a transaction. Simple files have no DOWN.
#[test]
fn sqlx_simple_set_applies_as_sqlx_does() {
    let dir = shipped("sqlx");
    let mut migrations: Vec<(i64, String)> = names(&dir)
        .into_iter()
        .filter_map(|n| {
            let (v, _) = n.split_once('_')?;
            Some((v.parse().ok()?, n))
        })
        .collect();
    migrations.sort();
    let by_tool = fresh_db();
    let by_pgstep = fresh_db();
    for (_, n) in &migrations {
        let sql = read(&dir.join(n));
        let transaction = !sql.starts_with("-- no-transaction");
        psql(by_tool.url(), &Unit { sql, transaction });
    }
    run_pgstep(by_pgstep.url(), &dir, &["up"]).expect(0);
    assert_eq!(schema(by_pgstep.url()), schema(by_tool.url()));
}

/// golang-migrate: `<version>_<title>.up.sql` / `.down.sql`, versions as numbers, each file
/// sent as one multi-statement query (one implicit transaction). An empty or comment-only
/// DOWN file runs and forgets the version.
#[test]
fn golang_migrate_set_applies_and_rolls_back_as_migrate_does() {
    let dir = shipped("golang-migrate");
    let mut versions: Vec<(u64, String)> = names(&dir)
        .into_iter()
        .filter_map(|n| {
            let stem = n.strip_suffix(".up.sql")?.to_string();
            let (v, _) = stem.split_once('_')?;
            Some((v.parse().ok()?, stem))
        })
        .collect();
    versions.sort();
    let unit = |stem: &str, kind: &str| Unit {
        sql: read(&dir.join(format!("{stem}.{kind}.sql"))),
        transaction: true,
    };
    let ups = versions.iter().map(|(_, s)| unit(s, "up")).collect();
    let downs = versions
        .iter()
        .rev()
        .map(|(_, s)| unit(s, "down"))
        .collect();
    same_as_psql("golang-migrate", ups, downs);
}

/// `down` of a phase whose DOWN is empty deletes its history row and logs the rollback.
#[test]
fn an_empty_down_rolls_back_by_forgetting_the_version() {
    let dir = shipped("golang-migrate");
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    run_pgstep(db.url(), &dir, &["up"]).expect(0);
    let run = run_pgstep(
        db.url(),
        &dir,
        &["down", "--steps", "1", "--yes", "--reason", "test"],
    )
    .expect(0);
    assert!(run.stdout.contains("rolled back 000010"), "{run}");
    let versions: Vec<String> = pg.own_history().into_iter().map(|h| h.version).collect();
    assert_eq!(versions, ["000001", "000002"]);
    let rollbacks = pg.own_events_of("rollback");
    assert_eq!(rollbacks.len(), 1);
    assert_eq!(rollbacks[0].version.as_deref(), Some("000010"));
    assert_eq!(rollbacks[0].outcome, "rolled back");
    // The comment stays, as it would with golang-migrate.
    assert_eq!(
        pg.value("SELECT obj_description('items'::regclass)"),
        Some("the catalogue".into())
    );
}

fn status_json(url: &str, dir: &Path) -> serde_json::Value {
    let run = run_pgstep(url, dir, &["status", "--json"]).expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

fn state_of(status: &serde_json::Value, version: &str) -> (String, bool) {
    let m = status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["version"] == version)
        .unwrap_or_else(|| panic!("{version} in {status}"));
    (
        m["state"].as_str().unwrap().to_string(),
        m["repeatable"].as_bool().unwrap(),
    )
}

/// Flyway's repeatable migrations run after every versioned one, and again whenever their
/// file changes: pending again, not drifted.
#[test]
fn flyway_repeatables_run_last_and_again_when_their_file_changes() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("V1__init.sql", "CREATE TABLE t (id int, v int);");
    write(
        "R__t_view.sql",
        "CREATE OR REPLACE VIEW tv AS SELECT id FROM t;",
    );
    run_pgstep(db.url(), dir, &["up"]).expect(0);
    let status = status_json(db.url(), dir);
    assert_eq!(state_of(&status, "1"), ("applied".into(), false));
    assert_eq!(state_of(&status, "R__t_view"), ("applied".into(), true));

    write(
        "R__t_view.sql",
        "CREATE OR REPLACE VIEW tv AS SELECT id, v, w FROM t;",
    );
    write("V2__w.sql", "ALTER TABLE t ADD w int;");
    let status = status_json(db.url(), dir);
    assert_eq!(state_of(&status, "R__t_view"), ("outdated".into(), true));
    assert_eq!(state_of(&status, "2"), ("pending".into(), false));
    let text = run_pgstep(db.url(), dir, &["status"]).expect(0).stdout;
    assert!(text.contains("outdated"), "{text}");

    // V2 first: the view's new text needs its column.
    run_pgstep(db.url(), dir, &["up"]).expect(0);
    assert!(pg.column_exists("tv", "w"));
    let status = status_json(db.url(), dir);
    assert_eq!(state_of(&status, "R__t_view"), ("applied".into(), true));
    let versions: Vec<String> = pg.own_history().into_iter().map(|h| h.version).collect();
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert!(versions.contains(&"R__t_view".to_string()));
    let applies: Vec<Option<String>> = pg
        .own_events_of("apply")
        .into_iter()
        .map(|e| e.version)
        .collect();
    assert_eq!(
        applies,
        [
            Some("1".into()),
            Some("R__t_view".into()),
            Some("2".into()),
            Some("R__t_view".into())
        ]
    );
}

#[test]
fn a_rollback_leaves_repeatable_migrations_as_flyway_undo_does() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("V1__init.sql", "CREATE TABLE t (id int);");
    write("U1__init.sql", "DROP TABLE t;");
    write("V2__more.sql", "ALTER TABLE t ADD v int;");
    write("U2__more.sql", "ALTER TABLE t DROP COLUMN v;");
    write(
        "R__numbers.sql",
        "CREATE OR REPLACE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    );
    run_pgstep(db.url(), dir, &["up"]).expect(0);
    // Before, the repeatable had "no DOWN part" and nothing was rolled back.
    run_pgstep(db.url(), dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(!pg.column_exists("t", "v"));
    let versions: Vec<String> = pg.own_history().into_iter().map(|h| h.version).collect();
    assert!(versions.contains(&"R__numbers".to_string()), "{versions:?}");
    assert!(versions.contains(&"1".to_string()), "{versions:?}");
}
