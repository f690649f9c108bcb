//! Keeping what destructive statements remove: before a statement drops a table, drops a
//! column, truncates a table (and those a `CASCADE` empties with it), deletes rows or drops
//! a schema holding tables, a copy of what it removes goes
//! into schema `pgstep_trash` in the same transaction, with what is needed to rebuild it; a
//! kept copy can be restored or purged later.
//!
//! This part is pure: which statements remove what, and the SQL that keeps it. The database
//! part is in [`catalog`] (the schema, the list, purge) and [`restore`].

pub mod catalog;
mod definition;
mod deleted;
mod refusal;
pub mod restore;
mod schema;

pub use catalog::{Kept, KeptRecord, ensure, list, list_one, purge, take_unlogged};
pub use refusal::{Refusal, RestoreError};
pub use restore::{Restored, restore};

use crate::sql::{TargetKind, TokenKind, Walk, destructive_targets, leading_words, quote_literal};

/// The schema pgstep keeps copies in; statements on it are never kept.
pub const SCHEMA: &str = "pgstep_trash";

/// What a kept copy holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A dropped table: its rows and definition.
    Table,
    /// A dropped column: its values by the table's key, and its definition.
    Column,
    /// A truncated table's rows, or the rows a DELETE removed.
    Rows,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Table => "table",
            Kind::Column => "column",
            Kind::Rows => "rows",
        }
    }

    pub fn parse(word: &str) -> Option<Kind> {
        [Kind::Table, Kind::Column, Kind::Rows]
            .into_iter()
            .find(|k| k.word() == word)
    }
}

/// Which part of a phase a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Up,
    Down,
}

impl Part {
    pub fn word(self) -> &'static str {
        match self {
            Part::Up => "up",
            Part::Down => "down",
        }
    }
}

/// One thing a statement removes that pgstep keeps. `schema: None` is resolved by the
/// session's `search_path` when the copy runs, as the statement itself is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Table {
        schema: Option<String>,
        name: String,
    },
    Column {
        schema: Option<String>,
        table: String,
        column: String,
    },
    /// Every row (TRUNCATE, DELETE without WHERE), or those `chosen` picks.
    Rows {
        schema: Option<String>,
        table: String,
        chosen: Option<String>,
    },
    /// Every table in the schema (`DROP SCHEMA ... CASCADE`).
    Schema { name: String },
}

/// What `sql` removes that is kept: nothing for any other statement, nor for pgstep's own
/// schema. A DELETE is kept when its rows can be chosen before it runs (not `WHERE CURRENT
/// OF`); a rollback's DELETE often removes the rows that tables dropped later pointed at.
pub fn removals(sql: &str) -> Vec<Removal> {
    let first = leading_words(sql, 1);
    let truncate = first.first().map(String::as_str) == Some("TRUNCATE");
    let delete = first.first().map(String::as_str) == Some("DELETE");
    destructive_targets(sql)
        .into_iter()
        .filter(|t| t.schema.as_deref() != Some(SCHEMA))
        .filter_map(|t| match t.kind {
            TargetKind::Table => Some(Removal::Table {
                schema: t.schema,
                name: t.name,
            }),
            TargetKind::Column => Some(Removal::Column {
                schema: t.schema,
                table: t.name,
                column: t.column?,
            }),
            TargetKind::Rows { .. } if truncate => Some(Removal::Rows {
                schema: t.schema,
                table: t.name,
                chosen: None,
            }),
            TargetKind::Rows { .. } if delete => Some(Removal::Rows {
                schema: t.schema,
                table: t.name,
                chosen: match deleted::chosen(sql)? {
                    deleted::Chosen::All => None,
                    deleted::Chosen::Query(q) => Some(q),
                },
            }),
            TargetKind::Schema if t.name != SCHEMA => Some(Removal::Schema { name: t.name }),
            _ => None,
        })
        .collect()
}

/// Whether `sql` is a `TRUNCATE ... CASCADE`, which empties the tables that reference the
/// ones it names too: `CASCADE` is its last word.
fn truncates_cascading(sql: &str) -> bool {
    if leading_words(sql, 1).first().map(String::as_str) != Some("TRUNCATE") {
        return false;
    }
    let w = Walk::new(sql);
    let last = w
        .tokens()
        .iter()
        .rposition(|(k, t)| !(*k == TokenKind::Punctuation && *t == ";"));
    last.is_some_and(|i| w.is_word(i, "CASCADE"))
}

/// The statement that keeps what `sql` removes, to run right before it on the same session,
/// or `None` when it removes nothing kept. It names the phase and part, and carries the
/// statement's text for the record.
pub fn keep_sql(sql: &str, phase: &str, part: Part) -> Option<String> {
    let removals = removals(sql);
    if removals.is_empty() {
        return None;
    }
    let lit = |s: &str| quote_literal(s);
    let opt = |s: &Option<String>| s.as_deref().map_or("NULL".to_string(), lit);
    // The function follows the foreign keys to the tables CASCADE empties.
    let rows = if truncates_cascading(sql) {
        "cascade"
    } else {
        "rows"
    };
    let calls: Vec<String> = removals
        .iter()
        .map(|r| {
            let (what, schema, name, column, chosen) = match r {
                Removal::Table { schema, name } => ("table", opt(schema), lit(name), None, &None),
                Removal::Column {
                    schema,
                    table,
                    column,
                } => ("column", opt(schema), lit(table), Some(lit(column)), &None),
                Removal::Rows {
                    schema,
                    table,
                    chosen,
                } => (rows, opt(schema), lit(table), None, chosen),
                Removal::Schema { name } => ("schema", "NULL".to_string(), lit(name), None, &None),
            };
            format!(
                "{SCHEMA}.keep({}, {schema}, {name}, {}, {}, {}, {}, {})",
                lit(what),
                column.unwrap_or_else(|| "NULL".to_string()),
                lit(phase),
                lit(part.word()),
                lit(sql.trim()),
                opt(chosen),
            )
        })
        .collect();
    Some(format!("SELECT {}", calls.join(", ")))
}

#[cfg(test)]
mod tests;
