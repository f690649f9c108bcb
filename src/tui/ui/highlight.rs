//! SQL with syntax colours and line numbers, from pgstep's own lexer (it never fails, so a
//! half-typed query colours too), and diffs with their added and removed lines marked.

use ratatui::text::{Line, Span};

use crate::plan::Sql;
use crate::sql::{TokenKind, tokens};
use crate::tui::theme::Theme;

/// The 1-based file line of the part's first line, from a statement whose line is known.
fn first_line(part: Sql<'_>) -> u32 {
    part.spans().next().map_or(1, |s| {
        let before = &part.text[..s.sql.start];
        s.line - before.matches('\n').count() as u32
    })
}

/// `text` as lines of styled spans, numbered from `first`.
pub fn sql(text: &str, first: u32, t: &Theme) -> Vec<Line<'static>> {
    let width = (first as usize + text.lines().count()).to_string().len();
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let number = |n: u32| Span::styled(format!("{n:>width$} "), t.dim());
    let mut n = first;
    current.push(number(n));
    for tok in tokens(text) {
        let style = match tok.kind {
            TokenKind::Keyword => t.keyword(),
            TokenKind::String => t.string(),
            TokenKind::Comment => t.comment(),
            TokenKind::Number => t.number(),
            _ => Default::default(),
        };
        let piece = &text[tok.span.clone()];
        let mut parts = piece.split('\n').peekable();
        while let Some(part) = parts.next() {
            let part = part.trim_end_matches('\r');
            if !part.is_empty() {
                current.push(Span::styled(part.replace('\t', "    "), style));
            }
            if parts.peek().is_some() {
                lines.push(Line::from(std::mem::take(&mut current)));
                n += 1;
                current.push(number(n));
            }
        }
    }
    if current.len() > 1 {
        lines.push(Line::from(current));
    }
    lines
}

/// A part of a migration, numbered with its file lines, without blank lines around it.
pub fn part(p: Sql<'_>, t: &Theme) -> Vec<Line<'static>> {
    let text = p.text.trim_end();
    let body = text.trim_start_matches(|c: char| c.is_whitespace());
    let start = &text[..text.len() - body.len()];
    // Whitespace before the first non-blank line: keep that line's indentation.
    let cut = start.rfind('\n').map_or(0, |i| i + 1);
    let skipped = start[..cut].matches('\n').count() as u32;
    sql(&text[cut..], first_line(p) + skipped, t)
}

/// A unified diff with `+` lines and `-` lines marked.
pub fn diff(text: &str, t: &Theme) -> Vec<Line<'static>> {
    text.lines()
        .map(|l| {
            let style = if l.starts_with("+++") || l.starts_with("---") || l.starts_with("@@") {
                t.dim()
            } else if l.starts_with('+') {
                t.added()
            } else if l.starts_with('-') {
                t.removed()
            } else {
                Default::default()
            };
            Line::from(Span::styled(l.to_string(), style))
        })
        .collect()
}
