//! Finding the migrations in a directory, telling its layout, and reading every file.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::diag::{Diagnostic, Problem};
use super::formats::{self, Named, Source, TwoFiles};
use super::sections;
use super::{Keep, Layout, Migration, Version};
use crate::files::{self, FileError};
use crate::sql::LineIndex;

pub struct Read {
    pub layout: Option<Layout>,
    pub migrations: Vec<Migration>,
    /// The versions, and files, of the migrations that could not be read.
    pub unread: Vec<(Version, PathBuf)>,
}

/// One migration's files, found by name before any is read.
#[derive(Debug)]
enum Candidate {
    /// `NNN_name.sql`: native, or dbmate if it holds `-- migrate:up`.
    Single(PathBuf),
    Pair {
        up: Option<PathBuf>,
        down: Option<PathBuf>,
    },
    Diesel(PathBuf),
    Flyway {
        versioned: Option<PathBuf>,
        undo: Option<PathBuf>,
    },
}

fn is_loop(e: &io::Error) -> bool {
    // ELOOP on Linux and on the BSDs/macOS.
    matches!(e.raw_os_error(), Some(40) | Some(62)) && cfg!(unix)
}

fn io_problem(e: &io::Error) -> Problem {
    if is_loop(e) {
        Problem::SymlinkLoop
    } else if e.kind() == io::ErrorKind::NotFound {
        Problem::Unreadable("broken symbolic link or file removed while reading".into())
    } else {
        Problem::Unreadable(e.to_string())
    }
}

pub fn read(dir: &Path, keep: Keep, diags: &mut Vec<Diagnostic>) -> Read {
    let empty = Read {
        layout: None,
        migrations: Vec::new(),
        unread: Vec::new(),
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            diags.push(Diagnostic::new(dir, Problem::NotADirectory));
            return empty;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            diags.push(Diagnostic::new(dir, Problem::NoDirectory));
            return empty;
        }
        Err(e) => {
            diags.push(Diagnostic::new(dir, io_problem(&e)));
            return empty;
        }
    }
    let candidates = match find(dir, diags) {
        Ok(c) => c,
        Err(e) => {
            diags.push(Diagnostic::new(dir, io_problem(&e)));
            return empty;
        }
    };
    let (migrations, found) = load_all(&files::Folder::open(dir), &candidates, keep);
    let mut layouts: BTreeMap<Layout, PathBuf> = BTreeMap::new();
    let mut unread = Vec::new();
    for (layout, path, d, version) in found {
        if let Some(v) = version {
            unread.push((v, path.clone()));
        }
        if let Some(layout) = layout {
            layouts.entry(layout).or_insert(path);
        }
        diags.extend(d);
    }
    if layouts.len() > 1 {
        let list = layouts
            .iter()
            .map(|(l, p)| format!("{} ({})", l.name(), p.display()))
            .collect::<Vec<_>>()
            .join(", ");
        diags.push(Diagnostic::new(dir, Problem::MixedLayouts(list)));
        return empty;
    }
    Read {
        layout: layouts.into_keys().next(),
        migrations,
        unread,
    }
}

/// The directory's layout from its names and at most one file's text, without reading the
/// migrations: enough to tell where pgstep's history belongs before the plan is read. A
/// mixed or unreadable directory is refused when the plan is read; here it gives its first
/// layout found, or none.
pub fn layout(dir: &Path) -> Option<Layout> {
    let candidates = find(dir, &mut Vec::new()).ok()?;
    candidates.iter().find_map(|c| match c {
        Candidate::Pair { .. } => Some(Layout::UpDown),
        Candidate::Diesel(_) => Some(Layout::Diesel),
        Candidate::Flyway { .. } => Some(Layout::Flyway),
        Candidate::Single(path) => {
            let text = files::read_text(path, files::max_size()).ok()?;
            Some(if sections::has_migrate_up(&text) {
                Layout::Dbmate
            } else {
                Layout::Native
            })
        }
    })
}

/// Lists the directory and groups its files into candidates, by name alone.
fn find(dir: &Path, diags: &mut Vec<Diagnostic>) -> io::Result<Vec<Candidate>> {
    let mut names: Vec<(String, PathBuf, Option<bool>)> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            let path = entry.path();
            diags.push(Diagnostic::new(
                &path,
                Problem::Unreadable("file name is not UTF-8".into()),
            ));
            continue;
        };
        if !name.starts_with('.') {
            // The entry's own type costs no system call; only links need following.
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => None,
                Ok(t) => Some(t.is_dir()),
                Err(_) => None,
            };
            names.push((name, entry.path(), is_dir));
        }
    }
    // A directory's names are unique: ordered by name alone, without a stable sort's
    // scratch copy of 20,000 entries.
    names.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut singles = Vec::new();
    let mut pairs: BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)> = BTreeMap::new();
    let mut flyway: FlywayFiles = BTreeMap::new();
    let mut diesel = Vec::new();
    let mut folders = Vec::new();
    for (name, path, is_dir) in names {
        let linked = is_dir.is_none();
        let is_dir = match is_dir {
            Some(d) => d,
            None => match fs::metadata(&path) {
                Ok(m) => m.is_dir(),
                Err(e) => {
                    diags.push(Diagnostic::new(&path, io_problem(&e)));
                    continue;
                }
            },
        };
        if is_dir {
            if path.join("up.sql").exists() {
                diesel.push(path);
            } else if formats::split_stem(&name).is_some() && path.join("down.sql").exists() {
                diags.push(Diagnostic::new(&path, Problem::DieselNoUp(name)));
            } else if !linked {
                // Flyway scans its location's folders too; a linked folder is not followed,
                // so a link cannot make the scan loop.
                folders.push(path);
            }
            continue;
        }
        let Some(stem) = name.strip_suffix(".sql") else {
            continue;
        };
        if let Some(s) = stem.strip_suffix(".up") {
            pairs.entry(s.to_string()).or_default().0 = Some(path);
        } else if let Some(s) = stem.strip_suffix(".down") {
            pairs.entry(s.to_string()).or_default().1 = Some(path);
        } else if let Some((kind, version)) = flyway_name(stem) {
            add_flyway(&mut flyway, kind, version, path, diags);
        } else {
            singles.push(path);
        }
    }
    for folder in folders {
        flyway_folder(&folder, &mut flyway, diags);
    }
    // Diesel reads only directories and Flyway only its own names: a helper script beside
    // their migrations is not one, for them or for pgstep. A file whose name starts with a
    // version looks like another layout's migration, and still makes the directory a mix:
    // ignoring it could leave out what its author meant to run.
    let ignored = match (diesel.is_empty(), flyway.is_empty()) {
        (false, true) => Some("Diesel reads only migration directories (<version>_<name>/up.sql)"),
        (true, false) => Some("not a Flyway migration name (V<version>__<description>.sql)"),
        _ => None,
    };
    if let Some(why) = ignored {
        let versioned = |p: &PathBuf| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            formats::split_stem(name.strip_suffix(".sql").unwrap_or(&name)).is_some()
        };
        singles.retain(|path| {
            let keep = versioned(path);
            if !keep {
                diags.push(Diagnostic::new(path, Problem::Ignored(why)));
            }
            keep
        });
    }
    let mut out: Vec<Candidate> = singles.into_iter().map(Candidate::Single).collect();
    out.extend(
        pairs
            .into_values()
            .map(|(up, down)| Candidate::Pair { up, down }),
    );
    out.extend(diesel.into_iter().map(Candidate::Diesel));
    out.extend(
        flyway
            .into_values()
            .map(|(versioned, undo)| Candidate::Flyway { versioned, undo }),
    );
    Ok(out)
}

type FlywayFiles = BTreeMap<String, (Option<PathBuf>, Option<PathBuf>)>;

fn add_flyway(
    flyway: &mut FlywayFiles,
    kind: char,
    version: String,
    path: PathBuf,
    diags: &mut Vec<Diagnostic>,
) {
    let slot = flyway.entry(version.clone()).or_default();
    let slot = if kind != 'U' {
        &mut slot.0
    } else {
        &mut slot.1
    };
    // Files are keyed by version, so a second one would silently replace the first.
    match slot {
        Some(first) => diags.push(Diagnostic::new(
            &path,
            Problem::DuplicateVersion {
                version,
                other: first.clone(),
            },
        )),
        None => *slot = Some(path),
    }
}

/// The Flyway migrations of a folder below the directory and of every folder below it, as
/// Flyway's file-system scanner finds them: hidden folders skipped, other files ignored.
fn flyway_folder(dir: &Path, flyway: &mut FlywayFiles, diags: &mut Vec<Diagnostic>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::new(dir, io_problem(&e)));
            return;
        }
    };
    let mut found: Vec<(String, PathBuf, bool)> = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !(is_dir && name.starts_with('.')) {
            found.push((name, entry.path(), is_dir));
        }
    }
    found.sort();
    for (name, path, is_dir) in found {
        if is_dir {
            flyway_folder(&path, flyway, diags);
        } else if let Some((kind, version)) = name.strip_suffix(".sql").and_then(flyway_name) {
            add_flyway(flyway, kind, version, path, diags);
        }
    }
}

/// `V1_1__name` → ('V', "1.1"); `R__name` → ('R', "R__name"), the repeatable migration's
/// version. Flyway writes `_` for `.` in versions.
fn flyway_name(stem: &str) -> Option<(char, String)> {
    let kind = stem
        .chars()
        .next()
        .filter(|c| matches!(c, 'V' | 'U' | 'R'))?;
    let (version, description) = stem[1..].split_once("__")?;
    if kind == 'R' {
        let repeatable = version.is_empty() && !description.is_empty();
        return repeatable.then(|| ('R', stem.to_string()));
    }
    let version = version.replace('_', ".");
    Version::parse(&version).map(|_| (kind, version))
}

/// What reading one candidate found besides its migration: the layout its files tell, the
/// path that names it, and its problems.
type Found = (Option<Layout>, PathBuf, Vec<Diagnostic>, Option<Version>);

/// The version a candidate's names give, for one that could not be read: a second migration
/// with that version is then reported in the same run.
fn named_version(c: &Candidate) -> Option<Version> {
    match c {
        Candidate::Single(path) => named_from(path, ".sql")
            .version
            .or_else(|| dbmate_named(path).version),
        Candidate::Pair { up, .. } => named_from(up.as_ref()?, ".up.sql").version,
        Candidate::Diesel(dir) => diesel_named(dir).version,
        Candidate::Flyway { versioned, .. } => {
            let name = versioned
                .as_ref()?
                .file_name()?
                .to_string_lossy()
                .into_owned();
            let (_, version) = flyway_name(name.strip_suffix(".sql")?)?;
            Version::parse(&version)
        }
    }
}

/// Reads and parses every candidate, spread over the machine's cores. Each migration is
/// written straight into its slot, so a large plan is never in memory twice.
fn load_all(
    folder: &files::Folder,
    candidates: &[Candidate],
    keep: Keep,
) -> (Vec<Migration>, Vec<Found>) {
    let mut migrations: Vec<Option<Migration>> = candidates.iter().map(|_| None).collect();
    let mut found: Vec<Option<Found>> = candidates.iter().map(|_| None).collect();
    let workers = crate::cores::workers(candidates.len(), 64);
    if workers <= 1 {
        load_into(folder, candidates, keep, &mut migrations, &mut found);
    } else {
        let chunk = candidates.len().div_ceil(workers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .chunks(chunk)
                .zip(migrations.chunks_mut(chunk))
                .zip(found.chunks_mut(chunk))
                .map(|((c, m), f)| scope.spawn(move || load_into(folder, c, keep, m, f)))
                .collect();
            for h in handles {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            }
        });
    }
    // Collected in place: the slots' buffer becomes the plan's.
    #[expect(
        clippy::filter_map_identity,
        reason = "flatten() collects into a new, growing buffer"
    )]
    let migrations = migrations.into_iter().filter_map(|m| m).collect();
    (migrations, found.into_iter().flatten().collect())
}

fn load_into(
    folder: &files::Folder,
    candidates: &[Candidate],
    keep: Keep,
    migrations: &mut [Option<Migration>],
    found: &mut [Option<Found>],
) {
    for ((c, m), f) in candidates.iter().zip(migrations).zip(found) {
        let (layout, path, mut migration, diags) = load(folder, c);
        if keep == Keep::Outline
            && let Some(m) = &mut migration
        {
            m.outline();
        }
        let version = migration.is_none().then(|| named_version(c)).flatten();
        *m = migration;
        *f = Some((layout, path, diags, version));
    }
}

type Loaded = (Option<Layout>, PathBuf, Option<Migration>, Vec<Diagnostic>);

fn load(folder: &files::Folder, c: &Candidate) -> Loaded {
    let mut diags = Vec::new();
    let (layout, path, m) = match c {
        Candidate::Single(path) => {
            let m = source(folder, path, &mut diags).map(|src| single(&src, &mut diags));
            (m.as_ref().map(|x| x.0), path.clone(), m.and_then(|x| x.1))
        }
        Candidate::Pair { up, down } => {
            let Some(up) = up else {
                let down = down.clone().unwrap_or_default();
                diags.push(Diagnostic::new(&down, Problem::OrphanDown));
                return (Some(Layout::UpDown), down, None, diags);
            };
            let named = named_from(up, ".up.sql");
            let m = two(
                folder,
                Layout::UpDown,
                up,
                down.as_deref(),
                None,
                &named,
                &mut diags,
            );
            (Some(Layout::UpDown), up.clone(), m)
        }
        Candidate::Diesel(dir) => {
            let named = diesel_named(dir);
            let down = dir.join("down.sql");
            let down = down.exists().then_some(down);
            let meta = dir.join("metadata.toml");
            let settings = meta.exists().then_some(meta);
            let up = dir.join("up.sql");
            let m = two(
                folder,
                Layout::Diesel,
                &up,
                down.as_deref(),
                settings.as_deref(),
                &named,
                &mut diags,
            );
            (Some(Layout::Diesel), up, m)
        }
        Candidate::Flyway { versioned, undo } => {
            let Some(v) = versioned else {
                let undo = undo.clone().unwrap_or_default();
                diags.push(Diagnostic::new(&undo, Problem::OrphanUndo));
                return (Some(Layout::Flyway), undo, None, diags);
            };
            let stem = v.file_name().map(|n| n.to_string_lossy().into_owned());
            let stem = stem.unwrap_or_default();
            let stem = stem.trim_end_matches(".sql");
            let named = match (flyway_name(stem), stem.split_once("__")) {
                (Some((_, version)), Some((_, name))) => Named {
                    version: Version::parse(&version),
                    name: name.to_string(),
                },
                _ => Named {
                    version: None,
                    name: String::new(),
                },
            };
            let conf = PathBuf::from(format!("{}.conf", v.display()));
            let settings = conf.exists().then_some(conf);
            let m = two(
                folder,
                Layout::Flyway,
                v,
                undo.as_deref(),
                settings.as_deref(),
                &named,
                &mut diags,
            );
            (Some(Layout::Flyway), v.clone(), m)
        }
    };
    (layout, path, m, diags)
}

/// Reads a migration's files again, found by the rules that found them first.
pub fn reread(m: &Migration) -> Result<Migration, Vec<Diagnostic>> {
    let down = m.down.as_ref().map(|d| d.file.clone());
    // A DOWN file without statements left no part, but its name follows from the UP file's.
    let sibling = |name: Option<String>| {
        let path = m.file.with_file_name(name?);
        path.exists().then_some(path)
    };
    let file_name = m.file.file_name().and_then(|n| n.to_str());
    let candidate = match m.layout {
        Layout::Native | Layout::Dbmate => Candidate::Single(m.file.clone()),
        Layout::UpDown => Candidate::Pair {
            up: Some(m.file.clone()),
            down: down.or_else(|| {
                sibling(
                    file_name
                        .and_then(|n| n.strip_suffix(".up.sql"))
                        .map(|s| format!("{s}.down.sql")),
                )
            }),
        },
        Layout::Diesel => Candidate::Diesel(m.file.parent().unwrap_or(&m.file).to_path_buf()),
        Layout::Flyway => Candidate::Flyway {
            versioned: Some(m.file.clone()),
            undo: down
                .or_else(|| sibling(file_name.and_then(|n| n.get(1..)).map(|s| format!("U{s}")))),
        },
    };
    let folder = files::Folder::open(m.file.parent().unwrap_or(Path::new(".")));
    let (_, path, again, mut diags) = load(&folder, &candidate);
    match again {
        Some(again) if !diags.iter().any(Diagnostic::is_error) => Ok(again),
        _ => {
            if diags.is_empty() {
                diags.push(Diagnostic::new(&path, Problem::ChangedSinceRead));
            }
            Err(diags)
        }
    }
}

/// A one-file migration: dbmate if it holds `-- migrate:up`, otherwise native.
pub fn single(src: &Source, diags: &mut Vec<Diagnostic>) -> (Layout, Option<Migration>) {
    if sections::has_migrate_up(&src.text) {
        let named = dbmate_named(&src.path);
        (Layout::Dbmate, formats::dbmate(src, &named, diags))
    } else {
        let named = named_from(&src.path, ".sql");
        (Layout::Native, formats::native(src, &named, diags))
    }
}

/// dbmate's version is the file name's leading digits, whatever follows them
/// (`00000000000000-initial-schema.sql`); the name is the rest, less one separator.
fn dbmate_named(path: &Path) -> Named {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    let stem = name.strip_suffix(".sql").unwrap_or(&name);
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &stem[digits..];
    let rest = rest.strip_prefix(['_', '-']).unwrap_or(rest);
    Named {
        version: Version::parse(&stem[..digits]).map(Version::textual),
        name: rest.to_string(),
    }
}

/// Diesel's version is the directory name before the first `_`, kept as text.
fn diesel_named(dir: &Path) -> Named {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let named = stem_named(&name.unwrap_or_default());
    Named {
        version: named.version.map(Version::textual),
        ..named
    }
}

fn two(
    folder: &files::Folder,
    layout: Layout,
    up: &Path,
    down: Option<&Path>,
    settings: Option<&Path>,
    named: &Named,
    diags: &mut Vec<Diagnostic>,
) -> Option<Migration> {
    // Every file is read before any is given up on, so one unreadable file does not hide
    // the problems of the others.
    let up = source(folder, up, diags);
    let down = down.map(|p| source(folder, p, diags));
    let settings = settings.map(|p| {
        source(folder, p, diags).map(|src| {
            let off = if layout == Layout::Diesel {
                diesel_no_transaction(&src, diags)
            } else {
                flyway_no_transaction(&src, diags)
            };
            (src, off)
        })
    });
    let up = up?;
    let f = TwoFiles {
        layout,
        up: &up,
        down: down.as_ref().and_then(Option::as_ref),
        settings: settings
            .as_ref()
            .and_then(|s| s.as_ref().map(|(s, off)| (s, *off))),
    };
    let m = formats::two_files(&f, named, diags);
    let unread = matches!(down, Some(None)) || matches!(settings, Some(None));
    m.filter(|_| !unread)
}

fn named_from(path: &Path, suffix: &str) -> Named {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    stem_named(name.strip_suffix(suffix).unwrap_or(&name))
}

fn stem_named(stem: &str) -> Named {
    match formats::split_stem(stem) {
        Some((version, name)) => Named {
            version: Some(version),
            name: name.to_string(),
        },
        None => Named {
            version: None,
            name: stem.to_string(),
        },
    }
}

/// Reads a file as UTF-8 text (a leading byte-order mark dropped).
fn source(folder: &files::Folder, path: &Path, diags: &mut Vec<Diagnostic>) -> Option<Source> {
    let bytes = match folder.read(path, files::max_size()) {
        Ok(b) => b,
        Err(e) => {
            let problem = match e {
                FileError::NotRegular(kind) => Problem::NotRegularFile(kind),
                FileError::TooLarge { size, limit } => Problem::TooLarge { size, limit },
                FileError::Io(e) => io_problem(&e),
            };
            diags.push(Diagnostic::new(path, problem));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            if let Some(d) = nul_byte(path, &text) {
                diags.push(d);
                return None;
            }
            Some(Source {
                path: path.to_path_buf(),
                text,
            })
        }
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let prefix = std::str::from_utf8(&bytes[..good]).unwrap_or("");
            let (line, column) = LineIndex::new(prefix).line_col(good);
            let mut d = Diagnostic::at(path, line, Problem::NotUtf8 { line, column });
            d.column = Some(column);
            diags.push(d);
            None
        }
    }
}

/// A NUL byte anywhere is refused: the server rejects it in a query, and nothing that reads
/// the file should have to tell where the text stops.
pub fn nul_byte(path: &Path, text: &str) -> Option<Diagnostic> {
    let at = memchr::memchr(0, text.as_bytes())?;
    let line = crate::sql::line_of(text, at);
    Some(Diagnostic::at(path, line, Problem::NulByte { line }))
}

/// Diesel's `metadata.toml`: `run_in_transaction = false` is its only setting.
fn diesel_no_transaction(src: &Source, diags: &mut Vec<Diagnostic>) -> bool {
    let table: toml::Table = match src.text.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| crate::sql::line_of(&src.text, s.start));
            let mut d = Diagnostic::new(&src.path, Problem::BadMetadata(e.message().to_string()));
            d.line = line;
            diags.push(d);
            return false;
        }
    };
    let mut off = false;
    for (key, value) in &table {
        match (key.as_str(), value.as_bool()) {
            ("run_in_transaction", Some(v)) => off = !v,
            ("run_in_transaction", None) => diags.push(Diagnostic::new(
                &src.path,
                Problem::BadMetadata("run_in_transaction must be true or false".into()),
            )),
            _ => diags.push(Diagnostic::new(
                &src.path,
                Problem::UnknownSetting(key.clone()),
            )),
        }
    }
    off
}

/// Flyway's per-script `V..__name.sql.conf`: `executeInTransaction=false`.
fn flyway_no_transaction(src: &Source, diags: &mut Vec<Diagnostic>) -> bool {
    let mut off = false;
    for (i, line) in src.text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let line_no = i as u32 + 1;
        match (key.trim(), value.trim()) {
            ("executeInTransaction", "false") => off = true,
            ("executeInTransaction", "true") => off = false,
            (k, _) => diags.push(Diagnostic::at(
                &src.path,
                line_no,
                Problem::UnknownSetting(k.into()),
            )),
        }
    }
    off
}
