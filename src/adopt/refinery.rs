//! refinery's `refinery_schema_history` (refinery_core `traits/mod.rs`, `runner.rs`,
//! `util.rs`): `version INT4 PRIMARY KEY` (`int8` with its `int8-versions`), `name
//! VARCHAR(255)`, `applied_on VARCHAR(255)` (RFC 3339, UTC), `checksum VARCHAR(255)` (a
//! `u64` in decimal). The name and version come from `^([U|V])(\d+(?:\.\d+)?)__(\w+)` on the
//! file's stem; each migration and its row commit in one transaction. refinery has no down:
//! a rolled-back migration's row is deleted so it applies it again.

use chrono::{DateTime, Timelike, Utc};
use tokio_postgres::GenericClient;

use super::{Entry, Found, Recorded, ToolRow};
use crate::plan::Migration;
use crate::sql::quote_literal;

pub const TABLE: &str = "refinery_schema_history";
pub const COLUMNS: &[&str] = &["version", "name", "applied_on", "checksum"];

pub fn entry(found: &Found, m: &Migration, text: &str) -> Result<Entry, String> {
    let bad = || "refinery names a migration V<number>__<name>.sql".to_string();
    let file = m.file.file_stem().ok_or_else(bad)?.to_string_lossy();
    let rest = file.strip_prefix(['V', 'U']).ok_or_else(bad)?;
    let (version, name) = rest.split_once("__").ok_or_else(bad)?;
    let name: String = name
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let number: i64 = version.parse().map_err(|_| bad())?;
    if !found.wide_version && i32::try_from(number).is_err() {
        return Err("refinery keeps its versions in 32 bits".into());
    }
    Ok(Entry {
        version: number.to_string(),
        checksum: Some(super::checksum::refinery(
            &name,
            number,
            found.wide_version,
            text,
        )),
        description: name,
        script: String::new(),
    })
}

/// refinery_core's `ASSERT_MIGRATIONS_TABLE_QUERY` with its default `INT4` versions.
pub fn create(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table}(version INT4 PRIMARY KEY, name VARCHAR(255), \
         applied_on VARCHAR(255), checksum VARCHAR(255))"
    )
}

pub async fn read(c: &impl GenericClient, table: &str) -> Result<Recorded, tokio_postgres::Error> {
    let rows = c
        .query(
            &format!(
                "SELECT version::text, name, applied_on, checksum FROM {table} ORDER BY version"
            ),
            &[],
        )
        .await?;
    Ok(Recorded::Rows(
        rows.iter()
            .map(|r| ToolRow {
                version: r.get(0),
                name: r.get(1),
                applied_at: r
                    .get::<_, Option<String>>(2)
                    .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc)),
                checksum: r.get(3),
                success: true,
                execution_time_ms: None,
            })
            .collect(),
    ))
}

/// `now` as the `time` crate's RFC 3339 writes a UTC time: the fraction of a second only
/// when there is one, without trailing zeros, and `Z`.
pub fn rfc3339(now: DateTime<Utc>) -> String {
    let mut s = now.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = now.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

pub fn applied(table: &str, e: &Entry, now: DateTime<Utc>) -> String {
    format!(
        "INSERT INTO {table} (version, name, applied_on, checksum) VALUES ({}, {}, {}, {})",
        quote_literal(&e.version),
        quote_literal(&e.description),
        quote_literal(&rfc3339(now)),
        quote_literal(e.checksum.as_deref().unwrap_or_default()),
    )
}

pub fn accepted(table: &str, e: &Entry) -> String {
    format!(
        "UPDATE {table} SET name = {}, checksum = {} WHERE version = {}",
        quote_literal(&e.description),
        quote_literal(e.checksum.as_deref().unwrap_or_default()),
        quote_literal(&e.version)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn applied_on_is_written_as_refinery_writes_it() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 7, 5, 9).unwrap();
        assert_eq!(rfc3339(t), "2026-12-02T07:05:09Z");
        let t = t + chrono::Duration::nanoseconds(120_000_000);
        assert_eq!(rfc3339(t), "2026-12-02T07:05:09.12Z");
    }
}
