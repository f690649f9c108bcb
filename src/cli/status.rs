//! `pgstep status`: every phase's state, from the files and the history.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use super::db::{self, Fail, Target};
use super::write_out;
use crate::adopt::{Adopted, Tool};
use crate::engine::integrity::{self, Finding};
use crate::engine::{Holder, Phase};
use crate::phases::ToolGap;
use crate::plan::Checksum;
use crate::text::{self, Escaped};

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    /// The project's tool whose history pgstep adopted: tool, table, versions, newest.
    adopted: Option<&'a Adopted>,
    migrations: Vec<PhaseJson<'a>>,
    lock: Option<&'a Holder>,
    /// What is wrong with the event log; empty while it is intact.
    log_tampered: &'a [Finding],
}

#[derive(serde::Serialize)]
struct PhaseJson<'a> {
    version: &'a str,
    name: &'a str,
    state: &'static str,
    /// Whose record the state comes from: `pgstep` or the adopted tool's name.
    source: &'static str,
    /// pgstep applied it, the tool has since rolled it back itself.
    undone_by_tool: bool,
    /// pgstep applied it before it adopted the tool's table, which lacks it: applied, though
    /// the tool run now would run it again; the next `pgstep up` records it there.
    before_adoption: bool,
    /// A Flyway repeatable migration (`R__`): run after the versioned ones, again whenever
    /// its file changes.
    repeatable: bool,
    applied_at: Option<String>,
    execution_time_ms: Option<i64>,
    checksum: Option<&'a Checksum>,
    last_error: Option<&'a str>,
    drift: Option<String>,
    statements_done: Option<i32>,
    statements_total: Option<i32>,
    /// A statement sent when the session was lost, not known to have taken effect.
    in_flight: Option<i32>,
    down_done: Option<i32>,
    /// What the phase's statements removed that pgstep kept: id, kind, object, statement,
    /// rows, bytes.
    kept: &'a [crate::trash::KeptRecord],
}

fn json_of<'a>(p: &'a Phase<'_>) -> PhaseJson<'a> {
    PhaseJson {
        version: p.version.as_str(),
        name: &p.name,
        state: p.state.word(),
        source: p.source.word(),
        undone_by_tool: p.gap == Some(ToolGap::UndoneByTool),
        before_adoption: p.gap == Some(ToolGap::BeforeAdoption),
        repeatable: p.version.is_repeatable(),
        applied_at: p.applied_at().map(|t| t.to_rfc3339()),
        execution_time_ms: p.execution_time_ms(),
        checksum: p
            .migration
            .map(|m| &m.checksum)
            .or_else(|| p.row.and_then(|r| r.checksum.as_ref())),
        last_error: p.row.and_then(|r| r.error_message.as_deref()),
        drift: p.drift.as_ref().map(|d| d.describe()),
        statements_done: p.row.and_then(|r| r.statements_done),
        statements_total: p.row.and_then(|r| r.statements_total),
        in_flight: p.row.and_then(|r| r.in_flight),
        down_done: p.row.and_then(|r| r.down_done),
        kept: p.row.map_or(&[], |r| r.kept.as_slice()),
    }
}

/// Why pgstep's history says applied and the tool's table does not.
fn gap_line(gap: ToolGap, tool: Tool) -> String {
    match gap {
        ToolGap::UndoneByTool => format!("pgstep applied it; {tool} has rolled it back since"),
        ToolGap::BeforeAdoption => format!(
            "applied by pgstep before it adopted {tool}'s table; not in {tool}'s table, so \
             {tool} run now would run it again: `pgstep up` records it there"
        ),
    }
}

pub async fn run(
    dir: &Path,
    target: &Target,
    json: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let reading = db::PlanReader::start(dir);
    let live = async {
        let session = db::connect(target).await?;
        // Sent together on the one connection, the adopted tool's table too: the server
        // answers them back to back while the plan's files are read.
        let e = &session.engine;
        let (rows, holder, tampered, recorded) = tokio::try_join!(
            e.history(),
            e.lock_holder(),
            e.integrity(),
            e.tool_recorded()
        )?;
        Ok::<_, Fail>((session, rows, holder, tampered, recorded))
    }
    .await;
    let plan = reading.finish().await?;
    let (session, rows, holder, tampered, recorded) = live?;
    if !tampered.is_empty() {
        eprintln!("WARNING: {}", integrity::describe(&tampered));
    }
    let tool = session.engine.tool_history_of(recorded, &plan)?;
    let adopted = tool.as_ref().map(|t| t.adopted(&plan));
    let phases = crate::phases::merge(&plan, &rows, tool.as_ref());
    if json {
        let doc = StatusJson {
            adopted: adopted.as_ref(),
            migrations: phases.iter().map(json_of).collect(),
            lock: holder.as_ref(),
            log_tampered: &tampered,
        };
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} as {}, history in {}",
        session.params,
        session.params.user(),
        session.engine.tables().history_sql()
    );
    if let Some(a) = &adopted {
        let _ = writeln!(
            s,
            "adopted {}'s history from {}: {} version(s) applied, newest {}; pgstep keeps it \
             in step",
            a.tool,
            Escaped(&a.table),
            a.versions,
            Escaped(a.newest.as_deref().unwrap_or("none"))
        );
    }
    let vw = phases
        .iter()
        .map(|p| p.version.as_str().len())
        .max()
        .unwrap_or(0)
        .max(7);
    let nw = phases
        .iter()
        .map(|p| text::escape(&p.name).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 40);
    let _ = writeln!(
        s,
        "{:vw$}  {:12}  {:nw$}  {:19}  {:>9}  SOURCE",
        "VERSION", "STATE", "NAME", "APPLIED AT (UTC)", "TIME"
    );
    for p in &phases {
        let at = p
            .applied_at()
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        let time = p
            .execution_time_ms()
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "{:vw$}  {:12}  {:nw$}  {:19}  {:>9}  {}",
            p.version.as_str(),
            p.state.word(),
            Escaped(&p.name),
            at,
            time,
            p.source.word()
        );
        if let (Some(gap), Some(t)) = (p.gap, &tool) {
            let _ = writeln!(s, "{:vw$}  {}", "", gap_line(gap, t.tool));
        }
        if let Some(d) = &p.drift {
            let _ = writeln!(s, "{:vw$}  drift: {}", "", Escaped(&d.describe()));
        }
        if let Some(e) = p.row.and_then(|r| r.error_message.as_deref()) {
            let _ = writeln!(s, "{:vw$}  last error: {}", "", Escaped(e));
        }
        if let Some(k) = p.row.and_then(|r| r.in_flight) {
            let _ = writeln!(
                s,
                "{:vw$}  statement {k} was in flight when the session was lost: not known to \
                 have taken effect",
                ""
            );
        }
    }
    if !tampered.is_empty() {
        let _ = writeln!(s, "WARNING: {}", integrity::describe(&tampered));
    }
    match &holder {
        Some(h) => {
            let _ = writeln!(s, "migration lock: held by {}", Escaped(&h.to_string()));
        }
        None => {
            let _ = writeln!(s, "migration lock: free");
        }
    }
    write_out(out, &s)
}
