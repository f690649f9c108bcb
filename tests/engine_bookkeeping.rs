//! pgstep's own tables: made once, upgraded in place, never waiting behind a reader, and a
//! log that says when it was tampered with.

mod support;

use support::migrations::{Dir, Pg, pgstep, pgstep_url};
use support::{TestDb, fresh_db};

fn two_phases() -> (TestDb, Dir, Pg) {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_a.sql",
        "CREATE TABLE b_a (id int);\n-- DOWN\nDROP TABLE b_a;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    dir.write(
        "002_b.sql",
        "CREATE TABLE b_b (id int);\n-- DOWN\nDROP TABLE b_b;\n",
    );
    (db, dir, pg)
}

fn trigger_oids(pg: &Pg) -> Vec<Option<String>> {
    pg.rows(
        "SELECT oid::text FROM pg_trigger \
         WHERE tgrelid = 'schema_migrations_log'::regclass ORDER BY tgname",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

#[test]
fn bookkeeping_is_made_once_and_never_waits_behind_a_reader() {
    let (db, dir, pg) = two_phases();
    let before = trigger_oids(&pg);
    assert_eq!(before.len(), 3, "append-only, no-truncate and stamp");
    // An open transaction that has merely read the log.
    let reader = Pg::connect(db.url());
    reader.exec("BEGIN");
    reader.exec("SELECT count(*) FROM schema_migrations_log");

    // Before: every run dropped and made the log's triggers again, and waited for this
    // transaction with no lock_timeout.
    pgstep(&db, &dir, &["up"]).expect(0);
    pgstep(&db, &dir, &["log"]).expect(0);
    reader.exec("COMMIT");
    assert_eq!(
        trigger_oids(&pg),
        before,
        "the triggers were not made again"
    );
    assert!(pg.exists("b_b"));
}

/// The tables as pgstep's layout 1 made them.
const LAYOUT_1: &str = "
CREATE TABLE schema_migrations (
    id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
    version varchar(255) NOT NULL UNIQUE,
    name varchar(255) NOT NULL,
    applied_at timestamptz DEFAULT now(),
    checksum varchar(64),
    success boolean NOT NULL DEFAULT true,
    error_message text,
    execution_time_ms integer,
    created_at timestamptz DEFAULT now(),
    state text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'failed', 'dirty')),
    applied_by_role text NOT NULL DEFAULT current_user,
    applied_by_os_user text,
    applied_from_host text,
    checksum_up varchar(64),
    checksum_down varchar(64),
    checksum_verify varchar(64),
    fingerprint varchar(64),
    up_sql text,
    down_sql text,
    transactional boolean NOT NULL DEFAULT true,
    statements_total integer,
    statements_done integer,
    error_sqlstate text,
    error_line integer,
    check_snapshot jsonb,
    attempts integer NOT NULL DEFAULT 1
);
COMMENT ON TABLE schema_migrations IS 'pgstep history v1';
CREATE TABLE schema_migrations_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    event text NOT NULL,
    version varchar(255),
    name varchar(255),
    outcome text NOT NULL,
    duration_ms bigint,
    db_role text NOT NULL DEFAULT current_user,
    os_user text,
    host text,
    application text DEFAULT current_setting('application_name', true),
    reason text,
    details jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE schema_migrations_log IS 'pgstep event log v1 (append-only)';
";

#[test]
fn a_history_of_layout_one_is_read_as_it_is_and_upgraded_in_place() {
    let (db, dir, pg) = two_phases();
    // The same history and events, in layout 1's tables.
    pg.exec(
        "CREATE TABLE keep_h AS SELECT * FROM schema_migrations;
         CREATE TABLE keep_l AS SELECT * FROM schema_migrations_log;
         DROP TABLE schema_migrations, schema_migrations_log;",
    );
    pg.exec(LAYOUT_1);
    pg.exec(
        "INSERT INTO schema_migrations SELECT id, version, name, applied_at, checksum, success,
            error_message, execution_time_ms, created_at, state, applied_by_role,
            applied_by_os_user, applied_from_host, checksum_up, checksum_down, checksum_verify,
            fingerprint, up_sql, down_sql, transactional, statements_total, statements_done,
            error_sqlstate, error_line, check_snapshot, attempts FROM keep_h;
         INSERT INTO schema_migrations_log (at, event, version, name, outcome, details)
            SELECT at, event, version, name, outcome, details FROM keep_l WHERE event = 'apply';",
    );

    // A read-only command reads it as it is, and changes nothing.
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("001"), "{status}");
    assert!(status.stdout.contains("applied"), "{status}");
    assert!(!status.all().contains("WARNING"), "{status}");
    assert!(!pg.column_exists("schema_migrations", "in_flight"));

    pgstep(&db, &dir, &["up"]).expect(0);
    assert!(pg.column_exists("schema_migrations", "in_flight"));
    assert_eq!(
        pg.value("SELECT obj_description('schema_migrations'::regclass, 'pg_class')")
            .as_deref(),
        Some("pgstep history v4")
    );
    let kinds: Vec<String> = pg.events().into_iter().map(|e| e.event).collect();
    assert_eq!(kinds, ["apply", "log-upgraded", "apply"]);
    assert_eq!(
        pg.states(),
        support::migrations::states(&[("001", "applied"), ("002", "applied")])
    );
    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert!(pg.history().is_empty());
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(!status.all().contains("WARNING"), "{status}");
}

/// Layout 2 to 3: the columns of a batched step's progress and the WAL position a phase
/// started at.
#[test]
fn a_history_of_layout_two_is_upgraded_to_three_in_place() {
    let (db, dir, pg) = two_phases();
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    pg.exec(
        "ALTER TABLE schema_migrations DROP COLUMN IF EXISTS batch_next,
            DROP COLUMN IF EXISTS batch_last, DROP COLUMN IF EXISTS batch_done,
            DROP COLUMN IF EXISTS batch_rows, DROP COLUMN IF EXISTS wal_start;
         COMMENT ON TABLE schema_migrations IS 'pgstep history v2';
         COMMENT ON TABLE schema_migrations_log IS 'pgstep event log v2 (append-only)';",
    );
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("applied"), "{status}");
    pgstep(&db, &dir, &["up"]).expect(0);
    for column in [
        "batch_next",
        "batch_last",
        "batch_done",
        "batch_rows",
        "wal_start",
    ] {
        assert!(pg.column_exists("schema_migrations", column), "{column}");
    }
    assert_eq!(
        pg.value("SELECT obj_description('schema_migrations'::regclass, 'pg_class')")
            .as_deref(),
        Some("pgstep history v4")
    );
    let kinds: Vec<String> = pg.events().into_iter().map(|e| e.event).collect();
    assert_eq!(kinds, ["log-created", "apply", "log-upgraded", "apply"]);
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(!status.all().contains("WARNING"), "{status}");
}

#[test]
fn events_deleted_behind_a_disabled_trigger_are_reported() {
    let (db, dir, pg) = two_phases();
    pgstep(&db, &dir, &["up"]).expect(0);
    pg.exec(
        "ALTER TABLE schema_migrations_log DISABLE TRIGGER schema_migrations_log_append_only;
         DELETE FROM schema_migrations_log WHERE event = 'apply' AND version = '001';
         ALTER TABLE schema_migrations_log ENABLE TRIGGER schema_migrations_log_append_only;",
    );
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(
        status
            .stderr
            .contains("WARNING: the event log was tampered with"),
        "{status}"
    );
    assert!(
        status
            .stdout
            .contains("1 event(s) were deleted (ids 2 to 2)"),
        "{status}"
    );
    let json = pgstep(&db, &dir, &["status", "--json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["log_tampered"][0]["finding"], "events-missing");

    // The next change writes it into the log itself, once.
    pgstep(&db, &dir, &["up"]).expect(0);
    pgstep(&db, &dir, &["up"]).expect(0);
    let found = pg.events_of("log-tampered");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].details["findings"][0]["finding"], "events-missing");
}

#[test]
fn dropped_triggers_are_put_back_and_said() {
    let (db, dir, pg) = two_phases();
    pg.exec("DROP TRIGGER schema_migrations_log_append_only ON schema_migrations_log");
    pg.exec("ALTER TABLE schema_migrations_log DISABLE TRIGGER schema_migrations_log_stamp");
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(
        status
            .stdout
            .contains("schema_migrations_log_append_only was dropped"),
        "{status}"
    );
    assert!(
        status
            .stdout
            .contains("schema_migrations_log_stamp was disabled"),
        "{status}"
    );

    let up = pgstep(&db, &dir, &["up"]).expect(0);
    assert!(up.stderr.contains("WARNING"), "{up}");
    assert_eq!(trigger_oids(&pg).len(), 3);
    assert!(
        pg.try_exec("UPDATE schema_migrations_log SET outcome = 'x'")
            .is_err(),
        "append-only again"
    );
    let found = pg.events_of("log-tampered");
    assert_eq!(found.len(), 1, "{found:?}");
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(
        status.stdout.contains("recorded tampering 1 time(s)"),
        "{status}"
    );
    assert!(!status.stdout.contains("was dropped"), "{status}");
}

#[test]
fn a_dropped_log_is_made_again_and_said() {
    let (db, dir, pg) = two_phases();
    pg.exec("DROP TABLE schema_migrations_log");
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("it was dropped"), "{status}");

    pgstep(&db, &dir, &["up"]).expect(0);
    let kinds: Vec<String> = pg.events().into_iter().map(|e| e.event).collect();
    assert_eq!(kinds, ["log-created", "log-tampered", "apply"]);
    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("older than the log"), "{status}");
}

#[test]
fn a_history_dropped_under_its_log_is_not_taken_for_a_fresh_start() {
    let (db, dir, pg) = two_phases();
    pg.exec("DROP TABLE schema_migrations");
    let up = pgstep(&db, &dir, &["up"]).expect(6);
    assert!(up.stderr.contains("cannot tell what is applied"), "{up}");
    assert!(!pg.exists("b_b"), "nothing ran");
}

/// `url` as `role` instead of the superuser.
fn as_role(url: &str, role: &str) -> String {
    url.replacen("postgres@", &format!("{role}@"), 1)
}

#[test]
fn events_are_stamped_with_the_role_that_wrote_them() {
    let (db, _dir, pg) = two_phases();
    let role = format!("{}_intruder", db.name());
    pg.exec(&format!(
        "CREATE ROLE {role} LOGIN; GRANT SELECT, INSERT ON schema_migrations_log TO {role}"
    ));
    let intruder = Pg::connect(&as_role(db.url(), &role));
    intruder.exec(
        "INSERT INTO schema_migrations_log (id, at, event, outcome, db_role)
         VALUES (1000, '2000-01-01', 'apply', 'applied', 'postgres')",
    );
    let row = pg.rows(
        "SELECT id::text, db_role, (at > now() - interval '1 hour')::text \
         FROM schema_migrations_log ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(row[0][1].as_deref(), Some(role.as_str()));
    assert_eq!(row[0][2].as_deref(), Some("true"));
    assert_ne!(row[0][0].as_deref(), Some("1000"));
    assert_eq!(
        pg.count("SELECT count(*) FROM schema_migrations_log"),
        pg.count("SELECT max(id) FROM schema_migrations_log"),
        "no gap"
    );
    pg.exec(&format!(
        "REVOKE ALL ON schema_migrations_log FROM {role}; DROP ROLE {role}"
    ));
}

#[test]
fn a_role_granted_use_of_the_tables_runs_pgstep() {
    let (db, dir, pg) = two_phases();
    let role = format!("{}_deployer", db.name());
    pg.exec(&format!(
        "CREATE ROLE {role} LOGIN;
         GRANT CREATE ON SCHEMA public TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON schema_migrations TO {role};
         GRANT SELECT, INSERT ON schema_migrations_log TO {role};"
    ));
    let url = as_role(db.url(), &role);
    pgstep_url(&url, &dir, &["up"]).expect(0);
    assert_eq!(
        pg.value("SELECT applied_by_role FROM schema_migrations WHERE version = '002'")
            .as_deref(),
        Some(role.as_str())
    );
    assert_eq!(pg.events_of("apply").len(), 2);
    pgstep_url(&url, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(!pg.exists("b_b"));
    let kept = pg.events_of("kept");
    let last = kept.last().expect("the log says what was not kept");
    assert_eq!(last.outcome, "not kept");
    assert!(
        last.reason
            .as_deref()
            .is_some_and(|r| r.contains("may not create schema pgstep_trash")),
        "{last:?}"
    );
    let status = pgstep_url(&url, &dir, &["status"]).expect(0);
    assert!(!status.all().contains("WARNING"), "{status}");
}
