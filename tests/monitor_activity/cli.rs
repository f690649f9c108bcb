//! `pgstep activity`: the JSON shape, the text report, and cancel and terminate behind the
//! typed confirmation.

use serde_json::Value;

use super::support::fresh_db;
use super::support::migrations::{Dir, pgstep_url};
use super::{finished, plant_queue};

#[tokio::test(flavor = "multi_thread")]
async fn the_activity_command_reports_json_and_cancels_after_confirmation() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let mut q = plant_queue(&db, &monitor).await;
    let url = db.url().to_string();
    // The command reads no migrations; an empty directory keeps the plan out of it.
    let run = |args: Vec<String>| {
        let url = url.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            pgstep_url(&url, &Dir::new(), &args)
        })
    };
    let arg = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let shown = finished(
        "activity --json",
        run(arg(&["activity", "--json", "--pid", &q.waiter.to_string()])),
    )
    .await
    .expect(0);
    let doc: Value = serde_json::from_str(&shown.stdout).expect("JSON");
    assert!(
        doc["server_version_num"]
            .as_i64()
            .is_some_and(|v| v >= 130000),
        "{doc}"
    );
    let waits = doc["waits"].as_array().expect("waits");
    let w = waits
        .iter()
        .find(|w| w["waiting"]["pid"] == q.waiter && w["blocker"]["pid"] == q.blocker)
        .expect("the waiter");
    for key in [
        "pid",
        "user",
        "application",
        "state",
        "xact_age_secs",
        "query",
    ] {
        assert!(
            w["blocker"].get(key).is_some(),
            "blocker.{key} missing: {w}"
        );
    }
    assert_eq!(w["blocker"]["state"], "idle in transaction");
    assert_eq!(w["mode"], "AccessExclusiveLock");
    assert_eq!(doc["focus"]["pid"], q.waiter);
    assert_eq!(doc["focus"]["blockers"][0]["pid"], q.blocker);
    assert_eq!(doc["focus"]["queued"][0]["pid"], q.queued);
    assert!(
        doc["progress"].as_array().is_some_and(|p| p.is_empty()),
        "{doc}"
    );

    let text = finished("activity", run(arg(&["activity"])))
        .await
        .expect(0);
    assert!(text.stdout.contains("lock waits (2 waiting):"), "{text}");
    assert!(
        text.stdout.contains("progress: nothing long running"),
        "{text}"
    );

    let waiter = q.waiter.to_string();
    let unconfirmed = finished(
        "activity --cancel",
        run(arg(&["activity", "--cancel", &waiter])),
    )
    .await
    .expect(2);
    assert!(unconfirmed.stderr.contains("pass --yes"), "{unconfirmed}");
    assert!(!q.waiter_task.is_finished());
    let done = finished(
        "activity --cancel --yes",
        run(arg(&[
            "activity", "--cancel", &waiter, "--yes", "--reason", "queue",
        ])),
    )
    .await
    .expect(0);
    assert!(
        done.stdout
            .starts_with(&format!("cancelled the statement of pid {waiter} waiter")),
        "{done}"
    );
    let err = finished("the ALTER", &mut q.waiter_task)
        .await
        .expect_err("cancelled");
    assert_eq!(err.code().map(|c| c.code()), Some("57014"));

    let blocker = q.blocker.to_string();
    let done = finished(
        "activity --terminate",
        run(arg(&[
            "activity",
            "--terminate",
            &blocker,
            "--yes",
            "--json",
        ])),
    )
    .await
    .expect(0);
    let doc: Value = serde_json::from_str(&done.stdout).expect("JSON");
    assert_eq!(doc["action"], "terminate");
    assert_eq!(doc["session"]["pid"], q.blocker);
    finished("the SELECT", &mut q.queued_task)
        .await
        .expect("ran");
    let missing = finished(
        "activity --cancel gone",
        run(arg(&["activity", "--cancel", &blocker, "--yes"])),
    )
    .await;
    assert_eq!(missing.code, Some(2), "{missing}");
}
