//! `pgstep indexes`: every index with its size, use and verdicts; drop or rebuild one after
//! the operator confirms.

use std::fmt::Write as _;
use std::io::Write;

use clap::ValueEnum;

use super::db::{self, Fail, Session, Target};
use super::{exit, write_out};
use crate::monitor::indexes::{self, IndexInfo, IndexReport, SortKey, Verdict, pretty_size};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexSort {
    Size,
    Scans,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IndexVerdict {
    Unused,
    Invalid,
    Duplicate,
    Covered,
}

#[derive(Debug, Clone, clap::Args)]
pub struct IndexesArgs {
    /// Print the report as JSON.
    #[arg(long, conflicts_with_all = ["drop", "reindex"])]
    pub json: bool,
    /// Order: largest first, fewest scans first, or by name.
    #[arg(long, value_enum, default_value_t = IndexSort::Size)]
    pub sort: IndexSort,
    /// Only the indexes of this table (`name` or `schema.name`).
    #[arg(long)]
    pub table: Option<String>,
    /// Only the indexes with this verdict.
    #[arg(long, value_enum)]
    pub verdict: Option<IndexVerdict>,
    /// DROP INDEX CONCURRENTLY an unused, invalid, duplicate or covered index.
    #[arg(long, value_name = "INDEX", conflicts_with = "reindex")]
    pub drop: Option<String>,
    /// REINDEX INDEX CONCURRENTLY an invalid index.
    #[arg(long, value_name = "INDEX")]
    pub reindex: Option<String>,
    /// Do not ask (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Why, for the event log.
    #[arg(long)]
    pub reason: Option<String>,
}

pub async fn run(target: &Target, args: &IndexesArgs, out: &mut impl Write) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    let client = session.engine.client();
    let version = indexes::server_version_num(client).await.map_err(db_fail)?;
    if let Some(name) = &args.drop {
        return act(&session, version, name, true, args, out).await;
    }
    if let Some(name) = &args.reindex {
        return act(&session, version, name, false, args, out).await;
    }
    let mut report = indexes::load(client, version).await.map_err(db_fail)?;
    report.sort_by(match args.sort {
        IndexSort::Size => SortKey::Size,
        IndexSort::Scans => SortKey::Scans,
        IndexSort::Name => SortKey::Name,
    });
    let verdict = args.verdict.map(|v| match v {
        IndexVerdict::Unused => Verdict::Unused,
        IndexVerdict::Invalid => Verdict::Invalid,
        IndexVerdict::Duplicate => Verdict::Duplicate,
        IndexVerdict::Covered => Verdict::Covered,
    });
    let shown: Vec<IndexInfo> = report
        .filter(args.table.as_deref(), verdict)
        .into_iter()
        .cloned()
        .collect();
    if args.json {
        let doc = IndexReport {
            indexes: shown,
            ..report
        };
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    write_out(out, &table(&report, &shown, version >= 160000))
}

pub(super) fn db_fail(e: tokio_postgres::Error) -> Fail {
    Fail::from(crate::engine::EngineError::Db(e))
}

fn flags(i: &IndexInfo) -> String {
    let mut f = Vec::new();
    if i.primary {
        f.push("pk");
    } else if i.unique {
        f.push("uq");
    }
    if i.exclusion {
        f.push("excl");
    }
    if i.constraint.is_some() && !i.primary {
        f.push("con");
    }
    if i.partitioned {
        f.push("part");
    }
    if f.is_empty() {
        "-".into()
    } else {
        f.join(",")
    }
}

fn num(n: Option<i64>) -> String {
    n.map_or("-".into(), |n| n.to_string())
}

/// The aligned table, with the statistics window on top and a summary below.
fn table(report: &IndexReport, shown: &[IndexInfo], last_scan: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", report.stats_since.describe());
    let tw = shown
        .iter()
        .map(|i| i.schema.len() + i.table.len() + 1)
        .max()
        .unwrap_or(0)
        .clamp(5, 40);
    let iw = shown
        .iter()
        .map(|i| i.index.len())
        .max()
        .unwrap_or(0)
        .clamp(5, 50);
    let _ = write!(
        s,
        "{:tw$}  {:iw$}  {:>10}  {:>10}  {:>10}  {:>10}",
        "TABLE", "INDEX", "SIZE", "SCANS", "TUP READ", "TUP FETCH"
    );
    if last_scan {
        let _ = write!(s, "  {:16}", "LAST SCAN (UTC)");
    }
    let _ = writeln!(s, "  {:8}  VERDICT", "FLAGS");
    for i in shown {
        let _ = write!(
            s,
            "{:tw$}  {:iw$}  {:>10}  {:>10}  {:>10}  {:>10}",
            format!("{}.{}", i.schema, i.table),
            i.index,
            pretty_size(i.size_bytes),
            num(i.scans),
            num(i.tuples_read),
            num(i.tuples_fetched)
        );
        if last_scan {
            let at = i
                .last_scan
                .map_or("never".into(), |t| t.format("%Y-%m-%d %H:%M").to_string());
            let _ = write!(s, "  {at:16}");
        }
        let _ = writeln!(s, "  {:8}  {}", flags(i), i.verdict_text());
        for w in &i.warnings {
            let _ = writeln!(s, "{:tw$}  ! {w}", "");
        }
    }
    let count = |v: Verdict| report.indexes.iter().filter(|i| i.has(v)).count();
    let unused_bytes: i64 = report
        .indexes
        .iter()
        .filter(|i| i.unused)
        .filter_map(|i| i.size_bytes)
        .sum();
    let _ = writeln!(
        s,
        "{} of {} indexes shown; {} unused ({}), {} invalid, {} duplicate, {} covered",
        shown.len(),
        report.indexes.len(),
        count(Verdict::Unused),
        pretty_size(Some(unused_bytes)),
        count(Verdict::Invalid),
        count(Verdict::Duplicate),
        count(Verdict::Covered)
    );
    s
}

/// Drops (`drop`) or rebuilds one index after the operator types its name.
async fn act(
    session: &Session,
    version: i32,
    name: &str,
    drop: bool,
    args: &IndexesArgs,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let engine = &session.engine;
    let oid: Option<u32> = engine
        .client()
        .query_one("SELECT to_regclass($1)::oid", &[&name])
        .await
        .map_err(db_fail)?
        .get(0);
    let found = match oid {
        Some(oid) => indexes::find(engine.client(), version, oid)
            .await
            .map_err(db_fail)?,
        None => None,
    };
    let Some((info, since)) = found else {
        return Err(Fail::new(
            exit::INPUT,
            format!("pgstep: no index named {name}"),
        ));
    };
    // The engine refuses these itself, with the reason; no need to ask first.
    let refused = if drop {
        info.enforces_something() || info.verdict_text().is_empty() || info.building
    } else {
        !info.invalid || info.reindex_leftover
    };
    let reason = args.reason.as_deref();
    if !refused {
        let mut q = format!(
            "About to {} on {}:\n  {}\n  table {}.{}, {}, {} scans ({})\n  verdict: {}\n",
            if drop {
                "DROP INDEX CONCURRENTLY"
            } else {
                "REINDEX INDEX CONCURRENTLY"
            },
            session.params,
            info.definition
                .as_deref()
                .unwrap_or("(definition unavailable: the table is locked)"),
            info.schema,
            info.table,
            pretty_size(info.size_bytes),
            num(info.scans),
            since.describe(),
            info.verdict_text()
        );
        for w in &info.warnings {
            let _ = writeln!(q, "  warning: {w}");
        }
        db::confirm(&q, &info.index, args.yes)?;
    }
    let work = async {
        if drop {
            engine.drop_index(&info.qualified(), reason).await
        } else {
            engine.reindex(&info.qualified(), reason).await
        }
    };
    let done = db::cancellable(session, work).await.map_err(|mut f| {
        if !refused {
            f.message.push_str(&format!(
                "\nhint: an interrupted concurrent {} can leave an invalid index behind; \
                 `pgstep indexes --verdict invalid` lists it",
                if drop { "drop" } else { "rebuild" }
            ));
        }
        f
    })?;
    let verb = if drop { "dropped" } else { "rebuilt" };
    write_out(
        out,
        &format!(
            "{verb} {} concurrently in {} ms\n",
            done.target, done.millis
        ),
    )
}
