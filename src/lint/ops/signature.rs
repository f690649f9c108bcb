//! A function's argument types, as PostgreSQL tells its overloads apart.

use super::{ident_text, split_commas, word};
use crate::sql::{TokenKind, Walk};

/// The argument types of the `(...)` that comes next, as PostgreSQL tells overloads apart:
/// input arguments only, their names, modes and defaults left out, type aliases and
/// modifiers folded to the names `oidvectortypes` gives (`(a int4, OUT b text, c varchar(5)
/// DEFAULT 'x')` is `integer, character varying`). `None`, nothing read, without `(`.
pub(super) fn signature(w: &mut Walk<'_>) -> Option<String> {
    let start = w.position();
    if w.tokens().get(start).is_none_or(|t| t.1 != "(") {
        return None;
    }
    w.skip();
    let toks = w.tokens();
    let end = w.position().min(toks.len());
    let inner = &toks[start + 1..end];
    let inner = inner
        .strip_suffix(&[(TokenKind::Punctuation, ")")])
        .unwrap_or(inner);
    if inner.is_empty() {
        return Some(String::new());
    }
    let types: Vec<String> = split_commas(inner)
        .into_iter()
        .filter_map(argument_type)
        .collect();
    Some(types.join(", "))
}

/// Two words that begin a type, not an argument's name and its type.
const TYPE_PAIRS: &[&str] = &[
    "double precision",
    "character varying",
    "char varying",
    "bit varying",
    "timestamp with",
    "timestamp without",
    "time with",
    "time without",
    "national character",
    "national char",
];

/// One argument's type, `None` for an `OUT` argument, which does not identify a function.
fn argument_type(arg: &[(TokenKind, &str)]) -> Option<String> {
    let mut t = arg;
    if let Some(i) = t.iter().position(|x| word(x, "DEFAULT") || x.1 == "=") {
        t = &t[..i];
    }
    if let Some(mode) = t.first().filter(|x| {
        ["IN", "OUT", "INOUT", "VARIADIC"]
            .iter()
            .any(|m| word(x, m))
    }) {
        if word(mode, "OUT") {
            return None;
        }
        t = &t[1..];
    }
    let is_word = |x: &(TokenKind, &str)| {
        matches!(
            x.0,
            TokenKind::Keyword
                | TokenKind::Identifier
                | TokenKind::Type
                | TokenKind::QuotedIdentifier
        )
    };
    if t.len() >= 2 && is_word(&t[0]) && is_word(&t[1]) {
        let pair = format!("{} {}", t[0].1, t[1].1).to_ascii_lowercase();
        if !TYPE_PAIRS.contains(&pair.as_str()) {
            t = &t[1..];
        }
    }
    (!t.is_empty()).then(|| canonical_type(t))
}

/// A type as `oidvectortypes` spells it: aliases folded, modifiers and schema dropped.
fn canonical_type(t: &[(TokenKind, &str)]) -> String {
    let mut base = String::new();
    let mut arrays = String::new();
    let mut depth = 0usize;
    for x in t {
        match x.1 {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "[" if depth == 0 => arrays.push_str("[]"),
            "]" => {}
            "." if depth == 0 => base.clear(),
            _ if depth == 0 && arrays.is_empty() => {
                if !base.is_empty() && !base.ends_with('%') && x.1 != "%" {
                    base.push(' ');
                }
                base.push_str(&ident_text(x));
            }
            _ => {}
        }
    }
    let base = match base.as_str() {
        "int" | "int4" | "integer" => "integer",
        "int8" | "bigint" => "bigint",
        "int2" | "smallint" => "smallint",
        "bool" | "boolean" => "boolean",
        "float" | "float8" | "double precision" => "double precision",
        "float4" | "real" => "real",
        "varchar" | "character varying" | "char varying" => "character varying",
        "char" | "character" | "bpchar" => "character",
        "decimal" | "numeric" => "numeric",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp without time zone",
        "timetz" | "time with time zone" => "time with time zone",
        "time" | "time without time zone" => "time without time zone",
        "varbit" | "bit varying" => "bit varying",
        other => other,
    };
    format!("{base}{arrays}")
}
#[cfg(test)]
mod tests {
    use crate::lint::ops::{Op, read};

    fn args_of(sql: &str) -> Option<String> {
        match read(sql) {
            Op::Create { name, .. } | Op::AlterObject { name, .. } => name.args,
            Op::Drop { names, .. } => names[0].args.clone(),
            other => panic!("{sql}: {other:?}"),
        }
    }

    #[test]
    fn functions_are_named_with_their_argument_types_as_postgresql_spells_them() {
        let cases = [
            ("CREATE FUNCTION f() RETURNS int AS 'x'", Some("")),
            (
                "CREATE OR REPLACE FUNCTION s.f(a int4, OUT b text, c varchar(5) DEFAULT 'x') RETURNS record AS 'x'",
                Some("integer, character varying"),
            ),
            (
                "CREATE FUNCTION f(double precision, ts timestamp(3) with time zone, \"Q\" public.money_t[]) RETURNS int AS 'x'",
                Some("double precision, timestamp with time zone, money_t[]"),
            ),
            (
                "DROP FUNCTION IF EXISTS f(int8, bool = true)",
                Some("bigint, boolean"),
            ),
            ("DROP FUNCTION f", None),
            ("DROP PROCEDURE p(VARIADIC int[])", Some("integer[]")),
            (
                "ALTER FUNCTION f(timestamptz) RENAME TO g",
                Some("timestamp with time zone"),
            ),
        ];
        for (sql, want) in cases {
            assert_eq!(args_of(sql).as_deref(), want, "{sql}");
        }
    }
}
