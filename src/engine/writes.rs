//! The two writes every phase makes, its history row and its log event, prepared once per
//! session: parsing and planning them again for each of a thousand phases cost as much as
//! a round trip each.

use tokio_postgres::{Client, Statement};

use super::history::{Event, Record, RowState, Tables};
use super::operator::Operator;
use crate::plan::Migration;

/// The prepared history-row upsert and event insert of one session.
pub struct Writes {
    record: Statement,
    event: Statement,
}

impl Writes {
    /// Prepares both on `c`; the tables must exist.
    pub async fn prepare(c: &Client, t: &Tables) -> Result<Writes, tokio_postgres::Error> {
        let record = format!(
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
        );
        let event = format!(
            "INSERT INTO {} (event, version, name, outcome, duration_ms, os_user, host, reason, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            t.log_sql()
        );
        Ok(Writes {
            record: c.prepare(&record).await?,
            event: c.prepare(&event).await?,
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
        let state = match rec.state {
            RowState::Applied => "applied",
            RowState::Failed => "failed",
            RowState::Dirty => "dirty",
        };
        let total = m.up.statements.len() as i32;
        c.execute(
            &self.record,
            &[
                &rec.version,
                &m.name,
                &m.checksum,
                &(rec.state == RowState::Applied),
                &rec.error_message,
                &rec.execution_time_ms,
                &state,
                &op.os_user,
                &op.host,
                &m.part_checksums.up,
                &m.part_checksums.down,
                &m.part_checksums.verify,
                &super::fingerprint::of_migration(m),
                &m.up.text,
                &m.down.as_ref().map(|d| d.text.as_str()),
                &m.transactional(),
                &total,
                &rec.statements_done,
                &rec.error_sqlstate,
                &rec.error_line,
                &rec.check_snapshot,
            ],
        )
        .await?;
        Ok(())
    }

    /// Appends `e` to the event log.
    pub async fn event(
        &self,
        c: &Client,
        e: &Event<'_>,
        op: &Operator,
    ) -> Result<(), tokio_postgres::Error> {
        c.execute(
            &self.event,
            &[
                &e.kind.word(),
                &e.version,
                &e.name,
                &e.outcome,
                &e.duration_ms,
                &op.os_user,
                &op.host,
                &e.reason,
                &e.details,
            ],
        )
        .await?;
        Ok(())
    }
}
