//! `pgstep down`: rolling applied phases back newest first, refusing before anything runs
//! when it cannot roll back all it was asked to, and never without a confirmation.

mod support;

use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep, states};

fn three_phases(dir: &Dir, second_has_down: bool) {
    dir.write(
        "001_base.sql",
        "CREATE TABLE rb_a (id int PRIMARY KEY, note text);\n\
         INSERT INTO rb_a VALUES (1, 'base');\n\
         -- DOWN\n\
         DROP TABLE rb_a;\n",
    );
    let down = if second_has_down {
        "-- DOWN\nDELETE FROM rb_a WHERE note = 'from 002';\nDROP TABLE rb_b;\n"
    } else {
        ""
    };
    dir.write(
        "002_more.sql",
        &format!(
            "CREATE TABLE rb_b (id int);\n\
             INSERT INTO rb_a VALUES (2, 'from 002'), (3, 'from 002');\n{down}"
        ),
    );
    dir.write(
        "003_last.sql",
        "CREATE TABLE rb_c (id int);\n\
         CREATE INDEX rb_c_id ON rb_c (id);\n\
         -- DOWN\n\
         DROP TABLE rb_c;\n",
    );
}

#[test]
fn down_to_reverts_every_later_phase_newest_first() {
    let db = fresh_db();
    let dir = Dir::new();
    three_phases(&dir, true);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM rb_a"), 3);

    let run = pgstep(
        &db,
        &dir,
        &[
            "down",
            "--to",
            "001",
            "--yes",
            "--reason",
            "release 7 pulled",
        ],
    )
    .expect(0);
    let third = run.stdout.find("rolled back 003").expect("003 rolled back");
    let second = run.stdout.find("rolled back 002").expect("002 rolled back");
    assert!(third < second, "not newest first:\n{run}");
    assert!(!run.stdout.contains("rolled back 001"), "{run}");

    assert!(!pg.exists("rb_c"));
    assert!(!pg.exists("rb_c_id"));
    assert!(!pg.exists("rb_b"));
    assert_eq!(
        pg.rows("SELECT id::text, note FROM rb_a"),
        vec![vec![Some("1".into()), Some("base".into())]],
        "002's rows were not deleted"
    );
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    let rollbacks = pg.events_of("rollback");
    let order: Vec<_> = rollbacks.iter().map(|e| e.version.as_deref()).collect();
    assert_eq!(order, vec![Some("003"), Some("002")]);
    for e in &rollbacks {
        assert_eq!(e.reason.as_deref(), Some("release 7 pulled"));
        assert_eq!(e.outcome, "rolled back");
    }

    // Rolled back means pending again, and the phases apply as they did the first time.
    pgstep(&db, &dir, &["up"]).expect(0);
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied"), ("003", "applied")])
    );
    assert_eq!(pg.count("SELECT count(*) FROM rb_a"), 3);
}

#[test]
fn down_refuses_before_running_anything_when_a_target_has_no_down() {
    let db = fresh_db();
    let dir = Dir::new();
    three_phases(&dir, false);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    let events_before = pg.events().len();

    let run = pgstep(&db, &dir, &["down", "--all", "--yes"]).expect(6);
    assert!(run.stderr.contains("phase 002 has no DOWN"), "{run}");
    assert!(run.stderr.contains("nothing was rolled back"), "{run}");
    // 003 comes first and has a DOWN: it must not have run either.
    assert!(pg.exists("rb_c"));
    assert!(pg.exists("rb_b"));
    assert_eq!(pg.count("SELECT count(*) FROM rb_a"), 3);
    assert_eq!(pg.history().len(), 3);
    assert_eq!(pg.events().len(), events_before);

    let run = pgstep(&db, &dir, &["down", "--steps", "1", "--yes"]).expect(0);
    assert!(run.stdout.contains("rolled back 003"), "{run}");
    assert!(!pg.exists("rb_c"));
    assert_eq!(
        pg.states(),
        states(&[("001", "applied"), ("002", "applied")])
    );
}

#[test]
fn down_without_yes_and_without_a_terminal_changes_nothing() {
    let db = fresh_db();
    let dir = Dir::new();
    three_phases(&dir, true);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);
    let events_before = pg.events().len();

    let run = pgstep(&db, &dir, &["down", "--all"]).expect(2);
    assert!(run.stderr.contains("--yes"), "{run}");
    assert!(run.stderr.contains("without a terminal"), "{run}");
    assert!(pg.exists("rb_a") && pg.exists("rb_b") && pg.exists("rb_c"));
    assert_eq!(pg.history().len(), 3);
    assert_eq!(pg.events().len(), events_before);

    let run = pgstep(&db, &dir, &["down"]).expect(2);
    assert!(
        run.stderr.contains("--to VERSION, --steps N or --all"),
        "{run}"
    );
}

#[test]
fn a_failing_down_keeps_the_phase_applied() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_guarded.sql",
        "CREATE TABLE guarded (id int);\n\
         -- DOWN\n\
         DROP TABLE guarded;\n\
         DROP TABLE not_there;\n",
    );
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up"]).expect(0);

    let run = pgstep(&db, &dir, &["down", "--all", "--yes", "--reason", "test"]).expect(4);
    assert!(run.stderr.contains("001_guarded.sql:4"), "{run}");
    assert!(run.stderr.contains("not_there"), "{run}");
    assert!(pg.exists("guarded"), "the DOWN's first statement was kept");
    assert_eq!(pg.states(), states(&[("001", "applied")]));
    let failure = &pg.events_of("failure")[0];
    assert_eq!(failure.outcome, "rollback failed");
    assert_eq!(failure.reason.as_deref(), Some("test"));
    assert!(pg.events_of("rollback").is_empty());
}
