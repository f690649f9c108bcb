//! The DOWN as the history keeps it, so that a rollback whose file is gone runs it as its
//! tool would have. A dbmate DOWN keeps its `-- migrate:down` markers: each section runs in
//! a transaction of its own unless its marker says `transaction:false`, as dbmate's
//! `Rollback` runs them, whatever the UP did. Other layouts keep the DOWN's text as written.

use std::borrow::Cow;
use std::path::PathBuf;

use super::formats::dbmate_sections;
use super::sections::{Kind, classify};
use super::{Layout, Part, Sql, Stmt};
use crate::sql::{self, Item, SplitOptions};

const MARKER: &str = "-- migrate:down";
const WITHOUT_TRANSACTION: &str = "transaction:false";

/// The text the history keeps for `down`, a DOWN of a `layout` migration.
pub(super) fn down_text(layout: Layout, down: Sql<'_>) -> Cow<'_, str> {
    if layout != Layout::Dbmate {
        return Cow::Borrowed(down.text);
    }
    let part = down.part;
    let whole = [0];
    let starts: &[usize] = if part.section_starts.is_empty() {
        &whole
    } else {
        &part.section_starts
    };
    let mut out = String::with_capacity(down.text.len() + starts.len() * 40);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(down.text.len());
        let first = part.statements.iter().position(|s| s.sql.start >= start);
        let transactional = if starts.len() == 1 {
            part.transactional
        } else {
            // A section runs in a transaction when its statements are one of the ranges
            // wrapped in one; one without statements runs nothing either way.
            first.is_none_or(|f| part.wrapped_at(f).is_some())
        };
        out.push_str(MARKER);
        if !transactional {
            out.push(' ');
            out.push_str(WITHOUT_TRANSACTION);
        }
        out.push('\n');
        out.push_str(&down.text[start..end]);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Cow::Owned(out)
}

/// The DOWN a history row kept, ready to run: its dbmate sections with their transactions,
/// or, for any other text, its statements in one transaction when `transactional`. `None`
/// when the text cannot be split.
pub fn down_from_history(text: &str, file: PathBuf, transactional: bool) -> Option<Part> {
    let is_marker = |c: &str| matches!(classify(c), Some(Kind::MigrateDown(_)));
    let items = sql::split_items(text, 0, SplitOptions::default(), &is_marker).ok()?;
    let mut options: Vec<String> = Vec::new();
    let mut sizes: Vec<usize> = Vec::new();
    let mut statements = Vec::new();
    for item in items {
        match item {
            Item::Marker(m) => {
                if let Some(Kind::MigrateDown(opts)) = classify(m.text(text)) {
                    options.push(opts.to_string());
                    sizes.push(0);
                }
            }
            Item::Statement(s) => {
                if let Some(size) = sizes.last_mut() {
                    *size += 1;
                }
                statements.push(Stmt {
                    line: s.line,
                    sql: s.span,
                    copy_data: s.copy_data,
                });
            }
        }
    }
    let sectioned = !options.is_empty() && sizes.iter().sum::<usize>() == statements.len();
    let (transactional, wrapped) = if sectioned {
        dbmate_sections(&file, &options, &sizes, &mut Vec::new())
    } else {
        (transactional, Box::default())
    };
    let statements = statements.into_iter().collect();
    let mut part = Part::new(file, text.to_string(), transactional, statements);
    part.wrapped = wrapped;
    Some(part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::dir::single;
    use crate::plan::formats::Source;

    fn dbmate_down(text: &str) -> String {
        let src = Source {
            path: PathBuf::from("20240101000000_x.sql"),
            text: text.to_string(),
        };
        let (layout, m) = single(&src, &mut Vec::new());
        let m = m.expect("the file reads");
        let read = m.read().expect("its text is held");
        assert_eq!(layout, Layout::Dbmate);
        read.stored_down().expect("a DOWN").into_owned()
    }

    #[test]
    fn a_dbmate_down_keeps_its_sections_and_their_transactions() {
        let stored = dbmate_down(
            "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n\n\
             -- migrate:up transaction:false\nCREATE TABLE b (id int);\n\
             -- migrate:down transaction:false\nDROP TABLE b;\nDROP TABLE c;\n\n\
             -- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n",
        );
        assert_eq!(
            stored,
            "-- migrate:down\nDROP TABLE a;\n\n\
             -- migrate:down transaction:false\nDROP TABLE b;\nDROP TABLE c;\n\n\
             -- migrate:down\nSELECT 2;\n"
        );
        let part = down_from_history(&stored, PathBuf::new(), true).expect("it splits");
        assert_eq!(part.count(), 4);
        assert!(!part.transactional);
        assert_eq!(&*part.wrapped, &[0..1, 3..4]);
    }

    #[test]
    fn one_dbmate_section_keeps_its_own_transaction_setting() {
        let stored = dbmate_down(
            "-- migrate:up\nCREATE TABLE a (id int);\n\
             -- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n",
        );
        assert_eq!(
            stored,
            "-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY i;\n"
        );
        let part = down_from_history(&stored, PathBuf::new(), true).expect("it splits");
        assert!(!part.transactional && part.wrapped.is_empty());
    }

    #[test]
    fn other_text_runs_as_the_row_says() {
        let part = down_from_history("DROP TABLE a;\nDROP TABLE b;\n", PathBuf::new(), true)
            .expect("it splits");
        assert!(part.transactional && part.wrapped.is_empty());
        assert_eq!(part.count(), 2);
    }
}
