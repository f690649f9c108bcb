//! Column types, to tell an `ALTER COLUMN ... TYPE` that rewrites the table from a safe
//! widening (varchar(10) to varchar(20), varchar to text, numeric(10,2) to numeric(12,2)).

use std::collections::HashMap;

use super::ops::Name;

/// Column types declared by the plan so far, by (table, column).
#[derive(Debug, Default, Clone)]
pub struct Columns(HashMap<(String, String), String>);

impl Columns {
    pub fn set(&mut self, table: &Name, column: &str, ty: &str) {
        if !ty.is_empty() {
            self.0
                .insert((table.name.clone(), column.to_string()), normalize(ty));
        }
    }

    pub fn get(&self, table: &Name, column: &str) -> Option<&str> {
        self.0
            .get(&(table.name.clone(), column.to_string()))
            .map(String::as_str)
    }
}

/// The canonical spelling of a type, aliases folded: `int4` is `integer`, `character
/// varying(5)` is `varchar(5)`.
pub fn normalize(ty: &str) -> String {
    let t = ty.trim().to_ascii_lowercase();
    let (base, args) = match t.find('(') {
        Some(i) => (t[..i].trim(), &t[i..]),
        None => (t.as_str(), ""),
    };
    let base = match base {
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
    };
    format!("{base}{}", args.replace(' ', ""))
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
