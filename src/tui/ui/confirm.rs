//! A typed confirmation: what the action acts on, one fact a line, and the input line for
//! the name, pid or word to type.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::frame::{frame_for, hint_line, input_line, scrolled, wrapped_height};
use crate::tui::theme::Theme;

#[allow(clippy::too_many_arguments)]
pub fn render(
    (title, prompt): (&str, &str),
    facts: &[String],
    input: &str,
    hint: &Option<String>,
    scroll: usize,
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let w = area.width.saturating_sub(4).min(100);
    let lines: Vec<Line> = facts
        .iter()
        .enumerate()
        .map(|(i, f)| {
            // The last fact says how it runs and what it costs.
            if i + 1 == facts.len() {
                Line::from(Span::styled(f.clone(), t.warning()))
            } else {
                Line::from(f.clone())
            }
        })
        .collect();
    let tail = vec![
        Line::default(),
        input_line(prompt, input, true, t),
        hint_line(hint, t),
    ];
    let body = wrapped_height(&lines, w.saturating_sub(2));
    let h = (body + tail.len() as u16 + 2).min(area.height);
    let inner = frame_for(frame, area, w, h, title.to_string(), t);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(tail.len() as u16)]).areas(inner);
    scrolled(frame, top, lines, body, scroll, t);
    frame.render_widget(Paragraph::new(tail), bottom);
}
