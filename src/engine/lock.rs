//! One operator at a time: a session-level advisory lock keyed on the history table.
//!
//! A session lock (not the `_xact_` kind) because non-transactional phases commit statement by
//! statement and the lock must span them. `pg_try_advisory_lock` never waits, so a second
//! pgstep fails fast instead of queueing behind the first (or deadlocking its
//! `CREATE INDEX CONCURRENTLY`).

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::EngineError;
use super::history::Tables;

/// The first half of the lock key: `hashtext('pgstep')`, so DBAs can find pgstep's locks in
/// `pg_locks` (classid) among other advisory locks.
const KEY_SQL: &str = "hashtext('pgstep'), hashtext(current_database() || '/' || $1)";

/// Who holds the migration lock.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    pub pid: i32,
    pub user: Option<String>,
    pub application: Option<String>,
    pub client: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub state: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} ({}, user {}, from {}",
            self.pid,
            self.application.as_deref().unwrap_or("unknown application"),
            self.user.as_deref().unwrap_or("unknown"),
            self.client.as_deref().unwrap_or("local socket"),
        )?;
        if let Some(since) = self.since {
            write!(
                f,
                ", connected since {}",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        write!(f, ")")
    }
}

/// Takes the lock or says who has it.
pub async fn acquire(c: &Client, tables: &Tables) -> Result<(), EngineError> {
    let sql = format!("SELECT pg_try_advisory_lock({KEY_SQL})");
    let key = tables.lock_key();
    let got: bool = c.query_one(&sql, &[&key]).await?.get(0);
    if got {
        return Ok(());
    }
    match holder(c, tables).await? {
        Some(h) => Err(EngineError::LockHeld(Box::new(h))),
        // Released between the two queries: try once more rather than report nobody.
        None => {
            let got: bool = c.query_one(&sql, &[&key]).await?.get(0);
            if got {
                Ok(())
            } else {
                Err(EngineError::LockHeld(Box::new(Holder {
                    pid: 0,
                    user: None,
                    application: None,
                    client: None,
                    since: None,
                    state: None,
                })))
            }
        }
    }
}

pub async fn release(c: &Client, tables: &Tables) -> Result<(), EngineError> {
    let sql = format!("SELECT pg_advisory_unlock({KEY_SQL})");
    c.query_one(&sql, &[&tables.lock_key()]).await?;
    Ok(())
}

/// The session holding the lock, if any (never this one's own lookups).
pub async fn holder(c: &Client, tables: &Tables) -> Result<Option<Holder>, EngineError> {
    let sql = "SELECT a.pid, a.usename::text, a.application_name, host(a.client_addr),
                a.backend_start, a.state
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND l.classid = hashtext('pgstep')::oid
           AND l.objid = hashtext(current_database() || '/' || $1)::oid";
    let row = c.query_opt(sql, &[&tables.lock_key()]).await?;
    Ok(row.map(|r| Holder {
        pid: r.get(0),
        user: r.get(1),
        application: r.get(2),
        client: r.get(3),
        since: r.get(4),
        state: r.get(5),
    }))
}
