//! Reading every target's state into the status matrix, and printing it.

use std::fmt::Write as _;

use super::Ctx;
use crate::cli::db;
use crate::engine::{PhaseState, Tables};
use crate::fleet::glance::{self, Glance, Look, Named};
use crate::fleet::{Condition, Matrix, Row, run};
use crate::text::Escaped;

/// One target's phase states (one per version of the plan) and last error, read as
/// `pgstep status` reads them: by a glance where `look` allows one, else as the engine opens.
async fn read_one(ctx: &Ctx<'_>, look: Option<&Look>, i: usize) -> Row {
    let id = &ctx.targets[i];
    let mut row = Row {
        target: i,
        url: id.url.clone(),
        server: id.server.clone(),
        wave: ctx.schedule.wave_of(i).unwrap_or(0),
        states: vec![None; ctx.plan.migrations.len()],
        condition: Condition::Unreachable,
        error: None,
    };
    let read = async {
        let client = db::dial(&id.params).await?;
        if let Some(look) = look
            && let Glance::Plain(rows) = glance::read(&client, look).await
        {
            return Ok((rows, None));
        }
        let session = db::open_on(&ctx.target_for(i), id.params.clone(), client).await?;
        let rows = session.engine.history().await?;
        let tool = session.engine.tool_history(ctx.plan).await?;
        Ok::<_, db::Fail>((rows, tool))
    };
    let (rows, tool) = match read.await {
        Ok(found) => found,
        Err(fail) => {
            row.error = Some(fail.message);
            return row;
        }
    };
    let phases = crate::phases::merge(ctx.plan, &rows, tool.as_ref());
    for (slot, m) in row.states.iter_mut().zip(&ctx.plan.migrations) {
        *slot = phases
            .iter()
            .find(|p| p.version == m.version)
            .map(|p| p.state);
    }
    let all: Vec<PhaseState> = phases.iter().map(|p| p.state).collect();
    row.condition = Condition::of(&all);
    row.error = phases
        .iter()
        .filter(|p| p.state != PhaseState::Applied)
        .find_map(|p| p.row.and_then(|r| r.error_message.clone()));
    row
}

/// Every target's state, at most `read_per_server` sessions at once on one server.
pub async fn matrix(ctx: &Ctx<'_>) -> Matrix {
    let per_server = ctx.fleet.read_per_server;
    let base = ctx.base;
    let tables = Tables::named(base.history_schema.as_deref(), &base.history_table);
    let named = if base.history_named {
        Named::ByUser
    } else {
        Named::ByDefault
    };
    let look = Look::new(tables, named, base.adopt, &base.dir, &base.settings);
    let rows = run::each(&ctx.targets, per_server, |i| {
        read_one(ctx, look.as_ref(), i)
    })
    .await;
    Matrix {
        versions: ctx
            .plan
            .migrations
            .iter()
            .map(|m| m.version.to_string())
            .collect(),
        rows,
    }
}

/// How many targets on which servers, and the waves.
pub fn layout(ctx: &Ctx<'_>) -> String {
    let mut servers: Vec<(&str, usize)> = Vec::new();
    for t in &ctx.targets {
        match servers.iter_mut().find(|(s, _)| *s == t.server) {
            Some((_, n)) => *n += 1,
            None => servers.push((&t.server, 1)),
        }
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        "fleet {}: {} target(s) on {} server(s)",
        Escaped(&ctx.fleet.name),
        ctx.targets.len(),
        servers.len()
    );
    for (server, n) in servers {
        let _ = writeln!(s, "  {:40} {n} target(s)", Escaped(server));
    }
    let sizes: Vec<String> = ctx
        .schedule
        .waves
        .iter()
        .enumerate()
        .map(|(k, w)| {
            if k == 0 && ctx.schedule.canary {
                format!("canary {}", w.len())
            } else {
                w.len().to_string()
            }
        })
        .collect();
    let f = ctx.fleet;
    let _ = writeln!(
        s,
        "waves: {} (at most {} at once, {} per server; no new target after {} failure(s))",
        sizes.join(", then "),
        f.parallel,
        f.per_server,
        f.max_failures
    );
    s
}

/// The count of targets per condition, and every target unlike the rest.
pub fn differences(m: &Matrix) -> String {
    let mut s = String::new();
    let counts: Vec<String> = m
        .counts()
        .iter()
        .map(|(c, n)| format!("{n} {}", c.word()))
        .collect();
    let _ = writeln!(s, "now: {}", counts.join(", "));
    let odd = m.odd_ones();
    if !odd.is_empty() && odd.len() < m.rows.len() {
        s.push_str("targets whose state differs from the rest:\n");
        for r in odd {
            let _ = writeln!(
                s,
                "  {}  {}{}",
                Escaped(&r.url),
                r.condition.word(),
                error_tail(r)
            );
        }
    }
    s
}

fn error_tail(r: &Row) -> String {
    r.error
        .as_ref()
        .map(|e| format!(": {}", Escaped(e)))
        .unwrap_or_default()
}

/// The matrix as text: failures first, a glyph per phase.
pub fn table(m: &Matrix, ascii: bool) -> String {
    let uw = m
        .rows
        .iter()
        .map(|r| r.url.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = String::new();
    let versions: Vec<&str> = m.versions.iter().map(String::as_str).collect();
    let _ = writeln!(s, "{:uw$}  WAVE  {}  STATE", "TARGET", versions.join(" "));
    for r in m.failures_first() {
        let cells: Vec<String> = r
            .states
            .iter()
            .zip(&m.versions)
            .map(|(st, v)| {
                let g = st.map_or("-", |st| crate::tui::theme::glyph(st, ascii));
                format!("{g:^w$}", w = v.chars().count())
            })
            .collect();
        let _ = writeln!(
            s,
            "{:uw$}  {:>4}  {}  {}{}",
            Escaped(&r.url),
            r.wave + 1,
            cells.join(" "),
            r.condition.word(),
            error_tail(r)
        );
    }
    s
}

#[derive(serde::Serialize)]
struct StatusJson<'a> {
    fleet: &'a str,
    head: Option<&'a str>,
    all_at_head: bool,
    targets: Vec<TargetJson<'a>>,
}

#[derive(serde::Serialize)]
struct TargetJson<'a> {
    url: &'a str,
    server: &'a str,
    /// 1 for the first wave (the canary, when there is one).
    wave: usize,
    condition: Condition,
    phases: Vec<PhaseJson<'a>>,
    last_error: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct PhaseJson<'a> {
    version: &'a str,
    state: Option<PhaseState>,
}

/// The matrix as JSON, in target order.
pub fn json(fleet: &str, m: &Matrix) -> String {
    let doc = StatusJson {
        fleet,
        head: m.versions.last().map(String::as_str),
        all_at_head: m.all_at_head(),
        targets: m
            .rows
            .iter()
            .map(|r| TargetJson {
                url: &r.url,
                server: &r.server,
                wave: r.wave + 1,
                condition: r.condition,
                phases: r
                    .states
                    .iter()
                    .zip(&m.versions)
                    .map(|(st, v)| PhaseJson {
                        version: v,
                        state: *st,
                    })
                    .collect(),
                last_error: r.error.as_deref(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
