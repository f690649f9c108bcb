//! The server crashing under a running phase: a backend killed with SIGKILL makes PostgreSQL
//! end every session and recover. pgstep exits 3 and says what the database holds, and the
//! next run finishes the work once. Alone in its binary: the crash ends every session of the
//! test server. `PGSTEP_FAULT_RUNS` sets how many crashes of each kind (default 2).

mod support;

use std::time::Duration;

use support::migrations::{Dir, Pg, command, finish, pgstep, wait_until};
use support::{fresh_db, server};

fn runs() -> usize {
    std::env::var("PGSTEP_FAULT_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

/// Crashes the server by killing the backend running `like` (within the text it was sent,
/// which for a transactional phase is all of its statements), once it runs, and waits until
/// the server takes connections again.
fn crash_during(url: &str, like: &str) {
    let pg = Pg::connect(url);
    let find = format!(
        "SELECT pid::text FROM pg_stat_activity WHERE query LIKE '%{like}%' AND pid <> pg_backend_pid()"
    );
    assert!(
        wait_until(Duration::from_secs(20), || !pg.rows(&find).is_empty()),
        "nothing ran {like}"
    );
    let pid = pg.rows(&find)[0][0].clone().expect("a pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    drop(pg);
    // The server needs a moment to notice the crash before it stops taking connections.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        wait_until(Duration::from_secs(60), || {
            support::block_on(|| async {
                match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
                    Ok((client, connection)) => {
                        tokio::spawn(connection);
                        client.simple_query("SELECT 1").await.is_ok()
                    }
                    Err(_) => false,
                }
            })
        }),
        "the server did not come back"
    );
}

#[test]
fn a_server_crash_mid_phase_is_reported_truthfully_and_finished_once() {
    if server().cluster().is_none() {
        eprintln!("skipped: the test server is not a cluster of this test's own");
        return;
    }
    for _ in 0..runs() {
        let db = fresh_db();
        let dir = Dir::new();
        // How long the phases sleep is read from a table, so a run can be slow and the next
        // quick without changing a file.
        let setup = Pg::connect(db.url());
        setup.exec("CREATE TABLE c_sleep AS SELECT 30 AS s");
        // The test server trades durability for speed; a crash test needs commits that last.
        setup.exec(&format!(
            "ALTER DATABASE {} SET synchronous_commit = on",
            db.name()
        ));
        drop(setup);
        dir.write(
            "001_tx.sql",
            "CREATE TABLE c_tx (id int);\n\
             INSERT INTO c_tx SELECT 1 FROM pg_sleep((SELECT s FROM c_sleep));\n",
        );
        dir.write(
            "002_none.sql",
            "-- Transaction: none\n\
             CREATE TABLE c_one (id int);\n\
             CREATE TABLE c_two AS SELECT 1 AS id FROM pg_sleep((SELECT s FROM c_sleep));\n",
        );

        let up = command(db.url(), dir.path(), &["up", "--to", "001"])
            .spawn()
            .expect("pgstep starts");
        crash_during(db.url(), "INSERT INTO c_tx");
        let run = finish(up).expect(3);
        assert!(run.stderr.contains("rolled it back"), "{run}");
        let pg = Pg::connect(db.url());
        assert!(!pg.exists("c_tx"));

        pg.exec("UPDATE c_sleep SET s = 0");
        pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
        pg.exec("UPDATE c_sleep SET s = 30");
        let up = command(db.url(), dir.path(), &["up"])
            .spawn()
            .expect("pgstep starts");
        crash_during(db.url(), "CREATE TABLE c_two");
        let run = finish(up).expect(3);
        assert!(run.stderr.contains("statement 2 of 2"), "{run}");

        // The crash undid the CREATE TABLE AS: the database says so, and it runs again.
        let pg = Pg::connect(db.url());
        assert!(!pg.exists("c_two"));
        pg.exec("UPDATE c_sleep SET s = 0");
        pgstep(&db, &dir, &["resume", "002"]).expect(0);
        assert_eq!(pg.count("SELECT count(*) FROM c_tx"), 1);
        assert_eq!(pg.count("SELECT count(*) FROM c_two"), 1);
        assert_eq!(pg.events_of("in-doubt")[0].outcome, "not done");
    }
}
