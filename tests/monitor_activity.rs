//! Blockers and progress against a real PostgreSQL: a planted lock queue (an idle transaction
//! holding ACCESS EXCLUSIVE, a DDL waiting behind it, a SELECT queued behind the DDL), an
//! index build and a VACUUM held in a phase, a COPY in flight, and the actions that cancel or
//! terminate a blocker.

mod support;

// Crate roots look for modules beside them; these live in a directory of their own.
#[path = "monitor_activity/cli.rs"]
mod cli;
#[path = "monitor_activity/progress.rs"]
mod progress;

use std::future::Future;
use std::time::Duration;

use pgstep::engine::{Engine, EngineError, Operator, Outcome, Settings, Tables};
use pgstep::monitor::activity::{self, Activity};
use support::{TestDb, fresh_db};
use tokio::task::JoinHandle;
use tokio_postgres::Client;

/// Every wait in these tests ends well within this, or the test has hung.
const BOUND: Duration = Duration::from_secs(60);

/// A session named `app`, and its backend pid.
async fn named(db: &TestDb, app: &str) -> (Client, i32) {
    let c = db.connect().await;
    c.batch_execute(&format!("SET application_name = '{app}'"))
        .await
        .expect("set application_name");
    let pid = c
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    (c, pid)
}

/// Runs `sql` on `c` in the background, as the application would.
fn spawn_sql(c: Client, sql: &'static str) -> JoinHandle<Result<(), tokio_postgres::Error>> {
    tokio::spawn(async move { c.batch_execute(sql).await })
}

/// Polls `probe` until it answers, failing the test after [`BOUND`].
async fn eventually<T, F: Future<Output = Option<T>>>(
    what: &str,
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn finished<T>(what: &str, h: impl Future<Output = Result<T, tokio::task::JoinError>>) -> T {
    tokio::time::timeout(BOUND, h)
        .await
        .unwrap_or_else(|_| panic!("{what} never finished"))
        .expect("the task ran")
}

fn waits_for(a: &Activity, waiting: i32, blocker: i32) -> bool {
    a.waits
        .iter()
        .any(|w| w.waiting.pid == waiting && w.blocker.pid == blocker)
}

async fn engine(client: Client, read_only: bool) -> Engine {
    let settings = Settings {
        read_only,
        ..Settings::default()
    };
    Engine::open(
        client,
        Tables::default(),
        settings,
        Operator::current(),
        None,
    )
    .await
    .expect("engine")
}

/// The planted queue: `t` (217 rows) locked by `blocker`, `waiter`'s ALTER behind it, and
/// `queued`'s SELECT behind both. Returns the pids and the two background statements.
struct Queue {
    blocker: i32,
    waiter: i32,
    queued: i32,
    waiter_task: JoinHandle<Result<(), tokio_postgres::Error>>,
    queued_task: JoinHandle<Result<(), tokio_postgres::Error>>,
    _blocker_client: Client,
}

async fn plant_queue(db: &TestDb, monitor: &Client) -> Queue {
    monitor
        .batch_execute("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 217) g; ANALYZE t")
        .await
        .expect("table t");
    let (blocker_client, blocker) = named(db, "blocker").await;
    blocker_client
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock t");
    let (w, waiter) = named(db, "waiter").await;
    let waiter_task = spawn_sql(w, "ALTER TABLE t ADD COLUMN note text");
    eventually("the ALTER to wait", || async {
        let a = activity::load(monitor, None).await.expect("load");
        waits_for(&a, waiter, blocker).then_some(())
    })
    .await;
    let (q, queued) = named(db, "queued").await;
    let queued_task = spawn_sql(q, "SELECT count(*) FROM t");
    eventually("the SELECT to queue", || async {
        let a = activity::load(monitor, None).await.expect("load");
        waits_for(&a, queued, waiter).then_some(())
    })
    .await;
    Queue {
        blocker,
        waiter,
        queued,
        waiter_task,
        queued_task,
        _blocker_client: blocker_client,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_blocker_tree_names_blockers_and_queue() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let q = plant_queue(&db, &monitor).await;

    let a = activity::load(&monitor, Some(q.waiter))
        .await
        .expect("load");
    let first = a
        .waits
        .iter()
        .find(|w| w.waiting.pid == q.waiter)
        .expect("the waiter is listed");
    assert_eq!(first.blocker.pid, q.blocker);
    assert_eq!(first.object, "t");
    assert_eq!(first.mode, "AccessExclusiveLock");
    assert_eq!(first.locktype, "relation");
    assert!(first.waiting_secs.is_some_and(|s| s >= 0.0), "{first:?}");
    assert_eq!(first.blocker.state.as_deref(), Some("idle in transaction"));
    assert!(
        first.blocker.xact_age_secs.is_some_and(|s| s > 0.0),
        "{first:?}"
    );
    assert_eq!(first.blocker.application.as_deref(), Some("blocker"));
    assert!(first.blocker.user.is_some());
    assert!(!first.blocker_waits, "the blocker is the root");
    assert!(
        first
            .waiting
            .query
            .as_deref()
            .unwrap_or("")
            .starts_with("ALTER TABLE t")
    );
    let behind = a
        .waits
        .iter()
        .find(|w| w.waiting.pid == q.queued && w.blocker.pid == q.waiter)
        .expect("the SELECT waits for the ALTER");
    assert!(behind.blocker_waits, "the ALTER itself waits");
    assert!(waits_for(&a, q.queued, q.blocker), "{a:#?}");

    let focus = a.focus.as_ref().expect("focus");
    assert_eq!(focus.pid, q.waiter);
    let pids = |v: &[activity::Session]| v.iter().map(|s| s.pid).collect::<Vec<_>>();
    assert_eq!(pids(&focus.blockers), [q.blocker]);
    assert_eq!(pids(&focus.queued), [q.queued]);

    let lines = a.lines().join("\n");
    assert!(
        lines.contains(&format!("pid {} waiter waits", q.waiter)),
        "{lines}"
    );
    assert!(lines.contains("idle in transaction"), "{lines}");

    let nobody = activity::load(&monitor, Some(q.blocker))
        .await
        .expect("load");
    let focus = nobody.focus.expect("focus");
    assert!(focus.blockers.is_empty());
    let mut behind = pids(&focus.queued);
    behind.sort_unstable();
    let mut expected = [q.waiter, q.queued];
    expected.sort_unstable();
    assert_eq!(behind, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_and_terminate_are_refused_for_self_and_read_only_then_logged() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let mut q = plant_queue(&db, &monitor).await;
    let eng = engine(db.connect().await, false).await;

    let own = eng.backend_pid().await.expect("pid");
    let refused = eng
        .cancel_backend(own, None)
        .await
        .expect_err("own backend");
    assert!(
        matches!(refused, EngineError::Refused(ref m) if m.contains("own backend")),
        "{refused}"
    );
    let ro = engine(db.connect().await, true).await;
    let refused = ro
        .terminate_backend(q.blocker, None)
        .await
        .expect_err("read-only");
    assert!(
        matches!(refused, EngineError::Refused(ref m) if m.contains("read-only")),
        "{refused}"
    );
    let gone = eng
        .cancel_backend(i32::MAX, None)
        .await
        .expect_err("no such pid");
    assert!(matches!(gone, EngineError::Input(_)), "{gone}");
    assert!(
        !q.waiter_task.is_finished(),
        "nothing was sent to the waiter"
    );

    let cancelled = eng
        .cancel_backend(q.waiter, Some("the ALTER queues traffic"))
        .await
        .expect("cancel");
    assert_eq!(cancelled.pid, q.waiter);
    let err = finished("the cancelled ALTER", &mut q.waiter_task)
        .await
        .expect_err("the ALTER fails");
    assert_eq!(err.code().map(|c| c.code()), Some("57014"), "{err}");

    // Idle in transaction, it runs no statement: a cancel would report success and change
    // nothing, so it is refused with the way forward.
    let idle = eng
        .cancel_backend(q.blocker, None)
        .await
        .expect_err("no statement to cancel");
    assert!(
        matches!(idle, EngineError::Refused(ref m)
            if m.contains("idle in transaction") && m.contains("--terminate")),
        "{idle}"
    );
    let terminated = eng
        .terminate_backend(q.blocker, Some("idle in transaction"))
        .await
        .expect("terminate");
    assert_eq!(terminated.state.as_deref(), Some("idle in transaction"));
    eventually("the blocker to leave pg_stat_activity", || async {
        let n: i64 = monitor
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                &[&q.blocker],
            )
            .await
            .expect("count")
            .get(0);
        (n == 0).then_some(())
    })
    .await;
    finished("the queued SELECT", &mut q.queued_task)
        .await
        .expect("the SELECT runs once the blocker is gone");

    let events: Vec<_> = eng
        .events(10)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.event != "log-created")
        .collect();
    let of = |kind: &str| {
        events
            .iter()
            .find(|e| e.event == kind)
            .unwrap_or_else(|| panic!("no {kind} event in {events:#?}"))
    };
    let c = of("backend-cancelled");
    assert_eq!(c.outcome.known(), Some(Outcome::Cancelled));
    assert_eq!(c.reason.as_deref(), Some("the ALTER queues traffic"));
    assert_eq!(c.details["pid"], q.waiter);
    assert_eq!(c.details["application"], "waiter");
    assert!(
        c.details["query"]
            .as_str()
            .unwrap_or("")
            .starts_with("ALTER TABLE t")
    );
    let t = of("backend-terminated");
    assert_eq!(t.outcome.known(), Some(Outcome::Terminated));
    assert_eq!(t.details["pid"], q.blocker);
    assert_eq!(t.details["application"], "blocker");
    assert!(t.details["user"].is_string());
    assert_eq!(events.len(), 2, "refusals log nothing: {events:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn table_facts_size_tables_without_queueing_behind_their_locks() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let q = plant_queue(&db, &monitor).await;
    let names: Vec<String> = ["t", "public.t", "missing_table", "no.such.thing", "\"open"]
        .map(String::from)
        .to_vec();
    let facts = tokio::time::timeout(
        Duration::from_secs(4),
        activity::table_facts(&monitor, &names),
    )
    .await
    .expect("answers at once, though t is locked")
    .expect("facts");
    assert_eq!(facts.len(), 5);
    let t = &facts[0];
    assert!(t.exists && t.kind.as_deref() == Some("table"), "{t:?}");
    assert_eq!(t.rows_estimate, Some(217));
    assert!(t.bytes_estimated, "t is locked: sized from the catalog");
    assert!(t.bytes.is_some_and(|b| b > 0), "{t:?}");
    let holder = t
        .lock_holders
        .iter()
        .find(|h| h.session.pid == q.blocker)
        .expect("the blocker holds t");
    assert_eq!(holder.modes, ["AccessExclusiveLock"]);
    let waiting = t
        .lock_holders
        .iter()
        .find(|h| h.session.pid == q.waiter)
        .expect("waiter");
    assert_eq!(waiting.waiting_for.as_deref(), Some("AccessExclusiveLock"));
    assert!(
        t.describe().contains(&format!("held by pid {}", q.blocker)),
        "{}",
        t.describe()
    );
    assert_eq!(facts[1].rows_estimate, Some(217));
    for missing in &facts[2..] {
        assert!(!missing.exists && missing.bytes.is_none(), "{missing:?}");
    }
    assert_eq!(facts[3].name, "no.such.thing");

    drop(q);
    let free = db.connect().await;
    free.batch_execute(
        "CREATE TABLE p (id int) PARTITION BY RANGE (id);
         CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (1000);
         INSERT INTO p SELECT generate_series(0, 999); ANALYZE p",
    )
    .await
    .expect("partitioned table");
    let facts = activity::table_facts(&monitor, &["p".to_string()])
        .await
        .expect("facts");
    let p = &facts[0];
    assert_eq!(p.kind.as_deref(), Some("partitioned table"));
    assert_eq!(p.rows_estimate, Some(1000));
    assert!(
        !p.bytes_estimated && p.bytes.is_some_and(|b| b >= 8192),
        "{p:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_session_of_the_database_is_listed_with_whom_it_waits_for() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let reading: i32 = monitor
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    let (_idle, idle) = named(&db, "idle one").await;
    let q = plant_queue(&db, &monitor).await;

    let a = activity::load(&monitor, None).await.expect("load");
    let of = |pid: i32| {
        a.sessions
            .iter()
            .find(|s| s.pid == pid)
            .unwrap_or_else(|| panic!("pid {pid} is not listed: {:?}", a.sessions))
    };
    let blocker = of(q.blocker);
    assert_eq!(blocker.application.as_deref(), Some("blocker"));
    assert_eq!(blocker.state.as_deref(), Some("idle in transaction"));
    assert!(
        blocker.xact_age_secs.is_some_and(|s| s >= 0.0),
        "{blocker:?}"
    );
    assert!(blocker.user.is_some());
    assert!(blocker.blocked_by.is_empty());
    assert!(a.blocks_others(q.blocker));
    let waiter = of(q.waiter);
    assert_eq!(waiter.blocked_by, vec![q.blocker]);
    assert_eq!(waiter.wait_event.as_deref(), Some("Lock:relation"));
    assert!(
        waiter
            .query
            .as_deref()
            .unwrap_or("")
            .starts_with("ALTER TABLE t")
    );
    // Behind the ALTER in the queue, and behind the lock the ALTER waits for.
    let queued = &of(q.queued).blocked_by;
    assert!(
        queued.contains(&q.waiter) && queued.contains(&q.blocker),
        "{queued:?}"
    );
    let quiet = of(idle);
    assert_eq!(quiet.state.as_deref(), Some("idle"));
    assert!(quiet.blocked_by.is_empty() && !a.blocks_others(idle));
    // The session that reads is listed too: the console marks it as its own.
    assert_eq!(of(reading).state.as_deref(), Some("active"));
    // Sessions of other databases are not.
    let others: Vec<_> = a
        .sessions
        .iter()
        .filter(|s| s.backend_type.as_deref() != Some("client backend"))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    let mut pids: Vec<i32> = a.sessions.iter().map(|s| s.pid).collect();
    pids.sort();
    assert_eq!(pids, a.sessions.iter().map(|s| s.pid).collect::<Vec<_>>());

    drop(q._blocker_client);
    finished("the ALTER", q.waiter_task)
        .await
        .expect("the ALTER ran");
    finished("the SELECT", q.queued_task)
        .await
        .expect("the SELECT ran");
}
