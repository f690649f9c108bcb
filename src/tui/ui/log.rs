//! The Log tab: the event log, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::fit;
use crate::engine::Outcome;
use crate::text;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::words;
use crate::tui::words::tabs;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let block = t.block().title(words::log_title(app.events.len()));
    if app.events.is_empty() {
        let p = Paragraph::new(words::NO_EVENTS).style(t.dim()).block(block);
        frame.render_widget(p, area);
        return;
    }
    let height = area.height.saturating_sub(3) as usize;
    let offset = app.log_selected.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = app
        .events
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, e)| {
            let outcome_style = match e.outcome.known() {
                Some(
                    Outcome::Applied
                    | Outcome::RolledBack
                    | Outcome::Passed
                    | Outcome::Ok
                    | Outcome::Accepted,
                ) => t.success(),
                Some(
                    Outcome::Failed
                    | Outcome::Dirty
                    | Outcome::CheckFailed
                    | Outcome::RollbackFailed
                    | Outcome::Cancelled,
                ) => t.error(),
                _ => Default::default(),
            };
            let who = tabs::who(
                e.os_user.as_deref().unwrap_or(tabs::NOT_RECORDED),
                e.host.as_deref().unwrap_or(tabs::NOT_RECORDED),
            );
            let shown = |s: &str| text::escape(s).into_owned();
            let row = Row::new(vec![
                Cell::from(e.at.format("%m-%d %H:%M:%S").to_string()),
                Cell::from(shown(&e.event)),
                Cell::from(shown(e.version.as_deref().unwrap_or_default())),
                Cell::from(shown(e.outcome.as_str())).style(outcome_style),
                Cell::from(shown(&who)),
                Cell::from(shown(e.reason.as_deref().unwrap_or_default())),
            ]);
            if i == app.log_selected {
                row.style(t.selected())
            } else {
                row
            }
        })
        .collect();
    // Columns as wide as what they hold, so the reason keeps the rest of an 80-column screen.
    let events = &app.events;
    let len = |s: Option<&str>| s.map_or(1, |s| text::escape(s).chars().count());
    const C: [&str; 6] = tabs::LOG_COLUMNS;
    let widths = [
        Constraint::Length(14),
        fit(
            area.width,
            C[1],
            events.iter().map(|e| len(Some(&e.event))),
            14,
        ),
        fit(
            area.width,
            C[2],
            events.iter().map(|e| len(e.version.as_deref())),
            14,
        ),
        fit(
            area.width,
            C[3],
            events.iter().map(|e| len(Some(e.outcome.as_str()))),
            16,
        ),
        fit(
            area.width,
            C[4],
            events
                .iter()
                .map(|e| len(e.os_user.as_deref()) + 1 + len(e.host.as_deref())),
            20,
        ),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(Row::new(C.to_vec()).style(t.title()))
        .block(block);
    frame.render_widget(table, area);
}
