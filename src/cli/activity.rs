//! `pgstep activity`: who blocks whom and how far long statements are; `--cancel` and
//! `--terminate` stop a session after the operator confirms with its pid.

use std::fmt::Write as _;
use std::io::Write;

use super::db::{self, Fail, Session as Db, Target};
use super::{exit, write_out};
use crate::engine::batch::bytes_text;
use crate::engine::sessions::Signal;
use crate::monitor::activity::{self, Activity, head};
use crate::monitor::progress::{self, Gauge};
use crate::monitor::replication::{self, RunningPhase, Standby};
use crate::text::Escaped;

#[derive(Debug, Clone, clap::Args)]
pub struct ActivityArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Focus on this backend: the sessions blocking it, those queued behind it, and only its
    /// progress.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,
    /// Cancel the running statement of this backend (asks for the pid to be typed).
    #[arg(long, value_name = "PID", conflicts_with_all = ["terminate", "pid"])]
    pub cancel: Option<i32>,
    /// End this backend's session, rolling back its transaction (asks for the pid).
    #[arg(long, value_name = "PID", conflicts_with = "pid")]
    pub terminate: Option<i32>,
    /// Do not ask (required without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Why, for the event log.
    #[arg(long)]
    pub reason: Option<String>,
}

fn fail(e: activity::Error) -> Fail {
    let code = match &e {
        activity::Error::Db(err) if err.is_closed() => exit::CONNECTION,
        _ => exit::FAILED,
    };
    Fail::new(code, format!("pgstep: {e}"))
}

#[derive(serde::Serialize)]
struct ActivityJson<'a> {
    server_version_num: i32,
    #[serde(flatten)]
    activity: &'a Activity,
    progress: &'a [Gauge],
    standbys: &'a [Standby],
    running_phase: Option<&'a RunningPhase>,
}

pub async fn run(target: &Target, args: &ActivityArgs, out: &mut impl Write) -> Result<(), Fail> {
    let session = db::connect(target).await?;
    match (args.cancel, args.terminate) {
        (Some(pid), _) => signal(target, &session, pid, Signal::Cancel, args, out).await,
        (_, Some(pid)) => signal(target, &session, pid, Signal::Terminate, args, out).await,
        _ => show(&session, args, out).await,
    }
}

async fn show(session: &Db, args: &ActivityArgs, out: &mut impl Write) -> Result<(), Fail> {
    let client = session.engine.client();
    let version = progress::server_version_num(client).await.map_err(fail)?;
    let activity = activity::load(client, args.pid).await.map_err(fail)?;
    let gauges = progress::load(client, args.pid, version)
        .await
        .map_err(fail)?;
    let standbys = replication::standbys(client).await.map_err(fail)?;
    let phase = replication::running_phase(client, session.engine.tables())
        .await
        .map_err(fail)?;
    if args.json {
        let doc = ActivityJson {
            server_version_num: version,
            activity: &activity,
            progress: &gauges,
            standbys: &standbys,
            running_phase: phase.as_ref(),
        };
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    let mut s = text(&activity, &gauges);
    s.push_str(&replication_text(&standbys, phase.as_ref()));
    write_out(out, &s)
}

/// Each standby's lag, and the WAL the running phase has written so far.
pub fn replication_text(standbys: &[Standby], phase: Option<&RunningPhase>) -> String {
    let mut s = String::new();
    if standbys.is_empty() {
        s.push_str("standbys: none\n");
    }
    for st in standbys {
        let behind = st
            .lag_bytes
            .map_or("? (needs pg_monitor)".to_string(), |b| {
                bytes_text(b.max(0) as u64)
            });
        let replay = st.replay_lag_ms.map_or(String::new(), |ms| {
            format!(", replay lag {:.1}s", ms as f64 / 1000.0)
        });
        let _ = writeln!(
            s,
            "standby {} ({}, {}): {behind} behind{replay}",
            Escaped(&st.name),
            st.client_addr.as_deref().unwrap_or("local"),
            st.state.as_deref().unwrap_or("?"),
        );
    }
    if let Some(p) = phase {
        let wal = p
            .wal_bytes
            .map_or("?".to_string(), |b| bytes_text(b.max(0) as u64));
        let _ = write!(
            s,
            "phase {} {} is running: {wal} of WAL so far",
            p.version,
            Escaped(&p.name)
        );
        if let (Some(done), Some(rows)) = (p.batch_done, p.batch_rows) {
            let _ = write!(s, "; {done} batches done, {rows} rows");
            if let (Some(next), Some(last)) = (p.batch_next, p.batch_last) {
                let _ = write!(s, ", next key {next} of {last}");
            }
        }
        s.push('\n');
    }
    s
}

/// The report as text: lock waits, the focused backend, progress.
pub fn text(activity: &Activity, gauges: &[Gauge]) -> String {
    let mut s = String::new();
    let waiting = {
        let mut pids: Vec<i32> = activity.waits.iter().map(|w| w.waiting.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        pids.len()
    };
    if waiting == 0 {
        s.push_str("lock waits: none\n");
    } else {
        let _ = writeln!(s, "lock waits ({waiting} waiting):");
        for line in activity.lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
    if let Some(f) = &activity.focus {
        let _ = writeln!(
            s,
            "pid {}: {} blocking it, {} queued behind it",
            f.pid,
            f.blockers.len(),
            f.queued.len()
        );
        for b in &f.blockers {
            let _ = writeln!(s, "  blocked by {}", b.describe());
        }
        for q in &f.queued {
            let _ = writeln!(s, "  queued: {}", q.describe());
        }
    }
    if gauges.is_empty() {
        s.push_str("progress: nothing long running\n");
    } else {
        s.push_str("progress:\n");
        for g in gauges {
            let _ = writeln!(s, "  pid {} {}", g.pid, g.describe());
        }
    }
    s
}

async fn signal(
    target: &Target,
    session: &Db,
    pid: i32,
    signal: Signal,
    args: &ActivityArgs,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let verb = signal.verb();
    if target.settings.read_only || target.profile.as_ref().is_some_and(|p| p.read_only) {
        return Err(Fail::new(
            exit::REFUSED,
            format!("pgstep: this profile is read-only: refusing to {verb} pid {pid}"),
        ));
    }
    let client = session.engine.client();
    let Some(victim) = activity::session(client, pid).await.map_err(fail)? else {
        return Err(Fail::new(
            exit::INPUT,
            format!(
                "pgstep: no session with pid {pid} is connected to {}",
                session.params
            ),
        ));
    };
    let effect = match signal {
        Signal::Cancel => "its running statement fails; the session stays".to_string(),
        Signal::Terminate => match victim.xact_age_secs {
            Some(_) => "its session ends and its open transaction rolls back".to_string(),
            None => "its session ends".to_string(),
        },
    };
    let query = victim.query.as_deref().unwrap_or("(no query)");
    let question = format!(
        "About to {verb} {} on {}: {effect}.\n  query: {}",
        victim.describe(),
        session.params,
        head(query, 300)
    );
    db::confirm(&question, &pid.to_string(), args.yes)?;
    let done = session
        .engine
        .signal_backend(pid, signal, args.reason.as_deref())
        .await?;
    if args.json {
        let doc = serde_json::json!({ "action": verb, "session": done });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return write_out(out, &format!("{text}\n"));
    }
    let past = match signal {
        Signal::Cancel => "cancelled the statement of",
        Signal::Terminate => "terminated",
    };
    write_out(out, &format!("{past} {}\n", done.describe()))
}
