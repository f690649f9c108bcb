//! Cancelling or terminating another session, such as the blocker a phase waits behind: the
//! target is read first, so the event log names who was stopped and what it was running.

use super::history::{self, Event, EventKind, Outcome};
use super::{Engine, EngineError};
use crate::monitor::activity::{self, Session};

/// What to send a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `pg_cancel_backend`: its running statement fails with 57014; the session stays.
    Cancel,
    /// `pg_terminate_backend`: the session ends, rolling back its transaction.
    Terminate,
}

impl Signal {
    pub fn verb(self) -> &'static str {
        match self {
            Signal::Cancel => "cancel",
            Signal::Terminate => "terminate",
        }
    }
}

fn monitor_error(e: activity::Error) -> EngineError {
    match e {
        activity::Error::Db(e) => EngineError::Db(e),
        activity::Error::Decode(m) => EngineError::Refused(format!("cannot read the session: {m}")),
    }
}

impl Engine {
    /// Cancels the running statement of backend `pid` and logs who it was.
    pub async fn cancel_backend(
        &self,
        pid: i32,
        reason: Option<&str>,
    ) -> Result<Session, EngineError> {
        self.signal_backend(pid, Signal::Cancel, reason).await
    }

    /// Ends backend `pid`'s session and logs who it was.
    pub async fn terminate_backend(
        &self,
        pid: i32,
        reason: Option<&str>,
    ) -> Result<Session, EngineError> {
        self.signal_backend(pid, Signal::Terminate, reason).await
    }

    /// Refused in a read-only session and for this session's own backend; returns the session
    /// as it was just before the signal.
    pub async fn signal_backend(
        &self,
        pid: i32,
        signal: Signal,
        reason: Option<&str>,
    ) -> Result<Session, EngineError> {
        let verb = signal.verb();
        if self.settings.read_only {
            return Err(EngineError::Refused(format!(
                "this session is read-only (its profile says read_only = true): pid {pid} was \
                 not sent a {verb}"
            )));
        }
        if pid == self.backend_pid().await? {
            return Err(EngineError::Refused(format!(
                "pid {pid} is this pgstep session's own backend: refusing to {verb} it"
            )));
        }
        let Some(target) = activity::session(&self.client, pid)
            .await
            .map_err(monitor_error)?
        else {
            return Err(EngineError::Input(format!(
                "no session with pid {pid} is connected to this server"
            )));
        };
        // A cancel stops a running statement; a session that runs none keeps its transaction
        // and its locks, and the cancel would report a success that changed nothing.
        let running = matches!(
            target.state.as_deref(),
            Some("active" | "fastpath function call")
        );
        if signal == Signal::Cancel && !running {
            let state = target.state.as_deref().unwrap_or("not running a statement");
            return Err(EngineError::Refused(format!(
                "pid {pid} is {state}: it runs no statement, so a cancel would change nothing. \
                 Terminate it to end its session, roll back its transaction and release its \
                 locks (T in the console's Activity tab, or `pgstep activity --terminate {pid}`)"
            )));
        }
        // Before the signal, so that a log that cannot be written stops the action.
        if self.tables.presence(&self.client).await? == history::Presence::Missing {
            super::bookkeeping::ensure(
                &self.tables,
                &self.client,
                &self.settings,
                self.tool.as_ref(),
            )
            .await?;
        }
        let sql = match signal {
            Signal::Cancel => "SELECT pg_cancel_backend($1)",
            Signal::Terminate => "SELECT pg_terminate_backend($1)",
        };
        let sent: bool = self.client.query_one(sql, &[&pid]).await?.get(0);
        let (kind, done) = match signal {
            Signal::Cancel => (EventKind::BackendCancelled, Outcome::Cancelled),
            Signal::Terminate => (EventKind::BackendTerminated, Outcome::Terminated),
        };
        self.log(Event {
            kind,
            version: None,
            name: None,
            outcome: if sent { done } else { Outcome::NotSent },
            duration_ms: None,
            reason,
            details: serde_json::json!({
                "pid": target.pid,
                "user": target.user,
                "application": target.application,
                "client": target.client,
                "state": target.state,
                "xact_age_secs": target.xact_age_secs,
                "query": target.query,
            }),
        })
        .await?;
        if !sent {
            return Err(EngineError::Refused(format!(
                "the server could not {verb} pid {pid}: the session has ended"
            )));
        }
        Ok(target)
    }
}
