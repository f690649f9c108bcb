//! The Activity tab: progress gauges of long statements, and every session of the database
//! with who waits for whom. Also the gauge and blocker lines of the status area while a
//! phase runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::fit;
use crate::engine::waits::age_text;
use crate::monitor::activity::Session;
use crate::tui::app::App;
use crate::tui::monitor::{Gauged, Watch};
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

/// `[#####-----]`: a text bar, so it reads the same without colour.
pub fn bar(percent: f64, width: usize, ascii: bool) -> String {
    let filled = ((percent.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    let (on, off) = if ascii { ("#", "-") } else { ("█", "░") };
    format!("[{}{}]", on.repeat(filled), off.repeat(width - filled))
}

fn eta(g: &Gauged) -> String {
    g.eta
        .map(|d| tabs::eta(age_text(d.as_secs() as i64)))
        .unwrap_or_default()
}

/// One gauge, compact: command, phase, bar and percent, ETA.
pub fn gauge_line(g: &Gauged, ascii: bool) -> String {
    let p = &g.gauge;
    let pct = p
        .percent
        .map(|x| format!(" {} {x:.0}%", bar(x, 10, ascii)))
        .unwrap_or_default();
    tabs::gauge(&p.command, &p.phase, format!("{pct}{}", eta(g)))
}

/// At most two lines for the status area while a phase runs: who blocks it (and how many
/// queue behind it), and its progress.
pub fn watch_lines(w: &Watch, ascii: bool) -> (Option<String>, Option<String>) {
    let mut blocked = w.blockers.first().map(|b| {
        let more = match w.blockers.len() {
            1 => String::new(),
            n => tabs::more_blockers(n - 1),
        };
        tabs::blocked_by(b.describe(), more)
    });
    if !w.queued.is_empty() {
        let queued = tabs::queued(w.queued.len());
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
    if m.activity.is_none() {
        return;
    }
    let gauges = &m.activity_gauges;
    let gauge_rows = (gauges.len().max(1) as u16).min(area.height / 3);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(gauge_rows + 2), Constraint::Min(3)]).areas(area);
    let block = t.block().title(words::progress_title(gauges.len()));
    let lines: Vec<Line> = if gauges.is_empty() {
        vec![Line::from(Span::styled(words::NO_LONG_STATEMENT, t.dim()))]
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

    sessions(app, t, frame, bottom);
}

/// Every session of the database, one a row in the chosen order: `B` marks a session others
/// wait for, `*` the console's own; the selected one is what cancel and terminate act on.
fn sessions(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let m = &app.monitors;
    let Some(activity) = &m.activity else { return };
    let text = |s: &Option<String>| crate::text::escape(s.as_deref().unwrap_or("")).into_owned();
    // The state as the list has room for it: "idle in transaction" is the one to spot.
    let state = |s: &Session| {
        let full = text(&s.state);
        match full.strip_prefix(tabs::IDLE_IN_TRANSACTION) {
            Some(rest) => format!("{}{rest}", tabs::IDLE_IN_TX),
            None => full,
        }
    };
    let list = m.sessions();
    let waiting = list.iter().filter(|s| !s.blocked_by.is_empty()).count();
    let title = tabs::sessions_title(list.len(), waiting, tabs::session_sort(m.session_sort));
    let block = t.block().title(title);
    let body = block.inner(area);
    frame.render_widget(block, area);
    if list.is_empty() {
        frame.render_widget(
            Paragraph::new(words::NO_SESSION_LISTED).style(t.dim()),
            body,
        );
        return;
    }
    let age = |s: Option<f64>| s.map_or(String::new(), |a| age_text(a as i64));
    let blocked = |s: &Session| {
        let pids: Vec<String> = s.blocked_by.iter().map(i32::to_string).collect();
        pids.join(",")
    };
    // The header, and a last row that says what is out of sight when the list is longer.
    let fits = list.len() < usize::from(body.height);
    let shown = if fits {
        list.len()
    } else {
        usize::from(body.height.saturating_sub(2)).max(1)
    };
    let selected = m.activity_selected.min(list.len() - 1);
    let first = selected.saturating_sub(shown - 1).min(list.len() - shown);
    let rows: Vec<Row> = list
        .iter()
        .enumerate()
        .skip(first)
        .take(shown)
        .map(|(i, s)| {
            let blocks = activity.blocks_others(s.pid);
            let mark = format!(
                "{}{}",
                if blocks { tabs::BLOCKS_MARK } else { " " },
                if m.own.contains(&s.pid) {
                    tabs::OWN_MARK
                } else {
                    ""
                }
            );
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(s.pid.to_string()),
                Cell::from(text(&s.user)),
                Cell::from(text(&s.application)),
                Cell::from(state(s)),
                Cell::from(age(s.xact_age_secs)),
                Cell::from(text(&s.wait_event)),
                Cell::from(blocked(s)),
                Cell::from(text(&s.query)),
            ]);
            match (i == selected, blocks) {
                (true, _) => row.style(t.selected()),
                (false, true) => row.style(t.warning()),
                _ => row,
            }
        })
        .collect();
    let w = body.width;
    let len = |v: &Option<String>| v.as_deref().map_or(0, |x| x.chars().count());
    const C: [&str; 9] = tabs::SESSION_COLUMNS;
    let widths = [
        Constraint::Length(2),
        fit(w, C[1], list.iter().map(|s| s.pid.to_string().len()), 7),
        fit(w, C[2], list.iter().map(|s| len(&s.user)), 10),
        fit(w, C[3], list.iter().map(|s| len(&s.application)), 12),
        fit(w, C[4], list.iter().map(|s| state(s).chars().count()), 10),
        fit(w, C[5], list.iter().map(|s| age(s.xact_age_secs).len()), 7),
        fit(w, C[6], list.iter().map(|s| len(&s.wait_event)), 13),
        fit(w, C[7], list.iter().map(|s| blocked(s).len()), 10),
        Constraint::Min(10),
    ];
    let header = Row::new(C.to_vec()).style(t.title());
    let table = Table::new(rows, widths).header(header);
    if fits {
        frame.render_widget(table, body);
        return;
    }
    let [grid, marker] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(body);
    frame.render_widget(table, grid);
    let below = list.len() - first - shown;
    let say = words::sessions_out_of_sight(first, below);
    frame.render_widget(Paragraph::new(Span::styled(say, t.dim())), marker);
}
