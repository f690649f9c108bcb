//! Statement splitting with the boundaries psql uses (`src/fe_utils/psqlscan.l`).
//!
//! The scanner works on bytes and jumps over quoted text with `memchr`, because plans of
//! thousands of files are split on every start of the console.

use std::ops::Range;

use memchr::{memchr, memchr2};

use super::lines::LineIndex;

/// One SQL statement: its text (without the terminating `;`) and, for `COPY ... FROM stdin`,
/// the data lines that follow it up to (not including) the `\.` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line of the statement's first character.
    pub line: u32,
    pub span: Range<usize>,
    pub copy_data: Option<Range<usize>>,
}

impl Statement {
    pub fn sql<'a>(&self, text: &'a str) -> &'a str {
        &text[self.span.clone()]
    }
}

/// A `--` comment at the start of a line that the caller recognised as a section marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub line: u32,
    pub span: Range<usize>,
}

impl Marker {
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        &text[self.span.clone()]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Statement(Statement),
    Marker(Marker),
}

/// Everything the scanner passes over. Every non-whitespace byte of the input belongs to
/// exactly one piece, in order of where pieces start, except the `\.` line that ends COPY
/// data; a `COPY ... FROM stdin` statement (with its data, which follows the `;`) comes just
/// before its terminator. The property tests rely on that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Statement(Statement),
    Marker(Marker),
    /// A comment outside any statement (psql drops these).
    Comment(Range<usize>),
    /// A `;` that ended a statement, or an empty one.
    Terminator(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("unterminated {what} starting at line {line}, column {column}")]
    Unterminated {
        what: &'static str,
        line: u32,
        column: u32,
    },
    #[error("psql meta-command `{command}` at line {line}, column {column}: pgstep is not psql")]
    MetaCommand {
        command: String,
        line: u32,
        column: u32,
    },
    #[error("parenthesis opened at line {line}, column {column} is never closed")]
    UnclosedParen { line: u32, column: u32 },
    #[error("BEGIN ATOMIC body of the statement at line {line} has no matching END")]
    UnclosedAtomic { line: u32 },
    #[error("COPY ... FROM stdin at line {line} has no terminating `\\.` line")]
    UnterminatedCopy { line: u32 },
    #[error("text after COPY ... FROM stdin on line {line}, column {column}")]
    CopyTrailingText { line: u32, column: u32 },
}

impl SplitError {
    pub fn line(&self) -> u32 {
        match self {
            SplitError::Unterminated { line, .. }
            | SplitError::MetaCommand { line, .. }
            | SplitError::UnclosedParen { line, .. }
            | SplitError::UnclosedAtomic { line }
            | SplitError::UnterminatedCopy { line }
            | SplitError::CopyTrailingText { line, .. } => *line,
        }
    }

    pub fn column(&self) -> Option<u32> {
        match self {
            SplitError::Unterminated { column, .. }
            | SplitError::MetaCommand { column, .. }
            | SplitError::UnclosedParen { column, .. }
            | SplitError::CopyTrailingText { column, .. } => Some(*column),
            SplitError::UnclosedAtomic { .. } | SplitError::UnterminatedCopy { .. } => None,
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            SplitError::Unterminated { .. } => {
                "close it; everything after the opening was read as part of it"
            }
            SplitError::MetaCommand { .. } => {
                "remove the backslash command: pgstep sends SQL itself; run psql-only scripts with psql"
            }
            SplitError::UnclosedParen { .. } => "add the missing `)`",
            SplitError::UnclosedAtomic { .. } => "end the function body with END;",
            SplitError::UnterminatedCopy { .. } => {
                "end the COPY data with a line holding only `\\.`"
            }
            SplitError::CopyTrailingText { .. } => {
                "start the COPY data on the line after the COPY command"
            }
        }
    }
}

/// Settings that change how text is read.
#[derive(Debug, Clone, Copy)]
pub struct SplitOptions {
    /// The server's `standard_conforming_strings` at the start of the text.
    pub standard_conforming_strings: bool,
}

impl Default for SplitOptions {
    fn default() -> Self {
        SplitOptions {
            standard_conforming_strings: true,
        }
    }
}

/// Splits `text` into statements.
pub fn split(text: &str) -> Result<Vec<Statement>, SplitError> {
    let mut out = Vec::new();
    scan(text, 0, SplitOptions::default(), &|_| false, &mut |p| {
        if let Piece::Statement(s) = p {
            out.push(s);
        }
    })?;
    Ok(out)
}

/// Splits `text[from..]` into statements and markers. `is_marker` is asked about every `--`
/// comment that starts a line; a marker also ends the statement it interrupts.
pub fn split_items(
    text: &str,
    from: usize,
    options: SplitOptions,
    is_marker: &dyn Fn(&str) -> bool,
) -> Result<Vec<Item>, SplitError> {
    let mut out = Vec::new();
    scan(text, from, options, is_marker, &mut |p| match p {
        Piece::Statement(s) => out.push(Item::Statement(s)),
        Piece::Marker(m) => out.push(Item::Marker(m)),
        Piece::Comment(_) | Piece::Terminator(_) => {}
    })?;
    Ok(out)
}

/// The scanner with every piece reported to `sink`.
pub fn scan(
    text: &str,
    from: usize,
    options: SplitOptions,
    is_marker: &dyn Fn(&str) -> bool,
    sink: &mut dyn FnMut(Piece),
) -> Result<(), SplitError> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: from,
        lines: LineIndex::new(text),
        scs: options.standard_conforming_strings,
        pending_scs: None,
        stmt: StatementState::default(),
        is_marker,
        sink,
    };
    scanner.run()
}

#[derive(Default)]
struct StatementState {
    /// First byte of the first code token.
    start: Option<usize>,
    /// End of the last token that belongs to the statement.
    end: usize,
    paren_depth: u32,
    /// Where the outermost open parenthesis is, for the error when it never closes.
    paren_open: usize,
    begin_depth: u32,
    identifiers: u32,
    /// First letters of CREATE / OR / REPLACE / FUNCTION / PROCEDURE among the first four
    /// identifiers, as psql records them to detect `BEGIN ATOMIC` bodies.
    head: [u8; 4],
    first_word: FirstWord,
    after_from: bool,
    copy_from_stdin: bool,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum FirstWord {
    #[default]
    Other,
    Copy,
    Set,
}

struct Scanner<'a, 's> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    lines: LineIndex<'a>,
    scs: bool,
    pending_scs: Option<bool>,
    stmt: StatementState,
    is_marker: &'s dyn Fn(&str) -> bool,
    sink: &'s mut dyn FnMut(Piece),
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_cont(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl Scanner<'_, '_> {
    fn run(&mut self) -> Result<(), SplitError> {
        let len = self.bytes.len();
        while self.pos < len {
            let b = self.bytes[self.pos];
            match b {
                b'\n' => {
                    self.newline();
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.line_comment()?,
                b'/' if self.peek(1) == Some(b'*') => self.block_comment()?,
                b'\'' => {
                    let escapes = !self.scs;
                    self.quoted(1, b'\'', escapes, false, "string literal")?;
                }
                b'"' => self.quoted(1, b'"', false, false, "quoted identifier")?,
                b'$' => self.dollar()?,
                b';' => self.semicolon()?,
                b'(' => {
                    self.code(self.pos, self.pos + 1);
                    if self.stmt.paren_depth == 0 {
                        self.stmt.paren_open = self.pos;
                    }
                    self.stmt.paren_depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    self.code(self.pos, self.pos + 1);
                    if self.stmt.paren_depth > 0 {
                        self.stmt.paren_depth -= 1;
                    }
                    self.pos += 1;
                }
                b'\\' => return Err(self.meta_command()),
                _ if is_ident_start(b) => self.word()?,
                b'0'..=b'9' => {
                    let start = self.pos;
                    self.pos = number_end(self.bytes, start);
                    self.code(start, self.pos);
                }
                _ => {
                    self.code(self.pos, self.pos + 1);
                    self.pos += 1;
                }
            }
        }
        self.finish(len)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// psql reads `standard_conforming_strings` once per input line, so a `SET` changes the
    /// reading of the lines after the one it ends on.
    fn newline(&mut self) {
        if let Some(v) = self.pending_scs.take() {
            self.scs = v;
        }
    }

    fn position(&mut self, at: usize) -> (u32, u32) {
        self.lines.line_col(at)
    }

    /// Marks `start..end` as a code token of the current statement.
    fn code(&mut self, start: usize, end: usize) {
        if self.stmt.start.is_none() {
            self.stmt.start = Some(start);
        }
        self.stmt.end = end;
    }

    fn line_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let end = match memchr2(b'\n', b'\r', &self.bytes[start..]) {
            Some(i) => start + i,
            None => self.bytes.len(),
        };
        self.pos = end;
        if self.starts_line(start) && (self.is_marker)(&self.text[start..end]) {
            self.end_statement(start)?;
            let (line, _) = self.position(start);
            (self.sink)(Piece::Marker(Marker {
                line,
                span: start..end,
            }));
            return Ok(());
        }
        self.comment(start, end);
        Ok(())
    }

    fn starts_line(&self, at: usize) -> bool {
        self.bytes[..at]
            .iter()
            .rev()
            .take_while(|&&b| b != b'\n')
            .all(|&b| b == b' ' || b == b'\t')
    }

    /// A comment inside a statement is part of its text; one between statements is a piece of
    /// its own.
    fn comment(&mut self, start: usize, end: usize) {
        if self.stmt.start.is_some() {
            self.stmt.end = end;
        } else {
            (self.sink)(Piece::Comment(start..end));
        }
    }

    fn block_comment(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let mut depth = 1u32;
        let mut i = start + 2;
        while depth > 0 {
            let Some(off) = memchr2(b'*', b'/', &self.bytes[i..]) else {
                let (line, column) = self.position(start);
                return Err(SplitError::Unterminated {
                    what: "block comment",
                    line,
                    column,
                });
            };
            let at = i + off;
            match (self.bytes[at], self.bytes.get(at + 1)) {
                (b'*', Some(b'/')) => {
                    depth -= 1;
                    i = at + 2;
                }
                (b'/', Some(b'*')) => {
                    depth += 1;
                    i = at + 2;
                }
                _ => i = at + 1,
            }
        }
        self.pending_newlines(start, i);
        self.pos = i;
        self.comment(start, i);
        Ok(())
    }

    /// Applies a pending `standard_conforming_strings` change when a token spans a line end.
    fn pending_newlines(&mut self, start: usize, end: usize) {
        if self.pending_scs.is_some() && memchr(b'\n', &self.bytes[start..end]).is_some() {
            self.newline();
        }
    }

    /// A quoted run that starts `prefix` bytes after `self.pos` and ends at an unescaped
    /// `close`; doubling `close` escapes it, and with `escapes` so does a backslash.
    /// A `B''`/`X''` string (`bits`) has no doubled quotes: psql ends it at the first quote
    /// and reads a quote right after as a new plain string, with that string's escapes.
    fn quoted(
        &mut self,
        prefix: usize,
        close: u8,
        mut escapes: bool,
        bits: bool,
        what: &'static str,
    ) -> Result<(), SplitError> {
        let start = self.pos;
        let mut i = start + prefix;
        loop {
            let found = if escapes {
                memchr2(close, b'\\', &self.bytes[i..])
            } else {
                memchr(close, &self.bytes[i..])
            };
            let Some(off) = found else {
                let (line, column) = self.position(start);
                return Err(SplitError::Unterminated { what, line, column });
            };
            let at = i + off;
            if self.bytes[at] == b'\\' {
                i = at + 2;
                if i > self.bytes.len() {
                    i = self.bytes.len();
                }
                continue;
            }
            if self.bytes.get(at + 1) == Some(&close) {
                if bits {
                    escapes = !self.scs;
                }
                i = at + 2;
                continue;
            }
            i = at + 1;
            break;
        }
        self.pending_newlines(start, i);
        self.code(start, i);
        self.pos = i;
        Ok(())
    }

    fn dollar(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let rest = &self.bytes[start + 1..];
        if rest.first().is_some_and(u8::is_ascii_digit) {
            // `$1`: a parameter.
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            self.code(start, start + 1 + digits);
            self.pos = start + 1 + digits;
            return Ok(());
        }
        let tag_len = match rest.first() {
            Some(&b) if is_ident_start(b) => rest
                .iter()
                .take_while(|&&b| is_ident_cont(b) && b != b'$')
                .count(),
            _ => 0,
        };
        if rest.get(tag_len) != Some(&b'$') {
            // A lone `$` is not valid SQL, but it does not open anything either.
            self.code(start, start + 1);
            self.pos = start + 1;
            return Ok(());
        }
        let delim = &self.bytes[start..start + tag_len + 2];
        let mut i = start + delim.len();
        loop {
            let Some(off) = memchr(b'$', &self.bytes[i..]) else {
                let (line, column) = self.position(start);
                return Err(SplitError::Unterminated {
                    what: "dollar-quoted string",
                    line,
                    column,
                });
            };
            let at = i + off;
            if self.bytes[at..].starts_with(delim) {
                i = at + delim.len();
                break;
            }
            i = at + 1;
        }
        self.pending_newlines(start, i);
        self.code(start, i);
        self.pos = i;
        Ok(())
    }

    fn word(&mut self) -> Result<(), SplitError> {
        let start = self.pos;
        let b = self.bytes[start];
        let next = self.peek(1);
        match (b | 0x20, next) {
            (b'e', Some(b'\'')) => return self.quoted(2, b'\'', true, false, "string literal"),
            (b'b' | b'x' | b'n', Some(b'\'')) => {
                let n = b | 0x20 == b'n';
                return self.quoted(2, b'\'', n && !self.scs, !n, "string literal");
            }
            (b'u', Some(b'&')) => match self.peek(2) {
                Some(b'\'') => return self.quoted(3, b'\'', false, false, "string literal"),
                Some(b'"') => return self.quoted(3, b'"', false, false, "quoted identifier"),
                _ => {}
            },
            _ => {}
        }
        let len = self.bytes[start..]
            .iter()
            .take_while(|&&b| is_ident_cont(b))
            .count();
        self.pos = start + len;
        self.code(start, self.pos);
        self.identifier(&self.text[start..start + len]);
        Ok(())
    }

    /// psql's heuristic for `CREATE FUNCTION ... BEGIN ATOMIC ... END`, plus what pgstep needs
    /// to recognise `COPY ... FROM stdin` and `SET standard_conforming_strings`.
    fn identifier(&mut self, word: &str) {
        let st = &mut self.stmt;
        let n = st.identifiers as usize;
        st.identifiers += 1;
        if n < 4 {
            if n == 0 {
                st.first_word = if word.eq_ignore_ascii_case("copy") {
                    FirstWord::Copy
                } else if word.eq_ignore_ascii_case("set") || word.eq_ignore_ascii_case("reset") {
                    FirstWord::Set
                } else {
                    FirstWord::Other
                };
            }
            if ["create", "function", "procedure", "or", "replace"]
                .iter()
                .any(|k| word.eq_ignore_ascii_case(k))
            {
                st.head[n] = word.as_bytes()[0].to_ascii_lowercase();
            }
        }
        if st.first_word == FirstWord::Copy && st.paren_depth == 0 {
            if st.after_from && word.eq_ignore_ascii_case("stdin") {
                st.copy_from_stdin = true;
            }
            st.after_from = word.eq_ignore_ascii_case("from");
        }
        let h = st.head;
        let routine = h[0] == b'c'
            && (h[1] == b'f'
                || h[1] == b'p'
                || (h[1] == b'o' && h[2] == b'r' && matches!(h[3], b'f' | b'p')));
        if routine && st.paren_depth == 0 {
            if word.eq_ignore_ascii_case("begin") {
                st.begin_depth += 1;
            } else if word.eq_ignore_ascii_case("case") {
                if st.begin_depth >= 1 {
                    st.begin_depth += 1;
                }
            } else if word.eq_ignore_ascii_case("end") && st.begin_depth > 0 {
                st.begin_depth -= 1;
            }
        }
    }

    fn semicolon(&mut self) -> Result<(), SplitError> {
        let at = self.pos;
        if self.stmt.paren_depth > 0 || self.stmt.begin_depth > 0 {
            self.code(at, at + 1);
            self.pos += 1;
            return Ok(());
        }
        self.pos += 1;
        // A COPY's statement comes first and its terminator after it, so pieces stay in order
        // of where they start even though the statement's data follows the `;`.
        if let Some((stmt, line)) = self.end_statement(at)? {
            self.copy_data(stmt, line)?;
        }
        (self.sink)(Piece::Terminator(at));
        Ok(())
    }

    /// Ends the current statement at `at`. A `COPY ... FROM stdin` statement is returned
    /// instead of reported, because its data follows.
    fn end_statement(&mut self, at: usize) -> Result<Option<(Statement, u32)>, SplitError> {
        let st = std::mem::take(&mut self.stmt);
        let Some(start) = st.start else {
            return Ok(None);
        };
        let (line, _) = self.position(start);
        if st.paren_depth > 0 {
            let (line, column) = self.position(st.paren_open);
            return Err(SplitError::UnclosedParen { line, column });
        }
        if st.begin_depth > 0 {
            return Err(SplitError::UnclosedAtomic { line });
        }
        let stmt = Statement {
            line,
            span: start..st.end.min(at).max(start),
            copy_data: None,
        };
        if st.first_word == FirstWord::Set
            && let Some(v) = scs_setting(&self.text[stmt.span.clone()])
        {
            self.pending_scs = Some(v);
        }
        if st.copy_from_stdin && self.bytes.get(at) == Some(&b';') {
            return Ok(Some((stmt, line)));
        }
        (self.sink)(Piece::Statement(stmt));
        Ok(None)
    }

    /// Reads the data lines of `COPY ... FROM stdin` up to the `\.` line, unlexed.
    fn copy_data(&mut self, mut stmt: Statement, line: u32) -> Result<(), SplitError> {
        let eol = memchr(b'\n', &self.bytes[self.pos..]).map(|i| self.pos + i);
        let line_end = eol.unwrap_or(self.bytes.len());
        if let Some(off) = self.bytes[self.pos..line_end]
            .iter()
            .position(|&b| !is_space(b))
        {
            let (line, column) = self.position(self.pos + off);
            return Err(SplitError::CopyTrailingText { line, column });
        }
        let Some(eol) = eol else {
            return Err(SplitError::UnterminatedCopy { line });
        };
        self.newline();
        let data_start = eol + 1;
        let mut i = data_start;
        loop {
            let end = memchr(b'\n', &self.bytes[i..]).map_or(self.bytes.len(), |o| i + o);
            let content = &self.bytes[i..end];
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            if content == b"\\." {
                stmt.copy_data = Some(data_start..i);
                (self.sink)(Piece::Statement(stmt));
                self.pos = end;
                return Ok(());
            }
            if end >= self.bytes.len() {
                return Err(SplitError::UnterminatedCopy { line });
            }
            i = end + 1;
        }
    }

    fn meta_command(&mut self) -> SplitError {
        let start = self.pos;
        let len = self.bytes[start + 1..]
            .iter()
            .take_while(|b| !is_space(**b))
            .count();
        let (line, column) = self.position(start);
        SplitError::MetaCommand {
            command: self.text[start..start + 1 + len].to_string(),
            line,
            column,
        }
    }

    /// The text may end without a `;`: psql sends what it holds (a `COPY ... FROM stdin` then
    /// has no data).
    fn finish(&mut self, len: usize) -> Result<(), SplitError> {
        self.end_statement(len).map(|_| ())
    }
}

/// End of the numeric token starting at `start`. psql takes trailing identifier characters
/// into the number as junk, `$` included, so `1e5$$` opens no dollar quote; `1e+5` and
/// `1e+` stay numbers because a signed exponent is the longer match.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let ident = |from: usize| match bytes.get(from) {
        Some(&b) if is_ident_start(b) => {
            from + bytes[from..]
                .iter()
                .take_while(|&&b| is_ident_cont(b))
                .count()
        }
        _ => from,
    };
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1) != Some(&b'.') {
        i = digits(i + 1);
    }
    let junk = ident(i);
    let real = if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(j);
        if k > j { ident(k) } else { j }
    } else {
        i
    };
    junk.max(real)
}

/// The value a `SET`/`RESET` statement gives `standard_conforming_strings`, if it is one.
fn scs_setting(sql: &str) -> Option<bool> {
    let lower = sql.to_ascii_lowercase().replace('=', " = ");
    let mut words = lower.split_whitespace();
    match words.next()? {
        "reset" => {
            let what = words.next()?;
            (what == "standard_conforming_strings" || what == "all").then_some(true)
        }
        "set" => {
            let mut w = words.next()?;
            if w == "session" || w == "local" {
                w = words.next()?;
            }
            if w != "standard_conforming_strings" {
                return None;
            }
            let op = words.next()?;
            if op != "=" && op != "to" {
                return None;
            }
            match words.next()?.trim_matches('\'') {
                "on" | "true" | "yes" | "1" | "default" => Some(true),
                "off" | "false" | "no" | "0" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}
