//! Problems found while reading a migration set: typed, positioned, with a hint for the operator.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::sql::SplitError;
use crate::text::Escaped;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// What is wrong. Each variant says it in one sentence; [`Problem::hint`] says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("migrations directory does not exist")]
    NoDirectory,
    #[error("not a directory")]
    NotADirectory,
    #[error("symbolic link loop")]
    SymlinkLoop,
    #[error("file is not valid UTF-8 (first bad byte at line {line}, column {column})")]
    NotUtf8 { line: u32, column: u32 },
    #[error("not a regular file but {0}: only regular files are read")]
    NotRegularFile(&'static str),
    #[error("file is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("contains a NUL byte at line {line}: PostgreSQL cannot take it")]
    NulByte { line: u32 },
    #[error("file changed since the plan was read")]
    ChangedSinceRead,
    #[error("file is empty")]
    Empty,
    #[error("file holds only comments: no statement to run")]
    CommentsOnly,
    #[error("UP part has no statement")]
    EmptyUp,
    #[error("unknown header key `{0}`")]
    UnknownHeaderKey(String),
    #[error("header key `{0}` given twice")]
    DuplicateHeaderKey(String),
    #[error("header `{key}: {value}` is not valid: {reason}")]
    BadHeaderValue {
        key: String,
        value: String,
        reason: String,
    },
    #[error("header says version {header} but the file name says {file}")]
    VersionMismatch { header: String, file: String },
    #[error(
        "cannot tell the version: the file name does not start with one and there is no `-- Version:` header"
    )]
    NoVersion,
    #[error("`{0}` is not a version: use digits separated by dots, e.g. 003 or 1.10")]
    BadVersion(String),
    #[error("version {version} is also used by {other}")]
    DuplicateVersion { version: String, other: PathBuf },
    #[error("the directory mixes layouts: {0}")]
    MixedLayouts(String),
    #[error("`{marker}` appears twice (first at line {first})")]
    DuplicateMarker { marker: &'static str, first: u32 },
    #[error("{0}")]
    Sql(SplitError),
    #[error("`{0}` outside a VERIFY section")]
    CheckOutsideVerify(&'static str),
    #[error("`-- Expect:` before any `-- Check:`")]
    ExpectWithoutCheck,
    #[error("statement in the VERIFY section does not belong to any `-- Check:`")]
    QueryWithoutCheck,
    #[error("check `{0}` has no query")]
    CheckWithoutSql(String),
    #[error("check `{name}` has {count} statements; a check is exactly one query")]
    CheckManyStatements { name: String, count: usize },
    #[error("check `{name}` has a second `-- Expect:`")]
    DuplicateExpect { name: String },
    #[error("check name `{name}` is already used at line {first}")]
    DuplicateCheckName { name: String, first: u32 },
    #[error("`-- Expect: {0}` is not an expectation")]
    BadExpect(String),
    #[error("`-- Check:` needs a name")]
    CheckWithoutName,
    #[error("`-- Step:` needs a title")]
    StepWithoutTitle,
    #[error("`-- Step:` only names steps of the UP part; ignored here")]
    StepOutsideUp,
    #[error("depends on version {0}, which is not in the plan")]
    MissingDependency(String),
    #[error("depends on version {0}, which comes later in the plan")]
    DependsOnLater(String),
    #[error("dependency cycle: {0}")]
    DependencyCycle(String),
    #[error("down file has no matching up file")]
    OrphanDown,
    #[error("no `-- migrate:up` marker")]
    NoMigrateUp,
    #[error("statement before `-- migrate:up`")]
    BeforeMigrateUp,
    #[error("unknown option `{0}` on a dbmate marker")]
    BadDbmateOption(String),
    #[error("invalid metadata: {0}")]
    BadMetadata(String),
    #[error("unknown setting `{0}`")]
    UnknownSetting(String),
    #[error("undo file has no matching versioned migration")]
    OrphanUndo,
    #[error("directory `{0}` has no up.sql")]
    DieselNoUp(String),
    #[error("no migrations found")]
    NoMigrations,
    #[error("ignored: {0}")]
    Ignored(&'static str),
    #[error(
        "{tool} runs {first} before {second} (it orders files by name), but their versions, compared as text, say the opposite"
    )]
    ToolOrder {
        tool: &'static str,
        first: String,
        second: String,
    },
    #[error("{what}")]
    Batch { what: String, hint: &'static str },
    #[error(
        "`-- {key}:` is a header of native files (NNN_name.sql); {layout} files would ignore it"
    )]
    HeaderElsewhere {
        key: String,
        layout: &'static str,
        instead: &'static str,
    },
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::UnknownHeaderKey(_)
            | Problem::StepOutsideUp
            | Problem::UnknownSetting(_)
            | Problem::NoMigrations
            | Problem::Ignored(_) => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// What the operator can do about it.
    pub fn hint(&self) -> Option<String> {
        let h: &str = match self {
            Problem::Unreadable(_) => "check the file's permissions",
            Problem::NoDirectory => "pass the migrations directory with --dir",
            Problem::NotADirectory => "--dir takes a directory of migration files",
            Problem::SymlinkLoop => "fix or remove the link",
            Problem::NotUtf8 { .. } => "save the file as UTF-8",
            Problem::NotRegularFile(_) => {
                "replace it with a regular file, or move it out of the migrations directory"
            }
            Problem::TooLarge { .. } => {
                "raise `max_file_size` in the configuration if it is meant to be this big, or split it into several migrations"
            }
            Problem::NulByte { .. } => "remove the byte (an editor may show it as ^@)",
            Problem::ChangedSinceRead => {
                "read the plan again (ctrl-r in the console) and review the new text before running it"
            }
            Problem::Empty | Problem::CommentsOnly | Problem::EmptyUp => {
                "write the migration's SQL, or delete the file"
            }
            Problem::UnknownHeaderKey(_) => {
                "known keys: Migration, Version, Date, Author, Depends, Goal, Transaction, Lock-Timeout, Statement-Timeout, Requires, Keep, Max-Replica-Lag, Max-Wal-Rate, Batch-Pause"
            }
            Problem::DuplicateHeaderKey(_) => "keep one of them",
            Problem::BadHeaderValue { key, .. } => {
                match key.to_ascii_lowercase().replace('_', "-").as_str() {
                    "version" => "write digits separated by dots, e.g. 003 or 1.10",
                    "depends" => "list earlier versions separated by commas, e.g. `001, 002`",
                    "requires" => "list extension names separated by commas",
                    "transaction" => "write `Transaction: none` or leave the header out",
                    "keep" => "write `Keep: no` and the reason nothing needs keeping",
                    "max-replica-lag" | "max-wal-rate" | "batch-pause" => super::batch::GATE_HINT,
                    _ => "write a whole number with a unit: 500ms, 5s, 10min, 1h",
                }
            }
            Problem::VersionMismatch { .. } => "make the header and the file name agree",
            Problem::NoVersion => "name the file NNN_name.sql or add `-- Version: NNN`",
            Problem::BadVersion(_) => "versions compare segment by segment as numbers",
            Problem::DuplicateVersion { .. } => "give one of the two files a new version",
            Problem::MixedLayouts(_) => "keep one layout per directory",
            Problem::DuplicateMarker { .. } => "keep one marker; everything after it is that part",
            Problem::Sql(e) => e.hint(),
            Problem::CheckOutsideVerify(_) => "put checks after a `-- VERIFY` line",
            Problem::ExpectWithoutCheck => "put it under the `-- Check:` line it belongs to",
            Problem::QueryWithoutCheck => "name the query with a `-- Check: <name>` line above it",
            Problem::CheckWithoutSql(_) => "write the check's query under its `-- Check:` line",
            Problem::CheckManyStatements { .. } => {
                "split it into several checks, one `-- Check:` each"
            }
            Problem::DuplicateExpect { .. } => "keep one `-- Expect:` per check",
            Problem::DuplicateCheckName { .. } => "give every check its own name",
            Problem::BadExpect(_) => {
                "use empty, nonempty, true, unchanged, or a comparison such as `= 0` or `>= 10`"
            }
            Problem::CheckWithoutName => "write `-- Check: <name>`",
            Problem::StepWithoutTitle => "write `-- Step: <title>`",
            Problem::StepOutsideUp => "remove the marker, or move it into the UP part",
            Problem::MissingDependency(_) => "add that migration or fix the Depends header",
            Problem::DependsOnLater(_) => "a migration can only depend on earlier versions",
            Problem::DependencyCycle(_) => "remove one of the dependencies",
            Problem::OrphanDown => "add the .up.sql file or remove the .down.sql file",
            Problem::NoMigrateUp => "start the migration with a `-- migrate:up` line",
            Problem::BeforeMigrateUp => "move the statement below `-- migrate:up`",
            Problem::BadDbmateOption(_) => "the only option is transaction:false",
            Problem::BadMetadata(_) => "the only setting is run_in_transaction = false",
            Problem::UnknownSetting(_) => "the only setting is executeInTransaction=false",
            Problem::OrphanUndo => "add the V file or remove the U file",
            Problem::DieselNoUp(_) => "add up.sql to the directory or remove it",
            Problem::NoMigrations => "write migrations as NNN_name.sql files",
            Problem::Ignored(_) => "move it out of the migrations directory to silence this",
            Problem::ToolOrder { .. } => {
                "give both versions the same number of digits, so names and versions agree"
            }
            Problem::HeaderElsewhere { instead, .. } => instead,
            Problem::Batch { hint, .. } => hint,
        };
        Some(h.to_string())
    }
}

/// A problem at a place: file, and where known line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub problem: Problem,
}

impl Diagnostic {
    pub fn new(path: &Path, problem: Problem) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: None,
            column: None,
            problem,
        }
    }

    pub fn at(path: &Path, line: u32, problem: Problem) -> Self {
        Diagnostic {
            line: Some(line),
            ..Diagnostic::new(path, problem)
        }
    }

    pub fn sql(path: &Path, e: SplitError) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: Some(e.line()),
            column: e.column(),
            problem: Problem::Sql(e),
        }
    }

    pub fn severity(&self) -> Severity {
        self.problem.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }

    /// `path:line:column` as editors and terminals link it.
    pub fn location(&self) -> String {
        let mut s = self.path.display().to_string();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
            if let Some(c) = self.column {
                s.push_str(&format!(":{c}"));
            }
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // File names and the values quoted in problems come from the files: escaped, so
        // they cannot drive the terminal or forge a line.
        let location = self.location();
        let problem = self.problem.to_string();
        write!(f, "{}: {sev}: {}", Escaped(&location), Escaped(&problem))?;
        if let Some(h) = self.problem.hint() {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Diagnostic", 6)?;
        st.serialize_field("severity", &self.severity())?;
        st.serialize_field("file", &self.path.display().to_string())?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("column", &self.column)?;
        st.serialize_field("message", &self.problem.to_string())?;
        st.serialize_field("hint", &self.problem.hint())?;
        st.end()
    }
}
