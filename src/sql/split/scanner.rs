//! The scanner: psql's lexer reduced to what decides where statements end, with the state of
//! the statement it is in.

use memchr::memchr;

use super::{Piece, SplitError, SplitOptions, Statement};
use crate::sql::lines::LineIndex;

mod quoted;

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

pub(super) struct Scanner<'a, 's> {
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

impl<'a, 's> Scanner<'a, 's> {
    pub(super) fn new(
        text: &'a str,
        from: usize,
        options: SplitOptions,
        lines: LineIndex<'a>,
        is_marker: &'s dyn Fn(&str) -> bool,
        sink: &'s mut dyn FnMut(Piece),
    ) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: from,
            lines,
            scs: options.standard_conforming_strings,
            pending_scs: None,
            stmt: StatementState::default(),
            is_marker,
            sink,
        }
    }

    pub(super) fn run(&mut self) -> Result<(), SplitError> {
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
