//! Where pgstep keeps its history on a database: one decision for every way a session opens
//! (the command line, the console, a fleet's targets, the demo), so they all find one history.

use std::path::Path;

use tokio_postgres::GenericClient;

use super::Tables;
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
