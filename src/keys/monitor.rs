//! The monitoring tabs' keys.

use super::Command::*;
use super::Context::*;
use super::spec::char_key as ch;
use super::{BOTTOM, DOWN, FOOTER, MUTATING, Row, TOP, UP};

pub(super) const ROWS: &[Row] = &[
    (Indexes, Down, "down", DOWN, "next row", 0),
    (Indexes, Up, "up", UP, "previous row", 0),
    (Indexes, Top, "top", TOP, "first row", 0),
    (Indexes, Bottom, "bottom", BOTTOM, "last row", 0),
    (
        Indexes,
        CycleSort,
        "index_sort",
        &[ch('s')],
        "sort by size, scans or name",
        FOOTER,
    ),
    (
        Indexes,
        Filter,
        "index_filter",
        &[ch('/')],
        "filter by table name",
        FOOTER,
    ),
    (
        Indexes,
        CycleVerdict,
        "index_verdict",
        &[ch('u')],
        "show all/unused/invalid/duplicate/covered",
        FOOTER,
    ),
    (
        Indexes,
        DropIndex,
        "drop_index",
        &[ch('x')],
        "drop an unused/invalid/duplicate/covered index",
        FOOTER | MUTATING,
    ),
    (
        Indexes,
        RebuildIndex,
        "rebuild_index",
        &[ch('b')],
        "rebuild an invalid index",
        FOOTER | MUTATING,
    ),
    (Matviews, Down, "down", DOWN, "next row", 0),
    (Matviews, Up, "up", UP, "previous row", 0),
    (Matviews, Top, "top", TOP, "first row", 0),
    (Matviews, Bottom, "bottom", BOTTOM, "last row", 0),
    (
        Matviews,
        RefreshMatview,
        "refresh_matview",
        &[ch('f')],
        "refresh the materialized view",
        FOOTER | MUTATING,
    ),
    (Activity, Down, "down", DOWN, "next row", 0),
    (Activity, Up, "up", UP, "previous row", 0),
    (Activity, Top, "top", TOP, "first row", 0),
    (Activity, Bottom, "bottom", BOTTOM, "last row", 0),
    (
        Activity,
        CycleSort,
        "session_sort",
        &[ch('s')],
        "sort by transaction age, pid, user, application, state, wait",
        FOOTER,
    ),
    (
        Activity,
        CancelBackend,
        "cancel_backend",
        &[ch('C')],
        "cancel the selected session's statement",
        FOOTER | MUTATING,
    ),
    (
        Activity,
        TerminateBackend,
        "terminate_backend",
        &[ch('T')],
        "terminate the selected session",
        FOOTER | MUTATING,
    ),
];
