//! The `?` overlay: every key of the current screen, from the keymap table itself; it
//! takes two columns when they hold its texts whole, scrolls when it does not fit, and says
//! what is out of sight.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::frame::{centered, clear};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Theme;
use crate::tui::words;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let layout = app.help_layout();
    let width = if layout.columns == 2 {
        area.width
    } else {
        76.min(area.width)
    };
    let marker = u16::from(layout.shown < layout.rows);
    let height = layout.shown as u16 + marker + 2;
    let rect = centered(area, width, height.min(area.height));
    clear(frame, rect, area);
    let scroll = (marker == 1).then(|| {
        let key = |c| app.keymap.key_of(Context::HelpView, c);
        (key(Command::Down), key(Command::Up))
    });
    let block = t.block().title(words::help_title(scroll));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [body, below] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(marker)]).areas(inner);
    let parts = Layout::horizontal(vec![
        Constraint::Ratio(1, layout.columns as u32);
        layout.columns
    ])
    .spacing(1)
    .split(body);
    let offset = app.help_scroll.min(layout.max_scroll());
    for (chunk, part) in layout.entries.chunks(layout.rows.max(1)).zip(parts.iter()) {
        // Keys aligned per column: one long key elsewhere must not push this column's text
        // into the next one.
        let kw = chunk
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(1);
        let lines: Vec<Line> = chunk
            .iter()
            .skip(offset)
            .take(layout.shown)
            .map(|(k, h)| {
                Line::from(vec![
                    Span::styled(format!("{k:>kw$}  "), t.key()),
                    Span::raw(*h),
                ])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), *part);
    }
    if marker == 1 {
        let hidden_below = layout.max_scroll() - offset;
        let say = words::more_rows(offset, hidden_below);
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(say, t.dim()))),
            below,
        );
    }
}
