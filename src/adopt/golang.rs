//! golang-migrate's `schema_migrations` (database/postgres `postgres.go`, `migrate.go`):
//! `version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL`, one row. `SetVersion`
//! empties the table and inserts the version; a migration sets its version dirty before it
//! runs and clean after, and a down sets the previous version of the source (dirty, then
//! clean), emptying the table when there is none.

use tokio_postgres::GenericClient;

use super::{Entry, Recorded, ToolRow};
use crate::plan::Migration;
use crate::sql::quote_literal;

pub const TABLE: &str = "schema_migrations";
pub const COLUMNS: &[&str] = &["version", "dirty"];

/// golang-migrate's `NilVersion`, written only dirty, by a failed first down.
const NIL: &str = "-1";

pub fn entry(m: &Migration) -> Result<Entry, String> {
    let version = super::leading_digits(m)?;
    let version: u64 = version
        .parse()
        .map_err(|_| "golang-migrate needs a version that fits 64 bits".to_string())?;
    Ok(Entry {
        version: version.to_string(),
        description: m.name.clone(),
        script: String::new(),
        checksum: None,
    })
}

/// `ensureVersionTable`.
pub fn create(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (version bigint not null primary key, \
         dirty boolean not null)"
    )
}

pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let row = c
        .query_opt(
            &format!("SELECT version::text, dirty FROM {table} LIMIT 1"),
            &[],
        )
        .await?;
    Ok(Recorded::UpTo(row.map(|r| ToolRow {
        version: r.get(0),
        name: None,
        applied_at: None,
        checksum: None,
        success: !r.get::<_, bool>(1),
        execution_time_ms: None,
    })))
}

/// The advisory lock golang-migrate holds while it works (`GenerateAdvisoryLockId`): the
/// CRC-32 of schema, table and database joined by NUL bytes, times its salt, in 32 bits.
pub fn lock_id(database: &str, schema: &str, table: &str) -> i64 {
    const SALT: u32 = 1486364155;
    let key = format!("{schema}\0{table}\0{database}");
    i64::from(crc32fast::hash(key.as_bytes()).wrapping_mul(SALT))
}

/// `SetVersion(version, dirty)`.
pub fn set(table: &str, version: Option<&str>, dirty: bool) -> String {
    match version {
        Some(v) => format!(
            "TRUNCATE {table}; INSERT INTO {table} (version, dirty) VALUES ({}, {dirty})",
            quote_literal(v)
        ),
        None if dirty => {
            format!("TRUNCATE {table}; INSERT INTO {table} (version, dirty) VALUES ({NIL}, true)")
        }
        None => format!("TRUNCATE {table}"),
    }
}
