//! Drawing the console: a pure function of the state.

mod activity;
mod batch;
mod confirm;
mod dialogs;
mod frame;
mod grid;
mod help;
pub mod highlight;
mod indexes;
mod keep_choice;
mod log;
mod matviews;
mod phases;
mod rollback;
mod trash;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};

use super::app::{App, Connection, Level, MIN_SIZE, Tab};
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Theme;
use crate::tui::words;

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let t = &app.options.theme;
    if app.too_small() {
        let quit = app.keymap.key_of(Context::Global, Command::Quit);
        let text = words::too_small((area.width, area.height), MIN_SIZE, &quit);
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let status_lines = status_lines(app, t);
    // A message (a maintenance result, an error) wraps, up to the status area's four lines;
    // the running work's lines are one fact each and are cut.
    let status_rows = match app.job {
        None => frame::wrapped_height(&status_lines, area.width).min(MAX_STATUS_ROWS),
        Some(_) => status_lines.len() as u16,
    };
    let [head, tabs, body, status, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(status_rows.max(1)),
        Constraint::Length(1),
    ])
    .areas(area);
    header(app, t, frame, head);
    tab_bar(app, t, frame, tabs);
    match app.tab {
        Tab::Phases => phases::render(app, t, frame, body),
        Tab::Log => log::render(app, t, frame, body),
        Tab::Indexes => indexes::render(app, t, frame, body),
        Tab::Matviews => matviews::render(app, t, frame, body),
        Tab::Trash => trash::render(app, t, frame, body),
        Tab::Activity => activity::render(app, t, frame, body),
    }
    let status_text = Paragraph::new(status_lines);
    let status_text = match app.job {
        None => status_text.wrap(Wrap { trim: false }),
        Some(_) => status_text,
    };
    frame.render_widget(status_text, status);
    footer(app, t, frame, foot);
    if let Some(m) = &app.modal {
        // Below the header and above the footer, which names the dialog's keys.
        let room = Rect {
            y: area.y + 1,
            height: area.height - 2,
            ..area
        };
        dialogs::render(app, m, t, frame, room);
    }
    if app.help {
        help::render(app, t, frame, area);
    }
}

fn header(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let h = &app.header;
    let mut spans = vec![Span::styled(words::status::PRODUCT, t.title())];
    if let Some(env) = &h.environment {
        spans.push(Span::styled(format!(" {} ", env.to_uppercase()), t.badge()));
        spans.push(Span::raw(" "));
    }
    if h.read_only {
        spans.push(Span::styled(
            words::READ_ONLY_BADGE,
            t.warning().add_modifier(Modifier::REVERSED),
        ));
        spans.push(Span::raw(" "));
    }
    match &app.connection {
        // The server version reads "(connecting)" until the first attempt answers.
        Connection::Up | Connection::Connecting => {}
        Connection::Reconnecting { attempt, error } => {
            spans.push(Span::styled(
                words::reconnecting_badge(*attempt),
                t.removed()
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ));
            spans.push(Span::styled(
                format!(" {} ", crate::text::escape(error)),
                t.removed(),
            ));
        }
    }
    if !app.log_tampered.is_empty() {
        spans.push(Span::styled(
            words::LOG_TAMPERED_BADGE,
            t.removed()
                .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(words::status::connected_to(
        &h.profile,
        &h.target,
        &h.role,
        &h.server_version,
    )));
    if let Some(holder) = &app.lock_holder {
        spans.push(Span::styled(
            words::lock_held_by(holder.pid, holder.application.as_deref()),
            t.warning(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn tab_bar(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let shown = app.tabs();
    let titles: Vec<Line> = shown
        .iter()
        .enumerate()
        .map(|(i, tab)| Line::from(format!("{} {}", i + 1, tab.title())))
        .collect();
    let selected = shown.iter().position(|x| *x == app.tab).unwrap_or(0);
    let tabs = Tabs::new(titles)
        .select(selected)
        .highlight_style(t.selected())
        .divider(" ");
    frame.render_widget(tabs, area);
}

/// The status area's most rows, so the list keeps the room of an 80x24 screen.
const MAX_STATUS_ROWS: u16 = 4;

/// The status area: at most four lines.
fn status_lines(app: &App, t: &Theme) -> Vec<Line<'static>> {
    if let Some(job) = &app.job {
        let spin = SPINNER[app.spinner % SPINNER.len()];
        let what = job
            .version
            .as_ref()
            .map(|v| v.to_string())
            .or_else(|| job.target.clone())
            .unwrap_or_default();
        let mut text = words::status::job_line(spin, job.kind, &what, job.elapsed.as_secs_f64());
        if let (Some(i), n) = (job.statement, job.statements) {
            text.push_str(&words::status::job_statement(i + 1, n));
            if let Some(l) = job.line {
                text.push_str(&words::status::job_line_no(l));
            }
        }
        if let Some(step) = &job.step {
            text.push_str(&words::status::job_step(step));
        }
        if job.cancelling {
            text.push_str(words::CANCELLING);
        }
        let mut lines = vec![Line::from(Span::styled(text, t.title()))];
        // Who the statement waits for comes first: it is what the DBA acts on.
        if let Some(w) = job.waiting.as_ref().or(job.retry.as_ref()) {
            lines.push(Line::from(Span::styled(format!("  {w}"), t.warning())));
        }
        if let Some(w) = &app.monitors.watch {
            let (blocked, gauge) = activity::watch_lines(w, app.options.theme.ascii);
            if let Some(b) = blocked {
                lines.push(Line::from(Span::styled(format!("  {b}"), t.warning())));
            }
            if let Some(r) = &w.replication {
                let text = words::replication(r.wal_bytes, &r.standbys);
                lines.push(Line::from(Span::styled(format!("  {text}"), t.dim())));
            }
            if let Some(g) = gauge {
                lines.push(Line::from(format!("  {g}")));
            }
        }
        lines.truncate(usize::from(MAX_STATUS_ROWS));
        lines
    } else if let Some((level, text)) = &app.message {
        let style = match level {
            Level::Info => t.dim(),
            Level::Success => t.success(),
            Level::Error => t.error(),
        };
        vec![Line::from(Span::styled(text.clone(), style))]
    } else if app.tab == Tab::Indexes && app.filtering {
        vec![Line::from(words::table_filter(&app.monitors.index_table))]
    } else if app.tab != Tab::Indexes && (app.filtering || !app.filter.is_empty()) {
        vec![Line::from(words::phase_filter(&app.filter, app.filtering))]
    } else {
        Vec::new()
    }
}

fn footer(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    // While work runs the keys that would start more work only say "wait", so they are left
    // out, as in a read-only session.
    let idle = app.job.is_none();
    let keys = app.keymap.footer_within(
        &app.contexts(),
        app.read_only() || !idle,
        usize::from(area.width),
        |cmd| dialogs::offered(app, cmd),
    );
    let mut spans = Vec::new();
    for (_, k, name) in keys {
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::raw(format!(" {}  ", name.replace('_', " "))));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A table column as wide as its header and widest cell, at most `cap` on an 80-column
/// screen and as much more as the screen is wider: a wide terminal shows long names whole.
fn fit(width: u16, head: &str, cells: impl Iterator<Item = usize>, cap: usize) -> Constraint {
    let widest = cells.max().unwrap_or(0).max(head.chars().count());
    let cap = cap.max(cap * usize::from(width) / usize::from(MIN_SIZE.0));
    Constraint::Length(widest.min(cap) as u16)
}
