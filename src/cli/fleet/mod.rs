//! `pgstep fleet NAME status|up|down|verify`: one plan over every target of a fleet, in
//! waves, each target run exactly as `pgstep up` (or `down`, `verify`) runs on it alone.

mod jobs;
mod read;
mod view;

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use clap::{Args, Subcommand};

use super::db::{self, Fail, Target};
use super::{exit, write_out};
use crate::config::Config;
use crate::fleet::{self, Condition, Fleet, Identity, Limits, Matrix, Outcome, Schedule, Stop};
use crate::plan::{Plan, Version};
use crate::text::Escaped;
use jobs::{Action, Running};
pub use view::console;

#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The fleet's name: `[fleets.NAME]` in the configuration.
    pub name: String,
    #[command(subcommand)]
    pub command: FleetCommand,
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Every target's state per phase; exit 0 only when every target is at the plan's head.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Apply the plan on every target, canary first, then wave by wave.
    Up {
        /// Stop after this version on every target, as `pgstep up --to` does.
        #[arg(long, value_parser = super::version)]
        to: Option<Version>,
        /// Also apply pending phases older than the newest applied one.
        #[arg(long)]
        allow_out_of_order: bool,
        /// Run again the targets whose last attempt failed (after fixing the cause).
        #[arg(long)]
        retry_failed: bool,
        /// Do not ask for the fleet's name to be typed (required without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Roll back on every target, wave by wave.
    Down {
        #[command(flatten)]
        args: super::down::DownArgs,
    },
    /// Run the checks of the applied phases on every target, read-only.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

/// What every part of a fleet command shares.
pub struct Ctx<'a> {
    fleet: &'a Fleet,
    base: &'a Target,
    plan: &'a Plan,
    targets: Vec<Identity>,
    schedule: Schedule,
}

impl Ctx<'_> {
    /// The settings of `pgstep` pointed at target `i`: the same profile, history table and
    /// adoption as a single-database command.
    fn target_for(&self, i: usize) -> Target {
        Target {
            url: Some(self.targets[i].conninfo.clone()),
            ..self.base.clone()
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            parallel: self.fleet.parallel,
            per_server: self.fleet.per_server,
            max_failures: self.fleet.max_failures,
        }
    }
}

/// The fleet `name` of the configuration, or a failure listing those there are.
pub fn find<'a>(config: &'a Config, name: &str) -> Result<&'a Fleet, Fail> {
    config.fleets.get(name).ok_or_else(|| {
        let defined: Vec<&str> = config.fleets.keys().map(String::as_str).collect();
        let there = if defined.is_empty() {
            "no fleets are defined: add a [fleets.NAME] table to pgstep.toml".to_owned()
        } else {
            format!("the fleets are {}", defined.join(", "))
        };
        Fail::new(
            exit::INPUT,
            format!("pgstep: unknown fleet `{name}`: {there}"),
        )
    })
}

/// The fleet's targets, found and scheduled.
pub async fn targets(fleet: &Fleet) -> Result<(Vec<Identity>, Schedule), Fail> {
    let targets = fleet::target::targets(fleet)
        .await
        .map_err(|e| Fail::new(exit::INPUT, e.to_string()))?;
    let schedule = Schedule::new(targets.len(), fleet.canary, &fleet.waves);
    Ok((targets, schedule))
}

pub async fn run(
    dir: &Path,
    base: &Target,
    config: &Config,
    args: &FleetArgs,
    ascii: bool,
    out: &mut impl Write,
) -> Result<(), Fail> {
    let fleet = find(config, &args.name)?;
    let plan = db::load_plan(dir)?;
    let (targets, schedule) = targets(fleet).await?;
    let ctx = Ctx {
        fleet,
        base,
        plan: &plan,
        targets,
        schedule,
    };
    let (action, yes, json) = match &args.command {
        FleetCommand::Status { json } => return status(&ctx, *json, ascii, out).await,
        FleetCommand::Verify { json } => (Action::Verify, true, *json),
        FleetCommand::Up {
            to,
            allow_out_of_order,
            retry_failed,
            yes,
        } => {
            if let Some(to) = to {
                in_plan(&plan, to)?;
            }
            let action = Action::Up {
                to: to.clone(),
                allow_out_of_order: *allow_out_of_order,
                retry_failed: *retry_failed,
            };
            (action, *yes, false)
        }
        FleetCommand::Down { args } => {
            let how = args.how()?;
            let reason = args.reason.clone();
            (Action::Down { how, reason }, args.yes, false)
        }
    };
    let before = read::matrix(&ctx).await;
    if !matches!(action, Action::Verify) {
        let verb = match &action {
            Action::Up { to: Some(to), .. } => format!("apply the plan up to {to}"),
            Action::Up { to: None, .. } => "apply the plan".to_owned(),
            _ => "roll back".to_owned(),
        };
        // Said even with --yes, so a log of the run shows what it started from.
        let mut summary = read::layout(&ctx);
        summary.push_str(&read::differences(&before));
        eprint!("{}", crate::text::escape_lines(&summary));
        let question = format!(
            "About to {verb} on the {} target(s) of fleet {}, wave by wave.",
            ctx.targets.len(),
            fleet.name
        );
        db::confirm(&question, &fleet.name, yes)?;
    }
    let (outcomes, by_operator) = run_all(&ctx, &action).await;
    let text = report(&ctx, &outcomes, json);
    write_out(out, &text)?;
    verdict(&outcomes, by_operator)
}

/// Refuses a `--to` version the plan does not have before any target is reached, as
/// `pgstep up --to` refuses it.
fn in_plan(plan: &Plan, to: &Version) -> Result<(), Fail> {
    if plan.migrations.iter().any(|m| m.version == *to) {
        return Ok(());
    }
    Err(Fail::new(
        exit::INPUT,
        format!("pgstep: version {to} is not in the plan; nothing was run"),
    ))
}

/// Runs `action` on every target by the schedule; the first Ctrl-C (or SIGTERM) stops the
/// fleet after each target's current phase, the second cancels the running statements.
/// Says whether the operator stopped it.
async fn run_all(ctx: &Ctx<'_>, action: &Action) -> (Vec<Outcome>, bool) {
    let stop = Stop::default();
    let running = Running::default();
    let watcher = {
        let (stop, running) = (stop.clone(), running.clone());
        tokio::spawn(async move {
            db::shutdown_signal().await;
            stop.request();
            eprintln!(
                "\npgstep: stopping: no new target starts, targets in flight stop after their \
                 current phase; Ctrl-C again cancels their statements on the server"
            );
            db::shutdown_signal().await;
            running.cancel_all().await;
        })
    };
    let waves = ctx.schedule.waves.len();
    let outcomes = fleet::run::run(
        &ctx.targets,
        &ctx.schedule,
        ctx.limits(),
        &stop,
        |k, w| {
            let canary = if k == 0 && ctx.schedule.canary {
                " (canary)"
            } else {
                ""
            };
            eprintln!("wave {}/{waves}{canary}: {} target(s)", k + 1, w.len());
        },
        |i, stop| jobs::run_one(ctx, action, &running, i, stop),
    )
    .await;
    watcher.abort();
    let by_operator = stop.requested() && !outcomes.iter().any(Outcome::failed);
    (outcomes, by_operator)
}

fn outcome_word(o: &Outcome) -> String {
    match o {
        Outcome::Unchanged => "unchanged".into(),
        Outcome::Done { phases } => format!("done: {phases} phase(s)"),
        Outcome::Stopped { phases } => format!("stopped after {phases} phase(s)"),
        Outcome::Failed { phases, error } => {
            format!("FAILED after {phases} phase(s): {}", Escaped(error))
        }
        Outcome::NotStarted => "not started".into(),
        Outcome::Held { error } => format!("held: {}", Escaped(error)),
    }
}

#[derive(serde::Serialize)]
struct OutcomeJson<'a> {
    url: &'a str,
    server: &'a str,
    outcome: &'static str,
    phases: Option<usize>,
    error: Option<&'a str>,
}

fn report(ctx: &Ctx<'_>, outcomes: &[Outcome], json: bool) -> String {
    if json {
        let all: Vec<OutcomeJson<'_>> = outcomes
            .iter()
            .zip(&ctx.targets)
            .map(|(o, t)| {
                let (outcome, phases, error) = match o {
                    Outcome::Unchanged => ("unchanged", None, None),
                    Outcome::Done { phases } => ("done", Some(*phases), None),
                    Outcome::Stopped { phases } => ("stopped", Some(*phases), None),
                    Outcome::Failed { phases, error } => {
                        ("failed", Some(*phases), Some(error.as_str()))
                    }
                    Outcome::NotStarted => ("not-started", None, None),
                    Outcome::Held { error } => ("held", None, Some(error.as_str())),
                };
                OutcomeJson {
                    url: &t.url,
                    server: &t.server,
                    outcome,
                    phases,
                    error,
                }
            })
            .collect();
        return serde_json::to_string_pretty(&all).unwrap_or_default() + "\n";
    }
    let mut order: Vec<usize> = (0..outcomes.len()).collect();
    let rank = |o: &Outcome| match o {
        Outcome::Failed { .. } => 0,
        Outcome::Held { .. } => 1,
        Outcome::Stopped { .. } => 2,
        Outcome::NotStarted => 3,
        Outcome::Done { .. } => 4,
        Outcome::Unchanged => 5,
    };
    order.sort_by_key(|&i| (rank(&outcomes[i]), i));
    let mut s = String::new();
    for i in order {
        let _ = writeln!(
            s,
            "{}  {}",
            Escaped(&ctx.targets[i].url),
            outcome_word(&outcomes[i])
        );
    }
    s
}

/// Exit 0 when every target ended where the command takes it.
fn verdict(outcomes: &[Outcome], by_operator: bool) -> Result<(), Fail> {
    let left = outcomes
        .iter()
        .filter(|o| !matches!(o, Outcome::Unchanged | Outcome::Done { .. }))
        .count();
    if left == 0 {
        return Ok(());
    }
    let code = if by_operator {
        exit::CANCELLED
    } else {
        exit::FAILED
    };
    Err(Fail::new(
        code,
        format!(
            "pgstep: {left} target(s) did not finish; `pgstep fleet NAME status` shows where each stands, `up` again resumes"
        ),
    ))
}

async fn status(ctx: &Ctx<'_>, json: bool, ascii: bool, out: &mut impl Write) -> Result<(), Fail> {
    let m = read::matrix(ctx).await;
    let text = if json {
        read::json(&ctx.fleet.name, &m)
    } else {
        let mut s = read::layout(ctx);
        s.push_str(&read::differences(&m));
        s.push_str(&read::table(&m, ascii));
        s
    };
    write_out(out, &text)?;
    status_verdict(&m)
}

/// 0 when every target is at the plan's head; else the code of the worst target: 3 one is
/// unreachable, 6 one needs a decision (dirty, drifted, out of order), 4 one failed or is
/// behind.
fn status_verdict(m: &Matrix) -> Result<(), Fail> {
    if m.all_at_head() {
        return Ok(());
    }
    let worst = m.failures_first().first().map(|r| r.condition);
    let code = match worst {
        Some(Condition::Unreachable) => exit::CONNECTION,
        Some(Condition::Dirty | Condition::Drifted | Condition::OutOfOrder) => exit::REFUSED,
        _ => exit::FAILED,
    };
    let behind = m
        .rows
        .iter()
        .filter(|r| r.condition != Condition::AtHead)
        .count();
    Err(Fail::new(
        code,
        format!(
            "pgstep: {behind} of {} target(s) are not at the plan's head",
            m.rows.len()
        ),
    ))
}
