//! What a check may be: one query that only reads, as the session that runs it reads the text.

use super::classify::leading_words;
use super::split::{Piece, SplitError, SplitOptions, scan};

/// Why a check's text is not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAQuery {
    #[error("refused: the text cannot be read ({0})")]
    Unreadable(SplitError),
    #[error("refused: a check is one query, and this text holds none")]
    Empty,
    #[error(
        "refused: a check is one query, and with standard_conforming_strings = {scs} the server \
         reads this text as {count} statements"
    )]
    Many { count: usize, scs: &'static str },
    #[error(
        "refused: a check is one query that only reads (SELECT, WITH, VALUES, TABLE or SHOW), \
         not {0}"
    )]
    NotRead(String),
    #[error(
        "refused: a check may not use `{0}`: it changes the session, runs SQL given as text, or \
         acts where a rollback cannot undo it"
    )]
    Forbidden(&'static str),
}

/// The statements a check may be, by first word.
const QUERIES: &[&str] = &["SELECT", "WITH", "VALUES", "TABLE", "SHOW"];

/// Names a check may not mention, even in a string or a comment: found in the raw text, so
/// no quoting or setting changes whether they are seen. `set_config` can switch the role back
/// to the operator or the transaction to read-write for the rest of the statement; the SQL
/// given as text to `query_to_xml`, `ts_stat` and `ts_rewrite` is beyond any look at this
/// text; `u&"` spells an identifier (such as one of these) in escapes; the rest act outside
/// the transaction, so rolling it back would not undo them.
const FORBIDDEN: &[&str] = &[
    "set_config",
    "query_to_xml",
    "ts_stat",
    "ts_rewrite",
    "u&\"",
    "dblink",
    "pg_advisory",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "replication_slot",
    "replication_origin",
    "pg_stat_reset",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_switch_wal",
    "pg_promote",
    "pg_logical_emit_message",
    "lo_export",
    "lo_import",
];

/// The one query of `text` as the server will read it (with `options` being the session's
/// settings), or why it is not a check. Nothing is sent anywhere.
pub fn one_query(text: &str, options: SplitOptions) -> Result<&str, NotAQuery> {
    let mut statements = Vec::new();
    scan(text, 0, options, &|_| false, &mut |p| {
        if let Piece::Statement(s) = p {
            statements.push(s);
        }
    })
    .map_err(NotAQuery::Unreadable)?;
    let statement = match statements.as_slice() {
        [] => return Err(NotAQuery::Empty),
        [one] => one.sql(text),
        many => {
            return Err(NotAQuery::Many {
                count: many.len(),
                scs: if options.standard_conforming_strings {
                    "on"
                } else {
                    "off"
                },
            });
        }
    };
    let first = leading_words(statement, 1).into_iter().next();
    match first {
        Some(w) if QUERIES.contains(&w.as_str()) => {}
        Some(w) => return Err(NotAQuery::NotRead(w)),
        None => return Err(NotAQuery::Empty),
    }
    let lower = text.to_ascii_lowercase();
    if let Some(name) = FORBIDDEN.iter().find(|n| lower.contains(*n)) {
        return Err(NotAQuery::Forbidden(name));
    }
    Ok(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: SplitOptions = SplitOptions {
        standard_conforming_strings: true,
    };
    const OFF: SplitOptions = SplitOptions {
        standard_conforming_strings: false,
    };

    #[test]
    fn queries_pass_whole() {
        for sql in [
            "SELECT 1",
            "  -- why\nselect count(*) FROM t;",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "VALUES (1)",
            "TABLE t",
            "SHOW work_mem",
            "(SELECT 1) UNION (SELECT 2)",
            "SELECT 'COMMIT; DROP TABLE t'",
        ] {
            let one = one_query(sql, ON).unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(!one.ends_with(';') && one.len() <= sql.len(), "{sql}");
        }
    }

    #[test]
    fn the_reading_follows_standard_conforming_strings() {
        let sql = "SELECT 'a\\'; COMMIT; INSERT INTO t VALUES (1); SELECT 1 --'";
        assert_eq!(one_query(sql, OFF), Ok(sql));
        let e = one_query(sql, ON).unwrap_err();
        assert_eq!(
            e,
            NotAQuery::Many {
                count: 4,
                scs: "on"
            }
        );
        assert!(e.to_string().contains("as 4 statements"), "{e}");
    }

    #[test]
    fn everything_else_is_refused() {
        for (sql, word) in [
            ("COMMIT", "COMMIT"),
            ("begin read write", "BEGIN"),
            ("SET transaction_read_only = off", "SET"),
            ("RESET ROLE", "RESET"),
            ("SET ROLE postgres", "SET"),
            ("SET SESSION AUTHORIZATION DEFAULT", "SET"),
            ("DEALLOCATE ALL", "DEALLOCATE"),
            ("DISCARD ALL", "DISCARD"),
            ("LISTEN x", "LISTEN"),
            ("COPY (SELECT 1) TO PROGRAM 'touch /tmp/x'", "COPY"),
            ("LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "LOCK"),
            ("INSERT INTO t VALUES (1)", "INSERT"),
            ("EXPLAIN ANALYZE DELETE FROM t", "EXPLAIN"),
            ("PREPARE TRANSACTION 'x'", "PREPARE"),
            ("DO $$ BEGIN END $$", "DO"),
            ("CALL p()", "CALL"),
        ] {
            assert_eq!(
                one_query(sql, ON),
                Err(NotAQuery::NotRead(word.into())),
                "{sql}"
            );
        }
        assert_eq!(one_query("", ON), Err(NotAQuery::Empty));
        assert_eq!(one_query("-- nothing\n;", ON), Err(NotAQuery::Empty));
        assert!(matches!(
            one_query("SELECT 'open", ON),
            Err(NotAQuery::Unreadable(_))
        ));
    }

    #[test]
    fn acting_functions_are_refused_however_spelled() {
        for (sql, name) in [
            ("SELECT set_config('role', 'none', false)", "set_config"),
            (
                "SELECT pg_catalog.\"set_config\"('role', 'none', false)",
                "set_config",
            ),
            (
                "SELECT U&\"\\0073et_config\"('role', 'none', false)",
                "u&\"",
            ),
            (
                "SELECT query_to_xml('SELECT 1', true, false, '')",
                "query_to_xml",
            ),
            ("SELECT PG_TERMINATE_BACKEND(42)", "pg_terminate_backend"),
            (
                "SELECT pg_create_physical_replication_slot('s')",
                "replication_slot",
            ),
            ("SELECT pg_stat_reset()", "pg_stat_reset"),
            ("SELECT pg_advisory_unlock_all()", "pg_advisory"),
            ("SELECT dblink_exec('', 'DROP TABLE t')", "dblink"),
            (
                "WITH x AS (SELECT lo_export(1, '/tmp/x')) TABLE x",
                "lo_export",
            ),
        ] {
            assert_eq!(one_query(sql, ON), Err(NotAQuery::Forbidden(name)), "{sql}");
        }
    }
}
