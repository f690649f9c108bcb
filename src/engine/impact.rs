//! What a DOWN part would destroy, for the rollback confirmation: the tables, columns and rows
//! its statements drop, looked up in the catalog with their current sizes.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

pub use crate::sql::{Target, TargetKind, destructive_targets};

/// What the catalog says about a target now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    pub target: Target,
    pub exists: bool,
    /// The planner's estimate, or an exact count when `rows_exact`.
    pub rows_estimate: Option<i64>,
    pub rows_exact: bool,
    /// With indexes and TOAST, over all partitions and inheritance children; for a column,
    /// its values alone: summed when its table is counted (`rows_exact`), else estimated from
    /// the planner's statistics.
    pub bytes: Option<i64>,
    pub column_type: Option<String>,
    pub non_null_values: Option<i64>,
    /// For a schema: the tables in it, partitions not counted.
    pub tables: Option<i64>,
    /// Why measuring stopped short: a lock another session holds, a timeout, a permission.
    pub stopped: Option<String>,
}

/// Tables up to this many estimated rows are counted exactly.
const COUNT_MAX_ROWS: i64 = 100_000;
/// Nor is a table counted whose heap is larger than this, whatever its statistics say: a table
/// never analyzed has no estimate, and a bloated one takes long to scan.
const COUNT_MAX_HEAP_BYTES: i64 = 32 << 20;

/// Each target looked up in the catalog, sized, and counted when small. Each is measured in a
/// read-only transaction with short lock and statement timeouts, so a table another session
/// holds locked is reported unmeasured rather than waited for; the client must not be in a
/// transaction of its own.
pub async fn measure(
    client: &Client,
    targets: &[Target],
) -> Result<Vec<Loss>, tokio_postgres::Error> {
    let mut out = Vec::with_capacity(targets.len());
    for target in targets {
        client
            .batch_execute(
                "BEGIN READ ONLY; SET LOCAL lock_timeout = '1s'; \
                 SET LOCAL statement_timeout = '10s'",
            )
            .await?;
        let mut loss = Loss {
            target: target.clone(),
            exists: false,
            rows_estimate: None,
            rows_exact: false,
            bytes: None,
            column_type: None,
            non_null_values: None,
            tables: None,
            stopped: None,
        };
        let measured = match target.kind {
            TargetKind::Schema => measure_schema(client, &mut loss).await,
            TargetKind::Type => measure_type(client, &mut loss).await,
            _ => measure_relation(client, &mut loss).await,
        };
        client.batch_execute("ROLLBACK").await?;
        match measured {
            Ok(()) => {}
            Err(Stop::Measuring(reason)) => loss.stopped = Some(reason),
            Err(Stop::Failed(e)) => return Err(e),
        }
        out.push(loss);
    }
    Ok(out)
}

enum Stop {
    /// The object was found but could not be sized or counted.
    Measuring(String),
    Failed(tokio_postgres::Error),
}

/// Errors of the catalog lookups (`Stop::Failed`) fail the whole measurement; sizing and
/// counting take locks on the object itself and may be refused.
fn sizing(e: tokio_postgres::Error) -> Stop {
    match e.as_db_error() {
        Some(db) if *db.code() == SqlState::LOCK_NOT_AVAILABLE => {
            Stop::Measuring("another session holds a lock on it".to_string())
        }
        Some(db) if *db.code() == SqlState::QUERY_CANCELED => {
            Stop::Measuring("measuring took too long".to_string())
        }
        Some(db) => Stop::Measuring(db.message().to_string()),
        None => Stop::Failed(e),
    }
}

/// The relation and its partitions or inheritance children, which dropping or emptying it
/// reaches too; read from `pg_inherits` because `pg_partition_tree` locks the partitions.
const TREE: &str = "WITH RECURSIVE tree AS (
        SELECT c.oid, c.relkind, c.reltuples, c.relispopulated, true AS root
        FROM pg_class c WHERE c.oid = to_regclass($1)
    UNION
        SELECT k.oid, k.relkind, k.reltuples, k.relispopulated, false
        FROM tree JOIN pg_inherits i ON i.inhparent = tree.oid
        JOIN pg_class k ON k.oid = i.inhrelid
    )";

async fn measure_relation(c: &Client, loss: &mut Loss) -> Result<(), Stop> {
    let t = &loss.target;
    let regname = match &t.schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&t.name)),
        None => quote_ident(&t.name),
    };
    let lookup_sql = format!(
        "{TREE} SELECT min(oid::regclass::text) FILTER (WHERE root),
            min(relkind::text) FILTER (WHERE root),
            (sum(greatest(reltuples::float8, 0)) FILTER (WHERE relkind IN ('r', 'm')))::int8,
            coalesce(bool_or(reltuples < 0) FILTER (WHERE relkind IN ('r', 'm')), false),
            bool_and(relispopulated)
        FROM tree HAVING count(*) > 0"
    );
    let Some(row) = c
        .query_opt(&lookup_sql, &[&regname])
        .await
        .map_err(Stop::Failed)?
    else {
        return Ok(());
    };
    let relation: String = row.get(0);
    let relkind: String = row.get(1);
    let rows: Option<i64> = row.get(2);
    let rows_unknown: bool = row.get(3);
    let populated: bool = row.get(4);
    // For a column: its type, its quoted name, and its size estimated from the statistics
    // (average stored width of the non-null values, times the rows), read from the catalog
    // alone, so a column of a large table is sized at no cost.
    let column = match &t.column {
        Some(column) => {
            let found = c
                .query_opt(
                    "SELECT format_type(a.atttypid, a.atttypmod), quote_ident(a.attname),
                        (SELECT (s.avg_width * (1 - s.null_frac) * $3::float8)::int8
                         FROM pg_stats s JOIN pg_class k ON k.oid = a.attrelid
                         JOIN pg_namespace n ON n.oid = k.relnamespace
                         WHERE s.schemaname = n.nspname AND s.tablename = k.relname
                           AND s.attname = a.attname
                         ORDER BY s.inherited DESC LIMIT 1)
                     FROM pg_attribute a
                     WHERE a.attrelid = to_regclass($1) AND a.attname = $2
                       AND a.attnum > 0 AND NOT a.attisdropped",
                    &[&regname, column, &(rows.unwrap_or(0) as f64)],
                )
                .await
                .map_err(Stop::Failed)?;
            let Some(found) = found else { return Ok(()) };
            loss.column_type = Some(found.get(0));
            Some((found.get::<_, String>(1), found.get::<_, Option<i64>>(2)))
        }
        None => None,
    };
    loss.exists = true;
    let holds_rows = matches!(relkind.as_str(), "r" | "p" | "m");
    if holds_rows && !rows_unknown {
        loss.rows_estimate = Some(rows.unwrap_or(0));
    }
    if relkind == "v" || relkind == "f" {
        return Ok(());
    }
    let sizes = c
        .query_one(
            &format!(
                "{TREE} SELECT sum(pg_total_relation_size(oid))::int8,
                    sum(pg_relation_size(oid))::int8 FROM tree"
            ),
            &[&regname],
        )
        .await
        .map_err(sizing)?;
    // Empty sums: another session dropped it since it was looked up.
    let (Some(total), Some(heap)) = (
        sizes.get::<_, Option<i64>>(0),
        sizes.get::<_, Option<i64>>(1),
    ) else {
        return Err(Stop::Measuring(
            "it was dropped while it was measured".to_string(),
        ));
    };
    loss.bytes = match &column {
        Some((_, estimate)) if !rows_unknown => *estimate,
        Some(_) => None,
        None => Some(total),
    };
    let small =
        heap <= COUNT_MAX_HEAP_BYTES && (rows_unknown || rows.unwrap_or(0) < COUNT_MAX_ROWS);
    if !small || !populated || !holds_rows {
        return Ok(());
    }
    // `relation` and `column` come quoted from the server, so they are safe in the text.
    let count_sql = match &column {
        Some((col, _)) => format!(
            "SELECT count(*), count({col}), coalesce(sum(pg_column_size({col})), 0)::int8 \
             FROM {relation}"
        ),
        None => format!("SELECT count(*), NULL::int8, NULL::int8 FROM {relation}"),
    };
    let counts = c.query_one(&count_sql, &[]).await.map_err(sizing)?;
    loss.rows_estimate = Some(counts.get(0));
    loss.rows_exact = true;
    loss.non_null_values = counts.get(1);
    if column.is_some() {
        loss.bytes = counts.get(2);
    }
    Ok(())
}

async fn measure_schema(c: &Client, loss: &mut Loss) -> Result<(), Stop> {
    let name = &loss.target.name;
    let row = c
        .query_opt(
            "SELECT count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition),
                (sum(greatest(c.reltuples::float8, 0))
                    FILTER (WHERE c.relkind IN ('r', 'm')))::int8,
                coalesce(bool_or(c.reltuples < 0) FILTER (WHERE c.relkind IN ('r', 'm')), false)
             FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid
             WHERE n.nspname = $1 GROUP BY n.oid",
            &[name],
        )
        .await
        .map_err(Stop::Failed)?;
    let Some(row) = row else { return Ok(()) };
    loss.exists = true;
    loss.tables = Some(row.get(0));
    if !row.get::<_, bool>(2) {
        loss.rows_estimate = Some(row.get::<_, Option<i64>>(1).unwrap_or(0));
    }
    let bytes = c
        .query_one(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')",
            &[name],
        )
        .await
        .map_err(sizing)?;
    loss.bytes = Some(bytes.get(0));
    Ok(())
}

async fn measure_type(c: &Client, loss: &mut Loss) -> Result<(), Stop> {
    let t = &loss.target;
    let name = match &t.schema {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(&t.name)),
        None => quote_ident(&t.name),
    };
    let row = c
        .query_one("SELECT to_regtype($1) IS NOT NULL", &[&name])
        .await
        .map_err(Stop::Failed)?;
    loss.exists = row.get(0);
    Ok(())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// One line for the rollback confirmation, such as `table public.books: 12,345 rows, 2.1 MB`.
pub fn describe(loss: &Loss) -> String {
    let t = &loss.target;
    let mut name = t.schema.iter().chain([&t.name]).chain(&t.column);
    let mut shown = display_ident(name.next().unwrap_or(&t.name));
    for part in name {
        shown.push('.');
        shown.push_str(&display_ident(part));
    }
    let what = match t.kind {
        TargetKind::Table => "table",
        TargetKind::Column => "column",
        TargetKind::MaterializedView => "materialized view",
        TargetKind::View => "view",
        TargetKind::Schema => "schema",
        TargetKind::Rows { filtered: false } => "all rows of table",
        TargetKind::Rows { filtered: true } => "some rows of table",
        TargetKind::Index => "index",
        TargetKind::Type => "type",
    };
    if !loss.exists {
        return format!("{what} {shown} does not exist");
    }
    if let Some(ty) = &loss.column_type {
        shown = format!("{shown} ({ty})");
    }
    let rows = loss.rows_estimate.map(|n| {
        let about = if loss.rows_exact { "" } else { "about " };
        let unit = if n == 1 { "row" } else { "rows" };
        format!("{about}{} {unit}", grouped(n))
    });
    let mut facts = Vec::new();
    match t.kind {
        TargetKind::Column => match (loss.non_null_values, rows) {
            (Some(n), Some(rows)) => {
                facts.push(format!("{} non-null values in {rows}", grouped(n)))
            }
            (_, Some(rows)) => facts.push(format!("in a table of {rows}")),
            _ => {}
        },
        TargetKind::View => facts.push("holds no data".to_string()),
        TargetKind::Rows { filtered: true } => facts.extend(rows.map(|r| format!("out of {r}"))),
        _ => {
            if let Some(n) = loss.tables {
                facts.push(format!(
                    "{} {}",
                    grouped(n),
                    if n == 1 { "table" } else { "tables" }
                ));
            }
            facts.extend(rows);
        }
    }
    match (t.kind, loss.bytes) {
        (TargetKind::Column, Some(b)) if !loss.rows_exact => {
            facts.push(format!("about {}", size(b)))
        }
        (_, Some(b)) => facts.push(size(b)),
        (_, None) => {}
    }
    if let Some(reason) = &loss.stopped {
        facts.push(format!("not fully measured: {reason}"));
    }
    if facts.is_empty() {
        format!("{what} {shown}")
    } else {
        format!("{what} {shown}: {}", facts.join(", "))
    }
}

/// The name as typed: bare when it would read back the same, quoted otherwise.
fn display_ident(name: &str) -> String {
    let mut chars = name.chars();
    let bare = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if bare {
        name.to_string()
    } else {
        quote_ident(name)
    }
}

fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Sizes in the units `pg_size_pretty` uses, with one decimal under ten.
pub fn size(bytes: i64) -> String {
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_easily() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12345), "12,345");
        assert_eq!(grouped(-1234567), "-1,234,567");
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(8192), "8.0 kB");
        assert_eq!(size(2_200_000), "2.1 MB");
        assert_eq!(size(300 << 20), "300 MB");
    }

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(display_ident("books_2$"), "books_2$");
        assert_eq!(display_ident("Books"), "\"Books\"");
        assert_eq!(display_ident("odd \"x\""), "\"odd \"\"x\"\"\"");
        assert_eq!(display_ident("1st"), "\"1st\"");
    }
}
