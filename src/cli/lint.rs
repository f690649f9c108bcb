//! `pgstep lint`: what each phase will lock, rewrite or destroy, from the files and (with a
//! connection) the live tables.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::{exit, write_out};
use crate::config::Config;
use crate::engine::EngineError;
use crate::lint::{self, Finding, Severity};
use crate::plan::Plan;

/// Human size: `64 kB`, `1.5 GB`.
pub fn bytes(n: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// One finding as the operator reads it, written at the end of `s`.
fn describe(s: &mut String, f: &Finding) {
    let _ = write!(
        s,
        "{}:{}: {} [{}] {}",
        f.file.display(),
        f.line,
        f.severity.word(),
        f.rule,
        f.message
    );
    if let Some(t) = &f.table
        && f.table_bytes.is_some()
    {
        let _ = write!(s, "\n  table {t}: {}", bytes(f.table_bytes.unwrap_or(0)));
        if let Some(r) = f.rows_estimate {
            let _ = write!(s, ", about {r} rows");
        }
        if !f.lock_holders.is_empty() {
            let _ = write!(s, "; locked now by {}", f.lock_holders.join(", "));
        }
    }
    if let Some(n) = f.index_scans {
        let _ = write!(
            s,
            "\n  the index was scanned {n} times in the statistics window"
        );
    }
    let _ = write!(s, "\n  hint: {}", f.hint);
}

/// Whether findings can be weighed by a live database: one is configured and not refused.
pub fn live(target: &Target, offline: bool) -> bool {
    !offline && (target.url.is_some() || std::env::var_os("PGHOST").is_some())
}

/// Lints the files alone: no runtime, no connection.
pub fn run_offline(dir: &Path, config: &Config, json: bool, out: &mut impl Write) -> u8 {
    let result =
        db::load_plan(dir).and_then(|plan| report(findings(&plan, config)?, false, json, out));
    match result {
        Ok(()) => exit::OK,
        Err(fail) => {
            eprintln!("{}", fail.message);
            fail.code
        }
    }
}

/// Lints the files and weighs the findings by the live tables.
pub async fn run_live(
    dir: &Path,
    target: &Target,
    config: &Config,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let mut findings = findings(&plan, config)?;
    let session = db::connect(target).await?;
    lint::live::weigh(session.engine.client(), &mut findings)
        .await
        .map_err(|e| Fail::new(exit::CONNECTION, format!("pgstep: {e}")))?;
    report(findings, true, json, out)
}

fn findings(plan: &Plan, config: &Config) -> Result<Vec<Finding>, Fail> {
    lint::lint_plan(plan, &config.lint).map_err(|e| Fail::from(EngineError::from(e)))
}

fn report(
    findings: Vec<Finding>,
    live: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    if json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "findings": findings }))
            .unwrap_or_default();
        write_out(out, &format!("{text}\n"))?;
    } else {
        // The findings' text is made on the cores, a part each, then written in order.
        let parts = crate::cores::chunked(&findings, 256, |part| {
            let mut s = String::new();
            for f in part {
                describe(&mut s, f);
                s.push('\n');
            }
            s
        });
        for part in parts {
            write_out(out, &part)?;
        }
        let mut s = String::new();
        let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
        let _ = writeln!(
            s,
            "{} finding(s): {} error(s), {} warning(s), {} info{}",
            findings.len(),
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info),
            if live {
                ""
            } else {
                " (files only: connect to weigh them by the live tables)"
            }
        );
        write_out(out, &s)?;
    }
    if lint::worst(&findings) == Some(Severity::Error) {
        return Err(Fail::new(
            exit::FAILED,
            "pgstep: lint found error-level findings",
        ));
    }
    Ok(())
}
