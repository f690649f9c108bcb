//! The command line: the console's scriptable twin. Both drive the same engine.

mod activity;
mod console;
mod db;
mod decide;
mod demo;
mod down;
mod fleet;
mod indexes;
mod lint;
mod log;
mod matviews;
mod plan;
mod progress;
mod status;
mod trash;
mod up;
mod verify;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::plan::Version;

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    /// Output could not be written, or the runtime failed.
    pub const INTERNAL: u8 = 1;
    /// Bad migrations, configuration or arguments; nothing was run.
    pub const INPUT: u8 = 2;
    /// The database could not be reached (or the connection was lost).
    pub const CONNECTION: u8 = 3;
    /// A phase, a rollback or a check failed.
    pub const FAILED: u8 = 4;
    /// Another operator holds the migration lock.
    pub const LOCKED: u8 = 5;
    /// The database's state needs a decision first (drifted, dirty, out of order).
    pub const REFUSED: u8 = 6;
    /// Cancelled by the operator (Ctrl-C, or a confirmation not given).
    pub const CANCELLED: u8 = 130;
}

#[derive(Debug, Parser)]
#[command(
    name = "pgstep",
    version,
    about = "Walk PostgreSQL schema migrations phase by phase"
)]
pub struct Cli {
    /// Migrations directory (default: the configuration's `dir`, else ./migrations).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Configuration file, read instead of the project's pgstep.toml.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Profile of the configuration to use.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Database URL (postgresql://...) or key=value conninfo; else DATABASE_URL, else the
    /// PG* environment, as libpq reads it.
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// Name of the history table (its event log is NAME_log; default schema_migrations).
    #[arg(long, global = true)]
    pub history_table: Option<String>,
    /// Schema of the history tables (default: the first schema on the search path).
    #[arg(long, global = true)]
    pub history_schema: Option<String>,
    /// The project's migration tool whose history to adopt and keep in step (sqlx, diesel,
    /// flyway, golang-migrate, dbmate, refinery), or none; found by itself when one tool's
    /// table is there.
    #[arg(long, global = true, value_name = "TOOL", value_parser = adopt_choice)]
    pub adopt: Option<crate::adopt::Choice>,
    /// Plain-ASCII state glyphs in the console.
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Open the Fleet view of the configuration's `[fleets.NAME]` instead of one database.
    #[arg(long, value_name = "NAME")]
    pub fleet: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MarkAs {
    Applied,
    Pending,
}

/// What the operator says of a statement in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatementWas {
    /// It took effect: go on after it.
    Done,
    /// It did not: run it again.
    Rerun,
}

impl StatementWas {
    fn in_doubt(self) -> crate::engine::InDoubt {
        match self {
            StatementWas::Done => crate::engine::InDoubt::Done,
            StatementWas::Rerun => crate::engine::InDoubt::Rerun,
        }
    }
}

fn adopt_choice(s: &str) -> Result<crate::adopt::Choice, String> {
    crate::adopt::Choice::parse(s)
        .ok_or_else(|| format!("`{s}` is not one of {}", crate::adopt::Choice::allowed()))
}

fn steps(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a number of phases (1 or more)")),
    }
}

fn older_than(s: &str) -> Result<std::time::Duration, String> {
    crate::plan::parse_duration(s)
        .map_err(|e| format!("`{s}` is not an age such as 7d or 12h: {e}"))
}

/// The operator's choice about keeping, from `--keep` and `--no-keep REASON`.
fn keep_choice(keep: bool, no_keep: &Option<String>) -> crate::engine::keeping::KeepChoice {
    use crate::engine::keeping::KeepChoice;
    match (keep, no_keep) {
        (_, Some(reason)) => KeepChoice::No {
            reason: reason.clone(),
        },
        (true, None) => KeepChoice::Anyway,
        (false, None) => KeepChoice::UpToMax,
    }
}

fn version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("`{s}` is not a version (digits separated by dots)"))
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// The user file, the project file candidates and the --config file, and which exist.
    Paths,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the console (the default when no command is given).
    Tui,
    /// Start (or reuse) a demo PostgreSQL with the seed's v1.0 recruitment database and open
    /// the console on it with the bundled plan.
    Demo {
        /// Remove the demo cluster and database and build them again.
        #[arg(long)]
        reset: bool,
        /// Stop the demo cluster.
        #[arg(long)]
        stop: bool,
        /// Only prepare the database and print its URL (last line), for psql or the CLI.
        #[arg(long)]
        no_tui: bool,
        /// Multiply the generated data.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        scale: u32,
    },
    /// Warn before a phase locks, rewrites or destroys: from the files, weighted by the live
    /// tables when a database is configured.
    Lint {
        #[arg(long)]
        json: bool,
        /// Only the files, even when a database is configured.
        #[arg(long)]
        offline: bool,
    },
    /// Show where configuration is read from.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Read the migrations directory and print the plan, without touching any database.
    Plan {
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show every phase's state: applied, pending, failed, dirty, drifted, missing, out-of-order.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Apply pending phases in order, each with its checks.
    Up {
        /// Stop after this version.
        #[arg(long, value_parser = version)]
        to: Option<Version>,
        /// Run the next phase in a transaction and roll it back, reporting what it did.
        #[arg(long)]
        dry_run: bool,
        /// Also apply pending phases older than the newest applied one.
        #[arg(long)]
        allow_out_of_order: bool,
        /// Do not ask (with a profile whose confirm is "typed").
        #[arg(long)]
        yes: bool,
        /// Keep what the phases remove even above trash_max.
        #[arg(long, conflicts_with = "no_keep")]
        keep: bool,
        /// Do not keep what the phases remove, for this reason (for the event log).
        #[arg(long, value_name = "REASON")]
        no_keep: Option<String>,
    },
    /// Roll back applied phases, newest first.
    Down {
        #[command(flatten)]
        args: down::DownArgs,
        /// A DOWN statement in flight when a rollback lost its session, that the database
        /// cannot show: `done` if it took effect, `rerun` to run it again (needs --reason).
        #[arg(long, value_enum)]
        statement: Option<StatementWas>,
        /// Keep what the phases remove even above trash_max.
        #[arg(long, conflicts_with = "no_keep")]
        keep: bool,
        /// Do not keep what the phases remove, for this reason (for the event log).
        #[arg(long, value_name = "REASON")]
        no_keep: Option<String>,
    },
    /// List what destructive statements removed and pgstep kept.
    Trash {
        #[arg(long)]
        json: bool,
    },
    /// Put kept copies back (a dropped table or column with its rows, a truncated table's
    /// rows), in one transaction.
    Restore {
        /// The ids `pgstep trash` lists.
        #[arg(required = true)]
        ids: Vec<i64>,
        /// Do not ask (required without a terminal).
        #[arg(long)]
        yes: bool,
        /// Why, for the event log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Drop kept copies for good.
    Purge {
        /// Only those kept longer ago than this (7d, 12h, 30min).
        #[arg(long, value_parser = older_than)]
        older_than: Option<std::time::Duration>,
        /// Do not ask (required without a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Run the checks of the applied phases (or of one) against the database as it is, read-only.
    Verify {
        #[arg(value_parser = version)]
        version: Option<Version>,
        #[arg(long)]
        json: bool,
    },
    /// Retry a dirty phase from the statement that failed.
    Resume {
        #[arg(value_parser = version)]
        version: Version,
        /// Why, for the event log.
        #[arg(long)]
        reason: Option<String>,
        /// A statement in flight when the phase lost its session, that the database cannot
        /// show: `done` if it took effect, `rerun` to run it again (needs --reason).
        #[arg(long, value_enum)]
        statement: Option<StatementWas>,
    },
    /// Record a decision about a dirty or failed phase: applied or pending.
    Mark {
        #[arg(value_parser = version)]
        version: Version,
        #[arg(value_enum)]
        state: MarkAs,
        /// Why, for the event log.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        yes: bool,
    },
    /// Record the file's new checksum for a drifted phase.
    Accept {
        #[arg(value_parser = version)]
        version: Version,
        /// Why, for the event log.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        yes: bool,
    },
    /// Show what changed in a drifted phase: the applied text against the file.
    Diff {
        #[arg(value_parser = version)]
        version: Version,
    },
    /// Lock waits (who blocks whom) and the progress of long statements; or cancel or
    /// terminate a session.
    Activity(activity::ActivityArgs),
    /// Index usage and health: unused, invalid, duplicate and covered indexes; drop or
    /// rebuild one.
    Indexes(indexes::IndexesArgs),
    /// Materialized views' freshness; refresh one or every stale one.
    Matviews(matviews::MatviewsArgs),
    /// One plan over many databases: `pgstep fleet NAME status|up|down|verify`.
    Fleet(fleet::FleetArgs),
    /// Show the event log, newest first.
    Log {
        #[arg(long)]
        json: bool,
        /// How many events.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i64).range(1..))]
        limit: i64,
    },
}

/// Reads the configuration for the command line `cli`.
fn configure(cli: &Cli) -> Result<crate::config::Config, String> {
    let opts = load_options(cli);
    let config = crate::config::Config::load(&opts).map_err(|e| e.to_string())?;
    crate::files::set_max_size(config.max_file_size);
    for w in config.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(config)
}

fn load_options(cli: &Cli) -> crate::config::LoadOptions {
    let mut opts = crate::config::LoadOptions::from_process();
    opts.config = cli.config.clone();
    opts.profile = cli.profile.clone();
    opts.dir = cli.dir.clone();
    opts.url_given = cli.url.is_some();
    opts.history_table = cli.history_table.clone();
    opts.history_schema = cli.history_schema.clone();
    opts.adopt = cli.adopt;
    opts
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::new(stdout);
    if let Some(Command::Config {
        command: ConfigCommand::Paths,
    }) = &cli.command
    {
        // Before loading, so it helps even when a file is broken.
        for (label, path, exists) in crate::config::paths(&load_options(&cli)) {
            let state = if exists { "found" } else { "absent" };
            let _ = writeln!(out, "{label}\t{}\t{state}", path.display());
        }
        let _ = out.flush();
        return ExitCode::SUCCESS;
    }
    let config = match configure(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(exit::INPUT);
        }
    };
    let target = db::Target {
        url: cli
            .url
            .clone()
            .or_else(|| config.connection().map(str::to_owned)),
        history_table: config.history_table.clone(),
        history_schema: config.history_schema.clone(),
        settings: config.engine_settings(),
        profile: config.profile().cloned(),
        adopt: config.adopt,
        history_named: config.history_named,
        dir: config.dir.clone(),
    };
    let dir = config.dir.as_path();
    if cli.fleet.is_some() && !matches!(cli.command, None | Some(Command::Tui)) {
        eprintln!(
            "pgstep: --fleet opens the Fleet view; for commands over a fleet use `pgstep fleet NAME status|up|down|verify`"
        );
        return ExitCode::from(exit::INPUT);
    }
    let code = match cli.command.as_ref().unwrap_or(&Command::Tui) {
        Command::Config { .. } => exit::OK,
        Command::Lint { json, offline } => {
            if lint::live(&target, *offline) {
                db::block_on(lint::run_live(dir, &target, &config, *json, &mut out))
            } else {
                lint::run_offline(dir, &config, *json, &mut out)
            }
        }
        Command::Demo {
            reset,
            stop,
            no_tui,
            scale,
        } => {
            let opts = demo::DemoOptions {
                reset: *reset,
                stop: *stop,
                no_tui: *no_tui,
                scale: *scale,
                ascii: cli.ascii,
            };
            db::block_on_threaded(demo::run(
                opts,
                cli.dir.as_deref(),
                &target,
                &config,
                &mut out,
            ))
        }
        Command::Tui => match &cli.fleet {
            Some(name) => {
                db::block_on_threaded(fleet::console(dir, &target, &config, name, cli.ascii))
            }
            None => db::block_on_threaded(console::run(dir, &target, &config, cli.ascii)),
        },
        Command::Plan { json } => plan::run(dir, *json, &mut out),
        Command::Status { json } => db::block_on(status::run(dir, &target, *json, &mut out)),
        Command::Up {
            to,
            dry_run,
            allow_out_of_order,
            yes,
            keep,
            no_keep,
        } => {
            let opts = crate::engine::UpOptions {
                to: to.clone(),
                allow_out_of_order: *allow_out_of_order,
                stop: None,
            };
            let choice = keep_choice(*keep, no_keep);
            db::block_on(up::run(
                dir,
                &target,
                &opts,
                (*dry_run, *yes, choice),
                &mut out,
            ))
        }
        Command::Down {
            args,
            statement,
            keep,
            no_keep,
        } => {
            let in_doubt = statement.map(StatementWas::in_doubt);
            let choice = keep_choice(*keep, no_keep);
            let run = async {
                let how = args.how()?;
                down::run(
                    dir,
                    &target,
                    &how,
                    (args.yes, choice),
                    args.reason.as_deref(),
                    in_doubt,
                    &mut out,
                )
                .await
            };
            db::block_on(run)
        }
        Command::Verify { version, json } => {
            db::block_on(verify::run(dir, &target, version.as_ref(), *json, &mut out))
        }
        Command::Resume {
            version,
            reason,
            statement,
        } => db::block_on(up::resume(
            dir,
            &target,
            version,
            reason.as_deref(),
            statement.map(StatementWas::in_doubt),
            &mut out,
        )),
        Command::Mark {
            version,
            state,
            reason,
            yes,
        } => db::block_on(decide::mark(
            dir,
            &target,
            version,
            *state == MarkAs::Applied,
            reason,
            *yes,
            &mut out,
        )),
        Command::Accept {
            version,
            reason,
            yes,
        } => db::block_on(decide::accept(
            dir, &target, version, reason, *yes, &mut out,
        )),
        Command::Diff { version } => db::block_on(decide::diff(dir, &target, version, &mut out)),
        Command::Activity(args) => db::block_on(activity::run(&target, args, &mut out)),
        Command::Fleet(args) => {
            db::block_on(fleet::run(dir, &target, &config, args, cli.ascii, &mut out))
        }
        Command::Log { json, limit } => db::block_on(log::run(&target, *json, *limit, &mut out)),
        Command::Indexes(args) => db::block_on(indexes::run(&target, args, &mut out)),
        Command::Matviews(args) => db::block_on(matviews::run(&target, args, &mut out)),
        Command::Trash { json } => db::block_on(trash::list(&target, *json, &mut out)),
        Command::Restore { ids, yes, reason } => db::block_on(trash::restore(
            &target,
            ids,
            *yes,
            reason.as_deref(),
            &mut out,
        )),
        Command::Purge { older_than, yes } => {
            db::block_on(trash::purge(&target, *older_than, *yes, &mut out))
        }
    };
    match out.flush() {
        Ok(()) => ExitCode::from(code),
        // A closed pipe (`pgstep plan | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(code),
        Err(e) => {
            eprintln!("pgstep: cannot write output: {e}");
            ExitCode::from(exit::INTERNAL)
        }
    }
}

/// Writes to stdout, turning a write failure into a command failure.
fn write_out(out: &mut impl Write, text: &str) -> Result<(), db::Fail> {
    match out.write_all(text.as_bytes()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(db::Fail::new(
            exit::INTERNAL,
            format!("pgstep: cannot write output: {e}"),
        )),
    }
}
