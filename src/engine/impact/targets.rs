//! Which objects a statement destroys, read from its tokens.

use super::{Target, TargetKind};
use crate::sql::{TokenKind, tokens};

/// The objects the statement `sql` would drop or empty; nothing for any other statement.
pub fn destructive_targets(sql: &str) -> Vec<Target> {
    let mut w = Walk::new(sql);
    let target = |kind, (schema, name): (Option<String>, String)| Target {
        kind,
        schema,
        name,
        column: None,
    };
    if w.eat("DROP") {
        let kind = if w.eat("TABLE") {
            TargetKind::Table
        } else if w.eat_all(&["MATERIALIZED", "VIEW"]) {
            TargetKind::MaterializedView
        } else if w.eat("VIEW") {
            TargetKind::View
        } else if w.eat("SCHEMA") {
            TargetKind::Schema
        } else if w.eat("INDEX") {
            w.eat("CONCURRENTLY");
            TargetKind::Index
        } else if w.eat("TYPE") {
            TargetKind::Type
        } else {
            return Vec::new();
        };
        w.eat_all(&["IF", "EXISTS"]);
        return w.names().into_iter().map(|n| target(kind, n)).collect();
    }
    if w.eat("TRUNCATE") {
        w.eat("TABLE");
        let kind = TargetKind::Rows { filtered: false };
        return w.names().into_iter().map(|n| target(kind, n)).collect();
    }
    if w.eat_all(&["DELETE", "FROM"]) {
        w.eat("ONLY");
        let Some(name) = w.qualified() else {
            return Vec::new();
        };
        let filtered = w.rest_has(&["WHERE", "USING"]);
        return vec![target(TargetKind::Rows { filtered }, name)];
    }
    if w.eat_all(&["ALTER", "TABLE"]) {
        w.eat_all(&["IF", "EXISTS"]);
        w.eat("ONLY");
        let Some((schema, table)) = w.qualified() else {
            return Vec::new();
        };
        w.eat_symbol("*");
        let mut out = Vec::new();
        loop {
            if w.eat("DROP") && !w.eat("CONSTRAINT") {
                w.eat("COLUMN");
                w.eat_all(&["IF", "EXISTS"]);
                if let Some(column) = w.ident() {
                    out.push(Target {
                        kind: TargetKind::Column,
                        schema: schema.clone(),
                        name: table.clone(),
                        column: Some(column),
                    });
                }
            }
            if !w.next_action() {
                return out;
            }
        }
    }
    Vec::new()
}

/// The statement's tokens without whitespace and comments.
struct Walk<'a> {
    tokens: Vec<(TokenKind, &'a str)>,
    at: usize,
}

impl<'a> Walk<'a> {
    fn new(sql: &'a str) -> Self {
        let tokens = tokens(sql)
            .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
            .map(|t| (t.kind, t.text(sql)))
            .collect();
        Walk { tokens, at: 0 }
    }

    fn is_word(&self, at: usize, word: &str) -> bool {
        matches!(
            self.tokens.get(at),
            Some((TokenKind::Keyword | TokenKind::Type | TokenKind::Identifier, t))
                if t.eq_ignore_ascii_case(word)
        )
    }

    fn eat(&mut self, word: &str) -> bool {
        self.eat_all(&[word])
    }

    /// Consumes `words` if they all come next, nothing otherwise.
    fn eat_all(&mut self, words: &[&str]) -> bool {
        let all = words
            .iter()
            .enumerate()
            .all(|(i, w)| self.is_word(self.at + i, w));
        if all {
            self.at += words.len();
        }
        all
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = matches!(
            self.tokens.get(self.at),
            Some((TokenKind::Punctuation | TokenKind::Operator, t)) if *t == symbol
        );
        self.at += usize::from(found);
        found
    }

    /// One name, as PostgreSQL reads it.
    fn ident(&mut self) -> Option<String> {
        let &(kind, text) = self.tokens.get(self.at)?;
        let name = match kind {
            TokenKind::Keyword | TokenKind::Type | TokenKind::Identifier => {
                text.to_ascii_lowercase()
            }
            TokenKind::QuotedIdentifier => unquote(text),
            _ => return None,
        };
        self.at += 1;
        Some(name)
    }

    /// `name`, `schema.name` or `database.schema.name`, as (schema, name).
    fn qualified(&mut self) -> Option<(Option<String>, String)> {
        let mut parts = vec![self.ident()?];
        while self.eat_symbol(".") {
            match self.ident() {
                Some(part) => parts.push(part),
                None => break,
            }
        }
        let name = parts.pop()?;
        Some((parts.pop(), name))
    }

    /// A comma-separated list of `[ONLY] name [*]`.
    fn names(&mut self) -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        loop {
            self.eat("ONLY");
            let Some(name) = self.qualified() else {
                return out;
            };
            self.eat_symbol("*");
            out.push(name);
            if !self.eat_symbol(",") {
                return out;
            }
        }
    }

    /// Moves past the next comma outside parentheses; false at the end of the statement.
    fn next_action(&mut self) -> bool {
        let mut depth = 0usize;
        while let Some(&(kind, text)) = self.tokens.get(self.at) {
            self.at += 1;
            if kind != TokenKind::Punctuation {
                continue;
            }
            match text {
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                "," if depth == 0 => return true,
                ";" if depth == 0 => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether one of `words` comes later outside parentheses, where a subquery's `WHERE`
    /// would be.
    fn rest_has(&self, words: &[&str]) -> bool {
        let mut depth = 0usize;
        for i in self.at..self.tokens.len() {
            match self.tokens[i] {
                (TokenKind::Punctuation, "(") => depth += 1,
                (TokenKind::Punctuation, ")") => depth = depth.saturating_sub(1),
                _ if depth == 0 && words.iter().any(|w| self.is_word(i, w)) => return true,
                _ => {}
            }
        }
        false
    }
}

/// The name a quoted identifier stands for: `""` is a quote, and a `U&` one has `\XXXX` and
/// `\+XXXXXX` escapes.
fn unquote(text: &str) -> String {
    let (unicode, body) = match text.strip_prefix("U&").or_else(|| text.strip_prefix("u&")) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let body = body.strip_prefix('"').unwrap_or(body);
    let body = body.strip_suffix('"').unwrap_or(body).replace("\"\"", "\"");
    if !unicode {
        return body;
    }
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (digits, skip) = match rest.strip_prefix('+') {
            Some(long) => (long.get(..6), 7),
            None => (rest.get(..4), 4),
        };
        let decoded = digits
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[skip..];
            }
            None if rest.starts_with('\\') => {
                out.push('\\');
                rest = &rest[1..];
            }
            None => out.push('\\'),
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetKind::*;

    /// (kind, schema, name, column) of each target.
    type Expected = &'static [(
        TargetKind,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    )];

    const CASES: &[(&str, Expected)] = &[
        ("DROP TABLE books", &[(Table, None, "books", None)]),
        (
            "drop table if exists Public.Books, \"Odd \"\"Name\"\"\", s.\"T\" cascade",
            &[
                (Table, Some("public"), "books", None),
                (Table, None, "Odd \"Name\"", None),
                (Table, Some("s"), "T", None),
            ],
        ),
        (
            "-- why\nDROP /* really */ TABLE\n  a, -- first\n  db.s.b",
            &[(Table, None, "a", None), (Table, Some("s"), "b", None)],
        ),
        (
            "DROP TABLE key, data",
            &[(Table, None, "key", None), (Table, None, "data", None)],
        ),
        (
            r#"DROP TABLE U&"d\0061t\+000061""#,
            &[(Table, None, "data", None)],
        ),
        (
            "DROP MATERIALIZED VIEW IF EXISTS mv",
            &[(MaterializedView, None, "mv", None)],
        ),
        (
            "DROP VIEW v1, v2",
            &[(View, None, "v1", None), (View, None, "v2", None)],
        ),
        ("DROP SCHEMA old CASCADE", &[(Schema, None, "old", None)]),
        (
            "DROP INDEX CONCURRENTLY IF EXISTS s.i",
            &[(Index, Some("s"), "i", None)],
        ),
        ("DROP TYPE mood", &[(Type, None, "mood", None)]),
        (
            "TRUNCATE TABLE ONLY a, s.b * RESTART IDENTITY CASCADE",
            &[
                (Rows { filtered: false }, None, "a", None),
                (Rows { filtered: false }, Some("s"), "b", None),
            ],
        ),
        ("truncate a", &[(Rows { filtered: false }, None, "a", None)]),
        (
            "DELETE FROM s.t",
            &[(Rows { filtered: false }, Some("s"), "t", None)],
        ),
        (
            "DELETE FROM ONLY t AS x WHERE x.id > 5",
            &[(Rows { filtered: true }, None, "t", None)],
        ),
        (
            "DELETE FROM t RETURNING (SELECT 1 WHERE true)",
            &[(Rows { filtered: false }, None, "t", None)],
        ),
        (
            "DELETE FROM t USING u WHERE t.id = u.id",
            &[(Rows { filtered: true }, None, "t", None)],
        ),
        (
            "ALTER TABLE t DROP COLUMN c",
            &[(Column, None, "t", Some("c"))],
        ),
        (
            "ALTER TABLE IF EXISTS ONLY s.\"T\" DROP IF EXISTS \"C\" CASCADE, drop column d",
            &[
                (Column, Some("s"), "T", Some("C")),
                (Column, Some("s"), "T", Some("d")),
            ],
        ),
        (
            "ALTER TABLE t ALTER COLUMN a DROP DEFAULT, DROP CONSTRAINT k, \
             ADD CHECK (f(a, b)), DROP COLUMN /* gone */ e",
            &[(Column, None, "t", Some("e"))],
        ),
        ("ALTER TABLE t ADD COLUMN c int", &[]),
        ("DROP FUNCTION f(int)", &[]),
        ("SELECT 'DROP TABLE t'", &[]),
        ("CREATE TABLE drop_me (id int)", &[]),
        ("-- DROP TABLE t\nSELECT 1", &[]),
        ("DROP TABLE", &[]),
        ("ALTER TABLE", &[]),
        ("", &[]),
    ];

    #[test]
    fn statements() {
        for (sql, expected) in CASES {
            let expected: Vec<Target> = expected
                .iter()
                .map(|&(kind, schema, name, column)| Target {
                    kind,
                    schema: schema.map(str::to_string),
                    name: name.to_string(),
                    column: column.map(str::to_string),
                })
                .collect();
            assert_eq!(destructive_targets(sql), expected, "{sql}");
        }
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(unquote(r#"U&"a\\b\00e9""#), "a\\bé");
        assert_eq!(unquote(r#"U&"bad\zz""#), "bad\\zz");
        assert_eq!(unquote(r#""open"#), "open");
    }
}
