//! The keys of the dialogs, the result views and the query editor.

use super::Command::*;
use super::Context::*;
use super::spec::{BACK_TAB, KeyCode as K, alt_key as alt, char_key as ch, ctrl_key as ctrl, key};
use super::{DOWN, FOOTER, Row, UP};

/// Scrolling a dialog that takes typed text: the arrows and page keys only.
const SCROLL_DOWN: &[super::KeySpec] = &[key(K::Down)];
const SCROLL_UP: &[super::KeySpec] = &[key(K::Up)];
const SCROLL_PAGE_DOWN: &[super::KeySpec] = &[key(K::PageDown)];
const SCROLL_PAGE_UP: &[super::KeySpec] = &[key(K::PageUp)];
const ESC: &[super::KeySpec] = &[key(K::Esc)];
const ENTER: &[super::KeySpec] = &[key(K::Enter)];
const CLOSE: &[super::KeySpec] = &[key(K::Esc), key(K::Enter), ch('q')];
const YES: &[super::KeySpec] = &[ch('y')];
const NO: &[super::KeySpec] = &[ch('n'), key(K::Esc)];

pub(super) const ROWS: &[Row] = &[
    (Apply, Confirm, "yes", YES, "apply", FOOTER),
    (Apply, Decline, "no", NO, "cancel", FOOTER),
    (
        Apply,
        ScrollDown,
        "scroll_down",
        SCROLL_DOWN,
        "scroll down",
        FOOTER,
    ),
    (Apply, ScrollUp, "scroll_up", SCROLL_UP, "scroll up", FOOTER),
    (
        Apply,
        ScrollPageDown,
        "scroll_page_down",
        SCROLL_PAGE_DOWN,
        "scroll a page down",
        0,
    ),
    (
        Apply,
        ScrollPageUp,
        "scroll_page_up",
        SCROLL_PAGE_UP,
        "scroll a page up",
        0,
    ),
    (Typed, Submit, "submit", ENTER, "confirm", FOOTER),
    (Typed, Back, "back", ESC, "cancel", FOOTER),
    (
        Typed,
        ScrollDown,
        "scroll_down",
        SCROLL_DOWN,
        "scroll down",
        FOOTER,
    ),
    (Typed, ScrollUp, "scroll_up", SCROLL_UP, "scroll up", FOOTER),
    (
        Typed,
        ScrollPageDown,
        "scroll_page_down",
        SCROLL_PAGE_DOWN,
        "scroll a page down",
        0,
    ),
    (
        Typed,
        ScrollPageUp,
        "scroll_page_up",
        SCROLL_PAGE_UP,
        "scroll a page up",
        0,
    ),
    (
        Reason,
        NextField,
        "next_field",
        &[key(K::Tab), BACK_TAB],
        "other field",
        FOOTER,
    ),
    (
        Reason,
        Submit,
        "submit",
        ENTER,
        "next field, then confirm",
        FOOTER,
    ),
    (Reason, Back, "back", ESC, "cancel", FOOTER),
    (
        MarkChoice,
        MarkApplied,
        "mark_applied",
        &[ch('a')],
        "applied",
        FOOTER,
    ),
    (
        MarkChoice,
        MarkPending,
        "mark_pending",
        &[ch('p')],
        "pending",
        FOOTER,
    ),
    (MarkChoice, Back, "back", ESC, "cancel", FOOTER),
    (
        InDoubt,
        InDoubtAsk,
        "in_doubt_ask",
        ENTER,
        "ask the database",
        FOOTER,
    ),
    (
        InDoubt,
        InDoubtDone,
        "in_doubt_done",
        &[ch('d')],
        "it took effect",
        FOOTER,
    ),
    (
        InDoubt,
        InDoubtRerun,
        "in_doubt_rerun",
        &[ch('r')],
        "run it again",
        FOOTER,
    ),
    (InDoubt, Back, "back", ESC, "cancel", FOOTER),
    (Question, Confirm, "yes", YES, "yes", FOOTER),
    (Question, Decline, "no", NO, "no", FOOTER),
    (Results, Down, "down", DOWN, "next check", FOOTER),
    (Results, Up, "up", UP, "previous check", 0),
    (
        Results,
        EditCheck,
        "edit_check",
        &[ch('e')],
        "edit the check, run read-only",
        FOOTER,
    ),
    (Results, Close, "close", CLOSE, "close", FOOTER),
    (DiffView, Down, "down", DOWN, "scroll down", FOOTER),
    (DiffView, Up, "up", UP, "scroll up", 0),
    (
        DiffView,
        ScrollPageDown,
        "scroll_page_down",
        SCROLL_PAGE_DOWN,
        "scroll a page down",
        0,
    ),
    (
        DiffView,
        ScrollPageUp,
        "scroll_page_up",
        SCROLL_PAGE_UP,
        "scroll a page up",
        0,
    ),
    (DiffView, Close, "close", CLOSE, "close", FOOTER),
    (
        Editor,
        RunQuery,
        "run_query",
        &[key(K::F(5)), ctrl('r')],
        "run read-only",
        FOOTER,
    ),
    (Editor, Back, "back", ESC, "back to the results", FOOTER),
    (
        Editor,
        ResultDown,
        "result_down",
        &[alt(K::Down), alt(K::PageDown)],
        "scroll the result down",
        FOOTER,
    ),
    (
        Editor,
        ResultUp,
        "result_up",
        &[alt(K::Up), alt(K::PageUp)],
        "scroll the result up",
        0,
    ),
    (HelpView, Down, "down", DOWN, "scroll down", 0),
    (HelpView, Up, "up", UP, "scroll up", 0),
    (
        HelpView,
        ScrollPageDown,
        "scroll_page_down",
        SCROLL_PAGE_DOWN,
        "scroll a page down",
        0,
    ),
    (
        HelpView,
        ScrollPageUp,
        "scroll_page_up",
        SCROLL_PAGE_UP,
        "scroll a page up",
        0,
    ),
];
