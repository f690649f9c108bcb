//! Decisions about phases that need one: `mark` (dirty or failed), `accept` and `diff`
//! (drifted).

use std::io::Write;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::{exit, write_out};
use crate::engine::{EngineError, PhaseState, drift};
use crate::plan::Version;
use crate::text::{self, Escaped};

pub async fn mark(
    dir: &Path,
    target: &Target,
    version: &Version,
    applied: bool,
    reason: &str,
    yes: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    let to = if applied { "applied" } else { "pending" };
    let question = format!(
        "About to record phase {version} as {to} on {} without running any SQL.",
        session.params
    );
    db::confirm(&question, version.as_str(), yes)?;
    session.engine.mark(&plan, version, applied, reason).await?;
    write_out(out, &format!("phase {version} marked {to}\n"))
}

pub async fn accept(
    dir: &Path,
    target: &Target,
    version: &Version,
    reason: &str,
    yes: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    let question = format!(
        "About to accept the changed file of phase {version} on {}: its new checksum becomes \
         the recorded one. Review `pgstep diff {version}` first.",
        session.params
    );
    db::confirm(&question, version.as_str(), yes)?;
    session.engine.accept(&plan, version, reason).await?;
    write_out(
        out,
        &format!("phase {version}: the changed file is accepted\n"),
    )
}

pub async fn diff(
    dir: &Path,
    target: &Target,
    version: &Version,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    let rows = session.engine.history().await?;
    let tool = session.engine.tool_history(&plan).await?;
    let phases = crate::phases::merge(&plan, &rows, tool.as_ref());
    let Some(p) = phases.iter().find(|p| p.version == *version) else {
        return Err(Fail::new(
            exit::INPUT,
            format!("pgstep: version {version} is neither in the plan nor in the history"),
        ));
    };
    let (Some(m), Some(row)) = (p.migration, p.row) else {
        return write_out(
            out,
            &format!(
                "phase {version} is {}: nothing to compare\n",
                p.state.word()
            ),
        );
    };
    let applied = session.engine.applied_sql(&row.version).await?;
    let text = drift::diff(&applied, &m.read().map_err(EngineError::from)?);
    if p.state != PhaseState::Drifted {
        return write_out(out, &format!("phase {version} matches what was applied\n"));
    }
    let what = p.drift.as_ref().map(|d| d.describe()).unwrap_or_default();
    let what = Escaped(&what);
    let text = text::escape_lines(&text);
    write_out(out, &format!("phase {version} drifted: {what}\n{text}"))
}
