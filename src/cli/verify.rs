//! `pgstep verify`: the checks against the database as it is, read-only.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::{exit, write_out};
use crate::engine::CheckOutcome;
use crate::plan::Version;
use crate::text::{self, Escaped};

/// The outcome table: grade, name, expectation, before, and what was seen or why it failed.
pub fn checks_table(checks: &[CheckOutcome]) -> String {
    let mut s = String::new();
    if checks.is_empty() {
        s.push_str("  (no checks)\n");
        return s;
    }
    let nw = checks
        .iter()
        .map(|c| text::escape(&c.name).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 40);
    let gw = checks
        .iter()
        .map(|c| c.grade.word().len())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        s,
        "  {:gw$}  {:nw$}  {:10}  {:16}  RESULT",
        "", "CHECK", "EXPECT", "BEFORE"
    );
    for c in checks {
        let _ = writeln!(
            s,
            "  {:gw$}  {:nw$}  {:10}  {:16}  {}",
            c.grade.word(),
            Escaped(&c.name),
            c.expect,
            Escaped(c.before.as_deref().unwrap_or("-")),
            Escaped(if c.failed() { &c.detail } else { &c.after })
        );
    }
    s
}

pub async fn run(
    dir: &Path,
    target: &Target,
    only: Option<&Version>,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    let verified = db::cancellable(&session, session.engine.verify(&plan, only)).await?;
    let failed: usize = verified
        .iter()
        .map(|v| v.checks.iter().filter(|c| c.failed()).count())
        .sum();
    if json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "phases": verified }))
            .unwrap_or_default();
        write_out(out, &format!("{text}\n"))?;
    } else {
        let mut s = String::new();
        for v in &verified {
            let _ = writeln!(s, "{} {}", v.version, Escaped(&v.name));
            s.push_str(&checks_table(&v.checks));
        }
        if verified.is_empty() {
            s.push_str("no applied phase to verify\n");
        }
        write_out(out, &s)?;
    }
    if failed > 0 {
        return Err(Fail::new(
            exit::FAILED,
            format!("pgstep: {failed} check(s) failed"),
        ));
    }
    Ok(())
}
