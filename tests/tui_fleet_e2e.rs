//! The console's Fleet view end to end: `pgstep --fleet NAME` in a pseudo-terminal over real
//! databases; the matrix, its filter, and a target's own console opened from it and left.

mod support;

use support::console::{Console, ENTER, line_with};
use support::migrations::{Dir, Pg, fleet_of, pgstep};

#[test]
fn the_matrix_shows_filters_and_opens_a_target_console_that_returns_to_the_fleet() {
    let (dbs, config) = fleet_of(3, "");
    let plan = Dir::new();
    plan.write("001_books.sql", "CREATE TABLE books (id int);\n");
    plan.write("002_isbn.sql", "ALTER TABLE books ADD COLUMN isbn text;\n");
    // One target at the head, one a phase behind, one with nothing applied.
    pgstep(&dbs[0], &plan, &["up"]).expect(0);
    pgstep(&dbs[1], &plan, &["up", "--to", "001"]).expect(0);
    let path = config.path().join("pgstep.toml");
    let path = path.to_str().expect("a UTF-8 path");
    let mut c = Console::start(&["--config", path, "--fleet", "t"], plan.path(), 160, 30);

    c.wait_for("the matrix of three targets", |c| {
        let s = c.screen();
        s.contains("Fleet t: 3 target(s) on 1 server(s), plan head 002")
            && s.contains("now: 2 behind, 1 at-head")
            && dbs.iter().all(|d| s.contains(d.name()))
    });
    let s = c.screen();
    assert!(line_with(&s, &[dbs[0].name(), "at-head"]), "{s}");
    assert!(line_with(&s, &[dbs[1].name(), "behind"]), "{s}");
    assert!(line_with(&s, &[dbs[2].name(), "behind"]), "{s}");

    // The filter keeps the one target at the head.
    c.keys("/at-head");
    c.keys(ENTER);
    c.wait_for("only the target at the head", |c| {
        let s = c.screen();
        s.contains("1 of 3 target(s) shown")
            && s.contains(dbs[0].name())
            && !s.contains(dbs[1].name())
            && !s.contains(dbs[2].name())
    });

    // Enter opens that target's own console: its phases, both applied.
    c.keys(ENTER);
    c.wait_for("the target's own console", |c| {
        let s = c.screen();
        !s.contains("Fleet t:") && line_with(&s, &["001", "books"]) && s.contains("isbn")
    });
    assert_eq!(Pg::connect(dbs[0].url()).states().len(), 2);

    // Quitting it comes back to the fleet, read again, the filter kept.
    c.keys("q");
    c.wait_for("the fleet again", |c| {
        let s = c.screen();
        s.contains("Fleet t: 3 target(s)") && s.contains("1 of 3 target(s) shown")
    });
    c.keys("q");
    let status = c.wait_exit();
    assert!(status.success(), "{status:?}");
    c.assert_restored();
}
