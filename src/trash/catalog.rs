//! The catalog of kept copies: making the schema, listing, purging, and handing the engine
//! what was kept since it last looked, for its event log.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::{Client, GenericClient, Row};

use super::{Kind, schema};

/// One kept copy, as `pgstep trash --json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Kept {
    pub id: i64,
    pub kind: Kind,
    /// `schema.table`, or `schema.table.column` for a column.
    pub object: String,
    pub phase: String,
    pub statement: String,
    pub rows: i64,
    pub bytes: i64,
    pub kept_at: DateTime<Utc>,
}

/// A kept copy as its phase's history row records it: the phase is the row's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeptRecord {
    pub id: i64,
    pub kind: Kind,
    pub object: String,
    pub statement: String,
    pub rows: i64,
    pub bytes: i64,
}

impl From<&Kept> for KeptRecord {
    fn from(k: &Kept) -> KeptRecord {
        KeptRecord {
            id: k.id,
            kind: k.kind,
            object: k.object.clone(),
            statement: k.statement.clone(),
            rows: k.rows,
            bytes: k.bytes,
        }
    }
}

const COLUMNS: &str = "id, kind::text, schema_name, table_name, column_name, phase, statement, \
                       rows, bytes, kept_at";

impl Kept {
    fn of(r: &Row) -> Result<Kept, tokio_postgres::Error> {
        let kind: String = r.try_get(1)?;
        let schema: String = r.try_get(2)?;
        let table: String = r.try_get(3)?;
        let column: Option<String> = r.try_get(4)?;
        Ok(Kept {
            id: r.try_get(0)?,
            // The enum has no other labels; an unknown one reads as rows, the kind that
            // restores nothing it cannot check.
            kind: Kind::parse(&kind).unwrap_or(Kind::Rows),
            object: match column {
                Some(c) => format!("{schema}.{table}.{c}"),
                None => format!("{schema}.{table}"),
            },
            phase: r.try_get(5)?,
            statement: r.try_get(6)?,
            rows: r.try_get(7)?,
            bytes: r.try_get(8)?,
            kept_at: r.try_get(9)?,
        })
    }
}

/// Whether the schema exists as pgstep made it.
async fn present(c: &impl GenericClient) -> Result<bool, tokio_postgres::Error> {
    let row = c
        .query_one(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace \
             WHERE nspname = 'pgstep_trash' UNION ALL SELECT NULL LIMIT 1",
            &[],
        )
        .await?;
    Ok(row.get::<_, Option<String>>(0).as_deref() == Some(schema::COMMENT))
}

/// Makes the schema, its catalog and functions when they are missing, in one transaction;
/// nothing when they are current.
pub async fn ensure(c: &Client) -> Result<(), tokio_postgres::Error> {
    if present(c).await? {
        return Ok(());
    }
    let made = c
        .batch_execute(&format!(
            "BEGIN; {} COMMENT ON SCHEMA pgstep_trash IS '{}'; COMMIT",
            schema::DDL,
            schema::COMMENT
        ))
        .await;
    if made.is_err() {
        // The session must not stay in the failed transaction; the error says why.
        c.batch_execute("ROLLBACK").await.ok();
    }
    made
}

/// Every kept copy, oldest first; none when nothing was ever kept.
pub async fn list(c: &impl GenericClient) -> Result<Vec<Kept>, tokio_postgres::Error> {
    if !present(c).await? {
        return Ok(Vec::new());
    }
    c.query(
        &format!("SELECT {COLUMNS} FROM pgstep_trash.kept ORDER BY id"),
        &[],
    )
    .await?
    .iter()
    .map(Kept::of)
    .collect()
}

/// The copies kept since the last call, marked as seen: the engine logs each in the
/// transaction that kept it.
pub async fn take_unlogged(c: &impl GenericClient) -> Result<Vec<Kept>, tokio_postgres::Error> {
    c.query(
        &format!("UPDATE pgstep_trash.kept SET logged = true WHERE NOT logged RETURNING {COLUMNS}"),
        &[],
    )
    .await?
    .iter()
    .map(Kept::of)
    .collect()
}

/// Drops the copies kept longer ago than `older_than` (all of them without it), in one
/// transaction; returns what was dropped.
pub async fn purge(
    c: &Client,
    older_than: Option<Duration>,
) -> Result<Vec<Kept>, tokio_postgres::Error> {
    if !present(c).await? {
        return Ok(Vec::new());
    }
    c.batch_execute("BEGIN").await?;
    let done = async {
        let secs = older_than.map_or(0.0, |d| d.as_secs_f64());
        let gone: Vec<Kept> = c
            .query(
                &format!(
                    "DELETE FROM pgstep_trash.kept \
                     WHERE kept_at <= now() - make_interval(secs => $1) RETURNING {COLUMNS}"
                ),
                &[&secs],
            )
            .await?
            .iter()
            .map(Kept::of)
            .collect::<Result<_, _>>()?;
        for k in &gone {
            c.batch_execute(&format!("DROP TABLE IF EXISTS {}", copy_table(k.id)))
                .await?;
        }
        c.batch_execute("COMMIT").await?;
        Ok(gone)
    }
    .await;
    if done.is_err() && !c.is_closed() {
        c.batch_execute("ROLLBACK").await.ok();
    }
    done
}

/// The name of the table holding copy `id`'s rows.
pub(super) fn copy_table(id: i64) -> String {
    format!("pgstep_trash.kept_{id}")
}

/// Copy `id`, or `None` when nothing is kept with that id.
pub async fn list_one(
    c: &impl GenericClient,
    id: i64,
) -> Result<Option<Kept>, tokio_postgres::Error> {
    if !present(c).await? {
        return Ok(None);
    }
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM pgstep_trash.kept WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(Kept::of)
    .transpose()
}
