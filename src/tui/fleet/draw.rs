//! Drawing the Fleet view: a title with wave progress, the target × phase matrix with the
//! state glyphs, the selected target's last error, and the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::FleetView;
use crate::fleet::{Condition, Row};
use crate::keys::Context;
use crate::tui::keymap::Keymap;
use crate::tui::theme::{Theme, glyph};
use crate::tui::words;

fn condition_style(theme: &Theme, c: Condition) -> Style {
    match c {
        Condition::AtHead => theme.success(),
        Condition::Behind => theme.dim(),
        Condition::OutOfOrder | Condition::Drifted => theme.warning(),
        Condition::Unreachable | Condition::Dirty | Condition::Failed => theme.error(),
    }
}

fn row_line<'a>(view: &FleetView, r: &'a Row, url_width: usize, theme: &Theme) -> Line<'a> {
    let mut spans = vec![Span::raw(format!(
        "{:url_width$}  {:>4}  ",
        crate::text::escape(&r.url),
        r.wave + 1
    ))];
    for (state, version) in r.states.iter().zip(&view.matrix.versions) {
        let width = version.chars().count();
        let (text, style) = match state {
            Some(s) => (glyph(*s, theme.ascii), theme.state(*s)),
            None => ("-", theme.dim()),
        };
        spans.push(Span::styled(format!("{text:^width$}"), style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        format!(" {}", r.condition.word()),
        condition_style(theme, r.condition),
    ));
    Line::from(spans)
}

/// The whole view into `area`.
pub fn render(view: &FleetView, keymap: &Keymap, theme: &Theme, frame: &mut Frame<'_>) {
    let area = frame.area();
    let [head, table, detail, footer] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let m = &view.matrix;
    let counts: Vec<(&str, usize)> = m.counts().iter().map(|(c, n)| (c.word(), *n)).collect();
    let title = words::fleet_title(
        &view.name,
        m.rows.len(),
        view.servers,
        m.versions.last().map(String::as_str),
    );
    let progress = words::fleet_waves(&m.wave_progress(view.waves), view.canary);
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled(title, theme.title()),
            Line::raw(progress),
            Line::raw(words::fleet_counts(&counts)),
        ]),
        head,
    );
    draw_table(view, theme, table, frame);
    let visible = view.visible();
    let selected = visible.get(view.selected);
    let detail_text = match (visible.is_empty(), selected) {
        (true, _) => Line::styled(words::FLEET_NONE_MATCH, theme.dim()),
        (false, Some(r)) => match &r.error {
            Some(e) => Line::styled(crate::text::escape(e), theme.error()),
            None => Line::styled(words::fleet_shown(visible.len(), m.rows.len()), theme.dim()),
        },
        (false, None) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(detail_text), detail);
    let context = if view.typing {
        Context::FilterInput
    } else {
        Context::Fleet
    };
    let mut spans = Vec::new();
    if view.typing || !view.filter.is_empty() {
        spans.push(Span::styled(words::fleet_filter(&view.filter), theme.key()));
        spans.push(Span::raw("  "));
    }
    for (_, keys, name) in keymap.footer(&[context], false) {
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {name}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), footer);
}

fn draw_table(view: &FleetView, theme: &Theme, area: Rect, frame: &mut Frame<'_>) {
    let visible = view.visible();
    let url_width = visible
        .iter()
        .map(|r| crate::text::escape(&r.url).chars().count())
        .max()
        .unwrap_or(0)
        .max(words::FLEET_TARGET.len());
    let header = format!(
        "{:url_width$}  {:>4}  {}  {}",
        words::FLEET_TARGET,
        words::FLEET_WAVE,
        view.matrix.versions.join(" "),
        words::FLEET_STATE
    );
    let rows = usize::from(area.height).saturating_sub(1).max(1);
    // The selected line stays on screen.
    let first = view.selected.saturating_sub(rows - 1);
    let mut lines = vec![Line::styled(header, theme.dim())];
    for (i, r) in visible.iter().enumerate().skip(first).take(rows) {
        let line = row_line(view, r, url_width, theme);
        lines.push(if i == view.selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}
