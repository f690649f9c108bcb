//! The Trash tab: what destructive statements removed and pgstep kept, to restore or purge.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::fit;
use crate::engine::impact::size;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let mon = &app.monitors;
    let Some(list) = &mon.trash else {
        return;
    };
    let total: i64 = list.iter().map(|k| k.bytes).sum();
    let title = tabs::trash_title(list.len(), size(total));
    let block = t.block().title(title);
    let body = block.inner(area);
    frame.render_widget(block, area);
    if list.is_empty() {
        frame.render_widget(Paragraph::new(words::TRASH_EMPTY).style(t.dim()), body);
        return;
    }
    let height = body.height.saturating_sub(1) as usize;
    let offset = mon.trash_selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = list
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(n, k)| {
            let row = Row::new(vec![
                Cell::from(k.id.to_string()),
                Cell::from(k.kind.word()),
                Cell::from(k.object.clone()),
                Cell::from(k.phase.clone()),
                Cell::from(k.kept_at.format("%m-%d %H:%M").to_string()),
                Cell::from(k.rows.to_string()),
                Cell::from(size(k.bytes)),
            ]);
            if n == mon.trash_selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(6),
        fit(
            area.width,
            tabs::TRASH_COLUMNS[2],
            list.iter().map(|k| k.object.chars().count()),
            30,
        ),
        Constraint::Length(8),
        Constraint::Length(11),
        Constraint::Length(10),
        Constraint::Length(9),
    ];
    let head = Row::new(tabs::TRASH_COLUMNS.to_vec()).style(t.title());
    frame.render_widget(Table::new(rows, widths).header(head), body);
}
