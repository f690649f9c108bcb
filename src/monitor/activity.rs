//! Who blocks whom: every lock wait in the database with the session it waits for, the
//! blockers of and the queue behind one backend, and the facts about tables that the apply and
//! rollback dialogs show (size, rows, who holds locks on them now).
//!
//! Each view is one query, sent as a single simple-query message that opens a read-only
//! implicit transaction with short timeouts (see [`read_json`]): the statistics views take
//! their snapshot once per transaction, so every poll gets a fresh one, and a poll dropped
//! half-way never leaves the session inside a transaction.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::engine::waits::age_text;

mod facts;

pub use facts::{LockHolder, TableFacts, table_facts};

/// A view could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", db_text(.0))]
    Db(#[from] tokio_postgres::Error),
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

fn db_text(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("[{}] {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

/// One server session, as `pg_stat_activity` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub pid: i32,
    pub user: Option<String>,
    pub application: Option<String>,
    /// The client's address; `None` over a Unix socket.
    pub client: Option<String>,
    /// `active`, `idle in transaction`, ...; `None` for background processes.
    pub state: Option<String>,
    pub backend_type: Option<String>,
    /// Seconds since its transaction began; `None` outside a transaction.
    pub xact_age_secs: Option<f64>,
    /// Seconds since its current (or last) statement began.
    pub query_age_secs: Option<f64>,
    /// `Lock:relation`, `IO:DataFileRead`, ...
    pub wait_event: Option<String>,
    /// The head of its current (or last) statement, whitespace collapsed.
    pub query: Option<String>,
    /// The sessions it waits for (`pg_blocking_pids`), listed for [`Activity::sessions`]
    /// only: empty elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<i32>,
}

impl Session {
    /// One line: `pid 4242 psql (alice): idle in transaction 3m12s: UPDATE books SET ...`.
    pub fn describe(&self) -> String {
        let who = match (&self.application, &self.user) {
            (Some(a), Some(u)) if !a.is_empty() => format!("{a} ({u})"),
            (_, Some(u)) => u.clone(),
            (Some(a), None) if !a.is_empty() => a.clone(),
            _ => self.backend_type.clone().unwrap_or_else(|| "?".into()),
        };
        let mut s = format!("pid {} {who}", self.pid);
        if let Some(state) = &self.state {
            s.push_str(&format!(": {state}"));
            if let Some(age) = self.xact_age_secs.or(self.query_age_secs) {
                s.push_str(&format!(" {}", age_text(age as i64)));
            }
        }
        if let Some(q) = self.query.as_deref().filter(|q| !q.is_empty()) {
            s.push_str(&format!(": {}", head(q, 80)));
        }
        s
    }
}

/// At most `n` characters of `s`, with an ellipsis when cut.
pub fn head(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// One edge of the blocker tree: a session waiting for a lock, and one session it waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    pub waiting: Session,
    /// `relation`, `transactionid`, `tuple`, `advisory`, ...
    pub locktype: String,
    /// What it waits for: a relation's name, `transaction 1234`, ...
    pub object: String,
    /// The lock mode it asked for: `AccessExclusiveLock`, ...
    pub mode: String,
    pub waiting_secs: Option<f64>,
    pub blocker: Session,
    /// Whether the blocker is itself waiting for a lock (not the root of the tree).
    pub blocker_waits: bool,
}

impl Wait {
    /// `pid 77 pgstep (alice) waits 12s for AccessExclusiveLock on books`.
    pub fn describe_waiter(&self) -> String {
        let w = &self.waiting;
        let who = w
            .application
            .as_deref()
            .or(w.user.as_deref())
            .unwrap_or("?");
        let since = self
            .waiting_secs
            .map(|s| format!(" {}", age_text(s as i64)))
            .unwrap_or_default();
        format!(
            "pid {} {who} waits{since} for {} on {}",
            w.pid, self.mode, self.object
        )
    }
}

/// The sessions in the way of one backend, and the ones queued behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Focus {
    pub pid: i32,
    /// `pg_blocking_pids` of the backend: holders of conflicting locks and conflicting
    /// requests ahead of it in the queue.
    pub blockers: Vec<Session>,
    /// Sessions whose `pg_blocking_pids` contain the backend.
    pub queued: Vec<Session>,
}

/// The lock waits of the database now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Every session of this database that waits for a lock, once per session it waits for,
    /// longest wait first.
    pub waits: Vec<Wait>,
    pub focus: Option<Focus>,
    /// Every client session of this database, the reading session included, by pid.
    #[serde(default)]
    pub sessions: Vec<Session>,
}

impl Activity {
    /// Whether `pid` holds up another session of the list.
    pub fn blocks_others(&self, pid: i32) -> bool {
        self.sessions.iter().any(|s| s.blocked_by.contains(&pid))
    }
}

impl Activity {
    /// The tree as text, one waiting session per line and its blockers indented below.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut last = None;
        for w in &self.waits {
            if last != Some(w.waiting.pid) {
                out.push(w.describe_waiter());
                last = Some(w.waiting.pid);
            }
            let waits = if w.blocker_waits {
                "(itself waiting) "
            } else {
                ""
            };
            out.push(format!("  blocked by {waits}{}", w.blocker.describe()));
        }
        out
    }
}

/// A session's fields as a JSON object, for `alias`, a `pg_stat_activity` row.
fn session_json(alias: &str) -> String {
    format!(
        "jsonb_build_object('pid', {a}.pid, 'user', {a}.usename, \
         'application', {a}.application_name, 'client', host({a}.client_addr), \
         'state', {a}.state, 'backend_type', {a}.backend_type, \
         'xact_age_secs', round(extract(epoch FROM now() - {a}.xact_start)::numeric, 3), \
         'query_age_secs', round(extract(epoch FROM now() - {a}.query_start)::numeric, 3), \
         'wait_event', {a}.wait_event_type || ':' || {a}.wait_event, \
         'query', left(regexp_replace({a}.query, '[[:space:]]+', ' ', 'g'), 300))",
        a = alias
    )
}

/// A pid or NULL, as SQL.
fn pid_sql(pid: Option<i32>) -> String {
    pid.map_or("NULL::int".into(), |p| format!("{p}::int"))
}

fn activity_sql(focus: Option<i32>) -> String {
    format!(
        "WITH s AS MATERIALIZED (
            SELECT a.pid, {j} AS j FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid()
         ), waiting AS MATERIALIZED (
            SELECT l.*, a.state_change, a.datname AS db
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE NOT l.granted AND a.pid <> pg_backend_pid()
         ), w AS (
            SELECT l.pid AS waiting, bp.pid AS blocking, l.locktype, l.mode,
                   CASE l.locktype
                       WHEN 'relation' THEN l.relation::regclass::text
                       WHEN 'tuple' THEN 'a row of ' || l.relation::regclass::text
                       WHEN 'transactionid' THEN 'transaction ' || l.transactionid
                       WHEN 'virtualxid' THEN 'virtual transaction ' || l.virtualxid
                       WHEN 'advisory' THEN 'advisory lock ' || l.classid || '/' || l.objid
                       ELSE l.locktype END AS object,
                   round(extract(epoch FROM now() - coalesce(
                       (to_jsonb(l) ->> 'waitstart')::timestamptz, l.state_change))::numeric, 3)
                       AS waiting_secs
            FROM waiting l CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS bp(pid)
            WHERE l.db = current_database()
         )
         SELECT jsonb_build_object(
            'waits', coalesce((
                SELECT jsonb_agg(jsonb_build_object('waiting', sw.j, 'locktype', w.locktype,
                    'object', w.object, 'mode', w.mode, 'waiting_secs', w.waiting_secs,
                    'blocker', sb.j,
                    'blocker_waits', EXISTS (SELECT 1 FROM waiting x WHERE x.pid = w.blocking))
                    ORDER BY w.waiting_secs DESC NULLS LAST, w.waiting, w.blocking)
                FROM w JOIN s sw ON sw.pid = w.waiting JOIN s sb ON sb.pid = w.blocking), '[]'),
            'focus', CASE WHEN {f} IS NOT NULL THEN jsonb_build_object('pid', {f},
                'blockers', coalesce((SELECT jsonb_agg(s.j ORDER BY s.pid) FROM s
                    WHERE s.pid = ANY (pg_blocking_pids({f}))), '[]'),
                'queued', coalesce((SELECT jsonb_agg(s.j ORDER BY s.pid) FROM s
                    WHERE s.pid IN (SELECT DISTINCT x.pid FROM waiting x
                                    WHERE {f} = ANY (pg_blocking_pids(x.pid)))), '[]'))
            END,
            -- pg_blocking_pids takes the lock manager's locks: asked only of sessions that
            -- wait for a lock.
            'sessions', coalesce((
                SELECT jsonb_agg({j} || jsonb_build_object('blocked_by',
                    CASE WHEN a.wait_event_type = 'Lock'
                         THEN to_jsonb(pg_blocking_pids(a.pid)) ELSE '[]'::jsonb END)
                    ORDER BY a.pid)
                FROM pg_stat_activity a
                WHERE a.datname = current_database() AND a.backend_type = 'client backend'), '[]'))::text",
        j = session_json("a"),
        f = pid_sql(focus),
    )
}

/// Every lock wait of this database with whom it waits for, every client session of it,
/// and with `focus_pid` the sessions blocking that backend and the ones queued behind it. The client must not be
/// inside a transaction.
pub async fn load(client: &Client, focus_pid: Option<i32>) -> Result<Activity, Error> {
    read_json(client, &activity_sql(focus_pid)).await
}

/// The session of `pid` on this server, if there is one: for a confirmation naming it.
pub async fn session(client: &Client, pid: i32) -> Result<Option<Session>, Error> {
    let sql = format!(
        "SELECT (SELECT {} FROM pg_stat_activity a WHERE a.pid = {pid})::text",
        session_json("a")
    );
    read_json(client, &sql).await
}

/// Runs `select` (one column, one row of JSON text) in a read-only implicit transaction with
/// short timeouts, and decodes it. The statements travel as one simple-query message, so the
/// server runs them all and ends the transaction even if the caller gives up on the answer.
pub(crate) async fn read_json<T: DeserializeOwned>(
    client: &Client,
    select: &str,
) -> Result<T, Error> {
    let sql = format!(
        "SET LOCAL transaction_read_only = on; SET LOCAL statement_timeout = '5s'; \
         SET LOCAL lock_timeout = '1s'; {select}"
    );
    let messages = client.simple_query(&sql).await?;
    let text = messages
        .iter()
        .rev()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("null").to_string()),
            _ => None,
        })
        .ok_or_else(|| Error::Decode("no row".into()))?;
    serde_json::from_str(&text).map_err(|e| Error::Decode(format!("{e}: {}", head(&text, 200))))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn session(pid: i32, state: Option<&str>, age: Option<f64>, query: &str) -> Session {
        Session {
            pid,
            user: Some("alice".into()),
            application: Some("psql".into()),
            client: None,
            state: state.map(str::to_string),
            backend_type: Some("client backend".into()),
            xact_age_secs: age,
            query_age_secs: Some(1.0),
            wait_event: None,
            query: Some(query.into()),
            blocked_by: Vec::new(),
        }
    }

    #[test]
    fn one_line_per_session() {
        let s = session(
            4242,
            Some("idle in transaction"),
            Some(192.4),
            "LOCK TABLE t",
        );
        assert_eq!(
            s.describe(),
            "pid 4242 psql (alice): idle in transaction 3m12s: LOCK TABLE t"
        );
        let long = "x".repeat(100);
        let line = session(7, None, None, &long).describe();
        assert!(line.ends_with(&format!("{}…", "x".repeat(80))), "{line}");
        let w = Wait {
            waiting: session(77, Some("active"), Some(12.0), "ALTER TABLE t"),
            locktype: "relation".into(),
            object: "t".into(),
            mode: "AccessExclusiveLock".into(),
            waiting_secs: Some(12.3),
            blocker: s,
            blocker_waits: false,
        };
        let a = Activity {
            waits: vec![w],
            focus: None,
            sessions: Vec::new(),
        };
        assert_eq!(
            a.lines(),
            [
                "pid 77 psql waits 12s for AccessExclusiveLock on t",
                "  blocked by pid 4242 psql (alice): idle in transaction 3m12s: LOCK TABLE t"
            ]
        );
    }
}
