//! The history table (seed 003's `schema_migrations` plus pgstep's audit columns) and the
//! append-only event log beside it.

use futures_util::TryStreamExt;
use serde_json::Value;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

use super::EngineError;
pub use crate::phases::{HistoryRow, RowState};
use crate::plan::{Migration, Read};

mod events;
mod outcome;
mod place;
pub use events::{Event, EventKind, LoggedEvent};
pub use outcome::{LoggedOutcome, Outcome};
pub use place::{Placed, Placement};

/// Where the history lives. Names are always quoted as identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub schema: Option<String>,
    pub history: String,
    pub log: String,
    /// The schema is pgstep's own ([`Tables::OWN_SCHEMA`]), created with the tables: it may
    /// not exist yet.
    pub own_schema: bool,
}

impl Default for Tables {
    fn default() -> Self {
        Tables::named(None, "schema_migrations")
    }
}

pub use crate::sql::{quote_ident, quote_literal};

impl Tables {
    /// The history table `name` and its log `name_log`.
    pub fn named(schema: Option<&str>, name: &str) -> Tables {
        Tables {
            schema: schema.map(str::to_string),
            history: name.to_string(),
            log: format!("{name}_log"),
            own_schema: false,
        }
    }

    /// The schema pgstep keeps its tables in beside an adopted tool's, out of the
    /// application's schema.
    pub const OWN_SCHEMA: &str = "pgstep";

    /// pgstep's history and log in a schema of its own, beside an adopted tool's table.
    pub fn own() -> Tables {
        Tables {
            own_schema: true,
            ..Tables::named(Some(Tables::OWN_SCHEMA), "history")
        }
    }

    /// `name` in the history's schema, quoted.
    pub fn qualified(&self, name: &str) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", quote_ident(s), quote_ident(name)),
            None => quote_ident(name),
        }
    }

    pub fn history_sql(&self) -> String {
        self.qualified(&self.history)
    }

    pub fn log_sql(&self) -> String {
        self.qualified(&self.log)
    }

    /// A stable key for the advisory lock that lets one operator work at a time: the
    /// history's schema and name, so that two spellings of one table take one lock. The
    /// schema is resolved when the engine opens ([`Tables::resolve`]).
    pub fn lock_key(&self) -> String {
        format!("{}.{}", self.schema.as_deref().unwrap_or(""), self.history)
    }

    /// Names the schema the history lives in when none was given: the session's current
    /// schema, where an unqualified name is created and found.
    pub async fn resolve(&mut self, c: &impl GenericClient) -> Result<(), EngineError> {
        if let Some(schema) = &self.schema {
            if self.own_schema {
                return Ok(());
            }
            let found: bool = c
                .query_one(
                    "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)",
                    &[schema],
                )
                .await?
                .get(0);
            return if found {
                Ok(())
            } else {
                Err(EngineError::Input(format!(
                    "schema {} does not exist: create it (CREATE SCHEMA {}) or give another \
                     --history-schema",
                    quote_ident(schema),
                    quote_ident(schema)
                )))
            };
        }
        let current: Option<String> = c
            .query_typed_one("SELECT current_schema()", &[])
            .await?
            .get(0);
        match current {
            Some(s) => {
                self.schema = Some(s);
                Ok(())
            }
            None => Err(EngineError::Input(
                "no schema to keep the history in: the search_path names no existing schema. \
                 Set search_path, or give --history-schema"
                    .into(),
            )),
        }
    }
}

/// What a history row says was kept; a value edited by hand into something else reads as
/// nothing kept rather than failing every read of the history.
fn kept_of(value: Option<serde_json::Value>) -> Vec<crate::trash::KeptRecord> {
    value
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The SQL a history row recorded when its phase was applied. Read only where it is shown or
/// run (a drift's diff, the DOWN of a phase whose file is gone): a history of thousands of
/// phases is listed without it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedSql {
    pub up: Option<String>,
    pub down: Option<String>,
}

/// Whether the tables exist and are pgstep's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Missing,
    Ours,
}

impl Tables {
    /// Checks both tables; a table of the same name made by another tool is an error that
    /// says whose it looks like and how to pick another name.
    pub async fn presence(&self, c: &impl GenericClient) -> Result<Presence, EngineError> {
        let found = super::bookkeeping::existing(self, c).await?;
        Ok(if found.history.is_none() && found.log.is_none() {
            Presence::Missing
        } else {
            Presence::Ours
        })
    }

    /// The rows of a history at the current layout.
    pub async fn rows(
        &self,
        c: &impl GenericClient,
    ) -> Result<Vec<HistoryRow>, tokio_postgres::Error> {
        self.rows_of_layout(c, super::bookkeeping::CURRENT).await
    }

    /// The rows of a history at `layout`, which a read-only command finds as it is: the
    /// columns a layout lacks read as empty.
    pub async fn rows_of_layout(
        &self,
        c: &impl GenericClient,
        layout: u32,
    ) -> Result<Vec<HistoryRow>, tokio_postgres::Error> {
        let since_2 = if layout >= 2 {
            "in_flight, in_flight_pid, down_done"
        } else {
            "NULL::int, NULL::int, NULL::int"
        };
        let since_4 = if layout >= 4 { "kept" } else { "NULL::jsonb" };
        let sql = format!(
            "SELECT version::text, name::text, applied_at, checksum::text, success, error_message,
                    execution_time_ms, state, applied_by_role, applied_by_os_user,
                    applied_from_host, checksum_up::text, checksum_down::text,
                    checksum_verify::text, fingerprint::text, transactional,
                    statements_total, statements_done, check_snapshot, {since_2}, {since_4},
                    count(*) OVER ()
             FROM {} ORDER BY created_at, version",
            self.history_sql()
        );
        // Streamed: a history of thousands of rows is never held twice, as rows and as
        // HistoryRows.
        let no_params: [(i32, Type); 0] = [];
        let stream = c.query_typed_raw(&sql, no_params).await?;
        futures_util::pin_mut!(stream);
        let mut out = Vec::new();
        while let Some(r) = stream.try_next().await? {
            // Room for exactly the rows there are: doubling as they come held up to twice
            // their room at once (thousands of 384-byte rows) and kept a third of it spare.
            if out.is_empty() {
                let total = r.try_get::<_, i64>(23).unwrap_or(0);
                out.reserve_exact(usize::try_from(total).unwrap_or(0));
            }
            out.push(HistoryRow {
                version: r.get(0),
                name: r.get(1),
                applied_at: r.get(2),
                checksum: r.get(3),
                success: r.get(4),
                error_message: r.get(5),
                execution_time_ms: r.get(6),
                state: RowState::parse(r.get(7)),
                applied_by_role: r.get(8),
                applied_by_os_user: r.get(9),
                applied_from_host: r.get(10),
                checksum_up: r.get(11),
                checksum_down: r.get(12),
                checksum_verify: r.get(13),
                fingerprint: r.get(14),
                transactional: r.get(15),
                statements_total: r.get(16),
                statements_done: r.get(17),
                check_snapshot: r.get(18),
                in_flight: r.get(19),
                in_flight_pid: r.get(20),
                down_done: r.get(21),
                kept: kept_of(r.get(22)),
            });
        }
        Ok(out)
    }

    /// The SQL recorded for each of `versions` (as stored) that has a row.
    pub async fn applied_sql(
        &self,
        c: &impl GenericClient,
        versions: &[&str],
    ) -> Result<Vec<(String, AppliedSql)>, tokio_postgres::Error> {
        let sql = format!(
            "SELECT version::text, up_sql, down_sql FROM {} WHERE version::text = ANY($1)",
            self.history_sql()
        );
        let rows = c.query(&sql, &[&versions]).await?;
        Ok(rows
            .iter()
            .map(|r| {
                let sql = AppliedSql {
                    up: r.get(1),
                    down: r.get(2),
                };
                (r.get(0), sql)
            })
            .collect())
    }

    /// Adds `kept` (a JSON array) to what the row of `version` says its phase kept, when
    /// the row is there. Only pgstep's own history: an adopted tool's table is never
    /// written beyond its own record.
    pub async fn add_kept(
        &self,
        c: &impl GenericClient,
        version: &str,
        kept: &serde_json::Value,
    ) -> Result<(), tokio_postgres::Error> {
        self.set_on_row(c, "kept = coalesce(kept, '[]'::jsonb) || $2", version, kept)
            .await
    }

    /// Sets how many statements of a non-transactional phase have completed, and that none
    /// is in flight.
    pub async fn progress(
        &self,
        c: &impl GenericClient,
        version: &str,
        done: i32,
    ) -> Result<(), tokio_postgres::Error> {
        let set = "statements_done = $2, in_flight = NULL, in_flight_pid = NULL";
        self.set_on_row(c, set, version, &done).await
    }

    /// Records that statement `number` (1-based) is about to be sent by this session, before
    /// it is: if no reply comes, the next run knows it may have taken effect.
    pub async fn in_flight(
        &self,
        c: &impl GenericClient,
        version: &str,
        number: i32,
    ) -> Result<(), tokio_postgres::Error> {
        let set = "in_flight = $2, in_flight_pid = pg_backend_pid()";
        self.set_on_row(c, set, version, &number).await
    }

    /// Marks a `Transaction: none` phase as rolling back, with `done` DOWN statements
    /// completed and none in flight.
    pub async fn rollback_progress(
        &self,
        c: &impl GenericClient,
        version: &str,
        done: i32,
    ) -> Result<(), tokio_postgres::Error> {
        let set = "state = 'rolling-back', success = false, down_done = $2, \
                   in_flight = NULL, in_flight_pid = NULL";
        self.set_on_row(c, set, version, &done).await
    }

    /// Runs `UPDATE history SET set WHERE version = $1`, `value` bound as `$2`.
    async fn set_on_row(
        &self,
        c: &impl GenericClient,
        set: &str,
        version: &str,
        value: &(dyn tokio_postgres::types::ToSql + Sync),
    ) -> Result<(), tokio_postgres::Error> {
        let sql = format!("UPDATE {} SET {set} WHERE version = $1", self.history_sql());
        c.execute(&sql, &[&version, value]).await?;
        Ok(())
    }

    /// Records the checksums of the file as it is now (drift accepted).
    pub async fn accept(
        &self,
        c: &impl GenericClient,
        version: &str,
        m: &Read<'_>,
    ) -> Result<(), tokio_postgres::Error> {
        let sql = format!(
            "UPDATE {} SET checksum = $2, checksum_up = $3, checksum_down = $4,
                checksum_verify = $5, fingerprint = $6, up_sql = $7, down_sql = $8
             WHERE version = $1",
            self.history_sql()
        );
        c.execute(
            &sql,
            &[
                &version,
                &m.checksum,
                &m.part_checksums.up,
                &m.part_checksums.down,
                &m.part_checksums.verify,
                &m.fingerprint(),
                &m.up().text,
                &m.stored_down(),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn delete(
        &self,
        c: &impl GenericClient,
        version: &str,
    ) -> Result<(), tokio_postgres::Error> {
        let sql = format!("DELETE FROM {} WHERE version = $1", self.history_sql());
        c.execute(&sql, &[&version]).await?;
        Ok(())
    }

    /// The event log, newest first.
    pub async fn events(
        &self,
        c: &impl GenericClient,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, tokio_postgres::Error> {
        let sql = format!(
            "SELECT at, event, version::text, name::text, outcome, duration_ms, db_role, os_user,
                    host, application, reason, details
             FROM {} ORDER BY id DESC LIMIT $1",
            self.log_sql()
        );
        let rows = c.query(&sql, &[&limit]).await?;
        Ok(rows
            .iter()
            .map(|r| LoggedEvent {
                at: r.get(0),
                event: r.get(1),
                version: r.get(2),
                name: r.get(3),
                outcome: LoggedOutcome::read(r.get(4)),
                duration_ms: r.get(5),
                db_role: r.get(6),
                os_user: r.get(7),
                host: r.get(8),
                application: r.get(9),
                reason: r.get(10),
                details: r.get(11),
            })
            .collect())
    }
}

/// What to write in a history row.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    /// The version as stored: the existing row's spelling, else the file's.
    pub version: &'a str,
    pub state: RowState,
    pub execution_time_ms: Option<i32>,
    pub error_message: Option<String>,
    pub error_sqlstate: Option<String>,
    pub error_line: Option<i32>,
    pub statements_done: Option<i32>,
    pub check_snapshot: Option<Value>,
}

impl<'a> Record<'a> {
    /// The row of a phase whose every UP statement ran, taking `millis` if measured.
    pub fn applied(version: &'a str, m: &Migration, millis: Option<u128>) -> Record<'a> {
        Record {
            version,
            state: RowState::Applied,
            execution_time_ms: millis.map(|ms| ms.min(i32::MAX as u128) as i32),
            error_message: None,
            error_sqlstate: None,
            error_line: None,
            statements_done: Some(m.up.count() as i32),
            check_snapshot: None,
        }
    }
}

/// Whose table a foreign `schema_migrations` looks like, from its columns.
pub(super) fn guess_owner(columns: &[String]) -> &'static str {
    let has = |c: &str| columns.iter().any(|x| x == c);
    if has("dirty") && has("version") && columns.len() == 2 {
        "golang-migrate's"
    } else if has("version") && columns.len() == 1 {
        "Rails' or dbmate's"
    } else if has("installed_rank") {
        "Flyway's"
    } else if has("installed_on") && has("description") {
        "sqlx's"
    } else if has("run_on") {
        "Diesel's"
    } else if has("success") && has("checksum") && has("execution_time_ms") {
        "another migration runner's (seed 003 layout)"
    } else {
        "another tool's"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        let t = Tables::named(Some("ops"), "weird\"name");
        assert_eq!(t.history_sql(), "\"ops\".\"weird\"\"name\"");
        assert_eq!(t.log_sql(), "\"ops\".\"weird\"\"name_log\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }

    #[test]
    fn owners() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            guess_owner(&cols(&["version", "dirty"])),
            "golang-migrate's"
        );
        assert_eq!(guess_owner(&cols(&["version"])), "Rails' or dbmate's");
        assert_eq!(
            guess_owner(&cols(&[
                "version",
                "description",
                "installed_on",
                "success",
                "checksum"
            ])),
            "sqlx's"
        );
        assert_eq!(guess_owner(&cols(&["a", "b"])), "another tool's");
    }
}
