//! What happens when a phase attempt stops short: the failed or cancelled attempt recorded,
//! and the wait before a retry after a lost lock wait.

use serde_json::json;

use super::checks::CheckOutcome;
use super::exec::backoff;
use super::history::{Event, EventKind, Outcome, Record, RowState};
use super::{Applied, Engine, EngineError, Failure, Left, Progress};
use crate::plan::{Read, Version};

impl Engine {
    /// Records a cancelled attempt of a transactional phase: it was rolled back. `f` says
    /// which statement the cancel stopped, its line and SQLSTATE.
    pub(super) async fn cancelled_tx(
        &self,
        m: &Read<'_>,
        stored: &str,
        millis: i64,
        f: &Failure,
    ) -> Result<Applied, EngineError> {
        self.record_stop(
            m,
            stored,
            RowState::Failed,
            EventKind::Cancel,
            Outcome::Cancelled,
            millis,
            Some(format!("cancelled by the operator: {}", f.message)),
            Some(f),
            None,
        )
        .await?;
        Err(EngineError::Cancelled {
            version: m.version.to_string(),
            left: Left::RolledBack,
        })
    }

    /// Logs a lost lock wait and waits before the next attempt; a cancel cuts the wait
    /// short, and the caller must then stop instead of retrying.
    pub(super) async fn lock_retry(
        &self,
        (version, stored, name): (&Version, &str, &str),
        attempt: u32,
        err: &tokio_postgres::Error,
        progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<(), EngineError> {
        let wait = backoff(self.settings.retry_base, attempt);
        let message = err
            .as_db_error()
            .map_or_else(|| err.to_string(), |d| d.message().to_string());
        progress(Progress::LockRetry {
            version: version.to_string(),
            attempt,
            wait,
            message: message.clone(),
        });
        self.log(Event {
            kind: EventKind::LockRetry,
            version: Some(stored),
            name: Some(name),
            outcome: Outcome::Retrying,
            duration_ms: None,
            reason: None,
            details: json!({ "attempt": attempt, "wait_ms": wait.as_millis() as u64, "error": message }),
        })
        .await?;
        let until = tokio::time::Instant::now() + wait;
        while !self.is_cancelled() && tokio::time::Instant::now() < until {
            let tick = tokio::time::Instant::now() + std::time::Duration::from_millis(50);
            tokio::time::sleep_until(tick.min(until)).await;
        }
        Ok(())
    }

    /// Writes the history row and the event for an attempt that did not complete.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_stop(
        &self,
        m: &Read<'_>,
        stored: &str,
        state: RowState,
        kind: EventKind,
        outcome: Outcome,
        millis: i64,
        message: Option<String>,
        failure: Option<&Failure>,
        checks: Option<&[CheckOutcome]>,
    ) -> Result<(), EngineError> {
        let rec = Record {
            version: stored,
            state,
            execution_time_ms: Some(millis.min(i64::from(i32::MAX)) as i32),
            error_message: message.clone(),
            error_sqlstate: failure
                .map(|f| f.sqlstate.clone())
                .filter(|s| !s.is_empty()),
            error_line: failure.map(|f| f.line as i32),
            statements_done: None,
            check_snapshot: None,
        };
        self.save(m, &rec).await?;
        self.log(Event {
            kind,
            version: Some(stored),
            name: Some(&m.name),
            outcome,
            duration_ms: Some(millis),
            reason: None,
            details: json!({
                "error": message,
                "line": failure.map(|f| f.line),
                "sqlstate": failure.map(|f| f.sqlstate.clone()),
                "statement": failure.map(|f| f.statement.clone()),
                "checks": checks,
                "transaction": m.transactional(),
            }),
        })
        .await
    }
}
