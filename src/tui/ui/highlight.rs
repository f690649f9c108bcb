//! SQL with syntax colours and line numbers, from pgstep's own lexer (it never fails, so a
//! half-typed query colours too), and diffs with their added and removed lines marked.

use ratatui::style::Style;
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

/// `lines` folded to `width` columns, each continuation indented under the start of its
/// line's text (past the line number and the line's own indentation), so wrapped SQL keeps
/// its shape. Lines break after a space where one is in reach, else at the width.
pub fn wrap(lines: Vec<Line<'static>>, width: u16, numbered: bool) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let cells: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
            .collect();
        if cells.len() <= width {
            out.push(line);
            continue;
        }
        let gutter = if numbered {
            line.spans.first().map_or(0, |s| s.content.chars().count())
        } else {
            0
        };
        let own = cells[gutter..]
            .iter()
            .take_while(|(c, _)| *c == ' ')
            .count();
        // An indentation that leaves no room for text is not kept.
        let indent = if gutter + own + 8 < width {
            gutter + own
        } else {
            0
        };
        let mut start = 0;
        let mut first = true;
        while start < cells.len() {
            let lead = if first { 0 } else { indent };
            let room = width - lead;
            let mut end = (start + room).min(cells.len());
            if end < cells.len()
                && let Some(space) = cells[start..end].iter().rposition(|(c, _)| *c == ' ')
                && space > 0
            {
                end = start + space + 1;
            }
            let mut spans = vec![Span::raw(" ".repeat(lead))];
            spans.extend(runs(&cells[start..end]));
            out.push(Line::from(spans).style(line.style));
            start = end;
            if !first {
                continue;
            }
            first = false;
            // A continuation does not start with the space it broke at.
            while start < cells.len() && cells[start].0 == ' ' {
                start += 1;
            }
        }
    }
    out
}

/// Characters grouped back into spans of one style.
fn runs(cells: &[(char, Style)]) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map(|c| c.1).unwrap_or_default();
    for &(c, s) in cells {
        if s != style && !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = s;
        text.push(c);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn wrapped_sql_keeps_its_indentation() {
        let t = Theme::default();
        let sql_text = "CREATE TABLE t (\n    a_long_column_name integer NOT NULL DEFAULT 42 CHECK (a_long_column_name > 0)\n);";
        let lines = wrap(sql(sql_text, 1, &t), 40, true);
        let shown: Vec<String> = lines.iter().map(text).collect();
        assert_eq!(shown[0], "1 CREATE TABLE t (");
        assert_eq!(shown[1], "2     a_long_column_name integer NOT ");
        for cont in &shown[2..shown.len() - 1] {
            assert!(
                cont.starts_with("      ") && !cont.starts_with("       "),
                "{shown:?}"
            );
            assert!(cont.chars().count() <= 40, "{shown:?}");
        }
        assert_eq!(shown.last().unwrap(), "3 );");
        // Nothing is lost or repeated: the words are the statement's.
        let words: Vec<&str> = shown[1..shown.len() - 1]
            .iter()
            .flat_map(|s| s.split_whitespace())
            .collect();
        let expected: Vec<&str> =
            "2 a_long_column_name integer NOT NULL DEFAULT 42 CHECK (a_long_column_name > 0)"
                .split_whitespace()
                .collect();
        assert_eq!(words, expected);
    }
}
