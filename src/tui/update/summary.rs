//! What the apply confirmation says a phase will do.

use crate::lint::Finding;
use crate::plan::Version;
use crate::plan::{Migration, format_duration as duration};
use crate::text::{self, Escaped};
use crate::tui::app::{App, Options};
use crate::tui::words::facts as w;
use crate::tui::words::phases::{DEFAULT_LOCK_TIMEOUT, SERVER_DEFAULT};

/// One line per fact: statements and steps, transaction mode, timeouts, checks, extensions.
pub fn apply_summary(
    m: &Migration,
    options: &Options,
    findings: &[&Finding],
    tables: Option<&[String]>,
) -> Vec<String> {
    let mut out = Vec::new();
    let title = m.meta.title.as_deref().unwrap_or(&m.name);
    let (name, title) = (Escaped(&m.name), Escaped(title));
    out.push(w::phase_title(&m.version, name, title));
    if let Some(goal) = &m.meta.goal {
        out.push(w::goal(Escaped(goal)));
    }
    let steps: Vec<String> = m
        .steps
        .iter()
        .map(|s| text::escape(&s.title).into_owned())
        .collect();
    out.push(w::statements_in_steps(
        m.up.count(),
        m.steps.len().max(1),
        &steps,
    ));
    out.push(if m.transactional() {
        w::ONE_TRANSACTION.to_string()
    } else {
        w::NO_TRANSACTION.to_string()
    });
    let lock = m
        .meta
        .lock_timeout
        .or(options.lock_timeout)
        .map_or(DEFAULT_LOCK_TIMEOUT.to_string(), duration);
    let stmt = m
        .meta
        .statement_timeout
        .map_or(SERVER_DEFAULT.to_string(), duration);
    out.push(w::timeouts(lock, stmt));
    if m.checks.is_empty() {
        out.push(w::NO_CHECKS.to_string());
    } else {
        let names: Vec<String> = m
            .checks
            .iter()
            .map(|c| w::check(Escaped(&c.name), &c.expect))
            .collect();
        out.push(w::checks(&names));
    }
    if !m.meta.requires.is_empty() {
        out.push(w::requires(&m.meta.requires));
    }
    if m.down.is_none() {
        out.push(w::NO_DOWN.to_string());
    }
    match tables {
        None => out.push(w::MEASURING_TABLES.to_string()),
        Some([]) => {}
        Some(t) => out.extend(t.iter().map(w::touches)),
    }
    for f in findings {
        out.push(w::finding(f.severity.word(), f.rule, f.line, &f.message));
    }
    out
}

/// What the apply dialog says `version` will do, with its tables once they are read.
pub fn of(app: &App, version: &Version, tables: Option<&[String]>) -> Option<Vec<String>> {
    let m = app.plan.migrations.iter().find(|m| m.version == *version)?;
    Some(apply_summary(
        m,
        &app.options,
        &app.lint_of(version),
        tables,
    ))
}
