//! Weighting findings by the live database: how big the table is, who holds locks on it now,
//! and whether an index about to be dropped is used; severity rises with size.

use tokio_postgres::Client;

use super::Finding;
use super::types::{self, Change};

/// Raise a finding's severity one level at this size, two at the next.
const BIG: i64 = 100 * 1024 * 1024;
const HUGE: i64 = 10 * 1024 * 1024 * 1024;
const MANY_ROWS: i64 = 1_000_000;

/// Fills in the live facts of every finding and raises severities for big tables. A type
/// change that turns out to be a safe widening is dropped. Runs read-only.
pub async fn weigh(c: &Client, findings: &mut Vec<Finding>) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("BEGIN READ ONLY; SET LOCAL statement_timeout = '10s'")
        .await?;
    let result = weigh_in(c, findings).await;
    c.batch_execute("ROLLBACK").await?;
    result
}

async fn weigh_in(c: &Client, findings: &mut Vec<Finding>) -> Result<(), tokio_postgres::Error> {
    let mut keep = Vec::with_capacity(findings.len());
    for mut f in findings.drain(..) {
        if let Some(index) = &f.index {
            let row = c
                .query_opt(
                    "SELECT s.idx_scan, s.relid::regclass::text FROM pg_stat_user_indexes s
                     WHERE s.indexrelid = to_regclass($1)",
                    &[index],
                )
                .await?;
            if let Some(r) = row {
                f.index_scans = r.get(0);
                f.table = Some(r.get(1));
            }
        }
        if let (Some(table), Some((column, new_type))) = (&f.table, &f.retype) {
            let old: Option<String> = c
                .query_opt(
                    "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped",
                    &[table, column],
                )
                .await?
                .map(|r| r.get(0));
            if let Some(old) = old {
                if types::alter_type(Some(&old), new_type) == Change::NoRewrite {
                    continue;
                }
                f.message = format!(
                    "ALTER COLUMN {column} from {old} to {new_type} rewrites all of {table} under an ACCESS EXCLUSIVE lock"
                );
            }
        }
        if let Some(table) = &f.table {
            let row = c
                .query_opt(
                    "SELECT pg_total_relation_size(c.oid), c.reltuples::bigint,
                            array(SELECT l.pid || ' (' || coalesce(nullif(a.application_name, ''), a.usename::text, '?')
                                         || ', ' || coalesce(a.state, '?') || ', ' || l.mode || ')'
                                  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                                  WHERE l.relation = c.oid AND l.granted AND l.pid <> pg_backend_pid()
                                  ORDER BY l.pid)
                     FROM pg_class c WHERE c.oid = to_regclass($1)",
                    &[table],
                )
                .await?;
            if let Some(r) = row {
                let bytes: i64 = r.get(0);
                let rows: i64 = r.get(1);
                f.table_bytes = Some(bytes);
                f.rows_estimate = (rows >= 0).then_some(rows);
                f.lock_holders = r.get(2);
                if bytes >= BIG || rows >= MANY_ROWS {
                    f.severity = f.severity.raised();
                }
                if bytes >= HUGE {
                    f.severity = f.severity.raised();
                }
            }
        }
        keep.push(f);
    }
    *findings = keep;
    Ok(())
}
