//! A migrations directory read into an ordered plan: one migration is one phase.

pub mod batch;
mod check;
pub mod checksum;
mod depends;
mod diag;
mod dir;
mod fingerprint;
mod formats;
mod header;
pub mod json;
mod runs;
mod sections;
mod stored;
mod version;

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use check::{Check, CompareOp, Expect};
pub use checksum::Checksum;
pub use diag::{Diagnostic, Problem, Severity};
pub use header::{format_duration, parse_duration};
pub use runs::{Run, Transaction};
pub use stored::down_from_history;
pub use version::Version;

/// How a directory lays out its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// `NNN_name.sql` with `-- Key: value` headers and a `-- DOWN` part.
    Native,
    /// `NNN_name.up.sql` + `NNN_name.down.sql` (golang-migrate, sqlx).
    UpDown,
    /// `<version>_<name>/up.sql` + `down.sql` (Diesel).
    Diesel,
    /// `V<version>__<name>.sql` + `U<version>__<name>.sql` (Flyway).
    Flyway,
    /// `-- migrate:up` / `-- migrate:down` in one file (dbmate).
    Dbmate,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::UpDown => "up-down",
            Layout::Diesel => "diesel",
            Layout::Flyway => "flyway",
            Layout::Dbmate => "dbmate",
        }
    }

    /// Whether the files are laid out for another tool, which keeps its own history table.
    pub fn is_tool(self) -> bool {
        self != Layout::Native
    }

    /// How a migration of this layout says it runs outside a transaction, for hints.
    pub fn outside_transaction(self) -> &'static str {
        match self {
            // sqlx's up-only files read as native ones: its own marker works in both tools.
            Layout::Native => {
                "give the phase `-- Transaction: none` (its statements then run one by one), or, \
                 in sqlx's up-only files, make `-- no-transaction` the file's first line"
            }
            Layout::UpDown => "start the file with `-- no-transaction`",
            Layout::Diesel => "write `run_in_transaction = false` in the directory's metadata.toml",
            Layout::Flyway => "write `executeInTransaction=false` in the file's .sql.conf",
            Layout::Dbmate => "write `-- migrate:up transaction:false`",
        }
    }

    /// Where a migration of this layout can raise its lock timeout, for hints.
    pub fn lock_timeout_setting(self) -> &'static str {
        match self {
            Layout::Native => "the `-- Lock-Timeout:` header",
            _ => "the profile's `lock_timeout`",
        }
    }
}

/// The whole plan: migrations in version order, plus warnings that did not stop reading.
#[derive(Debug, Clone)]
pub struct Plan {
    pub dir: PathBuf,
    pub layout: Option<Layout>,
    pub migrations: Vec<Migration>,
    pub warnings: Vec<Diagnostic>,
}

impl Plan {
    /// A version recorded in the history, read as this plan's layout reads its files'
    /// versions (as text for Diesel and dbmate), so `001` and `1` stay two rows there.
    pub fn recorded_version(&self, text: &str) -> Option<Version> {
        let v = Version::parse(text)?;
        Some(match self.layout {
            Some(Layout::Diesel | Layout::Dbmate) => v.textual(),
            _ => v,
        })
    }
}

/// The layout of the migrations in `dir`, told from its file names and at most one file.
pub fn layout_of(dir: &Path) -> Option<Layout> {
    dir::layout(dir)
}

/// Reading failed; every problem found is listed, warnings included.
#[derive(Debug, Clone)]
pub struct PlanError {
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanError {}

/// One phase.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    /// The file holding the UP part (for Diesel, its `up.sql`).
    pub file: PathBuf,
    pub layout: Layout,
    pub meta: Meta,
    pub up: Part,
    pub down: Option<Part>,
    pub steps: Vec<Step>,
    /// The step whose statement runs once per key range, if any.
    pub batch: Option<Box<batch::Batched>>,
    pub checks: Vec<Check>,
    /// SHA-256 of every file of the migration, CRLF read as LF.
    pub checksum: Checksum,
    pub part_checksums: PartChecksums,
    /// Kept by [`Plan::outline`], which drops the text it is computed from.
    fingerprint: Option<Checksum>,
}

impl Migration {
    /// Whether UP runs in one transaction.
    pub fn transactional(&self) -> bool {
        self.up.transactional
    }

    /// Whether its parts' text is in memory, so it can run.
    pub fn is_read(&self) -> bool {
        self.up.text.is_some() && self.down.as_ref().is_none_or(|d| d.text.is_some())
    }

    /// A checksum of the SQL it runs, blind to comments and layout (see `fingerprint`).
    pub fn fingerprint(&self) -> Result<Checksum, Unread> {
        if let Some(f) = &self.fingerprint {
            return Ok(f.clone());
        }
        let down = self.down.as_ref().map(Part::sql).transpose()?;
        Ok(fingerprint::of(
            self.up.sql()?,
            self.transactional(),
            down,
            &self.checks,
        ))
    }

    /// The migration with its text: itself when held, otherwise its files read again. A file
    /// that no longer gives the checksum the plan was read with is refused, so what runs is
    /// always what the plan showed.
    pub fn read(&self) -> Result<Read<'_>, PlanError> {
        if self.is_read() {
            return Ok(Read(Cow::Borrowed(self)));
        }
        let again = dir::reread(self).map_err(|diagnostics| PlanError { diagnostics })?;
        if again.checksum != self.checksum || !again.is_read() {
            return Err(PlanError {
                diagnostics: vec![Diagnostic::new(&self.file, Problem::ChangedSinceRead)],
            });
        }
        Ok(Read(Cow::Owned(again)))
    }

    /// Drops the parts' text, keeping what the console lists and judges drift by.
    fn outline(&mut self) {
        if let Ok(f) = self.fingerprint() {
            self.fingerprint = Some(f);
        }
        for p in std::iter::once(&mut self.up).chain(&mut self.down) {
            p.text = None;
            p.statements = Statements::default();
        }
    }
}

/// A migration whose parts hold their text: what can be shown and run. Only
/// [`Migration::read`] makes one.
#[derive(Debug, Clone)]
pub struct Read<'a>(Cow<'a, Migration>);

impl std::ops::Deref for Read<'_> {
    type Target = Migration;

    fn deref(&self) -> &Migration {
        &self.0
    }
}

impl Read<'_> {
    pub fn up(&self) -> Sql<'_> {
        held(&self.0.up)
    }

    pub fn down(&self) -> Option<Sql<'_>> {
        self.0.down.as_ref().map(held)
    }

    /// The DOWN as the history keeps it (see [`down_from_history`]).
    pub fn stored_down(&self) -> Option<Cow<'_, str>> {
        self.down().map(|d| stored::down_text(self.0.layout, d))
    }

    pub fn fingerprint(&self) -> Checksum {
        self.0
            .fingerprint()
            .expect("a read migration holds its parts' text")
    }

    pub fn into_owned(self) -> Migration {
        self.0.into_owned()
    }
}

fn held(p: &Part) -> Sql<'_> {
    let text = p
        .text
        .as_deref()
        .expect("a read migration holds its parts' text");
    Sql { part: p, text }
}

/// A part whose text the plan no longer holds was asked for it: the migration must be
/// [`Migration::read`] first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: its text was left in the file; read the migration again before running it", file.display())]
pub struct Unread {
    pub file: PathBuf,
}

/// Header facts; only the native layout has headers, so elsewhere these stay empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub title: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    pub goal: Option<String>,
    pub depends: Vec<Version>,
    /// Line of the `Depends` header, for problems with it.
    pub depends_line: Option<u32>,
    pub requires: Vec<String>,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub gates: batch::Gates,
    /// `-- Keep: no <reason>`: what this phase's statements remove is not kept, for this
    /// reason.
    pub keep_off: Option<String>,
}

/// The UP or DOWN part: its text as written and the statements in it, or, in an outlined
/// plan, how many statements it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub file: PathBuf,
    pub transactional: bool,
    /// Statement ranges that each run in one transaction of their own in a part that is not
    /// transactional as a whole: the transactional sections of a dbmate file with several,
    /// which dbmate runs one transaction each.
    pub wrapped: Box<[Range<usize>]>,
    /// Where each section's text starts in `text`, when the part joins several sections of
    /// a dbmate file (empty for one): the history keeps the DOWN split at these.
    section_starts: Box<[usize]>,
    statements: Statements,
    count: usize,
    text: Option<String>,
}

/// A statement of a part; spans index the part's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// 1-based line in the file.
    pub line: u32,
    pub sql: Range<usize>,
    pub copy_data: Option<Range<usize>>,
}

/// The statements of a part, stored in a third of the room of a `Vec<Stmt>` with no spare
/// capacity: a plan of 10,000 migrations holds over 100,000 of them. A part's text is under
/// 4 GiB (the loader refuses larger files; PostgreSQL's text holds at most 1 GB), so its
/// offsets fit in `u32`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statements(Box<[Packed]>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Packed {
    line: u32,
    sql: (u32, u32),
    copy_data: Option<(u32, u32)>,
}

fn pack(r: Range<usize>) -> (u32, u32) {
    let offset = |n: usize| u32::try_from(n).expect("a part's text is under 4 GiB");
    (offset(r.start), offset(r.end))
}

fn unpack((start, end): (u32, u32)) -> Range<usize> {
    start as usize..end as usize
}

impl Statements {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = Stmt> + '_ {
        self.0.iter().map(|p| Stmt {
            line: p.line,
            sql: unpack(p.sql),
            copy_data: p.copy_data.map(unpack),
        })
    }

    pub fn first(&self) -> Option<Stmt> {
        self.iter().next()
    }
}

impl FromIterator<Stmt> for Statements {
    fn from_iter<I: IntoIterator<Item = Stmt>>(iter: I) -> Self {
        let packed = iter.into_iter().map(|s| Packed {
            line: s.line,
            sql: pack(s.sql),
            copy_data: s.copy_data.map(pack),
        });
        Statements(packed.collect())
    }
}

/// A statement's text, borrowed from its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef<'a> {
    pub line: u32,
    pub sql: &'a str,
    pub copy_data: Option<&'a str>,
}

impl Part {
    pub fn new(file: PathBuf, text: String, transactional: bool, statements: Statements) -> Part {
        Part {
            file,
            transactional,
            wrapped: Box::default(),
            section_starts: Box::default(),
            count: statements.len(),
            statements,
            text: Some(text),
        }
    }

    /// The range of statement `i`'s own transaction, when it runs in one of [`Part::wrapped`].
    pub fn wrapped_at(&self, i: usize) -> Option<Range<usize>> {
        self.wrapped.iter().find(|r| r.contains(&i)).cloned()
    }

    /// How many statements it has, also in an outlined plan.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Its text and statements, which only a part read from its file has.
    pub fn sql(&self) -> Result<Sql<'_>, Unread> {
        match &self.text {
            Some(text) => Ok(Sql { part: self, text }),
            None => Err(Unread {
                file: self.file.clone(),
            }),
        }
    }
}

/// A part whose text is in memory: what can be shown and run.
#[derive(Debug, Clone, Copy)]
pub struct Sql<'a> {
    pub part: &'a Part,
    pub text: &'a str,
}

impl<'a> Sql<'a> {
    /// Its statements with their spans in `text`.
    pub fn spans(self) -> impl ExactSizeIterator<Item = Stmt> + 'a {
        self.part.statements.iter()
    }

    pub fn statements(self) -> impl ExactSizeIterator<Item = StatementRef<'a>> {
        let text = self.text;
        self.part.statements.iter().map(move |s| StatementRef {
            line: s.line,
            sql: &text[s.sql],
            copy_data: s.copy_data.map(|r| &text[r]),
        })
    }
}

/// A named step of UP: it starts at statement `first_statement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub title: String,
    pub line: u32,
    pub first_statement: usize,
}

/// Checksums of each part, so drift can say which part changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartChecksums {
    pub up: Checksum,
    pub down: Option<Checksum>,
    pub verify: Option<Checksum>,
}

/// Reads the migrations directory `dir` into a plan.
pub fn load(dir: &Path) -> Result<Plan, PlanError> {
    load_as(dir, Keep::Text)
}

/// Reads `dir` into a plan that keeps no part's text, dropped as each file is parsed: the
/// console does not hold the SQL of thousands of phases. A migration is [`Migration::read`]
/// again, from its files, when it is shown or run.
pub fn load_outline(dir: &Path) -> Result<Plan, PlanError> {
    load_as(dir, Keep::Outline)
}

/// What a plan keeps of each file it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Text,
    Outline,
}

fn load_as(dir: &Path, keep: Keep) -> Result<Plan, PlanError> {
    let mut diags = Vec::new();
    let read = dir::read(dir, keep, &mut diags);
    let mut migrations = read.migrations;
    // In place: a stable sort would take a scratch copy of the whole plan. No two migrations
    // share a file, so the order is the same.
    migrations.sort_unstable_by(|a, b| a.version.cmp(&b.version).then_with(|| a.file.cmp(&b.file)));
    // Migrations that could not be read count too: their second file is reported now.
    let mut named: Vec<(&Version, &Path)> = migrations
        .iter()
        .map(|m| (&m.version, m.file.as_path()))
        .chain(read.unread.iter().map(|(v, p)| (v, p.as_path())))
        .collect();
    if !read.unread.is_empty() {
        named.sort_unstable();
    }
    for pair in named.windows(2) {
        if pair[0].0 == pair[1].0 {
            diags.push(Diagnostic::new(
                pair[1].1,
                Problem::DuplicateVersion {
                    version: pair[1].0.to_string(),
                    other: pair[0].1.to_path_buf(),
                },
            ));
        }
    }
    tool_order(read.layout, &migrations, &mut diags);
    depends::validate(&migrations, &mut diags);
    if read.layout.is_none() && !diags.iter().any(Diagnostic::is_error) {
        diags.push(Diagnostic::new(dir, Problem::NoMigrations));
    }
    diags.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    if diags.iter().any(Diagnostic::is_error) {
        return Err(PlanError { diagnostics: diags });
    }
    Ok(Plan {
        dir: dir.to_path_buf(),
        layout: read.layout,
        migrations,
        warnings: diags,
    })
}

/// dbmate runs its files in file-name order, and its versions are the names' leading digits,
/// compared as text: the two orders differ only where one version is the start of another
/// (`1_b.sql`, `10_a.sql`), and then the plan is refused rather than run in another order
/// than dbmate's.
fn tool_order(layout: Option<Layout>, migrations: &[Migration], diags: &mut Vec<Diagnostic>) {
    if layout != Some(Layout::Dbmate) {
        return;
    }
    let key = |m: &Migration| {
        let n = m.file.file_name().unwrap_or_default();
        n.to_string_lossy().into_owned()
    };
    for pair in migrations.windows(2) {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        if a > b {
            diags.push(Diagnostic::new(
                &pair[1].file,
                Problem::ToolOrder {
                    tool: "dbmate",
                    first: b,
                    second: a,
                },
            ));
        }
    }
}

/// Parses the text of one single-file migration (native or dbmate) named `path`, exactly as
/// [`load`] would read that file.
pub fn parse_file(path: &Path, text: &str) -> Result<Migration, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let size = text.len() as u64;
    if size > crate::files::LARGEST_MAX_SIZE {
        let limit = crate::files::LARGEST_MAX_SIZE;
        return Err(vec![Diagnostic::new(
            path,
            Problem::TooLarge { size, limit },
        )]);
    }
    if let Some(d) = dir::nul_byte(path, text) {
        return Err(vec![d]);
    }
    let src = formats::Source {
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    let (_, m) = dir::single(&src, &mut diags);
    match m {
        Some(m) if !diags.iter().any(Diagnostic::is_error) => Ok(m),
        _ => Err(diags),
    }
}
