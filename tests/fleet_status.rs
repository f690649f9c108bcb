//! `pgstep fleet NAME status` reads every target as `pgstep status` reads it alone, whatever
//! the target holds (pgstep's history, none, a tool's table, a table pgstep must refuse),
//! and asks a target with pgstep's own history no more than three statements.

mod support;

use serde_json::Value;
use support::migrations::{Dir, Pg, Run, fleet, fleet_of, pgstep};
use support::{TestDb, server};

const ONE: &str = "CREATE TABLE one (id int);\n-- DOWN\nDROP TABLE one;\n";
const TWO: &str = "CREATE TABLE two (id int);\n-- DOWN\nDROP TABLE two;\n";

/// Each phase's `(version, state)` as `pgstep status --json` gives it for `db` alone.
fn alone(db: &TestDb, plan: &Dir) -> Vec<(String, String)> {
    let run = pgstep(db, plan, &["status", "--json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{run}"));
    doc["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| (text(&m["version"]), text(&m["state"])))
        .collect()
}

/// Each phase's `(version, state)` of target `i` in the fleet's status JSON.
fn in_fleet(doc: &Value, i: usize) -> Vec<(String, String)> {
    doc["targets"][i]["phases"]
        .as_array()
        .expect("phases")
        .iter()
        .map(|p| (text(&p["version"]), text(&p["state"])))
        .collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or("none").to_owned()
}

fn status_json(config: &Dir, plan: &Dir) -> (Run, Value) {
    let run = fleet(config, plan, &["fleet", "t", "status", "--json"]);
    let doc = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{run}"));
    (run, doc)
}

#[test]
fn every_kind_of_target_reads_as_pgstep_status_reads_it_alone() {
    let (dbs, config) = fleet_of(6, "");
    let plan = Dir::new();
    plan.write("001_one.sql", ONE);
    plan.write("002_two.sql", TWO);
    // 0 at the head, 1 never migrated, 2 one phase applied.
    pgstep(&dbs[0], &plan, &["up"]).expect(0);
    pgstep(&dbs[2], &plan, &["up", "--to", "001"]).expect(0);
    // 3: the second phase failed, its table being there already.
    Pg::connect(dbs[3].url()).exec("CREATE TABLE two (id int)");
    pgstep(&dbs[3], &plan, &["up"]).expect(4);
    // 4: dbmate applied the first phase: its table is adopted.
    Pg::connect(dbs[4].url()).exec(
        "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); \
         INSERT INTO schema_migrations VALUES ('001'); CREATE TABLE one (id int)",
    );
    // 5: a newer pgstep's history, which this one must refuse to read.
    pgstep(&dbs[5], &plan, &["up"]).expect(0);
    Pg::connect(dbs[5].url()).exec("COMMENT ON TABLE schema_migrations IS 'pgstep history v99'");

    let (run, doc) = status_json(&config, &plan);
    assert_eq!(run.code, Some(3), "{run}");
    let conditions: Vec<String> = (0..6)
        .map(|i| text(&doc["targets"][i]["condition"]))
        .collect();
    assert_eq!(
        conditions,
        [
            "at-head",
            "behind",
            "behind",
            "failed",
            "behind",
            "unreachable"
        ],
        "{run}"
    );
    for (i, db) in dbs.iter().enumerate().take(5) {
        assert_eq!(in_fleet(&doc, i), alone(db, &plan), "target {i}: {run}");
    }
    assert_eq!(
        in_fleet(&doc, 4)[0],
        ("001".into(), "applied".into()),
        "{run}"
    );
    assert!(
        text(&doc["targets"][3]["last_error"]).contains("\"two\" already exists"),
        "{run}"
    );
    let refused = pgstep(&dbs[5], &plan, &["status"]);
    let error = text(&doc["targets"][5]["last_error"]);
    assert!(error.contains("newer pgstep"), "{run}");
    assert!(refused.stderr.contains(&error), "{refused}\n{run}");
}

#[test]
fn a_table_of_the_history_name_that_is_not_pgsteps_is_reported_as_alone() {
    let (dbs, config) = fleet_of(1, "");
    let plan = Dir::new();
    plan.write("001_one.sql", ONE);
    Pg::connect(dbs[0].url()).exec("CREATE TABLE schema_migrations (id int, note text)");
    let (run, doc) = status_json(&config, &plan);
    assert_eq!(run.code, Some(3), "{run}");
    let error = text(&doc["targets"][0]["last_error"]);
    assert!(error.contains("schema_migrations"), "{run}");
    let alone = pgstep(&dbs[0], &plan, &["status"]);
    assert!(alone.stderr.contains(&error), "{alone}\n{run}");
}

/// The statements the server logged for `db`'s sessions during `fleet status`: only `db`
/// logs them (`log_statement` is set on it alone).
fn statements_of_status(db: &TestDb, config: &Dir, plan: &Dir) -> Vec<String> {
    let cluster = server()
        .cluster()
        .expect("a cluster of the tests' own, whose log they can read");
    let log = cluster.dir().join("server.log");
    let admin = Pg::connect(server().admin_url());
    admin.exec(&format!(
        "ALTER DATABASE \"{}\" SET log_statement = 'all'",
        db.name()
    ));
    let before = std::fs::read_to_string(&log).expect("the server log").len();
    fleet(config, plan, &["fleet", "t", "status"]);
    admin.exec(&format!(
        "ALTER DATABASE \"{}\" RESET log_statement",
        db.name()
    ));
    let text = std::fs::read_to_string(&log).expect("the server log");
    text[before..]
        .lines()
        .filter_map(|l| {
            l.split_once("LOG:  statement: ")
                .or_else(|| l.split_once("LOG:  execute <unnamed>: "))
        })
        .map(|(_, statement)| statement.to_owned())
        .collect()
}

#[test]
fn a_target_with_pgsteps_history_is_read_with_three_statements() {
    let (dbs, config) = fleet_of(2, "");
    let plan = Dir::new();
    plan.write("001_one.sql", ONE);
    pgstep(&dbs[0], &plan, &["up"]).expect(0);
    let migrated = statements_of_status(&dbs[0], &config, &plan);
    assert_eq!(migrated.len(), 3, "{migrated:#?}");
    assert!(
        migrated.iter().any(|s| s.starts_with("SET lock_timeout")),
        "{migrated:#?}"
    );
    assert!(
        migrated[2].starts_with("SELECT version::text"),
        "{migrated:#?}"
    );
    // Never migrated: no history to read after the look-up.
    let fresh = statements_of_status(&dbs[1], &config, &plan);
    assert_eq!(fresh.len(), 2, "{fresh:#?}");
}

#[test]
fn a_folder_in_a_tools_layout_reads_pgsteps_history_in_its_own_schema() {
    // Up/down pairs are golang-migrate's and sqlx's layout: with no tool chosen, pgstep keeps
    // its history in schema `pgstep`, away from the tools' `schema_migrations`.
    let (dbs, config) = fleet_of(2, "");
    let plan = Dir::new();
    plan.write("001_one.up.sql", "CREATE TABLE one (id int);\n");
    plan.write("001_one.down.sql", "DROP TABLE one;\n");
    plan.write("002_two.up.sql", "CREATE TABLE two (id int);\n");
    plan.write("002_two.down.sql", "DROP TABLE two;\n");
    pgstep(&dbs[0], &plan, &["up"]).expect(0);
    pgstep(&dbs[1], &plan, &["up", "--to", "001"]).expect(0);
    assert!(Pg::connect(dbs[0].url()).exists("pgstep.history"));
    let (run, doc) = status_json(&config, &plan);
    for (i, db) in dbs.iter().enumerate() {
        let expected = alone(db, &plan);
        assert_eq!(in_fleet(&doc, i), expected, "target {i}: {run}");
    }
    assert_eq!(
        text(&doc["targets"][0]["phases"][1]["state"]),
        "applied",
        "{run}"
    );
}
