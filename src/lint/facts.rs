//! What one phase's statements do, read from its text alone: the operations, ignore comments
//! and autocommit needs the rules judge. Nothing here depends on earlier phases, so a plan's
//! phases are read this way side by side, and only the rules' pass over these facts runs in
//! order (it carries what earlier phases declared).

use super::ops::{self, Op};
use crate::plan::{Read, Sql};

/// One statement, as the rules read it.
pub struct Statement<'a> {
    pub line: u32,
    /// The rule ids of the `-- pgstep:ignore` line right above it.
    pub ignore: Vec<String>,
    pub op: Op,
    pub sql: &'a str,
    /// Whether it cannot run in the transaction its phase runs it in.
    pub autocommit_in_transaction: bool,
    /// Whether a DROP ends in `CASCADE`.
    pub cascade: bool,
}

/// A phase's UP and DOWN statements.
pub struct Facts<'a> {
    pub up: Vec<Statement<'a>>,
    pub down: Option<Vec<Statement<'a>>>,
}

/// Reads the facts of `m`.
pub fn of<'a>(m: &'a Read<'_>) -> Facts<'a> {
    let up = m.up();
    let transactional = m.transactional();
    let up = up
        .spans()
        .enumerate()
        .map(|(i, s)| {
            let sql = &up.text[s.sql.clone()];
            let in_transaction = transactional || m.up.wrapped_at(i).is_some();
            Statement {
                ignore: ignored(up, s.sql.start, s.line),
                autocommit_in_transaction: in_transaction && crate::sql::needs_autocommit(sql),
                ..statement(s.line, sql)
            }
        })
        .collect();
    let down = m.down().map(|down| {
        down.statements()
            .map(|s| statement(s.line, s.sql))
            .collect()
    });
    Facts { up, down }
}

fn statement(line: u32, sql: &str) -> Statement<'_> {
    let (op, cascade) = ops::read_with_cascade(sql);
    Statement {
        line,
        ignore: Vec::new(),
        op,
        sql,
        autocommit_in_transaction: false,
        cascade,
    }
}

/// The rule ids a `-- pgstep:ignore <rule>[,<rule>] <reason>` line right above the statement
/// names.
fn ignored(part: Sql<'_>, sql_start: usize, sql_line: u32) -> Vec<String> {
    let before = part.text[..sql_start].trim_end();
    // The header reader takes a `-- pgstep:ignore ...` line right under the header (or at the
    // top of the file) for a `Key: value` line, so the part's text starts after it, at the
    // statement: read that line from the file. Only then, so a plan of many files with the usual
    // blank line under the header is not read twice.
    let from_file = if sql_start == 0 && sql_line > 1 {
        crate::files::read_text(&part.part.file, crate::files::max_size())
            .ok()
            .and_then(|text| {
                text.lines()
                    .take(sql_line as usize - 1)
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .last()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    let line = if before.is_empty() {
        from_file.as_str()
    } else {
        before.rsplit('\n').next().unwrap_or("").trim()
    };
    let Some(rest) = line.strip_prefix("--").map(str::trim) else {
        return Vec::new();
    };
    let Some(rest) = rest.strip_prefix("pgstep:ignore") else {
        return Vec::new();
    };
    rest.split_whitespace()
        .next()
        .map(|ids| ids.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}
