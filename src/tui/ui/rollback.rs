//! The rollback confirmation: the phases, what their DOWN parts destroy, the DOWN SQL, and the
//! typed version. Rolling back from an early phase can list thousands of phases, so the body
//! is built only as far as the dialog has room, and the rest is counted, not drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::frame::{frame_for, hint_line, input_line, wrapped_height};
use super::highlight;
use crate::plan::Version;
use crate::text::Escaped;
use crate::tui::dialog::{UndoLine, rollback_lines};
use crate::tui::theme::Theme;
use crate::tui::words;

/// Lines up to a number of rows, after the first `above` scrolled past, then a count of the
/// lines left out below.
struct Budget<'a> {
    lines: Vec<Line<'a>>,
    used: u16,
    room: u16,
    width: u16,
    hidden: usize,
    /// Lines still to scroll past, and how many were.
    above: usize,
    skipped: usize,
}

impl<'a> Budget<'a> {
    fn full(&self) -> bool {
        self.hidden > 0
    }

    /// Keeps `line` while everything fits; at the first line that does not, gives back lines
    /// until a row is left to say how many were left out, and counts from then on.
    fn push(&mut self, line: Line<'a>) {
        if self.skipped < self.above {
            self.skipped += 1;
            return;
        }
        if !self.full() {
            let rows = wrapped_height(std::slice::from_ref(&line), self.width);
            if self.used + rows <= self.room {
                self.used += rows;
                self.lines.push(line);
                return;
            }
            while self.used >= self.room {
                let Some(last) = self.lines.pop() else { break };
                self.used -= wrapped_height(std::slice::from_ref(&last), self.width);
                self.hidden += 1;
            }
        }
        self.hidden += 1;
    }

    /// Counts `n` lines without building them.
    fn skip(&mut self, n: usize) {
        self.hidden += n;
    }

    fn finish(mut self, t: &Theme) -> (Vec<Line<'a>>, u16) {
        let mut used = self.used;
        if self.hidden > 0 {
            let more = words::rollback_more(self.hidden);
            self.lines.push(Line::from(Span::styled(more, t.dim())));
            // Cut short, the dialog takes all the room.
            used = self.room;
        }
        if self.skipped > 0 {
            // In the row kept for it.
            let above = words::rollback_above(self.skipped);
            self.lines
                .insert(0, Line::from(Span::styled(above, t.dim())));
            used += 1;
        }
        (self.lines, used)
    }
}

/// The versions rolled back, newest first, as many as fit in two rows of `width`.
fn versions(phases: &[UndoLine], width: u16) -> String {
    let room = usize::from(width) * 2;
    let mut out = words::rolled_back_newest_first(phases.len());
    for (i, p) in phases.iter().enumerate() {
        let v = p.version.as_str();
        let rest = words::and_more(phases.len() - i);
        if out.len() + v.len() + 2 + rest.len() > room && i + 1 < phases.len() {
            out.push_str(rest.trim_start_matches(", "));
            return out;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(v);
    }
    out
}

fn body<'a>(
    phases: &'a [UndoLine],
    impact: &'a Option<Vec<String>>,
    width: u16,
    room: u16,
    scroll: usize,
    t: &Theme,
) -> (Vec<Line<'a>>, u16) {
    let mut b = Budget {
        lines: Vec::new(),
        used: 0,
        // A row for saying what is above, once scrolled.
        room: if scroll > 0 {
            room.saturating_sub(1)
        } else {
            room
        },
        width,
        hidden: 0,
        above: scroll,
        skipped: 0,
    };
    b.push(Line::from(Span::styled(
        versions(phases, width),
        t.warning(),
    )));
    b.push(Line::from(Span::styled(
        words::WHAT_IT_DESTROYS,
        t.warning(),
    )));
    match impact {
        None => b.push(Line::from(Span::styled(words::MEASURING, t.dim()))),
        Some(v) if v.is_empty() => b.push(Line::from(words::NOTHING_DROPPED)),
        Some(v) => {
            for s in v {
                b.push(Line::from(Span::styled(format!("  {s}"), t.error())));
            }
        }
    }
    for p in phases {
        b.push(Line::from(Span::styled(
            words::down_of(&p.version, Escaped(&p.name)),
            t.title(),
        )));
        match &p.down {
            None if impact.is_none() => {
                b.push(Line::from(Span::styled(words::READING_ITS_FILE, t.dim())))
            }
            // Past what any screen shows, the DOWN was read for its impact, not kept.
            None => b.push(Line::from(Span::styled(words::NOT_SHOWN, t.dim()))),
            Some(down) if down.is_empty() => {
                b.push(Line::from(Span::styled(words::NO_DOWN_IN_FILE, t.error())));
            }
            Some(_) => {}
        }
        for s in p.down.iter().flatten() {
            if b.full() {
                b.skip(s.lines().count().max(1));
                continue;
            }
            let indented = highlight::sql(s, 1, t).into_iter().map(|l| {
                let mut spans = vec![Span::raw("  ")];
                spans.extend(l.spans.into_iter().skip(1));
                Line::from(spans)
            });
            for l in highlight::wrap(indented.collect(), width, false) {
                b.push(l);
            }
        }
    }
    b.finish(t)
}

#[allow(clippy::too_many_arguments)]
pub fn render(
    version: &Version,
    phases: &[UndoLine],
    impact: &Option<Vec<String>>,
    input: &str,
    hint: &Option<String>,
    scroll: usize,
    t: &Theme,
    frame: &mut Frame,
    area: Rect,
) {
    let wide = area.width.saturating_sub(4).min(110);
    let tail = vec![
        Line::default(),
        input_line(words::TYPE_TO_ROLL_BACK, input, true, t),
        hint_line(hint, t),
    ];
    let width = wide.saturating_sub(2);
    let room = area.height.saturating_sub(tail.len() as u16 + 2);
    // Scrolled past the end, pull back until the last page is full.
    let mut scroll = scroll.min(rollback_lines(phases, impact).saturating_sub(1));
    let (lines, rows) = loop {
        let built = body(phases, impact, width, room, scroll, t);
        if scroll == 0 || built.1 >= room {
            break built;
        }
        scroll -= 1;
    };
    let h = (rows + tail.len() as u16 + 2).min(area.height);
    let title = words::rollback_title(version);
    let inner = frame_for(frame, area, wide, h, title, t);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(tail.len() as u16)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
    frame.render_widget(Paragraph::new(tail), bottom);
}
