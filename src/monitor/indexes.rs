//! Index usage and health: size, scans, and the verdicts a DBA acts on (unused, invalid,
//! duplicate, covered), from one catalog-and-statistics query.

use chrono::{DateTime, Utc};
use tokio_postgres::{Client, Row};

/// Where the statistics window starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSince {
    /// The last `pg_stat_reset()` (or single-table reset) of this database; `None` when the
    /// counters were never reset, so they count since initdb or the last crash.
    pub reset_at: Option<DateTime<Utc>>,
    /// Best estimate of when counting started: the reset, else the cluster-wide statistics
    /// reset (initdb, or the recovery after a crash, which zeroes every counter).
    pub counting_since: Option<DateTime<Utc>>,
    pub server_started: Option<DateTime<Utc>>,
}

impl StatsSince {
    /// "statistics since 2024-05-01 10:00 UTC (reset)" or "... since start/crash ...".
    pub fn describe(&self) -> String {
        let at = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        match (self.reset_at, self.counting_since) {
            (Some(r), _) => format!("statistics since {} (last reset)", at(r)),
            (None, Some(c)) => format!(
                "statistics since start/crash (never reset; probably since {})",
                at(c)
            ),
            (None, None) => "statistics since start/crash (never reset)".into(),
        }
    }
}

/// One index, with its verdicts.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IndexInfo {
    pub schema: String,
    pub table: String,
    pub index: String,
    /// `None` while another session holds (or waits for) an ACCESS EXCLUSIVE lock on it or
    /// its table: reading the size would queue behind that lock.
    pub size_bytes: Option<i64>,
    /// `None` for a partitioned index, which has no counters of its own.
    pub scans: Option<i64>,
    pub tuples_read: Option<i64>,
    pub tuples_fetched: Option<i64>,
    /// PostgreSQL 16 and later.
    pub last_scan: Option<DateTime<Utc>>,
    /// `CREATE INDEX ...`; `None` while locked, as `size_bytes`.
    pub definition: Option<String>,
    pub method: String,
    pub partitioned: bool,
    pub unique: bool,
    pub primary: bool,
    pub exclusion: bool,
    pub replica_identity: bool,
    /// The primary key, unique or exclusion constraint the index implements.
    pub constraint: Option<String>,
    pub valid: bool,
    pub ready: bool,
    pub live: bool,
    /// No scans in the statistics window (never said of unique, primary, exclusion,
    /// replica-identity or constraint-backed indexes).
    pub unused: bool,
    /// Not valid, ready or live: a failed `CREATE INDEX CONCURRENTLY` or `REINDEX` leftover.
    pub invalid: bool,
    /// Named `..._ccnew` / `..._ccold`: left by an interrupted `REINDEX CONCURRENTLY`.
    pub reindex_leftover: bool,
    /// An index build runs on the table now, so an invalid index may be that build.
    pub building: bool,
    pub duplicate_of: Option<String>,
    pub covered_by: Option<String>,
    /// A foreign key whose columns lead this index (deletes on the parent search by it).
    pub foreign_key: Option<String>,
    pub warnings: Vec<String>,
}

/// The verdicts to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Unused,
    Invalid,
    Duplicate,
    Covered,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Unused => "unused",
            Verdict::Invalid => "invalid",
            Verdict::Duplicate => "duplicate",
            Verdict::Covered => "covered",
        }
    }
}

/// The orders the list can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Schema, table, index.
    Name,
    /// Largest first.
    Size,
    /// Fewest scans first.
    Scans,
}

impl IndexInfo {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.index)
    }

    pub fn has(&self, v: Verdict) -> bool {
        match v {
            Verdict::Unused => self.unused,
            Verdict::Invalid => self.invalid,
            Verdict::Duplicate => self.duplicate_of.is_some(),
            Verdict::Covered => self.covered_by.is_some(),
        }
    }

    /// Backs a primary key, unique or exclusion constraint, or enforces uniqueness: dropping
    /// it changes what the database accepts, not only how fast it is.
    pub fn enforces_something(&self) -> bool {
        self.primary || self.exclusion || self.constraint.is_some() || (self.unique && self.valid)
    }

    /// The verdicts in words: "unused", "invalid", "duplicate of x", "covered by y".
    pub fn verdict_text(&self) -> String {
        let mut v = Vec::new();
        if self.invalid {
            v.push(if self.reindex_leftover {
                "invalid (REINDEX leftover)".to_string()
            } else {
                "invalid".to_string()
            });
        } else if self.building && !self.valid {
            v.push("being built".to_string());
        }
        if self.unused {
            v.push("unused".into());
        }
        if let Some(d) = &self.duplicate_of {
            v.push(format!("duplicate of {d}"));
        }
        if let Some(c) = &self.covered_by {
            v.push(format!("covered by {c}"));
        }
        v.join(", ")
    }
}

/// Every index of the database's user schemas, and where the counters start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct IndexReport {
    pub indexes: Vec<IndexInfo>,
    pub stats_since: StatsSince,
    /// How long the query took, round trip included.
    pub query_ms: u64,
}

impl IndexReport {
    pub fn sort_by(&mut self, key: SortKey) {
        let name = |i: &IndexInfo| (i.schema.clone(), i.table.clone(), i.index.clone());
        match key {
            SortKey::Name => self.indexes.sort_by_key(name),
            SortKey::Size => self
                .indexes
                .sort_by_key(|i| (std::cmp::Reverse(i.size_bytes.unwrap_or(-1)), name(i))),
            SortKey::Scans => self
                .indexes
                .sort_by_key(|i| (i.scans.unwrap_or(i64::MAX), name(i))),
        }
    }

    /// The indexes of `table` (`name` or `schema.name`) with `verdict`, each when given.
    pub fn filter(&self, table: Option<&str>, verdict: Option<Verdict>) -> Vec<&IndexInfo> {
        self.indexes
            .iter()
            .filter(|i| {
                table.is_none_or(|t| t == i.table || t == format!("{}.{}", i.schema, i.table))
            })
            .filter(|i| verdict.is_none_or(|v| i.has(v)))
            .collect()
    }
}

/// "8.0 kB", "1.2 MB": `pg_size_pretty`'s units, one decimal.
pub fn pretty_size(bytes: Option<i64>) -> String {
    let Some(b) = bytes else {
        return "locked".into();
    };
    let mut v = b as f64;
    for unit in ["bytes", "kB", "MB", "GB", "TB"] {
        if v < 1024.0 || unit == "TB" {
            return if unit == "bytes" {
                format!("{b} bytes")
            } else {
                format!("{v:.1} {unit}")
            };
        }
        v /= 1024.0;
    }
    unreachable!("the loop returns at TB")
}

/// The one query. `$1` limits it to one index (NULL: all). Size, definition and expressions
/// are skipped for an index or table with an ACCESS EXCLUSIVE lock held or queued (a
/// migration's DDL): `pg_relation_size`, `pg_get_indexdef` and `pg_get_expr` take ACCESS
/// SHARE, so reading them would queue behind it.
pub fn sql(server_version_num: i32) -> String {
    let last_scan = if server_version_num >= 160000 {
        "pg_stat_get_lastscan(x.indexrelid)"
    } else {
        "NULL::timestamptz"
    };
    format!("{SQL_HEAD}{last_scan}{SQL_TAIL}")
}

const SQL_HEAD: &str = "
WITH win AS (
    SELECT d.stats_reset AS reset_at, coalesce(d.stats_reset, b.stats_reset) AS counting_since,
           pg_postmaster_start_time() AS server_started
    FROM pg_stat_database d CROSS JOIN pg_stat_bgwriter b WHERE d.datname = current_database()
), locked AS (
    SELECT DISTINCT l.relation FROM pg_locks l
    WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
), building AS (
    SELECT DISTINCT p.relid FROM pg_stat_progress_create_index p WHERE p.relid IS NOT NULL
), idx AS (
    SELECT i.indexrelid, i.indrelid, ic.relam, ic.relkind, n.nspname, t.relname AS tabname,
           ic.relname AS idxname, i.indisunique, i.indisprimary, i.indisexclusion,
           i.indisreplident, i.indisvalid, i.indisready, i.indislive, i.indnkeyatts,
           con.conname, i.indisprimary OR con.conname IS NOT NULL AS backed,
           i.indkey::int2[] AS keys, i.indclass::oid[] AS classes,
           i.indcollation::oid[] AS colls, i.indoption::int2[] AS opts,
           i.indexprs IS NULL AS plain, i.indpred IS NULL AS total,
           lt.relation IS NOT NULL OR li.relation IS NOT NULL AS busy,
           CASE WHEN lt.relation IS NULL AND li.relation IS NULL
                THEN coalesce(pg_get_expr(i.indexprs, i.indrelid), '')
                ELSE 'locked ' || i.indexrelid END AS exprs,
           CASE WHEN lt.relation IS NULL AND li.relation IS NULL
                THEN coalesce(pg_get_expr(i.indpred, i.indrelid), '') END AS pred
    FROM pg_index i
    LEFT JOIN locked lt ON lt.relation = i.indrelid
    LEFT JOIN locked li ON li.relation = i.indexrelid
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_class t ON t.oid = i.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_toast' AND t.relpersistence <> 't'
      AND ($1::oid IS NULL OR i.indrelid = (SELECT indrelid FROM pg_index WHERE indexrelid = $1))
), dup AS (
    -- Each group of identical valid indexes keeps one: constraint-backed first, then the
    -- oldest; the others are its duplicates.
    SELECT indexrelid, first_value(idxname) OVER (
               PARTITION BY indrelid, relam, indisunique, indnkeyatts, keys, classes, colls,
                            opts, exprs, pred
               ORDER BY backed DESC, indexrelid) AS keeper
    FROM idx WHERE indisvalid
), cov AS (
    -- A plain btree whose key columns lead a longer one (or a unique one of the same keys).
    SELECT DISTINCT ON (x.indexrelid) x.indexrelid, o.idxname
    FROM idx x JOIN idx o ON o.indrelid = x.indrelid AND o.relam = x.relam
    WHERE o.indexrelid <> x.indexrelid
      AND x.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
      AND x.plain AND x.total AND o.total AND x.indisvalid AND o.indisvalid
      AND NOT x.indisunique AND NOT x.indisexclusion
      AND (x.indnkeyatts < o.indnkeyatts OR (x.indnkeyatts = o.indnkeyatts AND o.indisunique))
      AND x.keys[0:x.indnkeyatts-1] = o.keys[0:x.indnkeyatts-1]
      AND x.classes[0:x.indnkeyatts-1] = o.classes[0:x.indnkeyatts-1]
      AND x.colls[0:x.indnkeyatts-1] = o.colls[0:x.indnkeyatts-1]
      AND x.opts[0:x.indnkeyatts-1] = o.opts[0:x.indnkeyatts-1]
    ORDER BY x.indexrelid, o.indnkeyatts, o.indexrelid
), fk AS (
    -- A foreign key whose columns (in any order) lead the index.
    SELECT DISTINCT ON (x.indexrelid) x.indexrelid, f.conname
    FROM idx x JOIN pg_constraint f ON f.conrelid = x.indrelid AND f.contype = 'f'
    WHERE x.total AND x.keys[0:cardinality(f.conkey)-1] @> f.conkey
      AND x.keys[0:cardinality(f.conkey)-1] <@ f.conkey
    ORDER BY x.indexrelid, f.conname
)
SELECT w.reset_at, w.counting_since, w.server_started,
       x.nspname, x.tabname, x.idxname,
       CASE WHEN NOT x.busy THEN pg_relation_size(x.indexrelid) END,
       CASE WHEN x.relkind = 'i' THEN pg_stat_get_numscans(x.indexrelid) END,
       CASE WHEN x.relkind = 'i' THEN pg_stat_get_tuples_returned(x.indexrelid) END,
       CASE WHEN x.relkind = 'i' THEN pg_stat_get_tuples_fetched(x.indexrelid) END,
       ";

const SQL_TAIL: &str = ",
       CASE WHEN NOT x.busy THEN pg_get_indexdef(x.indexrelid) END, am.amname::text, x.relkind = 'I',
       x.indisunique, x.indisprimary, x.indisexclusion, x.indisreplident, x.conname,
       x.indisvalid, x.indisready, x.indislive, x.idxname ~ '_cc(new|old)[0-9]*$',
       x.indrelid IN (SELECT relid FROM building), nullif(dup.keeper, x.idxname),
       cov.idxname, fk.conname
FROM win w
LEFT JOIN idx x ON ($1::oid IS NULL OR x.indexrelid = $1)
LEFT JOIN pg_am am ON am.oid = x.relam
LEFT JOIN dup ON dup.indexrelid = x.indexrelid
LEFT JOIN cov ON cov.indexrelid = x.indexrelid
LEFT JOIN fk ON fk.indexrelid = x.indexrelid
ORDER BY x.nspname, x.tabname, x.idxname";

fn info(r: &Row) -> Option<IndexInfo> {
    let schema: Option<String> = r.get(3);
    let mut i = IndexInfo {
        schema: schema?,
        table: r.get(4),
        index: r.get(5),
        size_bytes: r.get(6),
        scans: r.get(7),
        tuples_read: r.get(8),
        tuples_fetched: r.get(9),
        last_scan: r.get(10),
        definition: r.get(11),
        method: r.get(12),
        partitioned: r.get(13),
        unique: r.get(14),
        primary: r.get(15),
        exclusion: r.get(16),
        replica_identity: r.get(17),
        constraint: r.get(18),
        valid: r.get(19),
        ready: r.get(20),
        live: r.get(21),
        reindex_leftover: r.get(22),
        building: r.get(23),
        duplicate_of: r.get(24),
        covered_by: r.get(25),
        foreign_key: r.get(26),
        ..IndexInfo::default()
    };
    let broken = !(i.valid && i.ready && i.live);
    i.invalid = broken && (!i.building || i.reindex_leftover);
    i.unused = i.scans == Some(0)
        && !broken
        && !i.enforces_something()
        && !i.unique
        && !i.replica_identity;
    if let (true, Some(fk)) = (i.unused, &i.foreign_key) {
        i.warnings.push(format!(
            "backs foreign key {fk}: without it, deleting or updating a referenced row scans \
             {}",
            i.table
        ));
    }
    if i.invalid && i.ready {
        i.warnings
            .push("invalid but still maintained: it slows every write and serves no read".into());
    }
    Some(i)
}

fn since(r: &Row) -> StatsSince {
    StatsSince {
        reset_at: r.get(0),
        counting_since: r.get(1),
        server_started: r.get(2),
    }
}

/// The report, in one read-only transaction with a short statement_timeout. Call it in
/// autocommit: the statistics snapshot is fixed for a transaction.
pub async fn load(
    client: &Client,
    server_version_num: i32,
) -> Result<IndexReport, tokio_postgres::Error> {
    let started = std::time::Instant::now();
    let rows = read_only(client, &sql(server_version_num), None).await?;
    Ok(IndexReport {
        stats_since: rows.first().map(since).unwrap_or_default(),
        indexes: rows.iter().filter_map(info).collect(),
        query_ms: started.elapsed().as_millis() as u64,
    })
}

/// One index by oid, with the same verdicts, and the statistics window.
pub async fn find(
    client: &Client,
    server_version_num: i32,
    oid: u32,
) -> Result<Option<(IndexInfo, StatsSince)>, tokio_postgres::Error> {
    let rows = read_only(client, &sql(server_version_num), Some(oid)).await?;
    Ok(rows.first().and_then(|r| Some((info(r)?, since(r)))))
}

async fn read_only(
    client: &Client,
    sql: &str,
    oid: Option<u32>,
) -> Result<Vec<Row>, tokio_postgres::Error> {
    // JIT compiling this catalog query costs seconds and saves nothing; and with the CTEs'
    // poor row estimates the planner picks nested loops over thousands of indexes (3 s
    // instead of 0.2 s for 5,000), where hash and merge joins are always right here.
    client
        .batch_execute(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = '5s'; \
             SET LOCAL lock_timeout = '500ms'; SET LOCAL jit = off; \
             SET LOCAL enable_nestloop = off",
        )
        .await?;
    let rows = client.query(sql, &[&oid]).await;
    let end = client.batch_execute("ROLLBACK").await;
    let rows = rows?;
    end?;
    Ok(rows)
}

/// `server_version_num` of the connected server (130000 and up are supported).
pub async fn server_version_num(client: &Client) -> Result<i32, tokio_postgres::Error> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await?;
    Ok(row.get(0))
}
