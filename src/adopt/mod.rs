//! Which tool migrated this database, what it records, and writing its record exactly as it
//! does: sqlx, Diesel, Flyway, golang-migrate, dbmate and refinery each keep a table of what
//! ran, and the application often runs that tool again at start-up. pgstep reads the tool's
//! table as the truth of what is applied and writes to it as the tool would, so the tool, run
//! afterwards, finds nothing to do and nothing to complain about.

mod checksum;
mod create;
mod dbmate;
mod detect;
mod diesel;
mod flyway;
mod golang;
mod in_step;
mod refinery;
mod sqlx;

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::plan::{Migration, Plan, Version};
use crate::sql::quote_ident;

pub use create::to_create;
pub use detect::{Choice, Places, detect, places};
pub use in_step::InStep;

/// A migration tool whose history pgstep can adopt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    Sqlx,
    Diesel,
    Flyway,
    GolangMigrate,
    Dbmate,
    Refinery,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::Sqlx,
        Tool::Diesel,
        Tool::Flyway,
        Tool::GolangMigrate,
        Tool::Dbmate,
        Tool::Refinery,
    ];

    /// The name the command line, the configuration and the output use.
    pub fn word(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Flyway => "flyway",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Refinery => "refinery",
        }
    }

    pub fn parse(s: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|t| t.word() == s)
    }

    /// Whether the tool keeps a checksum of each file, so a changed file is drift.
    pub fn has_checksums(self) -> bool {
        matches!(self, Tool::Sqlx | Tool::Flyway | Tool::Refinery)
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

/// One row of a tool's table, as the tool recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRow {
    /// The version as the tool stores it.
    pub version: String,
    /// The tool's description or name, where it keeps one.
    pub name: Option<String>,
    pub applied_at: Option<DateTime<Utc>>,
    /// The checksum as text, in the form [`checksum::of`] gives, where the tool keeps one.
    pub checksum: Option<String>,
    /// False where the tool says the migration stopped part-way (golang-migrate's `dirty`,
    /// a failed row of sqlx or Flyway).
    pub success: bool,
    pub execution_time_ms: Option<i64>,
}

/// What a tool's table says is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// One row per applied migration.
    Rows(Vec<ToolRow>),
    /// golang-migrate's single row: every version up to it is applied; `success` false is
    /// its `dirty`. `None`: the table is empty.
    UpTo(Option<ToolRow>),
    /// Flyway's rows after a `BASELINE` row: every version up to the baseline's counts as
    /// applied, as Flyway never runs one below it.
    Baselined {
        baseline: ToolRow,
        rows: Vec<ToolRow>,
    },
}

impl Recorded {
    /// The tool's rows of single migrations.
    pub fn rows(&self) -> &[ToolRow] {
        match self {
            Recorded::Rows(rows) | Recorded::Baselined { rows, .. } => rows,
            Recorded::UpTo(_) => &[],
        }
    }

    /// The row every version up to which is applied: golang-migrate's one row, Flyway's
    /// baseline.
    pub fn floor(&self) -> Option<&ToolRow> {
        match self {
            Recorded::UpTo(row) => row.as_ref(),
            Recorded::Baselined { baseline, .. } => Some(baseline),
            Recorded::Rows(_) => None,
        }
    }
}

/// A tool's history as read, with the checksums the tool would compute for the files now.
#[derive(Debug, Clone)]
pub struct ToolHistory {
    pub tool: Tool,
    /// The tool's table, schema-qualified and quoted.
    pub table: String,
    pub recorded: Recorded,
    /// Per plan version, the checksum the tool computes for its file today.
    pub checksums: HashMap<Version, String>,
    /// Since when pgstep has written the table, from its own log.
    pub in_step: InStep,
}

/// What pgstep adopted on this database: the console shows it before the first change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Adopted {
    pub tool: Tool,
    /// The tool's table, schema-qualified.
    pub table: String,
    /// How many versions the tool records as applied.
    pub versions: usize,
    /// The newest of them.
    pub newest: Option<String>,
}

impl ToolHistory {
    /// Flyway's baseline, when `v` is at or below it and Flyway has no row of its own for
    /// it: Flyway will never run it again, so it must not be rolled back.
    pub fn below_baseline(&self, plan: &Plan, v: &Version) -> Option<&str> {
        let Recorded::Baselined { baseline, rows } = &self.recorded else {
            return None;
        };
        let b = plan.recorded_version(&baseline.version)?;
        let own = rows
            .iter()
            .any(|r| plan.recorded_version(&r.version).as_ref() == Some(v));
        (*v <= b && !own).then_some(baseline.version.as_str())
    }

    /// The summary of what was read; golang-migrate's count is of `plan`'s versions up to
    /// its one row.
    pub fn adopted(&self, plan: &Plan) -> Adopted {
        let (versions, newest) = match &self.recorded {
            Recorded::Rows(rows) | Recorded::Baselined { rows, .. } => {
                let below = self.recorded.floor().and_then(|b| {
                    let v = plan.recorded_version(&b.version)?;
                    Some((v, &b.version))
                });
                let newest = rows
                    .iter()
                    .filter_map(|r| plan.recorded_version(&r.version).map(|v| (v, &r.version)))
                    .chain(below.clone())
                    .max_by(|a, b| a.0.cmp(&b.0))
                    .map(|(_, text)| text.clone());
                let under = below.map_or(0, |(b, _)| {
                    plan.migrations.iter().filter(|m| m.version <= b).count()
                });
                (rows.len() + under, newest)
            }
            Recorded::UpTo(None) => (0, None),
            Recorded::UpTo(Some(r)) => {
                let upto = plan.recorded_version(&r.version);
                let n = plan
                    .migrations
                    .iter()
                    .filter(|m| upto.as_ref().is_some_and(|u| m.version <= *u))
                    .count();
                (n.max(1), Some(r.version.clone()))
            }
        };
        Adopted {
            tool: self.tool,
            table: self.table.clone(),
            versions,
            newest,
        }
    }
}

/// Why a tool's history could not be adopted. Everything but `Db` is the operator's to fix,
/// before anything runs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error reading the migration tool's table: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error(
        "found the history tables of {}: pgstep will not guess which one this project uses. \
         Say it with --adopt TOOL (or `adopt = \"TOOL\"` in pgstep.toml), one of {}; \
         `adopt = \"none\"` keeps pgstep's own history only",
        .0.iter().map(|(t, table)| format!("{t} ({table})")).collect::<Vec<_>>().join(" and "),
        Choice::allowed()
    )]
    Several(Vec<(Tool, String)>),
    #[error(
        "--adopt {tool}: no {tool} history table in {looked}, and pgstep creates a tool's \
         table only on a database without its own tables. Run {tool} once to create it, or \
         drop the option (or set `adopt = \"none\"`)"
    )]
    NotFound { tool: Tool, looked: String },
    #[error("{file}:1: {message} (as {tool} reads it); rename the file as {tool} names them")]
    Name {
        file: String,
        tool: Tool,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: String, message: String },
}

/// A tool's table found in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub tool: Tool,
    pub schema: String,
    pub name: String,
    /// refinery's version column is `int8` (its `int8-versions` feature): versions hash as
    /// `i64`.
    pub wide_version: bool,
    /// sqlx's `[migrate] ignored-chars`: left out of its checksum.
    pub ignored_chars: Vec<char>,
    /// The migrations directory: Flyway's `script` is a file's path under it.
    pub dir: PathBuf,
    /// The table is not there: pgstep makes it with its own tables, as the tool would.
    pub create: bool,
}

/// How long a phase took, for the tools that record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elapsed {
    /// Measured by the server from the start of the transaction the write is in.
    Transaction,
    /// Measured by pgstep, for a phase that ran outside one transaction.
    Took(std::time::Duration),
}

impl Elapsed {
    /// The time in units of `1 / per_second` of a second, as SQL.
    fn sql(self, per_second: u64) -> String {
        match self {
            Elapsed::Transaction => format!(
                "({per_second}::numeric * extract(epoch FROM clock_timestamp() - now()))::int8"
            ),
            Elapsed::Took(d) => (d.as_nanos() * u128::from(per_second) / 1_000_000_000).to_string(),
        }
    }
}

/// A migration as its tool names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The version as the tool stores it (Flyway: empty for a repeatable migration).
    pub version: String,
    /// The tool's description or name.
    pub description: String,
    /// Flyway's `script`: the file's path under the migrations directory.
    pub script: String,
    /// The tool's checksum of the file, where it keeps one.
    pub checksum: Option<String>,
}

fn file_name(m: &Migration) -> Result<String, String> {
    m.file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| "no file name".to_string())
}

/// The file name split at its first `sep`.
fn stem_after(m: &Migration, sep: char) -> Result<(String, String), String> {
    let name = file_name(m)?;
    name.split_once(sep)
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| format!("no `{sep}` after the version"))
}

/// The digits the file name starts with.
fn leading_digits(m: &Migration) -> Result<String, String> {
    let name = file_name(m)?;
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        Err("the file name does not start with the version's digits".into())
    } else {
        Ok(digits)
    }
}

impl Found {
    /// The table, schema-qualified and quoted.
    pub fn table(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// The table as the operator reads it.
    pub fn table_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// `m` as the tool names it, with its checksum from the file as it is now.
    pub fn entry(&self, m: &Migration) -> Result<Entry, Error> {
        let file = m.file.display().to_string();
        let text = || {
            if self.tool.has_checksums() {
                crate::files::read_text(&m.file, crate::files::max_size()).map_err(|e| {
                    Error::File {
                        file: file.clone(),
                        message: format!("cannot read it for {}'s checksum: {e}", self.tool),
                    }
                })
            } else {
                Ok(String::new())
            }
        };
        let script = m
            .file
            .strip_prefix(&self.dir)
            .unwrap_or(&m.file)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let made = match self.tool {
            Tool::Sqlx => sqlx::entry(self, m, &text()?),
            Tool::Diesel => diesel::entry(m),
            Tool::Flyway => flyway::entry(m, script, &text()?),
            Tool::GolangMigrate => golang::entry(m),
            Tool::Dbmate => dbmate::entry(m),
            Tool::Refinery => refinery::entry(self, m, &text()?),
        };
        made.map_err(|message| Error::Name {
            file,
            tool: self.tool,
            message,
        })
    }

    /// What the tool's table says, with the tool's checksum of every file of `plan`.
    pub async fn history(&self, c: &impl GenericClient, plan: &Plan) -> Result<ToolHistory, Error> {
        let recorded = self.recorded(c).await?;
        self.history_of(recorded, plan)
    }

    /// What the tool's table says, without the plan: read while the plan is still being
    /// read (see [`Found::history_of`]).
    pub async fn recorded(&self, c: &impl GenericClient) -> Result<Recorded, Error> {
        let table = self.table();
        let recorded = match self.not_yet_made(c).await? {
            Some(nothing) => nothing,
            None => match self.tool {
                Tool::Sqlx => sqlx::read(c, &table).await?,
                Tool::Diesel => diesel::read(c, &table).await?,
                Tool::Flyway => flyway::read(c, &table).await?,
                Tool::GolangMigrate => golang::read(c, &table).await?,
                Tool::Dbmate => dbmate::read(c, &table).await?,
                Tool::Refinery => refinery::read(c, &table).await?,
            },
        };
        Ok(recorded)
    }

    /// The tool's history from what its table said, with the tool's checksum of every file
    /// of `plan`.
    pub fn history_of(&self, recorded: Recorded, plan: &Plan) -> Result<ToolHistory, Error> {
        let mut checksums = HashMap::new();
        if self.tool.has_checksums() {
            for m in &plan.migrations {
                if let Some(sum) = self.entry(m)?.checksum {
                    checksums.insert(m.version.clone(), sum);
                }
            }
        }
        Ok(ToolHistory {
            tool: self.tool,
            table: self.table_name(),
            recorded,
            checksums,
            in_step: InStep::default(),
        })
    }

    /// The tool's record of `e` applied, taking `elapsed`; written in the phase's own
    /// transaction, or after the last statement of one that runs outside a transaction.
    pub fn applied(&self, e: &Entry, elapsed: Elapsed) -> String {
        let t = self.table();
        match self.tool {
            Tool::Sqlx => sqlx::applied(&t, e, elapsed),
            Tool::Diesel | Tool::Dbmate => format!(
                "INSERT INTO {t} (version) VALUES ({})",
                crate::sql::quote_literal(&e.version)
            ),
            Tool::Flyway => format!(
                "{}; {}",
                flyway::failed_removed(&t, e),
                flyway::applied(&t, e, elapsed, true)
            ),
            Tool::GolangMigrate => golang::set(&t, Some(&e.version), false),
            Tool::Refinery => refinery::applied(&t, e, Utc::now()),
        }
    }

    /// The tool's record of `e` removed, so the tool sees it pending; golang-migrate's row
    /// goes back to `prev`, the migration before it in the plan.
    pub fn removed(&self, e: &Entry, prev: Option<&Entry>) -> String {
        let t = self.table();
        match self.tool {
            Tool::Sqlx | Tool::Diesel | Tool::Dbmate | Tool::Refinery => version_removed(&t, e),
            Tool::Flyway => flyway::removed(&t, e),
            Tool::GolangMigrate => golang::set(&t, prev.map(|p| p.version.as_str()), false),
        }
    }

    /// Before the first statement of a phase that runs outside a transaction: golang-migrate
    /// marks its version dirty; the others record a migration once it has run.
    pub fn starting(&self, e: &Entry) -> Option<String> {
        (self.tool == Tool::GolangMigrate)
            .then(|| golang::set(&self.table(), Some(&e.version), true))
    }

    /// A phase outside a transaction stopped part-way (a failed statement or check, a
    /// cancel): Flyway records such a migration with `success` false, so that it refuses to
    /// go on until the failure is resolved; the others record nothing.
    pub fn stopped(&self, e: &Entry, elapsed: Elapsed) -> Option<String> {
        (self.tool == Tool::Flyway).then(|| {
            let t = self.table();
            format!(
                "{}; {}",
                flyway::failed_removed(&t, e),
                flyway::applied(&t, e, elapsed, false)
            )
        })
    }

    /// Before the first DOWN statement of such a phase: golang-migrate marks the previous
    /// version dirty.
    pub fn rolling_back(&self, prev: Option<&Entry>) -> Option<String> {
        (self.tool == Tool::GolangMigrate)
            .then(|| golang::set(&self.table(), prev.map(|p| p.version.as_str()), true))
    }

    /// The session advisory lock the tool holds while it migrates (sqlx, golang-migrate,
    /// Flyway),
    /// for pgstep to hold too, so the tool started by the application waits for pgstep
    /// instead of running the same migrations beside it.
    pub fn lock_id(&self, database: &str) -> Option<i64> {
        match self.tool {
            Tool::Sqlx => Some(sqlx::lock_id(database)),
            Tool::GolangMigrate => Some(golang::lock_id(database, &self.schema, &self.name)),
            Tool::Flyway => Some(flyway::lock_id(&self.schema, &self.name)),
            Tool::Diesel | Tool::Dbmate | Tool::Refinery => None,
        }
    }

    /// The file's checksum recorded for a drift accepted, as the tool's own repair would.
    pub fn accepted(&self, e: &Entry) -> Option<String> {
        let t = self.table();
        match self.tool {
            Tool::Sqlx => Some(sqlx::accepted(&t, e)),
            Tool::Flyway => Some(flyway::accepted(&t, e)),
            Tool::Refinery => Some(refinery::accepted(&t, e)),
            Tool::Diesel | Tool::GolangMigrate | Tool::Dbmate => None,
        }
    }
}

/// The tool's row of `e` deleted, for the tools that key their table by the version.
fn version_removed(table: &str, e: &Entry) -> String {
    format!(
        "DELETE FROM {table} WHERE version = {}",
        crate::sql::quote_literal(&e.version)
    )
}
