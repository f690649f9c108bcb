//! Steering a batched step while it runs: the engine's control handle pauses, resumes,
//! resizes and re-paces it, each change written to the event log; its progress says where it
//! is and why it waits. The CLI's first Ctrl-C stops it after the current batch, for `resume`.

mod support;

use std::time::Duration;

use pgstep::engine::batch::Waiting;
use pgstep::engine::{Settings, UpOptions};
use support::migrations::{Dir, Pg, command, finish, pgstep, wait_until};
use support::{engine, fresh_db_async, steer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handle_pauses_resumes_and_resizes_and_the_log_says_so() {
    let db = fresh_db_async().await;
    let dir = Dir::new();
    steer::write(&dir);
    let plan = pgstep::plan::load(dir.path()).expect("a plan");
    let eng = engine(db.connect().await, Settings::default()).await;
    let control = eng.batch_control();
    let work = tokio::spawn(async move {
        let mut progress = |_| {};
        eng.up(&plan, &UpOptions::default(), &mut progress).await
    });
    let url = db.url().to_string();
    let steer = control.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let pg = Pg::connect(&url);
        assert!(wait_until(Duration::from_secs(20), || {
            pg.exists("schema_migrations") && steer::done(&pg) >= 3
        }));
        steer.pause();
        assert!(wait_until(Duration::from_secs(5), || {
            steer
                .progress()
                .is_some_and(|p| p.waiting == Some(Waiting::Paused))
        }));
        let held = steer::done(&pg);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(steer::done(&pg), held, "a batch ran while paused");
        let p = steer.progress().expect("progress");
        assert_eq!(p.ranges_done, held as u64);
        assert_eq!(p.ranges_total, 300);
        assert_eq!(p.rows, held as u64 * 10);
        assert_eq!(p.batch_size, 10);

        steer.set_batch_size(1000);
        steer.set_pause(Duration::from_millis(1));
        steer.resume();
        held
    })
    .await
    .expect("the checks ran");
    let applied = work.await.expect("the run ended").expect("applied");
    assert_eq!(applied.len(), 2);
    let p = control.progress().expect("the last progress");
    assert_eq!(p.batch_size, 1000);
    // 3000 keys: `checked` ranges of 10, then the rest in ranges of 1000.
    let rest = (3000 - checked as u64 * 10).div_ceil(1000);
    assert_eq!(p.ranges_done, checked as u64 + rest);
    assert_eq!(p.ranges_total, p.ranges_done);
    assert_eq!(p.rows, 3000);

    let url = db.url().to_string();
    tokio::task::spawn_blocking(move || {
        let pg = Pg::connect(&url);
        assert_eq!(pg.count("SELECT count(*) FROM steer WHERE n <> 1"), 0);
        let outcomes: Vec<String> = pg
            .events_of("batch-control")
            .into_iter()
            .map(|e| e.outcome)
            .collect();
        assert_eq!(outcomes.first().map(String::as_str), Some("paused"));
        assert_eq!(outcomes.last().map(String::as_str), Some("resumed"));
        let last = pg.events_of("batch-control").pop().expect("an event");
        assert_eq!(last.details["batch_size"], 1000);
        assert_eq!(last.details["pause_ms"], 1);
    })
    .await
    .expect("the log was read");
}

#[test]
fn the_first_ctrl_c_stops_after_the_current_batch_and_resume_goes_on() {
    let db = support::fresh_db();
    let dir = Dir::new();
    steer::write(&dir);
    let pg = Pg::connect(db.url());
    pgstep(&db, &dir, &["up", "--to", "001"]).expect(0);
    let child = command(db.url(), dir.path(), &["up"])
        .spawn()
        .expect("pgstep starts");
    assert!(wait_until(Duration::from_secs(20), || steer::done(&pg) >= 3));
    let signal = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signal.success());
    let run = finish(child);
    assert_eq!(run.code, Some(130), "{run}");
    assert!(
        run.stderr.contains("stopping after the current batch"),
        "{run}"
    );
    let stopped = steer::done(&pg);
    assert!(stopped > 0 && stopped < 300, "{stopped}");
    assert_eq!(
        pg.value("SELECT state FROM schema_migrations WHERE version = '002'")
            .as_deref(),
        Some("dirty")
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM steer WHERE n = 1"),
        stopped * 10,
        "the batches recorded are the ones that ran"
    );
    assert!(
        run.stderr.contains(&format!("batch {stopped}/300 ranges")),
        "the last progress line says where it stopped:\n{run}"
    );
    pgstep(&db, &dir, &["resume", "002"]).expect(0);
    assert_eq!(pg.count("SELECT count(*) FROM steer WHERE n <> 1"), 0);
}
