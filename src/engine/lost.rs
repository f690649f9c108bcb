//! When the session is lost mid-phase, the outcome is not what the last error says: the
//! server may have committed just before the connection went (a lost reply to COMMIT), or may
//! still be running the phase. A second session waits for the old server process to end and
//! reads the history, and the report says what it found.

use std::time::Duration;

use tokio_postgres::Client;

use super::history::RowState;
use super::{Engine, EngineError};

/// What a second session found after the connection was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lost {
    /// The phase's transaction committed: it is applied.
    Applied,
    /// It did not commit: the server rolled it back.
    NotApplied,
    /// The rollback's transaction committed.
    RolledBack,
    /// The rollback did not commit: the phase is still applied.
    NotRolledBack,
    /// Statement `number` of a `Transaction: none` part had been sent; the history records it
    /// as in flight, so the next run checks whether it took effect.
    InFlight {
        number: usize,
        total: usize,
        rollback: bool,
    },
    /// No second session could tell: why.
    InDoubt(String),
}

impl Lost {
    pub(super) fn describe(&self, version: &str) -> String {
        let lost = "the connection to the server was lost";
        match self {
            Lost::Applied => format!(
                "{lost} after phase {version} was sent to commit; a second session shows it \
                 applied: it committed"
            ),
            Lost::NotApplied => format!(
                "{lost} during phase {version}; a second session shows it not applied: the \
                 server rolled it back, and `pgstep up` can run it again"
            ),
            Lost::RolledBack => format!(
                "{lost} during the rollback of phase {version}; a second session shows the \
                 rollback committed: the phase is rolled back"
            ),
            Lost::NotRolledBack => format!(
                "{lost} during the rollback of phase {version}; a second session shows it still \
                 applied: the server undid the rollback"
            ),
            Lost::InFlight {
                number,
                total,
                rollback,
            } => {
                let (part, next) = if *rollback {
                    ("DOWN", "`pgstep down --steps 1`".to_string())
                } else {
                    ("UP", format!("`pgstep resume {version}`"))
                };
                format!(
                    "{lost} while {part} statement {number} of {total} of phase {version} ran: it \
                     may or may not have taken effect, and the history records it as in flight. \
                     {next} checks the database before going on, and asks if it cannot tell"
                )
            }
            Lost::InDoubt(why) => format!(
                "{lost} during phase {version}, and pgstep cannot tell whether it committed: \
                 {why}. Run `pgstep status` once the server can be reached"
            ),
        }
    }
}

/// Whether `err` means the session is gone (closed, reset, or ended by the server), rather
/// than a statement failing in a session that goes on.
pub(super) fn is_lost(c: &Client, err: &tokio_postgres::Error) -> bool {
    c.is_closed() || is_connection_error(err)
}

/// Whether `err` says the connection is gone, whatever the client's state.
pub fn is_connection_error(err: &tokio_postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    match err.code() {
        // Connection exceptions, and the server ending the session (shutdown, crash,
        // pg_terminate_backend).
        Some(code) => {
            let code = code.code();
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
        }
        // Not from the server: the socket failed.
        None => err.as_db_error().is_none() && std::error::Error::source(err).is_some(),
    }
}

/// How long a second session waits for the server to come back, and for the old server
/// process to end.
const RECONNECT_FOR: Duration = Duration::from_secs(15);
const OLD_PROCESS_FOR: Duration = Duration::from_secs(30);

impl Engine {
    /// Reads, from a second session, whether phase `stored` is applied now.
    pub(super) async fn after_lost(
        &self,
        version: &str,
        stored: &str,
        rollback: bool,
    ) -> EngineError {
        let lost = match self.read_after_loss(stored).await {
            Ok(Some(RowState::Applied)) if rollback => Lost::NotRolledBack,
            Ok(_) if rollback => Lost::RolledBack,
            Ok(Some(RowState::Applied)) => Lost::Applied,
            Ok(_) => Lost::NotApplied,
            Err(why) => Lost::InDoubt(why),
        };
        EngineError::ConnectionLost {
            version: version.to_string(),
            lost,
        }
    }

    /// The state of `stored`'s history row, once the old server process has ended; the
    /// error says why that cannot be known. A server that crashed takes a moment to recover
    /// and may drop the second session too, so it is tried until `RECONNECT_FOR` is over.
    async fn read_after_loss(&self, stored: &str) -> Result<Option<RowState>, String> {
        let Some(params) = &self.reconnect else {
            return Err("no second session can be opened from here".into());
        };
        let deadline = tokio::time::Instant::now() + RECONNECT_FOR;
        loop {
            let attempt = async {
                let (client, _connection) =
                    tokio::time::timeout(Duration::from_secs(5), crate::conninfo::connect(params))
                        .await
                        .map_err(|_| Wait::Again("the server cannot be reached again".into()))?
                        .map_err(|e| {
                            Wait::Again(format!("the server cannot be reached again ({e})"))
                        })?;
                self.read_once_ended(&client, stored).await
            };
            match attempt.await {
                Ok(found) => return Ok(found),
                Err(Wait::Final(why)) => return Err(why),
                Err(Wait::Again(why)) if tokio::time::Instant::now() >= deadline => {
                    return Err(why);
                }
                Err(Wait::Again(_)) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// On a second session: waits for the old server process to end, then reads the row.
    async fn read_once_ended(
        &self,
        client: &Client,
        stored: &str,
    ) -> Result<Option<RowState>, Wait> {
        let db = |e: tokio_postgres::Error| {
            Wait::Again(format!(
                "a second session failed: {}",
                super::db_message(&e)
            ))
        };
        let deadline = tokio::time::Instant::now() + OLD_PROCESS_FOR;
        loop {
            let alive: bool = client
                .query_one(
                    "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)",
                    &[&self.pid],
                )
                .await
                .map_err(db)?
                .get(0);
            if !alive {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Wait::Final(format!(
                    "the server process {} that ran it is still running",
                    self.pid
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let rows = self.tables.rows(client).await.map_err(db)?;
        Ok(rows.iter().find(|r| r.version == stored).map(|r| r.state))
    }
}

/// Why a second session could not tell, and whether trying again may help.
enum Wait {
    Again(String),
    Final(String),
}
