//! Text from files and the database on its way to a terminal or a message. A file name, a
//! header value or a check name may hold control characters; written raw, an ESC sequence
//! would drive the operator's terminal and a newline would forge a line of output.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// `text` with every control character (C0, DEL, C1) escaped as `\n`, `\r`, `\t` or `\xNN`.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_except(text, &[])
}

/// Text of several lines (a message for stderr, SQL, a diff; never JSON) with its line breaks
/// and tabs kept and every other control character escaped.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_except(text, &['\n', '\t'])
}

fn escape_except<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let escaped = |c: char| c.is_control() && !keep.contains(&c);
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !escaped(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// A path, escaped like any other text.
pub fn path(path: &std::path::Path) -> String {
    escape(&path.display().to_string()).into_owned()
}

/// Formats as [`escape`] of the wrapped text, for use inside `format!`.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&escape(self.0))
    }
}

/// `items` joined with commas, the first `most` of them and how many more.
pub fn list_of(items: &[String], most: usize) -> String {
    let shown = items[..items.len().min(most)].join(", ");
    match items.len().saturating_sub(most) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(escape("plain — ünïcode"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\x1b[31mb\nc\rd\te\x00f\x7fg\u{9b}h"),
            r"a\x1b[31mb\nc\rd\te\x00f\x7fg\x9bh"
        );
        assert_eq!(format!("[{:6}]", Escaped("a\x07")), r"[a\x07 ]");
        assert_eq!(escape_lines("one\x1b\n\ttwo\r\n"), "one\\x1b\n\ttwo\\r\n");
        assert!(matches!(escape_lines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_long_list_says_how_many_more() {
        let items: Vec<String> = (1..=5).map(|i| i.to_string()).collect();
        assert_eq!(list_of(&items, 5), "1, 2, 3, 4, 5");
        assert_eq!(list_of(&items, 2), "1, 2 and 3 more");
        assert_eq!(list_of(&[], 2), "");
    }
}
