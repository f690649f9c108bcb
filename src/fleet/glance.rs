//! One target's history read for the status matrix with as little work on its server as the
//! usual case allows.
//!
//! Each target is a new session, and a new backend starts with cold catalog caches: there,
//! every statement that reads a catalog table through the planner costs its server about a
//! third of what connecting does (BENCHMARKS.md, the fleet section). The ordinary read (the
//! command line's `db::open`, then the history) sends six statements in four round trips. The usual target has pgstep's own tables or none, and no tool's table where
//! adoption looks: it is read here with one look-up whose only planned table is
//! `pg_description`, sent with the session's settings, then the rows. Anything else is left
//! to the ordinary read, which reports it exactly as `pgstep status` does.

use tokio_postgres::Client;

use crate::adopt::{Choice, Places};
use crate::engine::{HistoryRow, Settings, Tables, bookkeeping, session_timeouts_sql};
use crate::sql::{quote_ident, quote_literal};

/// What every target's glance shares, worked out once for the fleet.
#[derive(Debug, Clone)]
pub struct Look {
    /// As named (the schema, when none is named, is each session's current one).
    tables: Tables,
    /// The look-up: see [`look_up`].
    sql: String,
    /// The session's settings, as the engine sets them on opening.
    settings: String,
}

/// Whether the history was named by the user: otherwise pgstep's own schema may hold it
/// (`Tables::place`), and a target whose history is there takes the ordinary read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    ByUser,
    ByDefault,
}

impl Look {
    /// The look for history `tables` and adoption `choice` of the project in `dir`. `None`
    /// when every target needs the ordinary read: a tool is named (its table must be found
    /// or refused), or the project's `sqlx.toml` cannot be read (each target reports it).
    pub fn new(
        tables: Tables,
        named: Named,
        choice: Choice,
        dir: &std::path::Path,
        settings: &Settings,
    ) -> Option<Look> {
        if matches!(choice, Choice::Only(_)) {
            return None;
        }
        let places = crate::adopt::places(choice, dir).ok()?;
        Some(Look {
            sql: look_up(&tables, named, places.as_ref()),
            tables,
            settings: session_timeouts_sql(settings),
        })
    }
}

/// One statement with no table in its `FROM`: the history's schema (named, or the current
/// one as the engine resolves it) and whether it exists; pgstep's two tables and the tools'
/// places as relation oids (`to_regclass` finds a name without the planner); the comments
/// that mark pgstep's tables. Every name is a literal, so nothing is planned per name.
/// Where the history was not named, pgstep's own schema is among the tools' places: its
/// history there (beside a tool's table, or for a folder in a tool's layout) is not this
/// glance's to read.
fn look_up(tables: &Tables, named: Named, places: Option<&Places>) -> String {
    const CURRENT: &str = "current_schema()";
    let (schema, found) = match &tables.schema {
        Some(s) => (
            quote_literal(s),
            format!(
                "to_regnamespace({}) IS NOT NULL",
                quote_literal(&quote_ident(s))
            ),
        ),
        None => (CURRENT.to_owned(), "true".to_owned()),
    };
    let oid = |schema: &str, name: &str| {
        let dotted = format!(".{}", quote_ident(name));
        format!(
            "to_regclass(quote_ident({schema}) || {})::oid",
            quote_literal(&dotted)
        )
    };
    let comment = |oid: &str| {
        format!(
            "(SELECT description FROM pg_catalog.pg_description WHERE objoid = {oid} \
             AND classoid = 'pg_catalog.pg_class'::regclass AND objsubid = 0)"
        )
    };
    let history = oid(&schema, &tables.history);
    let log = oid(&schema, &tables.log);
    let mut tools: Vec<String> = Vec::new();
    if named == Named::ByDefault {
        let own = Tables::own();
        let own_schema = quote_literal(own.schema.as_deref().unwrap_or(Tables::OWN_SCHEMA));
        tools.push(oid(&own_schema, &own.history));
    }
    if let Some(p) = places {
        tools.extend(p.current.iter().map(|name| oid(CURRENT, name)));
        if let Some(s) = &p.sqlx_schema {
            tools.push(oid(&quote_literal(s), &p.sqlx_table));
        }
    }
    format!(
        "SELECT {schema}::text, {found}, {history}, {log}, ARRAY[{}]::oid[], {}, {}",
        tools.join(", "),
        comment(&history),
        comment(&log)
    )
}

/// What a glance found.
#[derive(Debug)]
pub enum Glance {
    /// pgstep's history (no rows when its table does not exist yet), with no tool's table
    /// where adoption looks.
    Plain(Vec<HistoryRow>),
    /// Something the ordinary read must handle and explain: a tool's table, a table pgstep
    /// cannot read as its own, a history schema that is not there, or an error.
    Other,
}

/// Reads the history on `client` (a new connection) by `look`.
pub async fn read(client: &Client, look: &Look) -> Glance {
    match attempt(client, look).await {
        Ok(Some(rows)) => Glance::Plain(rows),
        Ok(None) | Err(_) => Glance::Other,
    }
}

async fn attempt(
    client: &Client,
    look: &Look,
) -> Result<Option<Vec<HistoryRow>>, tokio_postgres::Error> {
    // Sent together: the settings bound the rows' read below, not the look-up, which takes
    // no lock a migration holds.
    let (_, found) = tokio::try_join!(
        client.batch_execute(&look.settings),
        client.query_typed_one(&look.sql, &[]),
    )?;
    let schema: Option<String> = found.get(0);
    let schema_found: bool = found.get(1);
    let history: Option<u32> = found.get(2);
    let log: Option<u32> = found.get(3);
    let tools: Vec<Option<u32>> = found.get(4);
    let (Some(schema), true) = (schema, schema_found) else {
        return Ok(None);
    };
    if tools
        .iter()
        .flatten()
        .any(|oid| Some(*oid) != history && Some(*oid) != log)
    {
        return Ok(None);
    }
    let (history_comment, log_comment): (Option<String>, Option<String>) =
        (found.get(5), found.get(6));
    let history_layout = history.map(|_| bookkeeping::readable_history(history_comment.as_deref()));
    if log.is_some() && bookkeeping::readable_log(log_comment.as_deref()).is_none() {
        return Ok(None);
    }
    let tables = Tables {
        schema: Some(schema),
        ..look.tables.clone()
    };
    match history_layout {
        None => Ok(Some(Vec::new())),
        Some(None) => Ok(None),
        Some(Some(layout)) => Ok(Some(tables.rows_of_layout(client, layout).await?)),
    }
}
