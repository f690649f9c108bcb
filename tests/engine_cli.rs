//! The database commands as scripts see them: JSON documents, verify, the history table
//! setting, and secrets kept out of every output.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::migrations::{Dir, Pg, command, finish, pgstep, pgstep_url, wait_until};
use support::{fresh_db, server, with_database};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

fn three_states(dir: &Dir) {
    dir.write("001_ok.sql", "CREATE TABLE js_ok (id int);\n");
    dir.write("002_broken.sql", "INSERT INTO js_missing VALUES (1);\n");
    dir.write("003_later.sql", "CREATE TABLE js_later (id int);\n");
}

#[test]
fn status_json_has_the_documented_shape() {
    let db = fresh_db();
    let dir = Dir::new();
    three_states(&dir);
    pgstep(&db, &dir, &["up"]).expect(4);

    let doc = json(&pgstep(&db, &dir, &["status", "--json"]).expect(0).stdout);
    let top: Vec<&String> = doc.as_object().expect("an object").keys().collect();
    assert_eq!(top, vec!["adopted", "lock", "log_tampered", "migrations"]);
    // No tool's table: pgstep's own history.
    assert_eq!(doc["adopted"], Value::Null);
    assert_eq!(doc["log_tampered"], serde_json::json!([]));
    assert_eq!(doc["lock"], Value::Null);
    let phases = doc["migrations"].as_array().expect("an array");
    assert_eq!(phases.len(), 3);
    for p in phases {
        for key in [
            "version",
            "name",
            "state",
            "applied_at",
            "execution_time_ms",
            "checksum",
            "last_error",
            "source",
        ] {
            assert!(p.get(key).is_some(), "{key} missing from {p}");
        }
    }
    let plan = json(&pgstep(&db, &dir, &["plan", "--json"]).expect(0).stdout);

    assert!(phases.iter().all(|p| p["source"] == "pgstep"), "{doc}");
    let ok = &phases[0];
    assert_eq!(
        (&ok["version"], &ok["name"], &ok["state"]),
        (&"001".into(), &"ok".into(), &"applied".into())
    );
    let at = ok["applied_at"].as_str().expect("applied_at is a string");
    chrono::DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at}: {e}"));
    assert!(ok["execution_time_ms"].is_i64(), "{ok}");
    assert_eq!(ok["checksum"], plan["migrations"][0]["checksum"]);
    assert_eq!(ok["checksum"].as_str().map(str::len), Some(64));
    assert_eq!(ok["last_error"], Value::Null);

    let broken = &phases[1];
    assert_eq!(broken["state"], "failed");
    let error = broken["last_error"]
        .as_str()
        .expect("last_error is a string");
    assert!(error.contains("js_missing"), "{error}");

    let later = &phases[2];
    assert_eq!(later["state"], "pending");
    assert_eq!(later["applied_at"], Value::Null);
    assert_eq!(later["execution_time_ms"], Value::Null);
    assert_eq!(later["last_error"], Value::Null);
    assert_eq!(later["checksum"], plan["migrations"][2]["checksum"]);
}

#[test]
fn log_json_lists_events_newest_first() {
    let db = fresh_db();
    let dir = Dir::new();
    three_states(&dir);
    let empty = pgstep(&db, &dir, &["log"]).expect(0);
    assert!(empty.stdout.contains("(no events)"), "{empty}");
    pgstep(&db, &dir, &["up"]).expect(4);

    let doc = json(&pgstep(&db, &dir, &["log", "--json"]).expect(0).stdout);
    let events = doc["events"].as_array().expect("an events array");
    assert_eq!(events.len(), 3, "{doc}");
    assert_eq!(events[2]["event"], "log-created", "the log's first event");
    let (failure, apply) = (&events[0], &events[1]);
    assert_eq!(
        (&failure["event"], &failure["version"]),
        (&"failure".into(), &"002".into())
    );
    assert_eq!(failure["outcome"], "failed");
    assert_eq!(failure["details"]["sqlstate"], "42P01");
    assert_eq!(
        (&apply["event"], &apply["version"]),
        (&"apply".into(), &"001".into())
    );
    assert_eq!(apply["name"], "ok");
    assert_eq!(apply["db_role"], "postgres");
    assert_eq!(apply["reason"], Value::Null);
    assert!(apply["duration_ms"].is_i64(), "{apply}");
    assert!(
        apply["application"]
            .as_str()
            .is_some_and(|a| a.starts_with("pgstep")),
        "{apply}"
    );
    for key in ["at", "os_user", "host"] {
        assert!(apply[key].is_string(), "{key} in {apply}");
    }

    let one = json(
        &pgstep(&db, &dir, &["log", "--json", "--limit", "1"])
            .expect(0)
            .stdout,
    );
    assert_eq!(one["events"].as_array().map(Vec::len), Some(1));
    let text = pgstep(&db, &dir, &["log"]).expect(0);
    assert!(text.stdout.contains("failure"), "{text}");
    assert!(text.stdout.contains("apply"), "{text}");
}

#[test]
fn verify_runs_the_checks_of_applied_phases_read_only() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_positive.sql",
        "CREATE TABLE vt (id int);\n\
         -- VERIFY\n\
         -- Check: no negative ids\n\
         SELECT id FROM vt WHERE id < 0;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);

    let run = pgstep(&db, &dir, &["verify"]).expect(0);
    assert!(run.stdout.contains("pass  no negative ids"), "{run}");
    pg.exec("INSERT INTO vt VALUES (-1)");
    let run = pgstep(&db, &dir, &["verify"]).expect(4);
    assert!(run.stdout.contains("FAIL  no negative ids"), "{run}");
    assert!(run.stderr.contains("1 check(s) failed"), "{run}");
    let doc = json(&pgstep(&db, &dir, &["verify", "--json"]).expect(4).stdout);
    assert_eq!(doc["phases"][0]["checks"][0]["passed"], false);

    let outcomes: Vec<String> = pg
        .events_of("verify")
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, vec!["passed", "failed", "failed"]);
}

#[test]
fn golang_migrates_schema_migrations_is_adopted_and_only_written_as_it_writes() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (20240101, false);",
    );
    let dir = Dir::new();
    dir.write("001_t.sql", "CREATE TABLE fm (id int);\n");

    // golang-migrate's row says every version up to 20240101 is applied: 001 is.
    for args in [&["up"][..], &["status"], &["log"]] {
        pgstep(&db, &dir, args).expect(0);
    }
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("golang-migrate"), "{status}");
    assert!(!pg.exists("fm"));
    assert!(!pg.exists("schema_migrations_log"));
    assert_eq!(
        pg.rows("SELECT version::text, dirty::text FROM schema_migrations"),
        vec![vec![Some("20240101".into()), Some("false".into())]]
    );
    assert_eq!(
        pg.count(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'schema_migrations'"
        ),
        2
    );

    // Told to ignore the tool, pgstep keeps its own history and leaves the tool's table be.
    let own = ["--adopt", "none", "--history-table", "pgstep_history"];
    pgstep(&db, &dir, &[&own[..], &["up"]].concat()).expect(0);
    assert!(pg.exists("fm"));
    let rows = pg.history_in("pgstep_history");
    assert_eq!(
        (rows[0].version.as_str(), rows[0].state.as_str()),
        ("001", "applied")
    );
    assert!(pg.exists("pgstep_history_log"));
    let status = pgstep(&db, &dir, &[&own[..], &["status"]].concat()).expect(0);
    assert!(status.stdout.contains("\"pgstep_history\""), "{status}");
    assert_eq!(pg.count("SELECT count(*) FROM schema_migrations"), 1);
}

const PASSWORD: &str = "S3cretPw!";

/// Makes the test cluster ask `role` for its password over TCP; false when the server is
/// not ours to reconfigure (`PGSTEP_TEST_URL`).
fn require_password(role: &str) -> bool {
    let Some(cluster) = server().cluster() else {
        return false;
    };
    let hba = cluster.data_dir().join("pg_hba.conf");
    let old = std::fs::read_to_string(&hba).expect("pg_hba.conf");
    // The first matching line wins, so this goes before initdb's `trust` lines.
    let ours = format!(
        "host all {role} 127.0.0.1/32 scram-sha-256\nhost all {role} ::1/128 scram-sha-256\n"
    );
    std::fs::write(&hba, format!("{ours}{old}")).expect("writing pg_hba.conf");
    Pg::connect(server().admin_url()).exec("SELECT pg_reload_conf()");
    true
}

#[test]
fn no_password_appears_in_any_output() {
    let db = fresh_db();
    let admin = Pg::connect(server().admin_url());
    let role = format!("pgstep_pw_{}", std::process::id());
    admin.exec(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"
    ));
    let pg = Pg::connect(db.url());
    pg.exec(&format!("GRANT ALL ON SCHEMA public TO {role}"));
    let enforced = require_password(&role);

    let tcp = with_database(server().admin_url(), db.name());
    let authority = tcp
        .split_once('@')
        .map(|(_, rest)| rest)
        .expect("the test URL names a user");
    let with_password = format!("postgresql://{role}:{PASSWORD}@{authority}");
    let without_password = format!("postgresql://{role}@{authority}");
    let wrong_db = with_password.replace(db.name(), "no_such_database");
    let wrong_password = with_password.replace(PASSWORD, "WrongPw!");
    if enforced {
        let rejected = wait_until(Duration::from_secs(10), || {
            pgstep_url(&without_password, &Dir::new(), &["log"]).code == Some(3)
        });
        assert!(rejected, "the server never started asking for the password");
    }

    let dir = Dir::new();
    dir.write("001_t.sql", "CREATE TABLE pw_t (id int);\n");
    dir.write("002_broken.sql", "SELECT no_such_column FROM pw_t;\n");
    let mut runs = vec![
        pgstep_url(&with_password, &dir, &["status"]).expect(0),
        pgstep_url(&with_password, &dir, &["up"]).expect(4),
        pgstep_url(&with_password, &dir, &["status", "--json"]).expect(0),
        pgstep_url(&with_password, &dir, &["log"]).expect(0),
        pgstep_url(&with_password, &dir, &["log", "--json"]).expect(0),
        pgstep_url(&wrong_db, &dir, &["status"]).expect(3),
    ];
    let mut from_env = command(&without_password, dir.path(), &["status"]);
    from_env.env("PGPASSWORD", PASSWORD);
    runs.push(finish(from_env.spawn().expect("spawn")).expect(0));
    let mut env_wrong_db = command(
        &wrong_db.replace(&format!(":{PASSWORD}"), ""),
        dir.path(),
        &["up"],
    );
    env_wrong_db.env("PGPASSWORD", PASSWORD);
    runs.push(finish(env_wrong_db.spawn().expect("spawn")).expect(3));
    if enforced {
        let run = pgstep_url(&wrong_password, &dir, &["status"]).expect(3);
        assert!(run.stderr.contains("password"), "{run}");
        assert!(!run.all().contains("WrongPw"), "{run}");
        runs.push(run);
    }
    assert!(runs[1].stderr.contains("no_such_column"), "{}", runs[1]);
    assert!(runs[5].stderr.contains("no_such_database"), "{}", runs[5]);
    for run in &runs {
        assert!(
            !run.all().contains("S3cretPw"),
            "the password leaked:\n{run}"
        );
    }
    assert!(pg.exists("pw_t"));
    let role_of_apply = pg.value("SELECT db_role FROM schema_migrations_log WHERE event = 'apply'");
    assert_eq!(role_of_apply.as_deref(), Some(role.as_str()));

    pg.exec(&format!("DROP OWNED BY {role}"));
    admin.exec(&format!("DROP ROLE {role}"));
}

/// `status` reads the plan while it connects; a bad plan is still what it reports, with the
/// input exit code, even when the server cannot be reached either.
#[test]
fn a_bad_plan_is_reported_before_a_refused_connection() {
    let dir = Dir::new();
    dir.write("001_bad.sql", "-- Lock-Timeout: soon\n\nSELECT 1;\n");
    let run = pgstep_url("postgresql://postgres@127.0.0.1:1/x", &dir, &["status"]).expect(2);
    assert!(run.stderr.contains("001_bad.sql:1"), "{run}");
    assert!(run.stderr.contains("nothing was run"), "{run}");
    assert!(!run.stderr.contains("refused"), "{run}");
}
