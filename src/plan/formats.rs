//! Turning the files of one migration, in each layout, into a [`Migration`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::checksum::{self, Hasher};
use super::diag::{Diagnostic, Problem};
use super::header::{self, Elsewhere};
use super::sections::{self, Rules, Sections};
use super::{Layout, Meta, Migration, Part, PartChecksums, Version};

/// A file read into memory.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Where the version and name come from when the file name carries them.
#[derive(Debug, Clone)]
pub struct Named {
    pub version: Option<Version>,
    pub name: String,
}

/// `NNN_name` → (`NNN`, `name`); a stem that is only a version has an empty name.
pub fn split_stem(stem: &str) -> Option<(Version, &str)> {
    let (v, name) = stem.split_once('_').unwrap_or((stem, ""));
    Version::parse(v).map(|v| (v, name))
}

/// A native file: headers, UP, `-- DOWN`, `-- VERIFY`.
pub fn native(src: &Source, named: &Named, diags: &mut Vec<Diagnostic>) -> Option<Migration> {
    let errors_before = count_errors(diags);
    let head = header::read(&src.path, &src.text, diags);
    let version = match (&named.version, head.version) {
        (Some(file), Some((header, line))) => {
            if *file != header {
                let problem = Problem::VersionMismatch {
                    header: header.to_string(),
                    file: file.to_string(),
                };
                diags.push(Diagnostic::at(&src.path, line, problem));
            }
            header
        }
        (Some(file), None) => file.clone(),
        (None, Some((header, _))) => header,
        (None, None) => {
            diags.push(Diagnostic::new(&src.path, Problem::NoVersion));
            // Read on all the same: its SQL's problems are reported in this run too.
            sections::read(&src.path, &src.text, head.end, Rules::Native, diags);
            return None;
        }
    };
    let sections = sections::read(&src.path, &src.text, head.end, Rules::Native, diags);
    let mut checksum = Hasher::default();
    checksum.update(src.text.as_bytes());
    let tx = head.transactional.unwrap_or(true);
    let parts = Parts {
        sections,
        down: None,
        up_tx: tx,
        down_tx: tx,
    };
    let m = assemble(
        src,
        named,
        version,
        Layout::Native,
        head.meta,
        parts,
        checksum,
        diags,
    )?;
    (count_errors(diags) == errors_before).then_some(m)
}

/// A dbmate file: `-- migrate:up [transaction:false]` and `-- migrate:down`.
pub fn dbmate(src: &Source, named: &Named, diags: &mut Vec<Diagnostic>) -> Option<Migration> {
    let errors_before = count_errors(diags);
    // Without a version the file is still read, so its other problems show in this run.
    let version = named_version(src, named, diags);
    let gates = header::elsewhere(&src.path, &src.text, Layout::Dbmate, Elsewhere::Up, diags);
    let mut sections = sections::read(&src.path, &src.text, 0, Rules::Dbmate, diags);
    if sections.up.is_none() && sections.any_statement {
        diags.push(Diagnostic::new(&src.path, Problem::NoMigrateUp));
    }
    let (up_tx, up_wrapped) =
        dbmate_sections(&src.path, &sections.up_options, &sections.up_sizes, diags);
    let (down_tx, down_wrapped) = dbmate_sections(
        &src.path,
        &sections.down_options,
        &sections.down_sizes,
        diags,
    );
    if let Some(up) = &mut sections.up {
        up.wrapped = up_wrapped;
    }
    if let Some(down) = &mut sections.down {
        down.wrapped = down_wrapped;
    }
    let mut checksum = Hasher::default();
    checksum.update(src.text.as_bytes());
    let parts = Parts {
        sections,
        down: None,
        up_tx,
        down_tx,
    };
    let m = assemble(
        src,
        named,
        version?,
        Layout::Dbmate,
        Meta {
            gates,
            ..Meta::default()
        },
        parts,
        checksum,
        diags,
    )?;
    (count_errors(diags) == errors_before).then_some(m)
}

/// How dbmate runs a part's sections (`Migrate` and `Rollback` in its `db.go`): each section
/// in its own transaction unless its marker says `transaction:false`, one after the other in
/// file order, for the DOWN sections too. One section: whether the part is transactional.
/// Several: the part is not, and the statement ranges of its transactional sections each run
/// in one transaction of their own.
pub(super) fn dbmate_sections(
    path: &Path,
    options: &[String],
    sizes: &[usize],
    diags: &mut Vec<Diagnostic>,
) -> (bool, Box<[Range<usize>]>) {
    let txs: Vec<bool> = options
        .iter()
        .map(|o| dbmate_transaction(path, o, diags))
        .collect();
    if txs.len() <= 1 {
        return (txs.first().copied().unwrap_or(true), Box::default());
    }
    let mut start = 0;
    let mut wrapped = Vec::new();
    for (&tx, &size) in txs.iter().zip(sizes) {
        if tx && size > 0 {
            wrapped.push(start..start + size);
        }
        start += size;
    }
    (false, wrapped.into())
}

/// Whether one section runs in a transaction: `transaction:false` turns it off.
fn dbmate_transaction(path: &Path, options: &str, diags: &mut Vec<Diagnostic>) -> bool {
    let mut tx = true;
    for opt in options.split_whitespace() {
        match opt.to_ascii_lowercase().as_str() {
            "transaction:false" => tx = false,
            "transaction:true" => {}
            _ => diags.push(Diagnostic::new(path, Problem::BadDbmateOption(opt.into()))),
        }
    }
    tx
}

/// An UP file with an optional DOWN file beside it (up-down pairs, Diesel, Flyway).
pub struct TwoFiles<'a> {
    pub layout: Layout,
    pub up: &'a Source,
    pub down: Option<&'a Source>,
    /// A settings file that can turn the transaction off (Diesel's `metadata.toml`, Flyway's
    /// `.sql.conf`), already read: its text and whether it turned it off.
    pub settings: Option<(&'a Source, bool)>,
}

pub fn two_files(
    f: &TwoFiles<'_>,
    named: &Named,
    diags: &mut Vec<Diagnostic>,
) -> Option<Migration> {
    let errors_before = count_errors(diags);
    // Without a version the files are still read, so their other problems show in this run.
    let version = named_version(f.up, named, diags);
    let gates = header::elsewhere(&f.up.path, &f.up.text, f.layout, Elsewhere::Up, diags);
    if let Some(d) = f.down {
        header::elsewhere(&d.path, &d.text, f.layout, Elsewhere::Down, diags);
    }
    let (up_from, up_no_tx) = no_transaction_line(&f.up.text);
    let sections = sections::read(&f.up.path, &f.up.text, up_from, Rules::UpFile, diags);
    let mut checksum = Hasher::default();
    checksum.update(f.up.text.as_bytes());
    let mut down_tx = true;
    let down = f.down.and_then(|d| {
        checksum.update(b"\0").update(d.text.as_bytes());
        let (from, no_tx) = no_transaction_line(&d.text);
        down_tx = !no_tx;
        // An empty or comment-only DOWN file is a rollback that changes nothing: the tools
        // run it and forget the version.
        sections::read(&d.path, &d.text, from, Rules::DownFile, diags).up
    });
    let settings_tx = match f.settings {
        Some((src, off)) => {
            checksum.update(b"\0").update(src.text.as_bytes());
            !off
        }
        None => true,
    };
    // Flyway decides for each file, its undo file too, from the statements it holds.
    let flyway_tx = |part: Option<&Part>| {
        f.layout != Layout::Flyway
            || !part.is_some_and(|p| {
                p.sql()
                    .is_ok_and(|sql| sql.statements().any(|s| flyway_autocommit(s.sql)))
            })
    };
    let up_tx = !up_no_tx && settings_tx && flyway_tx(sections.up.as_ref());
    let down_tx = down_tx && settings_tx && flyway_tx(down.as_ref());
    let parts = Parts {
        sections,
        down,
        up_tx,
        down_tx,
    };
    let m = assemble(
        f.up,
        named,
        version?,
        f.layout,
        Meta {
            gates,
            ..Meta::default()
        },
        parts,
        checksum,
        diags,
    )?;
    (count_errors(diags) == errors_before).then_some(m)
}

/// Whether Flyway's PostgreSQL parser marks the statement as one that cannot run in a
/// transaction, which makes Flyway run its whole migration outside one: `CREATE`/`DROP
/// DATABASE`, `TABLESPACE` or `SUBSCRIPTION`, `ALTER SYSTEM`, `CREATE [UNIQUE] INDEX
/// CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `REINDEX [VERBOSE] SCHEMA|DATABASE|SYSTEM`,
/// `VACUUM` and `DISCARD ALL`. Flyway matches these words at the start and nothing else:
/// `REINDEX INDEX CONCURRENTLY` stays in the transaction, where the server refuses it.
fn flyway_autocommit(sql: &str) -> bool {
    let w = crate::sql::leading_words(sql, 4);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    matches!(
        w.as_slice(),
        [
            "CREATE" | "DROP",
            "DATABASE" | "TABLESPACE" | "SUBSCRIPTION",
            ..
        ] | ["ALTER", "SYSTEM", ..]
            | ["CREATE" | "DROP", "INDEX", "CONCURRENTLY", ..]
            | ["CREATE" | "DROP", "UNIQUE", "INDEX", "CONCURRENTLY"]
            | ["REINDEX", "SCHEMA" | "DATABASE" | "SYSTEM", ..]
            | ["REINDEX", "VERBOSE", "SCHEMA" | "DATABASE" | "SYSTEM", ..]
            | ["VACUUM", ..]
            | ["DISCARD", "ALL", ..]
    )
}

/// sqlx's `-- no-transaction` first line: where the SQL starts and whether it was there.
fn no_transaction_line(text: &str) -> (usize, bool) {
    // sqlx looks at the file's first bytes only: `sql.starts_with("-- no-transaction")`.
    let first = text.split_inclusive('\n').next().unwrap_or("");
    if first.starts_with("-- no-transaction") {
        (first.len(), true)
    } else {
        (0, false)
    }
}

fn named_version(src: &Source, named: &Named, diags: &mut Vec<Diagnostic>) -> Option<Version> {
    if named.version.is_none() {
        diags.push(Diagnostic::new(&src.path, Problem::NoVersion));
    }
    named.version.clone()
}

fn count_errors(diags: &[Diagnostic]) -> usize {
    diags.iter().filter(|d| d.is_error()).count()
}

struct Parts {
    sections: Sections,
    /// The DOWN part when it comes from a file of its own.
    down: Option<Part>,
    up_tx: bool,
    down_tx: bool,
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    src: &Source,
    named: &Named,
    version: Version,
    layout: Layout,
    mut meta: Meta,
    parts: Parts,
    checksum: Hasher,
    diags: &mut Vec<Diagnostic>,
) -> Option<Migration> {
    let Parts {
        sections: mut s,
        down,
        up_tx,
        down_tx,
    } = parts;
    // Nothing was read, so "empty" or "comments only" would be a second, false error.
    if s.failed {
        return None;
    }
    // dbmate runs a `-- migrate:up` section that holds only comments and records its version:
    // a phase that changes nothing, as a real project ships one.
    let empty_runs = layout == Layout::Dbmate && s.up.is_some();
    if !s.any_statement && s.checks.is_empty() && !empty_runs {
        let problem = if src.text.trim().is_empty() {
            Problem::Empty
        } else {
            Problem::CommentsOnly
        };
        diags.push(Diagnostic::new(&src.path, problem));
        return None;
    }
    let Some(mut up) = s.up.filter(|p| p.count() > 0 || empty_runs) else {
        diags.push(Diagnostic::new(&src.path, Problem::EmptyUp));
        return None;
    };
    up.transactional = up_tx;
    let batch = super::batch::find(&src.path, &src.text, &s.steps, &up, &s.checks, diags);
    // Each batch commits on its own, so the phase's other statements do too.
    if batch.is_some() {
        up.transactional = false;
        up.wrapped = Box::default();
    }
    let mut down = down.or(s.down);
    if let Some(d) = &mut down {
        d.transactional = down_tx;
    }
    let name = if named.name.is_empty() {
        meta.title.clone().unwrap_or_default()
    } else {
        named.name.clone()
    };
    let part_checksums = PartChecksums {
        up: checksum::of(up.text.as_deref().unwrap_or_default()),
        down: down
            .as_ref()
            .map(|d| checksum::of(d.text.as_deref().unwrap_or_default())),
        verify: s.verify.as_deref().map(checksum::of),
    };
    // A plan holds thousands of migrations: none keeps spare capacity.
    s.steps.shrink_to_fit();
    s.checks.shrink_to_fit();
    meta.depends.shrink_to_fit();
    meta.requires.shrink_to_fit();
    Some(Migration {
        version,
        name,
        file: src.path.clone(),
        layout,
        meta,
        up,
        down,
        steps: s.steps,
        batch: batch.map(Box::new),
        checks: s.checks,
        checksum: checksum.finish(),
        part_checksums,
        fingerprint: None,
    })
}
