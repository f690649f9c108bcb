//! Which tool migrated this database, what it records, and writing its record exactly as it
//! does: sqlx, Diesel, Flyway, golang-migrate, dbmate and refinery each keep a table of what
//! ran, and the application often runs that tool again at start-up. pgstep reads the tool's
//! table as the truth of what is applied and writes to it as the tool would, so the tool, run
//! afterwards, finds nothing to do and nothing to complain about.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::plan::{Plan, Version};

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
    /// The summary of what was read; golang-migrate's count is of `plan`'s versions up to
    /// its one row.
    pub fn adopted(&self, plan: &Plan) -> Adopted {
        let (versions, newest) = match &self.recorded {
            Recorded::Rows(rows) => {
                let newest = rows
                    .iter()
                    .filter_map(|r| Version::parse(&r.version).map(|v| (v, &r.version)))
                    .max_by(|a, b| a.0.cmp(&b.0))
                    .map(|(_, text)| text.clone());
                (rows.len(), newest)
            }
            Recorded::UpTo(None) => (0, None),
            Recorded::UpTo(Some(r)) => {
                let upto = Version::parse(&r.version);
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
