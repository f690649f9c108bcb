//! Progress gauges caught in a phase: an index build held by an open writer, a VACUUM held by
//! a pinned page, a COPY whose client has not finished.

use pgstep::monitor::activity;
use pgstep::monitor::progress::{self, Gauge};

use super::support::fresh_db;
use super::{eventually, finished, named, spawn_sql, waits_for};

fn gauge<'a>(gauges: &'a [Gauge], command: &str) -> Option<&'a Gauge> {
    gauges.iter().find(|g| g.command == command)
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_of_an_index_build_and_a_copy() {
    let db = fresh_db();
    let monitor = db.connect().await;
    let version = progress::server_version_num(&monitor)
        .await
        .expect("version");
    assert!(version >= 130000, "{version}");
    assert!(
        progress::load(&monitor, None, version)
            .await
            .expect("load")
            .is_empty()
    );
    monitor
        .batch_execute(
            "CREATE TABLE w (id int); CREATE TABLE v AS SELECT g AS id FROM generate_series(1, 100000) g;
             CREATE TABLE c (id int)",
        )
        .await
        .expect("tables");

    // An open writer holds the build in "waiting for writers before build" for as long as it
    // stays open.
    let (writer, writer_pid) = named(&db, "writer").await;
    writer
        .batch_execute("BEGIN; INSERT INTO w VALUES (1)")
        .await
        .expect("write");
    let (b, builder) = named(&db, "builder").await;
    let build = spawn_sql(b, "CREATE INDEX CONCURRENTLY w_id_idx ON w (id)");
    let g = eventually("the build to wait for writers", || async {
        let gauges = progress::load(&monitor, None, version).await.expect("load");
        gauge(&gauges, "CREATE INDEX CONCURRENTLY")
            .filter(|g| g.phase == "waiting for writers before build")
            .cloned()
    })
    .await;
    assert_eq!(g.pid, builder);
    assert_eq!(g.relation.as_deref(), Some("w"));
    assert_eq!(g.index.as_deref(), Some("w_id_idx"));
    assert_eq!(
        (g.done, g.total, g.unit.as_deref()),
        (Some(0), Some(1), Some("lockers"))
    );
    assert_eq!(g.percent, Some(0.0));
    assert_eq!(g.waiting_for, Some(writer_pid));
    let only = progress::load(&monitor, Some(builder), version)
        .await
        .expect("load");
    assert_eq!(only.len(), 1);
    assert!(
        progress::load(&monitor, Some(writer_pid), version)
            .await
            .expect("load")
            .is_empty()
    );
    let a = activity::load(&monitor, Some(builder)).await.expect("load");
    assert!(waits_for(&a, builder, writer_pid), "{a:#?}");

    // A COPY FROM STDIN whose client has sent rows and not finished.
    let (copier, copier_pid) = named(&db, "copier").await;
    let sink = copier.copy_in("COPY c FROM STDIN").await.expect("copy");
    let mut sink = Box::pin(sink);
    use futures_util::SinkExt;
    sink.send(bytes::Bytes::from("1\n2\n3\n"))
        .await
        .expect("rows");
    sink.flush().await.expect("flush");
    let g = eventually("the COPY to count rows", || async {
        let gauges = progress::load(&monitor, Some(copier_pid), version)
            .await
            .expect("load");
        gauge(&gauges, "COPY FROM")
            .filter(|g| g.done == Some(3))
            .cloned()
    })
    .await;
    assert_eq!(g.phase, "reading from pipe");
    assert_eq!((g.total, g.unit.as_deref()), (None, Some("tuples")));
    assert_eq!(sink.as_mut().finish().await.expect("copy done"), 3);

    // The build waits for the writer's transaction to end.
    writer.batch_execute("COMMIT").await.expect("commit");
    finished("the index build", build).await.expect("built");
    eventually("the gauges to go", || async {
        let gauges = progress::load(&monitor, None, version).await.expect("load");
        gauges.is_empty().then_some(())
    })
    .await;
}
