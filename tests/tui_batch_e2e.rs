//! A batched phase steered from the console, end to end: the real binary in a
//! pseudo-terminal against a real database. The gauge appears, `p` pauses it (no batch
//! commits while paused), `+` doubles its batch size, `p` resumes it, and the event log holds
//! each change; a phase stopped from the console is resumed from it, every row changed once.

mod support;

use std::time::Duration;

use support::console::{Console, ENTER, ESC, WAIT, line_with};
use support::migrations::{Dir, Pg, states, wait_until};
use support::{fresh_db, steer};

/// The console with 001 applied through it and 002, the batched phase, started.
fn batching(pg: &Pg, url: &str, dir: &Dir) -> Console {
    let mut c = Console::open(url, dir.path(), 120, 40);
    c.wait_for("two pending phases", |c| {
        let s = c.screen();
        line_with(&s, &["pending", "001", "steer"]) && line_with(&s, &["pending", "002", "bump"])
    });
    c.keys("n");
    c.wait_text("Apply phase 001?");
    c.keys("y");
    assert!(
        wait_until(WAIT, || {
            pg.exists("schema_migrations") && pg.states() == states(&[("001", "applied")])
        }),
        "{:?}",
        pg.states()
    );
    c.wait_text("Applied 001 steer");
    c.keys(ESC);
    c.wait_gone("Applied 001 steer");
    c.wait_for("002 selected", |c| {
        let (list, detail) = c.panes();
        line_with(&list, &[">", "002", "bump"]) && detail.contains("002 bump")
    });
    c.keys("n");
    c.wait_text("Apply phase 002?");
    c.keys("y");
    c.wait_text("Batches of 002 · Bump");
    c
}

fn setup() -> (support::TestDb, Pg, Dir) {
    let db = fresh_db();
    let pg = Pg::connect(db.url());
    let dir = Dir::new();
    steer::write(&dir);
    (db, pg, dir)
}

#[test]
fn a_real_batched_phase_is_paused_resized_and_resumed_from_the_console() {
    let (db, pg, dir) = setup();
    let mut c = batching(&pg, db.url(), &dir);
    c.wait_for("a few batches", |_| steer::done(&pg) >= 3);
    c.wait_for("the gauge's figures", |c| {
        line_with(&c.screen(), &["rows/s", "batch size 10", "pause 20 ms"])
    });

    c.keys("p");
    c.wait_text("paused by the operator: p resumes");
    let at = steer::done(&pg);
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(steer::done(&pg), at, "a batch committed while paused");

    c.keys("+");
    c.wait_text("batch size 20 ");
    for size in ["40", "80", "160"] {
        c.keys("+");
        c.wait_text(&format!("batch size {size} "));
    }
    assert_eq!(steer::done(&pg), at, "a batch committed while paused");

    c.keys("p");
    both_applied(&pg, &c);
    c.wait_gone("Batches of 002");
    assert_eq!(pg.count("SELECT count(*) FROM steer WHERE n <> 1"), 0);

    let control = pg.events_of("batch-control");
    let outcomes: Vec<&str> = control.iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes.first(), Some(&"paused"), "{control:?}");
    assert_eq!(outcomes.last(), Some(&"resumed"), "{control:?}");
    let sizes: Vec<(i64, i64)> = control
        .iter()
        .filter(|e| e.outcome == "changed")
        .map(|e| {
            let n = |k: &str| e.details[k].as_i64().unwrap();
            (n("batch_size_was"), n("batch_size"))
        })
        .collect();
    assert_eq!(
        sizes,
        [(10, 20), (20, 40), (40, 80), (80, 160)],
        "{control:?}"
    );
    assert!(control.iter().all(|e| e.version.as_deref() == Some("002")));
    let resumed = control.last().unwrap();
    assert_eq!(resumed.details["paused"], false);
    assert_eq!(resumed.details["batch_size"], 160);

    c.wait_text("Applied 002 bump");
    c.keys(ESC);
    c.wait_gone("Applied 002 bump");
    c.keys("q");
    assert!(c.wait_exit().success());
}

#[test]
fn a_batched_phase_stopped_from_the_console_is_resumed_from_it() {
    let (db, pg, dir) = setup();
    let mut c = batching(&pg, db.url(), &dir);
    c.wait_for("a few batches", |_| steer::done(&pg) >= 3);
    c.keys("c");
    c.wait_text("Cancel the running statement on the server?");
    c.keys("y");
    assert!(
        wait_until(WAIT, || {
            pg.states() == states(&[("001", "applied"), ("002", "dirty")])
        }),
        "{:?}\n{}",
        pg.states(),
        c.screen()
    );
    c.wait_for("002 dirty", |c| {
        line_with(&c.screen(), &["dirty", "002", "bump"])
    });
    c.wait_gone("Batches of 002");
    let stopped_at = steer::done(&pg);
    assert!(stopped_at < 300, "it ran to its end: {stopped_at}");

    c.keys("s");
    c.wait_text("reason (goes to the event log)");
    c.keys("stopped to look at the replicas");
    c.keys("\t");
    c.keys("002");
    c.keys(ENTER);
    c.wait_text("Batches of 002 · Bump");
    both_applied(&pg, &c);
    // Every range once: none repeated after the stop, none left out.
    assert_eq!(pg.count("SELECT count(*) FROM steer WHERE n <> 1"), 0);
    assert_eq!(steer::done(&pg), 300);
    let resumes = pg.events_of("resume");
    assert_eq!(resumes.len(), 1, "{resumes:?}");
    assert_eq!(
        resumes[0].reason.as_deref(),
        Some("stopped to look at the replicas")
    );

    c.wait_text("Applied 002 bump");
    c.keys(ESC);
    c.wait_gone("Applied 002 bump");
    c.keys("q");
    assert!(c.wait_exit().success());
}

/// Waits until both phases are applied, showing the history and the screen if they are not.
fn both_applied(pg: &Pg, c: &Console) {
    assert!(
        wait_until(WAIT, || {
            pg.states() == states(&[("001", "applied"), ("002", "applied")])
        }),
        "{:?}\n{}",
        pg.states(),
        c.screen()
    );
}
