//! Which rows a `DELETE` removes, as a query the copy can run right before it: the rows'
//! `(tableoid, ctid)` chosen by the statement's own `USING` and `WHERE`, so the copy holds
//! exactly the rows the statement then deletes in the same transaction.

use crate::sql::{Token, TokenKind, tokens};

/// The rows a DELETE chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// Every row of the table.
    All,
    /// `SELECT q.tableoid, q.ctid FROM ...` choosing them.
    Query(String),
}

/// What `sql`, a `DELETE FROM ...`, removes; `None` when it is not one pgstep can read
/// (`WHERE CURRENT OF`, a `WITH` before it, text it does not understand).
pub fn chosen(sql: &str) -> Option<Chosen> {
    let toks: Vec<Token> = tokens(sql)
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .collect();
    let word = |i: usize, w: &str| {
        toks.get(i).is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Keyword | TokenKind::Identifier | TokenKind::Type
            ) && t.text(sql).eq_ignore_ascii_case(w)
        })
    };
    let name_like = |i: usize| {
        toks.get(i).is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Keyword
                    | TokenKind::Identifier
                    | TokenKind::Type
                    | TokenKind::QuotedIdentifier
            )
        })
    };
    let symbol = |i: usize, s: &str| {
        toks.get(i).is_some_and(|t| {
            matches!(t.kind, TokenKind::Punctuation | TokenKind::Operator) && t.text(sql) == s
        })
    };
    if !(word(0, "DELETE") && word(1, "FROM")) {
        return None;
    }
    let from_start = toks[2..].first()?.span.start;
    let mut i = 2;
    if word(i, "ONLY") {
        i += 1;
    }
    if !name_like(i) {
        return None;
    }
    let mut last = i;
    i += 1;
    while symbol(i, ".") && name_like(i + 1) {
        last = i + 1;
        i += 2;
    }
    if symbol(i, "*") {
        i += 1;
    }
    let from_end = toks[i - 1].span.end;
    let clause = |i: usize| ["USING", "WHERE", "RETURNING"].iter().any(|w| word(i, w));
    let mut qualifier = toks[last].text(sql);
    let mut alias = "";
    if word(i, "AS") && name_like(i + 1) {
        qualifier = toks[i + 1].text(sql);
        alias = &sql[toks[i].span.start..toks[i + 1].span.end];
        i += 2;
    } else if name_like(i) && !clause(i) {
        qualifier = toks[i].text(sql);
        alias = qualifier;
        i += 1;
    }
    let end = top_level_end(sql, &toks, i);
    if i >= toks.len() || word(i, "RETURNING") || symbol(i, ";") {
        return Some(Chosen::All);
    }
    if word(i, "WHERE") && word(i + 1, "CURRENT") && word(i + 2, "OF") {
        return None;
    }
    let rest = &sql[toks[i].span.start..end];
    let rest = if word(i, "USING") {
        format!(",{}", &rest[toks[i].span.len()..])
    } else if word(i, "WHERE") {
        rest.to_string()
    } else {
        return None;
    };
    Some(Chosen::Query(format!(
        "SELECT {qualifier}.tableoid, {qualifier}.ctid FROM {} {alias} {rest}",
        &sql[from_start..from_end]
    )))
}

/// Where the statement's text ends before a top-level `RETURNING` or `;`, from token `from`.
fn top_level_end(sql: &str, toks: &[Token], from: usize) -> usize {
    let mut depth = 0usize;
    for t in toks.iter().skip(from) {
        let text = t.text(sql);
        match t.kind {
            TokenKind::Punctuation if text == "(" || text == "[" => depth += 1,
            TokenKind::Punctuation if text == ")" || text == "]" => depth = depth.saturating_sub(1),
            TokenKind::Punctuation if text == ";" && depth == 0 => return t.span.start,
            TokenKind::Keyword | TokenKind::Identifier
                if depth == 0 && text.eq_ignore_ascii_case("RETURNING") =>
            {
                return t.span.start;
            }
            _ => {}
        }
    }
    toks.last().map_or(sql.len(), |t| t.span.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletes_read_as_the_rows_they_choose() {
        let q = |s: &str| Some(Chosen::Query(s.to_string()));
        let cases = [
            ("DELETE FROM t", Some(Chosen::All)),
            ("delete from only s.t * returning id", Some(Chosen::All)),
            (
                "DELETE FROM t WHERE id > 5 RETURNING id",
                q("SELECT t.tableoid, t.ctid FROM t  WHERE id > 5 "),
            ),
            (
                "DELETE FROM user_candidate_assignments a\nUSING candidates c\nWHERE a.candidate_id = c.id",
                q(
                    "SELECT a.tableoid, a.ctid FROM user_candidate_assignments a , \
                     candidates c\nWHERE a.candidate_id = c.id",
                ),
            ),
            (
                "DELETE FROM s.\"T\" AS x WHERE x.v IN (SELECT 1 RETURNING) ;",
                q("SELECT x.tableoid, x.ctid FROM s.\"T\" AS x WHERE x.v IN (SELECT 1 RETURNING) "),
            ),
            ("DELETE FROM t WHERE CURRENT OF c", None),
            ("WITH x AS (SELECT 1) DELETE FROM t", None),
            ("DELETE FROM", None),
        ];
        for (sql, want) in cases {
            assert_eq!(chosen(sql), want, "{sql}");
        }
    }
}
