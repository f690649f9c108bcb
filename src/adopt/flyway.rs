//! Flyway's `flyway_schema_history` (`schema_version` before Flyway 5), as
//! `createMetaDataTable.sql` for PostgreSQL makes it and `JdbcTableSchemaHistory` writes it:
//! `installed_rank` the largest plus one, `version` the file's with `_` read as `.` (NULL
//! for a repeatable), `description` with `_` read as a space, `type` `SQL`, `script` the
//! file's path under its location, `checksum` its CRC-32 (see [`super::checksum::flyway`]),
//! `installed_by` the database user, `execution_time` in milliseconds, `success`.

use std::collections::HashMap;

use tokio_postgres::GenericClient;

use super::{Elapsed, Entry, Recorded, ToolRow};
use crate::plan::Migration;
use crate::sql::{quote_ident, quote_literal};

pub const TABLES: &[&str] = &["flyway_schema_history", "schema_version"];
pub const COLUMNS: &[&str] = &[
    "installed_rank",
    "version",
    "description",
    "type",
    "script",
    "checksum",
    "installed_by",
    "installed_on",
    "execution_time",
    "success",
];

/// A repeatable migration's version, as the plan spells it: `R__` and its description.
const REPEATABLE: &str = "R__";

pub fn entry(m: &Migration, script: String, text: &str) -> Result<Entry, String> {
    let name = super::file_name(m)?;
    let (prefix, description) = name
        .strip_suffix(".sql")
        .and_then(|stem| stem.split_once("__"))
        .map(|(prefix, description)| (prefix.to_string(), description.replace('_', " ")))
        .ok_or_else(|| "Flyway names a migration V<version>__<description>.sql".to_string())?;
    let version = if prefix == "R" {
        String::new()
    } else {
        prefix
            .strip_prefix('V')
            .ok_or_else(|| "Flyway names a versioned migration V<version>__...".to_string())?
            .replace('_', ".")
    };
    Ok(Entry {
        version,
        description,
        script,
        checksum: Some(super::checksum::flyway(text)),
    })
}

/// `PostgreSQLDatabase.getRawCreateScript` of Flyway 5 and later, without a baseline or a
/// tablespace: `name` is the table's, unquoted, for its key's and index's names. Flyway adds
/// no row to it in a schema that exists.
pub fn create(table: &str, name: &str) -> String {
    format!(
        "CREATE TABLE {table} (\"installed_rank\" INT NOT NULL, \"version\" VARCHAR(50), \
         \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT NULL, \
         \"script\" VARCHAR(1000) NOT NULL, \"checksum\" INTEGER, \
         \"installed_by\" VARCHAR(100) NOT NULL, \
         \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(), \
         \"execution_time\" INTEGER NOT NULL, \"success\" BOOLEAN NOT NULL); \
         ALTER TABLE {table} ADD CONSTRAINT {} PRIMARY KEY (\"installed_rank\"); \
         CREATE INDEX {} ON {table} (\"success\")",
        quote_ident(&format!("{name}_pk")),
        quote_ident(&format!("{name}_s_idx")),
    )
}

/// The rows of applied migrations, the newest run of a repeatable one only, and the baseline
/// below which Flyway runs nothing; schema markers and undo rows are not migrations the plan
/// holds.
pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let rows = c
        .query(
            &format!(
                "SELECT coalesce(version, {} || replace(description, ' ', '_')), description, \
                        installed_on::timestamptz, checksum::text, success, \
                        execution_time::int8, type = 'BASELINE' \
                 FROM {table} \
                 WHERE type IN ('SQL', 'JDBC', 'SPRING_JDBC', 'SCRIPT', 'BASELINE') \
                 ORDER BY installed_rank",
                quote_literal(REPEATABLE)
            ),
            &[],
        )
        .await?;
    let mut newest: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<ToolRow> = Vec::new();
    let mut baseline = None;
    for r in &rows {
        let row = ToolRow {
            version: r.get(0),
            name: r.get(1),
            applied_at: r.get(2),
            checksum: r.get(3),
            success: r.get(4),
            execution_time_ms: r.get(5),
        };
        if r.get::<_, bool>(6) {
            baseline = Some(row);
            continue;
        }
        match newest.get(&row.version) {
            Some(&i) => out[i] = row,
            None => {
                newest.insert(row.version.clone(), out.len());
                out.push(row);
            }
        }
    }
    Ok(match baseline {
        Some(baseline) => Recorded::Baselined {
            baseline,
            rows: out,
        },
        None => Recorded::Rows(out),
    })
}

/// The session advisory lock Flyway takes while it migrates (`PostgreSQLAdvisoryLockTemplate`):
/// a magic number plus Java's `String.hashCode` of the table as Flyway prints it,
/// `"schema"."table"`.
pub fn lock_id(schema: &str, table: &str) -> i64 {
    const MAGIC: i64 = 77431708279161;
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let printed = format!("{}.{}", quote(schema), quote(table));
    let hash = printed.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    });
    MAGIC + i64::from(hash)
}

fn version_sql(e: &Entry) -> String {
    if e.version.is_empty() {
        "NULL".into()
    } else {
        quote_literal(&e.version)
    }
}

fn checksum_sql(e: &Entry) -> String {
    e.checksum.clone().unwrap_or_else(|| "NULL".into())
}

/// `doAddAppliedMigration`: the next rank, the current user, the time in milliseconds.
pub fn applied(table: &str, e: &Entry, elapsed: Elapsed, success: bool) -> String {
    format!(
        "INSERT INTO {table} (installed_rank, version, description, type, script, checksum, \
                              installed_by, execution_time, success) \
         SELECT coalesce(max(installed_rank), 0) + 1, {}, {}, 'SQL', {}, {}, current_user, \
                {}, {success} FROM {table}",
        version_sql(e),
        quote_literal(&e.description),
        quote_literal(&e.script),
        checksum_sql(e),
        elapsed.sql(1000),
    )
}

/// The failed row of `e`, which a later success replaces, as `repair` removes it.
pub fn failed_removed(table: &str, e: &Entry) -> String {
    format!("{} AND NOT success", removed(table, e))
}

/// Flyway Community has no undo: the row removed is what makes it see the migration
/// pending again.
pub fn removed(table: &str, e: &Entry) -> String {
    if e.version.is_empty() {
        format!(
            "DELETE FROM {table} WHERE version IS NULL AND description = {}",
            quote_literal(&e.description)
        )
    } else {
        super::version_removed(table, e)
    }
}

/// `repair`'s update: description, type and checksum of the file now.
pub fn accepted(table: &str, e: &Entry) -> String {
    format!(
        "UPDATE {table} SET description = {}, type = 'SQL', checksum = {} WHERE version = {}",
        quote_literal(&e.description),
        checksum_sql(e),
        version_sql(e),
    )
}

#[cfg(test)]
mod tests {
    use super::lock_id;

    /// The keys Flyway takes, from Java's `String.hashCode` of the printed table (worked out
    /// apart, one of them negative).
    #[test]
    fn the_lock_is_flyways_magic_number_plus_the_tables_hash() {
        assert_eq!(
            lock_id("public", "flyway_schema_history"),
            77_433_833_903_597
        );
        assert_eq!(lock_id("app", "schema_version"), 77_430_320_226_698);
    }
}
