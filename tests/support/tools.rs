//! The real migration tools pgstep adopts, run as a project runs them: sqlx-cli, dbmate,
//! refinery_cli and diesel_cli. A tool that is not installed fails the test with the command
//! that installs it (CI's `.ci/run` installs them).

use std::path::Path;
use std::process::{Command, Stdio};

use super::migrations::Run;

/// A tool's binary and how to install it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub bin: &'static str,
    pub install: &'static str,
}

pub const SQLX: Tool = Tool {
    bin: "sqlx",
    install: "cargo install sqlx-cli --no-default-features --features rustls,postgres",
};
pub const DBMATE: Tool = Tool {
    bin: "dbmate",
    install: "npm install -g dbmate",
};
pub const REFINERY: Tool = Tool {
    bin: "refinery",
    install: "cargo install refinery_cli --no-default-features --features postgresql",
};
pub const DIESEL: Tool = Tool {
    bin: "diesel",
    install: "cargo install diesel_cli --no-default-features --features postgres",
};

/// `url` as the tools take it: every one of them connects without TLS to the test server.
pub fn tool_url(url: &str) -> String {
    format!("{url}?sslmode=disable")
}

impl Tool {
    /// Runs the tool with `args` in `cwd`, `DATABASE_URL` set to `url`.
    pub fn run(self, cwd: &Path, url: &str, args: &[&str]) -> Run {
        let child = Command::new(self.bin)
            .args(args)
            .current_dir(cwd)
            .env("DATABASE_URL", tool_url(url))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} is needed for this test and could not be started ({e}); install it \
                     with: {}",
                    self.bin, self.install
                )
            });
        super::migrations::finish(child)
    }
}
