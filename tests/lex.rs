//! The highlighting tokenizer: one table of constructs, and tiling of any input.

use pgstep::sql::{TokenKind, tokens};
use proptest::prelude::*;

use TokenKind::*;

/// Every token of `text` with its kind, whitespace left out.
fn lexed(text: &str) -> Vec<(TokenKind, &str)> {
    tokens(text)
        .filter(|t| t.kind != Whitespace)
        .map(|t| (t.kind, t.text(text)))
        .collect()
}

type Case = (&'static str, &'static [(TokenKind, &'static str)]);

const CASES: &[Case] = &[
    // Words.
    (
        "select Id from t",
        &[
            (Keyword, "select"),
            (Identifier, "Id"),
            (Keyword, "from"),
            (Identifier, "t"),
        ],
    ),
    (
        "CREATE INDEX CONCURRENTLY",
        &[
            (Keyword, "CREATE"),
            (Keyword, "INDEX"),
            (Keyword, "CONCURRENTLY"),
        ],
    ),
    (
        "a int, b TimestampTZ, c jsonb",
        &[
            (Identifier, "a"),
            (Type, "int"),
            (Punctuation, ","),
            (Identifier, "b"),
            (Type, "TimestampTZ"),
            (Punctuation, ","),
            (Identifier, "c"),
            (Type, "jsonb"),
        ],
    ),
    (
        "a$b _x é1",
        &[(Identifier, "a$b"), (Identifier, "_x"), (Identifier, "é1")],
    ),
    ("selects", &[(Identifier, "selects")]),
    // Quoted identifiers.
    (
        r#""Odd ""name""""#,
        &[(QuotedIdentifier, r#""Odd ""name""""#)],
    ),
    (r#"U&"d\0061t""#, &[(QuotedIdentifier, r#"U&"d\0061t""#)]),
    (r#""open"#, &[(QuotedIdentifier, r#""open"#)]),
    // Strings.
    ("'it''s'", &[(String, "'it''s'")]),
    (r"'a\' b", &[(String, r"'a\'"), (Identifier, "b")]),
    (r"E'a\'b' c", &[(String, r"E'a\'b'"), (Identifier, "c")]),
    (r"e'\\' x", &[(String, r"e'\\'"), (Identifier, "x")]),
    (r"U&'\0041' x", &[(String, r"U&'\0041'"), (Identifier, "x")]),
    (
        "B'101' X'1F' n'x'",
        &[(String, "B'101'"), (String, "X'1F'"), (String, "n'x'")],
    ),
    (
        "u & 'x'",
        &[(Identifier, "u"), (Operator, "&"), (String, "'x'")],
    ),
    (
        "'never closed\nnext line",
        &[(String, "'never closed\nnext line")],
    ),
    (r"E'ends in \", &[(String, r"E'ends in \")]),
    // Dollar quotes and parameters.
    (
        "$$a 'b' $x$ c$$ d",
        &[(String, "$$a 'b' $x$ c$$"), (Identifier, "d")],
    ),
    (
        "$fn$ $$ $fn$;",
        &[(String, "$fn$ $$ $fn$"), (Punctuation, ";")],
    ),
    ("$body$ never", &[(String, "$body$ never")]),
    (
        "$1 + $23",
        &[(Parameter, "$1"), (Operator, "+"), (Parameter, "$23")],
    ),
    ("$ x", &[(Other, "$"), (Identifier, "x")]),
    // Numbers.
    (
        "1 2.5 .5 1e10 1.5E-3 0x1F 1_000",
        &[
            (Number, "1"),
            (Number, "2.5"),
            (Number, ".5"),
            (Number, "1e10"),
            (Number, "1.5E-3"),
            (Number, "0x1F"),
            (Number, "1_000"),
        ],
    ),
    ("1$$x", &[(Number, "1$$x")]),
    ("1..2", &[(Number, "1"), (Punctuation, "."), (Number, ".2")]),
    // Comments.
    (
        "a -- b 'c\nd",
        &[(Identifier, "a"), (Comment, "-- b 'c"), (Identifier, "d")],
    ),
    (
        "/* a /* b */ c */ d",
        &[(Comment, "/* a /* b */ c */"), (Identifier, "d")],
    ),
    ("/* open /* */ still", &[(Comment, "/* open /* */ still")]),
    ("/*/ x", &[(Comment, "/*/ x")]),
    // Operators and punctuation.
    (
        "a::text >= b",
        &[
            (Identifier, "a"),
            (Operator, "::"),
            (Type, "text"),
            (Operator, ">="),
            (Identifier, "b"),
        ],
    ),
    (
        "x<>-1",
        &[(Identifier, "x"), (Operator, "<>-"), (Number, "1")],
    ),
    (
        "x=--c",
        &[(Identifier, "x"), (Operator, "="), (Comment, "--c")],
    ),
    (
        "x*/*c*/",
        &[(Identifier, "x"), (Operator, "*"), (Comment, "/*c*/")],
    ),
    (
        "f(a[1]):b;",
        &[
            (Identifier, "f"),
            (Punctuation, "("),
            (Identifier, "a"),
            (Punctuation, "["),
            (Number, "1"),
            (Punctuation, "]"),
            (Punctuation, ")"),
            (Punctuation, ":"),
            (Identifier, "b"),
            (Punctuation, ";"),
        ],
    ),
    (
        r"\d t",
        &[(Other, r"\"), (Identifier, "d"), (Identifier, "t")],
    ),
];

#[test]
fn constructs() {
    for (text, expected) in CASES {
        assert_eq!(lexed(text), *expected, "{text:?}");
    }
}

#[test]
fn whitespace_is_a_token() {
    let text = " \t\r\n x";
    let kinds: Vec<_> = tokens(text).map(|t| (t.kind, t.span)).collect();
    assert_eq!(kinds, [(Whitespace, 0..5), (Identifier, 5..6)]);
}

fn assert_tiles(text: &str) {
    let mut at = 0;
    for token in tokens(text) {
        assert_eq!(token.span.start, at, "{text:?}");
        assert!(token.span.end > at, "{text:?}: empty token");
        assert!(text.is_char_boundary(token.span.end), "{text:?}: {token:?}");
        at = token.span.end;
    }
    assert_eq!(at, text.len(), "{text:?}");
}

proptest! {
    #[test]
    fn any_text_is_tiled(text in any::<std::string::String>()) {
        assert_tiles(&text);
    }

    #[test]
    fn sql_like_text_is_tiled(text in r#"([a-zA-Z0-9_$'"\\/*.:;,()&<>=+ \n-]|é|ü|\u{1F600}){0,60}"#) {
        assert_tiles(&text);
    }
}
