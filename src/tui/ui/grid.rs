//! A query's result as a grid: each column as wide as its widest cell, all narrowed together
//! when the terminal is narrower than they are, and rows scrolled with what is out of sight
//! said on the last line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::engine::ResultSet;
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

const SEPARATOR: &str = " | ";

/// `rs` in `area` under `block`, from row `scroll` on; `keys` scroll it.
pub fn render(
    rs: &ResultSet,
    scroll: usize,
    keys: &str,
    block: Block,
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let widths = widths(rs, usize::from(inner.width));
    // The column names and the count take a row each.
    let room = usize::from(inner.height.saturating_sub(2));
    let offset = scroll.min(rs.rows.len().saturating_sub(room));
    let names: Vec<Option<&str>> = rs.columns.iter().map(|c| Some(c.as_str())).collect();
    let mut lines = vec![Line::from(Span::styled(row(&names, &widths), t.title()))];
    lines.extend(rs.rows.iter().skip(offset).take(room).map(|r| {
        let cells: Vec<Option<&str>> = r
            .iter()
            .map(|c| Some(c.as_deref().unwrap_or(tabs::NULL)))
            .collect();
        Line::from(row(&cells, &widths))
    }));
    let shown = rs.rows.len().min(room);
    let count = words::result_rows(rs.rows.len(), offset, shown, keys);
    lines.push(Line::from(Span::styled(count, t.dim())));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Each column's width: its widest cell, or, when they do not all fit `room`, at most the
/// widest width that lets them.
fn widths(rs: &ResultSet, room: usize) -> Vec<usize> {
    let mut natural: Vec<usize> = rs.columns.iter().map(|c| c.chars().count()).collect();
    for r in &rs.rows {
        for (w, c) in natural.iter_mut().zip(r) {
            *w = (*w).max(c.as_deref().map_or(4, |c| c.chars().count()));
        }
    }
    let gaps = SEPARATOR.len() * natural.len().saturating_sub(1);
    let fits = |cap: usize| natural.iter().map(|w| (*w).min(cap)).sum::<usize>() + gaps <= room;
    let widest = natural.iter().copied().max().unwrap_or(0);
    if fits(widest) {
        return natural;
    }
    // The largest cap that fits, found by halving: at least 3 characters a column.
    let (mut lo, mut hi) = (3, widest);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(mid) { lo = mid } else { hi = mid - 1 }
    }
    natural.into_iter().map(|w| w.min(lo)).collect()
}

/// One row: each cell padded to its width, or cut with `…` when longer.
fn row(cells: &[Option<&str>], widths: &[usize]) -> String {
    let mut out = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            out.push_str(SEPARATOR);
        }
        let text = crate::text::escape(cell.unwrap_or(""));
        let n = text.chars().count();
        if n > *w {
            out.extend(text.chars().take(w.saturating_sub(1)));
            out.push('…');
        } else {
            out.push_str(&text);
            out.extend(std::iter::repeat_n(' ', w - n));
        }
    }
    out.trim_end().to_string()
}
