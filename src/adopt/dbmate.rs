//! dbmate's `schema_migrations` (pkg/driver/postgres): `version varchar PRIMARY KEY`,
//! the leading digits of the file name. `InsertMigration` and `DeleteMigration` run in the
//! migration's transaction (outside one for `transaction:false`).

use tokio_postgres::GenericClient;

use super::{Entry, Recorded, ToolRow};
use crate::plan::Migration;

pub const TABLE: &str = "schema_migrations";
pub const COLUMNS: &[&str] = &["version"];

pub fn entry(m: &Migration) -> Result<Entry, String> {
    Ok(Entry {
        version: super::leading_digits(m)?,
        description: m.name.clone(),
        script: String::new(),
        checksum: None,
    })
}

/// `CreateMigrationsTable`, in the current schema as dbmate puts it.
pub fn create(table: &str) -> String {
    format!("CREATE TABLE IF NOT EXISTS {table} (version varchar PRIMARY KEY)")
}

pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let rows = c
        .query(
            &format!("SELECT version::text FROM {table} ORDER BY version"),
            &[],
        )
        .await?;
    Ok(Recorded::Rows(
        rows.iter()
            .map(|r| ToolRow {
                version: r.get(0),
                name: None,
                applied_at: None,
                checksum: None,
                success: true,
                execution_time_ms: None,
            })
            .collect(),
    ))
}
