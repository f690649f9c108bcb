//! sqlx's `_sqlx_migrations` (sqlx-postgres `migrate.rs`, sqlx-core `migrate/source.rs`):
//! `version BIGINT PRIMARY KEY, description TEXT, installed_on TIMESTAMPTZ DEFAULT now(),
//! success BOOLEAN, checksum BYTEA, execution_time BIGINT` (nanoseconds). A migration's row
//! is inserted in its transaction and deleted by its revert, in the revert's transaction.

use tokio_postgres::GenericClient;

use super::{Elapsed, Entry, Found, Recorded, ToolRow, stem_after};
use crate::plan::Migration;
use crate::sql::quote_literal;

pub const TABLE: &str = "_sqlx_migrations";
pub const COLUMNS: &[&str] = &[
    "version",
    "description",
    "installed_on",
    "success",
    "checksum",
    "execution_time",
];

/// Version and description as sqlx reads them from the file name: the text before the first
/// `_` as a number; after it, the type's suffix removed and `_` read as a space.
pub fn entry(found: &Found, m: &Migration, text: &str) -> Result<Entry, String> {
    let (version, rest) = stem_after(m, '_')?;
    let version: i64 = version
        .parse()
        .map_err(|_| "sqlx needs a number before the first `_`".to_string())?;
    let description = [".up.sql", ".down.sql", ".sql"]
        .iter()
        .find_map(|s| rest.strip_suffix(s))
        .unwrap_or(&rest)
        .replace('_', " ");
    Ok(Entry {
        version: version.to_string(),
        description,
        script: String::new(),
        checksum: Some(super::checksum::sqlx(text, &found.ignored_chars)),
    })
}

/// sqlx-postgres's `ensure_migrations_table`.
pub fn create(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY, \
         description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), \
         success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
    )
}

pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let rows = c
        .query(
            &format!(
                "SELECT version::text, description, installed_on, encode(checksum, 'hex'), \
                        success, execution_time / 1000000 FROM {table} ORDER BY version"
            ),
            &[],
        )
        .await?;
    Ok(Recorded::Rows(
        rows.iter()
            .map(|r| ToolRow {
                version: r.get(0),
                name: r.get(1),
                applied_at: r.get(2),
                checksum: r.get(3),
                success: r.get(4),
                execution_time_ms: r.get(5),
            })
            .collect(),
    ))
}

/// The advisory lock `sqlx migrate` holds while it works: `0x3d32ad9e` times the CRC-32 of
/// the database's name (`generate_lock_id`).
pub fn lock_id(database: &str) -> i64 {
    0x3d32ad9e * i64::from(crc32fast::hash(database.as_bytes()))
}

pub fn applied(table: &str, e: &Entry, elapsed: Elapsed) -> String {
    format!(
        "INSERT INTO {table} (version, description, success, checksum, execution_time) \
         VALUES ({}, {}, TRUE, decode({}, 'hex'), {})",
        quote_literal(&e.version),
        quote_literal(&e.description),
        quote_literal(e.checksum.as_deref().unwrap_or_default()),
        elapsed.sql(1_000_000_000),
    )
}

/// What a DBA does by hand for sqlx, which has no repair: the file's checksum recorded.
pub fn accepted(table: &str, e: &Entry) -> String {
    format!(
        "UPDATE {table} SET checksum = decode({}, 'hex') WHERE version = {}",
        quote_literal(e.checksum.as_deref().unwrap_or_default()),
        quote_literal(&e.version)
    )
}
