//! The console's choice about a copy above `trash_max`, against a real database: "do not
//! keep" rolls back with nothing kept and the reason in the event log, "keep anyway" keeps it.

mod support;

use support::console::{Console, ENTER, WAIT, line_with};
use support::fresh_db;
use support::migrations::{Dir, Pg, pgstep, wait_until};

fn kept(pg: &Pg) -> Vec<String> {
    pg.rows(
        "SELECT kind || ' ' || schema_name || '.' || table_name || ' ' || phase || ' ' || part \
         || ' ' || rows FROM pgstep_trash.kept ORDER BY id",
    )
    .into_iter()
    .filter_map(|r| r[0].clone())
    .collect()
}

/// Rolls 001 back from the console and answers the choice with `keys`.
fn roll_back(c: &mut Console, pg: &Pg, keys: &str) {
    c.wait_for("001 applied", |c| {
        line_with(&c.panes().0, &["applied", "001", "big"])
    });
    c.keys("r");
    c.wait_text("Roll back to before 001?");
    c.wait_text("above trash_max (1.0 kB)");
    c.keys("001");
    c.keys(ENTER);
    c.wait_text("Roll back to before 001: keep a copy above trash_max?");
    assert!(pg.exists("d"), "nothing runs before the choice");
    c.keys(keys);
    assert!(
        wait_until(WAIT, || !pg.exists("d")),
        "the table is still there"
    );
    assert!(
        wait_until(WAIT, || pg.history().is_empty()),
        "{:?}",
        pg.history()
    );
    c.wait_text("rolled back 001");
}

#[test]
fn the_console_asks_above_trash_max_and_passes_the_choice_to_the_engine() {
    let db = fresh_db();
    let dir = Dir::new();
    dir.write(
        "001_big.sql",
        "CREATE TABLE d AS SELECT g FROM generate_series(1, 40) g;\n-- DOWN\nDROP TABLE d;\n",
    );
    let config = dir.write("pgstep.toml", "[profiles.small]\ntrash_max = \"1kB\"\n");
    let config = config.to_string_lossy().to_string();
    let args = ["--config", config.as_str(), "--profile", "small"];
    let pg = Pg::connect(db.url());
    let up = || {
        let mut all = args.to_vec();
        all.push("up");
        pgstep(&db, &dir, &all).expect(0);
    };
    up();
    let console_args = [&["--url", db.url()][..], &args[..]].concat();
    let mut c = Console::start(&console_args, dir.path(), 120, 40);

    roll_back(&mut c, &pg, &format!("nstaging holds a copy{ENTER}"));
    let events = pg.events_of("kept");
    let last = events.last().expect("a kept event");
    assert_eq!(last.outcome, "not kept");
    assert_eq!(last.reason.as_deref(), Some("staging holds a copy"));
    assert!(
        !pg.exists("pgstep_trash.kept") || kept(&pg).is_empty(),
        "nothing kept"
    );

    up();
    roll_back(&mut c, &pg, "k");
    assert_eq!(kept(&pg), ["table public.d 001 down 40"]);
    let events = pg.events_of("kept");
    assert_eq!(events.last().map(|e| e.outcome.as_str()), Some("kept"));
    c.keys("q");
    assert!(c.wait_exit().success());
}
