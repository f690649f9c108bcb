//! The `?` overlay: every key of the current context, from the keymap table itself.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::dialogs::centered;
use super::theme::Theme;
use crate::tui::app::App;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let mut entries = app.keymap.help(&app.contexts(), app.read_only());
    entries.push(("1-9".into(), "switch tab"));
    entries.push(("ctrl-c".into(), "quit (asks if work runs)"));
    let kw = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4);
    let line = |(k, h): &(String, &'static str)| {
        Line::from(vec![
            Span::styled(format!("{k:>kw$}  "), t.key()),
            Span::raw(*h),
        ])
    };
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
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Keys (any key closes) ");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let parts =
        Layout::horizontal(vec![Constraint::Ratio(1, columns as u32); columns]).split(inner);
    for (chunk, part) in entries.chunks(rows).zip(parts.iter()) {
        let lines: Vec<Line> = chunk.iter().map(line).collect();
        frame.render_widget(Paragraph::new(lines), *part);
    }
}
