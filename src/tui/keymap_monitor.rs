//! The bindings of the monitoring tabs, kept apart from the main table for its length.

use ratatui::crossterm::event::KeyCode;

use super::keymap::{Binding, Command, Context, Key, b};

/// Moving through a list: the same keys on every monitoring tab.
fn moves(context: Context) -> Vec<Binding> {
    use Command::*;
    use KeyCode as K;
    vec![
        b(
            context,
            Down,
            &[Key::ch('j'), Key::plain(K::Down)],
            "down",
            "next row",
            false,
            false,
        ),
        b(
            context,
            Up,
            &[Key::ch('k'), Key::plain(K::Up)],
            "up",
            "previous row",
            false,
            false,
        ),
        b(
            context,
            Top,
            &[Key::ch('g'), Key::plain(K::Home)],
            "top",
            "first row",
            false,
            false,
        ),
        b(
            context,
            Bottom,
            &[Key::ch('G'), Key::plain(K::End)],
            "bottom",
            "last row",
            false,
            false,
        ),
    ]
}

pub(super) fn bindings() -> Vec<Binding> {
    use Command::*;
    use Context::*;
    let mut v = moves(Indexes);
    v.extend([
        b(
            Indexes,
            CycleSort,
            &[Key::ch('s')],
            "index_sort",
            "sort by size, scans or name",
            true,
            false,
        ),
        b(
            Indexes,
            Filter,
            &[Key::ch('/')],
            "index_filter",
            "filter by table name",
            true,
            false,
        ),
        b(
            Indexes,
            CycleVerdict,
            &[Key::ch('u')],
            "index_verdict",
            "show all/unused/invalid/duplicate/covered",
            true,
            false,
        ),
        b(
            Indexes,
            DropIndex,
            &[Key::ch('x')],
            "drop_index",
            "drop an unused/invalid/duplicate/covered index",
            true,
            true,
        ),
        b(
            Indexes,
            RebuildIndex,
            &[Key::ch('b')],
            "rebuild_index",
            "rebuild an invalid index",
            true,
            true,
        ),
    ]);
    v.extend(moves(Matviews));
    v.push(b(
        Matviews,
        RefreshMatview,
        &[Key::ch('f')],
        "refresh_matview",
        "refresh the materialized view",
        true,
        true,
    ));
    v.extend(moves(Activity));
    v.extend([
        b(
            Activity,
            CancelBackend,
            &[Key::ch('C')],
            "cancel_backend",
            "cancel the blocker's statement",
            true,
            true,
        ),
        b(
            Activity,
            TerminateBackend,
            &[Key::ch('T')],
            "terminate_backend",
            "terminate the blocker's session",
            true,
            true,
        ),
    ]);
    v
}
