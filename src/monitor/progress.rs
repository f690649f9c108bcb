//! Progress of long statements, from the `pg_stat_progress_*` views: CREATE INDEX and
//! REINDEX, CLUSTER and VACUUM FULL, VACUUM, ANALYZE (PostgreSQL 13+) and COPY (14+). Each
//! gauge shows the current phase and how far that phase is; the counters restart with every
//! phase, so a percentage is only ever of the phase.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use super::activity::{Error, read_json};

/// One statement's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gauge {
    pub pid: i32,
    /// `CREATE INDEX CONCURRENTLY`, `REINDEX`, `CLUSTER`, `VACUUM FULL`, `VACUUM`,
    /// `ANALYZE`, `COPY FROM`, `COPY TO`.
    pub command: String,
    /// Whether autovacuum runs it rather than a client.
    pub autovacuum: bool,
    pub relation: Option<String>,
    /// The index being built, or the one CLUSTER orders by.
    pub index: Option<String>,
    /// The view's phase name, such as `building index: scanning table`; for COPY, where the
    /// data goes (`reading from pipe`).
    pub phase: String,
    pub done: Option<i64>,
    pub total: Option<i64>,
    /// What `done` and `total` count: `blocks`, `tuples`, `lockers`, `partitions`,
    /// `indexes`, `tables`, `statistics`, `bytes`.
    pub unit: Option<String>,
    /// Of the phase, when the total is known.
    pub percent: Option<f64>,
    /// The session a CREATE INDEX CONCURRENTLY waits for, in its waiting phases.
    pub waiting_for: Option<i32>,
}

impl Gauge {
    /// `CREATE INDEX CONCURRENTLY t_x_idx on t: building index: scanning table 42.0%
    /// (1200 of 2857 blocks)`.
    pub fn describe(&self) -> String {
        let mut s = self.command.clone();
        if let Some(i) = &self.index {
            s.push_str(&format!(" {i}"));
        }
        if let Some(r) = &self.relation {
            s.push_str(&format!(" on {r}"));
        }
        if self.autovacuum {
            s.push_str(" (autovacuum)");
        }
        s.push_str(&format!(": {}", self.phase));
        if let Some(p) = self.percent {
            s.push_str(&format!(" {p:.1}%"));
        }
        let unit = self.unit.as_deref().unwrap_or("");
        match (self.done, self.total) {
            (Some(d), Some(t)) => s.push_str(&format!(" ({d} of {t} {unit})")),
            (Some(d), None) => s.push_str(&format!(" ({d} {unit})")),
            _ => {}
        }
        if let Some(p) = self.waiting_for {
            s.push_str(&format!(", waiting for pid {p}"));
        }
        s
    }
}

/// The create-index branch: the phase's own counter, whichever it advances.
const CREATE_INDEX: &str = "
    SELECT p.pid, p.command::text, p.datname, nullif(p.relid, 0)::regclass::text AS relation,
        nullif(p.index_relid, 0)::regclass::text AS index, p.phase::text,
        CASE WHEN p.blocks_total > 0 THEN p.blocks_done WHEN p.tuples_total > 0
            THEN p.tuples_done WHEN p.lockers_total > 0 THEN p.lockers_done
            WHEN p.partitions_total > 0 THEN p.partitions_done END AS done,
        CASE WHEN p.blocks_total > 0 THEN p.blocks_total WHEN p.tuples_total > 0
            THEN p.tuples_total WHEN p.lockers_total > 0 THEN p.lockers_total
            WHEN p.partitions_total > 0 THEN p.partitions_total END AS total,
        CASE WHEN p.blocks_total > 0 THEN 'blocks' WHEN p.tuples_total > 0 THEN 'tuples'
            WHEN p.lockers_total > 0 THEN 'lockers' WHEN p.partitions_total > 0
            THEN 'partitions' END AS unit,
        nullif(p.current_locker_pid, 0)::int AS waiting_for
    FROM pg_stat_progress_create_index p";

/// CLUSTER and VACUUM FULL: heap blocks while scanning, tuples while writing, then indexes.
const CLUSTER: &str = "
    SELECT p.pid, p.command::text, p.datname, nullif(p.relid, 0)::regclass::text,
        nullif(p.cluster_index_relid, 0)::regclass::text, p.phase::text,
        CASE WHEN p.phase = 'rebuilding index' THEN p.index_rebuild_count
            WHEN p.phase = 'writing new heap' THEN p.heap_tuples_written
            WHEN p.heap_blks_total > 0 THEN p.heap_blks_scanned ELSE p.heap_tuples_scanned END,
        CASE WHEN p.phase = 'rebuilding index'
                THEN (SELECT count(*) FROM pg_index i WHERE i.indrelid = p.relid)
            WHEN p.phase = 'writing new heap' THEN nullif(p.heap_tuples_scanned, 0)
            WHEN p.heap_blks_total > 0 THEN p.heap_blks_total END,
        CASE WHEN p.phase = 'rebuilding index' THEN 'indexes'
            WHEN p.phase <> 'writing new heap' AND p.heap_blks_total > 0 THEN 'blocks'
            ELSE 'tuples' END,
        NULL::int
    FROM pg_stat_progress_cluster p";

/// VACUUM: heap blocks scanned, then vacuumed; indexes where the server counts them (17+,
/// read through `to_jsonb` so the query runs on older servers too).
const VACUUM: &str = "
    SELECT p.pid, 'VACUUM', p.datname, nullif(p.relid, 0)::regclass::text, NULL, p.phase::text,
        CASE WHEN p.phase = 'vacuuming heap' THEN p.heap_blks_vacuumed
            WHEN p.phase IN ('vacuuming indexes', 'cleaning up indexes')
                AND (to_jsonb(p) ->> 'indexes_total')::bigint > 0
                THEN (to_jsonb(p) ->> 'indexes_processed')::bigint
            ELSE p.heap_blks_scanned END,
        CASE WHEN p.phase IN ('vacuuming indexes', 'cleaning up indexes')
                AND (to_jsonb(p) ->> 'indexes_total')::bigint > 0
                THEN (to_jsonb(p) ->> 'indexes_total')::bigint
            ELSE p.heap_blks_total END,
        CASE WHEN p.phase IN ('vacuuming indexes', 'cleaning up indexes')
                AND (to_jsonb(p) ->> 'indexes_total')::bigint > 0 THEN 'indexes'
            ELSE 'blocks' END,
        NULL::int
    FROM pg_stat_progress_vacuum p";

/// ANALYZE (13+): sample blocks, child tables, or extended statistics, by phase.
const ANALYZE: &str = "
    SELECT p.pid, 'ANALYZE', p.datname, nullif(p.relid, 0)::regclass::text, NULL, p.phase::text,
        CASE p.phase WHEN 'acquiring inherited sample rows' THEN p.child_tables_done
            WHEN 'computing extended statistics' THEN p.ext_stats_computed
            ELSE p.sample_blks_scanned END,
        CASE p.phase WHEN 'acquiring inherited sample rows' THEN p.child_tables_total
            WHEN 'computing extended statistics' THEN p.ext_stats_total
            ELSE p.sample_blks_total END,
        CASE p.phase WHEN 'acquiring inherited sample rows' THEN 'tables'
            WHEN 'computing extended statistics' THEN 'statistics' ELSE 'blocks' END,
        NULL::int
    FROM pg_stat_progress_analyze p";

/// COPY (14+): bytes of a file of known size, else rows (a pipe has no total). The command
/// and type are set just after the client is told to start sending, so they can be NULL.
const COPY: &str = "
    SELECT p.pid, coalesce(p.command, 'COPY'), p.datname, nullif(p.relid, 0)::regclass::text,
        NULL, coalesce(CASE p.command WHEN 'COPY FROM' THEN 'reading from '
            WHEN 'COPY TO' THEN 'writing to ' END || lower(p.type), 'starting'),
        CASE WHEN p.bytes_total > 0 THEN p.bytes_processed ELSE p.tuples_processed END,
        nullif(p.bytes_total, 0),
        CASE WHEN p.bytes_total > 0 THEN 'bytes' ELSE 'tuples' END,
        NULL::int
    FROM pg_stat_progress_copy p";

/// The query for a server of `server_version_num`: the views it has, in one UNION ALL.
pub fn sql(pid: Option<i32>, server_version_num: i32) -> String {
    let mut branches = vec![CREATE_INDEX, CLUSTER, VACUUM];
    if server_version_num >= 130000 {
        branches.push(ANALYZE);
    }
    if server_version_num >= 140000 {
        branches.push(COPY);
    }
    let pid = pid.map_or("NULL::int".into(), |p| format!("{p}::int"));
    format!(
        "SELECT coalesce(jsonb_agg(jsonb_build_object('pid', g.pid,
            'command', coalesce(g.command, 'unknown'),
            'autovacuum', coalesce(a.backend_type = 'autovacuum worker', false),
            'relation', g.relation, 'index', g.index, 'phase', coalesce(g.phase, 'unknown'),
            'done', g.done, 'total', g.total, 'unit', g.unit,
            'percent', round(100.0 * g.done / nullif(g.total, 0), 1),
            'waiting_for', g.waiting_for) ORDER BY g.pid, g.command), '[]')::text
         FROM ({}) AS g(pid, command, datname, relation, index, phase, done, total, unit,
                        waiting_for)
         LEFT JOIN pg_stat_activity a ON a.pid = g.pid
         WHERE g.datname = current_database() AND ({pid} IS NULL OR g.pid = {pid})",
        branches.join("\n    UNION ALL")
    )
}

/// The long statements running in this database now (only `pid`'s when given). The client
/// must not be inside a transaction: each call reads a fresh snapshot.
pub async fn load(
    client: &Client,
    pid: Option<i32>,
    server_version_num: i32,
) -> Result<Vec<Gauge>, Error> {
    read_json(client, &sql(pid, server_version_num)).await
}

/// `server_version_num` of the connected server, to choose the queries.
pub async fn server_version_num(client: &Client) -> Result<i32, Error> {
    read_json(client, "SELECT current_setting('server_version_num')").await
}

/// The time left from two looks at the same gauge `elapsed` apart: `None` unless both are in
/// the same phase of the same statement, the total is known, and it advanced.
pub fn estimate(earlier: &Gauge, later: &Gauge, elapsed: Duration) -> Option<Duration> {
    let same = earlier.pid == later.pid
        && earlier.command == later.command
        && earlier.phase == later.phase
        && earlier.total == later.total;
    let (d0, d1, total) = (earlier.done?, later.done?, later.total?);
    if !same || d1 <= d0 || total <= 0 || elapsed.is_zero() {
        return None;
    }
    let rate = (d1 - d0) as f64 / elapsed.as_secs_f64();
    let left = (total - d1).max(0) as f64 / rate;
    Some(Duration::from_secs_f64(left))
}

/// Remembers each gauge's first look in its current phase, so that the estimate rests on the
/// whole phase's average rate rather than on the last poll's jitter.
#[derive(Debug, Default)]
pub struct Eta {
    first: HashMap<(i32, String, String), (Gauge, Instant)>,
}

impl Eta {
    /// The time left for each of `gauges` (in order) seen `now`; forgets statements that ended
    /// and phases that changed.
    pub fn observe(&mut self, gauges: &[Gauge], now: Instant) -> Vec<Option<Duration>> {
        let key = |g: &Gauge| (g.pid, g.command.clone(), g.phase.clone());
        self.first
            .retain(|k, _| gauges.iter().any(|g| key(g) == *k));
        gauges
            .iter()
            .map(|g| {
                let (first, at) = self.first.entry(key(g)).or_insert_with(|| (g.clone(), now));
                estimate(first, g, now.saturating_duration_since(*at))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gauge(phase: &str, done: i64, total: i64) -> Gauge {
        Gauge {
            pid: 7,
            command: "CREATE INDEX CONCURRENTLY".into(),
            autovacuum: false,
            relation: Some("t".into()),
            index: Some("t_x_idx".into()),
            phase: phase.into(),
            done: Some(done),
            total: Some(total),
            unit: Some("blocks".into()),
            percent: Some(100.0 * done as f64 / total as f64),
            waiting_for: None,
        }
    }

    const SCAN: &str = "building index: scanning table";

    #[test]
    fn eta_from_the_rate_between_two_looks() {
        let a = gauge(SCAN, 100, 1100);
        let b = gauge(SCAN, 300, 1100);
        assert_eq!(
            estimate(&a, &b, Duration::from_secs(2)),
            Some(Duration::from_secs(8))
        );
        assert_eq!(
            estimate(&a, &gauge(SCAN, 1100, 1100), Duration::from_secs(2)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn no_eta_without_progress_or_across_phases() {
        let a = gauge(SCAN, 100, 1100);
        assert_eq!(estimate(&a, &a, Duration::from_secs(2)), None);
        let sorting = gauge("sorting live tuples", 300, 1100);
        assert_eq!(estimate(&a, &sorting, Duration::from_secs(2)), None);
        let other_total = gauge(SCAN, 300, 2000);
        assert_eq!(estimate(&a, &other_total, Duration::from_secs(2)), None);
        let b = gauge(SCAN, 300, 1100);
        assert_eq!(estimate(&a, &b, Duration::ZERO), None);
        let mut unknown = b.clone();
        unknown.total = None;
        assert_eq!(estimate(&a, &unknown, Duration::from_secs(2)), None);
    }

    #[test]
    fn eta_tracks_each_phase_from_its_first_look() {
        let t0 = Instant::now();
        let mut eta = Eta::default();
        assert_eq!(eta.observe(&[gauge(SCAN, 0, 1000)], t0), [None]);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(
            eta.observe(&[gauge(SCAN, 100, 1000)], t1),
            [Some(Duration::from_secs(9))]
        );
        let t2 = t0 + Duration::from_secs(2);
        assert_eq!(
            eta.observe(&[gauge("sorting live tuples", 0, 50)], t2),
            [None]
        );
        let t3 = t0 + Duration::from_secs(3);
        assert_eq!(
            eta.observe(&[gauge("sorting live tuples", 10, 50)], t3),
            [Some(Duration::from_secs(4))]
        );
        assert_eq!(eta.observe(&[], t3), Vec::<Option<Duration>>::new());
        assert!(eta.first.is_empty());
    }

    #[test]
    fn queries_follow_the_server_version() {
        let v13 = sql(None, 130000);
        assert!(v13.contains("pg_stat_progress_analyze"));
        assert!(!v13.contains("pg_stat_progress_copy"));
        assert!(sql(None, 150000).contains("pg_stat_progress_copy"));
        assert!(sql(Some(42), 170000).contains("g.pid = 42::int"));
    }

    #[test]
    fn one_line_per_gauge() {
        let mut g = gauge(SCAN, 1200, 2857);
        g.percent = Some(42.0);
        assert_eq!(
            g.describe(),
            "CREATE INDEX CONCURRENTLY t_x_idx on t: building index: scanning table 42.0% \
             (1200 of 2857 blocks)"
        );
        g.phase = "waiting for writers before build".into();
        g.unit = Some("lockers".into());
        (g.done, g.total, g.percent, g.waiting_for) = (Some(0), Some(1), Some(0.0), Some(99));
        assert!(
            g.describe()
                .ends_with("0.0% (0 of 1 lockers), waiting for pid 99")
        );
    }
}
