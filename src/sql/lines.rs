//! Line and column numbers, computed on demand: most positions are never reported.

use memchr::{memchr_iter, memrchr};

/// Answers line/column questions for positions that mostly move forward, counting newlines
/// only over the distance travelled since the last question.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        LineIndex {
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// 1-based line and 1-based column (in characters) of byte offset `at`.
    pub fn line_col(&mut self, at: usize) -> (u32, u32) {
        let at = at.min(self.bytes.len());
        if at < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += memchr_iter(b'\n', &self.bytes[self.pos..at]).count() as u32;
        self.pos = at;
        let line_start = memrchr(b'\n', &self.bytes[..at]).map_or(0, |i| i + 1);
        let column = self.bytes[line_start..at]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count() as u32
            + 1;
        (self.line, column)
    }
}

/// 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> u32 {
    LineIndex::new(text).line_col(at).0
}
