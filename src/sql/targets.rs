//! Which objects a statement destroys, read from its tokens.

use super::Walk;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Table,
    /// A column of the table the target names.
    Column,
    MaterializedView,
    View,
    Schema,
    /// The rows of a table (`TRUNCATE`, `DELETE`); `filtered` when a `WHERE` or `USING`
    /// chooses only some of them.
    Rows {
        filtered: bool,
    },
    Index,
    Type,
}

/// One object a statement destroys, named as the statement names it: unquoted names folded to
/// lower case, quoted ones as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    pub schema: Option<String>,
    /// The object, or for a column its table.
    pub name: String,
    pub column: Option<String>,
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::unquote;
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
