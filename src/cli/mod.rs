//! The command line: the console's scriptable twin.

mod plan;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes, documented in the README.
pub mod exit {
    pub const OK: u8 = 0;
    /// Bad migrations, configuration or arguments.
    pub const INPUT: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "pgstep",
    version,
    about = "Walk PostgreSQL schema migrations phase by phase"
)]
pub struct Cli {
    /// Migrations directory.
    #[arg(long, global = true, default_value = "migrations")]
    pub dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the migrations directory and print the plan, without touching any database.
    Plan {
        /// Print the plan as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout().lock();
    let mut out = std::io::BufWriter::new(stdout);
    let code = match &cli.command {
        Command::Plan { json } => plan::run(&cli.dir, *json, &mut out),
    };
    match out.flush() {
        Ok(()) => ExitCode::from(code),
        // A closed pipe (`pgstep plan | head`) is the reader's choice, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(code),
        Err(e) => {
            eprintln!("pgstep: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}
