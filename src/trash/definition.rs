//! What a kept copy records to rebuild its object, as the keep function wrote it in
//! `pgstep_trash.kept.definition`, and the SQL that puts each part back.

use crate::sql::{quote_ident, quote_literal};

#[derive(Debug, serde::Deserialize)]
pub(super) struct Definition {
    pub(super) columns: Vec<Column>,
    pub(super) constraints: Vec<Constraint>,
    pub(super) indexes: Vec<Index>,
    pub(super) referenced_by: Vec<Incoming>,
    pub(super) sequences: Vec<Sequence>,
    pub(super) key: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct Column {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) type_: String,
    pub(super) not_null: bool,
    pub(super) default: Option<String>,
    pub(super) generated: Option<String>,
    pub(super) identity: Option<String>,
    pub(super) collation: Option<String>,
    pub(super) as_text: bool,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct Constraint {
    pub(super) name: String,
    pub(super) def: String,
    pub(super) references: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct Index {
    pub(super) def: String,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct Incoming {
    pub(super) table: String,
    pub(super) name: String,
    pub(super) def: String,
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct Sequence {
    pub(super) column: String,
    pub(super) name: String,
    pub(super) identity: bool,
    #[serde(rename = "type")]
    pub(super) type_: String,
    pub(super) start: i64,
    pub(super) increment: i64,
    pub(super) min: i64,
    pub(super) max: i64,
    pub(super) cycle: bool,
    pub(super) last_value: Option<i64>,
}

impl Sequence {
    /// Its options; an identity's type is its column's, and may not be given.
    pub(super) fn options(&self) -> String {
        let of_type = if self.identity {
            String::new()
        } else {
            format!("AS {} ", self.type_)
        };
        format!(
            "{of_type}INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} {}",
            self.increment,
            self.min,
            self.max,
            self.start,
            if self.cycle { "CYCLE" } else { "NO CYCLE" }
        )
    }
}

impl Column {
    /// The value read from the copy, as the column's own type.
    pub(super) fn read_back(&self, alias: &str) -> String {
        let v = format!("{alias}.{}", quote_ident(&self.name));
        if self.as_text {
            format!("{v}::{}", self.type_)
        } else {
            v
        }
    }

    /// `name type [COLLATE] [DEFAULT | GENERATED ... STORED]`, without NOT NULL or identity.
    pub(super) fn clause(&self) -> String {
        let mut s = format!("{} {}", quote_ident(&self.name), self.type_);
        if let Some(c) = &self.collation {
            s.push_str(&format!(" COLLATE {c}"));
        }
        if let Some(g) = &self.generated {
            s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        } else if let Some(d) = &self.default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        s
    }

    pub(super) fn identity_clause(&self, seqs: &[Sequence]) -> Option<String> {
        let when = match self.identity.as_deref()? {
            "a" => "ALWAYS",
            _ => "BY DEFAULT",
        };
        let options = seqs
            .iter()
            .find(|s| s.identity && s.column == self.name)
            .map(|s| format!(" (SEQUENCE NAME {} {})", s.name, s.options()))
            .unwrap_or_default();
        Some(format!("GENERATED {when} AS IDENTITY{options}"))
    }
}

pub(super) fn names(cols: &[&Column]) -> String {
    cols.iter()
        .map(|col| quote_ident(&col.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gives each sequence back its owner (when `own`) and its position; a truncated table's
/// sequence is never moved backwards, so rows written since are not collided with.
pub(super) fn sequences_sql(table: &str, seqs: &[Sequence], own: bool) -> String {
    let mut sql = String::new();
    for s in seqs {
        let col = quote_ident(&s.column);
        let seq = if s.identity {
            format!(
                "pg_get_serial_sequence({}, {})",
                quote_literal(table),
                quote_literal(&s.column)
            )
        } else {
            if own {
                sql.push_str(&format!(
                    "ALTER SEQUENCE {} OWNED BY {table}.{col};\n",
                    s.name
                ));
            }
            format!("{}::regclass", quote_literal(&s.name))
        };
        if let Some(v) = s.last_value {
            sql.push_str(&format!(
                "SELECT setval({seq}, greatest({v}, coalesce(pg_sequence_last_value({seq}), {v})));\n"
            ));
        }
    }
    sql
}

pub(super) fn constraints_and_indexes(table: &str, def: &Definition) -> String {
    let mut sql = String::new();
    for k in &def.constraints {
        sql.push_str(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT {} {};\n",
            quote_ident(&k.name),
            k.def
        ));
    }
    for i in &def.indexes {
        sql.push_str(&i.def);
        sql.push_str(";\n");
    }
    sql
}
