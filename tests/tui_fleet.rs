//! What the Fleet view draws, rendered into ratatui's `TestBackend` and compared with
//! snapshots under tests/snapshots/ at 80x24 and 120x40: failures first, a glyph per
//! phase, wave progress, the selected target's error, and the filter.

use pgstep::fleet::{Condition, Matrix, Row};
use pgstep::keys::Command;
use pgstep::phases::PhaseState::{self, *};
use pgstep::tui::fleet::{FleetView, draw};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn row(target: usize, server: &str, states: &[PhaseState], error: Option<&str>) -> Row {
    Row {
        target,
        url: format!("postgresql://app@{server}/tenant_{target:02}"),
        server: server.to_owned(),
        wave: if target == 0 { 0 } else { 1 + target / 4 },
        states: states.iter().copied().map(Some).collect(),
        condition: Condition::of(states),
        error: error.map(str::to_owned),
    }
}

fn view() -> FleetView {
    let mut rows = vec![
        row(0, "db-eu1:5432", &[Applied, Applied, Applied], None),
        row(1, "db-eu1:5432", &[Applied, Applied, Applied], None),
        row(
            2,
            "db-eu1:5432",
            &[Applied, Failed, Pending],
            Some("phase 002 failed at 002_orders.sql:1 [42P07] relation \"orders\" already exists"),
        ),
        row(3, "db-us1:5432", &[Applied, Applied, Pending], None),
        row(4, "db-us1:5432", &[Pending, Pending, Pending], None),
        row(5, "db-us1:5432", &[Applied, Drifted, Applied], None),
    ];
    rows.push(Row {
        states: vec![None, None, None],
        condition: Condition::Unreachable,
        error: Some("pgstep: cannot connect to db-ap1:5432/tenant_06: connection refused".into()),
        ..row(6, "db-ap1:5432", &[], None)
    });
    FleetView {
        name: "tenants".into(),
        matrix: Matrix {
            versions: vec!["001".into(), "002".into(), "003".into()],
            rows,
        },
        servers: 3,
        waves: 3,
        canary: true,
        selected: 0,
        filter: String::new(),
        typing: false,
    }
}

fn snapshot(name: &str, view: &FleetView, ascii: bool) {
    let mut theme = Theme::plain();
    theme.ascii = ascii;
    for (w, h) in [(80, 24), (120, 40)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal
            .draw(|f| draw::render(view, &Keymap::default(), &theme, f))
            .unwrap();
        insta::assert_snapshot!(format!("fleet_{name}_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn the_matrix_failures_first_with_the_first_ones_error() {
    snapshot("matrix", &view(), false);
}

#[test]
fn the_matrix_in_ascii_with_a_failed_target_selected() {
    let mut v = view();
    v.command(Command::Down, 10);
    snapshot("ascii_selected", &v, true);
}

#[test]
fn the_filter_being_typed() {
    let mut v = view();
    v.command(Command::Filter, 10);
    for c in "us1".chars() {
        v.type_filter(Some(c));
    }
    snapshot("filter", &v, false);
}
