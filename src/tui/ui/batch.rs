//! The gauge of a running batched step, above the Phases tab: ranges done of all, rows,
//! rate, time left, the batch size and pause (with what the operator asked, until the engine
//! takes it), and why no batch runs now, if none does.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::activity::bar;
use crate::engine::batch::{BatchProgress, Waiting};
use crate::text::Escaped;
use crate::tui::app::{App, Job};
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Theme;
use crate::tui::words;

/// The rows the gauge takes: its border and three lines.
pub const HEIGHT: u16 = 5;

pub fn render(app: &App, job: &Job, p: &BatchProgress, t: &Theme, frame: &mut Frame, area: Rect) {
    let block = t
        .block()
        .title(words::batch_title(&p.version, p.step.as_deref()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let percent = match p.ranges_total {
        0 => 100.0,
        total => p.ranges_done as f64 * 100.0 / total as f64,
    };
    let counts = words::batch_ranges(p.ranges_done, p.ranges_total, percent);
    let width = usize::from(inner.width)
        .saturating_sub(counts.chars().count() + 2)
        .clamp(4, 60);
    let s = &job.steering;
    let state = match &p.waiting {
        Some(Waiting::Paused) if !s.paused => Span::styled(words::BATCH_RESUMING, t.dim()),
        Some(Waiting::Paused) => {
            let key = app.keymap.key_of(Context::Batch, Command::BatchPause);
            Span::styled(words::batch_paused(&key), t.warning())
        }
        _ if s.paused => Span::styled(words::BATCH_PAUSING, t.warning()),
        Some(w) => Span::styled(Escaped(&w.to_string()).to_string(), t.warning()),
        None => Span::styled(words::BATCH_RUNNING, t.dim()),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(bar(percent, width, t.ascii), t.success()),
            Span::raw(counts),
        ]),
        Line::from(words::batch_figures(p, s.batch_size, s.pause)),
        Line::from(state),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}
