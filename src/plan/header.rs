//! The `-- Key: value` header of a native migration file (seed 003's format plus pgstep's
//! keys).

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use super::diag::{Diagnostic, Problem};
use super::{Layout, Meta, Version};

/// What the header said, and where the SQL after it starts.
#[derive(Debug, Default)]
pub struct Header {
    pub meta: Meta,
    pub version: Option<(Version, u32)>,
    pub transactional: Option<bool>,
    /// Byte offset of the first line after the header.
    pub end: usize,
}

const KEYS: [&str; 11] = [
    "migration",
    "version",
    "date",
    "author",
    "depends",
    "goal",
    "transaction",
    "lock-timeout",
    "statement-timeout",
    "requires",
    "keep",
];

/// A `-- Key: value` line: the key and the value.
fn header_line(line: &str) -> Option<(&str, &str)> {
    let body = line.strip_prefix("--")?.trim_start();
    let (key, value) = body.split_once(':')?;
    let key = key.trim_end();
    let mut chars = key.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| (key, value.trim()))
}

/// Reads the leading comments of a file of another layout. The gates that pace a batched
/// step (`Max-Replica-Lag`, `Max-Wal-Rate`, `Batch-Pause`) work there as in a native file,
/// since `-- Batch:` steps do; in a DOWN file, where no step is, they are refused. The other
/// keys that change how a native phase runs are refused: there they would be comments, and
/// the phase would run otherwise than its author wrote. Descriptive keys (`Migration`,
/// `Author`, ...) stay comments.
pub fn elsewhere(
    path: &Path,
    text: &str,
    layout: Layout,
    part: Elsewhere,
    diags: &mut Vec<Diagnostic>,
) -> super::batch::Gates {
    let mut gates = super::batch::Gates::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if !line.starts_with("--") {
            break;
        }
        let Some((key, value)) = header_line(line) else {
            continue;
        };
        let norm = key.to_ascii_lowercase().replace('_', "-");
        if super::batch::GATE_KEYS.contains(&norm.as_str()) && part == Elsewhere::Up {
            if let Err(reason) = super::batch::read_gate(&mut gates, &norm, value) {
                let problem = Problem::BadHeaderValue {
                    key: key.to_string(),
                    value: value.to_string(),
                    reason,
                };
                diags.push(Diagnostic::at(path, i as u32 + 1, problem));
            }
            continue;
        }
        let instead = match (norm.as_str(), layout) {
            (gate, _) if super::batch::GATE_KEYS.contains(&gate) => {
                "write it in the leading comments of the UP file, where the batched step is"
            }
            ("transaction", Layout::UpDown) => {
                "write `-- no-transaction` as the file's first line, as sqlx reads it"
            }
            ("transaction", Layout::Diesel) => {
                "write `run_in_transaction = false` in the directory's metadata.toml"
            }
            ("transaction", Layout::Flyway) => {
                "write `executeInTransaction=false` in the file's .sql.conf (CONCURRENTLY, VACUUM and the like are found without it)"
            }
            ("transaction", _) => "write `-- migrate:up transaction:false`",
            ("lock-timeout", _) => {
                "set `lock_timeout` in the profile (pgstep.toml), which applies to every phase"
            }
            ("statement-timeout", _) => {
                "write `SET statement_timeout = ...;` as the phase's first statement"
            }
            ("depends" | "requires", _) => {
                "write the migrations as native NNN_name.sql files to use it, or remove the line"
            }
            _ => continue,
        };
        let problem = Problem::HeaderElsewhere {
            key: key.to_string(),
            layout: layout.name(),
            instead,
        };
        diags.push(Diagnostic::at(path, i as u32 + 1, problem));
    }
    gates
}

/// Which file of a migration [`elsewhere`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elsewhere {
    /// The UP file, or a dbmate file's head.
    Up,
    Down,
}

pub fn read(path: &Path, text: &str, diags: &mut Vec<Diagnostic>) -> Header {
    let mut h = Header::default();
    // A set, not a list: a file may hold any number of (unknown) keys.
    let mut seen: HashSet<String> = HashSet::new();
    let mut offset = 0;
    let mut line_no = 0u32;
    let mut started = false;
    for raw in text.split_inclusive('\n') {
        line_no += 1;
        let line = raw.trim_end_matches(['\n', '\r']).trim();
        if line.is_empty() && !started {
            offset += raw.len();
            continue;
        }
        // sqlx marks a migration that must run outside a transaction this way.
        if line == "-- no-transaction" && !started {
            h.transactional = Some(false);
            started = true;
            offset += raw.len();
            continue;
        }
        let Some((key, value)) = header_line(line) else {
            break;
        };
        let norm = key.to_ascii_lowercase().replace('_', "-");
        if matches!(norm.as_str(), "step" | "check" | "expect") {
            break;
        }
        started = true;
        offset += raw.len();
        if !seen.insert(norm.clone()) {
            diags.push(Diagnostic::at(
                path,
                line_no,
                Problem::DuplicateHeaderKey(key.into()),
            ));
            continue;
        }
        if !KEYS.contains(&norm.as_str()) && !super::batch::GATE_KEYS.contains(&norm.as_str()) {
            diags.push(Diagnostic::at(
                path,
                line_no,
                Problem::UnknownHeaderKey(key.into()),
            ));
            continue;
        }
        if let Err(reason) = apply(&mut h, &norm, value, line_no) {
            let problem = Problem::BadHeaderValue {
                key: key.to_string(),
                value: value.to_string(),
                reason,
            };
            diags.push(Diagnostic::at(path, line_no, problem));
        }
    }
    h.end = offset;
    h
}

fn text_value(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_string())
}

fn apply(h: &mut Header, key: &str, value: &str, line: u32) -> Result<(), String> {
    let m = &mut h.meta;
    match key {
        "migration" => m.title = text_value(value),
        "date" => m.date = text_value(value),
        "author" => m.author = text_value(value),
        "goal" => m.goal = text_value(value),
        "version" => {
            // `R__` names Flyway's repeatable migrations, which are files, not headers.
            let v = Version::parse(value)
                .filter(|v| !v.is_repeatable())
                .ok_or("use digits separated by dots, e.g. 003 or 1.10".to_string())?;
            h.version = Some((v, line));
        }
        "depends" => {
            m.depends_line = Some(line);
            if !value.eq_ignore_ascii_case("none") {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let v = Version::parse(item)
                        .filter(|v| !v.is_repeatable())
                        .ok_or(format!("`{item}` is not a version"))?;
                    m.depends.push(v);
                }
            }
        }
        "requires" => {
            for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let ok = item
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !ok {
                    return Err(format!("`{item}` is not an extension name"));
                }
                m.requires.push(item.to_string());
            }
        }
        "transaction" => {
            h.transactional = Some(match value.to_ascii_lowercase().as_str() {
                "none" | "off" | "no" | "false" => false,
                "phase" | "on" | "yes" | "true" => true,
                _ => return Err("use `none` (statements run one by one) or `phase`".into()),
            });
        }
        "keep" => {
            // Not keeping a copy loses data for good: the reason is part of the record.
            let reason = value
                .get(..3)
                .filter(|w| w.eq_ignore_ascii_case("no "))
                .map(|_| value[3..].trim())
                .filter(|r| !r.is_empty());
            match reason {
                Some(r) => m.keep_off = Some(r.to_string()),
                None if value.eq_ignore_ascii_case("yes") => m.keep_off = None,
                None => {
                    return Err(
                        "write `no` and the reason it needs no copy, e.g. `-- Keep: no the \
                         table is rebuilt from events`, or `yes`"
                            .into(),
                    );
                }
            }
        }
        "lock-timeout" => m.lock_timeout = Some(parse_duration(value)?),
        "statement-timeout" => m.statement_timeout = Some(parse_duration(value)?),
        gate => super::batch::read_gate(&mut m.gates, gate, value)?,
    }
    Ok(())
}

/// `500ms`, `5s`, `10min`, `1h`, `1d`, or `0` (no limit), as PostgreSQL writes durations.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let v = value.trim();
    if v == "0" {
        return Ok(Duration::ZERO);
    }
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = v.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| "write a whole number with a unit: 500ms, 5s, 10min, 1h".to_string())?;
    let ms = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "" => return Err("add a unit: ms, s, min, h or d".into()),
        other => return Err(format!("unknown unit `{other}`: use ms, s, min, h or d")),
    };
    n.checked_mul(ms)
        .map(Duration::from_millis)
        .ok_or_else(|| "too long".to_string())
}

/// The shortest way `parse_duration` reads back: `2s`, `10min`, `1h`, `250ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
    ];
    match units.iter().find(|(u, _)| ms > 0 && ms.is_multiple_of(*u)) {
        Some((u, name)) => format!("{}{name}", ms / u),
        None => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_back() {
        for text in ["250ms", "2s", "10min", "1h", "3d", "1500ms", "0ms"] {
            let d = parse_duration(text).unwrap_or(Duration::ZERO);
            assert_eq!(format_duration(d), text);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("10min"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("250 ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in [
            "",
            "5",
            "s",
            "5 sec",
            "1.5s",
            "-1s",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn header_lines() {
        assert_eq!(header_line("-- Version: 006"), Some(("Version", "006")));
        assert_eq!(
            header_line("--Lock-Timeout:5s"),
            Some(("Lock-Timeout", "5s"))
        );
        assert_eq!(header_line("-- Create the table"), None);
        assert_eq!(header_line("-- 12:30 is lunch"), None);
        assert_eq!(header_line("SELECT 1"), None);
    }
}
