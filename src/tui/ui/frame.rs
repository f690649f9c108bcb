//! The pieces every overlay is drawn with: a centred frame, inputs and hints, and a body
//! that scrolls and says how much is above and below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::engine::Grade;
use crate::tui::theme::Theme;

/// A `w` x `h` rectangle in the middle of `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `lines` (`rows` rows once wrapped) in `area`, from row `scroll` on. When they do not all
/// fit, the last row says how many are above and below, so nothing is cut without a word.
pub fn scrolled(
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line>,
    rows: u16,
    scroll: usize,
    t: &Theme,
) {
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    if rows <= area.height || area.height < 2 {
        frame.render_widget(paragraph, area);
        return;
    }
    let room = area.height - 1;
    let offset = u16::try_from(scroll).unwrap_or(u16::MAX).min(rows - room);
    let below = rows - room - offset;
    let [text, marker] =
        Layout::vertical([Constraint::Length(room), Constraint::Length(1)]).areas(area);
    frame.render_widget(paragraph.scroll((offset, 0)), text);
    // The footer names the keys that scroll.
    let say = crate::tui::words::more_rows(usize::from(offset), usize::from(below));
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(say, t.dim()))),
        marker,
    );
}

/// Blanks `rect` and a column on each side of it, so no letter of the screen behind sits
/// against a dialog's border and reads as part of it.
pub fn clear(frame: &mut Frame, rect: Rect, area: Rect) {
    let left = rect.x.saturating_sub(1).max(area.x);
    let right = (rect.x + rect.width + 1).min(area.x + area.width);
    let margin = Rect {
        x: left,
        width: right - left,
        ..rect
    };
    frame.render_widget(Clear, margin);
}

/// How many rows `lines` take word-wrapped at `width`, as `Wrap { trim: false }` draws them,
/// so a dialog is tall enough for what it says.
pub fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let rows: usize = lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            let (mut rows, mut used) = (1, 0);
            for (i, word) in text.split(' ').enumerate() {
                let w = word.chars().count();
                let gap = usize::from(i > 0);
                // The space at a break is dropped; leading spaces count.
                if used > 0 && used + gap + w > width {
                    rows += 1;
                    used = w;
                } else {
                    used += gap + w;
                }
                while used > width {
                    rows += 1;
                    used -= width;
                }
            }
            rows
        })
        .sum();
    rows as u16
}

pub fn frame_for(frame: &mut Frame, area: Rect, w: u16, h: u16, title: String, t: &Theme) -> Rect {
    let rect = centered(area, w, h);
    clear(frame, rect, area);
    let block = t
        .block()
        .border_style(t.warning())
        .title(Span::styled(title, t.title()));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

pub fn input_line<'a>(label: &'a str, value: &str, active: bool, t: &Theme) -> Line<'a> {
    let cursor = if active { "_" } else { "" };
    let style = if active {
        t.selected()
    } else {
        Default::default()
    };
    Line::from(vec![
        Span::raw(label),
        Span::styled(format!("{value}{cursor}"), style),
    ])
}

pub fn hint_line(hint: &Option<String>, t: &Theme) -> Line<'static> {
    match hint {
        Some(h) => Line::from(Span::styled(h.clone(), t.error())),
        None => Line::default(),
    }
}

/// How a check's grade is coloured.
pub fn grade_style(grade: Grade, t: &Theme) -> Style {
    match grade {
        Grade::Pass => t.success(),
        Grade::Fail => t.error(),
        Grade::NotJudged => t.warning(),
    }
}
