//! `pgstep matviews`: every materialized view with its freshness; refresh one, or every stale
//! one, after the operator confirms.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use super::db::{self, Fail, Session, Target};
use super::indexes::db_fail;
use super::write_out;
use crate::engine::history::Presence;
use crate::monitor::indexes::{pretty_size, server_version_num};
use crate::monitor::matviews::{self, MatviewInfo, MatviewReport};

#[derive(Debug, Clone, clap::Args)]
pub struct MatviewsArgs {
    /// Print the report as JSON.
    #[arg(long, conflicts_with_all = ["refresh", "refresh_stale"])]
    pub json: bool,
    /// Refresh this materialized view (CONCURRENTLY when it can).
    #[arg(long, value_name = "NAME", conflicts_with = "refresh_stale")]
    pub refresh: Option<String>,
    /// Refresh every unpopulated view, and every one written to since pgstep's last refresh
    /// of it or never refreshed by pgstep.
    #[arg(long)]
    pub refresh_stale: bool,
    /// Do not ask (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Why, for the event log.
    #[arg(long)]
    pub reason: Option<String>,
}

pub async fn run(target: &Target, args: &MatviewsArgs, out: &mut impl Write) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let engine = &session.engine;
    let client = engine.client();
    let version = server_version_num(client).await.map_err(db_fail)?;
    let log = match engine.tables().presence(client).await? {
        Presence::Ours => Some(engine.tables().log_sql()),
        Presence::Missing => None,
    };
    let report = matviews::load(client, version, log.as_deref())
        .await
        .map_err(db_fail)?;
    if let Some(name) = &args.refresh {
        let oid: Option<u32> = client
            .query_one("SELECT to_regclass($1)::oid", &[name])
            .await
            .map_err(db_fail)?
            .get(0);
        let Some(m) = report.matviews.iter().find(|m| Some(m.oid) == oid) else {
            return Err(Fail::new(
                super::exit::INPUT,
                format!("pgstep: no materialized view named {name}"),
            ));
        };
        let q = format!("About to refresh on {}:\n{}", session.params, plan_line(m));
        db::confirm(&q, &m.name, args.yes)?;
        return refresh(&session, &[m], args, out).await;
    }
    if args.refresh_stale {
        let stale: Vec<&MatviewInfo> = report.matviews.iter().filter(|m| m.is_stale()).collect();
        if stale.is_empty() {
            return write_out(out, "no materialized view is stale\n");
        }
        let mut q = format!(
            "About to refresh {} materialized view(s) on {}, one at a time:\n",
            stale.len(),
            session.params
        );
        for m in &stale {
            q.push_str(&plan_line(m));
        }
        db::confirm(&q, "refresh", args.yes)?;
        return refresh(&session, &stale, args, out).await;
    }
    if args.json {
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    write_out(out, &table(&report))
}

fn writes(m: &MatviewInfo) -> String {
    m.writes_since_refresh
        .map_or("unknown".into(), |n| n.to_string())
}

/// One line of a confirmation: how it will be refreshed, and why it is stale.
fn plan_line(m: &MatviewInfo) -> String {
    let how = if m.populated && m.concurrent_refresh {
        "CONCURRENTLY (readers continue)".to_string()
    } else if m.populated {
        "without CONCURRENTLY: no usable unique index, readers wait (ACCESS EXCLUSIVE)".into()
    } else {
        "without CONCURRENTLY: not populated yet".into()
    };
    format!(
        "  {} ({}), {}; writes since pgstep's last refresh: {}\n",
        m.qualified(),
        pretty_size(m.size_bytes),
        how,
        writes(m)
    )
}

/// Refreshes each in turn, showing the elapsed time while it runs; stops at the first error.
async fn refresh(
    session: &Session,
    list: &[&MatviewInfo],
    args: &MatviewsArgs,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let mut s = String::new();
    for m in list {
        let name = m.qualified();
        let ticker = tokio::spawn(tick(name.clone()));
        let result = db::cancellable(
            session,
            session
                .engine
                .refresh_matview(&name, true, args.reason.as_deref()),
        )
        .await;
        ticker.abort();
        if std::io::stderr().is_terminal() {
            eprintln!();
        }
        let done = result?;
        let _ = writeln!(
            s,
            "refreshed {}{} in {} ms",
            done.target,
            if done.concurrently {
                " concurrently"
            } else {
                ""
            },
            done.millis
        );
    }
    write_out(out, &s)
}

/// Elapsed time on stderr: rewritten every second on a terminal, a line every 10 s in logs.
async fn tick(name: String) {
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let every = Duration::from_secs(if tty { 1 } else { 10 });
    eprint!("refreshing {name}...");
    if !tty {
        eprintln!();
    }
    loop {
        tokio::time::sleep(every).await;
        let secs = started.elapsed().as_secs();
        if tty {
            eprint!("\rrefreshing {name}... {secs}s");
        } else {
            eprintln!("refreshing {name}... {secs}s");
        }
    }
}

fn table(report: &MatviewReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", report.stats_since.describe());
    let nw = report
        .matviews
        .iter()
        .map(|m| m.schema.len() + m.name.len() + 1)
        .max()
        .unwrap_or(0)
        .clamp(17, 50);
    let _ = writeln!(
        s,
        "{:nw$}  {:>10}  {:9}  {:10}  {:24}  {:>12}  BASE TABLES",
        "MATERIALIZED VIEW",
        "SIZE",
        "POPULATED",
        "CONCURRENT",
        "LAST REFRESH (UTC)",
        "WRITES SINCE"
    );
    for m in &report.matviews {
        let last = m.last_refresh.map_or("unknown".into(), |t| {
            format!(
                "{}{}",
                t.format("%Y-%m-%d %H:%M:%S"),
                if m.rewritten_since_refresh { " +" } else { "" }
            )
        });
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut base = m
            .base_tables
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if m.base_tables.len() > 3 {
            let _ = write!(base, " +{} more", m.base_tables.len() - 3);
        }
        let _ = writeln!(
            s,
            "{:nw$}  {:>10}  {:9}  {:10}  {:24}  {:>12}  {}",
            m.qualified(),
            pretty_size(m.size_bytes),
            yes_no(m.populated),
            yes_no(m.concurrent_refresh),
            last,
            writes(m),
            if base.is_empty() { "-".into() } else { base }
        );
    }
    let stale = report.matviews.iter().filter(|m| m.is_stale()).count();
    let _ = writeln!(
        s,
        "{} materialized view(s), {stale} stale or of unknown freshness",
        report.matviews.len()
    );
    if report.matviews.iter().any(|m| m.rewritten_since_refresh) {
        let _ = writeln!(
            s,
            "+ rewritten since pgstep's refresh (a refresh elsewhere, VACUUM FULL or CLUSTER)"
        );
    }
    s
}
