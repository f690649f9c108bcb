//! `[fleets.NAME]` refused when it is wrong: in the file (unknown key, a wave over 100%) and
//! when it runs (a discovery query that fails, or returns no text column), always with the
//! file, line and what to do, a non-zero exit and nothing run.

mod support;

use support::migrations::{Dir, Pg, fleet};

fn setup(toml: &str) -> (Dir, Dir) {
    let config = Dir::new();
    config.write("pgstep.toml", toml);
    let plan = Dir::new();
    plan.write("001_t.sql", "CREATE TABLE fleet_t (id int);\n");
    (config, plan)
}

#[test]
fn an_unknown_key_names_file_line_and_the_keys_there_are() {
    let (config, plan) = setup("[fleets.t]\ntargets = [\"host=x\"]\nparalel = 3\n");
    let run = fleet(&config, &plan, &["fleet", "t", "status"]).expect(2);
    assert!(
        run.stderr
            .contains("pgstep.toml:3:1: error: `fleets.t.paralel`: unknown setting"),
        "{run}"
    );
    assert!(run.stderr.contains("per_server"), "{run}");
}

#[test]
fn a_wave_over_100_percent_is_refused() {
    let (config, plan) = setup("[fleets.t]\ntargets = [\"host=x\"]\nwaves = [\"50%\", \"120%\"]\n");
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(2);
    assert!(
        run.stderr.contains("pgstep.toml:3:9: error: `fleets.t.waves`: a wave is a share of the targets from 1% to 100%"),
        "{run}"
    );
}

#[test]
fn an_unknown_fleet_lists_the_fleets_there_are() {
    let (config, plan) = setup("[fleets.tenants]\ntargets = [\"host=x\"]\n");
    let run = fleet(&config, &plan, &["fleet", "shards", "status"]).expect(2);
    assert!(
        run.stderr
            .contains("unknown fleet `shards`: the fleets are tenants"),
        "{run}"
    );
}

/// A fleet whose one discovery query is `query`, run against the test server, and the
/// database the targets would be.
fn discovering(query: &str) -> (support::TestDb, Dir, Dir) {
    let db = support::fresh_db();
    let toml = format!(
        "[fleets.t]\ndiscover = [\n  {{ url = \"{}\", query = \"{query}\" }},\n]\n",
        db.url()
    );
    let (config, plan) = setup(&toml);
    (db, config, plan)
}

#[test]
fn a_failing_discovery_query_is_refused_with_its_place_and_nothing_runs() {
    let (db, config, plan) = discovering("SELECT url FROM no_such_table");
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(2);
    assert!(
        run.stderr.contains("pgstep.toml:3:"),
        "the line of the query: {run}"
    );
    assert!(run.stderr.contains("`fleets.t.discover[0].query`"), "{run}");
    assert!(
        run.stderr
            .contains("relation \"no_such_table\" does not exist"),
        "{run}"
    );
    assert!(run.stderr.contains("nothing was run"), "{run}");
    let pg = Pg::connect(db.url());
    assert!(!pg.exists("fleet_t") && !pg.exists("schema_migrations"));
}

#[test]
fn a_discovery_query_without_a_text_column_is_refused() {
    let (db, config, plan) = discovering("SELECT 42 AS port");
    let run = fleet(&config, &plan, &["fleet", "t", "status"]).expect(2);
    assert!(run.stderr.contains("pgstep.toml:3:"), "{run}");
    assert!(
        run.stderr
            .contains("returns column `port` of type int4, not text"),
        "{run}"
    );
    assert!(run.stderr.contains("one text column"), "{run}");
    let (_db2, config, plan) = discovering("SELECT 'a', 'b'");
    let run = fleet(&config, &plan, &["fleet", "t", "status"]).expect(2);
    assert!(run.stderr.contains("returns 2 columns"), "{run}");
    assert!(!Pg::connect(db.url()).exists("schema_migrations"));
}

#[test]
fn a_discovery_query_that_finds_nothing_is_refused() {
    let (_db, config, plan) = discovering("SELECT ''::text WHERE false");
    let run = fleet(&config, &plan, &["fleet", "t", "up", "--yes"]).expect(2);
    assert!(run.stderr.contains("fleet `t` has no targets"), "{run}");
}
