//! The tool's table made by pgstep, on a database that has neither it nor pgstep's tables:
//! a project whose tool is known finds, after pgstep's first run, the table the tool itself
//! would have made, holding what pgstep applied, so the tool run afterwards agrees.

use std::path::Path;

use tokio_postgres::GenericClient;

use super::{Error, Found, Recorded, Tool, dbmate, detect, diesel, flyway, golang, refinery, sqlx};
use crate::plan::Layout;

impl Tool {
    /// The one tool whose files are laid out as `layout`: dbmate's `-- migrate:up` files and
    /// Diesel's directories. `.up.sql`/`.down.sql` pairs (golang-migrate and sqlx) and
    /// `V1__x.sql` (Flyway and refinery) are two tools' each: the user says which.
    pub fn owning(layout: Layout) -> Option<Tool> {
        match layout {
            Layout::Dbmate => Some(Tool::Dbmate),
            Layout::Diesel => Some(Tool::Diesel),
            Layout::Native | Layout::UpDown | Layout::Flyway => None,
        }
    }
}

/// `tool`'s table where the tool would make it (the current schema; sqlx's as its
/// `sqlx.toml` says; Flyway's as Flyway 5 and later name it), to be made with pgstep's own
/// tables. `None` when no schema is current.
pub async fn to_create(
    c: &impl GenericClient,
    tool: Tool,
    dir: &Path,
) -> Result<Option<Found>, Error> {
    let name = match tool {
        Tool::Flyway => Some(flyway::TABLES[0]),
        Tool::Sqlx => None,
        Tool::Diesel => Some(diesel::TABLE),
        Tool::GolangMigrate => Some(golang::TABLE),
        Tool::Dbmate => Some(dbmate::TABLE),
        Tool::Refinery => Some(refinery::TABLE),
    };
    let cfg = detect::sqlx_config(dir)?;
    let current: Option<String> = c
        .query_one("SELECT current_schema()::text", &[])
        .await?
        .get(0);
    let schema = match (tool, cfg.schema) {
        (Tool::Sqlx, Some(s)) => s,
        _ => match current {
            Some(s) => s,
            None => return Ok(None),
        },
    };
    let name = name.map_or_else(
        || cfg.table.unwrap_or_else(|| sqlx::TABLE.to_string()),
        str::to_string,
    );
    Ok(Some(Found {
        tool,
        schema,
        name,
        wide_version: false,
        ignored_chars: if tool == Tool::Sqlx {
            cfg.ignored_chars
        } else {
            Vec::new()
        },
        dir: dir.to_path_buf(),
        create: true,
    }))
}

impl Found {
    /// The tool's own statement making its table, when pgstep is to make it.
    pub fn create_sql(&self) -> Option<String> {
        if !self.create {
            return None;
        }
        let t = self.table();
        Some(match self.tool {
            Tool::Sqlx => sqlx::create(&t),
            Tool::Diesel => diesel::create(&t),
            Tool::Flyway => flyway::create(&t, &self.name),
            Tool::GolangMigrate => golang::create(&t),
            Tool::Dbmate => dbmate::create(&t),
            Tool::Refinery => refinery::create(&t),
        })
    }

    /// What a table pgstep is to make, and has not yet made, records: nothing.
    pub(super) async fn not_yet_made(
        &self,
        c: &impl GenericClient,
    ) -> Result<Option<Recorded>, tokio_postgres::Error> {
        if !self.create {
            return Ok(None);
        }
        let made: bool = c
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&self.table()])
            .await?
            .get(0);
        Ok((!made).then(|| match self.tool {
            Tool::GolangMigrate => Recorded::UpTo(None),
            _ => Recorded::Rows(Vec::new()),
        }))
    }
}
