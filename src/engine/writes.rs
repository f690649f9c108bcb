//! The writes every phase makes, its history row and its log event, prepared once per
//! session, so the server does not parse and plan them again for each of a thousand phases.

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::history::{Event, Record, RowState, Tables};
use super::operator::Operator;
use crate::plan::Migration;

/// The prepared statements of one session: the history-row upsert, the event insert, and
/// both at once for a phase that has just applied.
pub struct Writes {
    record: Statement,
    event: Statement,
    applied: Statement,
}

impl Writes {
    /// Prepares them on `c`; the tables must exist.
    pub async fn prepare(c: &Client, t: &Tables) -> Result<Writes, tokio_postgres::Error> {
        let record = record_sql(t);
        // A data-modifying WITH runs whether or not the outer statement reads it.
        let applied = format!("WITH saved AS ({record}) {}", event_sql(t, 22));
        Ok(Writes {
            record: c.prepare(&record).await?,
            event: c.prepare(&event_sql(t, 1)).await?,
            applied: c.prepare(&applied).await?,
        })
    }

    /// Writes (or overwrites) the row of `m` in `rec.state`.
    pub async fn record(
        &self,
        c: &Client,
        m: &Migration,
        rec: &Record<'_>,
        op: &Operator,
    ) -> Result<(), tokio_postgres::Error> {
        let row = RowArgs::of(m, rec);
        c.execute(&self.record, &row.params(m, rec, op)).await?;
        Ok(())
    }

    /// Appends `e` to the event log.
    pub async fn event(
        &self,
        c: &Client,
        e: &Event<'_>,
        op: &Operator,
    ) -> Result<(), tokio_postgres::Error> {
        let kind = e.kind.word();
        c.execute(&self.event, &event_params(&kind, e, op)).await?;
        Ok(())
    }

    /// Writes the row of `m` and appends `e`, in one statement.
    pub async fn applied(
        &self,
        c: &Client,
        m: &Migration,
        rec: &Record<'_>,
        e: &Event<'_>,
        op: &Operator,
    ) -> Result<(), tokio_postgres::Error> {
        let row = RowArgs::of(m, rec);
        let kind = e.kind.word();
        let mut params = row.params(m, rec, op);
        params.extend(event_params(&kind, e, op));
        c.execute(&self.applied, &params).await?;
        Ok(())
    }
}

fn record_sql(t: &Tables) -> String {
    format!(
        "INSERT INTO {} AS h (version, name, applied_at, checksum, success, error_message,
            execution_time_ms, state, applied_by_os_user, applied_from_host, checksum_up,
            checksum_down, checksum_verify, fingerprint, up_sql, down_sql, transactional,
            statements_total, statements_done, error_sqlstate, error_line, check_snapshot)
         VALUES ($1, $2, now(), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16, $17, $18, $19, $20, $21)
         ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name,
            applied_at = EXCLUDED.applied_at, checksum = EXCLUDED.checksum,
            success = EXCLUDED.success, error_message = EXCLUDED.error_message,
            execution_time_ms = EXCLUDED.execution_time_ms, state = EXCLUDED.state,
            applied_by_role = current_user,
            applied_by_os_user = EXCLUDED.applied_by_os_user,
            applied_from_host = EXCLUDED.applied_from_host,
            checksum_up = EXCLUDED.checksum_up, checksum_down = EXCLUDED.checksum_down,
            checksum_verify = EXCLUDED.checksum_verify, fingerprint = EXCLUDED.fingerprint,
            up_sql = EXCLUDED.up_sql, down_sql = EXCLUDED.down_sql,
            transactional = EXCLUDED.transactional,
            statements_total = EXCLUDED.statements_total,
            statements_done = EXCLUDED.statements_done,
            error_sqlstate = EXCLUDED.error_sqlstate, error_line = EXCLUDED.error_line,
            check_snapshot = EXCLUDED.check_snapshot,
            attempts = h.attempts + 1",
        t.history_sql()
    )
}

/// The event insert, its parameters numbered from `$first`.
fn event_sql(t: &Tables, first: usize) -> String {
    let params: Vec<String> = (first..first + 9).map(|n| format!("${n}")).collect();
    format!(
        "INSERT INTO {} (event, version, name, outcome, duration_ms, os_user, host, reason, details)
         VALUES ({})",
        t.log_sql(),
        params.join(", ")
    )
}

/// The parameters of [`event_sql`]; `kind` is `e.kind`'s word.
fn event_params<'a>(
    kind: &'a &'static str,
    e: &'a Event<'_>,
    op: &'a Operator,
) -> [&'a (dyn ToSql + Sync); 9] {
    [
        kind,
        &e.version,
        &e.name,
        &e.outcome,
        &e.duration_ms,
        &op.os_user,
        &op.host,
        &e.reason,
        &e.details,
    ]
}

/// The values of a history row that are worked out rather than taken as they are.
struct RowArgs<'a> {
    success: bool,
    state: &'static str,
    fingerprint: String,
    down: Option<&'a str>,
    transactional: bool,
    total: i32,
}

impl<'a> RowArgs<'a> {
    fn of(m: &'a Migration, rec: &Record<'_>) -> RowArgs<'a> {
        RowArgs {
            success: rec.state == RowState::Applied,
            state: match rec.state {
                RowState::Applied => "applied",
                RowState::Failed => "failed",
                RowState::Dirty => "dirty",
            },
            fingerprint: super::fingerprint::of_migration(m),
            down: m.down.as_ref().map(|d| d.text.as_str()),
            transactional: m.transactional(),
            total: m.up.statements.len() as i32,
        }
    }

    /// The parameters of [`record_sql`].
    fn params<'p>(
        &'p self,
        m: &'p Migration,
        rec: &'p Record<'_>,
        op: &'p Operator,
    ) -> Vec<&'p (dyn ToSql + Sync)> {
        vec![
            &rec.version,
            &m.name,
            &m.checksum,
            &self.success,
            &rec.error_message,
            &rec.execution_time_ms,
            &self.state,
            &op.os_user,
            &op.host,
            &m.part_checksums.up,
            &m.part_checksums.down,
            &m.part_checksums.verify,
            &self.fingerprint,
            &m.up.text,
            &self.down,
            &self.transactional,
            &self.total,
            &rec.statements_done,
            &rec.error_sqlstate,
            &rec.error_line,
            &rec.check_snapshot,
        ]
    }
}
