//! Where pgstep keeps its history on a database, and which tool's table it keeps in step:
//! one decision for every way a session opens (the command line, the console, a fleet's
//! targets, the demo), so they all find one history.

use std::path::Path;

use tokio_postgres::GenericClient;

use super::Tables;
use crate::adopt::{self, Choice, Found, Tool};
use crate::engine::EngineError;
use crate::plan::Layout;

/// What decides where the history is.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    /// The history table the options give, named or by default (`schema_migrations`).
    pub named: Tables,
    /// Whether the table or schema was named (command line, environment or configuration).
    pub named_by_user: bool,
    /// Whether a tool's table was adopted on this database.
    pub adopted: bool,
    /// The migrations directory: a tool's layout there means the tool's table may come.
    pub dir: &'a Path,
}

/// Where a session keeps its history, and the tool's table it keeps in step.
#[derive(Debug)]
pub struct Placed {
    pub tables: Tables,
    pub tool: Option<Found>,
}

impl Tables {
    /// The history to use: the named one when the user named it or an earlier pgstep keeps
    /// its tables there (a history is never moved or duplicated); otherwise pgstep's own
    /// schema when a tool was adopted, pgstep already keeps its tables there, or the
    /// directory holds a tool's files, so `schema_migrations` stays free for dbmate or
    /// golang-migrate, whose table has that very name; otherwise the named default.
    pub async fn place(c: &impl GenericClient, p: Placement<'_>) -> Result<Tables, EngineError> {
        if p.named_by_user || pgstep_tables_at(c, &p.named).await? {
            return Ok(p.named);
        }
        let own = Tables::own();
        // Read only for a database without pgstep's tables: a listing of the directory.
        let tool_files = || crate::plan::layout_of(p.dir).is_some_and(Layout::is_tool);
        if p.adopted || pgstep_tables_at(c, &own).await? || tool_files() {
            Ok(own)
        } else {
            Ok(p.named)
        }
    }

    /// The history and the tool's table, by `choice` (see [`adopt::detect`]). On a database
    /// with neither pgstep's tables nor the tool's, the project's tool, when known (chosen,
    /// or the only one whose layout the directory has), gets its table made with pgstep's,
    /// as the tool makes it: the tool run afterwards sees what pgstep applied.
    pub async fn place_with_tool(
        c: &impl GenericClient,
        p: Placement<'_>,
        choice: Choice,
    ) -> Result<Placed, EngineError> {
        let found = match adopt::detect(c, choice, p.dir).await {
            Ok(Some(found)) => Some(found),
            Ok(None) if choice == Choice::Detect => {
                let owner = crate::plan::layout_of(p.dir).and_then(Tool::owning);
                match owner {
                    Some(tool) => to_create(c, &p.named, tool, p.dir).await?,
                    None => None,
                }
            }
            Ok(None) => None,
            Err(adopt::Error::NotFound { tool, looked }) => {
                match to_create(c, &p.named, tool, p.dir).await? {
                    Some(found) => Some(found),
                    None => return Err(adopt::Error::NotFound { tool, looked }.into()),
                }
            }
            Err(e) => return Err(e.into()),
        };
        let p = Placement {
            adopted: found.is_some(),
            ..p
        };
        let tables = Tables::place(c, p).await?;
        // pgstep's tables named as the tool's own: the name is pgstep's, the tool gets none.
        let found = found.filter(|f| !(f.create && tables.bear_name_of(f)));
        Ok(Placed {
            tables,
            tool: found,
        })
    }

    /// Whether the history or its log is `found`'s table.
    fn bear_name_of(&self, found: &Found) -> bool {
        self.schema.as_ref().is_none_or(|s| *s == found.schema)
            && (self.history == found.name || self.log == found.name)
    }
}

/// `tool`'s table to make, when the database has no pgstep tables where they could be.
async fn to_create(
    c: &impl GenericClient,
    named: &Tables,
    tool: Tool,
    dir: &Path,
) -> Result<Option<Found>, EngineError> {
    if pgstep_tables_at(c, named).await? || pgstep_tables_at(c, &Tables::own()).await? {
        return Ok(None);
    }
    Ok(adopt::to_create(c, tool, dir).await?)
}

/// Whether pgstep keeps its history or its log at `tables`.
async fn pgstep_tables_at(c: &impl GenericClient, tables: &Tables) -> Result<bool, EngineError> {
    match crate::engine::bookkeeping::existing(tables, c).await {
        Ok(e) => Ok(e.history.is_some() || e.log.is_some()),
        // A tool's table of that name is not pgstep's.
        Err(EngineError::ForeignTable { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
