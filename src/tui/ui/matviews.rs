//! The Matviews tab: every materialized view and how fresh it is.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::fit;
use crate::monitor::indexes::pretty_size;
use crate::monitor::matviews::MatviewInfo;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

fn last_refresh(m: &MatviewInfo) -> String {
    m.last_refresh.map_or(tabs::UNKNOWN.into(), |at| {
        at.format("%m-%d %H:%M").to_string()
    })
}

fn writes(m: &MatviewInfo) -> String {
    match m.writes_since_refresh {
        Some(n) if m.rewritten_since_refresh => tabs::at_most(n),
        Some(n) => n.to_string(),
        None => tabs::UNKNOWN.into(),
    }
}

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let mon = &app.monitors;
    let Some(report) = &mon.matviews else {
        return;
    };
    let list = &report.matviews;
    let stale = list.iter().filter(|m| m.is_stale()).count();
    let title = words::matviews_title(list.len(), stale);
    let block = t.block().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [since, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let line = tabs::matview_stats(report.stats_since.describe());
    frame.render_widget(Paragraph::new(line).style(t.dim()), since);
    if list.is_empty() {
        let p = Paragraph::new(words::NO_MATVIEWS).style(t.dim());
        frame.render_widget(p, body);
        return;
    }
    let yes = |b: bool| if b { tabs::YES } else { tabs::NO };
    let height = body.height.saturating_sub(1) as usize;
    let offset = mon
        .matview_selected
        .saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = list
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, m)| {
            let fresh = if m.is_stale() {
                t.warning()
            } else {
                t.success()
            };
            let row = Row::new(vec![
                Cell::from(m.qualified()),
                Cell::from(pretty_size(m.size_bytes)),
                Cell::from(yes(m.populated)),
                Cell::from(yes(m.concurrent_refresh)),
                Cell::from(last_refresh(m)),
                Cell::from(writes(m)).style(fresh),
                Cell::from(m.base_tables.join(", ")),
            ]);
            if n == mon.matview_selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    const C: [&str; 7] = tabs::MATVIEW_COLUMNS;
    let widths = [
        fit(
            area.width,
            C[0],
            list.iter().map(|m| m.qualified().chars().count()),
            28,
        ),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(4),
        fit(
            area.width,
            C[4],
            list.iter().map(|m| last_refresh(m).len()),
            11,
        ),
        fit(area.width, C[5], list.iter().map(|m| writes(m).len()), 12),
        Constraint::Min(10),
    ];
    let head = Row::new(C.to_vec()).style(t.title());
    frame.render_widget(Table::new(rows, widths).header(head), body);
}
