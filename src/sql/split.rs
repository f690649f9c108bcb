//! Statement splitting with the boundaries psql uses (`src/fe_utils/psqlscan.l`).
//!
//! The scanner works on bytes and jumps over quoted text with `memchr`, because plans of
//! thousands of files are split on every start of the console.

use std::ops::Range;

use super::lines::LineIndex;

mod error;
mod scanner;

pub use error::SplitError;

use scanner::Scanner;

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
    Scanner::new(text, from, options, LineIndex::new(text), is_marker, sink).run()
}
