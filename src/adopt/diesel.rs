//! Diesel's `__diesel_schema_migrations` (diesel_migrations `migration_harness.rs`, the pg
//! setup in diesel): `version VARCHAR(50) PRIMARY KEY, run_on TIMESTAMP DEFAULT
//! CURRENT_TIMESTAMP`. The version is the directory name up to its first `_` with the dashes
//! removed (`migrations_internals::version_from_string`); the row is inserted by the run and
//! deleted by the revert, in the migration's transaction unless it runs outside one.

use tokio_postgres::GenericClient;

use super::{Entry, Recorded, ToolRow};
use crate::plan::Migration;

pub const TABLE: &str = "__diesel_schema_migrations";
pub const COLUMNS: &[&str] = &["version", "run_on"];

pub fn entry(m: &Migration) -> Result<Entry, String> {
    let dir = m
        .file
        .parent()
        .and_then(|d| d.file_name())
        .map(|d| d.to_string_lossy().into_owned())
        .ok_or_else(|| "a Diesel migration lives in a directory of its own".to_string())?;
    let version = dir.split('_').next().unwrap_or_default().replace('-', "");
    Ok(Entry {
        version,
        description: m.name.clone(),
        script: String::new(),
        checksum: None,
    })
}

/// diesel's `setup_migration_table.sql`.
pub fn create(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
}

pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let rows = c
        .query(
            &format!("SELECT version::text, run_on::timestamptz FROM {table} ORDER BY version"),
            &[],
        )
        .await?;
    Ok(Recorded::Rows(
        rows.iter()
            .map(|r| ToolRow {
                version: r.get(0),
                name: None,
                applied_at: r.get(1),
                checksum: None,
                success: true,
                execution_time_ms: None,
            })
            .collect(),
    ))
}
