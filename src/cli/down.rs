//! `pgstep down`: roll back applied phases, newest first, after the operator confirms.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use clap::Args;

use super::db::{self, Fail, Target};
use super::progress::Printer;
use super::{exit, write_out};
use crate::engine::keeping::{self, KeepChoice};
use crate::engine::{DownTarget, EngineError};
use crate::text::Escaped;

/// How far to roll back and why: the arguments `pgstep down` and `pgstep fleet NAME down`
/// share.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Roll back every applied phase after this version.
    #[arg(long, value_parser = super::version, group = "how")]
    pub to: Option<crate::plan::Version>,
    /// Roll back the newest N applied phases.
    #[arg(long, group = "how", value_parser = super::steps)]
    pub steps: Option<usize>,
    /// Roll back every applied phase.
    #[arg(long, group = "how")]
    pub all: bool,
    /// Do not ask (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Why, for the event log.
    #[arg(long)]
    pub reason: Option<String>,
}

impl DownArgs {
    /// How far, or a failure saying how to say it.
    pub fn how(&self) -> Result<DownTarget, Fail> {
        match (&self.to, self.steps, self.all) {
            (Some(v), _, _) => Ok(DownTarget::To(v.clone())),
            (_, Some(n), _) => Ok(DownTarget::Steps(n)),
            (_, _, true) => Ok(DownTarget::All),
            _ => Err(Fail::new(
                exit::INPUT,
                "pgstep: say how far to roll back: --to VERSION, --steps N or --all",
            )),
        }
    }
}

pub async fn run(
    dir: &Path,
    target: &Target,
    how: &DownTarget,
    (yes, choice): (bool, KeepChoice),
    reason: Option<&str>,
    in_doubt: Option<crate::engine::InDoubt>,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    db::warn_if_tampered(&session).await?;
    let tool = session.engine.tool_history(&plan).await?;
    let rows = session.engine.history().await?;
    let rows = session.engine.rollback_history(&plan, rows, tool.as_ref());
    let list = session
        .engine
        .plan_down(&plan, &rows, tool.as_ref(), how)
        .await?;
    let Some(last) = list.last() else {
        return write_out(out, "nothing to roll back\n");
    };
    let mut question = format!(
        "About to roll back {} phase(s) on {}, newest first:\n",
        list.len(),
        session.params
    );
    for u in &list {
        let down = u.down.sql().map_err(EngineError::from)?;
        let _ = writeln!(
            question,
            "  {} {}: {} DOWN statement(s){}",
            u.version,
            Escaped(&u.name),
            u.down.count(),
            if u.from_history {
                " (file gone: DOWN as recorded when it was applied)"
            } else {
                ""
            }
        );
        for s in down.statements() {
            let head: String = s.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(
                question,
                "      {}",
                Escaped(&head.chars().take(100).collect::<String>())
            );
        }
        let settings = &target.settings;
        let off = u.migration.and_then(|m| m.meta.keep_off.as_deref());
        let off = match &choice {
            KeepChoice::No { reason } => Some(reason.as_str()),
            _ if !settings.keep => Some("the profile turns keeping off (keep = false)"),
            _ => off,
        };
        let kept = keeping::measure(session.engine.client(), down.statements().map(|s| s.sql))
            .await
            .map_err(EngineError::from)?;
        let max = match choice {
            KeepChoice::Anyway => u64::MAX,
            _ => settings.trash_max,
        };
        question.push_str(&super::trash::confirmation(&kept, max, off));
    }
    db::confirm(&question, last.version.as_str(), yes)?;
    session.engine.choose_keep(choice);
    let printer = Printer::start(session.engine.batch_control());
    let mut progress = printer.sink();
    let done = db::cancellable(
        &session,
        session
            .engine
            .down(&plan, how, reason, in_doubt, &mut progress),
    )
    .await?;
    let mut s = String::new();
    for r in &done {
        let name = Escaped(&r.name);
        let _ = writeln!(s, "rolled back {} {name} in {} ms", r.version, r.millis);
        if r.kept > 0 {
            let _ = writeln!(
                s,
                "  kept {} cop(ies) of what it removed: `pgstep trash` lists them, `pgstep restore ID` puts one back",
                r.kept
            );
        }
    }
    write_out(out, &s)
}
