//! What a statement is, from its leading words: enough to know how it must be run.

/// The statement's words in upper case, skipping comments, quoted text and punctuation, up to
/// `limit` words.
pub fn leading_words(sql: &str, limit: usize) -> Vec<String> {
    words(sql)
        .take(limit)
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The statement's words as written, skipping comments, quoted text and punctuation: slices
/// of `sql`, so a caller comparing them without regard to case copies nothing.
fn words(sql: &str) -> impl Iterator<Item = &str> {
    let b = sql.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            match b[i] {
                b'-' if b.get(i + 1) == Some(&b'-') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    let mut depth = 0u32;
                    while i < b.len() {
                        if b[i..].starts_with(b"/*") {
                            depth += 1;
                            i += 2;
                        } else if b[i..].starts_with(b"*/") {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                }
                b'\'' | b'"' => {
                    let q = b[i];
                    i += 1;
                    while i < b.len() && b[i] != q {
                        i += 1;
                    }
                    i += 1;
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    let start = i;
                    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                        i += 1;
                    }
                    return Some(&sql[start..i]);
                }
                _ => i += 1,
            }
        }
        None
    })
}

/// Whether PostgreSQL refuses to run the statement inside a transaction block
/// (`CREATE INDEX CONCURRENTLY`, `VACUUM`, `ALTER SYSTEM`, ...). Asked of every statement of
/// every transactional phase the linter reads: its first words are compared in place.
pub fn needs_autocommit(sql: &str) -> bool {
    let mut w = [""; 12];
    let mut n = 0;
    for word in words(sql).take(w.len()) {
        w[n] = word;
        n += 1;
    }
    let w = &w[..n];
    let at = |i: usize, word: &str| w.get(i).is_some_and(|x| x.eq_ignore_ascii_case(word));
    let has = |word: &str| w.iter().any(|x| x.eq_ignore_ascii_case(word));
    let second = |words: &[&str]| words.iter().any(|x| at(1, x));
    if at(0, "VACUUM") || (at(0, "ALTER") && at(1, "SYSTEM")) || (at(0, "DISCARD") && at(1, "ALL"))
    {
        return true;
    }
    if (at(0, "COMMIT") || at(0, "ROLLBACK")) && at(1, "PREPARED") {
        return true;
    }
    if (at(0, "CREATE") || at(0, "DROP")) && second(&["DATABASE", "TABLESPACE"]) {
        return true;
    }
    if at(0, "CREATE") && at(1, "SUBSCRIPTION") {
        return true;
    }
    if at(0, "CREATE") && second(&["INDEX", "UNIQUE"]) {
        return has("INDEX") && has("CONCURRENTLY");
    }
    if at(0, "DROP") && at(1, "INDEX") {
        return at(2, "CONCURRENTLY");
    }
    if at(0, "REINDEX") {
        return has("CONCURRENTLY") || second(&["SCHEMA", "DATABASE", "SYSTEM"]);
    }
    if at(0, "CLUSTER") && w.len() == 1 {
        return true;
    }
    if at(0, "ALTER") && at(1, "DATABASE") {
        return has("TABLESPACE");
    }
    at(0, "ALTER") && at(1, "TABLE") && has("DETACH") && has("CONCURRENTLY")
}

/// Whether the statement ends, rewinds or opens a transaction (`COMMIT`, `ROLLBACK TO`,
/// `BEGIN`, `PREPARE TRANSACTION`, ...): after a failure it would let later statements run
/// outside the aborted transaction.
pub fn controls_transaction(sql: &str) -> bool {
    matches!(
        leading_words(sql, 1).first().map(String::as_str),
        Some(
            "COMMIT"
                | "END"
                | "ROLLBACK"
                | "ABORT"
                | "BEGIN"
                | "START"
                | "SAVEPOINT"
                | "RELEASE"
                | "PREPARE"
        )
    )
}

/// Whether the statement drops the session's prepared statements (`DEALLOCATE`,
/// `DISCARD ALL`), pgstep's own among them.
pub fn drops_prepared(sql: &str) -> bool {
    let w = leading_words(sql, 2);
    match w.first().map(String::as_str) {
        Some("DEALLOCATE") => true,
        Some("DISCARD") => w.get(1).is_some_and(|x| x == "ALL"),
        _ => false,
    }
}

/// Whether the statement is a `COPY`, whose data travels between its request and its reply.
pub fn is_copy(sql: &str) -> bool {
    leading_words(sql, 1).first().is_some_and(|w| w == "COPY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_control_and_copy() {
        for sql in [
            "COMMIT",
            "end",
            "-- why\nROLLBACK TO SAVEPOINT a",
            "abort",
            "BEGIN",
            "START TRANSACTION",
            "SAVEPOINT a",
            "RELEASE a",
            "PREPARE TRANSACTION 'x'",
        ] {
            assert!(controls_transaction(sql), "{sql}");
        }
        for sql in [
            "CREATE TABLE commit (id int)",
            "SELECT 'COMMIT'",
            "DO $$ BEGIN PERFORM 1; END $$",
            "SET LOCAL lock_timeout = '1s'",
        ] {
            assert!(!controls_transaction(sql), "{sql}");
        }
        assert!(is_copy("/* load */ COPY t FROM STDIN"));
        assert!(drops_prepared("DEALLOCATE ALL") && drops_prepared("discard all"));
        assert!(!drops_prepared("DISCARD PLANS") && !drops_prepared("SELECT 'DEALLOCATE'"));
        assert!(!is_copy("SELECT 'COPY'"));
    }

    #[test]
    fn autocommit_statements() {
        for sql in [
            "CREATE INDEX CONCURRENTLY i ON t (a)",
            "create unique index concurrently if not exists i on t(a)",
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "REINDEX INDEX CONCURRENTLY i",
            "REINDEX SCHEMA public",
            "VACUUM (ANALYZE) t",
            "ALTER SYSTEM SET work_mem = '64MB'",
            "CREATE DATABASE x",
            "ALTER TABLE p DETACH PARTITION c CONCURRENTLY",
            "/* why */ CREATE INDEX CONCURRENTLY i ON t (a)",
            "CLUSTER",
        ] {
            assert!(needs_autocommit(sql), "{sql}");
        }
        for sql in [
            "CREATE INDEX i ON t (a)",
            "DROP INDEX i",
            "REINDEX TABLE t",
            "CLUSTER t USING i",
            "ALTER TABLE t ADD COLUMN concurrently int",
            "SELECT 'CREATE INDEX CONCURRENTLY'",
            "CREATE TABLE vacuum (id int)",
            "ANALYZE t",
        ] {
            assert!(!needs_autocommit(sql), "{sql}");
        }
    }

    #[test]
    fn words_skip_comments_and_strings() {
        assert_eq!(
            leading_words("-- x\nalter /* a /* b */ */ table \"Odd\" 'lit' t", 5),
            ["ALTER", "TABLE", "T"]
        );
    }
}
