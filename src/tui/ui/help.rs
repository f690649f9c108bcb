//! The `?` overlay: every key of the current context, from the keymap table itself.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::frame::{centered, clear};
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let entries = app.keymap.help(&app.contexts(), app.read_only());
    // Two columns when one would not fit the screen (80x24 has room for about 20 rows).
    let room = area.height.saturating_sub(4) as usize;
    let columns = if entries.len() > room { 2 } else { 1 };
    let rows = entries.len().div_ceil(columns);
    let width = if columns == 2 {
        area.width
    } else {
        76.min(area.width)
    };
    let rect = centered(area, width, (rows as u16 + 3).min(area.height));
    clear(frame, rect, area);
    let block = t.block().title(" Keys (any key closes) ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let parts = Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns])
        .spacing(1)
        .split(inner);
    for (chunk, part) in entries.chunks(rows).zip(parts.iter()) {
        // Keys aligned per column: one long key elsewhere must not push this column's text
        // into the next one.
        let kw = chunk
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(1);
        let lines: Vec<Line> = chunk
            .iter()
            .map(|(k, h)| {
                Line::from(vec![
                    Span::styled(format!("{k:>kw$}  "), t.key()),
                    Span::raw(*h),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), *part);
    }
}
