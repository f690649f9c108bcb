//! What the apply confirmation says a phase will do.

use crate::lint::Finding;
use crate::plan::Version;
use crate::plan::{Migration, format_duration as duration};
use crate::text::{self, Escaped};
use crate::tui::app::{App, Options};

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
    out.push(format!("{} {name}: {title}", m.version));
    if let Some(goal) = &m.meta.goal {
        out.push(format!("goal: {}", Escaped(goal)));
    }
    out.push(format!(
        "{} statement(s) in {} step(s){}",
        m.up.count(),
        m.steps.len().max(1),
        if m.steps.is_empty() {
            String::new()
        } else {
            format!(
                ": {}",
                m.steps
                    .iter()
                    .map(|s| text::escape(&s.title))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));
    out.push(if m.transactional() {
        "one transaction: any failure rolls the whole phase back".to_string()
    } else {
        "Transaction: none: statements commit one by one; a failure leaves the phase dirty"
            .to_string()
    });
    let lock = m
        .meta
        .lock_timeout
        .or(options.lock_timeout)
        .map_or("2s".to_string(), duration);
    let stmt = m
        .meta
        .statement_timeout
        .map_or("server default".to_string(), duration);
    out.push(format!("lock_timeout {lock}, statement_timeout {stmt}"));
    if m.checks.is_empty() {
        out.push("no checks".to_string());
    } else {
        let names: Vec<String> = m
            .checks
            .iter()
            .map(|c| format!("{} [{}]", Escaped(&c.name), c.expect))
            .collect();
        out.push(format!("{} check(s): {}", m.checks.len(), names.join(", ")));
    }
    if !m.meta.requires.is_empty() {
        out.push(format!(
            "requires extension(s): {}",
            m.meta.requires.join(", ")
        ));
    }
    if m.down.is_none() {
        out.push("no DOWN: it cannot be rolled back".to_string());
    }
    match tables {
        None => out.push("tables it touches: measuring...".to_string()),
        Some([]) => {}
        Some(t) => out.extend(t.iter().map(|line| format!("touches {line}"))),
    }
    for f in findings {
        out.push(format!(
            "{} [{}] line {}: {}",
            f.severity.word(),
            f.rule,
            f.line,
            f.message
        ));
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
