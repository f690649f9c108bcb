//! pgstep's own tables, made once and upgraded by version: the history, the append-only event
//! log, and the triggers that keep the log honest.
//!
//! Nothing here runs on an ordinary command once the tables are current: re-creating triggers
//! on every run took locks that queued behind any open transaction that had read the log.
//! The DDL runs only to create, upgrade or repair, inside one transaction, under
//! `lock_timeout`, and is retried like a phase when a lock wait times out.

use tokio_postgres::types::Type;
use tokio_postgres::{Client, GenericClient};

use super::history::{EventKind, Outcome, Tables, quote_ident, quote_literal};
use super::integrity::{self, Finding};
use super::{EngineError, Settings};
use crate::adopt::Found;

/// The layout this build writes. 2 added statement-in-flight tracking, rollback progress and
/// the log's stamping trigger (gap-free ids, the writer's true role and time); 3 a batched
/// step's progress and the WAL position a phase started at; 4 what a phase kept.
pub const CURRENT: u32 = 4;

const HISTORY_COMMENT: &str = "pgstep history v";
const LOG_COMMENT: &str = "pgstep event log v";

/// The comment that marks a table as pgstep's, with its layout version.
fn comment(prefix: &str, version: u32) -> String {
    if prefix == LOG_COMMENT {
        format!("{prefix}{version} (append-only)")
    } else {
        format!("{prefix}{version}")
    }
}

/// The layout version in a comment of pgstep's, or `None` for anyone else's table.
fn version_of(prefix: &str, found: Option<&str>) -> Option<u32> {
    let rest = found?.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|v| *v >= 1)
}

/// The layout of a history table with `comment`, when it is pgstep's and this build reads it;
/// `None` where [`existing`] would refuse the table (another's, or a newer pgstep's).
pub fn readable_history(comment: Option<&str>) -> Option<u32> {
    version_of(HISTORY_COMMENT, comment).filter(|v| *v <= CURRENT)
}

/// As [`readable_history`], for the event log.
pub fn readable_log(comment: Option<&str>) -> Option<u32> {
    version_of(LOG_COMMENT, comment).filter(|v| *v <= CURRENT)
}

/// Which of pgstep's tables exist, by their layout version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Existing {
    pub history: Option<u32>,
    pub log: Option<u32>,
}

/// The names of the log's triggers and functions.
pub(super) struct Guards {
    pub append_only: String,
    pub no_truncate: String,
    pub stamp: String,
}

impl Guards {
    pub fn of(t: &Tables) -> Guards {
        Guards {
            append_only: format!("{}_append_only", t.log),
            no_truncate: format!("{}_no_truncate", t.log),
            stamp: format!("{}_stamp", t.log),
        }
    }

    pub fn triggers(&self) -> [&str; 3] {
        [&self.append_only, &self.no_truncate, &self.stamp]
    }
}

/// Reads which tables exist; a table of the same name made by another tool is an error that
/// says whose it looks like and how to pick another name.
pub async fn existing(t: &Tables, c: &impl GenericClient) -> Result<Existing, EngineError> {
    let mut found = Existing::default();
    // Both tables in one round trip (typed: no separate prepare): `status` and the console
    // ask this on every read.
    let rows = c
        .query_typed(
            "SELECT cl.relname::text, obj_description(cl.oid, 'pg_class'), \
                    array(SELECT attname::text FROM pg_attribute \
                          WHERE attrelid = cl.oid AND attnum > 0 AND NOT attisdropped \
                          ORDER BY attnum) \
             FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace \
             WHERE cl.relname IN ($1, $2) AND n.nspname = coalesce($3, current_schema())",
            &[
                (&t.history, Type::NAME),
                (&t.log, Type::NAME),
                (&t.schema, Type::NAME),
            ],
        )
        .await?;
    for (name, prefix) in [(&t.history, HISTORY_COMMENT), (&t.log, LOG_COMMENT)] {
        let row = rows.iter().find(|r| r.get::<_, &str>(0) == name.as_str());
        let Some(row) = row else { continue };
        let text: Option<String> = row.get(1);
        let Some(version) = version_of(prefix, text.as_deref()) else {
            let columns: Vec<String> = row.get(2);
            return Err(EngineError::ForeignTable {
                table: t.qualified(name),
                owner: super::history::guess_owner(&columns),
                columns: columns.join(", "),
            });
        };
        if version > CURRENT {
            return Err(EngineError::Refused(format!(
                "{} was written by a newer pgstep (layout {version}; this one knows up to \
                 {CURRENT}): upgrade pgstep before using it on this database",
                t.qualified(name)
            )));
        }
        if prefix == HISTORY_COMMENT {
            found.history = Some(version);
        } else {
            found.log = Some(version);
        }
    }
    Ok(found)
}

/// Makes the tables current: creates what is missing, upgrades an older layout, and puts back
/// log triggers that were dropped or disabled, saying so in the log. Retried on lock
/// timeouts. Returns what was found wrong with the log, for the operator.
/// On a database without them, the adopted `tool`'s table pgstep is to make is made in the
/// same transaction, so the two begin together.
pub async fn ensure(
    t: &Tables,
    c: &Client,
    settings: &Settings,
    tool: Option<&Found>,
) -> Result<Vec<Finding>, EngineError> {
    let found = existing(t, c).await?;
    if found.history == Some(CURRENT) && found.log == Some(CURRENT) {
        // The common case: nothing to make, so no DDL and no lock beyond reading.
        if integrity::guard_problems(t, c).await?.is_empty() {
            integrity::record(t, c, &[]).await?;
            return Ok(Vec::new());
        }
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        c.batch_execute("BEGIN").await?;
        let result = match ensure_in_transaction(t, c, tool).await {
            Ok(found) => c
                .batch_execute("COMMIT")
                .await
                .map(|_| found)
                .map_err(Into::into),
            Err(e) => Err(e),
        };
        match result {
            Ok(found) => return Ok(found),
            Err(e) => {
                c.batch_execute("ROLLBACK").await.ok();
                if let EngineError::Db(db) = &e
                    && super::exec::retryable(db)
                    && attempt <= settings.lock_retries
                {
                    tokio::time::sleep(super::exec::backoff(settings.retry_base, attempt)).await;
                    continue;
                }
                return Err(e);
            }
        }
    }
}

/// What [`ensure`] does inside its transaction, after taking a lock that makes two pgsteps
/// creating the tables at once wait for each other instead of failing.
async fn ensure_in_transaction(
    t: &Tables,
    c: &Client,
    tool: Option<&Found>,
) -> Result<Vec<Finding>, EngineError> {
    c.query(
        "SELECT pg_advisory_xact_lock(hashtext('pgstep'), \
                hashtext(current_database() || '/' || $1 || '/bookkeeping'))",
        &[&t.lock_key()],
    )
    .await?;
    let found = existing(t, c).await?;
    if found.history.is_none() && found.log.is_some() {
        // Every phase would look pending and be applied again.
        return Err(EngineError::Refused(format!(
            "the history table {} is gone but its event log {} remains: pgstep cannot tell \
             what is applied. Restore the history from a backup; only if nothing of the plan \
             is applied, drop the log to start afresh",
            t.history_sql(),
            t.log_sql()
        )));
    }
    if found.history.is_none()
        && let Some(sql) = tool.and_then(Found::create_sql)
    {
        c.batch_execute(&sql).await?;
    }
    let mut findings = Vec::new();
    match found.history {
        None => c.batch_execute(&create_history(t)).await?,
        Some(v) if v < CURRENT => upgrade_history(t, c).await?,
        Some(_) => {}
    }
    match found.log {
        None => {
            c.batch_execute(&create_log(t)).await?;
            c.batch_execute(&guards_sql(t)).await?;
            marker(t, c, EventKind::LogCreated).await?;
            if found.history.is_some() {
                findings.push(Finding::LogDropped);
            }
        }
        Some(v) if v < CURRENT => {
            upgrade_log(t, c).await?;
            marker(t, c, EventKind::LogUpgraded).await?;
        }
        Some(_) => {
            let missing = integrity::guard_problems(t, c).await?;
            if !missing.is_empty() {
                c.batch_execute(&guards_sql(t)).await?;
                findings.extend(missing);
            }
        }
    }
    integrity::record(t, c, &findings).await?;
    Ok(findings)
}

/// The first event of a log: where the checks for gaps and for a log younger than its
/// history start.
async fn marker(t: &Tables, c: &Client, kind: EventKind) -> Result<(), tokio_postgres::Error> {
    let sql = format!(
        "INSERT INTO {} (event, outcome, details) VALUES ($1, $2, $3)",
        t.log_sql()
    );
    let details = serde_json::json!({ "layout": CURRENT });
    c.execute(&sql, &[&kind.word(), &Outcome::Ok.as_str(), &details])
        .await?;
    Ok(())
}

const STATES: &str = "'applied', 'failed', 'dirty', 'rolling-back'";

/// Layout 3's columns: where a batched step is (the first key not done, the last key it
/// goes to, ranges done, rows changed), committed with each batch; and the WAL position the
/// running phase started at.
const BATCH_COLUMNS: &str = "batch_next bigint,
            batch_last bigint,
            batch_done bigint,
            batch_rows bigint,
            wal_start pg_lsn";

fn create_history(t: &Tables) -> String {
    let h = t.history_sql();
    format!(
        "CREATE TABLE {h} (
            id uuid DEFAULT gen_random_uuid() PRIMARY KEY,
            version varchar(255) NOT NULL UNIQUE,
            name varchar(255) NOT NULL,
            applied_at timestamptz DEFAULT now(),
            checksum varchar(64),
            success boolean NOT NULL DEFAULT true,
            error_message text,
            execution_time_ms integer,
            created_at timestamptz DEFAULT now(),
            state text NOT NULL DEFAULT 'applied',
            applied_by_role text NOT NULL DEFAULT current_user,
            applied_by_os_user text,
            applied_from_host text,
            checksum_up varchar(64),
            checksum_down varchar(64),
            checksum_verify varchar(64),
            fingerprint varchar(64),
            up_sql text,
            down_sql text,
            transactional boolean NOT NULL DEFAULT true,
            statements_total integer,
            statements_done integer,
            error_sqlstate text,
            error_line integer,
            check_snapshot jsonb,
            attempts integer NOT NULL DEFAULT 1,
            in_flight integer,
            in_flight_pid integer,
            down_done integer,
            {BATCH_COLUMNS},
            kept jsonb,
            CONSTRAINT {state} CHECK (state IN ({STATES}))
        );
        COMMENT ON TABLE {h} IS {comment};",
        state = quote_ident(&format!("{}_state", t.history)),
        comment = quote_literal(&comment(HISTORY_COMMENT, CURRENT)),
    )
}

/// Layout 1, 2 or 3 to 4: the columns for a statement in flight and rollback progress, the
/// state of a rollback that stopped part-way, a batched step's progress, and what a phase
/// kept.
async fn upgrade_history(t: &Tables, c: &Client) -> Result<(), tokio_postgres::Error> {
    let h = t.history_sql();
    let checks: Vec<String> = c
        .query(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = $1::text::regclass \
             AND contype = 'c'",
            &[&h],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut sql = format!(
        "ALTER TABLE {h} ADD COLUMN IF NOT EXISTS in_flight integer,
            ADD COLUMN IF NOT EXISTS in_flight_pid integer,
            ADD COLUMN IF NOT EXISTS down_done integer,
            ADD COLUMN IF NOT EXISTS kept jsonb"
    );
    for column in BATCH_COLUMNS.split(',') {
        sql.push_str(&format!(", ADD COLUMN IF NOT EXISTS {}", column.trim()));
    }
    for name in &checks {
        sql.push_str(&format!(", DROP CONSTRAINT {}", quote_ident(name)));
    }
    sql.push_str(&format!(
        ", ADD CONSTRAINT {} CHECK (state IN ({STATES}));
        COMMENT ON TABLE {h} IS {};",
        quote_ident(&format!("{}_state", t.history)),
        quote_literal(&comment(HISTORY_COMMENT, CURRENT)),
    ));
    c.batch_execute(&sql).await
}

fn create_log(t: &Tables) -> String {
    let l = t.log_sql();
    format!(
        "CREATE TABLE {l} (
            id bigint PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            event text NOT NULL,
            version varchar(255),
            name varchar(255),
            outcome text NOT NULL,
            duration_ms bigint,
            db_role text NOT NULL DEFAULT current_user,
            os_user text,
            host text,
            application text DEFAULT current_setting('application_name', true),
            reason text,
            details jsonb NOT NULL DEFAULT '{{}}'
        );
        COMMENT ON TABLE {l} IS {comment};",
        comment = quote_literal(&comment(LOG_COMMENT, CURRENT)),
    )
}

/// Layout 1 to 2: ids are no longer taken from a sequence but given by the stamping trigger.
/// Layouts 3 and 4 changed only the history; the log's comment follows it.
async fn upgrade_log(t: &Tables, c: &Client) -> Result<(), tokio_postgres::Error> {
    let l = t.log_sql();
    c.batch_execute(&format!(
        "ALTER TABLE {l} ALTER COLUMN id DROP DEFAULT;
         COMMENT ON TABLE {l} IS {};
         {}",
        quote_literal(&comment(LOG_COMMENT, CURRENT)),
        guards_sql(t),
    ))
    .await
}

/// The log's triggers, (re)made: no UPDATE, DELETE or TRUNCATE; and every insert stamped
/// with the next id (no gaps, so a deleted event shows), the time and the role that wrote
/// it, whatever the insert said. The stamp waits for other writers of the log, one
/// transaction at a time, which is what keeps the ids gap-free.
fn guards_sql(t: &Tables) -> String {
    let l = t.log_sql();
    let g = Guards::of(t);
    let guard_fn = t.qualified(&g.append_only);
    let stamp_fn = t.qualified(&g.stamp);
    format!(
        "CREATE OR REPLACE FUNCTION {guard_fn}() RETURNS trigger LANGUAGE plpgsql AS $pgstep$
         BEGIN
             RAISE EXCEPTION 'the pgstep event log is append-only';
         END $pgstep$;
         CREATE OR REPLACE FUNCTION {stamp_fn}() RETURNS trigger LANGUAGE plpgsql AS $pgstep$
         BEGIN
             PERFORM pg_advisory_xact_lock(hashtext('pgstep'), hashtext(TG_RELID::text));
             NEW.id := coalesce((SELECT max(id) FROM {l}), 0) + 1;
             NEW.at := clock_timestamp();
             NEW.db_role := current_user;
             RETURN NEW;
         END $pgstep$;
         DROP TRIGGER IF EXISTS {append_only} ON {l};
         CREATE TRIGGER {append_only} BEFORE UPDATE OR DELETE ON {l}
             FOR EACH ROW EXECUTE FUNCTION {guard_fn}();
         DROP TRIGGER IF EXISTS {no_truncate} ON {l};
         CREATE TRIGGER {no_truncate} BEFORE TRUNCATE ON {l}
             FOR EACH STATEMENT EXECUTE FUNCTION {guard_fn}();
         DROP TRIGGER IF EXISTS {stamp} ON {l};
         CREATE TRIGGER {stamp} BEFORE INSERT ON {l}
             FOR EACH ROW EXECUTE FUNCTION {stamp_fn}();",
        append_only = quote_ident(&g.append_only),
        no_truncate = quote_ident(&g.no_truncate),
        stamp = quote_ident(&g.stamp),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_carry_the_layout() {
        assert_eq!(comment(HISTORY_COMMENT, 2), "pgstep history v2");
        assert_eq!(comment(LOG_COMMENT, 1), "pgstep event log v1 (append-only)");
        assert_eq!(
            version_of(HISTORY_COMMENT, Some("pgstep history v1")),
            Some(1)
        );
        assert_eq!(
            version_of(LOG_COMMENT, Some("pgstep event log v2 (append-only)")),
            Some(2)
        );
        assert_eq!(version_of(HISTORY_COMMENT, Some("flyway")), None);
        assert_eq!(version_of(HISTORY_COMMENT, Some("pgstep history v")), None);
        assert_eq!(version_of(HISTORY_COMMENT, None), None);
    }
}
