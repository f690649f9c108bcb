//! `pgstep::sql::scan` on arbitrary text: it must never panic, and the pieces it reports must
//! be in order, non-overlapping, on character boundaries and inside the scanned range.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run split fuzz/seeds/split` (from the repository root).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pgstep::sql::{self, Item, Piece, SplitError, SplitOptions, Statement};

/// pgstep's own section markers, as the native reader recognises them.
fn pgstep_marker(comment: &str) -> bool {
    let body = comment.strip_prefix("--").unwrap_or(comment).trim();
    let lower = body.to_ascii_lowercase();
    lower == "down"
        || lower == "verify"
        || lower.starts_with("step:")
        || lower.starts_with("check:")
        || lower.starts_with("expect:")
        || lower.starts_with("migrate:")
}

fn every_comment(_: &str) -> bool {
    true
}

fn no_comment(_: &str) -> bool {
    false
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Whether `text[range]` holds only whitespace, or a COPY data terminator line (`\.`) and
/// whitespace: the one non-whitespace text that no piece covers.
fn is_gap(text: &str, range: std::ops::Range<usize>, after_copy: bool) -> bool {
    let gap = &text.as_bytes()[range];
    if gap.iter().all(|&b| is_space(b)) {
        return true;
    }
    after_copy && {
        let rest = gap.strip_prefix(b"\\.").unwrap_or(gap);
        rest.len() < gap.len() && rest.iter().all(|&b| is_space(b))
    }
}

/// Scans `text[from..]`, checks every piece, and returns the result with the statements.
fn check_scan(
    text: &str,
    from: usize,
    options: SplitOptions,
    is_marker: &dyn Fn(&str) -> bool,
) -> (Result<(), SplitError>, Vec<Statement>) {
    let len = text.len();
    let mut pieces = Vec::new();
    let result = sql::scan(text, from, options, is_marker, &mut |p| pieces.push(p));
    // Each piece on its own: inside the text, on character boundaries, of the right kind.
    let valid = |start: usize, end: usize, what: &str| {
        assert!(
            from <= start && start <= end && end <= len,
            "{what} {start}..{end} outside {from}..{len}"
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "{what} {start}..{end} is not on character boundaries"
        );
    };
    for piece in &pieces {
        match piece {
            Piece::Statement(s) => {
                valid(s.span.start, s.span.end, "statement");
                assert!(!s.span.is_empty(), "empty statement at {}", s.span.start);
                assert!(
                    !is_space(text.as_bytes()[s.span.start]),
                    "statement at {} starts with whitespace",
                    s.span.start
                );
                assert_eq!(s.line, sql::line_of(text, s.span.start), "statement line");
                if let Some(data) = &s.copy_data {
                    valid(data.start, data.end, "COPY data");
                }
            }
            Piece::Marker(m) => {
                valid(m.span.start, m.span.end, "marker");
                let marker = &text[m.span.clone()];
                assert!(marker.starts_with("--"), "marker {marker:?}");
                assert!(is_marker(marker), "marker {marker:?} was not asked for");
                assert_eq!(m.line, sql::line_of(text, m.span.start), "marker line");
            }
            Piece::Comment(r) => {
                valid(r.start, r.end, "comment");
                let comment = &text[r.clone()];
                assert!(
                    comment.starts_with("--") || comment.starts_with("/*"),
                    "comment {comment:?}"
                );
            }
            Piece::Terminator(at) => {
                valid(*at, at + 1, "terminator");
                assert_eq!(text.as_bytes()[*at], b';', "terminator at {at}");
            }
        }
    }

    // The ranges the pieces cover. A `COPY ... FROM stdin` statement comes just before its
    // `;` and carries the data that follows the `;`: the data range goes after the terminator.
    let mut ranges: Vec<(usize, usize, &str)> = Vec::new();
    let mut data_after_terminator = None;
    for piece in &pieces {
        match piece {
            Piece::Statement(s) => {
                ranges.push((s.span.start, s.span.end, "statement"));
                data_after_terminator = s.copy_data.clone();
            }
            Piece::Marker(m) => ranges.push((m.span.start, m.span.end, "marker")),
            Piece::Comment(r) => ranges.push((r.start, r.end, "comment")),
            Piece::Terminator(at) => {
                ranges.push((*at, at + 1, "terminator"));
                if let Some(data) = data_after_terminator.take() {
                    ranges.push((data.start, data.end, "COPY data"));
                }
            }
        }
    }
    // A COPY ended by the end of the text has no terminator and no data.
    if let Some(data) = data_after_terminator {
        ranges.push((data.start, data.end, "COPY data"));
    }

    // In order, not overlapping, and (when the scan succeeded) leaving only whitespace and
    // COPY's `\.` lines uncovered.
    let mut cursor = from;
    let mut after_copy = false;
    for &(start, end, what) in &ranges {
        assert!(
            cursor <= start,
            "{what} {start}..{end} out of order or overlapping (previous end {cursor})"
        );
        if result.is_ok() {
            assert!(
                is_gap(text, cursor..start, after_copy),
                "text {cursor}..{start} belongs to no piece: {:?}",
                &text[cursor..start]
            );
        }
        after_copy = what == "COPY data";
        cursor = end;
    }
    match &result {
        Ok(()) => assert!(
            is_gap(text, cursor..len, after_copy),
            "text {cursor}..{len} belongs to no piece: {:?}",
            &text[cursor..]
        ),
        Err(e) => {
            let lines = text.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
            assert!(
                (1..=lines).contains(&e.line()),
                "error line {} outside 1..={lines}: {e}",
                e.line()
            );
            let _ = (e.to_string(), e.column(), e.hint());
        }
    }

    let statements: Vec<_> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Statement(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    match sql::split_items(text, from, options, is_marker) {
        Ok(items) => {
            let from_items: Vec<_> = items
                .iter()
                .filter_map(|i| match i {
                    Item::Statement(s) => Some(s.clone()),
                    Item::Marker(_) => None,
                })
                .collect();
            assert_eq!(from_items, statements, "split_items and scan disagree");
        }
        Err(e) => assert_eq!(result, Err(e), "split_items and scan disagree"),
    }
    (result, statements)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // After the first line, as the native reader starts after its header.
    let second_line = text.find('\n').map_or(text.len(), |i| i + 1);
    for scs in [true, false] {
        let options = SplitOptions {
            standard_conforming_strings: scs,
        };
        for (from, is_marker) in [
            (0, &pgstep_marker as &dyn Fn(&str) -> bool),
            (0, &every_comment),
            (second_line, &no_comment),
        ] {
            // Errors are fine here; `check_scan` has checked them.
            let _ = check_scan(text, from, options, is_marker);
        }
    }
    // `split` is `scan` without markers, its statements kept.
    let (result, statements) = check_scan(text, 0, SplitOptions::default(), &no_comment);
    match sql::split(text) {
        Ok(split) => {
            assert!(result.is_ok(), "split succeeded where scan failed");
            assert_eq!(split, statements, "split and scan disagree");
        }
        Err(e) => assert_eq!(result, Err(e), "split and scan disagree"),
    }
});
