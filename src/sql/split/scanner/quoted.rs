//! Comments, quoted strings and identifiers, and dollar quotes: the runs of text inside which
//! a `;` ends nothing.

use memchr::{memchr, memchr2};

use super::{Scanner, is_ident_cont, is_ident_start};
use crate::sql::split::{Marker, Piece, SplitError};

impl Scanner<'_, '_> {
    pub(super) fn line_comment(&mut self) -> Result<(), SplitError> {
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

    pub(super) fn block_comment(&mut self) -> Result<(), SplitError> {
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
    pub(super) fn quoted(
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

    pub(super) fn dollar(&mut self) -> Result<(), SplitError> {
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
}
