//! Batched steps (`-- Batch: TABLE.COLUMN SIZE` under a `-- Step:` line) and the health
//! gates that pace them (`Max-Replica-Lag`, `Max-Wal-Rate`, `Batch-Pause` headers).
//!
//! A batched step holds one statement that runs once per key range, `$1` and `$2` bound to
//! `[lo, lo + SIZE)`. Everything that can be judged from the files is judged here, so a bad
//! step is refused at plan time with its line; what needs the database (the table, the
//! key's type) is judged by the engine before anything runs.

use std::path::Path;
use std::time::Duration;

use super::check::{Check, Expect};
use super::diag::{Diagnostic, Problem};
use super::header::parse_duration;
use super::{Part, Step};

/// A step whose single statement runs once per key range.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Batched {
    /// The table, as written (possibly `schema.table`).
    pub table: String,
    pub column: String,
    /// Keys per range, as written.
    pub size: u64,
    /// Line of the `-- Batch:` line.
    pub line: u32,
    /// Index of its statement among UP's statements.
    #[serde(skip)]
    pub statement: usize,
    pub statement_line: u32,
}

/// How far replicas may fall behind before batches wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LagLimit {
    Bytes(u64),
    Time(Duration),
}

/// The health gates of a phase; `None` leaves the profile's default (off when unset).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gates {
    pub max_replica_lag: Option<LagLimit>,
    /// Bytes of WAL per second.
    pub max_wal_rate: Option<u64>,
    pub batch_pause: Option<Duration>,
}

impl Gates {
    /// These gates, each unset one taken from `defaults`.
    pub fn or(self, defaults: Gates) -> Gates {
        Gates {
            max_replica_lag: self.max_replica_lag.or(defaults.max_replica_lag),
            max_wal_rate: self.max_wal_rate.or(defaults.max_wal_rate),
            batch_pause: self.batch_pause.or(defaults.batch_pause),
        }
    }
}

/// The header keys read here.
pub const GATE_KEYS: [&str; 3] = ["max-replica-lag", "max-wal-rate", "batch-pause"];

pub const GATE_HINT: &str = "write a size such as 16MB or a time such as 5s (Max-Replica-Lag), a rate such as 50MB/s \
     (Max-Wal-Rate), a pause such as 50ms (Batch-Pause)";

/// Reads one gate header into `g`; `key` is lower-case with dashes.
pub fn read_gate(g: &mut Gates, key: &str, value: &str) -> Result<(), String> {
    match key {
        "max-replica-lag" => g.max_replica_lag = Some(parse_lag(value)?),
        "max-wal-rate" => g.max_wal_rate = Some(parse_rate(value)?),
        "batch-pause" => g.batch_pause = Some(parse_duration(value)?),
        _ => return Err(format!("`{key}` is not a gate")),
    }
    Ok(())
}

/// `16MB` (bytes) or `5s` (a time).
pub fn parse_lag(value: &str) -> Result<LagLimit, String> {
    match parse_bytes(value) {
        Ok(b) => Ok(LagLimit::Bytes(b)),
        Err(Unit::Unknown) => parse_duration(value).map(LagLimit::Time).map_err(|_| {
            format!(
                "unknown unit in `{}`: use B, kB, MB, GB for bytes or ms, s, min for a time",
                value.trim()
            )
        }),
        Err(Unit::Bad(e)) => Err(e),
    }
}

/// `50MB/s`: bytes per second.
pub fn parse_rate(value: &str) -> Result<u64, String> {
    let v = value.trim();
    let Some(size) = v.strip_suffix("/s") else {
        return Err("write a rate per second, such as 50MB/s".into());
    };
    match parse_bytes(size) {
        Ok(0) => Err("a rate of 0 lets nothing run: leave the header out to turn it off".into()),
        Ok(b) => Ok(b),
        Err(Unit::Unknown) => Err("use B, kB, MB or GB per second, such as 50MB/s".into()),
        Err(Unit::Bad(e)) => Err(e),
    }
}

enum Unit {
    /// Not a byte unit (perhaps a time).
    Unknown,
    Bad(String),
}

/// `16MB`, `512kB`, `1GB`, `100B`, in PostgreSQL's units (1kB = 1024 bytes).
fn parse_bytes(value: &str) -> Result<u64, Unit> {
    let v = value.trim();
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(Unit::Bad(
            "write a size such as 16MB, or a time such as 5s".into(),
        ));
    }
    let (num, unit) = v.split_at(digits);
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "b" => 1,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => return Err(Unit::Unknown),
    };
    num.parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| Unit::Bad("too large".into()))
}

/// Finds the `-- Batch:` line of each step (the comment lines right under its `-- Step:`
/// line), judges it, and returns the phase's batched step. Problems go to `diags`.
pub fn find(
    path: &Path,
    text: &str,
    steps: &[Step],
    up: &Part,
    checks: &[Check],
    diags: &mut Vec<Diagnostic>,
) -> Option<Batched> {
    let lines: Vec<&str> = text.lines().collect();
    let statements: Vec<(u32, &str)> = match up.sql() {
        Ok(sql) => sql.statements().map(|s| (s.line, s.sql)).collect(),
        Err(_) => return None,
    };
    let mut found: Option<Batched> = None;
    for (k, step) in steps.iter().enumerate() {
        let Some((line, spec)) = batch_line(&lines, step.line) else {
            continue;
        };
        let mut error = |at: u32, what: String, hint: &'static str| {
            diags.push(Diagnostic::at(path, at, Problem::Batch { what, hint }));
        };
        let end = steps
            .get(k + 1)
            .map_or(statements.len(), |s| s.first_statement);
        let own = &statements[step.first_statement.min(end)..end];
        let Some(&(statement_line, sql)) = own.first() else {
            error(
                line,
                "`-- Batch:` marks a step with no statement".into(),
                "write the statement that runs per key range under it",
            );
            continue;
        };
        if let Some(&(second, _)) = own.get(1) {
            error(
                second,
                "a batched step holds one statement; this is a second one".into(),
                "move it into a step of its own",
            );
            continue;
        }
        let Some((table, column, size)) = parse_spec(spec, &mut |what, hint| {
            error(line, what, hint);
        }) else {
            continue;
        };
        for p in ["$1", "$2"] {
            if !has_parameter(sql, p) {
                error(
                    statement_line,
                    format!("the batched statement does not use {p}"),
                    "bind the range: `WHERE id >= $1 AND id < $2`",
                );
            }
        }
        if found.is_some() {
            error(
                line,
                "a phase holds at most one batched step".into(),
                "move the second batched step into a phase of its own",
            );
            continue;
        }
        found = Some(Batched {
            table,
            column,
            size,
            line,
            statement: step.first_statement,
            statement_line,
        });
    }
    if found.is_some() {
        for c in checks.iter().filter(|c| c.expect == Expect::Unchanged) {
            diags.push(Diagnostic::at(
                path,
                c.line,
                Problem::Batch {
                    what: format!(
                        "check `{}` expects `unchanged`, but its phase has a batched step: \
                         its batches commit one by one, so no snapshot is taken before all of \
                         them",
                        c.name
                    ),
                    hint: "compare with a fixed value (`= N`) or move the check to a phase \
                           without a batched step",
                },
            ));
        }
    }
    found
}

/// The `-- Batch:` line among the comment lines right under the `-- Step:` at `step_line`.
fn batch_line<'a>(lines: &[&'a str], step_line: u32) -> Option<(u32, &'a str)> {
    for (i, raw) in lines.iter().enumerate().skip(step_line as usize) {
        let line = raw.trim();
        let body = line.strip_prefix("--")?;
        if let Some((key, value)) = body.split_once(':') {
            let key = key.trim();
            if key.eq_ignore_ascii_case("batch") {
                return Some((i as u32 + 1, value.trim()));
            }
            // The next step's lines are its own.
            if key.eq_ignore_ascii_case("step") {
                return None;
            }
        }
    }
    None
}

/// `TABLE.COLUMN SIZE` (the table may be `schema.table`).
fn parse_spec(
    spec: &str,
    error: &mut dyn FnMut(String, &'static str),
) -> Option<(String, String, u64)> {
    const FORM: &str = "write `-- Batch: TABLE.COLUMN SIZE`, e.g. `-- Batch: users.id 10000`";
    let words: Vec<&str> = spec.split_whitespace().collect();
    let (target, size) = match words.as_slice() {
        [target, size] => (*target, Some(*size)),
        [target] => (*target, None),
        _ => {
            error(format!("`{spec}` is not TABLE.COLUMN SIZE"), FORM);
            return None;
        }
    };
    let ident = |s: &str| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_alphabetic() || f == '_')
            && c.all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '$')
    };
    let Some((table, column)) = target.rsplit_once('.') else {
        error(format!("`{target}` is not TABLE.COLUMN"), FORM);
        return None;
    };
    if !table.split('.').all(ident) || table.split('.').count() > 2 || !ident(column) {
        error(format!("`{target}` is not TABLE.COLUMN"), FORM);
        return None;
    }
    let Some(size) = size else {
        error("the batch size is missing".into(), FORM);
        return None;
    };
    match size.replace('_', "").parse::<u64>() {
        Ok(n) if n > 0 && n <= i64::MAX as u64 => Some((table.to_string(), column.to_string(), n)),
        _ => {
            error(
                format!("batch size `{size}` is not a whole number above 0"),
                "write the number of keys per range, e.g. 10000",
            );
            None
        }
    }
}

/// Whether `sql` uses parameter `p` outside strings, quoted names and comments (`$10` is not
/// `$1`).
fn has_parameter(sql: &str, p: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'$' if sql[i..].starts_with(p)
                && !b.get(i + p.len()).is_some_and(u8::is_ascii_digit) =>
            {
                return true;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_rates_and_times() {
        assert_eq!(parse_lag("16MB"), Ok(LagLimit::Bytes(16 << 20)));
        assert_eq!(parse_lag("512kB"), Ok(LagLimit::Bytes(512 << 10)));
        assert_eq!(parse_lag("5s"), Ok(LagLimit::Time(Duration::from_secs(5))));
        assert_eq!(parse_rate("50MB/s"), Ok(50 << 20));
        assert!(parse_rate("50MB").is_err());
        assert!(parse_rate("0MB/s").is_err());
        assert!(parse_lag("lots").is_err());
        assert!(parse_lag("3 parsecs").is_err());
    }

    #[test]
    fn parameters_outside_strings_and_comments() {
        assert!(has_parameter("WHERE id >= $1 AND id < $2", "$1"));
        assert!(has_parameter("WHERE id >= $1 AND id < $2", "$2"));
        assert!(!has_parameter("SET a = '$1' -- $1\n", "$1"));
        assert!(!has_parameter("WHERE id = $10", "$1"));
    }
}
