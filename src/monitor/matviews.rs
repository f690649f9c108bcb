//! Materialized-view freshness. PostgreSQL records no refresh time, so pgstep logs every
//! refresh it does with a snapshot of the base tables' write counters; staleness is the
//! writes since that snapshot.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::{Client, Row};

use super::indexes::StatsSince;
use crate::engine::{EventKind, Outcome};

/// One materialized view.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MatviewInfo {
    pub schema: String,
    pub name: String,
    pub oid: u32,
    /// Heap, indexes and TOAST; `None` while an ACCESS EXCLUSIVE lock is held or queued on
    /// it (a plain REFRESH running), since reading the size would wait behind it.
    pub size_bytes: Option<i64>,
    pub populated: bool,
    /// A unique index on plain columns without WHERE exists, so REFRESH ... CONCURRENTLY
    /// works (once populated).
    pub concurrent_refresh: bool,
    pub unique_index: Option<String>,
    /// The newest refresh pgstep did; refreshes done elsewhere are not known.
    pub last_refresh: Option<DateTime<Utc>>,
    pub last_refresh_concurrently: Option<bool>,
    pub last_refresh_ms: Option<i64>,
    /// Its file changed since pgstep's last refresh: a plain REFRESH elsewhere (or VACUUM
    /// FULL / CLUSTER) ran later, so `writes_since_refresh` is an upper bound.
    pub rewritten_since_refresh: bool,
    /// Leaf tables it reads, through views and partitions (`schema.table`).
    pub base_tables: Vec<String>,
    /// Base-table inserts + updates + deletes since pgstep's last refresh; `None` without
    /// such a refresh or after a statistics reset or crash. TRUNCATE is not counted.
    pub writes_since_refresh: Option<i64>,
    /// Each base table's counter now, for the snapshot a refresh records.
    #[serde(skip)]
    pub base_writes: BTreeMap<String, i64>,
}

impl MatviewInfo {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// Unpopulated, written to since the last refresh, or of unknown freshness.
    pub fn is_stale(&self) -> bool {
        !self.populated || self.writes_since_refresh != Some(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MatviewReport {
    pub matviews: Vec<MatviewInfo>,
    pub stats_since: StatsSince,
    /// How long the query took, round trip included.
    pub query_ms: u64,
}

/// Base tables of every matview (or of `$1`): the `_RETURN` rule's dependencies, through
/// plain views, partitioned tables expanded to their leaves via `pg_inherits` (not
/// `pg_partition_tree`, which locks every partition).
const WALK: &str = "
WITH RECURSIVE walk(matview, relid, depth, path) AS (
    SELECT c.oid, c.oid, 0, ARRAY[c.oid] FROM pg_class c
    WHERE c.relkind = 'm' AND ($1::oid IS NULL OR c.oid = $1)
  UNION ALL
    SELECT DISTINCT w.matview, d.refobjid, w.depth + 1, w.path || d.refobjid
    FROM walk w JOIN pg_class cur ON cur.oid = w.relid
    JOIN pg_rewrite r ON r.ev_class = w.relid AND r.rulename = '_RETURN'
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> w.relid
    WHERE (w.depth = 0 OR cur.relkind = 'v') AND d.refobjid <> ALL (w.path)
), leaves(matview, relid) AS (
    SELECT w.matview, w.relid FROM walk w JOIN pg_class b ON b.oid = w.relid
    WHERE w.depth > 0 AND b.relkind IN ('r', 'p', 'm', 'f')
  UNION
    SELECT l.matview, i.inhrelid FROM leaves l
    JOIN pg_class p ON p.oid = l.relid AND p.relkind = 'p'
    JOIN pg_inherits i ON i.inhparent = l.relid
), base AS (
    SELECT l.matview, jsonb_object_agg(format('%I.%I', n.nspname, b.relname),
               pg_stat_get_tuples_inserted(b.oid) + pg_stat_get_tuples_updated(b.oid)
               + pg_stat_get_tuples_deleted(b.oid)) AS writes
    FROM leaves l JOIN pg_class b ON b.oid = l.relid
    JOIN pg_namespace n ON n.oid = b.relnamespace
    WHERE b.relkind <> 'p' GROUP BY l.matview
), win AS (
    SELECT d.stats_reset AS reset_at, coalesce(d.stats_reset, b.stats_reset) AS counting_since,
           pg_postmaster_start_time() AS server_started
    FROM pg_stat_database d CROSS JOIN pg_stat_bgwriter b WHERE d.datname = current_database()
), locked AS (
    SELECT DISTINCT l.relation FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)";

/// The newest successful refresh pgstep logged per matview oid, in one pass over the log.
fn last_sql(log: Option<&str>) -> String {
    match log {
        Some(log) => format!(
            ", last AS (
                SELECT DISTINCT ON (details->>'oid') details->>'oid' AS oid, at, details,
                       duration_ms
                FROM {log} WHERE event = '{refresh}' AND outcome = '{refreshed}'
                ORDER BY details->>'oid', id DESC)",
            refresh = EventKind::Refresh.word(),
            refreshed = Outcome::Refreshed.as_str(),
        ),
        None => ", last AS (SELECT NULL::text AS oid, NULL::timestamptz AS at, \
                 NULL::jsonb AS details, NULL::bigint AS duration_ms WHERE false)"
            .into(),
    }
}

const SELECT: &str = "
SELECT w.reset_at, w.counting_since, w.server_started,
       n.nspname::text, m.relname::text, m.oid,
       CASE WHEN m.oid IN (SELECT relation FROM locked) THEN NULL
            ELSE pg_total_relation_size(m.oid) END,
       m.relispopulated, u.relname::text, m.relfilenode,
       coalesce(base.writes, '{}'::jsonb), last.at, last.details, last.duration_ms
FROM win w
LEFT JOIN (pg_class m JOIN pg_namespace n ON n.oid = m.relnamespace)
       ON m.relkind = 'm' AND ($1::oid IS NULL OR m.oid = $1)
LEFT JOIN base ON base.matview = m.oid
LEFT JOIN last ON last.oid = m.oid::text
LEFT JOIN LATERAL (
    SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE i.indrelid = m.oid AND i.indisunique AND i.indisvalid AND i.indimmediate
      AND i.indpred IS NULL AND i.indexprs IS NULL
    ORDER BY ic.relname LIMIT 1
) u ON true
ORDER BY n.nspname, m.relname";

/// The query; `server_version_num` is taken for symmetry with the other views: every
/// column it reads exists from 13 to 17.
pub fn sql(_server_version_num: i32, log: Option<&str>) -> String {
    format!("{WALK}{}{SELECT}", last_sql(log))
}

/// Writes since the refresh `details` recorded: `None` without a snapshot, when a base table
/// is new to it, or when a counter went down or the counting window moved (reset, crash).
pub fn writes_since(
    details: Option<&Value>,
    now: &BTreeMap<String, i64>,
    counting_since: Option<DateTime<Utc>>,
) -> Option<i64> {
    let d = details?;
    let then: Option<DateTime<Utc>> = serde_json::from_value(d.get("stats_reset")?.clone()).ok()?;
    if then != counting_since {
        return None;
    }
    let snapshot = d.get("base_writes")?.as_object()?;
    let mut total = 0i64;
    for (table, n) in now {
        let before = snapshot.get(table)?.as_i64()?;
        total += n.checked_sub(before).filter(|d| *d >= 0)?;
    }
    Some(total)
}

fn info(r: &Row, counting_since: Option<DateTime<Utc>>) -> Option<MatviewInfo> {
    // The row of an empty database has only the statistics window: every other column is
    // NULL, so it ends here before a non-null column is read.
    let schema: String = r.get::<_, Option<String>>(3)?;
    let writes: Value = r.get(10);
    let base_writes: BTreeMap<String, i64> = writes
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let details: Option<Value> = r.get(12);
    let relfilenode: u32 = r.get(9);
    let unique_index: Option<String> = r.get(8);
    Some(MatviewInfo {
        schema,
        name: r.get(4),
        oid: r.get(5),
        size_bytes: r.get(6),
        populated: r.get(7),
        concurrent_refresh: unique_index.is_some(),
        unique_index,
        last_refresh: r.get(11),
        last_refresh_concurrently: details
            .as_ref()
            .and_then(|d| d.get("concurrently")?.as_bool()),
        last_refresh_ms: r.get(13),
        rewritten_since_refresh: details
            .as_ref()
            .and_then(|d| d.get("relfilenode")?.as_u64())
            .is_some_and(|f| f != u64::from(relfilenode)),
        base_tables: base_writes.keys().cloned().collect(),
        writes_since_refresh: writes_since(details.as_ref(), &base_writes, counting_since),
        base_writes,
    })
}

async fn run(
    client: &Client,
    sql: &str,
    oid: Option<u32>,
) -> Result<(StatsSince, Vec<MatviewInfo>), tokio_postgres::Error> {
    // JIT compiling a catalog query costs more than running it.
    client
        .batch_execute(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = '5s'; \
             SET LOCAL lock_timeout = '500ms'; SET LOCAL jit = off",
        )
        .await?;
    let rows = client.query(sql, &[&oid]).await;
    let end = client.batch_execute("ROLLBACK").await;
    let rows = rows?;
    end?;
    let since = rows
        .first()
        .map(|r| StatsSince {
            reset_at: r.get(0),
            counting_since: r.get(1),
            server_started: r.get(2),
        })
        .unwrap_or_default();
    let list = rows
        .iter()
        .filter_map(|r| info(r, since.counting_since))
        .collect();
    Ok((since, list))
}

/// Every materialized view. `log` is pgstep's event log table (quoted, qualified), or
/// `None` when it does not exist yet; then no refresh is known. Read-only, one query; call
/// it in autocommit.
pub async fn load(
    client: &Client,
    server_version_num: i32,
    log: Option<&str>,
) -> Result<MatviewReport, tokio_postgres::Error> {
    let started = std::time::Instant::now();
    let (stats_since, matviews) = run(client, &sql(server_version_num, log), None).await?;
    Ok(MatviewReport {
        matviews,
        stats_since,
        query_ms: started.elapsed().as_millis() as u64,
    })
}

/// One materialized view by oid, and the statistics window.
pub async fn find(
    client: &Client,
    server_version_num: i32,
    oid: u32,
    log: Option<&str>,
) -> Result<Option<(MatviewInfo, StatsSince)>, tokio_postgres::Error> {
    let (since, list) = run(client, &sql(server_version_num, log), Some(oid)).await?;
    Ok(list.into_iter().next().map(|m| (m, since)))
}
