//! Running one statement and reading what went wrong: shared by apply, rollback and dry run.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_postgres::{Client, SimpleQueryStream};

use super::{Engine, Failure};
use crate::plan::{Meta, Sql, StatementRef, Version};
use crate::sql::{controls_transaction, is_copy};

/// Runs one statement (with its COPY data) and returns the rows it affected.
pub(super) async fn exec(c: &Client, s: StatementRef<'_>) -> Result<u64, tokio_postgres::Error> {
    match s.copy_data {
        Some(data) => {
            let sink = c.copy_in::<_, bytes::Bytes>(s.sql).await?;
            futures_util::pin_mut!(sink);
            sink.send(bytes::Bytes::copy_from_slice(data.as_bytes()))
                .await?;
            sink.finish().await
        }
        None => {
            let msgs = c.simple_query(s.sql).await?;
            Ok(msgs
                .iter()
                .rev()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::CommandComplete(n) => Some(*n),
                    _ => None,
                })
                .unwrap_or(0))
        }
    }
}

/// Whether a part's statements may all be sent before the first reply. Once one fails, the
/// server rejects every later statement of the aborted transaction, so none runs past the
/// failure; a statement that ends or rewinds the transaction would break that, and COPY
/// sends its data between its request and its reply.
pub(super) fn can_pipeline(part: Sql<'_>) -> bool {
    part.statements()
        .all(|s| s.copy_data.is_none() && !controls_transaction(s.sql) && !is_copy(s.sql))
}

/// Requests sent ahead of their replies: a prologue and the statements of a part.
pub(super) struct Sent {
    prologue: Option<SimpleQueryStream>,
    statements: Vec<SimpleQueryStream>,
}

/// Sends `prologue` (if any) and every statement of `part`, in order, without waiting for a
/// reply: anything sent after this returns goes behind them.
pub(super) async fn send_all(
    c: &Client,
    prologue: Option<&str>,
    part: Sql<'_>,
) -> Result<Sent, tokio_postgres::Error> {
    let prologue = match prologue {
        Some(sql) => Some(c.simple_query_raw(sql).await?),
        None => None,
    };
    let mut statements = Vec::with_capacity(part.part.count());
    for s in part.statements() {
        statements.push(c.simple_query_raw(s.sql).await?);
    }
    Ok(Sent {
        prologue,
        statements,
    })
}

impl Sent {
    /// Reads the replies in order, calling `started(i, s)` as statement `i` of `part` becomes
    /// the one the server works on. A failure names its statement (`None` for the prologue);
    /// the replies still on their way are dropped by the connection, so the next request can
    /// follow at once.
    pub(super) async fn replies(
        self,
        part: Sql<'_>,
        started: &mut (dyn FnMut(usize, StatementRef<'_>) + Send),
    ) -> Result<(), (tokio_postgres::Error, Option<usize>)> {
        if let Some(stream) = self.prologue {
            drain(stream).await.map_err(|e| (e, None))?;
        }
        for ((i, s), stream) in part.statements().enumerate().zip(self.statements) {
            started(i, s);
            drain(stream).await.map_err(|e| (e, Some(i)))?;
        }
        Ok(())
    }
}

async fn drain(stream: SimpleQueryStream) -> Result<(), tokio_postgres::Error> {
    futures_util::pin_mut!(stream);
    while let Some(msg) = stream.next().await {
        msg?;
    }
    Ok(())
}

/// `SET [LOCAL] lock_timeout ...` and `statement_timeout` for a phase.
pub(super) fn timeouts_sql(eng: &Engine, meta: &Meta, local: bool) -> String {
    let scope = if local { "LOCAL " } else { "" };
    let lock = meta.lock_timeout.unwrap_or(eng.settings.lock_timeout);
    let mut sql = format!("SET {scope}lock_timeout = '{}ms';", lock.as_millis());
    if let Some(st) = meta.statement_timeout.or(eng.settings.statement_timeout) {
        sql.push_str(&format!(
            " SET {scope}statement_timeout = '{}ms';",
            st.as_millis()
        ));
    }
    sql
}

/// The session's own bounds, between phases: bookkeeping waits for a lock no longer than a
/// phase would, and no statement limit carries over from a phase.
pub(super) fn session_timeouts_sql(settings: &super::Settings) -> String {
    format!(
        "SET lock_timeout = '{}ms'; RESET statement_timeout",
        settings.lock_timeout.as_millis()
    )
}

/// The wait before retry `attempt` (1-based): doubling from the base, plus up to 50% jitter
/// so two waiting sessions do not retry in step.
pub(super) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let jitter = exp.mul_f64(f64::from(nanos % 500) / 1000.0);
    exp + jitter
}

/// The failure of statement `index` of `part` (or of the phase as a whole).
pub(super) fn failure(
    version: &Version,
    part: Sql<'_>,
    index: Option<usize>,
    err: &tokio_postgres::Error,
) -> Failure {
    let stmt = index.and_then(|i| part.statements().nth(i));
    let (sqlstate, message, position) = match err.as_db_error() {
        Some(db) => {
            let pos = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
                _ => None,
            };
            (db.code().code().to_string(), db.message().to_string(), pos)
        }
        None if err.is_closed() => (
            String::new(),
            "the connection was lost; the server rolls back an open transaction".to_string(),
            None,
        ),
        None => (String::new(), err.to_string(), None),
    };
    let line = match (stmt, position) {
        (Some(s), Some(p)) => {
            s.line
                + s.sql
                    .chars()
                    .take(p.saturating_sub(1))
                    .filter(|&c| c == '\n')
                    .count() as u32
        }
        (Some(s), None) => s.line,
        (None, _) => 0,
    };
    Failure {
        version: version.to_string(),
        file: part.part.file.display().to_string(),
        line,
        statement: stmt.map(|s| s.sql.to_string()).unwrap_or_default(),
        sqlstate,
        message,
    }
}

/// Names of invalid indexes, to tell which one a failed concurrent build left behind.
pub(super) async fn invalid_indexes(c: &Client) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT i.indexrelid::regclass::text FROM pg_index i WHERE NOT i.indisvalid",
        &[],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// SQLSTATEs after which a phase is tried again: lock_timeout and deadlock.
pub(super) fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code()
        .is_some_and(|c| c.code() == "55P03" || c.code() == "40P01")
}
