//! The Phases tab: the ordered phase list beside the selected phase's detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::frame::grade_style;
use super::highlight;
use crate::engine::{AppliedSql, PhaseState};
use crate::plan::format_duration;
use crate::text::{self, Escaped};
use crate::tui::app::{App, PhaseRow};
use crate::tui::theme::{Theme, glyph};
use crate::tui::words;
use crate::tui::words::phases as w;

pub fn render(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let batch = app.job.as_ref().and_then(|j| Some((j, j.batch.as_ref()?)));
    let area = match batch {
        Some((job, p)) => {
            let [gauge, rest] =
                Layout::vertical([Constraint::Length(super::batch::HEIGHT), Constraint::Min(3)])
                    .areas(area);
            super::batch::render(app, job, p, t, frame, gauge);
            rest
        }
        None => area,
    };
    let list_width = if area.width >= 120 { 62 } else { 38 };
    let [list, detail] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(area);
    render_list(app, t, frame, list);
    render_detail(app, t, frame, detail);
}

fn render_list(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let visible = app.visible();
    let title = if app.reading.is_some() {
        w::LIST_TITLE.to_string()
    } else if app.filter.is_empty() {
        w::list_title(app.phases.len())
    } else {
        w::list_title_filtered(visible.len(), app.phases.len(), &app.filter)
    };
    let block = t.block().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = inner.height as usize;
    // Only the rows on screen are built, so a 10,000-phase plan draws as fast as a short one.
    let offset = app.selected.saturating_sub(height.saturating_sub(1));
    let vw = visible
        .iter()
        .skip(offset)
        .take(height)
        .map(|&i| app.phases[i].version.as_str().len())
        .max()
        .unwrap_or(3);
    // When and how long only when a 20-column name still fits beside them.
    let wide = usize::from(inner.width) >= FIXED + vw + TAIL + 20;
    let lines: Vec<Line> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            row(
                app,
                t,
                &app.phases[i],
                pos == app.selected,
                vw,
                wide,
                inner.width,
            )
        })
        .collect();
    if lines.is_empty() {
        let text = match app.reading {
            Some(files) => w::reading_plan(text::path(&app.plan.dir), files),
            None if app.phases.is_empty() => words::NO_MIGRATIONS.into(),
            None => words::NO_PHASE_MATCHES.into(),
        };
        let text = Paragraph::new(text)
            .style(t.dim())
            .wrap(Wrap { trim: true });
        frame.render_widget(text, inner);
        return;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The marker, the state (glyph and word) and the spaces around the version.
const FIXED: usize = 1 + 14 + 2;
/// " MM-DD HH:MM" and a right-aligned duration, in the wide list.
const TAIL: usize = 12 + 8;

fn row<'a>(
    app: &App,
    t: &Theme,
    p: &'a PhaseRow,
    selected: bool,
    vw: usize,
    wide: bool,
    width: u16,
) -> Line<'a> {
    let marker = if selected { ">" } else { " " };
    let state = if app.loaded {
        let g = glyph(p.state, app.options.theme.ascii);
        Span::styled(format!("{g} {:12}", p.state.word()), t.state(p.state))
    } else {
        Span::styled(format!("  {:12}", w::LOADING), t.dim())
    };
    let mut spans = vec![
        Span::raw(marker),
        state,
        Span::raw(format!(" {:vw$} ", p.version.as_str())),
    ];
    let fixed = FIXED + vw;
    // With an adopted tool, whose record each state comes from: the tool's or pgstep's.
    let source = app.adoption.as_ref().map(|a| {
        let w = a.history.tool.word().len().max(w::OWN_SOURCE.len());
        format!("{:w$} ", p.source.word())
    });
    let fixed = fixed + source.as_ref().map_or(0, String::len);
    let tail = if wide {
        let at = p
            .applied_at
            .map(|a| a.format("%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let ms = p.millis.map(w::row_millis).unwrap_or_default();
        format!(" {at:11} {ms:>7}")
    } else {
        String::new()
    };
    let room = (width as usize).saturating_sub(fixed + tail.chars().count());
    let name = text::escape(&p.name);
    let name: String = if name.chars().count() > room {
        let mut s: String = name.chars().take(room.saturating_sub(1)).collect();
        s.push('…');
        s
    } else {
        format!("{name:room$}")
    };
    if let Some(source) = source {
        spans.push(Span::styled(source, t.dim()));
    }
    spans.push(Span::raw(name));
    spans.push(Span::styled(tail, t.dim()));
    let line = Line::from(spans);
    if selected {
        line.style(t.selected())
    } else {
        line
    }
}

fn render_detail(app: &App, t: &Theme, frame: &mut Frame, area: Rect) {
    let block = t.block().title(words::DETAIL_TITLE);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(p) = app.selected_phase() else {
        return;
    };
    let lines = detail_lines(app, t, p, inner.width);
    let detail = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll, 0));
    frame.render_widget(detail, inner);
}

fn label<'a>(t: &Theme, key: &'a str, value: String) -> Line<'a> {
    Line::from(vec![Span::styled(w::label(key), t.dim()), Span::raw(value)])
}

fn detail_lines<'a>(app: &'a App, t: &Theme, p: &'a PhaseRow, width: u16) -> Vec<Line<'a>> {
    let m = app.migration_of(p);
    let row = app.row_of(p);
    let mut out = Vec::new();
    let title = m.and_then(|m| m.meta.title.as_deref()).unwrap_or("");
    out.push(Line::from(vec![
        Span::styled(format!("{} {}", p.version, Escaped(&p.name)), t.title()),
        Span::raw(if title.is_empty() {
            String::new()
        } else {
            format!("  {}", Escaped(title))
        }),
    ]));
    let mut state = if app.loaded {
        format!(
            "{} {}",
            glyph(p.state, app.options.theme.ascii),
            p.state.word()
        )
    } else {
        w::STATE_NOT_LOADED.to_string()
    };
    if let Some(r) = row {
        if let Some(at) = r.applied_at {
            state.push_str(&w::applied_at(at.format("%Y-%m-%d %H:%M:%S")));
        }
        if let Some(by) = &r.applied_by_os_user {
            let host = r.applied_from_host.as_deref().unwrap_or(w::UNKNOWN);
            let role = r.applied_by_role.as_deref().unwrap_or(w::UNKNOWN);
            state.push_str(&w::applied_by(Escaped(by), Escaped(host), Escaped(role)));
        }
        if let Some(ms) = r.execution_time_ms {
            state.push_str(&w::took(ms));
        }
        if p.state == PhaseState::Dirty {
            state.push_str(&w::stopped_after(
                r.statements_done.unwrap_or(0),
                r.statements_total.unwrap_or(0),
            ));
        }
    }
    out.push(Line::from(Span::styled(state, t.state(p.state))));
    if let Some(a) = &app.adoption {
        out.push(label(
            t,
            w::STATE_FROM,
            words::state_source(p.source, p.gap, (a.history.tool, &a.history.table)),
        ));
    }
    for k in row.map_or(&[][..], |r| r.kept.as_slice()) {
        out.push(label(t, "kept", words::history_kept(k)));
    }
    if let Some(e) = row.and_then(|r| r.error_message.as_deref()) {
        out.push(Line::from(Span::styled(
            w::last_error(Escaped(e)),
            t.error(),
        )));
    }
    if let Some(d) = &p.drift {
        out.push(Line::from(Span::styled(
            w::drift(Escaped(&d.describe())),
            t.warning(),
        )));
    }
    let Some(m) = m else {
        out.push(Line::from(Span::styled(w::FILE_GONE, t.warning())));
        match app.recorded_of(p) {
            Some(Ok(AppliedSql {
                down: Some(down), ..
            })) => {
                out.push(Line::from(Span::styled(w::DOWN_AS_APPLIED, t.title())));
                out.extend(highlight::wrap(
                    highlight::sql(down.trim(), 1, t),
                    width,
                    true,
                ));
            }
            Some(Ok(_)) => out.push(Line::from(Span::styled(w::NO_DOWN_RECORDED, t.warning()))),
            Some(Err(e)) => out.push(Line::from(Span::styled(e.clone(), t.error()))),
            None => out.push(Line::from(Span::styled(w::READING_HISTORY, t.dim()))),
        }
        out.extend(history(app, t, p));
        return out;
    };
    let read = app.read_of(p);
    if p.drift.is_some() {
        match (app.recorded_of(p), &read) {
            (Some(Ok(recorded)), Some(m)) => {
                out.extend(highlight::diff(&crate::engine::drift::diff(recorded, m), t));
            }
            (Some(Err(e)), _) => out.push(Line::from(Span::styled(e.clone(), t.error()))),
            _ => out.push(Line::from(Span::styled(w::READING_APPLIED, t.dim()))),
        }
    }
    if let Some(goal) = &m.meta.goal {
        out.push(label(t, w::GOAL, text::escape(goal).into_owned()));
    }
    let deps: Vec<&str> = m.meta.depends.iter().map(|v| v.as_str()).collect();
    if !deps.is_empty() {
        out.push(label(t, w::DEPENDS, deps.join(", ")));
    }
    let lock = m.meta.lock_timeout.or(app.options.lock_timeout);
    let tx = if m.transactional() {
        w::ONE_TRANSACTION
    } else {
        w::NO_TRANSACTION
    };
    let timeouts = w::timeouts(
        tx,
        lock.map_or(w::DEFAULT_LOCK_TIMEOUT.to_string(), format_duration),
        m.meta
            .statement_timeout
            .map_or(w::SERVER_DEFAULT.to_string(), format_duration),
    );
    out.push(label(t, w::TRANSACTION, timeouts));
    if !m.meta.requires.is_empty() {
        let requires = m.meta.requires.join(", ");
        out.push(label(t, w::REQUIRES, text::escape(&requires).into_owned()));
    }
    out.push(label(t, w::FILE, text::path(&m.file)));
    if !m.steps.is_empty() {
        out.push(Line::from(Span::styled(w::STEPS, t.title())));
        for (i, s) in m.steps.iter().enumerate() {
            out.push(Line::from(w::step(i + 1, Escaped(&s.title), s.line)));
        }
    }
    if !m.checks.is_empty() {
        out.push(Line::from(Span::styled(w::CHECKS, t.title())));
        let results = app.results_of(&p.version);
        for c in &m.checks {
            let last = results.and_then(|r| r.iter().find(|o| o.name == c.name));
            let (mark, style, seen) = match last {
                Some(o) if o.failed() => {
                    (o.grade.word(), grade_style(o.grade, t), o.detail.clone())
                }
                Some(o) => (o.grade.word(), grade_style(o.grade, t), o.after.clone()),
                None => (w::NOT_RUN_MARK, t.dim(), w::NOT_RUN_YET.to_string()),
            };
            out.push(Line::from(vec![
                Span::styled(format!("  {mark:4} "), style),
                Span::raw(w::check(Escaped(&c.name), &c.expect)),
                Span::styled(text::escape(&seen).into_owned(), t.dim()),
            ]));
        }
    }
    let findings = app.lint_of(&p.version);
    if !findings.is_empty() {
        out.push(Line::from(Span::styled(w::LINT, t.title())));
        for f in findings {
            let style = match f.severity {
                crate::lint::Severity::Error => t.error(),
                crate::lint::Severity::Warning => t.warning(),
                crate::lint::Severity::Info => t.dim(),
            };
            out.push(Line::from(vec![
                Span::styled(format!("  {} ", f.severity.word()), style),
                Span::raw(w::finding(f.rule, f.line, &f.message)),
            ]));
            out.push(Line::from(Span::styled(w::safer(&f.hint), t.dim())));
        }
    }
    out.push(Line::from(Span::styled(
        w::up_heading(m.up.count()),
        t.title(),
    )));
    let Some(read) = read else {
        out.extend(unread(app, p, t));
        out.extend(history(app, t, p));
        return out;
    };
    out.extend(highlight::wrap(highlight::part(read.up(), t), width, true));
    match read.down() {
        Some(d) => {
            out.push(Line::from(Span::styled(
                w::down_heading(d.part.count()),
                t.title(),
            )));
            out.extend(highlight::wrap(highlight::part(d, t), width, true));
        }
        None => out.push(Line::from(Span::styled(w::NO_DOWN, t.warning()))),
    }
    out.extend(history(app, t, p));
    out
}

/// In place of the SQL of a phase whose files are being read, or could not be. The file's
/// path gets a line of its own, so the problem and its hint fit the pane.
fn unread(app: &App, p: &PhaseRow, t: &Theme) -> Vec<Line<'static>> {
    let failed = app
        .detail
        .as_ref()
        .filter(|d| d.version == p.version)
        .and_then(|d| d.migration.as_ref()?.as_ref().err());
    let Some(e) = failed else {
        return vec![Line::from(Span::styled(w::READING_FILE, t.dim()))];
    };
    e.lines()
        .flat_map(|l| match l.split_once(": error: ") {
            Some((place, problem)) => vec![format!("{place}:"), format!("  {problem}")],
            None => vec![l.to_string()],
        })
        .map(|l| Line::from(Span::styled(l, t.error())))
        .collect()
}

/// The event log's lines about phase `p`.
fn history(app: &App, t: &Theme, p: &PhaseRow) -> Vec<Line<'static>> {
    let events: Vec<_> = app
        .events
        .iter()
        .filter(|e| {
            e.version
                .as_deref()
                .and_then(crate::plan::Version::parse)
                .as_ref()
                == Some(&p.version)
        })
        .collect();
    let mut out = Vec::new();
    if !events.is_empty() {
        out.push(Line::from(Span::styled(w::HISTORY, t.title())));
        for e in events {
            out.push(Line::from(w::history_line(
                e.at.format("%Y-%m-%d %H:%M:%S"),
                &e.event,
                &e.outcome,
                e.reason.as_deref(),
            )));
        }
    }
    out
}
