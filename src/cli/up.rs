//! `pgstep up` (and `--dry-run`) and `pgstep resume`: applying phases with progress on stderr
//! and the outcome, checks included, on stdout.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::progress::Printer;
use super::verify::checks_table;
use super::write_out;
use crate::engine::keeping::{self, KeepChoice};
use crate::engine::{Applied, CheckOutcome, DryRun, EngineError, InDoubt, UpOptions};
use crate::plan::Version;
use crate::text::Escaped;

fn applied_report(done: &[Applied]) -> String {
    let mut s = String::new();
    for a in done {
        let name = Escaped(&a.name);
        let _ = writeln!(s, "applied {} {name} in {} ms", a.version, a.millis);
        if !a.checks.is_empty() {
            s.push_str(&checks_table(&a.checks));
        }
    }
    if done.is_empty() {
        s.push_str("nothing to apply: every phase is applied\n");
    }
    s
}

fn dry_run_report(r: &DryRun) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "dry run of {} {} (rolled back; only the event log keeps a trace)",
        r.version,
        Escaped(&r.name)
    );
    for st in &r.statements {
        let head: String = st.sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let head: String = head.chars().take(60).collect();
        let what = match (&st.skipped, st.rows) {
            (Some(why), _) => why.clone(),
            (None, Some(n)) => format!("{n} row(s), {} ms", st.millis),
            (None, None) => "failed".to_string(),
        };
        let _ = writeln!(
            s,
            "  line {:>4}  {:60}  {}",
            st.line,
            Escaped(&head),
            Escaped(&what)
        );
    }
    if !r.locks.is_empty() {
        s.push_str("locks held:\n");
        for (rel, modes) in &r.locks {
            let _ = writeln!(s, "  {}: {}", Escaped(rel), Escaped(modes));
        }
    }
    if !r.checks.is_empty() {
        s.push_str("checks:\n");
        s.push_str(&checks_table(&r.checks));
    }
    if let Some(e) = &r.error {
        let _ = writeln!(s, "error: {}", Escaped(&e.to_string()));
    }
    s
}

pub async fn run(
    dir: &Path,
    target: &Target,
    opts: &UpOptions,
    (dry_run, yes, choice): (bool, bool, KeepChoice),
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    db::warn_if_tampered(&session).await?;
    if target.typed() && !dry_run {
        let rows = session.engine.history().await?;
        let tool = session.engine.tool_history(&plan).await?;
        let phases = crate::phases::merge(&plan, &rows, tool.as_ref());
        let todo = crate::engine::targets(&phases, opts)?;
        if let Some(last) = todo.last() {
            let mut list = String::new();
            for m in &todo {
                list.push_str(&format!("  {} {}\n", m.version, m.name));
                let m = m.read().map_err(EngineError::from)?;
                let kept =
                    keeping::measure(session.engine.client(), m.up().statements().map(|s| s.sql))
                        .await
                        .map_err(EngineError::from)?;
                let off = match &choice {
                    KeepChoice::No { reason } => Some(reason.as_str()),
                    _ if !target.settings.keep => {
                        Some("the profile turns keeping off (keep = false)")
                    }
                    _ => m.meta.keep_off.as_deref(),
                };
                let max = match choice {
                    KeepChoice::Anyway => u64::MAX,
                    _ => target.settings.trash_max,
                };
                list.push_str(&super::trash::confirmation(&kept, max, off));
            }
            let question = format!(
                "Profile {} asks for typed confirmation. About to apply on {}:\n{}",
                target.profile_name(),
                session.params,
                list.trim_end()
            );
            db::confirm(&question, last.version.as_str(), yes)?;
        }
    }
    if dry_run {
        let report = db::cancellable(&session, session.engine.dry_run(&plan, opts)).await?;
        write_out(out, &dry_run_report(&report))?;
        if report.error.is_some() || report.checks.iter().any(CheckOutcome::failed) {
            return Err(Fail::new(
                super::exit::FAILED,
                "pgstep: the dry run found problems",
            ));
        }
        return Ok(());
    }
    session.engine.choose_keep(choice);
    let printer = Printer::start(session.engine.batch_control());
    let mut progress = printer.sink();
    let done = db::cancellable(&session, session.engine.up(&plan, opts, &mut progress)).await?;
    write_out(out, &applied_report(&done))
}

pub async fn resume(
    dir: &Path,
    target: &Target,
    version: &Version,
    reason: Option<&str>,
    in_doubt: Option<InDoubt>,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let plan = db::load_plan(dir)?;
    let session = db::connect(target).await?;
    db::warn_if_tampered(&session).await?;
    let printer = Printer::start(session.engine.batch_control());
    let mut progress = printer.sink();
    let done = db::cancellable(
        &session,
        session
            .engine
            .resume(&plan, version, reason, in_doubt, &mut progress),
    )
    .await?;
    write_out(out, &applied_report(&[done]))
}
