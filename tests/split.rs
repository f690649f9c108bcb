//! The splitter against psql's statement boundaries (`src/fe_utils/psqlscan.l`).
//!
//! Expected splits were checked against psql 15 run with `log_statement=all`: psql sends each
//! statement with its `;` and with a leading `/* */` comment, pgstep keeps neither.

use std::ops::Range;

use pgstep::sql::{
    Item, Marker, Piece, SplitError, SplitOptions, Statement, scan, split, split_items,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// (first line, text) of every statement, or the error.
fn statements(text: &str) -> Result<Vec<(u32, &str)>, SplitError> {
    Ok(split(text)?.iter().map(|s| (s.line, s.sql(text))).collect())
}

fn ok(text: &str) -> Vec<(u32, &str)> {
    statements(text).unwrap_or_else(|e| panic!("{text:?} did not split: {e}"))
}

fn err(text: &str) -> SplitError {
    match split(text) {
        Ok(s) => panic!("{text:?} split without an error: {s:?}"),
        Err(e) => e,
    }
}

fn scs_off() -> SplitOptions {
    SplitOptions {
        standard_conforming_strings: false,
    }
}

type Case = (&'static str, &'static str, &'static [(u32, &'static str)]);

const CASES: &[Case] = &[
    // `--` comments
    (
        "semicolon in a line comment after the statement",
        "SELECT 1; -- trailing ; comment\nSELECT 2;",
        &[(1, "SELECT 1"), (2, "SELECT 2")],
    ),
    (
        "a comment inside a statement is part of it",
        "SELECT 2 -- comment ;\n;",
        &[(1, "SELECT 2 -- comment ;")],
    ),
    (
        "final comment without a newline after the last statement",
        "SELECT 1;\n-- the end",
        &[(1, "SELECT 1")],
    ),
    (
        "final comment without a newline ends an unterminated statement",
        "SELECT 1 -- no newline",
        &[(1, "SELECT 1 -- no newline")],
    ),
    (
        "comment that starts inside an operator run",
        "SELECT 1 +-- plus; then a comment\n2;",
        &[(1, "SELECT 1 +-- plus; then a comment\n2")],
    ),
    (
        "a carriage return ends a line comment",
        "SELECT 1 -- c\r; SELECT 2;",
        &[(1, "SELECT 1 -- c"), (1, "SELECT 2")],
    ),
    // `/* */` comments
    (
        "nested block comments",
        "SELECT 1 /* outer /* nested ; */ still ; */;",
        &[(1, "SELECT 1 /* outer /* nested ; */ still ; */")],
    ),
    (
        "block comment that starts inside an operator run",
        "SELECT 3 */* ; */ 4;",
        &[(1, "SELECT 3 */* ; */ 4")],
    ),
    (
        "leading block comment with a quote is not part of the statement",
        "/* it's\n; */ SELECT 'x';  SELECT 2;",
        &[(2, "SELECT 'x'"), (2, "SELECT 2")],
    ),
    (
        "stars and slashes inside a block comment",
        "/**/ /*/ ; **/ SELECT 1; /* a ** / * b */ SELECT 2;",
        &[(1, "SELECT 1"), (1, "SELECT 2")],
    ),
    // string literals
    (
        "plain strings with doubled quotes",
        "SELECT 'semi;colon', 'it''s';",
        &[(1, "SELECT 'semi;colon', 'it''s'")],
    ),
    (
        "a backslash is not an escape in a standard string",
        r"SELECT 'a\'; SELECT 2;",
        &[(1, r"SELECT 'a\'"), (1, "SELECT 2")],
    ),
    (
        "E string with escaped quote and backslash",
        r"SELECT E'back\\slash\';still string;';",
        &[(1, r"SELECT E'back\\slash\';still string;'")],
    ),
    (
        "E strings: escaped backslash, then escaped quote",
        r"SELECT E'\\';  SELECT E'\'';",
        &[(1, r"SELECT E'\\'"), (1, r"SELECT E'\''")],
    ),
    (
        "lower-case e string",
        r"select e'\';x';",
        &[(1, r"select e'\';x'")],
    ),
    (
        "an identifier ending in e does not start an E string",
        r"SELECT 'x' AS name, namee'\'; SELECT 2;",
        &[(1, r"SELECT 'x' AS name, namee'\'"), (1, "SELECT 2")],
    ),
    (
        "U& string: doubled quotes only, a backslash does not escape",
        r"SELECT U&'it''s;', u&'a\'; SELECT 2;",
        &[(1, r"SELECT U&'it''s;', u&'a\'"), (1, "SELECT 2")],
    ),
    (
        "bit, hex and national strings",
        "SELECT B'1010', X'1F;', N'na;me', b'1', x'f', n'x';",
        &[(1, "SELECT B'1010', X'1F;', N'na;me', b'1', x'f', n'x'")],
    ),
    (
        "a backslash is not an escape in N or B strings with standard strings on",
        r"SELECT N'a\'; SELECT B'0''\';",
        &[(1, r"SELECT N'a\'"), (1, r"SELECT B'0''\'")],
    ),
    (
        "multi-line string",
        "SELECT 'line 1;\nline 2';\nSELECT 3;",
        &[(1, "SELECT 'line 1;\nline 2'"), (3, "SELECT 3")],
    ),
    (
        "multibyte characters in strings and identifiers",
        "SELECT 'ü;€' AS größe; SELECT '😀';",
        &[(1, "SELECT 'ü;€' AS größe"), (1, "SELECT '😀'")],
    ),
    // quoted identifiers
    (
        "quoted identifiers with doubled quotes and semicolons",
        r#"SELECT "weird;""ident" FROM (SELECT 1 AS "weird;""ident") s;"#,
        &[(
            1,
            r#"SELECT "weird;""ident" FROM (SELECT 1 AS "weird;""ident") s"#,
        )],
    ),
    (
        "U& quoted identifier",
        r#"SELECT 1 AS U&"a;b""c", 2 AS u&"x\"; SELECT 2;"#,
        &[
            (1, r#"SELECT 1 AS U&"a;b""c", 2 AS u&"x\""#),
            (1, "SELECT 2"),
        ],
    ),
    (
        "a single quote inside a quoted identifier",
        r#"SELECT 1 AS "it's;"; SELECT 2;"#,
        &[(1, r#"SELECT 1 AS "it's;""#), (1, "SELECT 2")],
    ),
    // dollar quotes
    (
        "dollar quotes with and without a tag",
        "SELECT $$a ; b$$, $tag$ has $$ and ; $tag$;",
        &[(1, "SELECT $$a ; b$$, $tag$ has $$ and ; $tag$")],
    ),
    (
        "only the same tag closes a dollar quote",
        "SELECT $a$b$ ; $a$;",
        &[(1, "SELECT $a$b$ ; $a$")],
    ),
    (
        "dollar tags are case-sensitive",
        "SELECT $x$ ; $X$ ; $y$ ; $x$; SELECT 2;",
        &[(1, "SELECT $x$ ; $X$ ; $y$ ; $x$"), (1, "SELECT 2")],
    ),
    (
        "a tag that is a prefix of another tag",
        "SELECT $a$ ; $ab$ ; $a$; SELECT 2;",
        &[(1, "SELECT $a$ ; $ab$ ; $a$"), (1, "SELECT 2")],
    ),
    (
        "tags with underscores, digits and non-ASCII letters",
        "SELECT $_1$;$_1$, $é$;$é$;",
        &[(1, "SELECT $_1$;$_1$, $é$;$é$")],
    ),
    (
        "$1 is a parameter, not a dollar quote",
        "SELECT $1; SELECT $2::int, $10;",
        &[(1, "SELECT $1"), (1, "SELECT $2::int, $10")],
    ),
    (
        "a$b$ is an identifier",
        "CREATE TABLE a$b$ (i int); SELECT a$b$.i FROM a$b$;",
        &[
            (1, "CREATE TABLE a$b$ (i int)"),
            (1, "SELECT a$b$.i FROM a$b$"),
        ],
    ),
    (
        "a lone dollar sign opens nothing",
        "SELECT $ ; SELECT $a ; SELECT 2;",
        &[(1, "SELECT $"), (1, "SELECT $a"), (1, "SELECT 2")],
    ),
    (
        "multi-line dollar-quoted body",
        "DO $body$\nBEGIN\n  PERFORM 1;\nEND\n$body$;\nSELECT 2;",
        &[
            (1, "DO $body$\nBEGIN\n  PERFORM 1;\nEND\n$body$"),
            (6, "SELECT 2"),
        ],
    ),
    (
        "a number followed by letters takes a following $ as junk (psql 15: `1e5$$;` splits)",
        "SELECT 1e5$$;\nSELECT 1abc$$;\nSELECT 2;",
        &[(1, "SELECT 1e5$$"), (2, "SELECT 1abc$$"), (3, "SELECT 2")],
    ),
    (
        "numbers followed by a dollar quote",
        "SELECT 1$$;$$, 1.5$$;$$, 1e+5$$;$$, 1e+$$;$$; SELECT 2;",
        &[
            (1, "SELECT 1$$;$$, 1.5$$;$$, 1e+5$$;$$, 1e+$$;$$"),
            (1, "SELECT 2"),
        ],
    ),
    // parentheses
    (
        "semicolons inside parentheses",
        "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\nSELECT 3;",
        &[
            (
                1,
                "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
            ),
            (2, "SELECT 3"),
        ],
    ),
    (
        "nested parentheses over lines",
        "SELECT (1, (2;\n3));SELECT 4;",
        &[(1, "SELECT (1, (2;\n3))"), (2, "SELECT 4")],
    ),
    (
        "a stray closing parenthesis is ignored",
        "SELECT 1); SELECT 2;",
        &[(1, "SELECT 1)"), (1, "SELECT 2")],
    ),
    // BEGIN ATOMIC
    (
        "BEGIN ATOMIC function body",
        "CREATE FUNCTION add1(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; END;",
        &[(
            1,
            "CREATE FUNCTION add1(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; END",
        )],
    ),
    (
        "lower-case CREATE OR REPLACE PROCEDURE with CASE ... END inside",
        "create or replace procedure p(x int) language sql begin atomic\n  insert into t values (x); select case when x > 0 then 1 else 0 end; end;\nselect 2;",
        &[
            (
                1,
                "create or replace procedure p(x int) language sql begin atomic\n  insert into t values (x); select case when x > 0 then 1 else 0 end; end",
            ),
            (3, "select 2"),
        ],
    ),
    (
        "mixed-case CREATE OR REPLACE FUNCTION",
        "Create Or Replace Function f() Returns int Language sql Begin Atomic Select 1; End; Select 2;",
        &[
            (
                1,
                "Create Or Replace Function f() Returns int Language sql Begin Atomic Select 1; End",
            ),
            (1, "Select 2"),
        ],
    ),
    (
        "RETURN CASE ... END outside BEGIN ATOMIC",
        "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2;",
        &[
            (
                1,
                "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END",
            ),
            (1, "SELECT 2"),
        ],
    ),
    (
        "a transaction block is three statements",
        "BEGIN; SELECT 3; END;",
        &[(1, "BEGIN"), (1, "SELECT 3"), (1, "END")],
    ),
    (
        "the heuristic resets after a function body",
        "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\nBEGIN; CALL p(); END;",
        &[
            (
                1,
                "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END",
            ),
            (2, "BEGIN"),
            (2, "CALL p()"),
            (2, "END"),
        ],
    ),
    (
        "BEGIN inside a dollar-quoted body does not count",
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql; SELECT 1;",
        &[
            (
                1,
                "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql",
            ),
            (1, "SELECT 1"),
        ],
    ),
    (
        "BEGIN only counts in CREATE [OR REPLACE] FUNCTION or PROCEDURE",
        "CREATE TABLE begin (x int); CREATE OR REPLACE VIEW v AS SELECT 1 AS begin; BEGIN;",
        &[
            (1, "CREATE TABLE begin (x int)"),
            (1, "CREATE OR REPLACE VIEW v AS SELECT 1 AS begin"),
            (1, "BEGIN"),
        ],
    ),
    (
        "BEGIN inside parentheses of a function header does not count",
        "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT 2;",
        &[
            (
                1,
                "CREATE FUNCTION f(begin int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
            ),
            (1, "SELECT 2"),
        ],
    ),
    // statement ends
    (
        "last statement without a semicolon",
        "SELECT 1;\nSELECT 2\n",
        &[(1, "SELECT 1"), (2, "SELECT 2")],
    ),
    (
        "unterminated lines merge into one statement",
        "SELECT 1\nSELECT 2",
        &[(1, "SELECT 1\nSELECT 2")],
    ),
    (
        "empty statements are dropped",
        ";;SELECT 1;;\n ; ;SELECT 2;;",
        &[(1, "SELECT 1"), (2, "SELECT 2")],
    ),
    (
        "CRLF line ends",
        "SELECT 1;\r\n-- c\r\nSELECT\r\n  2;\r\nSELECT 3\r\n",
        &[(1, "SELECT 1"), (3, "SELECT\r\n  2"), (5, "SELECT 3")],
    ),
    (
        "comment-only fragments are not statements",
        "-- only\n/* block */\n;\n/* a */ ; -- b\n",
        &[],
    ),
    ("empty text", "", &[]),
    ("whitespace only", " \n\t\r\n\x0b\x0c ", &[]),
    (
        "leading blank lines and comments move the first line",
        "\n\n  /* c */ -- d\n\n   SELECT 1;",
        &[(5, "SELECT 1")],
    ),
    (
        "psql variables and casts are ordinary text",
        "SELECT :'v', :\"w\", x::text; SELECT 2;",
        &[(1, "SELECT :'v', :\"w\", x::text"), (1, "SELECT 2")],
    ),
];

#[test]
fn constructs_split_like_psql() {
    for (name, input, expected) in CASES {
        let got = statements(input).unwrap_or_else(|e| panic!("{name}: {input:?}: {e}"));
        assert_eq!(got, *expected, "{name}: {input:?}");
    }
}

#[test]
fn statement_spans_exclude_the_semicolon_and_surrounding_space() {
    let text = "  SELECT 1 ;  \n\tSELECT 2";
    let s = split(text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].span, 2..10);
    assert_eq!(s[1].span, 16..24);
    assert!(s.iter().all(|s| s.copy_data.is_none()));
}

// standard_conforming_strings

#[test]
fn set_standard_conforming_strings_applies_from_the_next_line() {
    // Confirmed with psql 15: line 2 is read with backslash escapes, one statement.
    let text = "SET standard_conforming_strings = off;\nSELECT 'a\\'; SELECT 1 /* ' */;\n";
    assert_eq!(
        ok(text),
        [
            (1, "SET standard_conforming_strings = off"),
            (2, r"SELECT 'a\'; SELECT 1 /* ' */"),
        ]
    );
    // On the SET's own line psql keeps the old reading: two statements after the SET.
    let text = "SET standard_conforming_strings = off; SELECT 'a\\'; SELECT 1 /* ' */;\n";
    assert_eq!(
        ok(text),
        [
            (1, "SET standard_conforming_strings = off"),
            (1, r"SELECT 'a\'"),
            (1, "SELECT 1 /* ' */"),
        ]
    );
}

#[test]
fn research_note_example_for_standard_conforming_strings() {
    let text = "SET standard_conforming_strings=off;\nSELECT 'a\\';b';";
    assert_eq!(
        ok(text),
        [
            (1, "SET standard_conforming_strings=off"),
            (2, r"SELECT 'a\';b'"),
        ]
    );
    // One line: `SELECT 'a\'` ends at the `;`, and the quote after `b` never closes.
    let text = "SET standard_conforming_strings=off; SELECT 'a\\';b';";
    assert_eq!(
        err(text),
        SplitError::Unterminated {
            what: "string literal",
            line: 1,
            column: 50,
        }
    );
}

#[test]
fn reset_and_set_on_restore_standard_strings() {
    let tail = "SELECT 'a\\'; SELECT 1 /* ' */;\n";
    for reset in [
        "RESET standard_conforming_strings;",
        "reset all;",
        "SET standard_conforming_strings TO on;",
        "set session standard_conforming_strings = 'on';",
        "SET standard_conforming_strings = DEFAULT;",
    ] {
        let text = format!("SET standard_conforming_strings = off;\n{reset}\n{tail}");
        let got = ok(&text);
        assert_eq!(got.len(), 4, "{text:?}: {got:?}");
        assert_eq!(got[2], (3, r"SELECT 'a\'"), "{text:?}");
        assert_eq!(got[3], (3, "SELECT 1 /* ' */"), "{text:?}");
    }
}

#[test]
fn other_settings_do_not_change_the_reading() {
    for set in [
        "SET standard_conforming_strings_x = off;",
        "SET search_path = off;",
        "SELECT set_config('standard_conforming_strings', 'off', false);",
        "SET standard_conforming_strings = banana;",
    ] {
        let text = format!("{set}\nSELECT 'a\\'; SELECT 1 /* ' */;\n");
        assert_eq!(ok(&text).len(), 3, "{text:?}");
    }
}

#[test]
fn a_string_opened_on_the_set_line_keeps_the_old_reading() {
    // The literal starts before the new setting applies, so its `\'` on line 2 closes it.
    let text = "SET standard_conforming_strings = off; SELECT 'x\n\\';\nSELECT 'a\\';b';";
    assert_eq!(
        ok(text),
        [
            (1, "SET standard_conforming_strings = off"),
            (1, "SELECT 'x\n\\'"),
            (3, r"SELECT 'a\';b'"),
        ]
    );
}

#[test]
fn starting_with_standard_strings_off() {
    let text = r"SELECT 'a\';b', N'c\';d'; SELECT E'\'';";
    let items = split_items(text, 0, scs_off(), &|_| false).unwrap();
    let sqls: Vec<&str> = items
        .iter()
        .map(|i| match i {
            Item::Statement(s) => s.sql(text),
            Item::Marker(m) => panic!("unexpected marker {m:?}"),
        })
        .collect();
    assert_eq!(sqls, [r"SELECT 'a\';b', N'c\';d'", r"SELECT E'\''"]);
}

#[test]
fn bit_strings_end_at_a_doubled_quote_with_standard_strings_off() {
    // psql 15 reads `B'0''\';'` as B'0' followed by the escaped string '\';' (one statement).
    let text = "SET standard_conforming_strings=off;\nSELECT B'0''\\';', X'1''\\';';\nSELECT 5;";
    assert_eq!(
        ok(text),
        [
            (1, "SET standard_conforming_strings=off"),
            (2, r"SELECT B'0''\';', X'1''\';'"),
            (3, "SELECT 5"),
        ]
    );
    // U& strings keep doubled quotes and take no backslash escapes, whatever the setting.
    let text = r"SELECT U&'0''\'; SELECT 2;";
    let items = split_items(text, 0, scs_off(), &|_| false).unwrap();
    assert_eq!(items.len(), 2);
}

// COPY ... FROM stdin

fn copy_data<'a>(text: &'a str, s: &Statement) -> Option<&'a str> {
    s.copy_data.clone().map(|r| &text[r])
}

#[test]
fn copy_from_stdin_keeps_its_data() {
    let text = "COPY t (a, b) FROM stdin;\n1\tsemi;colon\n2\t'quote\n3\t-- not a comment\n\\.x\n4\t$$ /* \"\n\\.\nSELECT 1;\n";
    let s = split(text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!((s[0].line, s[0].sql(text)), (1, "COPY t (a, b) FROM stdin"));
    assert_eq!(
        copy_data(text, &s[0]),
        Some("1\tsemi;colon\n2\t'quote\n3\t-- not a comment\n\\.x\n4\t$$ /* \"\n")
    );
    assert_eq!((s[1].line, s[1].sql(text)), (8, "SELECT 1"));
    assert_eq!(s[1].copy_data, None);
}

#[test]
fn copy_variants() {
    let text = "copy t from STDIN with (format csv);\r\n1,\"a;b\"\r\n\\.\r\nSELECT 2;\r\n";
    let s = split(text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].sql(text), "copy t from STDIN with (format csv)");
    assert_eq!(copy_data(text, &s[0]), Some("1,\"a;b\"\r\n"));
    assert_eq!((s[1].line, s[1].sql(text)), (4, "SELECT 2"));

    let text = "COPY t FROM stdin;\n\\.\nCOPY u FROM stdin;  \n1\n\\.";
    let s = split(text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(copy_data(text, &s[0]), Some(""));
    assert_eq!((s[1].line, copy_data(text, &s[1])), (3, Some("1\n")));

    // Without a `;` psql sends the command at the end of the text, with no data.
    let text = "SELECT 1;\nCOPY t FROM stdin";
    let s = split(text).unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].sql(text), "COPY t FROM stdin");
    assert_eq!(s[1].copy_data, None);
}

#[test]
fn copy_to_stdout_and_from_files_have_no_data() {
    let text = "COPY t TO stdout;\nCOPY t FROM '/tmp/stdin';\nCOPY (SELECT * FROM stdin) TO stdout;\nSELECT 1;";
    let s = split(text).unwrap();
    assert_eq!(
        s.iter().map(|s| (s.line, s.sql(text))).collect::<Vec<_>>(),
        [
            (1, "COPY t TO stdout"),
            (2, "COPY t FROM '/tmp/stdin'"),
            (3, "COPY (SELECT * FROM stdin) TO stdout"),
            (4, "SELECT 1"),
        ]
    );
    assert!(s.iter().all(|s| s.copy_data.is_none()));
}

#[test]
fn copy_from_stdin_errors() {
    assert_eq!(
        err("SELECT 1;\nCOPY t FROM stdin;\n1\n2\n"),
        SplitError::UnterminatedCopy { line: 2 }
    );
    assert_eq!(
        err("COPY t FROM stdin;"),
        SplitError::UnterminatedCopy { line: 1 }
    );
    // `\.` must be alone on its line.
    assert_eq!(
        err("COPY t FROM stdin;\n1\n \\.\n\\. \n"),
        SplitError::UnterminatedCopy { line: 1 }
    );
    let e = err("COPY t FROM stdin; SELECT 1;\n\\.\n");
    assert_eq!(
        e,
        SplitError::CopyTrailingText {
            line: 1,
            column: 20
        }
    );
    assert_eq!((e.line(), e.column()), (1, Some(20)));
}

// errors

#[test]
fn unterminated_tokens_report_where_they_open() {
    let cases: &[(&str, &str, u32, u32)] = &[
        ("SELECT 1;\nSELECT 'abc;\n", "string literal", 2, 8),
        ("SELECT E'a\\';", "string literal", 1, 8),
        ("SELECT x, N'a", "string literal", 1, 11),
        ("SELECT\n  B'01", "string literal", 2, 3),
        ("SELECT U&'x", "string literal", 1, 8),
        ("SELECT \"abc;", "quoted identifier", 1, 8),
        ("SELECT 1 AS U&\"abc", "quoted identifier", 1, 13),
        ("SELECT 1; /* /* */ ;", "block comment", 1, 11),
        ("SELECT 1;\n\n   /*", "block comment", 3, 4),
        ("SELECT $a$ x $b$;", "dollar-quoted string", 1, 8),
        ("SELECT $$ x $ $a$ $", "dollar-quoted string", 1, 8),
        // Columns count characters: three multibyte characters before the quote.
        ("SELECT 'ä€😀', 'x;", "string literal", 1, 15),
        ("-- ünïcödé\nSELECT 'é' AS \"ü", "quoted identifier", 2, 15),
    ];
    for &(text, what, line, column) in cases {
        let e = err(text);
        assert_eq!(
            e,
            SplitError::Unterminated { what, line, column },
            "{text:?}"
        );
        assert_eq!((e.line(), e.column()), (line, Some(column)), "{text:?}");
    }
}

#[test]
fn meta_commands_are_refused() {
    let cases: &[(&str, &str, u32, u32)] = &[
        ("SELECT 1;\n\\set x 1\n", "\\set", 2, 1),
        ("\\i file.sql", "\\i", 1, 1),
        ("SELECT 1 \\; SELECT 2;", "\\;", 1, 10),
        ("SELECT 'é' \\gexec\n", "\\gexec", 1, 12),
        ("SELECT 1;\n  \\", "\\", 2, 3),
    ];
    for &(text, command, line, column) in cases {
        let e = err(text);
        assert_eq!(
            e,
            SplitError::MetaCommand {
                command: command.to_string(),
                line,
                column
            },
            "{text:?}"
        );
        assert!(e.to_string().contains(command), "{e}");
    }
    // Inside quotes and comments a backslash is text.
    assert_eq!(ok(r"SELECT '\i', $$\set$$ /* \; */ -- \q").len(), 1);
}

#[test]
fn unclosed_parentheses_and_bodies() {
    let e = err("SELECT 1;\nSELECT (1,\n  (2);");
    assert_eq!(e, SplitError::UnclosedParen { line: 2, column: 8 });
    assert_eq!((e.line(), e.column()), (2, Some(8)));

    let e = err("SELECT 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC SELECT 1;");
    assert_eq!(e, SplitError::UnclosedAtomic { line: 2 });
    assert_eq!((e.line(), e.column()), (2, None));
}

// markers

fn is_down(comment: &str) -> bool {
    comment.trim_end() == "-- DOWN"
}

#[derive(Debug, PartialEq)]
enum Seen<'a> {
    Sql(u32, &'a str),
    Mark(u32, &'a str),
}

fn items<'a>(text: &'a str, from: usize) -> Result<Vec<Seen<'a>>, SplitError> {
    Ok(split_items(text, from, SplitOptions::default(), &is_down)?
        .into_iter()
        .map(|i| match i {
            Item::Statement(s) => Seen::Sql(s.line, s.sql(text)),
            Item::Marker(m) => Seen::Mark(m.line, m.text(text)),
        })
        .collect())
}

#[test]
fn markers_only_outside_quotes_and_comments() {
    let text = "\
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
-- DOWN
  RETURN 1;
END
$$;
/*
-- DOWN
*/
SELECT '
-- DOWN
', \"
-- DOWN
\";
  -- DOWN
DROP FUNCTION f()
\t-- DOWN
SELECT 2; -- DOWN
-- DOWN but not quite
SELECT 3;
";
    assert_eq!(
        items(text, 0).unwrap(),
        [
            Seen::Sql(
                1,
                "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n-- DOWN\n  RETURN 1;\nEND\n$$"
            ),
            Seen::Sql(10, "SELECT '\n-- DOWN\n', \"\n-- DOWN\n\""),
            Seen::Mark(15, "-- DOWN"),
            Seen::Sql(16, "DROP FUNCTION f()"),
            Seen::Mark(17, "-- DOWN"),
            Seen::Sql(18, "SELECT 2"),
            Seen::Sql(20, "SELECT 3"),
        ]
    );
}

#[test]
fn markers_with_an_offset_and_crlf() {
    let text = "SELECT 0;\r\nSELECT 1;\r\n-- DOWN\r\nSELECT 2\r\n";
    let from = text.find("SELECT 1").unwrap();
    assert_eq!(
        items(text, from).unwrap(),
        [
            Seen::Sql(2, "SELECT 1"),
            Seen::Mark(3, "-- DOWN"),
            Seen::Sql(4, "SELECT 2"),
        ]
    );
    let marker = split_items(text, from, SplitOptions::default(), &is_down)
        .unwrap()
        .into_iter()
        .find_map(|i| match i {
            Item::Marker(m) => Some(m),
            Item::Statement(_) => None,
        });
    assert_eq!(
        marker,
        Some(Marker {
            line: 3,
            span: 22..29
        })
    );
}

#[test]
fn a_marker_cannot_end_an_open_parenthesis_or_body() {
    assert_eq!(
        items("SELECT (1,\n-- DOWN\n2);", 0),
        Err(SplitError::UnclosedParen { line: 1, column: 8 })
    );
    assert_eq!(
        items(
            "CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC\n-- DOWN\nSELECT 1; END;",
            0
        ),
        Err(SplitError::UnclosedAtomic { line: 1 })
    );
}

// corpus

fn corpus(name: &str) -> String {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Asserts the number of statements and the first line and first words of some of them
/// (index into the statements, line, start of the text).
fn check_corpus(
    name: &str,
    count: usize,
    starts: &[(usize, u32, &str)],
) -> (String, Vec<Statement>) {
    let text = corpus(name);
    let s = split(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        s.len(),
        count,
        "{name}: {:#?}",
        s.iter().map(|s| (s.line, s.sql(&text))).collect::<Vec<_>>()
    );
    for &(i, line, start) in starts {
        assert_eq!(s[i].line, line, "{name}: statement {i}");
        assert!(
            s[i].sql(&text).starts_with(start),
            "{name}: statement {i} is {:?}",
            s[i].sql(&text)
        );
    }
    (text, s)
}

fn markers(text: &str) -> Vec<u32> {
    split_items(text, 0, SplitOptions::default(), &is_down)
        .unwrap()
        .into_iter()
        .filter_map(|i| match i {
            Item::Marker(m) => Some(m.line),
            Item::Statement(_) => None,
        })
        .collect()
}

#[test]
fn corpus_enums_and_partitions() {
    let (text, s) = check_corpus(
        "01_enums_partitions.sql",
        12,
        &[
            (0, 8, "CREATE TYPE order_status AS ENUM"),
            (1, 10, "CREATE TYPE shipping_speed AS ENUM (\n"),
            (2, 16, "CREATE TABLE orders ("),
            (3, 25, "COMMENT ON TABLE orders"),
            (6, 31, "CREATE TABLE orders_default"),
            (8, 36, "ALTER TYPE order_status ADD VALUE"),
            (10, 47, "CREATE INDEX CONCURRENTLY order_lines_sku_idx"),
            (11, 50, "CREATE UNIQUE INDEX CONCURRENTLY"),
        ],
    );
    assert!(
        s[11]
            .sql(&text)
            .ends_with("sku)\n-- the last statement has no semicolon")
    );
}

#[test]
fn corpus_functions_and_triggers() {
    let (text, s) = check_corpus(
        "02_functions_triggers.sql",
        10,
        &[
            (0, 3, "CREATE TABLE accounts"),
            (2, 17, "CREATE OR REPLACE FUNCTION audit_row()"),
            (3, 36, "COMMENT ON FUNCTION audit_row()"),
            (4, 38, "CREATE TRIGGER accounts_audit"),
            (5, 42, "CREATE FUNCTION normalize_email()"),
            (6, 56, "CREATE TRIGGER accounts_normalize_email"),
            (7, 62, "CREATE FUNCTION transfer("),
            (9, 75, "SELECT transfer(1, 2, 0)"),
        ],
    );
    assert!(s[2].sql(&text).contains("\n-- DOWN\n"));
    assert!(s[2].sql(&text).ends_with("END;\n$$"));
    assert!(s[5].sql(&text).ends_with("END\n$body$"));
    assert!(s[7].sql(&text).ends_with("END;\n'"));
    assert_eq!(markers(&text), [] as [u32; 0]);
}

#[test]
fn corpus_do_blocks() {
    let (text, s) = check_corpus(
        "03_do_blocks.sql",
        7,
        &[
            (0, 3, "CREATE TABLE settings"),
            (1, 5, "DO $$\nBEGIN"),
            (2, 13, "DO LANGUAGE plpgsql $do$"),
            (3, 27, "DO $outer$"),
            (4, 37, "DO $x$ BEGIN PERFORM $X$; not the end$X$; END $x$"),
            (5, 39, "SELECT settings_count()"),
            (6, 39, "SELECT key, value FROM settings"),
        ],
    );
    assert!(s[3].sql(&text).ends_with("END\n$outer$"));
    assert_eq!(markers(&text), [] as [u32; 0]);
}

#[test]
fn corpus_materialized_views() {
    check_corpus(
        "04_matviews.sql",
        12,
        &[
            (1, 10, "INSERT INTO sales"),
            (2, 16, "CREATE MATERIALIZED VIEW sales_daily AS"),
            (3, 26, "CREATE UNIQUE INDEX sales_daily_key"),
            (4, 28, "CREATE MATERIALIZED VIEW sales_monthly AS"),
            (7, 36, "REFRESH MATERIALIZED VIEW CONCURRENTLY sales_daily"),
            (9, 39, "COMMENT ON MATERIALIZED VIEW"),
            (10, 41, "ANALYZE sales_daily"),
            (11, 41, "ANALYZE sales_monthly"),
        ],
    );
}

#[test]
fn corpus_copy_seed() {
    let (text, s) = check_corpus(
        "05_copy_seed.sql",
        8,
        &[
            (0, 3, "CREATE TABLE countries"),
            (1, 5, "COPY countries (code, name, note) FROM stdin"),
            (2, 14, "CREATE TABLE currencies"),
            (
                3,
                16,
                "copy currencies from stdin with (format csv, header true)",
            ),
            (4, 24, "COPY (SELECT code FROM countries"),
            (5, 26, "COPY countries FROM STDIN"),
            (6, 28, "SELECT count(*) FROM countries"),
            (7, 28, "SELECT count(*) FROM currencies"),
        ],
    );
    let data: Vec<Option<&str>> = s.iter().map(|s| copy_data(&text, s)).collect();
    assert_eq!(
        data[1],
        Some(
            "AD\tAndorra\t\\N\nFR\tFrance\tsemi;colon; in data\nGB\tUnited Kingdom\tit's quoted 'here'\n\
             NL\tNetherlands\t-- not a comment\nUS\tUnited States\t/* not a comment either\n\
             XX\t\\\\.x\ta backslash-dot that is not the end\n"
        )
    );
    assert_eq!(
        data[3],
        Some(
            "code,name\nEUR,\"Euro; the common currency\"\nUSD,\"US dollar \"\"greenback\"\"\"\n\
             \\.X,\"a line that starts with \\. but is not the end\"\n"
        )
    );
    assert_eq!(data[5], Some(""));
    assert_eq!(
        data.iter().filter(|d| d.is_some()).count(),
        3,
        "only the three FROM stdin commands carry data"
    );
}

#[test]
fn corpus_rls_policies() {
    let (text, s) = check_corpus(
        "06_rls_policies.sql",
        13,
        &[
            (0, 4, "CREATE TABLE documents"),
            (1, 12, "ALTER TABLE documents ENABLE ROW LEVEL SECURITY"),
            (3, 15, "CREATE POLICY tenant_isolation"),
            (4, 22, "CREATE POLICY owner_writes"),
            (5, 26, "GRANT SELECT (id, tenant, title)"),
            (7, 29, "COMMENT ON POLICY"),
            (9, 33, "INSERT INTO documents"),
            (11, 37, "ALTER POLICY owner_writes"),
            (12, 37, "DROP POLICY IF EXISTS gone"),
        ],
    );
    assert!(
        s[9].sql(&text)
            .ends_with(r"E'line one;\nline two: it\'s fine')")
    );
}

#[test]
fn corpus_atomic_bodies() {
    let (text, _) = check_corpus(
        "07_atomic_bodies.sql",
        14,
        &[
            (1, 5, "CREATE FUNCTION counter_bump"),
            (2, 13, "create or replace procedure counter_reset"),
            (3, 22, "CREATE FUNCTION sign_word"),
            (4, 26, "BEGIN"),
            (7, 29, "END"),
            (8, 31, "CREATE RULE counters_log"),
            (9, 35, "DROP RULE counters_log"),
            (10, 36, "DROP FUNCTION sign_word(int)"),
            (11, 36, "DROP PROCEDURE counter_reset(text)"),
            (13, 38, "DROP TABLE counters"),
        ],
    );
    assert_eq!(markers(&text), [34]);
    let items = split_items(&text, 0, SplitOptions::default(), &is_down).unwrap();
    assert_eq!(items.len(), 15);
    assert!(matches!(&items[9], Item::Marker(m) if m.text(&text) == "-- DOWN"));
}

#[test]
fn every_corpus_file_is_tested() {
    let dir = format!("{}/tests/corpus", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01_enums_partitions.sql",
            "02_functions_triggers.sql",
            "03_do_blocks.sql",
            "04_matviews.sql",
            "05_copy_seed.sql",
            "06_rls_policies.sql",
            "07_atomic_bodies.sql",
        ]
    );
}

// properties

/// The bytes the scanner skips between tokens.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

fn non_space(s: &str) -> String {
    s.chars().filter(|&c| !is_space(c)).collect()
}

fn line_at(text: &str, at: usize) -> u32 {
    text[..at].matches('\n').count() as u32 + 1
}

/// Scans `text` and checks that the pieces cover every non-whitespace character exactly once,
/// in order. A `COPY ... FROM stdin` statement is reported after its `;` (its data follows
/// the `;`), so its span is put back before that terminator, and the `\.` line after its
/// data is the one thing no piece holds.
fn check_coverage(text: &str, options: SplitOptions) -> Result<(), TestCaseError> {
    let mut pieces = Vec::new();
    let result = scan(text, 0, options, &is_down, &mut |p| pieces.push(p));
    if result.is_err() {
        return Ok(());
    }
    let mut segments: Vec<Range<usize>> = Vec::new();
    // A COPY statement comes before its terminator; its data follows the terminator.
    let mut copy: Option<(Range<usize>, Range<usize>)> = None;
    for piece in pieces {
        match piece {
            Piece::Statement(s) => {
                let sql = s.sql(text);
                prop_assert!(!sql.is_empty());
                prop_assert!(!sql.starts_with(is_space), "{sql:?}");
                // Only a line comment, which runs to the line end, ends in whitespace.
                let last_line = sql.rsplit('\n').next().unwrap_or(sql);
                prop_assert!(
                    !sql.ends_with(is_space) || last_line.contains("--"),
                    "{sql:?}"
                );
                prop_assert_eq!(s.line, line_at(text, s.span.start));
                match s.copy_data {
                    None => segments.push(s.span),
                    Some(data) => {
                        prop_assert!(text[data.end..].starts_with("\\."));
                        copy = Some((s.span, data));
                    }
                }
            }
            Piece::Marker(m) => {
                prop_assert!(is_down(m.text(text)));
                prop_assert_eq!(m.line, line_at(text, m.span.start));
                segments.push(m.span);
            }
            Piece::Comment(r) => {
                let c = &text[r.clone()];
                prop_assert!(c.starts_with("--") || c.starts_with("/*"), "{c:?}");
                segments.push(r);
            }
            Piece::Terminator(at) => {
                prop_assert_eq!(text.as_bytes()[at], b';');
                match copy.take() {
                    Some((span, data)) => {
                        prop_assert!(span.end <= at && at < data.start);
                        let end_marker = data.end..data.end + 2;
                        segments.extend([span, at..at + 1, data, end_marker]);
                    }
                    None => segments.push(at..at + 1),
                }
            }
        }
    }
    for w in segments.windows(2) {
        prop_assert!(
            w[0].end <= w[1].start,
            "pieces out of order or overlapping: {:?} then {:?} in {:?}",
            w[0],
            w[1],
            text
        );
    }
    let covered: String = segments
        .iter()
        .map(|r| non_space(&text[r.clone()]))
        .collect();
    prop_assert_eq!(covered, non_space(text));
    Ok(())
}

/// Re-splitting the text of a statement gives back that one statement.
fn check_resplit(text: &str) -> Result<(), TestCaseError> {
    let Ok(statements) = split(text) else {
        return Ok(());
    };
    for s in statements.iter().filter(|s| s.copy_data.is_none()) {
        let sql = s.sql(text);
        let again = split(sql);
        prop_assert!(again.is_ok(), "{sql:?}: {again:?}");
        let again = again.unwrap();
        prop_assert_eq!(again.len(), 1, "{:?} from {:?}", sql, text);
        prop_assert_eq!(again[0].sql(sql), sql);
        prop_assert_eq!(again[0].line, 1);
    }
    Ok(())
}

/// Fragments that leave nothing open.
const FRAGMENTS: &[&str] = &[
    // identifiers and keywords
    "a",
    "t1",
    "_x",
    "a$b$",
    "ü",
    "größe",
    "begin",
    "BEGIN",
    "end",
    "End",
    "case",
    "create",
    "CREATE",
    "function",
    "procedure",
    "or",
    "replace",
    "atomic",
    "select",
    "return",
    "copy",
    "from",
    "stdin",
    "to",
    "stdout",
    "e",
    "u",
    "b",
    "x",
    "n",
    // numbers
    "1",
    "42",
    "1.5",
    "1e5",
    "1e+",
    ".5",
    "0x1F",
    // strings of every kind
    "'a;b'",
    "'it''s'",
    "''",
    "'multi\nline'",
    "E'\\';x'",
    "e'\\\\'",
    "U&'x;'",
    "u&'a''b'",
    "B'01'",
    "X'1F'",
    "N'n;'",
    // quoted identifiers
    "\"q;\"\"x\"",
    "U&\"u;\"",
    "\"\"",
    // dollar quotes and parameters
    "$$ ; $$",
    "$t$ $$ ; $t$",
    "$1",
    "$",
    "$a",
    "$é$;$é$",
    // comments
    "-- c ;",
    "--",
    "/* x ; /* y */ */",
    "/*/**/*/",
    "\n-- DOWN\n",
    // punctuation and operators
    "()",
    "(;)",
    ")",
    ";",
    ";",
    ";;",
    "+",
    "-",
    "*",
    "/",
    "::",
    "=",
    ",",
    ".",
    // whitespace
    " ",
    " ",
    " ",
    "\n",
    "\n",
    "\t",
    "\r\n",
    "\r",
    // a complete COPY with data
    ";\ncopy t from stdin;\n1\t;'x\n\\.\n",
];

/// Fragments that open something, or are refused, unless the soup happens to close them.
const BREAKERS: &[&str] = &[
    "'", "E'", "\\'", "\"", "U&\"", "$t$", "$$", "/*", "*/", "(", "\\", "\\.",
];

fn soup() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        20 => prop::sample::select(FRAGMENTS),
        1 => prop::sample::select(BREAKERS),
    ];
    prop::collection::vec(fragment, 0..48).prop_map(|v| v.concat())
}

/// Short strings over the characters the scanner cares about.
fn dense() -> impl Strategy<Value = String> {
    "[-'\"$;()/*\\\\eEbBxXuUnN&a1 \t\r\n.+:é]{0,64}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn soup_pieces_cover_the_input(text in soup()) {
        check_coverage(&text, SplitOptions::default())?;
        check_coverage(&text, scs_off())?;
    }

    #[test]
    fn dense_pieces_cover_the_input(text in dense()) {
        check_coverage(&text, SplitOptions::default())?;
        check_coverage(&text, scs_off())?;
    }

    #[test]
    fn arbitrary_pieces_cover_the_input(text in any::<String>()) {
        check_coverage(&text, SplitOptions::default())?;
    }

    #[test]
    fn splitting_never_panics(text in prop_oneof![any::<String>(), soup(), dense()], from in 0usize..80) {
        let _ = split(&text);
        if text.is_char_boundary(from.min(text.len())) {
            let from = from.min(text.len());
            let _ = split_items(&text, from, scs_off(), &|c: &str| c.contains('D'));
            let _ = split_items(&text, from, SplitOptions::default(), &|_: &str| true);
        }
    }

    #[test]
    fn a_statement_splits_to_itself(text in prop_oneof![soup(), dense(), any::<String>()]) {
        // A SET of standard_conforming_strings makes later statements read differently alone.
        prop_assume!(!text.to_ascii_lowercase().contains("standard_conforming_strings"));
        check_resplit(&text)?;
    }
}

#[test]
fn soup_produces_statements_and_errors() {
    // Guards against a generator that only ever yields errors or nothing: the properties
    // above would then hold vacuously.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut statements, mut errors, mut copies) = (0, 0, 0);
    for _ in 0..500 {
        let text = soup().new_tree(&mut runner).unwrap().current();
        match split(&text) {
            Ok(s) => {
                statements += s.len();
                copies += s.iter().filter(|s| s.copy_data.is_some()).count();
            }
            Err(_) => errors += 1,
        }
    }
    assert!(statements > 150, "{statements} statements, {errors} errors");
    assert!(errors > 50 && errors < 450, "{errors} errors");
    assert!(copies > 0, "no COPY with data");
}
