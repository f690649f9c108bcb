//! The choice a copy above `trash_max` needs: the copy's size, then each choice with its key
//! from the binding table, or the reason being typed once "do not keep" is chosen.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::frame::{frame_for, hint_line, input_line, wrapped_height};
use crate::engine::keeping::Oversize;
use crate::tui::app::App;
use crate::tui::dialog::Held;
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Theme;
use crate::tui::words;

pub fn render(
    app: &App,
    (held, oversize): (&Held, &Oversize),
    (reason, hint): (&Option<String>, &Option<String>),
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let mut lines = vec![
        Line::from(words::keep_choice_facts(oversize)),
        Line::default(),
    ];
    match reason {
        None => {
            for (cmd, say) in [
                (Command::KeepAnyway, words::KEEP_ANYWAY),
                (Command::KeepNone, words::KEEP_NONE),
                (Command::Back, words::KEEP_CANCEL),
            ] {
                lines.push(Line::from(vec![
                    Span::styled(app.keymap.key_of(Context::KeepChoice, cmd), t.key()),
                    Span::raw(say),
                ]));
            }
        }
        Some(text) => {
            lines.push(input_line(words::KEEP_REASON_LABEL, text, true, t));
            lines.push(hint_line(hint, t));
        }
    }
    let w = area.width.saturating_sub(4).min(90);
    let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
    let inner = frame_for(frame, area, w, h, words::keep_choice_title(held), t);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
