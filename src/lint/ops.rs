//! What a statement does, read from its tokens: the operations the lint rules judge.

use crate::sql::{TokenKind, Walk};

/// An object's name as the statement wrote it: unquoted names folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Name {
    pub schema: Option<String>,
    pub name: String,
    /// A function's or procedure's argument types, as PostgreSQL identifies it among its
    /// overloads (see [`signature`]); `None` where the statement gave none (`DROP FUNCTION
    /// f` names the only `f`) and for every other kind of object.
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
    },
    AlterType {
        column: String,
        new_type: String,
    },
    SetNotNull(String),
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

/// Constraint words that end a column's type in a column definition.
const TYPE_END: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "REFERENCES",
    "UNIQUE",
    "CHECK",
    "CONSTRAINT",
    "GENERATED",
    "COLLATE",
    "COMPRESSION",
    "STORAGE",
    "USING",
];

/// The type text of a column definition's tokens after its name, normalised: lower case,
/// words separated by one space, no space around punctuation.
fn type_text(raw: &[(TokenKind, &str)]) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for &(kind, text) in raw {
        if depth == 0
            && matches!(
                kind,
                TokenKind::Keyword | TokenKind::Identifier | TokenKind::Type
            )
            && TYPE_END.iter().any(|w| text.eq_ignore_ascii_case(w))
        {
            break;
        }
        match text {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            _ => {}
        }
        let word = matches!(
            kind,
            TokenKind::Keyword | TokenKind::Identifier | TokenKind::Type
        );
        if word
            && out
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            out.push(' ');
        }
        out.push_str(&text.to_ascii_lowercase());
    }
    out
}

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
    let mut w = Walk::new(sql);
    if w.eat("CREATE") {
        return create(&mut w);
    }
    if w.eat("DROP") {
        return drop(&mut w);
    }
    if w.eat("TRUNCATE") {
        w.eat("TABLE");
        return Op::Truncate(w.names().into_iter().map(Name::from).collect());
    }
    if w.eat_all(&["ALTER", "TABLE"]) {
        return alter_table(&mut w);
    }
    if w.eat("ALTER") {
        return alter_object(&mut w);
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

fn create(w: &mut Walk<'_>) -> Op {
    w.eat_all(&["OR", "REPLACE"]);
    w.eat("UNIQUE");
    if w.eat("INDEX") {
        let concurrently = w.eat("CONCURRENTLY");
        w.eat_all(&["IF", "NOT", "EXISTS"]);
        let index = if w.is_word(w.position(), "ON") {
            None
        } else {
            w.qualified().map(Name::from)
        };
        w.eat("ON");
        w.eat("ONLY");
        return match w.qualified() {
            Some(t) => Op::CreateIndex {
                table: Name::from(t),
                index,
                concurrently,
            },
            None => Op::Other,
        };
    }
    let temporary = w.eat("TEMP") || w.eat("TEMPORARY");
    w.eat("UNLOGGED");
    if w.eat("TABLE") {
        w.eat_all(&["IF", "NOT", "EXISTS"]);
        let Some(table) = w.qualified().map(Name::from) else {
            return Op::Other;
        };
        return Op::CreateTable {
            table,
            columns: columns(w.tokens()),
            temporary,
        };
    }
    for (kind, words) in KINDS {
        if w.eat_all(words) {
            w.eat_all(&["IF", "NOT", "EXISTS"]);
            return match w.qualified() {
                Some(n) => Op::Create {
                    kind,
                    name: Name {
                        args: signature(w),
                        ..Name::from(n)
                    },
                },
                None => Op::Other,
            };
        }
    }
    Op::Other
}

/// Column names and types of a `CREATE TABLE name (...)`.
fn columns(toks: &[(TokenKind, &str)]) -> Vec<(String, String)> {
    let Some(open) = toks.iter().position(|t| t.1 == "(") else {
        return Vec::new();
    };
    let mut depth = 0usize;
    let mut close = toks.len();
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.1 {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &toks[open + 1..close.max(open + 1)];
    split_commas(inner)
        .into_iter()
        .filter_map(|item| {
            let first = item.first()?;
            let constraint = [
                "CONSTRAINT",
                "PRIMARY",
                "UNIQUE",
                "CHECK",
                "FOREIGN",
                "EXCLUDE",
                "LIKE",
            ]
            .iter()
            .any(|k| word(first, k));
            (!constraint).then(|| (ident_text(first), type_text(&item[1..])))
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

/// The argument types of the `(...)` that comes next, as PostgreSQL tells overloads apart:
/// input arguments only, their names, modes and defaults left out, type aliases and
/// modifiers folded to the names `oidvectortypes` gives (`(a int4, OUT b text, c varchar(5)
/// DEFAULT 'x')` is `integer, character varying`). `None`, nothing read, without `(`.
fn signature(w: &mut Walk<'_>) -> Option<String> {
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
pub fn cascade(sql: &str) -> bool {
    let w = Walk::new(sql);
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

fn alter_table(w: &mut Walk<'_>) -> Op {
    w.eat_all(&["IF", "EXISTS"]);
    w.eat("ONLY");
    let Some(table) = w.qualified().map(Name::from) else {
        return Op::Other;
    };
    w.eat_symbol("*");
    let toks = w.tokens();
    let start = toks.len() - w.remaining();
    let actions = split_commas(&toks[start..])
        .into_iter()
        .map(action)
        .collect();
    Op::AlterTable { table, actions }
}

fn action(t: &[(TokenKind, &str)]) -> Action {
    let at = |i: usize, w: &str| t.get(i).is_some_and(|x| word(x, w));
    if at(0, "ADD") {
        let mut i = 1;
        if at(i, "CONSTRAINT") {
            let name = t.get(i + 1).map(ident_text);
            return constraint(&t[i + 2..], name);
        }
        if ["PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"]
            .iter()
            .any(|k| at(i, k))
        {
            return constraint(&t[i..], None);
        }
        if at(i, "COLUMN") {
            i += 1;
        }
        if at(i, "IF") && at(i + 1, "NOT") && at(i + 2, "EXISTS") {
            i += 3;
        }
        let Some(col) = t.get(i) else {
            return Action::Other;
        };
        let rest = t[i + 1..]
            .iter()
            .map(|x| x.1.to_ascii_uppercase())
            .collect();
        return Action::AddColumn {
            column: ident_text(col),
            column_type: type_text(&t[i + 1..]),
            rest,
        };
    }
    if at(0, "ALTER") {
        let mut i = 1;
        if at(i, "COLUMN") {
            i += 1;
        }
        let Some(col) = t.get(i).map(ident_text) else {
            return Action::Other;
        };
        let j = i + 1;
        if at(j, "SET") && at(j + 1, "NOT") && at(j + 2, "NULL") {
            return Action::SetNotNull(col);
        }
        let ty = if at(j, "TYPE") {
            Some(j + 1)
        } else if at(j, "SET") && at(j + 1, "DATA") && at(j + 2, "TYPE") {
            Some(j + 3)
        } else {
            None
        };
        if let Some(k) = ty {
            return Action::AlterType {
                column: col,
                new_type: type_text(&t[k..]),
            };
        }
        return Action::Other;
    }
    if at(0, "VALIDATE") && at(1, "CONSTRAINT") {
        return t
            .get(2)
            .map_or(Action::Other, |n| Action::ValidateConstraint(ident_text(n)));
    }
    if at(0, "DROP") {
        if at(1, "CONSTRAINT") {
            let k = if at(2, "IF") { 4 } else { 2 };
            return t
                .get(k)
                .map_or(Action::Other, |n| Action::DropConstraint(ident_text(n)));
        }
        let mut k = 1;
        if at(k, "COLUMN") {
            k += 1;
        }
        if at(k, "IF") && at(k + 1, "EXISTS") {
            k += 2;
        }
        return t
            .get(k)
            .map_or(Action::Other, |n| Action::DropColumn(ident_text(n)));
    }
    // Renaming a constraint breaks no query; renaming the table or a column does.
    if at(0, "RENAME") && !at(1, "CONSTRAINT") {
        let name = |i: usize| t.get(i).map(ident_text).unwrap_or_default();
        if at(1, "TO") {
            return Action::RenameTable(name(2));
        }
        let from = if at(1, "COLUMN") { 2 } else { 1 };
        return Action::RenameColumn(name(from), name(from + 2));
    }
    if at(0, "SET") && (at(1, "LOGGED") || at(1, "UNLOGGED")) {
        return Action::SetLogged;
    }
    Action::Other
}

fn constraint(t: &[(TokenKind, &str)], name: Option<String>) -> Action {
    let at = |i: usize, w: &str| t.get(i).is_some_and(|x| word(x, w));
    let kind = if at(0, "FOREIGN") {
        ConstraintKind::ForeignKey
    } else if at(0, "CHECK") {
        // `CHECK (col IS NOT NULL)`: the proof that lets SET NOT NULL skip its scan.
        let inner: Vec<&(TokenKind, &str)> = t
            .iter()
            .skip_while(|x| x.1 != "(")
            .skip(1)
            .take_while(|x| x.1 != ")")
            .collect();
        let proves = (inner.len() == 4
            && word(inner[1], "IS")
            && word(inner[2], "NOT")
            && word(inner[3], "NULL"))
        .then(|| ident_text(inner[0]));
        ConstraintKind::Check(proves)
    } else if at(0, "UNIQUE") {
        ConstraintKind::Unique
    } else if at(0, "PRIMARY") {
        ConstraintKind::PrimaryKey
    } else {
        ConstraintKind::Exclude
    };
    Action::AddConstraint {
        name,
        kind,
        not_valid: t
            .windows(2)
            .any(|p| word(&p[0], "NOT") && word(&p[1], "VALID")),
        // `USING INDEX TABLESPACE` only places a new index; `USING INDEX name` adopts one.
        using_index: t
            .windows(3)
            .any(|p| word(&p[0], "USING") && word(&p[1], "INDEX") && !word(&p[2], "TABLESPACE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
