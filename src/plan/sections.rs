//! Cutting a migration file into its parts at section markers (`-- DOWN`, `-- VERIFY`,
//! `-- Step:`, `-- Check:`, `-- Expect:`, `-- migrate:up`, `-- migrate:down`).
//!
//! Markers are found by the SQL scanner, so one inside a string, a dollar-quoted function body
//! or a block comment is SQL, not a marker.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use super::check::{Check, Expect};
use super::diag::{Diagnostic, Problem};
use super::{Part, Step, Stmt};
use crate::sql::{self, Item, Marker, SplitOptions, Statement};

/// Which markers a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// Native: `-- DOWN`, `-- VERIFY`, steps and checks.
    Native,
    /// dbmate: `-- migrate:up`, `-- migrate:down`, `-- VERIFY`, steps and checks.
    Dbmate,
    /// An UP file of a two-file layout: `-- VERIFY`, steps and checks.
    UpFile,
    /// A DOWN file of a two-file layout: plain SQL.
    DownFile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind<'a> {
    Down,
    Verify,
    Step(&'a str),
    Check(&'a str),
    Expect(&'a str),
    MigrateUp(&'a str),
    MigrateDown(&'a str),
}

pub(super) fn classify(comment: &str) -> Option<Kind<'_>> {
    let body = comment.strip_prefix("--")?.trim();
    if body.eq_ignore_ascii_case("down") {
        return Some(Kind::Down);
    }
    if body.eq_ignore_ascii_case("verify") {
        return Some(Kind::Verify);
    }
    for (word, up) in [("migrate:up", true), ("migrate:down", false)] {
        if body.len() >= word.len()
            && body.is_char_boundary(word.len())
            && body[..word.len()].eq_ignore_ascii_case(word)
        {
            let rest = &body[word.len()..];
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                let options = rest.trim();
                return Some(if up {
                    Kind::MigrateUp(options)
                } else {
                    Kind::MigrateDown(options)
                });
            }
        }
    }
    let (key, value) = body.split_once(':')?;
    let value = value.trim();
    match key.trim().to_ascii_lowercase().as_str() {
        "step" => Some(Kind::Step(value)),
        "check" => Some(Kind::Check(value)),
        "expect" => Some(Kind::Expect(value)),
        _ => None,
    }
}

/// Whether `text` holds a `-- migrate:up` marker outside strings, dollar quotes and block
/// comments, which makes the file a dbmate migration.
pub fn has_migrate_up(text: &str) -> bool {
    let is_up = |c: &str| matches!(classify(c), Some(Kind::MigrateUp(_)));
    // Every marker is also such a line, and most files have none: skip the scan for them.
    if memchr::memmem::find(text.as_bytes(), b"migrate:up").is_none()
        || !text.lines().any(|l| is_up(l.trim()))
    {
        return false;
    }
    // As dbmate writes them, the marker is the first line: nothing before it can open a
    // string or a comment, so the scan over the whole file is not needed to know.
    let start = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if start.lines().next().is_some_and(|l| is_up(l.trim())) {
        return true;
    }
    let mut seen = false;
    let scanned = sql::scan(text, 0, SplitOptions::default(), &is_up, &mut |p| {
        seen |= matches!(p, sql::Piece::Marker(_));
    });
    // A file the scanner cannot read keeps the layout its lines suggest, so its SQL error is
    // reported as its author meant the file, not as a mixed-layout error.
    seen || scanned.is_err()
}

fn allowed(rules: Rules, kind: &Kind<'_>) -> bool {
    match kind {
        Kind::Down => rules == Rules::Native,
        Kind::MigrateUp(_) | Kind::MigrateDown(_) => rules == Rules::Dbmate,
        Kind::Verify | Kind::Step(_) | Kind::Check(_) | Kind::Expect(_) => rules != Rules::DownFile,
    }
}

/// The parts of one file.
#[derive(Debug, Default)]
pub struct Sections {
    pub up: Option<Part>,
    pub down: Option<Part>,
    /// The VERIFY section's text, for its checksum.
    pub verify: Option<String>,
    pub steps: Vec<Step>,
    pub checks: Vec<Check>,
    /// Options after each `-- migrate:up` / `-- migrate:down`.
    pub up_options: Vec<String>,
    pub down_options: Vec<String>,
    /// How many statements each `-- migrate:up` / `-- migrate:down` section holds, in order.
    pub up_sizes: Vec<usize>,
    pub down_sizes: Vec<usize>,
    /// Whether any statement was found at all.
    pub any_statement: bool,
    /// The SQL could not be split; that error is already reported.
    pub failed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Up,
    Down,
    Verify,
}

struct Walker<'a, 'd> {
    path: &'a Path,
    text: &'a str,
    diags: &'d mut Vec<Diagnostic>,
    out: Sections,
    section: Section,
    section_start: usize,
    statements: Vec<Stmt>,
    seen: Vec<(Section, u32)>,
    check: Option<(Check, Vec<Statement>, bool)>,
    /// Each check name's first line, so a file of many checks is read in linear time.
    check_names: HashMap<String, u32>,
}

/// Reads `text[from..]` of the file at `path` under `rules`. Problems go to `diags`.
pub fn read(
    path: &Path,
    text: &str,
    from: usize,
    rules: Rules,
    diags: &mut Vec<Diagnostic>,
) -> Sections {
    let is_marker = |c: &str| classify(c).is_some_and(|k| allowed(rules, &k));
    let items = match sql::split_items(text, from, SplitOptions::default(), &is_marker) {
        Ok(items) => items,
        Err(e) => {
            diags.push(Diagnostic::sql(path, e));
            return Sections {
                failed: true,
                ..Sections::default()
            };
        }
    };
    let mut w = Walker {
        path,
        text,
        diags,
        out: Sections::default(),
        section: if rules == Rules::Dbmate {
            Section::Preamble
        } else {
            Section::Up
        },
        section_start: from,
        statements: Vec::new(),
        seen: Vec::new(),
        check: None,
        check_names: HashMap::new(),
    };
    for item in items {
        match item {
            Item::Statement(s) => w.statement(s),
            Item::Marker(m) => w.marker(&m),
        }
    }
    w.close(text.len());
    w.out
}

/// The byte after the marker's line end.
fn after_line(text: &str, marker: &Marker) -> usize {
    let b = text.as_bytes();
    let mut i = marker.span.end;
    if b.get(i) == Some(&b'\r') {
        i += 1;
    }
    if b.get(i) == Some(&b'\n') {
        i += 1;
    }
    i
}

impl Walker<'_, '_> {
    fn error(&mut self, line: u32, problem: Problem) {
        self.diags.push(Diagnostic::at(self.path, line, problem));
    }

    fn statement(&mut self, s: Statement) {
        self.out.any_statement = true;
        match self.section {
            Section::Preamble => self.error(s.line, Problem::BeforeMigrateUp),
            Section::Up | Section::Down => {
                let base = self.section_start;
                self.statements.push(Stmt {
                    line: s.line,
                    sql: s.span.start - base..s.span.end - base,
                    copy_data: s.copy_data.map(|r| r.start - base..r.end - base),
                });
            }
            Section::Verify => match &mut self.check {
                Some((_, stmts, _)) => stmts.push(s),
                None => self.error(s.line, Problem::QueryWithoutCheck),
            },
        }
    }

    fn marker(&mut self, m: &Marker) {
        let Some(kind) = classify(m.text(self.text)) else {
            return;
        };
        let line = m.line;
        match kind {
            Kind::Down => self.enter(Section::Down, "-- DOWN", m),
            Kind::Verify => self.enter(Section::Verify, "-- VERIFY", m),
            Kind::MigrateUp(opts) => {
                // dbmate 2 reads `-- migrate:up` after a `-- migrate:down` as the start of
                // another section: its UP runs after the first's, and so does its DOWN.
                if self.section == Section::Down {
                    self.seen
                        .retain(|(s, _)| !matches!(s, Section::Up | Section::Down));
                }
                self.out.up_options.push(opts.to_string());
                self.enter(Section::Up, "-- migrate:up", m);
            }
            Kind::MigrateDown(opts) => {
                if self.section == Section::Preamble {
                    self.error(line, Problem::NoMigrateUp);
                }
                self.out.down_options.push(opts.to_string());
                self.enter(Section::Down, "-- migrate:down", m);
            }
            Kind::Step(title) => {
                if title.is_empty() {
                    self.error(line, Problem::StepWithoutTitle);
                } else if self.section == Section::Up {
                    self.out.steps.push(Step {
                        title: title.to_string(),
                        line,
                        // Counted across dbmate's sections, whose UPs make one part.
                        first_statement: self.statements.len()
                            + self.out.up.as_ref().map_or(0, Part::count),
                    });
                } else {
                    self.error(line, Problem::StepOutsideUp);
                }
            }
            Kind::Check(name) => {
                if self.section != Section::Verify {
                    self.error(line, Problem::CheckOutsideVerify("-- Check:"));
                } else if name.is_empty() {
                    self.error(line, Problem::CheckWithoutName);
                } else {
                    self.finish_check();
                    let check = Check {
                        name: name.to_string(),
                        expect: Expect::Empty,
                        line,
                        sql_line: line,
                        sql: String::new(),
                    };
                    self.check = Some((check, Vec::new(), false));
                }
            }
            Kind::Expect(text) => {
                if self.section != Section::Verify {
                    self.error(line, Problem::CheckOutsideVerify("-- Expect:"));
                    return;
                }
                let Some(expect) = Expect::parse(text) else {
                    self.error(line, Problem::BadExpect(text.to_string()));
                    return;
                };
                match &mut self.check {
                    None => self.error(line, Problem::ExpectWithoutCheck),
                    Some((c, _, true)) => {
                        let name = c.name.clone();
                        self.error(line, Problem::DuplicateExpect { name });
                    }
                    Some((c, _, given)) => {
                        c.expect = expect;
                        *given = true;
                    }
                }
            }
        }
    }

    /// Starts `section` after marker `m`, closing the one before.
    fn enter(&mut self, section: Section, marker: &'static str, m: &Marker) {
        // Only first markers are kept, so the list stays as short as the kinds of section.
        match self.seen.iter().find(|(s, _)| *s == section) {
            Some(&(_, first)) => self.error(m.line, Problem::DuplicateMarker { marker, first }),
            None => self.seen.push((section, m.line)),
        }
        self.close(m.span.start);
        self.section = section;
        self.section_start = after_line(self.text, m);
    }

    fn close(&mut self, end: usize) {
        let end = end.max(self.section_start);
        let span: Range<usize> = self.section_start..end;
        let text = self.text[span].to_string();
        let size = self.statements.len();
        let statements = std::mem::take(&mut self.statements).into_iter().collect();
        let part = Part::new(self.path.to_path_buf(), text, true, statements);
        match self.section {
            Section::Preamble => {}
            Section::Up => {
                self.out.up_sizes.push(size);
                self.out.up = Some(joined(self.out.up.take(), part));
            }
            Section::Down => {
                self.out.down_sizes.push(size);
                self.out.down = Some(joined(self.out.down.take(), part));
            }
            Section::Verify => {
                self.finish_check();
                self.out.verify = part.text;
            }
        }
    }

    fn finish_check(&mut self) {
        let Some((mut check, stmts, _)) = self.check.take() else {
            return;
        };
        if let Some(&first) = self.check_names.get(&check.name) {
            let name = check.name.clone();
            self.error(check.line, Problem::DuplicateCheckName { name, first });
        }
        match stmts.as_slice() {
            [] => self.error(check.line, Problem::CheckWithoutSql(check.name)),
            [s] => {
                check.sql_line = s.line;
                check.sql = s.sql(self.text).to_string();
                self.check_names
                    .entry(check.name.clone())
                    .or_insert(check.line);
                self.out.checks.push(check);
            }
            many => {
                let count = many.len();
                self.error(
                    check.line,
                    Problem::CheckManyStatements {
                        name: check.name,
                        count,
                    },
                );
            }
        }
    }
}

/// `next` after `first`: one part whose text is both texts, its statements' spans moved past
/// the first text. Lines stay the file's.
fn joined(first: Option<Part>, next: Part) -> Part {
    let Some(first) = first else {
        return next;
    };
    let mut text = first.text.unwrap_or_default();
    let base = text.len();
    let shift = |r: Range<usize>| r.start + base..r.end + base;
    let statements = first
        .statements
        .iter()
        .chain(next.statements.iter().map(|s| Stmt {
            line: s.line,
            sql: shift(s.sql),
            copy_data: s.copy_data.map(shift),
        }))
        .collect();
    text.push_str(next.text.as_deref().unwrap_or_default());
    let mut starts = first.section_starts.into_vec();
    if starts.is_empty() {
        starts.push(0);
    }
    starts.push(base);
    let mut part = Part::new(next.file, text, next.transactional, statements);
    part.section_starts = starts.into();
    part
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_words() {
        assert_eq!(classify("-- DOWN"), Some(Kind::Down));
        assert_eq!(classify("--down  "), Some(Kind::Down));
        assert_eq!(classify("-- DOWN the road"), None);
        assert_eq!(classify("-- Verify"), Some(Kind::Verify));
        assert_eq!(
            classify("-- Step: Create tables"),
            Some(Kind::Step("Create tables"))
        );
        assert_eq!(
            classify("-- check:  rows kept "),
            Some(Kind::Check("rows kept"))
        );
        assert_eq!(classify("-- Expect: = 0"), Some(Kind::Expect("= 0")));
        assert_eq!(classify("-- migrate:up"), Some(Kind::MigrateUp("")));
        assert_eq!(
            classify("-- migrate:down transaction:false"),
            Some(Kind::MigrateDown("transaction:false"))
        );
        assert_eq!(classify("-- migrate:upgrade"), None);
        assert_eq!(classify("-- Create indexes"), None);
        assert_eq!(classify("-- Checked by: ops"), None);
    }

    #[test]
    fn a_migrate_up_marker_counts_only_outside_strings_and_comments() {
        assert!(has_migrate_up("-- migrate:up\nCREATE TABLE t ();\n"));
        assert!(has_migrate_up(
            "\n  -- migrate:up transaction:false\r\nVACUUM;\n"
        ));
        assert!(has_migrate_up(
            "-- a dbmate file\n-- migrate:up\nSELECT 1;\n"
        ));
        assert!(!has_migrate_up("SELECT $$\n-- migrate:up\n$$;\n"));
        assert!(!has_migrate_up("/*\n-- migrate:up\n*/ SELECT 1;\n"));
        assert!(!has_migrate_up("SELECT '\n-- migrate:up\n';\n"));
        assert!(!has_migrate_up("-- migrate:upgrade\nSELECT 1;\n"));
    }
}
