//! `CREATE ...`: the object a statement creates, and a new table's columns and their types.

use super::signature::signature;
use super::{KINDS, Name, Op, ident_text, split_commas, word};
use crate::sql::{TokenKind, Walk};

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
pub(super) fn type_text(raw: &[(TokenKind, &str)]) -> String {
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
pub(super) fn create(w: &mut Walk<'_>) -> Op {
    w.eat_all(&["OR", "REPLACE"]);
    w.eat("UNIQUE");
    if w.eat("INDEX") {
        let concurrently = w.eat("CONCURRENTLY");
        let if_not_exists = w.eat_all(&["IF", "NOT", "EXISTS"]);
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
                if_not_exists,
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
