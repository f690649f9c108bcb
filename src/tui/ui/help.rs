//! The `?` overlay: every key of the current context, from the keymap table itself.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::dialogs::centered;
use super::theme::Theme;
use crate::tui::app::App;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let entries = app.keymap.help(&app.contexts(), app.read_only());
    let kw = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4);
    let mut lines: Vec<Line> = entries
        .iter()
        .map(|(k, h)| {
            Line::from(vec![
                Span::styled(format!("{k:>kw$}  "), t.key()),
                Span::raw(*h),
            ])
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(format!("{:>kw$}  ", "1-9"), t.key()),
        Span::raw("switch tab"),
    ]));
    lines.push(Line::from(vec![
        Span::styled(format!("{:>kw$}  ", "ctrl-c"), t.key()),
        Span::raw("quit (asks while work runs)"),
    ]));
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "any key closes this help",
        t.dim(),
    )));
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, 76.min(area.width), height);
    frame.render_widget(Clear, rect);
    let block = Block::default().borders(Borders::ALL).title(" Keys ");
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
