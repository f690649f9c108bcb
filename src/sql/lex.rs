//! A tokenizer for highlighting SQL as it is typed. It never fails: an unterminated string,
//! comment or dollar quote runs to the end of the text, because text being edited is
//! incomplete most of the time.
//!
//! Quoting follows the splitter (`standard_conforming_strings` on), so what is coloured as a
//! string is what the splitter passes over as one.

use std::ops::Range;

use memchr::{memchr, memchr2};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    /// A built-in type name such as `integer` or `timestamptz`.
    Type,
    Identifier,
    /// `"name"` or `U&"name"`.
    QuotedIdentifier,
    /// `'...'`, `E'...'`, `U&'...'`, `B'...'`, `X'...'`, `N'...'` or `$tag$...$tag$`.
    String,
    Number,
    /// `-- ...` up to the end of its line, or a nested `/* ... */`.
    Comment,
    Operator,
    /// `( ) [ ] , ; . :`
    Punctuation,
    /// `$1`
    Parameter,
    Whitespace,
    /// A byte SQL has no use for, such as a backslash or a lone `$`.
    Other,
}

/// A run of the text; the tokens of a text tile it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.span.clone()]
    }
}

/// The tokens of `text`, from its first byte to its last.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, pos: 0 }
}

pub struct Tokens<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let start = self.pos;
        if start >= self.text.len() {
            return None;
        }
        let (kind, end) = token_at(self.text.as_bytes(), start);
        self.pos = end;
        Some(Token {
            kind,
            span: start..end,
        })
    }
}

/// The token starting at `start` and where it ends. Every end is the end of the text or just
/// past an ASCII byte, so spans fall on character boundaries.
fn token_at(b: &[u8], start: usize) -> (TokenKind, usize) {
    use TokenKind::*;
    let next = b.get(start + 1).copied();
    match b[start] {
        c if is_space(c) => (Whitespace, run(b, start, is_space)),
        b'-' if next == Some(b'-') => {
            let end = memchr2(b'\n', b'\r', &b[start..]).map_or(b.len(), |i| start + i);
            (Comment, end)
        }
        b'/' if next == Some(b'*') => (Comment, block_comment_end(b, start)),
        b'\'' => (String, quoted_end(b, start + 1, b'\'', false)),
        b'"' => (QuotedIdentifier, quoted_end(b, start + 1, b'"', false)),
        b'$' => dollar(b, start),
        b'0'..=b'9' => (Number, number_end(b, start)),
        b'.' if next.is_some_and(|c| c.is_ascii_digit()) => (Number, number_end(b, start)),
        b':' if matches!(next, Some(b':' | b'=')) => (Operator, start + 2),
        b'(' | b')' | b'[' | b']' | b',' | b';' | b'.' | b':' => (Punctuation, start + 1),
        c if is_operator(c) => (Operator, operator_end(b, start)),
        c if is_ident_start(c) => word(b, start),
        _ => (Other, start + 1),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_operator(b: u8) -> bool {
    b"+-*/<>=~!@#%^&|`?".contains(&b)
}

/// The end of the run of bytes from `from` that satisfy `pred`.
fn run(b: &[u8], from: usize, pred: fn(u8) -> bool) -> usize {
    from + b[from..].iter().take_while(|&&c| pred(c)).count()
}

fn block_comment_end(b: &[u8], start: usize) -> usize {
    let mut depth = 0u32;
    let mut i = start;
    while let Some(off) = memchr2(b'*', b'/', &b[i..]) {
        let at = i + off;
        match (b[at], b.get(at + 1)) {
            (b'/', Some(b'*')) => depth += 1,
            (b'*', Some(b'/')) => {
                depth -= 1;
                if depth == 0 {
                    return at + 2;
                }
            }
            _ => {
                i = at + 1;
                continue;
            }
        }
        i = at + 2;
    }
    b.len()
}

/// The end of a quoted run whose body starts at `from`: just past the `close` that is neither
/// doubled nor, with `escapes`, after a backslash.
fn quoted_end(b: &[u8], from: usize, close: u8, escapes: bool) -> usize {
    let mut i = from;
    loop {
        let found = if escapes {
            memchr2(close, b'\\', &b[i..])
        } else {
            memchr(close, &b[i..])
        };
        let Some(off) = found else { return b.len() };
        let at = i + off;
        if b[at] == b'\\' {
            i = (at + 2).min(b.len());
        } else if b.get(at + 1) == Some(&close) {
            i = at + 2;
        } else {
            return at + 1;
        }
    }
}

/// `$1`, or a dollar quote when a tag and a second `$` follow.
fn dollar(b: &[u8], start: usize) -> (TokenKind, usize) {
    let rest = &b[start + 1..];
    if rest.first().is_some_and(u8::is_ascii_digit) {
        return (
            TokenKind::Parameter,
            run(b, start + 1, |c| c.is_ascii_digit()),
        );
    }
    let tag = match rest.first() {
        Some(&c) if is_ident_start(c) => rest
            .iter()
            .take_while(|&&c| is_ident_cont(c) && c != b'$')
            .count(),
        _ => 0,
    };
    if rest.get(tag) != Some(&b'$') {
        return (TokenKind::Other, start + 1);
    }
    let delim = &b[start..start + tag + 2];
    let mut i = start + delim.len();
    while let Some(off) = memchr(b'$', &b[i..]) {
        let at = i + off;
        if b[at..].starts_with(delim) {
            return (TokenKind::String, at + delim.len());
        }
        i = at + 1;
    }
    (TokenKind::String, b.len())
}

/// Trailing identifier characters are taken into the number as the splitter does (psql reads
/// them as junk), so `1$$` opens no dollar quote.
fn number_end(b: &[u8], start: usize) -> usize {
    if b[start] == b'0'
        && matches!(
            b.get(start + 1),
            Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
        )
    {
        return run(b, start, is_ident_cont);
    }
    let digits = |from: usize| run(b, from, |c| c.is_ascii_digit() || c == b'_');
    let mut i = digits(start);
    if b.get(i) == Some(&b'.') && b.get(i + 1) != Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let end = digits(i + 1 + sign);
        if end > i + 1 + sign {
            i = end;
        }
    }
    run(b, i, is_ident_cont)
}

/// An operator stops where a comment starts, as in `a=--x`.
fn operator_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() && is_operator(b[i]) {
        if matches!(
            (b[i], b.get(i + 1)),
            (b'-', Some(b'-')) | (b'/', Some(b'*'))
        ) {
            break;
        }
        i += 1;
    }
    i
}

/// A word, or a string or quoted identifier with a prefix such as `E'` or `U&"`.
fn word(b: &[u8], start: usize) -> (TokenKind, usize) {
    let quoted = |prefix: usize, close: u8, escapes: bool| {
        let kind = if close == b'"' {
            TokenKind::QuotedIdentifier
        } else {
            TokenKind::String
        };
        (kind, quoted_end(b, start + prefix, close, escapes))
    };
    match (
        b[start].to_ascii_lowercase(),
        b.get(start + 1),
        b.get(start + 2),
    ) {
        (b'e', Some(b'\''), _) => return quoted(2, b'\'', true),
        (b'b' | b'x' | b'n', Some(b'\''), _) => return quoted(2, b'\'', false),
        (b'u', Some(b'&'), Some(&q @ (b'\'' | b'"'))) => return quoted(3, q, false),
        _ => {}
    }
    let end = run(b, start, is_ident_cont);
    (classify(&b[start..end]), end)
}

/// Longer than any keyword or type name.
const WORD_MAX: usize = 24;

/// A word of up to [`WORD_MAX`] bytes as three big-endian integers, zero-padded. Ordered as
/// its bytes are (no keyword holds a zero byte), so the sorted lists stay sorted; a search
/// then compares integers instead of calling `memcmp` for every probe of every word, which
/// was the largest single cost of linting 1,000 files.
type Packed = [u64; 3];

const fn pack(word: &[u8]) -> Packed {
    let mut out = [0u64; 3];
    let mut i = 0;
    while i < word.len() {
        out[i / 8] |= (word[i] as u64) << (56 - 8 * (i % 8));
        i += 1;
    }
    out
}

const fn pack_all<const N: usize>(list: &[&str]) -> [Packed; N] {
    let mut out = [[0u64; 3]; N];
    let mut i = 0;
    while i < N {
        out[i] = pack(list[i].as_bytes());
        i += 1;
    }
    out
}

const KEYWORDS_PACKED: [Packed; KEYWORDS.len()] = pack_all(KEYWORDS);
const TYPES_PACKED: [Packed; TYPES.len()] = pack_all(TYPES);

fn classify(word: &[u8]) -> TokenKind {
    let mut upper = [0u8; WORD_MAX];
    if word.len() > upper.len() || !word.is_ascii() {
        return TokenKind::Identifier;
    }
    let upper = &mut upper[..word.len()];
    upper.copy_from_slice(word);
    upper.make_ascii_uppercase();
    let key = pack(upper);
    if KEYWORDS_PACKED.binary_search(&key).is_ok() {
        TokenKind::Keyword
    } else if TYPES_PACKED.binary_search(&key).is_ok() {
        TokenKind::Type
    } else {
        TokenKind::Identifier
    }
}

/// PostgreSQL's reserved keywords and the unreserved ones migrations use, sorted.
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    "ABORT", "ACCESS", "ACTION", "ADD", "ADMIN", "AFTER", "AGGREGATE", "ALL", "ALSO", "ALTER",
    "ALWAYS", "ANALYSE", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "ASYMMETRIC", "AT",
    "ATOMIC", "ATTACH", "AUTHORIZATION", "BEFORE", "BEGIN", "BETWEEN", "BOTH", "BY", "CACHE",
    "CALL", "CALLED", "CASCADE", "CASE", "CAST", "CHECK", "CHECKPOINT", "CLUSTER", "COLLATE",
    "COLLATION", "COLUMN", "COLUMNS", "COMMENT", "COMMIT", "COMMITTED", "CONCURRENTLY", "CONFLICT",
    "CONSTRAINT", "CONSTRAINTS", "CONTINUE", "COPY", "COST", "CREATE", "CROSS", "CSV", "CUBE",
    "CURRENT", "CURRENT_DATE", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "CURRENT_USER", "CURSOR", "CYCLE", "DATA", "DATABASE", "DEALLOCATE",
    "DECLARE", "DEFAULT", "DEFAULTS", "DEFERRABLE", "DEFERRED", "DEFINER", "DELETE", "DELIMITER",
    "DEPENDS", "DESC", "DETACH", "DISABLE", "DISCARD", "DISTINCT", "DO", "DOMAIN", "DROP", "EACH",
    "ELSE", "ENABLE", "ENCODING", "END", "ENUM", "ESCAPE", "EVENT", "EXCEPT", "EXCLUDE",
    "EXCLUDING", "EXCLUSIVE", "EXECUTE", "EXISTS", "EXPLAIN", "EXPRESSION", "EXTENSION",
    "EXTERNAL", "EXTRACT", "FALSE", "FETCH", "FILTER", "FIRST", "FOLLOWING", "FOR", "FORCE",
    "FOREIGN", "FREEZE", "FROM", "FULL", "FUNCTION", "FUNCTIONS", "GENERATED", "GLOBAL", "GRANT",
    "GRANTED", "GROUP", "GROUPING", "HANDLER", "HAVING", "HOLD", "IDENTITY", "IF", "ILIKE",
    "IMMUTABLE", "IMPORT", "IN", "INCLUDE", "INCLUDING", "INCREMENT", "INDEX", "INDEXES",
    "INHERIT", "INHERITS", "INITIALLY", "INLINE", "INNER", "INOUT", "INPUT", "INSERT", "INSTEAD",
    "INTERSECT", "INTO", "INVOKER", "IS", "ISNULL", "ISOLATION", "JOIN", "KEY", "LANGUAGE", "LAST",
    "LATERAL", "LEADING", "LEAKPROOF", "LEFT", "LEVEL", "LIKE", "LIMIT", "LISTEN", "LOCAL",
    "LOCALTIME", "LOCALTIMESTAMP", "LOCK", "LOCKED", "LOGGED", "MATCH", "MATCHED", "MATERIALIZED",
    "MAXVALUE", "MERGE", "METHOD", "MINVALUE", "MODE", "NATURAL", "NEW", "NEXT", "NO", "NONE",
    "NOT", "NOTHING", "NOTIFY", "NOTNULL", "NOWAIT", "NULL", "NULLS", "OF", "OFF", "OFFSET",
    "OIDS", "OLD", "ON", "ONLY", "OPERATOR", "OPTION", "OPTIONS", "OR", "ORDER", "ORDINALITY",
    "OTHERS", "OUT", "OUTER", "OVER", "OVERLAPS", "OVERRIDING", "OWNED", "OWNER", "PARALLEL",
    "PARTITION", "PASSWORD", "PLACING", "PLANS", "POLICY", "PRECEDING", "PREPARE", "PREPARED",
    "PRESERVE", "PRIMARY", "PRIVILEGES", "PROCEDURAL", "PROCEDURE", "PROCEDURES", "PUBLICATION",
    "RANGE", "READ", "REASSIGN", "RECURSIVE", "REF", "REFERENCES", "REFERENCING", "REFRESH",
    "REINDEX", "RELEASE", "RENAME", "REPEATABLE", "REPLACE", "REPLICA", "RESET", "RESTART",
    "RESTRICT", "RETURN", "RETURNING", "RETURNS", "REVOKE", "RIGHT", "ROLE", "ROLLBACK", "ROLLUP",
    "ROUTINE", "ROUTINES", "ROW", "ROWS", "RULE", "SAVEPOINT", "SCHEMA", "SCHEMAS", "SECURITY",
    "SELECT", "SEQUENCE", "SEQUENCES", "SERIALIZABLE", "SERVER", "SESSION", "SESSION_USER", "SET",
    "SETOF", "SETS", "SHARE", "SHOW", "SIMILAR", "SIMPLE", "SKIP", "SOME", "STABLE", "STATEMENT",
    "STATISTICS", "STDIN", "STDOUT", "STORAGE", "STORED", "STRICT", "SUBSCRIPTION", "SYMMETRIC",
    "SYSTEM", "TABLE", "TABLES", "TABLESAMPLE", "TABLESPACE", "TEMP", "TEMPLATE", "TEMPORARY",
    "THEN", "TIES", "TO", "TRAILING", "TRANSACTION", "TRIGGER", "TRUE", "TRUNCATE", "TRUSTED",
    "TYPE", "TYPES", "UNBOUNDED", "UNCOMMITTED", "UNION", "UNIQUE", "UNLISTEN", "UNLOGGED",
    "UNTIL", "UPDATE", "USER", "USING", "VACUUM", "VALID", "VALIDATE", "VALUE", "VALUES",
    "VARIADIC", "VERBOSE", "VERSION", "VIEW", "VIEWS", "VOLATILE", "WHEN", "WHERE", "WINDOW",
    "WITH", "WITHIN", "WITHOUT", "WORK", "WRAPPER", "WRITE", "ZONE",
];

/// Built-in type names, sorted; none is also in `KEYWORDS`.
#[rustfmt::skip]
const TYPES: &[&str] = &[
    "BIGINT", "BIGSERIAL", "BIT", "BOOL", "BOOLEAN", "BOX", "BYTEA", "CHAR", "CHARACTER", "CIDR",
    "CIRCLE", "DATE", "DATERANGE", "DECIMAL", "DOUBLE", "FLOAT", "FLOAT4", "FLOAT8", "INET", "INT",
    "INT2", "INT4", "INT4RANGE", "INT8", "INT8RANGE", "INTEGER", "INTERVAL", "JSON", "JSONB",
    "JSONPATH", "LINE", "LSEG", "MACADDR", "MACADDR8", "MONEY", "NUMERIC", "NUMRANGE", "OID",
    "PATH", "POINT", "POLYGON", "PRECISION", "REAL", "REGCLASS", "REGPROC", "REGTYPE", "SERIAL",
    "SERIAL2", "SERIAL4", "SERIAL8", "SMALLINT", "SMALLSERIAL", "TEXT", "TIME", "TIMESTAMP",
    "TIMESTAMPTZ", "TIMETZ", "TSQUERY", "TSRANGE", "TSTZRANGE", "TSVECTOR", "UUID", "VARBIT",
    "VARCHAR", "VARYING", "XML",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_lists_are_sorted_upper_case_disjoint_and_fit_the_buffer() {
        for list in [KEYWORDS, TYPES] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
            assert!(
                list.iter()
                    .all(|w| w.len() <= WORD_MAX && *w == w.to_ascii_uppercase())
            );
        }
        assert!(KEYWORDS.iter().all(|k| TYPES.binary_search(k).is_err()));
        for list in [&KEYWORDS_PACKED[..], &TYPES_PACKED[..]] {
            assert!(list.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn every_listed_word_is_found_in_any_case_and_others_are_not() {
        for k in KEYWORDS {
            assert_eq!(classify(k.as_bytes()), TokenKind::Keyword, "{k}");
            assert_eq!(
                classify(k.to_lowercase().as_bytes()),
                TokenKind::Keyword,
                "{k}"
            );
        }
        for t in TYPES {
            assert_eq!(classify(t.as_bytes()), TokenKind::Type, "{t}");
        }
        for w in ["A", "ASCX", "AS_", "users", "INT9", "TIMESTAMPTZZ", "é"] {
            assert_eq!(classify(w.as_bytes()), TokenKind::Identifier, "{w}");
        }
    }
}
