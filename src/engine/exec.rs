//! Running one statement and reading what went wrong: shared by apply, rollback and dry run.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_postgres::{Client, SimpleQueryStream};

use super::{Engine, Failure};
use crate::plan::{Meta, Sql, StatementRef, Version};
use crate::sql::{controls_transaction, is_copy};

/// Runs one statement, first keeping what it removes when `keep` says how: in the phase's
/// transaction when `in_tx`, else in a transaction of their own, so the copy and the removal
/// commit together or not at all.
pub(super) async fn exec_keeping(
    c: &Client,
    s: StatementRef<'_>,
    keep: Option<&str>,
    in_tx: bool,
) -> Result<u64, tokio_postgres::Error> {
    let Some(keep) = keep else {
        return exec(c, s).await;
    };
    if in_tx {
        c.batch_execute(keep).await?;
        return exec(c, s).await;
    }
    let ran = match c.batch_execute(&format!("BEGIN; {keep}")).await {
        Ok(()) => exec(c, s).await,
        Err(e) => Err(e),
    };
    match ran {
        Ok(n) => {
            c.batch_execute("COMMIT").await?;
            Ok(n)
        }
        Err(e) => {
            if !c.is_closed() {
                c.batch_execute("ROLLBACK").await.ok();
            }
            Err(e)
        }
    }
}

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

/// Whether a part's statements may go to the server as one message. The server runs them in
/// order and stops at the first that fails; a statement that ends or rewinds the transaction
/// would let the ones after it run outside it, and COPY sends its data between its request
/// and its reply.
pub(super) fn can_batch(part: Sql<'_>) -> bool {
    part.statements()
        .all(|s| s.copy_data.is_none() && !controls_transaction(s.sql) && !is_copy(s.sql))
}

/// Where in a part a statement failed: its index, and the character position of the error
/// in its text (1-based, as the server counts) when the server gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct At {
    pub statement: Option<usize>,
    pub position: Option<usize>,
}

impl At {
    /// Statement `index` of a part run on its own, where the server counts from its start.
    pub(super) fn statement(index: Option<usize>, err: &tokio_postgres::Error) -> At {
        At {
            statement: index,
            position: original_position(err),
        }
    }
}

fn original_position(err: &tokio_postgres::Error) -> Option<usize> {
    match err.as_db_error()?.position()? {
        tokio_postgres::error::ErrorPosition::Original(p) => Some(*p as usize),
        tokio_postgres::error::ErrorPosition::Internal { .. } => None,
    }
}

/// A part's statements as one simple-protocol Query message. The server reads the whole text
/// first (a syntax error anywhere runs nothing), then runs the statements in order, answering
/// each, and drops the rest of the text at the first error: nothing after a failed statement
/// runs or raises an error of its own. A statement whose removals are kept has its keep
/// statement right before it, in the same message.
pub(super) struct Batch {
    text: String,
    /// Each statement in `text`, keep statements included, in order.
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// Where it starts in `text`, in bytes.
    start: usize,
    /// The part's statement it runs, or keeps for.
    statement: usize,
    keep: bool,
}

impl Batch {
    /// `keep` gives the keep statement for a statement's text, if any.
    pub(super) fn of(part: Sql<'_>, keep: &dyn Fn(&str) -> Option<String>) -> Batch {
        let mut text = String::with_capacity(part.text.len() + 3 * part.part.count());
        let mut slots = Vec::with_capacity(part.part.count());
        for (i, s) in part.statements().enumerate() {
            if let Some(k) = keep(s.sql) {
                slots.push(Slot {
                    start: text.len(),
                    statement: i,
                    keep: true,
                });
                text.push_str(&k);
                text.push_str("\n;\n");
            }
            slots.push(Slot {
                start: text.len(),
                statement: i,
                keep: false,
            });
            text.push_str(s.sql);
            // On a line of its own: a statement may end in a `--` comment.
            text.push_str("\n;\n");
        }
        Batch { text, slots }
    }

    /// Sends `prologue` (if any) and the batch without waiting, then reads the replies,
    /// calling `started(i, s)` as statement `i` of `part` (or its keep) becomes the one the
    /// server works on. A failure says where (no statement for the prologue's); the replies
    /// still on their way are dropped by the connection, so the next request can follow at
    /// once.
    pub(super) async fn run(
        &self,
        c: &Client,
        prologue: Option<&str>,
        part: Sql<'_>,
        started: &mut (dyn FnMut(usize, StatementRef<'_>) + Send),
    ) -> Result<(), (tokio_postgres::Error, At)> {
        let none = At {
            statement: None,
            position: None,
        };
        let prologue = match prologue {
            Some(sql) => Some(c.simple_query_raw(sql).await.map_err(|e| (e, none))?),
            None => None,
        };
        let replies = c
            .simple_query_raw(&self.text)
            .await
            .map_err(|e| (e, none))?;
        if let Some(stream) = prologue {
            drain(stream).await.map_err(|e| (e, none))?;
        }
        futures_util::pin_mut!(replies);
        let statements: Vec<StatementRef<'_>> = part.statements().collect();
        let mut done = 0;
        let mut start = |slot: Option<&Slot>, prev: Option<&Slot>| {
            if let Some(slot) = slot
                && prev.is_none_or(|p| p.statement != slot.statement)
                && let Some(s) = statements.get(slot.statement)
            {
                started(slot.statement, *s);
            }
        };
        start(self.slots.first(), None);
        while let Some(msg) = replies.next().await {
            match msg {
                Ok(tokio_postgres::SimpleQueryMessage::CommandComplete(_)) => {
                    done += 1;
                    start(self.slots.get(done), self.slots.get(done - 1));
                }
                Ok(_) => {}
                Err(e) => {
                    let at = self.locate(done, &e);
                    return Err((e, at));
                }
            }
        }
        Ok(())
    }

    /// Which statement `err` belongs to: the one its position falls in (a syntax error comes
    /// before any statement runs), else the one after the `done` that completed. An error in
    /// a keep statement is its statement's, at no position in the file.
    fn locate(&self, done: usize, err: &tokio_postgres::Error) -> At {
        let Some(chars) = original_position(err) else {
            return At {
                statement: self.slots.get(done).map(|s| s.statement),
                position: None,
            };
        };
        let byte = self
            .text
            .char_indices()
            .nth(chars.saturating_sub(1))
            .map_or(self.text.len(), |(b, _)| b);
        let index = self
            .slots
            .partition_point(|s| s.start <= byte)
            .saturating_sub(1);
        let Some(slot) = self.slots.get(index) else {
            return At {
                statement: None,
                position: None,
            };
        };
        At {
            statement: Some(slot.statement),
            position: (!slot.keep).then(|| self.text[slot.start..byte].chars().count() + 1),
        }
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
pub fn session_timeouts_sql(settings: &super::Settings) -> String {
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

/// The failure of statement `index` of `part` (or of the phase as a whole), run on its own.
pub(super) fn failure(
    version: &Version,
    part: Sql<'_>,
    index: Option<usize>,
    err: &tokio_postgres::Error,
) -> Failure {
    failure_at(version, part, At::statement(index, err), err)
}

/// The failure of `part` where `at` says.
pub(super) fn failure_at(
    version: &Version,
    part: Sql<'_>,
    at: At,
    err: &tokio_postgres::Error,
) -> Failure {
    let stmt = at.statement.and_then(|i| part.statements().nth(i));
    let (sqlstate, message) = match err.as_db_error() {
        Some(db) => (db.code().code().to_string(), db.message().to_string()),
        None if err.is_closed() => (
            String::new(),
            "the connection was lost; the server rolls back an open transaction".to_string(),
        ),
        None => (String::new(), err.to_string()),
    };
    let line = match (stmt, at.position) {
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
