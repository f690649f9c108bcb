//! The Activity tab: progress gauges of long statements, and the lock-wait tree with the
//! blocker `C`/`T` would signal selected. Also the gauge and blocker lines of the status area
//! while a phase runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::waits::age_text;
use crate::tui::app::App;
use crate::tui::monitor::{Gauged, Watch};
use crate::tui::theme::Theme;

/// `[#####-----]`: a text bar, so it reads the same without colour.
pub fn bar(percent: f64, width: usize, ascii: bool) -> String {
    let filled = ((percent.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    let (on, off) = if ascii { ("#", "-") } else { ("█", "░") };
    format!("[{}{}]", on.repeat(filled), off.repeat(width - filled))
}

fn eta(g: &Gauged) -> String {
    g.eta
        .map(|d| format!(" ETA {}", age_text(d.as_secs() as i64)))
        .unwrap_or_default()
}

/// One gauge, compact: command, phase, bar and percent, ETA.
pub fn gauge_line(g: &Gauged, ascii: bool) -> String {
    let p = &g.gauge;
    let pct = p
        .percent
        .map(|x| format!(" {} {x:.0}%", bar(x, 10, ascii)))
        .unwrap_or_default();
    format!("{}: {}{pct}{}", p.command, p.phase, eta(g))
}

/// At most two lines for the status area while a phase runs: who blocks it (and how many
/// queue behind it), and its progress.
pub fn watch_lines(w: &Watch, ascii: bool) -> (Option<String>, Option<String>) {
    let mut blocked = w.blockers.first().map(|b| {
        let more = match w.blockers.len() {
            1 => String::new(),
            n => format!(" (+{} more)", n - 1),
        };
        format!("blocked by {}{more}", b.describe())
    });
    if !w.queued.is_empty() {
        let queued = format!("{} session(s) queued behind it", w.queued.len());
        blocked = Some(match blocked {
            Some(b) => format!("{queued} · {b}"),
            None => queued,
        });
    }
    let gauge = w.gauges.first().map(|g| gauge_line(g, ascii));
    (blocked, gauge)
}

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let m = &app.monitors;
    let Some(activity) = &m.activity else {
        return;
    };
    let gauges = &m.activity_gauges;
    let gauge_rows = (gauges.len().max(1) as u16).min(area.height / 3);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(gauge_rows + 2), Constraint::Min(3)]).areas(area);
    let block = t.block().title(format!(" Progress ({}) ", gauges.len()));
    let lines: Vec<Line> = if gauges.is_empty() {
        vec![Line::from(Span::styled("no long statement runs", t.dim()))]
    } else {
        gauges
            .iter()
            .map(|g| {
                let p = &g.gauge;
                let pct = p
                    .percent
                    .map(|x| format!("{} {x:>5.1}% ", bar(x, 20, app.options.theme.ascii)))
                    .unwrap_or_default();
                Line::from(vec![
                    Span::styled(pct, t.title()),
                    Span::raw(format!("pid {} {}{}", p.pid, p.describe(), eta(g))),
                ])
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).block(block), top);

    let waiters = {
        let mut pids: Vec<i32> = activity.waits.iter().map(|w| w.waiting.pid).collect();
        pids.dedup();
        pids.len()
    };
    let block = t.block().title(format!(
        " Lock waits ({waiters} waiting; C cancels, T terminates the selected blocker) "
    ));
    if activity.waits.is_empty() {
        let p = Paragraph::new("no session waits for a lock")
            .style(t.dim())
            .block(block);
        frame.render_widget(p, bottom);
        return;
    }
    let mut lines = Vec::new();
    let mut selected_line = 0;
    let mut last = None;
    for (i, w) in activity.waits.iter().enumerate() {
        if last != Some(w.waiting.pid) {
            lines.push(Line::from(Span::styled(w.describe_waiter(), t.warning())));
            last = Some(w.waiting.pid);
        }
        let itself = if w.blocker_waits {
            "(itself waiting) "
        } else {
            ""
        };
        let text = format!("  blocked by {itself}{}", w.blocker.describe());
        if i == m.activity_selected {
            selected_line = lines.len();
            lines.push(Line::from(Span::styled(text, t.selected())));
        } else {
            lines.push(Line::from(text));
        }
    }
    let height = bottom.height.saturating_sub(2) as usize;
    let offset = selected_line.saturating_sub(height.saturating_sub(1)) as u16;
    let p = Paragraph::new(lines).block(block).scroll((offset, 0));
    frame.render_widget(p, bottom);
}
