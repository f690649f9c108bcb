//! `pgstep fleet NAME verify`, `down` and `up --to`: each target's checks, rollback and
//! partial apply as the single commands run them, over every target.

mod support;

use support::migrations::{Dir, Pg, fleet, fleet_of, pgstep, states};

const THINGS: &str = "CREATE TABLE things (id int);\n\
    -- DOWN\n\
    DROP TABLE things;\n\
    -- VERIFY\n\
    -- Check: no things yet\n\
    -- Expect: empty\n\
    SELECT id FROM things;\n";

#[test]
fn verify_reports_the_failing_check_and_down_rolls_every_target_back() {
    let (dbs, config) = fleet_of(3, "");
    let plan = Dir::new();
    plan.write("001_things.sql", THINGS);
    fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(0);
    fleet(&config, &plan, &["fleet", "t", "verify"]).expect(0);

    Pg::connect(dbs[2].url()).exec("INSERT INTO things VALUES (1)");
    let verify = fleet(&config, &plan, &["fleet", "t", "verify", "--json"]).expect(4);
    let doc: serde_json::Value = serde_json::from_str(&verify.stdout).expect("JSON");
    let outcomes: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["done", "done", "failed"], "{verify}");
    assert!(
        doc[2]["error"]
            .as_str()
            .unwrap()
            .contains("`no things yet`"),
        "{verify}"
    );

    let down = fleet(
        &config,
        &plan,
        &[
            "fleet",
            "t",
            "down",
            "--all",
            "--yes",
            "--reason",
            "fleet test",
        ],
    )
    .expect(0);
    assert_eq!(down.stdout.matches("done: 1 phase(s)").count(), 3, "{down}");
    for db in &dbs {
        let pg = Pg::connect(db.url());
        assert!(!pg.exists("things"));
        let rollbacks = pg.events_of("rollback");
        assert_eq!(rollbacks.len(), 1);
        assert_eq!(rollbacks[0].reason.as_deref(), Some("fleet test"));
    }
    let status = fleet(&config, &plan, &["fleet", "t", "status"]).expect(4);
    assert!(status.stdout.contains("now: 3 behind"), "{status}");
    fleet(&config, &plan, &["fleet", "t", "down"]).expect(2);
}

#[test]
fn up_to_a_version_stops_every_target_where_pgstep_up_to_stops_one() {
    let (dbs, config) = fleet_of(3, "");
    let plan = Dir::new();
    plan.write("001_a.sql", "CREATE TABLE a (id int);\n");
    plan.write("002_b.sql", "CREATE TABLE b (id int);\n");
    plan.write("003_c.sql", "CREATE TABLE c (id int);\n");

    let unknown = fleet(&config, &plan, &["fleet", "t", "up", "--to", "9", "--yes"]).expect(2);
    assert!(
        unknown
            .stderr
            .contains("version 9 is not in the plan; nothing was run"),
        "{unknown}"
    );
    for db in &dbs {
        assert!(!Pg::connect(db.url()).exists("a"));
    }

    let up = fleet(&config, &plan, &["fleet", "t", "up", "--to", "2", "--yes"]).expect(0);
    assert_eq!(up.stdout.matches("done: 2 phase(s)").count(), 3, "{up}");
    let alone = support::fresh_db();
    pgstep(&alone, &plan, &["up", "--to", "2"]).expect(0);
    let expected = states(&[("001", "applied"), ("002", "applied")]);
    assert_eq!(Pg::connect(alone.url()).states(), expected);
    for db in &dbs {
        let pg = Pg::connect(db.url());
        assert_eq!(pg.states(), expected);
        assert!(pg.exists("b") && !pg.exists("c"));
    }
    let again = fleet(&config, &plan, &["fleet", "t", "up", "--to", "2", "--yes"]).expect(0);
    assert_eq!(again.stdout.matches("unchanged").count(), 3, "{again}");
    fleet(&config, &plan, &["fleet", "t", "status"]).expect(4);

    fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(0);
    fleet(&config, &plan, &["fleet", "t", "status"]).expect(0);
}
