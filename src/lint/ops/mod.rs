//! What a statement does, read from its tokens: the operations the lint rules judge.

mod alter_table;
mod create;
mod signature;

use crate::sql::{TokenKind, Walk};
use alter_table::alter_table;
use create::create;
use signature::signature;

/// An object's name as the statement wrote it: unquoted names folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub schema: Option<String>,
    pub name: String,
    /// A function's or procedure's argument types, as PostgreSQL identifies it among its
    /// overloads (see [`signature::signature`]); `None` where the statement gave none
    /// (`DROP FUNCTION f` names the only `f`) and for every other kind of object.
    pub args: Option<String>,
}

impl Name {
    pub fn new(schema: Option<String>, name: String) -> Name {
        Name {
            schema,
            name,
            args: None,
        }
    }

    fn from((schema, name): (Option<String>, String)) -> Name {
        Name::new(schema, name)
    }

    /// Whether two names may be the same object (a missing schema matches any, and so do
    /// missing argument types).
    pub fn same(&self, other: &Name) -> bool {
        self.name == other.name
            && (self.schema.is_none() || other.schema.is_none() || self.schema == other.schema)
            && (self.args.is_none() || other.args.is_none() || self.args == other.args)
    }

    pub fn display(&self) -> String {
        let args = self.args.as_ref().map(|a| format!("({a})"));
        match &self.schema {
            Some(s) => format!("{s}.{}{}", self.name, args.unwrap_or_default()),
            None => format!("{}{}", self.name, args.unwrap_or_default()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConstraintKind {
    ForeignKey,
    /// With the column it proves NOT NULL, when it is `CHECK (col IS NOT NULL)`.
    Check(Option<String>),
    Unique,
    PrimaryKey,
    Exclude,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `ADD COLUMN`, with its type and the words after it.
    AddColumn {
        column: String,
        column_type: String,
        rest: Vec<String>,
        /// `IF NOT EXISTS`: a column that is already there is left as it is.
        if_not_exists: bool,
    },
    AlterType {
        column: String,
        new_type: String,
    },
    SetNotNull(String),
    DropNotNull(String),
    AddConstraint {
        name: Option<String>,
        kind: ConstraintKind,
        not_valid: bool,
        using_index: bool,
    },
    ValidateConstraint(String),
    DropColumn(String),
    DropConstraint(String),
    /// `RENAME TO new`: the table's new name.
    RenameTable(String),
    /// `RENAME [COLUMN] old TO new`.
    RenameColumn(String, String),
    SetLogged,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateTable {
        table: Name,
        /// Column names and types.
        columns: Vec<(String, String)>,
        /// `TEMP`: gone when the session ends.
        temporary: bool,
    },
    CreateIndex {
        table: Name,
        index: Option<Name>,
        concurrently: bool,
        /// `IF NOT EXISTS`: an index of that name already there is left as it is.
        if_not_exists: bool,
    },
    DropIndex {
        names: Vec<Name>,
        concurrently: bool,
    },
    DropTable(Vec<Name>),
    Truncate(Vec<Name>),
    AlterTable {
        table: Name,
        actions: Vec<Action>,
    },
    /// `VACUUM FULL` of these tables (none: the whole database).
    VacuumFull(Vec<Name>),
    /// `CLUSTER` of this table (none: every table clustered before).
    Cluster(Option<Name>),
    /// `SET lock_timeout` to 0 or to the server default.
    LockTimeoutOff,
    /// Another object created (view, function, type, sequence, schema, ...).
    Create {
        kind: &'static str,
        name: Name,
    },
    Drop {
        kind: &'static str,
        names: Vec<Name>,
    },
    /// `ALTER <kind> name RENAME TO new` or `ALTER SEQUENCE name OWNED BY table.column`.
    AlterObject {
        kind: &'static str,
        name: Name,
        rename_to: Option<String>,
        owned_by: Option<Name>,
    },
    Other,
}

/// Object kinds whose CREATE and DROP the rules pair up, with the words naming them.
const KINDS: &[(&str, &[&str])] = &[
    ("materialized view", &["MATERIALIZED", "VIEW"]),
    ("view", &["VIEW"]),
    ("function", &["FUNCTION"]),
    ("procedure", &["PROCEDURE"]),
    ("type", &["TYPE"]),
    ("sequence", &["SEQUENCE"]),
    ("schema", &["SCHEMA"]),
    ("trigger", &["TRIGGER"]),
    ("policy", &["POLICY"]),
];
/// Splits `items` at commas outside parentheses.
fn split_commas<'a>(items: &'a [(TokenKind, &'a str)]) -> Vec<&'a [(TokenKind, &'a str)]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, &(kind, text)) in items.iter().enumerate() {
        if kind != TokenKind::Punctuation {
            continue;
        }
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            "," if depth == 0 => {
                out.push(&items[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&items[start..]);
    out
}

fn word(t: &(TokenKind, &str), w: &str) -> bool {
    matches!(
        t.0,
        TokenKind::Keyword | TokenKind::Identifier | TokenKind::Type
    ) && t.1.eq_ignore_ascii_case(w)
}

fn ident_text(t: &(TokenKind, &str)) -> String {
    match t.0 {
        TokenKind::QuotedIdentifier => crate::sql::unquote(t.1),
        _ => t.1.to_ascii_lowercase(),
    }
}
/// Reads one statement.
pub fn read(sql: &str) -> Op {
    read_walk(&mut Walk::new(sql), sql)
}

/// Reads one statement, and whether it ends in `CASCADE` (see [`cascade`]) from the same
/// tokens.
pub fn read_with_cascade(sql: &str) -> (Op, bool) {
    let mut w = Walk::new(sql);
    let op = read_walk(&mut w, sql);
    (op, ends_in_cascade(&w))
}

fn read_walk(w: &mut Walk<'_>, sql: &str) -> Op {
    if w.eat("CREATE") {
        return create(w);
    }
    if w.eat("DROP") {
        return drop(w);
    }
    if w.eat("TRUNCATE") {
        w.eat("TABLE");
        return Op::Truncate(w.names().into_iter().map(Name::from).collect());
    }
    if w.eat_all(&["ALTER", "TABLE"]) {
        return alter_table(w);
    }
    if w.eat("ALTER") {
        return alter_object(w);
    }
    if w.eat("VACUUM") {
        let words = w.action_words();
        let full = words.first().is_some_and(|x| x == "FULL")
            || (words.first().is_some_and(|x| x == "(...)")
                && sql.to_ascii_uppercase().contains("FULL"));
        return if full {
            Op::VacuumFull(vacuum_tables(w.tokens()))
        } else {
            Op::Other
        };
    }
    if w.eat("CLUSTER") {
        w.eat("VERBOSE");
        let first = w.qualified().map(Name::from);
        // The old spelling `CLUSTER index ON table` names the index first.
        let table = if w.eat("ON") {
            w.qualified().map(Name::from)
        } else {
            first
        };
        return Op::Cluster(table);
    }
    if w.eat("SET") || w.eat("RESET") {
        let reset = sql.trim_start().to_ascii_uppercase().starts_with("RESET");
        let words = w.action_words();
        let rest: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .skip_while(|x| *x == "LOCAL" || *x == "SESSION")
            .collect();
        if rest.first() == Some(&"LOCK_TIMEOUT") {
            let value = rest
                .iter()
                .skip(1)
                .find(|x| !matches!(**x, "=" | "TO"))
                .copied();
            let off = reset || matches!(value, Some("0" | "'0'" | "DEFAULT" | "'0s'" | "'0ms'"));
            if off {
                return Op::LockTimeoutOff;
            }
        }
    }
    Op::Other
}

/// The tables of a `VACUUM [FULL ...] [(options)] table [(columns)], ...`.
fn vacuum_tables(toks: &[(TokenKind, &str)]) -> Vec<Name> {
    let mut i = 1;
    if toks.get(i).is_some_and(|t| t.1 == "(") {
        let mut depth = 0usize;
        while let Some(t) = toks.get(i) {
            i += 1;
            match t.1 {
                "(" => depth += 1,
                ")" => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    while toks.get(i).is_some_and(|t| {
        ["FULL", "FREEZE", "VERBOSE", "ANALYZE", "ANALYSE"]
            .iter()
            .any(|k| word(t, k))
    }) {
        i += 1;
    }
    split_commas(toks.get(i..).unwrap_or_default())
        .into_iter()
        .filter_map(|item| {
            let parts: Vec<String> = item
                .iter()
                .take_while(|t| t.1 != "(" && t.1 != ";")
                .filter(|t| t.1 != ".")
                .map(ident_text)
                .collect();
            let (name, schema) = match parts.as_slice() {
                [.., s, n] => (n.clone(), Some(s.clone())),
                [n] => (n.clone(), None),
                [] => return None,
            };
            Some(Name::new(schema, name))
        })
        .collect()
}
fn drop(w: &mut Walk<'_>) -> Op {
    if w.eat("INDEX") {
        let concurrently = w.eat("CONCURRENTLY");
        w.eat_all(&["IF", "EXISTS"]);
        let names = w.names().into_iter().map(Name::from).collect();
        return Op::DropIndex {
            names,
            concurrently,
        };
    }
    if w.eat("TABLE") {
        w.eat_all(&["IF", "EXISTS"]);
        return Op::DropTable(w.names().into_iter().map(Name::from).collect());
    }
    for (kind, words) in KINDS {
        if w.eat_all(words) {
            w.eat_all(&["IF", "EXISTS"]);
            return Op::Drop {
                kind,
                names: signed_names(w),
            };
        }
    }
    Op::Other
}

/// `name [(args)], ...`: a DROP's names, each function's with its argument types.
fn signed_names(w: &mut Walk<'_>) -> Vec<Name> {
    let mut out = Vec::new();
    while let Some(name) = w.qualified() {
        out.push(Name {
            args: signature(w),
            ..Name::from(name)
        });
        if !w.eat_symbol(",") {
            break;
        }
    }
    out
}
/// `ALTER INDEX|VIEW|MATERIALIZED VIEW|SEQUENCE|FUNCTION|... name ...`: a rename, or a
/// sequence given to a column (dropped with its table from then on).
fn alter_object(w: &mut Walk<'_>) -> Op {
    let kind = if w.eat("INDEX") {
        "index"
    } else {
        match KINDS.iter().find(|(_, words)| w.eat_all(words)) {
            Some((kind, _)) => kind,
            None => return Op::Other,
        }
    };
    w.eat_all(&["IF", "EXISTS"]);
    let Some(name) = w.qualified().map(Name::from) else {
        return Op::Other;
    };
    let name = Name {
        args: signature(w),
        ..name
    };
    let mut rename_to = None;
    let mut owned_by = None;
    if w.eat_all(&["RENAME", "TO"]) {
        rename_to = w.ident();
    } else if w.eat_all(&["OWNED", "BY"]) {
        owned_by = owner(w);
    }
    Op::AlterObject {
        kind,
        name,
        rename_to,
        owned_by,
    }
}

/// The table of `OWNED BY [schema.]table.column` (`NONE`: no table).
fn owner(w: &mut Walk<'_>) -> Option<Name> {
    let (schema, name) = w.qualified()?;
    // The last part is the column: `a.b.c` is schema a, table b.
    let mut parts: Vec<String> = schema.into_iter().chain([name]).collect();
    parts.pop()?;
    let table = parts.pop()?;
    Some(Name::new(parts.pop(), table))
}

/// The table a `CREATE SEQUENCE ... OWNED BY table.column` gives the sequence to.
pub fn owned_by(sql: &str) -> Option<Name> {
    let mut w = Walk::new(sql);
    while !w.at_end() {
        if w.eat_all(&["OWNED", "BY"]) {
            return owner(&mut w);
        }
        w.skip();
    }
    None
}

/// Whether a DROP ends in `CASCADE`, taking every object that depends on what it drops.
fn ends_in_cascade(w: &Walk<'_>) -> bool {
    w.tokens()
        .iter()
        .rev()
        .find(|t| t.1 != ";")
        .is_some_and(|t| word(t, "CASCADE"))
}

/// Every name a statement mentions, folded as PostgreSQL folds them: what a view, an index or
/// a column's type depends on.
pub fn mentions(sql: &str) -> Vec<String> {
    Walk::new(sql)
        .tokens()
        .iter()
        .filter(|t| {
            matches!(
                t.0,
                TokenKind::Keyword
                    | TokenKind::Identifier
                    | TokenKind::QuotedIdentifier
                    | TokenKind::Type
            )
        })
        .map(ident_text)
        .collect()
}
