//! Finding which tool migrated the database: each tool's table where the tool puts it (the
//! current schema; sqlx's as its `sqlx.toml` says), recognised by its columns.

use std::path::Path;

use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

use super::{Error, Found, Tool, dbmate, diesel, flyway, golang, refinery, sqlx};

/// Which tool's history to adopt: the command line's `--adopt` or the configuration's
/// `adopt` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// Look for every tool's table; adopt the one found, refuse two.
    #[default]
    Detect,
    /// This tool's table, whatever else is there.
    Only(Tool),
    /// `none`: pgstep's own history only; tools' tables are ignored.
    Nothing,
}

impl Choice {
    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "none" => Some(Choice::Nothing),
            _ => Tool::parse(s).map(Choice::Only),
        }
    }

    /// The values `--adopt` and `adopt` take, for messages.
    pub fn allowed() -> String {
        let mut names: Vec<&str> = Tool::ALL.iter().map(|t| t.word()).collect();
        names.push("none");
        names.join(", ")
    }
}

/// The tools whose columns a table has exactly, by its name.
fn signature(name: &str, columns: &[String], sqlx_table: &str) -> Option<Tool> {
    let is = |want: &[&str]| {
        columns.len() == want.len() && want.iter().all(|w| columns.iter().any(|c| c == w))
    };
    if name == sqlx_table && is(sqlx::COLUMNS) {
        Some(Tool::Sqlx)
    } else if name == diesel::TABLE && is(diesel::COLUMNS) {
        Some(Tool::Diesel)
    } else if flyway::TABLES.contains(&name) && is(flyway::COLUMNS) {
        Some(Tool::Flyway)
    } else if name == golang::TABLE && is(golang::COLUMNS) {
        Some(Tool::GolangMigrate)
    } else if name == dbmate::TABLE && is(dbmate::COLUMNS) {
        Some(Tool::Dbmate)
    } else if name == refinery::TABLE && is(refinery::COLUMNS) {
        Some(Tool::Refinery)
    } else {
        None
    }
}

/// What the project's `sqlx.toml` says of sqlx's table and checksum.
#[derive(Debug, Default)]
pub(super) struct SqlxConfig {
    pub schema: Option<String>,
    pub table: Option<String>,
    pub ignored_chars: Vec<char>,
}

/// `sqlx.toml` beside the migrations directory (the crate's root) or in the working
/// directory, as sqlx's CLI reads it.
pub(super) fn sqlx_config(dir: &Path) -> Result<SqlxConfig, Error> {
    let candidates = [
        dir.parent().map(|p| p.join("sqlx.toml")),
        Some(Path::new("sqlx.toml").to_path_buf()),
    ];
    let Some(path) = candidates.into_iter().flatten().find(|p| p.is_file()) else {
        return Ok(SqlxConfig::default());
    };
    let bad = |message: String| Error::File {
        file: path.display().to_string(),
        message,
    };
    let text =
        crate::files::read_text(&path, crate::files::max_size()).map_err(|e| bad(e.to_string()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let Some(migrate) = doc.get("migrate").and_then(|m| m.as_table()) else {
        return Ok(SqlxConfig::default());
    };
    let mut out = SqlxConfig::default();
    if let Some(name) = migrate.get("table-name").and_then(|v| v.as_str()) {
        let parts: Vec<String> = name
            .split('.')
            .map(|p| p.trim_matches('"').to_string())
            .collect();
        match parts.as_slice() {
            [table] => out.table = Some(table.clone()),
            [schema, table] => {
                out.schema = Some(schema.clone());
                out.table = Some(table.clone());
            }
            _ => {
                return Err(bad(format!(
                    "[migrate] table-name `{name}` is not TABLE or SCHEMA.TABLE"
                )));
            }
        }
    }
    if let Some(chars) = migrate.get("ignored-chars").and_then(|v| v.as_array()) {
        for c in chars {
            let one = c.as_str().and_then(|s| {
                let mut it = s.chars();
                it.next().filter(|_| it.next().is_none())
            });
            out.ignored_chars.push(one.ok_or_else(|| {
                bad("[migrate] ignored-chars holds something other than single characters".into())
            })?);
        }
    }
    Ok(out)
}

/// Where [`detect`] looks for the tools' tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// Table names in the session's current schema.
    pub current: Vec<String>,
    /// sqlx's table, in `sqlx_schema` when `sqlx.toml` names one (else it is in `current`).
    pub sqlx_schema: Option<String>,
    pub sqlx_table: String,
}

fn places_of(cfg: &SqlxConfig) -> Places {
    let sqlx_table = cfg.table.clone().unwrap_or_else(|| sqlx::TABLE.to_string());
    let mut current: Vec<String> = [diesel::TABLE, golang::TABLE, dbmate::TABLE, refinery::TABLE]
        .iter()
        .chain(flyway::TABLES)
        .map(|s| s.to_string())
        .collect();
    if cfg.schema.is_none() {
        current.push(sqlx_table.clone());
    }
    Places {
        current,
        sqlx_schema: cfg.schema.clone(),
        sqlx_table,
    }
}

/// Where [`detect`] would look with `choice` for `dir`'s project; `None` when it looks
/// nowhere (`choice` is `none`). Read once, it serves every database of a fleet.
pub fn places(choice: Choice, dir: &Path) -> Result<Option<Places>, Error> {
    if choice == Choice::Nothing {
        return Ok(None);
    }
    Ok(Some(places_of(&sqlx_config(dir)?)))
}

/// The tool whose history to adopt, by `choice`; `dir` is the migrations directory. Two
/// tools' tables without a choice, or a chosen tool without its table, are refused.
pub async fn detect(
    c: &impl GenericClient,
    choice: Choice,
    dir: &Path,
) -> Result<Option<Found>, Error> {
    if choice == Choice::Nothing {
        return Ok(None);
    }
    let cfg = sqlx_config(dir)?;
    let Places {
        current: names,
        sqlx_table,
        ..
    } = places_of(&cfg);
    let rows = c
        .query_typed(
            "SELECT n.nspname::text, cl.relname::text, \
                    coalesce(obj_description(cl.oid, 'pg_class'), ''), \
                    array(SELECT attname::text FROM pg_attribute \
                          WHERE attrelid = cl.oid AND attnum > 0 AND NOT attisdropped \
                          ORDER BY attnum), \
                    coalesce((SELECT format_type(atttypid, NULL) FROM pg_attribute \
                              WHERE attrelid = cl.oid AND attname = 'version'), ''), \
                    current_schema()::text \
             FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace \
             WHERE cl.relkind IN ('r', 'p') AND ( \
                 (n.nspname = current_schema() AND cl.relname = ANY($1)) \
                 OR (n.nspname = $2 AND cl.relname = $3))",
            &[
                (&names, Type::NAME_ARRAY),
                (&cfg.schema, Type::NAME),
                (&sqlx_table, Type::NAME),
            ],
        )
        .await?;
    let mut found: Vec<Found> = Vec::new();
    for r in &rows {
        let comment: String = r.get(2);
        // pgstep's own history may bear a tool's table name.
        if comment.starts_with("pgstep ") {
            continue;
        }
        let name: String = r.get(1);
        let columns: Vec<String> = r.get(3);
        let Some(tool) = signature(&name, &columns, &sqlx_table) else {
            continue;
        };
        let version_type: String = r.get(4);
        found.push(Found {
            tool,
            schema: r.get(0),
            name,
            wide_version: version_type == "bigint",
            ignored_chars: if tool == Tool::Sqlx {
                cfg.ignored_chars.clone()
            } else {
                Vec::new()
            },
            dir: dir.to_path_buf(),
            create: false,
        });
    }
    found.sort_by_key(|f| f.tool.word());
    match choice {
        Choice::Only(tool) => match found.into_iter().find(|f| f.tool == tool) {
            Some(f) => Ok(Some(f)),
            None => {
                let looked = match (tool, &cfg.schema) {
                    (Tool::Sqlx, Some(s)) => format!("{s}.{sqlx_table}"),
                    _ => "the current schema".to_string(),
                };
                Err(Error::NotFound { tool, looked })
            }
        },
        _ if found.len() > 1 => Err(Error::Several(
            found.iter().map(|f| (f.tool, f.table_name())).collect(),
        )),
        _ => Ok(found.pop()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_tool_is_known_by_its_table_and_columns() {
        let sig = |name: &str, c: &[&str]| signature(name, &cols(c), sqlx::TABLE);
        assert_eq!(sig("_sqlx_migrations", sqlx::COLUMNS), Some(Tool::Sqlx));
        assert_eq!(
            sig("__diesel_schema_migrations", &["version", "run_on"]),
            Some(Tool::Diesel)
        );
        assert_eq!(sig("schema_version", flyway::COLUMNS), Some(Tool::Flyway));
        assert_eq!(
            sig("schema_migrations", &["dirty", "version"]),
            Some(Tool::GolangMigrate)
        );
        assert_eq!(sig("schema_migrations", &["version"]), Some(Tool::Dbmate));
        assert_eq!(
            sig("refinery_schema_history", refinery::COLUMNS),
            Some(Tool::Refinery)
        );
        // A tool's columns under another tool's name, or extra columns: not the tool.
        assert_eq!(sig("schema_migrations", &["version", "run_on"]), None);
        assert_eq!(
            sig("schema_migrations", &["version", "dirty", "note"]),
            None
        );
        // sqlx's table renamed in sqlx.toml.
        assert_eq!(
            signature("migrations", &cols(sqlx::COLUMNS), "migrations"),
            Some(Tool::Sqlx)
        );
    }
}
