//! The Indexes tab: every index with its size, scans and verdicts, under the line saying
//! since when the statistics count.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::fit;
use crate::monitor::indexes::{IndexInfo, pretty_size};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context};
use crate::tui::monitor::sort_word;
use crate::tui::theme::Theme;
use crate::tui::words::tabs;

/// Short marks for what an index is: primary key, unique, exclusion, constraint, ...
fn flags(i: &IndexInfo) -> String {
    let on = [
        i.primary,
        i.unique && !i.primary,
        i.exclusion,
        i.replica_identity,
        i.foreign_key.is_some(),
        i.partitioned,
    ];
    let v: Vec<&str> = on
        .iter()
        .zip(tabs::INDEX_FLAGS)
        .filter(|(on, _)| **on)
        .map(|(_, m)| m)
        .collect();
    v.join(",")
}

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let m = &app.monitors;
    let Some(report) = &m.indexes else {
        return;
    };
    let list = m.visible_indexes();
    let title = tabs::indexes_title(
        list.len(),
        report.indexes.len(),
        sort_word(m.index_sort),
        m.index_verdict.map(|v| v.word()),
        &m.index_table,
    );
    let block = t.block().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [since, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let line = tabs::stats_read(report.stats_since.describe(), report.query_ms);
    frame.render_widget(Paragraph::new(line).style(t.dim()), since);
    if list.is_empty() {
        let text = if report.indexes.is_empty() {
            tabs::NO_INDEXES.to_string()
        } else {
            let key = |c| app.keymap.key_of(Context::Indexes, c);
            tabs::no_index_matches(&key(Command::CycleVerdict), &key(Command::Filter))
        };
        frame.render_widget(Paragraph::new(text).style(t.dim()), body);
        return;
    }
    let height = body.height.saturating_sub(1) as usize;
    let offset = m.index_selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = list
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, i)| {
            let style = if i.invalid {
                t.error()
            } else if !i.verdict_text().is_empty() {
                t.warning()
            } else {
                Default::default()
            };
            let row = Row::new(vec![
                Cell::from(format!("{}.{}", i.schema, i.table)),
                Cell::from(i.index.clone()),
                Cell::from(pretty_size(i.size_bytes)),
                Cell::from(i.scans.map_or(tabs::NO_SCANS.into(), |s| s.to_string())),
                Cell::from(flags(i)),
                Cell::from(i.verdict_text()).style(style),
            ]);
            if n == m.index_selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    const C: [&str; 6] = tabs::INDEX_COLUMNS;
    let widths = [
        fit(
            area.width,
            C[0],
            list.iter().map(|i| i.schema.len() + 1 + i.table.len()),
            24,
        ),
        fit(
            area.width,
            C[1],
            list.iter().map(|i| i.index.chars().count()),
            28,
        ),
        Constraint::Length(10),
        fit(
            area.width,
            C[3],
            list.iter()
                .map(|i| i.scans.map_or(1, |s| s.to_string().len())),
            12,
        ),
        fit(area.width, C[4], list.iter().map(|i| flags(i).len()), 14),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths).header(Row::new(C.to_vec()).style(t.title()));
    frame.render_widget(table, body);
}
