//! `pgstep plan`: the plan as read from the files, offline.

use std::io::Write;
use std::path::Path;

use super::exit;
use crate::plan::{self, json::PlanJson};
use crate::text::{self, Escaped};

pub fn run(dir: &Path, json: bool, out: &mut impl Write) -> u8 {
    let plan = match plan::load(dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            let errors = e.diagnostics.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "pgstep: {errors} error(s) in {}; nothing was run",
                text::path(dir)
            );
            return exit::INPUT;
        }
    };
    for w in &plan.warnings {
        eprintln!("{w}");
    }
    let written = if json {
        PlanJson::new(&plan)
            .map_err(std::io::Error::other)
            .and_then(|doc| serde_json::to_writer(&mut *out, &doc).map_err(std::io::Error::from))
            .and_then(|()| writeln!(out))
    } else {
        text(&plan, out)
    };
    match written {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("pgstep: cannot write output: {e}");
            1
        }
    }
}

fn text(plan: &plan::Plan, out: &mut impl Write) -> std::io::Result<()> {
    let layout = plan.layout.map_or("empty", |l| l.name());
    writeln!(
        out,
        "{}: {} migration(s), {layout} layout",
        text::path(&plan.dir),
        plan.migrations.len()
    )?;
    let vw = plan
        .migrations
        .iter()
        .map(|m| m.version.as_str().len())
        .max()
        .unwrap_or(0)
        .max(7);
    let nw = plan
        .migrations
        .iter()
        .map(|m| text::escape(&m.name).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40);
    writeln!(
        out,
        "{:vw$}  {:nw$}  {:11}  {:>5}  {:>5}  {:>6}  {:4}",
        "VERSION", "NAME", "TRANSACTION", "STMTS", "STEPS", "CHECKS", "DOWN"
    )?;
    for m in &plan.migrations {
        let down = match &m.down {
            Some(d) => d.count().to_string(),
            None => "none".to_string(),
        };
        let tx = m.up.transaction().word();
        writeln!(
            out,
            "{:vw$}  {:nw$}  {:11}  {:>5}  {:>5}  {:>6}  {:4}",
            m.version.as_str(),
            Escaped(&m.name),
            tx,
            m.up.count(),
            m.steps.len(),
            m.checks.len(),
            down
        )?;
    }
    Ok(())
}
