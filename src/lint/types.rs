//! Column types, to tell an `ALTER COLUMN ... TYPE` that rewrites the table from a safe
//! widening (varchar(10) to varchar(20), varchar to text, numeric(10,2) to numeric(12,2)).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::ops::{Action, Name};

/// Columns the plan has made NOT NULL so far (`SET NOT NULL`, `ADD COLUMN ... NOT NULL`), by
/// table (the schema aside): a `SET NOT NULL` on one of them is a no-op, no scan.
#[derive(Debug, Default, Clone)]
pub struct NotNull(HashMap<Box<str>, HashSet<Box<str>>>);

impl NotNull {
    pub fn has(&self, table: &Name, column: &str) -> bool {
        self.0
            .get(table.name.as_str())
            .is_some_and(|c| c.contains(column))
    }

    /// A table made or dropped: none of its columns is known NOT NULL.
    pub fn forget(&mut self, table: &Name) {
        self.0.remove(table.name.as_str());
    }

    /// Takes in one action of an ALTER TABLE, run.
    pub fn after(&mut self, table: &Name, a: &Action) {
        let (column, set) = match a {
            Action::SetNotNull(c) => (c, true),
            Action::AddColumn {
                column,
                rest,
                if_not_exists,
                ..
            } => {
                let not_null = rest.windows(2).any(|w| w[0] == "NOT" && w[1] == "NULL");
                // IF NOT EXISTS of a column that is there leaves it as it is; one that is not
                // there has no entry (a dropped column's went with it).
                if *if_not_exists && !not_null {
                    return;
                }
                (column, not_null)
            }
            Action::DropNotNull(c) | Action::DropColumn(c) => (c, false),
            _ => return,
        };
        if set {
            self.0
                .entry(table.name.as_str().into())
                .or_default()
                .insert(column.as_str().into());
        } else if let Some(c) = self.0.get_mut(table.name.as_str()) {
            c.remove(column.as_str());
        }
    }
}

/// Column types declared by the plan so far, by table and column (the schema aside). A plan of
/// 10,000 tables declares some 100,000 columns, mostly with the same few names and types, so
/// each distinct word is kept once and a column is two numbers.
#[derive(Debug, Default, Clone)]
pub struct Columns {
    /// Table name -> (column, type), both numbers into `words`.
    tables: HashMap<Box<str>, Vec<(u32, u32)>>,
    words: Words,
}

impl Columns {
    pub fn set(&mut self, table: &Name, column: &str, ty: &str) {
        if ty.is_empty() {
            return;
        }
        let ty = self.words.number(&normalize(ty));
        let column = self.words.number(column);
        let columns = match self.tables.get_mut(table.name.as_str()) {
            Some(c) => c,
            None => self.tables.entry(table.name.as_str().into()).or_default(),
        };
        match columns.iter_mut().find(|(c, _)| *c == column) {
            Some(entry) => entry.1 = ty,
            None => columns.push((column, ty)),
        }
    }

    pub fn get(&self, table: &Name, column: &str) -> Option<&str> {
        let column = *self.words.numbers.get(column)?;
        let columns = self.tables.get(table.name.as_str())?;
        let &(_, ty) = columns.iter().find(|(c, _)| *c == column)?;
        Some(&self.words.text[ty as usize])
    }
}

/// Distinct column names and types, numbered in the order first seen.
#[derive(Debug, Default, Clone)]
struct Words {
    numbers: HashMap<Box<str>, u32>,
    text: Vec<Box<str>>,
}

impl Words {
    fn number(&mut self, word: &str) -> u32 {
        if let Some(&n) = self.numbers.get(word) {
            return n;
        }
        // 2^32 distinct words would take far more memory than any plan has.
        let n = self.text.len() as u32;
        self.text.push(word.into());
        self.numbers.insert(word.into(), n);
        n
    }
}

/// The canonical spelling of a type, aliases folded: `int4` is `integer`, `character
/// varying(5)` is `varchar(5)`. A type already spelled so (most are: the statement reader
/// lower-cases them) is given back as it is, not copied: every column of every CREATE TABLE
/// of the plan comes through here.
pub fn normalize(ty: &str) -> Cow<'_, str> {
    let ty = ty.trim();
    if ty.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Owned(fold(&ty.to_ascii_lowercase()));
    }
    let (base, args) = split_base(ty);
    if canonical(base) == base && base.len() + args.len() == ty.len() && !args.contains(' ') {
        return Cow::Borrowed(ty);
    }
    Cow::Owned(fold(ty))
}

/// A lower-case type's base name (trimmed) and its parenthesised modifiers.
fn split_base(t: &str) -> (&str, &str) {
    match t.find('(') {
        Some(i) => (t[..i].trim(), &t[i..]),
        None => (t, ""),
    }
}

fn fold(t: &str) -> String {
    let (base, args) = split_base(t);
    format!("{}{}", canonical(base), args.replace(' ', ""))
}

/// The canonical name of a lower-case base type.
fn canonical(base: &str) -> &str {
    match base {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "bool" | "boolean" => "boolean",
        "float8" | "double precision" => "double precision",
        "float4" | "real" => "real",
        "character varying" | "varchar" => "varchar",
        "character" | "char" => "char",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timetz" | "time with time zone" => "timetz",
        other => other,
    }
}

/// The numbers in a type's parentheses.
fn args(ty: &str) -> Vec<u32> {
    ty.split_once('(')
        .map(|(_, rest)| {
            rest.trim_end_matches(')')
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn base(ty: &str) -> &str {
    ty.split('(').next().unwrap_or(ty)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Binary-coercible: only the catalog changes.
    NoRewrite,
    Rewrite,
    /// The current type is not known.
    Unknown,
}

/// Whether changing a column from `old` to `new` rewrites the table.
pub fn alter_type(old: Option<&str>, new: &str) -> Change {
    let Some(old) = old else {
        return Change::Unknown;
    };
    let (old, new) = (normalize(old), normalize(new));
    if old == new {
        return Change::NoRewrite;
    }
    let (ob, nb) = (base(&old), base(&new));
    let (oa, na) = (args(&old), args(&new));
    let safe = match (ob, nb) {
        ("varchar", "varchar") => na.is_empty() || (!oa.is_empty() && na[0] >= oa[0]),
        ("varchar", "text") | ("text", "varchar") => na.is_empty(),
        ("numeric", "numeric") => {
            na.is_empty()
                || (oa.len() == na.len()
                    && oa.first() <= na.first()
                    && oa.get(1).copied().unwrap_or(0) == na.get(1).copied().unwrap_or(0))
        }
        ("cidr", "inet") => true,
        _ => false,
    };
    if safe {
        Change::NoRewrite
    } else {
        Change::Rewrite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_spelled_one_way() {
        for (ty, want) in [
            ("varchar(40)", "varchar(40)"),
            ("VARCHAR (40)", "varchar(40)"),
            (" character varying(5) ", "varchar(5)"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("int4", "integer"),
            ("text", "text"),
            ("timestamp with time zone", "timestamptz"),
        ] {
            assert_eq!(normalize(ty), want, "{ty}");
        }
    }

    #[test]
    fn safe_widenings_do_not_rewrite() {
        for (old, new) in [
            ("varchar(10)", "varchar(20)"),
            ("character varying(10)", "varchar(10)"),
            ("varchar(10)", "text"),
            ("varchar", "text"),
            ("text", "varchar"),
            ("varchar(10)", "varchar"),
            ("numeric(10,2)", "numeric(12,2)"),
            ("numeric(10,2)", "numeric"),
            ("int4", "integer"),
            ("cidr", "inet"),
        ] {
            assert_eq!(
                alter_type(Some(old), new),
                Change::NoRewrite,
                "{old} -> {new}"
            );
        }
    }

    #[test]
    fn other_changes_rewrite() {
        for (old, new) in [
            ("integer", "bigint"),
            ("varchar(10)", "varchar(5)"),
            ("text", "varchar(100)"),
            ("numeric(10,2)", "numeric(12,3)"),
            ("timestamp", "timestamptz"),
            ("integer", "text"),
        ] {
            assert_eq!(
                alter_type(Some(old), new),
                Change::Rewrite,
                "{old} -> {new}"
            );
        }
        assert_eq!(alter_type(None, "bigint"), Change::Unknown);
    }
}
