//! Walking a statement's tokens, without whitespace and comments: enough grammar to tell what
//! a statement does to which objects (the rollback's impact, the linter).

use crate::sql::{TokenKind, tokens};

/// The statement's tokens without whitespace and comments.
pub struct Walk<'a> {
    tokens: Vec<(TokenKind, &'a str)>,
    at: usize,
}

impl<'a> Walk<'a> {
    pub fn new(sql: &'a str) -> Self {
        // About one significant token per four bytes of DDL: room made once, not grown by
        // doubling for each statement the linter reads. Capped, so a long literal or body
        // (few tokens, many bytes) does not reserve room for tokens it does not have.
        let mut significant = Vec::with_capacity((sql.len() / 4 + 1).min(256));
        significant.extend(
            tokens(sql)
                .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
                .map(|t| (t.kind, t.text(sql))),
        );
        Walk {
            tokens: significant,
            at: 0,
        }
    }

    /// The significant tokens, for callers that look at a whole statement at once.
    pub fn tokens(&self) -> &[(TokenKind, &'a str)] {
        &self.tokens
    }

    pub fn is_word(&self, at: usize, word: &str) -> bool {
        matches!(
            self.tokens.get(at),
            Some((TokenKind::Keyword | TokenKind::Type | TokenKind::Identifier, t))
                if t.eq_ignore_ascii_case(word)
        )
    }

    /// The next token in upper case when it is a word (keyword, type or identifier).
    pub fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.at) {
            Some((TokenKind::Keyword | TokenKind::Type | TokenKind::Identifier, t)) => {
                Some(t.to_ascii_uppercase())
            }
            _ => None,
        }
    }

    /// How many significant tokens are read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// How many significant tokens are left.
    pub fn remaining(&self) -> usize {
        self.tokens.len() - self.at
    }

    pub fn at_end(&self) -> bool {
        self.at >= self.tokens.len()
    }

    /// Skips one token, or a whole parenthesised group.
    pub fn skip(&mut self) {
        let mut depth = 0usize;
        while let Some(&(kind, text)) = self.tokens.get(self.at) {
            self.at += 1;
            if kind == TokenKind::Punctuation {
                match text {
                    "(" | "[" => depth += 1,
                    ")" | "]" => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if depth == 0 {
                return;
            }
        }
    }

    /// The words (upper case) and symbols up to the next comma outside parentheses, without
    /// moving; parenthesised groups become `(...)` so their contents do not count.
    pub fn action_words(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        for &(kind, text) in &self.tokens[self.at..] {
            if kind == TokenKind::Punctuation {
                match text {
                    "(" | "[" => {
                        if depth == 0 {
                            out.push("(...)".to_string());
                        }
                        depth += 1;
                        continue;
                    }
                    ")" | "]" => {
                        depth = depth.saturating_sub(1);
                        continue;
                    }
                    "," | ";" if depth == 0 => break,
                    _ => {}
                }
            }
            if depth == 0 {
                out.push(match kind {
                    TokenKind::QuotedIdentifier => unquote(text),
                    TokenKind::String | TokenKind::Number => text.to_string(),
                    _ => text.to_ascii_uppercase(),
                });
            }
        }
        out
    }

    pub fn eat(&mut self, word: &str) -> bool {
        self.eat_all(&[word])
    }

    /// Consumes `words` if they all come next, nothing otherwise.
    pub fn eat_all(&mut self, words: &[&str]) -> bool {
        let all = words
            .iter()
            .enumerate()
            .all(|(i, w)| self.is_word(self.at + i, w));
        if all {
            self.at += words.len();
        }
        all
    }

    pub fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = matches!(
            self.tokens.get(self.at),
            Some((TokenKind::Punctuation | TokenKind::Operator, t)) if *t == symbol
        );
        self.at += usize::from(found);
        found
    }

    /// One name, as PostgreSQL reads it.
    pub fn ident(&mut self) -> Option<String> {
        let &(kind, text) = self.tokens.get(self.at)?;
        let name = match kind {
            TokenKind::Keyword | TokenKind::Type | TokenKind::Identifier => {
                text.to_ascii_lowercase()
            }
            TokenKind::QuotedIdentifier => unquote(text),
            _ => return None,
        };
        self.at += 1;
        Some(name)
    }

    /// `name`, `schema.name` or `database.schema.name`, as (schema, name).
    pub fn qualified(&mut self) -> Option<(Option<String>, String)> {
        let mut parts = vec![self.ident()?];
        while self.eat_symbol(".") {
            match self.ident() {
                Some(part) => parts.push(part),
                None => break,
            }
        }
        let name = parts.pop()?;
        Some((parts.pop(), name))
    }

    /// A comma-separated list of `[ONLY] name [*]`.
    pub fn names(&mut self) -> Vec<(Option<String>, String)> {
        let mut out = Vec::new();
        loop {
            self.eat("ONLY");
            let Some(name) = self.qualified() else {
                return out;
            };
            self.eat_symbol("*");
            out.push(name);
            if !self.eat_symbol(",") {
                return out;
            }
        }
    }

    /// Moves past the next comma outside parentheses; false at the end of the statement.
    pub fn next_action(&mut self) -> bool {
        let mut depth = 0usize;
        while let Some(&(kind, text)) = self.tokens.get(self.at) {
            self.at += 1;
            if kind != TokenKind::Punctuation {
                continue;
            }
            match text {
                "(" | "[" => depth += 1,
                ")" | "]" => depth = depth.saturating_sub(1),
                "," if depth == 0 => return true,
                ";" if depth == 0 => return false,
                _ => {}
            }
        }
        false
    }

    /// Whether one of `words` comes later outside parentheses, where a subquery's `WHERE`
    /// would be.
    pub fn rest_has(&self, words: &[&str]) -> bool {
        let mut depth = 0usize;
        for i in self.at..self.tokens.len() {
            match self.tokens[i] {
                (TokenKind::Punctuation, "(") => depth += 1,
                (TokenKind::Punctuation, ")") => depth = depth.saturating_sub(1),
                _ if depth == 0 && words.iter().any(|w| self.is_word(i, w)) => return true,
                _ => {}
            }
        }
        false
    }
}

/// The name a quoted identifier stands for: `""` is a quote, and a `U&` one has `\XXXX` and
/// `\+XXXXXX` escapes.
pub fn unquote(text: &str) -> String {
    let (unicode, body) = match text.strip_prefix("U&").or_else(|| text.strip_prefix("u&")) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let body = body.strip_prefix('"').unwrap_or(body);
    let body = body.strip_suffix('"').unwrap_or(body).replace("\"\"", "\"");
    if !unicode {
        return body;
    }
    let mut out = String::new();
    let mut rest = body.as_str();
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        let (digits, skip) = match rest.strip_prefix('+') {
            Some(long) => (long.get(..6), 7),
            None => (rest.get(..4), 4),
        };
        let decoded = digits
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[skip..];
            }
            None if rest.starts_with('\\') => {
                out.push('\\');
                rest = &rest[1..];
            }
            None => out.push('\\'),
        }
    }
    out.push_str(rest);
    out
}
