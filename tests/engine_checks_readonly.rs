//! Checks only read: one query, in a transaction or savepoint that is rolled back, as a role
//! that can read everything and do nothing else. Whatever a check's text tries, the database
//! is left as it was and every check gets its line in the report.

mod support;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use pgstep::engine::{EngineError, Settings};
use serde_json::Value;
use support::migrations::{Dir, Pg, pgstep, pgstep_url};
use support::{TestDb, fresh_db};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A name no other test of this run uses, for cluster-wide objects (roles, slots, files).
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A configuration file with profile `p`: read-only when asked, and with `extra` lines.
fn config(dir: &Dir, read_only: bool, extra: &str) -> PathBuf {
    let path = dir.path().join("pgstep.toml");
    std::fs::write(
        &path,
        format!("[profiles.p]\nread_only = {read_only}\n{extra}"),
    )
    .expect("writing the configuration");
    path
}

/// The test server's URL for `db` with `user` instead of the superuser, when the URL names
/// its user the way the tests' own cluster does.
fn as_user(db: &TestDb, user: &str) -> Option<String> {
    let url = db.url();
    let rest = url.strip_prefix("postgresql://")?;
    let (_, host) = rest.split_once('@')?;
    Some(format!("postgresql://{user}@{host}"))
}

/// The verdict word in front of check `name` in a human report.
fn verdict<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.trim_start().split_once(&format!("  {name}  ")))
        .map_or("(no line)", |(mark, _)| mark.trim())
}

/// The victim's state that a hostile check could change.
struct World {
    pg: Pg,
    /// A session whose backend must survive.
    bystander: Pg,
    bystander_pid: String,
    slot: String,
    file: PathBuf,
    stats_reset: Option<String>,
    dblink: bool,
}

impl World {
    fn new(db: &TestDb) -> World {
        let pg = Pg::connect(db.url());
        pg.exec("CREATE TABLE victim (id int)");
        let dblink = pg.try_exec("CREATE EXTENSION IF NOT EXISTS dblink").is_ok();
        if !dblink {
            eprintln!("note: the dblink extension is not available; its case is not tested");
        }
        let bystander = Pg::connect(db.url());
        let bystander_pid = bystander
            .value("SELECT pg_backend_pid()::text")
            .expect("a pid");
        let stats_reset = pg.value(
            "SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()",
        );
        World {
            pg,
            bystander,
            bystander_pid,
            slot: unique("pgstep_slot"),
            file: std::env::temp_dir().join(unique("pgstep_copy")),
            stats_reset,
            dblink,
        }
    }

    /// Checks that try to act, each as one statement, and one that is many statements.
    fn hostile_checks(&self, db: &TestDb) -> String {
        let pid = &self.bystander_pid;
        let mut s = format!(
            "-- Check: terminate\n-- Expect: true\nSELECT pg_terminate_backend({pid});\n\
             -- Check: copy to program\nCOPY (SELECT 1) TO PROGRAM 'touch {file}';\n\
             -- Check: slot\nSELECT pg_create_physical_replication_slot('{slot}');\n\
             -- Check: stats reset\nSELECT pg_stat_reset();\n\
             -- Check: lock\nLOCK TABLE victim IN ACCESS EXCLUSIVE MODE;\n\
             -- Check: deallocate\nDEALLOCATE ALL;\n\
             -- Check: reset role\nRESET ROLE;\n\
             -- Check: set role\nSET ROLE postgres;\n\
             -- Check: read-write\nSET transaction_read_only = off;\n\
             -- Check: commit\nCOMMIT;\n\
             -- Check: role via set_config\n\
             SELECT set_config('role', 'none', false), pg_terminate_backend({pid});\n\
             -- Check: sql in a string\n\
             SELECT query_to_xml('SELECT pg_terminate_backend({pid})', true, false, '');\n\
             -- Check: writes\nWITH w AS (INSERT INTO victim VALUES (2) RETURNING id) SELECT * FROM w;\n",
            file = self.file.display(),
            slot = self.slot,
        );
        if self.dblink {
            s.push_str(&format!(
                "-- Check: dblink\nSELECT dblink_exec('{}', 'INSERT INTO victim VALUES (3)');\n",
                db.url()
            ));
        }
        s
    }

    fn count(&self) -> usize {
        if self.dblink { 14 } else { 13 }
    }

    /// Asserts that nothing was done.
    fn untouched(&self) {
        assert_eq!(
            self.pg.count("SELECT count(*) FROM victim"),
            0,
            "a row was written"
        );
        assert_eq!(
            self.bystander.value("SELECT 'alive'").as_deref(),
            Some("alive"),
            "the bystander's backend was terminated"
        );
        assert_eq!(
            self.pg.count(&format!(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{}'",
                self.slot
            )),
            0,
            "a replication slot was created"
        );
        assert!(!self.file.exists(), "COPY TO PROGRAM ran");
        assert_eq!(
            self.pg.value(
                "SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()"
            ),
            self.stats_reset,
            "the statistics were reset"
        );
    }
}

#[test]
fn verify_refuses_a_check_that_a_fresh_session_reads_as_many_statements() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    // The file is read as psql reads it: after the SET, `\'` escapes the quote, so the check
    // is one SELECT of one string. A fresh session reads the same text as five statements.
    dir.write(
        "001_escapes.sql",
        "SET standard_conforming_strings = off;\n\
         CREATE TABLE escaped (id int);\n\
         -- VERIFY\n\
         -- Check: one string\n\
         -- Expect: nonempty\n\
         SELECT 'a\\'; COMMIT; SET transaction_read_only = off; INSERT INTO escaped VALUES (1); SELECT 1 --';\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM escaped"), 0);

    let conf = config(&dir, true, "");
    let conf = conf.to_str().expect("a UTF-8 path");
    for extra in [&["--config", conf, "--profile", "p"][..], &[]] {
        let args: Vec<&str> = extra.iter().copied().chain(["verify"]).collect();
        let run = pgstep(&db, &dir, &args).expect(4);
        assert_eq!(pg.count("SELECT count(*) FROM escaped"), 0, "{run}");
        assert_eq!(verdict(&run.stdout, "one string"), "FAIL", "{run}");
        assert!(run.stdout.contains("5 statements"), "{run}");
    }
}

#[test]
fn hostile_checks_do_nothing_in_verify_and_every_one_is_reported() {
    let db = fresh_db();
    let world = World::new(&db);
    let dir = Dir::new();
    dir.write(
        "001_fine.sql",
        "SELECT 1;\n-- VERIFY\n-- Check: fine\n-- Expect: = 1\nSELECT 1;\n",
    );
    dir.write(
        "002_hostile.sql",
        &format!("SELECT 1;\n-- VERIFY\n{}", world.hostile_checks(&db)),
    );
    for v in ["001", "002"] {
        pgstep(
            &db,
            &dir,
            &["mark", v, "applied", "--reason", "test", "--yes"],
        )
        .expect(0);
    }

    let run = pgstep(&db, &dir, &["verify", "--json"]).expect(4);
    world.untouched();
    let doc = json(&run.stdout);
    let checks = doc["phases"][1]["checks"].as_array().expect("checks");
    assert_eq!(checks.len(), world.count(), "{run}");
    for c in checks {
        assert_eq!(c["passed"], false, "{c}");
        assert_eq!(c["grade"], "fail", "{c}");
    }
    // The refused ones never ran: the detail says why, not what the server made of them.
    for c in checks.iter().filter(|c| c["name"] != "writes") {
        assert!(
            c["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with("refused")),
            "{c}"
        );
    }
    let events = world.pg.events_of("verify");
    assert_eq!(events.len(), 2, "both reports are logged");
    assert_eq!(events[1].outcome, "failed");

    // The human report has a line for each, and the session survives them all.
    let run = pgstep(&db, &dir, &["verify"]).expect(4);
    assert_eq!(verdict(&run.stdout, "fine"), "pass", "{run}");
    assert_eq!(verdict(&run.stdout, "deallocate"), "FAIL", "{run}");
    assert_eq!(verdict(&run.stdout, "commit"), "FAIL", "{run}");
    world.untouched();
}

#[test]
fn hostile_checks_at_apply_time_leave_the_phase_rolled_back_and_nothing_done() {
    let db = fresh_db();
    let world = World::new(&db);
    let dir = Dir::new();
    dir.write(
        "001_hostile.sql",
        &format!(
            "CREATE TABLE created_by_phase (id int);\n-- VERIFY\n{}",
            world.hostile_checks(&db)
        ),
    );
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    world.untouched();
    assert!(!world.pg.exists("created_by_phase"), "{run}");
    let history = world.pg.history();
    assert_eq!(history.len(), 1, "{run}");
    assert_eq!(history[0].state, "failed", "{run}");
    let failure = &world.pg.events_of("failure")[0];
    assert_eq!(
        failure.details["checks"].as_array().map(Vec::len),
        Some(world.count()),
        "{run}"
    );
}

#[test]
fn checks_run_read_only_as_a_role_pgstep_creates_once() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    let who = "SELECT 1 WHERE current_user = 'pgstep_checks' \
               AND current_setting('transaction_read_only') = 'on' \
               AND session_user <> current_user";
    dir.write(
        "001_tx.sql",
        &format!(
            "CREATE TABLE readable (id int);\nINSERT INTO readable VALUES (1);\n\
             -- VERIFY\n-- Check: who\n-- Expect: nonempty\n{who};\n\
             -- Check: reads every table\n-- Expect: = 1\nSELECT count(*) FROM readable;\n\
             -- Check: kept\n-- Expect: unchanged\nSELECT count(*) FROM pg_class WHERE relname = 'victim';\n"
        ),
    );
    dir.write(
        "002_alone.sql",
        &format!(
            "-- Transaction: none\nCREATE TABLE alone (id int);\n\
             -- VERIFY\n-- Check: who\n-- Expect: nonempty\n{who};\n"
        ),
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    // The phase's own transaction is back to its role and read-write after the checks.
    assert_eq!(pg.states().len(), 2);

    let run = pgstep(&db, &dir, &["verify"]).expect(0);
    assert_eq!(verdict(&run.stdout, "who"), "pass", "{run}");
    assert_eq!(verdict(&run.stdout, "reads every table"), "pass", "{run}");
    // Verify has no before for `unchanged`: it does not say pass for what it did not judge.
    assert_eq!(verdict(&run.stdout, "kept"), "not judged", "{run}");
    let doc = json(&pgstep(&db, &dir, &["verify", "--json"]).expect(0).stdout);
    assert_eq!(doc["phases"][0]["checks"][2]["grade"], "not_judged");
    assert_eq!(pg.events_of("verify")[0].outcome, "not judged");

    assert_eq!(
        pg.value("SELECT rolcanlogin::text FROM pg_roles WHERE rolname = 'pgstep_checks'")
            .as_deref(),
        Some("false")
    );
    // Other tests of this run share the cluster and may have created the role first.
    assert!(pg.events_of("checks-role-created").len() <= 1);
}

#[test]
fn a_configured_checks_role_is_used_and_a_missing_one_is_said() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let role = unique("custom_checks");
    pg.exec(&format!(
        "CREATE ROLE {role} NOLOGIN; GRANT pg_read_all_data TO {role}"
    ));
    let dir = Dir::new();
    dir.write(
        "001_who.sql",
        &format!(
            "SELECT 1;\n-- VERIFY\n-- Check: who\n-- Expect: nonempty\n\
             SELECT 1 WHERE current_user = '{role}';\n"
        ),
    );
    let conf = config(&dir, false, &format!("checks_role = \"{role}\"\n"));
    let conf = conf.to_str().expect("a UTF-8 path");
    pgstep(&db, &dir, &["--config", conf, "--profile", "p", "up"]).expect(0);
    let run = pgstep(&db, &dir, &["--config", conf, "--profile", "p", "verify"]).expect(0);
    assert_eq!(verdict(&run.stdout, "who"), "pass", "{run}");

    let conf = config(&dir, false, "checks_role = \"no_such_role_here\"\n");
    let conf = conf.to_str().expect("a UTF-8 path");
    let run = pgstep(&db, &dir, &["--config", conf, "--profile", "p", "verify"]).expect(6);
    assert!(run.stderr.contains("no_such_role_here"), "{run}");
    pg.exec(&format!("DROP ROLE {role}"));
}

#[test]
fn an_operator_who_cannot_create_roles_is_told_once_and_checks_still_only_read() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let user = unique("plain_operator");
    let Some(url) = as_user(&db, &user) else {
        eprintln!("note: the test server's URL names no user to replace; not tested");
        return;
    };
    pg.exec(&format!(
        "CREATE ROLE {user} LOGIN NOSUPERUSER NOCREATEROLE; \
         ALTER DATABASE \"{}\" OWNER TO {user}; CREATE TABLE victim (id int); \
         ALTER TABLE victim OWNER TO {user}",
        db.name()
    ));
    let dir = Dir::new();
    dir.write(
        "001_checks.sql",
        "CREATE TABLE mine (id int);\n-- VERIFY\n\
         -- Check: read-only\n-- Expect: true\nSELECT current_setting('transaction_read_only') = 'on';\n\
         -- Check: writes\nWITH w AS (INSERT INTO victim VALUES (1) RETURNING id) SELECT * FROM w;\n",
    );
    let run = pgstep_url(&url, &dir, &["up"]).expect(4);
    assert_eq!(
        run.stderr.matches("cannot create roles").count(),
        1,
        "said once:\n{run}"
    );
    assert!(!pg.exists("mine"), "{run}");
    let run = pgstep_url(&url, &dir, &["verify", "001"]).expect(4);
    assert_eq!(verdict(&run.stdout, "read-only"), "pass", "{run}");
    assert_eq!(verdict(&run.stdout, "writes"), "FAIL", "{run}");
    assert_eq!(
        run.stderr.matches("cannot create roles").count(),
        1,
        "{run}"
    );
    assert_eq!(pg.count("SELECT count(*) FROM victim"), 0);
}

#[test]
fn the_console_editor_runs_a_query_only_as_a_check() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec("CREATE TABLE victim (id int)");
    let (seen, refused, user) = support::block_on(|| async {
        let engine = support::engine(db.connect().await, Settings::default()).await;
        let seen = engine
            .query_read_only("SELECT current_user, current_setting('transaction_read_only')")
            .await
            .map(|r| r.rows);
        let mut refused = Vec::new();
        for sql in [
            "COMMIT; INSERT INTO victim VALUES (1)",
            "DEALLOCATE ALL",
            "RESET ROLE",
            "SELECT set_config('role', 'none', false)",
            "WITH w AS (INSERT INTO victim VALUES (2) RETURNING id) SELECT * FROM w",
        ] {
            let r = engine.query_read_only(sql).await;
            refused.push((sql, matches!(r, Err(EngineError::Refused(_)))));
        }
        // The session is as it was: its own role, and no transaction left open.
        let user = engine
            .client()
            .simple_query("SELECT current_user, now() = statement_timestamp()")
            .await
            .map(|msgs| {
                msgs.iter()
                    .find_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some((r.get(0).map(str::to_string), r.get(1) == Some("t")))
                        }
                        _ => None,
                    })
                    .unwrap_or((None, false))
            });
        (seen, refused, user)
    });
    assert_eq!(
        seen.unwrap_or_else(|e| panic!("{e}")),
        vec![vec![Some("pgstep_checks".into()), Some("on".into())]]
    );
    for (sql, was_refused) in refused {
        assert!(was_refused, "{sql}");
    }
    assert_eq!(pg.count("SELECT count(*) FROM victim"), 0);
    assert_eq!(
        user.unwrap_or_else(|e| panic!("{e}")),
        (Some("postgres".to_string()), true)
    );
}

#[test]
fn a_phase_that_sets_its_own_role_keeps_it_after_its_checks() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let owner = unique("phase_owner");
    let dir = Dir::new();
    dir.write("001_first.sql", "CREATE TABLE first (id int);\n");
    pgstep(&db, &dir, &["up"]).expect(0);
    pg.exec(&format!(
        "CREATE ROLE {owner} NOLOGIN; GRANT CREATE ON SCHEMA public TO {owner}; \
         GRANT ALL ON ALL TABLES IN SCHEMA public TO {owner}; \
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {owner}"
    ));
    dir.write(
        "002_owned.sql",
        &format!(
            "SET LOCAL ROLE {owner};\nCREATE TABLE owned (id int);\n\
             -- VERIFY\n-- Check: as the checks role\n-- Expect: nonempty\n\
             SELECT 1 WHERE current_user = 'pgstep_checks';\n\
             -- Check: kept\n-- Expect: unchanged\nSELECT count(*) FROM first;\n"
        ),
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    // The history row is written after the checks, as the role the phase set.
    assert_eq!(
        pg.value("SELECT applied_by_role FROM schema_migrations WHERE version = '002'"),
        Some(owner.clone())
    );
    assert_eq!(
        pg.value("SELECT tableowner::text FROM pg_tables WHERE tablename = 'owned'"),
        Some(owner.clone())
    );
}
