//! Applying transactional phases against a real PostgreSQL: all of a phase or none of it,
//! checks as a gate, extensions checked first, dry runs that change nothing.

mod support;

use std::path::Path;

use pgstep::conninfo::{self, Inputs};
use pgstep::engine::{Engine, Operator, Outcome, Progress, Settings, Tables, UpOptions};
use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep, pgstep_url, states};
use support::proxy::{Tap, server_port};

const HALF_WAY_BROKEN: &str = "\
-- Migration: half way

CREATE TABLE half_a (id int PRIMARY KEY);
INSERT INTO half_a VALUES (1), (2);
CREATE TABLE half_b (id int);
INSERT INTO half_b (id)
SELECT id FROM no_such_table;

-- DOWN
DROP TABLE half_b;
DROP TABLE half_a;
";

#[test]
fn a_failing_transactional_phase_leaves_nothing_and_applies_once_fixed() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_half_way.sql", HALF_WAY_BROKEN);
    let pg = Pg::connect(db.url());

    let run = pgstep(&db, &dir, &["up"]).expect(4);
    // The error points into the second line of the statement, where the missing table is.
    assert!(run.stderr.contains("001_half_way.sql:7"), "{run}");
    assert!(run.stderr.contains("42P01"), "{run}");
    assert!(run.stderr.contains("no_such_table"), "{run}");
    assert!(!pg.exists("half_a"), "the phase's first table survived");
    assert!(!pg.exists("half_b"));

    let rows = pg.history();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(
        (row.version.as_str(), row.state.as_str()),
        ("001", "failed")
    );
    assert!(!row.success);
    let message = row.error_message.as_deref().unwrap_or_default();
    assert!(message.contains("no_such_table"), "{message}");
    assert_eq!(row.error_sqlstate.as_deref(), Some("42P01"));
    assert_eq!(row.error_line, Some(7));
    let failures = pg.events_of("failure");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].version.as_deref(), Some("001"));
    assert_eq!(failures[0].details["sqlstate"], "42P01");
    assert_eq!(failures[0].details["line"], 7);

    let status = pgstep(&db, &dir, &["status"]).expect(0);
    assert!(status.stdout.contains("failed"), "{status}");
    assert!(status.stdout.contains("no_such_table"), "{status}");

    dir.write(
        "001_half_way.sql",
        &HALF_WAY_BROKEN.replace("FROM no_such_table", "FROM half_a"),
    );
    let run = pgstep(&db, &dir, &["up"]).expect(0);
    assert!(run.stdout.contains("applied 001 half_way"), "{run}");
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    let row = &pg.history()[0];
    assert!(row.success);
    assert_eq!(row.error_message, None);
    assert_eq!(pg.count("SELECT count(*) FROM half_b"), 2);
    assert_eq!(pg.events_of("apply").len(), 1);
}

/// Statements are sent ahead of their replies; none may run past a failure, not even when a
/// later one would end the aborted transaction and run the rest outside it.
#[test]
fn nothing_after_a_failed_statement_runs() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_early.sql",
        "-- Migration: early\n\nSELECT 1 / 0;\nCREATE TABLE early_after (id int);\n",
    );
    let pg = Pg::connect(db.url());
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("001_early.sql:3"), "{run}");
    assert!(run.stderr.contains("22012"), "{run}");
    assert!(!pg.exists("early_after"));
    assert_eq!(pg.history()[0].error_line, Some(3));

    dir.write(
        "001_early.sql",
        "-- Migration: early\n\nCREATE TABLE early_before (id int);\nSELECT 1 / 0;\n\
         COMMIT;\nCREATE TABLE early_outside (id int);\n",
    );
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("001_early.sql:4"), "{run}");
    assert!(!pg.exists("early_before"));
    assert!(
        !pg.exists("early_outside"),
        "a statement ran after the failure"
    );
    assert_eq!(pg.states(), states(&[("001", "failed")]));
}

/// Statement 2 of 50 fails: the server raises its error and no other, so the statements after
/// it, the history writes and COMMIT never reach it as commands. Sequences are not
/// transactional, so `last_value` also tells whether any `nextval` ran. A phase without
/// checks, one with a check, and a syntax error (which the server finds before running any).
#[test]
fn the_server_raises_one_error_for_a_failed_statement_and_runs_nothing_after_it() {
    let db = fresh_db();
    let Some(port) = server_port(db.url()) else {
        eprintln!("skipped: the test server is not on 127.0.0.1");
        return;
    };
    let dir = Dir::new();
    dir.write("000_seq.sql", "CREATE SEQUENCE after_fail;\n");
    pgstep(&db, &dir, &["up"]).expect(0);
    let pg = Pg::connect(db.url());
    let check = "-- VERIFY\n-- Check: one\n-- Expect: = 1\nSELECT 1;\n";
    let cases = [
        ("SELECT 1 / 0", "", "22012", 1),
        ("SELECT 1 / 0", check, "22012", 1),
        ("SELEC 1", "", "42601", 1),
        ("SELECT\n  1\n  FROM no_such_table", check, "42P01", 3),
    ];
    for (bad, verify, code, offset) in cases {
        let mut up = format!("-- Migration: fails early\n\nCREATE TABLE early (id int);\n{bad};\n");
        for _ in 3..=50 {
            up.push_str("SELECT nextval('after_fail');\n");
        }
        up.push_str(verify);
        dir.write("001_fails.sql", &up);
        let tap = Tap::start(port);
        let run = pgstep_url(&tap.url(db.url()), &dir, &["up"]).expect(4);
        let line = 3 + offset;
        assert!(
            run.stderr.contains(&format!("001_fails.sql:{line}")),
            "{run}"
        );
        assert_eq!(
            tap.errors(),
            vec![code.to_string()],
            "{bad} {verify}\n{run}"
        );
        assert_eq!(
            pg.value("SELECT is_called::text FROM after_fail")
                .as_deref(),
            Some("false")
        );
        assert!(!pg.exists("early"));
        let row = pg
            .history()
            .into_iter()
            .find(|r| r.version == "001")
            .expect("a row");
        assert_eq!(row.state, "failed");
        assert_eq!(row.error_sqlstate.as_deref(), Some(code));
        assert_eq!(row.error_line, Some(line));
        let failures = pg.events_of("failure");
        let last = failures.last().expect("a failure event");
        assert_eq!(last.details["statement"], bad, "{last:?}");
        assert_eq!(last.details["line"], line);
    }
}

/// A phase without checks is sent whole; the server times it, and the history row, the
/// event and the report agree.
#[test]
fn a_phase_sent_whole_is_timed_by_the_server() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_slow.sql",
        "-- Migration: slow\n\nCREATE TABLE slow (id int);\nSELECT pg_sleep(0.2);\n",
    );
    let pg = Pg::connect(db.url());
    let run = pgstep(&db, &dir, &["up"]).expect(0);
    let ms = pg.count("SELECT execution_time_ms FROM schema_migrations WHERE version = '001'");
    assert!((200..5000).contains(&ms), "{ms} ms");
    let logged = pg.count("SELECT duration_ms FROM schema_migrations_log WHERE event = 'apply'");
    assert_eq!(logged, ms);
    assert!(
        run.stdout.contains(&format!("applied 001 slow in {ms} ms")),
        "{run}"
    );
    let row = &pg.history()[0];
    assert_eq!(
        (row.statements_done, row.statements_total),
        (Some(2), Some(2))
    );
    assert!(pg.exists("slow"));
}

/// pgstep prepares its history writes once per session; a phase that deallocates the
/// session's prepared statements must not break the writes behind it or after it.
#[test]
fn phases_that_deallocate_prepared_statements_are_recorded() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_dealloc.sql",
        "-- Migration: dealloc\n\nCREATE TABLE dealloc_a (id int);\nDEALLOCATE ALL;\n\
         -- DOWN\nDEALLOCATE ALL;\nDROP TABLE dealloc_a;\n",
    );
    dir.write(
        "002_discard.sql",
        "-- Migration: discard\n-- Transaction: none\n\nCREATE TABLE dealloc_b (id int);\n\
         DISCARD ALL;\nCREATE INDEX CONCURRENTLY dealloc_b_id ON dealloc_b (id);\n\
         -- DOWN\nDROP TABLE dealloc_b;\n",
    );
    dir.write(
        "003_fails.sql",
        "-- Migration: fails\n\nDEALLOCATE ALL;\nSELECT 1 / 0;\n",
    );
    let pg = Pg::connect(db.url());
    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("22012"), "{run}");
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied"), ("003", "failed")])
    );
    assert!(pg.exists("dealloc_b_id"));
    assert_eq!(pg.events_of("apply").len(), 2);
    assert_eq!(pg.events_of("failure").len(), 1);

    pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert!(!pg.exists("dealloc_a"));
    assert!(!pg.exists("dealloc_b"));
    assert_eq!(pg.events_of("rollback").len(), 2);
}

#[test]
fn a_check_that_catches_lost_rows_rolls_the_phase_back() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE items (id int PRIMARY KEY, v text);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) g;",
    );
    let dir = Dir::new();
    dir.write(
        "001_prune.sql",
        "-- Migration: prune items\n\
         CREATE TABLE prune_audit (id int);\n\
         INSERT INTO prune_audit SELECT id FROM items WHERE id > 2;\n\
         DELETE FROM items WHERE id > 2;\n\
         \n\
         -- VERIFY\n\
         -- Check: no item lost\n\
         -- Expect: unchanged\n\
         SELECT count(*) FROM items;\n",
    );

    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("no item lost"), "{run}");
    assert!(run.stderr.contains("before 5, after 2"), "{run}");
    assert!(run.stderr.contains("rolled back"), "{run}");
    assert_eq!(pg.count("SELECT count(*) FROM items"), 5);
    assert!(!pg.exists("prune_audit"));

    let row = &pg.history()[0];
    assert_eq!(row.state, "failed");
    assert!(!row.success);
    assert!(
        row.error_message
            .as_deref()
            .is_some_and(|m| m.contains("no item lost")),
        "{row:?}"
    );
    let failure = &pg.events_of("failure")[0];
    assert_eq!(failure.outcome, "check failed");
    assert_eq!(failure.details["checks"][0]["passed"], false);
    assert!(pg.events_of("apply").is_empty());
}

#[test]
fn phases_apply_in_order_with_their_checks_recorded() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_accounts.sql",
        "CREATE TABLE accounts (id int PRIMARY KEY, email text);\n\
         INSERT INTO accounts VALUES (1, 'a@x'), (2, 'b@x');\n\
         -- VERIFY\n\
         -- Check: two accounts\n\
         -- Expect: = 2\n\
         SELECT count(*) FROM accounts;\n\
         -- DOWN\n\
         DROP TABLE accounts;\n",
    );
    dir.write(
        "002_email_index.sql",
        "-- Step: index\n\
         CREATE UNIQUE INDEX accounts_email ON accounts (email);\n\
         -- VERIFY\n\
         -- Check: no duplicate emails\n\
         SELECT email FROM accounts GROUP BY email HAVING count(*) > 1;\n",
    );
    let pg = Pg::connect(db.url());

    let run = pgstep(&db, &dir, &["up", "--to", "1"]).expect(0);
    assert!(run.stdout.contains("two accounts"), "{run}");
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    assert!(!pg.exists("accounts_email"));

    let run = pgstep(&db, &dir, &["up"]).expect(0);
    assert!(run.stdout.contains("applied 002 email_index"), "{run}");
    assert!(pg.exists("accounts_email"));
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied")])
    );
    let applies = pg.events_of("apply");
    assert_eq!(applies.len(), 2);
    assert_eq!(applies[1].details["checks"][0]["passed"], true);

    let run = pgstep(&db, &dir, &["up"]).expect(0);
    assert!(run.stdout.contains("nothing to apply"), "{run}");
    assert_eq!(pg.events_of("apply").len(), 2);
}

#[test]
fn a_missing_extension_is_reported_before_anything_runs() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write("001_first.sql", "CREATE TABLE first_table (id int);\n");
    dir.write(
        "002_search.sql",
        "-- Requires: some_missing_extension\n\
         CREATE TABLE second_table (id int);\n",
    );
    let pg = Pg::connect(db.url());

    let run = pgstep(&db, &dir, &["up"]).expect(4);
    assert!(run.stderr.contains("some_missing_extension"), "{run}");
    assert!(run.stderr.contains("002"), "{run}");
    assert!(!pg.exists("first_table"), "a phase ran before the check");
    assert!(!pg.exists("second_table"));
    assert!(pg.history().is_empty());
    assert!(pg.events_of("apply").is_empty());
}

#[test]
fn a_dry_run_reports_rows_and_locks_and_changes_nothing() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    pg.exec(
        "CREATE TABLE items (id int PRIMARY KEY, v text);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) g;",
    );
    let dir = Dir::new();
    dir.write(
        "001_reshape.sql",
        "UPDATE items SET v = upper(v) WHERE id <= 3;\n\
         ALTER TABLE items ADD COLUMN extra int;\n\
         CREATE TABLE dry_new (id int);\n\
         -- VERIFY\n\
         -- Check: nothing lost\n\
         -- Expect: unchanged\n\
         SELECT count(*) FROM items;\n",
    );

    let run = pgstep(&db, &dir, &["up", "--dry-run"]).expect(0);
    assert!(run.stdout.contains("dry run of 001 reshape"), "{run}");
    assert!(run.stdout.contains("3 row(s)"), "{run}");
    let locks = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("items:"))
        .unwrap_or_else(|| panic!("no lock line for items:\n{run}"));
    assert!(locks.contains("AccessExclusiveLock"), "{locks}");
    assert!(run.stdout.contains("nothing lost"), "{run}");

    assert!(!pg.exists("dry_new"));
    assert!(!pg.column_exists("items", "extra"));
    assert_eq!(
        pg.count("SELECT count(*) FROM items WHERE v = upper(v)"),
        0,
        "the dry run's update was kept"
    );
    assert!(pg.history().is_empty());
    let dry = pg.events_of("dry-run");
    assert_eq!(dry.len(), 1, "{dry:?}");
    assert_eq!(dry[0].outcome, "ok");
    assert_eq!(dry[0].version.as_deref(), Some("001"));
    // Besides the log's first event and the role for checks, which the first check run of
    // this cluster creates.
    let kinds: Vec<String> = pg
        .events()
        .into_iter()
        .map(|e| e.event)
        .filter(|e| e != "checks-role-created")
        .collect();
    assert_eq!(
        kinds,
        ["log-created", "dry-run"],
        "only the dry run is logged, after the log's first event"
    );
}

#[test]
fn the_seed_003_example_applies_and_rolls_back_as_is() {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    // What Supabase provides and the 006 policy calls.
    pg.exec(
        "CREATE SCHEMA auth;
         CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE
             AS $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;",
    );
    let dir = Dir::new();
    dir.copy_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed003"));

    let run = pgstep(&db, &dir, &["up"]).expect(0);
    assert!(run.stdout.contains("applied 006 user_preferences"), "{run}");
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("006", "applied")])
    );
    assert!(pg.exists("profiles"));
    assert!(pg.exists("user_preferences"));
    assert!(pg.exists("idx_user_preferences_user_id"));
    assert_eq!(
        pg.count(
            "SELECT count(*) FROM pg_policies WHERE tablename = 'user_preferences' \
             AND policyname = 'Users can manage their own preferences'"
        ),
        1
    );

    let run = pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(0);
    assert!(run.stdout.contains("rolled back 006"), "{run}");
    assert!(run.stdout.contains("rolled back 001"), "{run}");
    assert!(!pg.exists("user_preferences"));
    assert!(!pg.exists("profiles"));
    assert!(pg.history().is_empty());
    assert_eq!(pg.events_of("rollback").len(), 2);
}

#[tokio::test]
async fn the_library_reports_progress_and_keeps_history() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_one.sql",
        "-- Step: tables\n\
         CREATE TABLE lib_one (id int);\n\
         CREATE TABLE lib_two (id int);\n\
         -- VERIFY\n\
         -- Check: empty\n\
         -- Expect: = 0\n\
         SELECT count(*) FROM lib_one;\n",
    );
    let plan = pgstep::plan::load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let params = conninfo::resolve(&Inputs::from_process(Some(db.url().to_string())))
        .unwrap_or_else(|e| panic!("{e}"));
    let (client, _conn) = conninfo::connect(&params)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::open(
        client,
        Tables::default(),
        Settings::default(),
        Operator::current(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let mut seen = Vec::new();
    let done = engine
        .up(&plan, &UpOptions::default(), &mut |p| seen.push(p))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].version, "001");
    assert_eq!(done[0].checks[0].grade, pgstep::engine::Grade::Pass);

    let statements: Vec<(u32, Option<String>)> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Statement { line, step, .. } => Some((*line, step.clone())),
            _ => None,
        })
        .collect();
    let tables = Some("tables".to_string());
    assert_eq!(statements, vec![(2, tables.clone()), (3, tables)]);
    assert!(matches!(
        seen.first(),
        Some(Progress::PhaseStarted { statements: 2, .. })
    ));
    assert!(matches!(seen.last(), Some(Progress::PhaseDone { .. })));

    let rows = engine.history().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].checksum, Some(plan.migrations[0].checksum.clone()));
    let stored: String = engine
        .client()
        .query_one("SELECT checksum FROM schema_migrations", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .get(0);
    assert_eq!(stored, plan.migrations[0].checksum.to_string());
    assert!(stored.len() == 64 && stored.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(rows[0].statements_done, Some(2));
    assert!(
        engine
            .lock_holder()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    let events = engine.events(10).await.unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["apply", "log-created"], "newest first");
    let outcomes: Vec<_> = events.iter().map(|e| e.outcome.known()).collect();
    assert_eq!(outcomes, [Some(Outcome::Applied), Some(Outcome::Ok)]);
}

/// The console's plan keeps no SQL: each phase is read again from its file when it runs, and a
/// file edited since the plan was read is refused before anything of it runs.
#[test]
fn an_outlined_plan_runs_what_its_files_said_when_read() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_one.sql",
        "CREATE TABLE outline_one (id int);\n-- DOWN\nDROP TABLE outline_one;\n",
    );
    dir.write(
        "002_two.sql",
        "CREATE TABLE outline_two (id int);\n-- DOWN\nDROP TABLE outline_two;\n",
    );
    let plan = pgstep::plan::load_outline(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(plan.migrations.iter().all(|m| !m.is_read()));
    assert!(
        plan.migrations[0].up.sql().is_err(),
        "the text stays in the file"
    );
    dir.write(
        "002_two.sql",
        "CREATE TABLE outline_other (id int);\n-- DOWN\nDROP TABLE outline_other;\n",
    );
    let (rt, engine) = engine_at(db.url());

    let err = rt
        .block_on(engine.up(&plan, &UpOptions::default(), &mut |_| {}))
        .expect_err("a changed file is refused");
    let message = err.to_string();
    assert!(message.contains("002_two.sql"), "{message}");
    assert!(
        message.contains("changed since the plan was read"),
        "{message}"
    );
    let pg = Pg::connect(db.url());
    assert!(
        pg.exists("outline_one"),
        "the phase before it ran from its file"
    );
    assert!(!pg.exists("outline_two") && !pg.exists("outline_other"));
    let rows = pg.history();
    let versions: Vec<&str> = rows.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["001"]);
    assert_eq!(
        pg.value("SELECT up_sql FROM schema_migrations").as_deref(),
        Some("CREATE TABLE outline_one (id int);\n"),
        "the text recorded is the file's"
    );

    // Rolled back from the outline too: its DOWN is read from the file.
    let all = pgstep::engine::DownTarget::All;
    rt.block_on(engine.down(&plan, &all, None, None, &mut |_| {}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!pg.exists("outline_one"));
    assert!(pg.history().is_empty());
}

/// A library engine on `url`, and the runtime that drives it from a plain test.
fn engine_at(url: &str) -> (tokio::runtime::Runtime, Engine) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let params = conninfo::resolve(&Inputs::from_process(Some(url.to_string())))
        .unwrap_or_else(|e| panic!("{e}"));
    let (client, _conn) = rt
        .block_on(conninfo::connect(&params))
        .unwrap_or_else(|e| panic!("{e}"));
    let engine = rt
        .block_on(Engine::open(
            client,
            Tables::default(),
            Settings::default(),
            Operator::current(),
            None,
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    (rt, engine)
}

/// Rolling back from an outlined plan reads each DOWN as it runs, but an older phase's file
/// changed since the plan was read stops the rollback before the newest phase is undone.
#[test]
fn an_outlined_rollback_refuses_a_changed_file_before_undoing_anything() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_one.sql",
        "CREATE TABLE outdown_one (id int);\n-- DOWN\nDROP TABLE outdown_one;\n",
    );
    dir.write(
        "002_two.sql",
        "CREATE TABLE outdown_two (id int);\n-- DOWN\nDROP TABLE outdown_two;\n",
    );
    pgstep(&db, &dir, &["up"]).expect(0);
    let plan = pgstep::plan::load_outline(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    dir.write(
        "001_one.sql",
        "CREATE TABLE outdown_one (id int);\n-- DOWN\nDROP TABLE outdown_one CASCADE;\n",
    );
    let (rt, engine) = engine_at(db.url());

    let all = pgstep::engine::DownTarget::All;
    let err = rt
        .block_on(engine.down(&plan, &all, None, None, &mut |_| {}))
        .expect_err("a changed file is refused");
    let message = err.to_string();
    assert!(message.contains("001_one.sql"), "{message}");
    assert!(
        message.contains("changed since the plan was read"),
        "{message}"
    );
    let pg = Pg::connect(db.url());
    assert!(pg.exists("outdown_one") && pg.exists("outdown_two"));
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied")])
    );
}
