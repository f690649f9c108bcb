//! Replication as a migration sees it: how far each standby is behind, and how much WAL the
//! phase that runs now has written (which is what those standbys have to replay).

use tokio_postgres::Client;

use super::activity::Error;
use crate::engine::bookkeeping;
use crate::engine::history::Tables;

/// One standby (or other WAL receiver) streaming from this server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Standby {
    pub name: String,
    pub client_addr: Option<String>,
    pub state: Option<String>,
    /// Bytes of WAL not yet replayed there; `None` when this role may not see it.
    pub lag_bytes: Option<i64>,
    pub replay_lag_ms: Option<i64>,
}

/// The `Transaction: none` (or batched) phase that runs now, from its history row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunningPhase {
    pub version: String,
    pub name: String,
    /// WAL made since the phase started.
    pub wal_bytes: Option<i64>,
    pub batch_done: Option<i64>,
    pub batch_rows: Option<i64>,
    pub batch_next: Option<i64>,
    pub batch_last: Option<i64>,
}

pub async fn standbys(client: &Client) -> Result<Vec<Standby>, Error> {
    let rows = client
        .query(
            "SELECT coalesce(nullif(application_name, ''), 'pid ' || pid), \
                    host(client_addr), state, \
                    CASE WHEN pg_is_in_recovery() THEN NULL \
                    ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::int8 END, \
                    (extract(epoch FROM replay_lag) * 1000)::int8 \
             FROM pg_stat_replication ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Standby {
            name: r.get(0),
            client_addr: r.get(1),
            state: r.get(2),
            lag_bytes: r.get(3),
            replay_lag_ms: r.get(4),
        })
        .collect())
}

/// The phase running now, if the migration lock is held and its row says where it started.
/// A transactional phase shows nothing: its row is written when it commits.
pub async fn running_phase(
    client: &Client,
    tables: &Tables,
) -> Result<Option<RunningPhase>, Error> {
    let layout = bookkeeping::existing(tables, client)
        .await
        .map_err(|e| Error::Decode(e.to_string()))?
        .history;
    if layout.is_none_or(|v| v < 3) {
        return Ok(None);
    }
    let held = crate::engine::lock::holder(client, tables)
        .await
        .map_err(|e| Error::Decode(e.to_string()))?
        .is_some();
    if !held {
        return Ok(None);
    }
    let sql = format!(
        "SELECT version::text, name::text, \
                pg_wal_lsn_diff(pg_current_wal_insert_lsn(), wal_start)::int8, \
                batch_done, batch_rows, batch_next, batch_last \
         FROM {} WHERE state = 'dirty' AND wal_start IS NOT NULL AND NOT pg_is_in_recovery() \
         ORDER BY version DESC LIMIT 1",
        tables.history_sql()
    );
    let row = client.query_opt(&sql, &[]).await?;
    Ok(row.map(|r| RunningPhase {
        version: r.get(0),
        name: r.get(1),
        wal_bytes: r.get(2),
        batch_done: r.get(3),
        batch_rows: r.get(4),
        batch_next: r.get(5),
        batch_last: r.get(6),
    }))
}

/// Where the server's WAL insert position is, in bytes; `None` on a server in recovery,
/// which writes none.
pub async fn wal_position(client: &Client) -> Result<Option<i64>, Error> {
    let row = client
        .query_one(
            "SELECT CASE WHEN pg_is_in_recovery() THEN NULL \
             ELSE pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8 END",
            &[],
        )
        .await?;
    Ok(row.get(0))
}
