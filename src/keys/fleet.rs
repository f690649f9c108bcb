//! The Fleet view's keys (`pgstep --fleet NAME`).

use super::Command::*;
use super::Context::*;
use super::spec::{KeyCode as K, char_key as ch, ctrl_key as ctrl, key};
use super::{BOTTOM, DOWN, FOOTER, Row, TOP, UP};

pub(super) const ROWS: &[Row] = &[
    (Fleet, Down, "down", DOWN, "next target", 0),
    (Fleet, Up, "up", UP, "previous target", 0),
    (Fleet, Top, "top", TOP, "first target", 0),
    (Fleet, Bottom, "bottom", BOTTOM, "last target", 0),
    (
        Fleet,
        OpenTarget,
        "open_target",
        &[key(K::Enter)],
        "open the target's own console (q there comes back)",
        FOOTER,
    ),
    (
        Fleet,
        Filter,
        "filter",
        &[ch('/')],
        "filter by URL, server or state",
        FOOTER,
    ),
    (
        Fleet,
        Refresh,
        "refresh",
        &[ctrl('r')],
        "read every target's state again",
        FOOTER,
    ),
    (Fleet, Quit, "quit", &[ch('q')], "quit", FOOTER),
];
