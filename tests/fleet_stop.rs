//! A fleet stops starting targets when its canary fails or `max_failures` is reached; the
//! targets it never started are left untouched and reported. Ctrl-C stops it; a second one
//! cancels the statements running on the servers.

mod support;

use std::time::Duration;

use support::TestDb;
use support::migrations::{Dir, Pg, command_with_config, finish, fleet, fleet_of};

/// Six listed targets, `settings` as given, and a one-phase plan creating `orders`.
fn six(settings: &str) -> (Vec<TestDb>, Dir, Dir) {
    let (dbs, config) = fleet_of(6, settings);
    let plan = Dir::new();
    plan.write(
        "001_orders.sql",
        "CREATE TABLE orders (id int PRIMARY KEY);\n",
    );
    (dbs, config, plan)
}

fn applied(db: &TestDb) -> bool {
    let pg = Pg::connect(db.url());
    pg.exists("schema_migrations") && pg.states().iter().any(|(_, s)| s == "applied")
}

#[test]
fn a_failed_canary_stops_the_fleet_before_any_wave() {
    let (dbs, config, plan) = six("canary = 1\nmax_failures = 5\n");
    Pg::connect(dbs[0].url()).exec("CREATE TABLE orders (id int)");
    let unconfirmed = fleet(&config, &plan, &["fleet", "t", "up"]).expect(2);
    assert!(
        unconfirmed.stderr.contains("6 target(s) on 1 server(s)"),
        "{unconfirmed}"
    );
    assert!(unconfirmed.stderr.contains("pass --yes"), "{unconfirmed}");
    assert!(
        dbs.iter()
            .all(|db| !Pg::connect(db.url()).exists("schema_migrations"))
    );
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(4);
    assert!(
        run.stdout.lines().next().unwrap_or("").contains("FAILED"),
        "{run}"
    );
    assert!(run.stdout.contains("already exists"), "{run}");
    assert_eq!(run.stdout.matches("not started").count(), 5, "{run}");
    for db in &dbs[1..] {
        assert!(!Pg::connect(db.url()).exists("orders"), "{run}");
    }
    // Run again, the cause not fixed: the canary is held, and the fleet still goes no further.
    let again = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(4);
    assert!(
        again
            .stdout
            .lines()
            .next()
            .unwrap_or("")
            .contains("held: phase 001 failed in an earlier run"),
        "{again}"
    );
    assert_eq!(again.stdout.matches("not started").count(), 5, "{again}");
    assert!(dbs[1..].iter().all(|db| !applied(db)), "{again}");
}

#[test]
fn no_target_starts_once_max_failures_is_reached() {
    // One at a time, no canary, in two waves of three: the first two targets fail.
    let (dbs, config, plan) =
        six("canary = 0\nwaves = [\"50%\", \"100%\"]\nparallel = 1\nmax_failures = 2\n");
    for db in &dbs[..2] {
        Pg::connect(db.url()).exec("CREATE TABLE orders (id int)");
    }
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(4);
    assert_eq!(run.stdout.matches("FAILED").count(), 2, "{run}");
    assert_eq!(run.stdout.matches("not started").count(), 4, "{run}");
    assert!(dbs[2..].iter().all(|db| !applied(db)), "{run}");

    // Resolved on one, and run again with a higher bar: the rest run, the other is held.
    Pg::connect(dbs[0].url()).exec("DROP TABLE orders");
    let again = fleet(
        &config,
        &plan,
        &["fleet", "t", "up", "--yes", "--retry-failed"],
    )
    .expect(4);
    assert_eq!(again.stdout.matches("FAILED").count(), 1, "{again}");
    assert!(!applied(&dbs[1]), "{again}");
    assert!(
        dbs.iter()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .all(|(_, db)| applied(db)),
        "{again}"
    );
}

#[test]
fn a_target_in_flight_finishes_its_current_phase_and_goes_no_further() {
    let (dbs, config) = fleet_of(2, "canary = 0\nparallel = 2\nmax_failures = 1\n");
    let plan = Dir::new();
    plan.write(
        "001_slow.sql",
        "SELECT pg_sleep(1);\nCREATE TABLE slow (id int);\nSELECT pg_sleep(2);\n",
    );
    plan.write("002_next.sql", "CREATE TABLE next (id int);\n");
    // Both start phase 001 together: a second in, the first fails, while the second has
    // two seconds of its phase still to go.
    Pg::connect(dbs[0].url()).exec("CREATE TABLE slow (id int)");
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(4);
    assert!(run.stdout.contains("stopped after 1 phase(s)"), "{run}");
    let second = Pg::connect(dbs[1].url());
    assert_eq!(
        second.states(),
        support::migrations::states(&[("001", "applied")]),
        "{run}"
    );
    assert!(!second.exists("next"), "{run}");
}

/// Sends SIGINT, as Ctrl-C in the terminal does.
fn interrupt(child: &std::process::Child) {
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) on the pid of a child this test started and has not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
}

/// How many of pgstep's sessions on the test's databases run the phase's long sleep.
fn sleeping(pg: &Pg, names: &[&str]) -> i64 {
    let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    pg.count(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
         AND query LIKE '%pg_sleep(60)%' AND application_name LIKE 'pgstep%' \
         AND datname IN ({})",
        list.join(", ")
    ))
}

#[test]
fn a_second_ctrl_c_cancels_the_statements_on_the_servers_and_each_target_records_why() {
    let (dbs, config) = fleet_of(
        3,
        "canary = 0\nparallel = 3\nper_server = 3\nmax_failures = 3\n",
    );
    let plan = Dir::new();
    plan.write(
        "001_long.sql",
        "CREATE TABLE long (id int);\nSELECT pg_sleep(60);\n",
    );
    let names: Vec<&str> = dbs.iter().map(TestDb::name).collect();
    let watch = Pg::connect(support::server().admin_url());
    let path = config.path().join("pgstep.toml");
    let child = command_with_config(&path, plan.path(), &["fleet", "t", "up", "--yes"])
        .spawn()
        .expect("pgstep starts");
    let all_sleep =
        support::migrations::wait_until(Duration::from_secs(20), || sleeping(&watch, &names) == 3);
    assert!(
        all_sleep,
        "the three targets never ran their phase together"
    );

    // The first Ctrl-C lets the phases in flight finish: they still run.
    interrupt(&child);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sleeping(&watch, &names), 3);

    // The second cancels them on the servers, long before their sleep would end.
    interrupt(&child);
    let cancelled =
        support::migrations::wait_until(Duration::from_secs(10), || sleeping(&watch, &names) == 0);
    assert!(cancelled, "the statements still run on the servers");
    let run = finish(child);
    assert_ne!(run.code, Some(0), "{run}");
    assert_eq!(
        run.stdout.matches("FAILED after 0 phase(s)").count(),
        3,
        "{run}"
    );
    for db in &dbs {
        let pg = Pg::connect(db.url());
        let history = pg.history();
        assert_eq!(history.len(), 1, "{run}");
        assert_eq!(history[0].state, "failed", "{run}");
        let cause = history[0].error_message.as_deref().unwrap_or("");
        assert!(cause.contains("cancelled by the operator"), "{cause}");
        assert!(!pg.exists("long"), "{run}");
    }
}
