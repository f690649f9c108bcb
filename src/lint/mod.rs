//! The linter: what a phase will lock, rewrite or destroy, said before anyone presses `y`.
//!
//! Rules read each statement's operations (`ops`), in order, so a table created earlier in the
//! same phase is known to be new (no live traffic can hold it) and a `CHECK (col IS NOT NULL)`
//! validated earlier lets `SET NOT NULL` skip its scan. With a connection, findings on existing
//! tables are weighted by the table's size and the sessions holding locks on it (`live`).

mod facts;
pub mod live;
mod objects;
pub mod ops;
mod rules;
mod types;

use std::path::PathBuf;

use serde::Serialize;

use crate::cores;
use crate::plan::{Plan, PlanError, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// One level up, for big tables.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// Every rule: its id, its default severity, and what it is about.
pub const RULES: &[(&str, Severity, &str)] = &[
    (
        "create-index-blocking",
        Severity::Warning,
        "CREATE INDEX without CONCURRENTLY blocks writes",
    ),
    (
        "drop-index-blocking",
        Severity::Warning,
        "DROP INDEX without CONCURRENTLY blocks reads and writes",
    ),
    (
        "concurrently-in-transaction",
        Severity::Error,
        "a CONCURRENTLY (or other autocommit-only) statement in a transactional phase fails",
    ),
    (
        "add-column-rewrite",
        Severity::Warning,
        "ADD COLUMN that rewrites the table",
    ),
    (
        "alter-column-type-rewrite",
        Severity::Warning,
        "ALTER COLUMN TYPE that rewrites the table",
    ),
    (
        "set-not-null-scan",
        Severity::Warning,
        "SET NOT NULL scans the table under an exclusive lock",
    ),
    (
        "constraint-not-valid",
        Severity::Warning,
        "ADD FOREIGN KEY or CHECK without NOT VALID scans under lock",
    ),
    (
        "unique-without-index",
        Severity::Warning,
        "ADD UNIQUE or PRIMARY KEY builds its index under an exclusive lock",
    ),
    (
        "drop-table",
        Severity::Warning,
        "DROP TABLE loses data a DOWN cannot bring back",
    ),
    (
        "drop-column",
        Severity::Warning,
        "DROP COLUMN loses data a DOWN cannot bring back",
    ),
    (
        "truncate",
        Severity::Warning,
        "TRUNCATE loses data a DOWN cannot bring back",
    ),
    (
        "rename",
        Severity::Warning,
        "renaming a table or column breaks code still using the old name",
    ),
    (
        "table-rewrite",
        Severity::Warning,
        "VACUUM FULL, CLUSTER, SET LOGGED/UNLOGGED rewrite under an exclusive lock",
    ),
    (
        "destructive-without-down",
        Severity::Error,
        "a phase that destroys data has no DOWN",
    ),
    (
        "down-leaves-object",
        Severity::Warning,
        "the DOWN leaves something the UP created",
    ),
    (
        "lock-timeout-off",
        Severity::Warning,
        "the phase turns off pgstep's lock timeout",
    ),
];

/// Severity overrides and disabled rules, from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintConfig {
    /// Rule id and its severity, or `None` to turn the rule off.
    pub overrides: Vec<(String, Option<Severity>)>,
}

impl LintConfig {
    fn severity(&self, rule: &str, default: Severity) -> Option<Severity> {
        match self.overrides.iter().rev().find(|(r, _)| r == rule) {
            Some((_, s)) => *s,
            None => Some(default),
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub file: PathBuf,
    pub version: String,
    pub line: u32,
    /// What happens: the lock, the rewrite, the scan, the loss.
    pub message: String,
    /// The safer way.
    pub hint: String,
    /// The table it is about, when there is one.
    pub table: Option<String>,
    /// Filled in from a live database.
    pub table_bytes: Option<i64>,
    pub rows_estimate: Option<i64>,
    /// Sessions holding locks on the table now.
    pub lock_holders: Vec<String>,
    /// For an index to be dropped: its scans in the statistics window.
    pub index_scans: Option<i64>,
    /// The index a DROP INDEX finding is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// A type change's column and new type, re-judged against the live column.
    #[serde(skip)]
    pub retype: Option<(String, String)>,
}

/// How many phases of an outlined plan are read again at once. Few, so the memory one window
/// frees is what the next one takes: every page more the process touches costs a page fault.
const WINDOW: usize = 256;

/// Lints every migration of the plan. Reading each phase's statements needs nothing from the
/// others, so it is spread over the cores while the rules go through the phases in order.
pub fn lint_plan(plan: &Plan, config: &LintConfig) -> Result<Vec<Finding>, PlanError> {
    let mut known = start(plan);
    let mut out = Vec::new();
    // A plan read whole holds its text: reading it is free, and it is linted in one pass.
    // An outlined plan's files are read again, a window at a time.
    let window = if plan.migrations.iter().all(|m| m.is_read()) {
        plan.migrations.len().max(1)
    } else {
        WINDOW
    };
    for window in plan.migrations.chunks(window) {
        let reads = if window.iter().all(|m| m.is_read()) {
            window
                .iter()
                .map(|m| m.read())
                .collect::<Result<Vec<_>, _>>()?
        } else {
            cores::spread(window, |m| m.read())
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?
        };
        cores::in_order(&reads, facts::of, |m, f| {
            out.extend(findings(m, f, config, &mut known))
        });
    }
    Ok(out)
}

/// Lints one migration; `known` carries what earlier phases declared (column types, NOT NULL
/// proofs, indexes).
pub fn lint_migration(m: &Read<'_>, config: &LintConfig, known: &mut rules::Known) -> Vec<Finding> {
    findings(m, &facts::of(m), config, known)
}

fn findings(
    m: &Read<'_>,
    facts: &facts::Facts<'_>,
    config: &LintConfig,
    known: &mut rules::Known,
) -> Vec<Finding> {
    rules::check(m, facts, known)
        .into_iter()
        .filter_map(|(raw, ignored)| {
            if ignored {
                return None;
            }
            let default = raw.severity.unwrap_or_else(|| {
                RULES
                    .iter()
                    .find(|(id, _, _)| *id == raw.rule)
                    .map_or(Severity::Warning, |r| r.1)
            });
            let severity = config.severity(raw.rule, default)?;
            Some(Finding {
                rule: raw.rule,
                severity,
                file: raw.file,
                version: m.version.to_string(),
                line: raw.line,
                message: raw.message,
                hint: raw.hint,
                table: raw.table,
                table_bytes: None,
                rows_estimate: None,
                lock_holders: Vec::new(),
                index_scans: None,
                index: raw.index,
                retype: raw.retype,
            })
        })
        .collect()
}

/// Column types the plan declares before phase `version`, to lint that phase alone.
/// An outlined plan's files are read again for it, one at a time.
pub fn types_for(plan: &Plan, version: &crate::plan::Version) -> Result<rules::Known, PlanError> {
    let mut known = start(plan);
    for m in plan.migrations.iter().take_while(|m| m.version < *version) {
        let m = m.read()?;
        rules::check(&m, &facts::of(&m), &mut known);
    }
    // The phase linted alone carries the layout's note if it destroys data.
    known.downless_noted = false;
    Ok(known)
}

/// What a plan's lint starts from: for a layout whose plan has no DOWN anywhere (Flyway
/// without undo files, sqlx's up-only files, which read as native files without `-- DOWN`),
/// that layout, so its phases that destroy data are one note about the layout and not an
/// error each.
fn start(plan: &Plan) -> rules::Known {
    let downless = plan
        .layout
        .filter(|_| plan.migrations.iter().all(|m| m.down.is_none()));
    let mut known = rules::Known::default();
    known.downless = downless;
    known
}

/// The worst severity among `findings`.
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

/// The existing tables a phase's UP alters, indexes, truncates or drops (not those it creates
/// first), for the apply dialog's sizes and lock holders.
pub fn touched_tables(m: &Read<'_>) -> Vec<String> {
    let mut created: Vec<ops::Name> = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut add = |n: &ops::Name, created: &[ops::Name]| {
        let name = n.display();
        if !created.iter().any(|c| c.same(n)) && !out.contains(&name) {
            out.push(name);
        }
    };
    for s in m.up().statements() {
        match ops::read(s.sql) {
            ops::Op::CreateTable { table, .. } => created.push(table),
            ops::Op::CreateIndex { table, .. } | ops::Op::AlterTable { table, .. } => {
                add(&table, &created)
            }
            ops::Op::DropTable(names) | ops::Op::Truncate(names) => {
                for n in &names {
                    add(n, &created);
                }
            }
            _ => {}
        }
    }
    out
}
