//! The writes every phase makes, its history row and its log event, prepared once per
//! session, so the server does not parse and plan them again for each of a thousand phases.

use std::borrow::Cow;

use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::history::{Event, EventKind, Outcome, Record, RowState, Tables};
use super::operator::Operator;
use crate::plan::{Checksum, Migration, Read};

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
        Ok(Writes {
            record: c.prepare(&record_sql(t)).await?,
            event: c.prepare(&event_sql(t)).await?,
            applied: c.prepare(&applied_sql(t)).await?,
        })
    }

    /// Writes (or overwrites) the row of `m` in `rec.state`.
    pub async fn record(
        &self,
        c: &Client,
        m: &Read<'_>,
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
        let words = (e.kind.word(), e.outcome.as_str());
        c.execute(&self.event, &event_params(&words, e, op)).await?;
        Ok(())
    }

    /// Records that `m` applied, as `stored`, with what it `kept`, and logs it with
    /// `details`, in one statement. The server times the phase, from the start of its
    /// transaction, so this can be sent before the phase's statements have answered; returns
    /// that time in milliseconds.
    pub async fn applied(
        &self,
        c: &Client,
        (m, stored): (&Read<'_>, &str),
        (details, kept): (&Value, Option<&Value>),
        op: &Operator,
    ) -> Result<u64, tokio_postgres::Error> {
        let rec = Record::applied(stored, m, None);
        let row = RowArgs::of(m, &rec);
        let params: [&(dyn ToSql + Sync); 15] = [
            &rec.version,
            &m.name,
            &m.checksum,
            &op.os_user,
            &op.host,
            &m.part_checksums.up,
            &m.part_checksums.down,
            &m.part_checksums.verify,
            &row.fingerprint,
            &row.up,
            &row.down,
            &row.transactional,
            &row.total,
            details,
            &kept,
        ];
        let ms: i32 = c.query_one(&self.applied, &params).await?.get(0);
        Ok(ms.max(0) as u64)
    }
}

/// The history table's columns, as [`record_sql`] and [`applied_sql`] fill them.
const COLUMNS: &str = "version, name, applied_at, checksum, success, error_message,
    execution_time_ms, state, applied_by_os_user, applied_from_host, checksum_up,
    checksum_down, checksum_verify, fingerprint, up_sql, down_sql, transactional,
    statements_total, statements_done, error_sqlstate, error_line, check_snapshot";

/// A new attempt at a version overwrites its row and counts itself.
const ON_CONFLICT: &str = "ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name,
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
    in_flight = NULL, in_flight_pid = NULL, down_done = NULL,
    attempts = h.attempts + 1";

/// The event log's columns that pgstep fills.
const EVENT_COLUMNS: &str =
    "event, version, name, outcome, duration_ms, os_user, host, reason, details";

fn record_sql(t: &Tables) -> String {
    format!(
        "INSERT INTO {} AS h ({COLUMNS})
         VALUES ($1, $2, now(), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
            $16, $17, $18, $19, $20, $21)
         {ON_CONFLICT}",
        t.history_sql()
    )
}

/// The row of an applied phase and its `apply` event, both timed by the server from the start
/// of the transaction. A data-modifying WITH runs whether or not the outer statement reads it.
/// A row that was there before the phase already holds what it kept (see `log_kept`).
fn applied_sql(t: &Tables) -> String {
    format!(
        "WITH elapsed AS (
            SELECT (1000 * extract(epoch FROM clock_timestamp() - now()))::int AS ms
         ), saved AS (
            INSERT INTO {history} AS h ({COLUMNS}, kept)
            SELECT $1, $2, now(), $3, true, NULL, ms, 'applied', $4, $5, $6, $7, $8, $9, $10,
                $11, $12, $13, $13, NULL, NULL, NULL, $15
            FROM elapsed
            {ON_CONFLICT}, kept = coalesce(h.kept, EXCLUDED.kept)
         )
         INSERT INTO {log} ({EVENT_COLUMNS})
         SELECT '{apply}', $1, $2, '{applied}', ms, $4, $5, NULL, $14 FROM elapsed
         RETURNING duration_ms::int",
        history = t.history_sql(),
        log = t.log_sql(),
        apply = EventKind::Apply.word(),
        applied = Outcome::Applied.as_str(),
    )
}

fn event_sql(t: &Tables) -> String {
    format!(
        "INSERT INTO {} ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        t.log_sql()
    )
}

/// The parameters of [`event_sql`]; `words` are `e.kind`'s and `e.outcome`'s stored text.
fn event_params<'a>(
    (kind, outcome): &'a (&'static str, &'static str),
    e: &'a Event<'_>,
    op: &'a Operator,
) -> [&'a (dyn ToSql + Sync); 9] {
    [
        kind,
        &e.version,
        &e.name,
        outcome,
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
    fingerprint: Checksum,
    up: &'a str,
    down: Option<Cow<'a, str>>,
    transactional: bool,
    total: i32,
}

impl<'a> RowArgs<'a> {
    fn of(m: &'a Read<'_>, rec: &Record<'_>) -> RowArgs<'a> {
        RowArgs {
            success: rec.state == RowState::Applied,
            state: rec.state.word(),
            fingerprint: m.fingerprint(),
            up: m.up().text,
            down: m.stored_down(),
            transactional: m.transactional(),
            total: m.up.count() as i32,
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
            &self.up,
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
