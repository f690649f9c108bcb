//! The console on a database its project's own tool migrated: each phase says whose record
//! its state comes from, and the first change asks for the tool's name, typed, after showing
//! what was read. Driven through `update` alone.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use pgstep::adopt::{InStep, Recorded, Tool, ToolHistory, ToolRow};
use pgstep::phases::{HistoryRow, PhaseState, Source};
use pgstep::plan::{self, Plan};
use pgstep::tui::action::{Action, Effect};
use pgstep::tui::app::{Adoption, App, Header, Options};
use pgstep::tui::dialog::Modal;
use pgstep::tui::keymap::Keymap;
use pgstep::tui::update::update;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn plan() -> Plan {
    plan::load(Path::new("tests/fixtures/native")).expect("fixture plan loads")
}

/// The tool's rows for the plan's first `applied` migrations.
fn recorded(plan: &Plan, applied: usize) -> Vec<ToolRow> {
    plan.migrations
        .iter()
        .take(applied)
        .map(|m| ToolRow {
            version: m.version.to_string(),
            name: Some(m.name.clone()),
            applied_at: None,
            checksum: None,
            success: true,
            execution_time_ms: Some(12),
        })
        .collect()
}

fn adoption(plan: &Plan, applied: usize, unconfirmed: bool) -> Adoption {
    let history = ToolHistory {
        tool: Tool::Dbmate,
        table: "public.schema_migrations".into(),
        recorded: Recorded::Rows(recorded(plan, applied)),
        checksums: HashMap::new(),
        in_step: InStep::default(),
    };
    Adoption {
        history,
        unconfirmed,
    }
}

/// The console after loading: the tool's history first, then pgstep's (empty).
fn console(applied: usize, unconfirmed: bool) -> App {
    console_with(applied, unconfirmed, |_| Vec::new())
}

/// The console after loading the tool's history, then pgstep's `ours`.
fn console_with(applied: usize, unconfirmed: bool, ours: impl Fn(&Plan) -> Vec<HistoryRow>) -> App {
    let plan = Arc::new(plan());
    let found = adoption(&plan, applied, unconfirmed);
    let rows = ours(&plan);
    let header = Header {
        profile: "test".into(),
        target: "localhost:5432/app".into(),
        role: "postgres".into(),
        server_version: "15.18".into(),
        environment: None,
        read_only: false,
    };
    let mut app = App::new(plan, header, Keymap::default(), Options::default());
    app.size = (120, 40);
    update(&mut app, Action::Adoption(Some(Box::new(found))));
    update(&mut app, Action::Status { rows, holder: None });
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn screen(app: &App) -> String {
    let mut terminal = ratatui::Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| pgstep::tui::ui::render(app, f)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn the_tools_record_makes_phases_applied_and_says_so() {
    let app = console(2, false);
    let states: Vec<(PhaseState, Source)> =
        app.phases.iter().map(|p| (p.state, p.source)).collect();
    assert_eq!(
        states,
        vec![
            (PhaseState::Applied, Source::Tool(Tool::Dbmate)),
            (PhaseState::Applied, Source::Tool(Tool::Dbmate)),
            (PhaseState::Pending, Source::Tool(Tool::Dbmate)),
        ],
        "with no row of pgstep's, the tool's table is what says applied"
    );
    let shown = screen(&app);
    let first = shown
        .lines()
        .find(|l| l.contains(app.phases[0].version.as_str()) && l.contains("applied"))
        .expect("the first phase's row");
    assert!(
        first.contains("dbmate"),
        "the row names its source: {first}"
    );
    assert!(
        shown.contains("state from: dbmate's table public.schema_migrations"),
        "the detail says whose record it is:\n{shown}"
    );
}

#[test]
fn the_first_change_shows_what_was_read_and_needs_the_tools_name() {
    let mut app = console(2, true);
    let effects = key(&mut app, KeyCode::Char('n'));
    assert!(effects.is_empty(), "nothing starts before the confirmation");
    assert!(
        matches!(&app.modal, Some(Modal::ConfirmAdoption { .. })),
        "{:?}",
        app.modal
    );
    let shown = screen(&app);
    for fact in [
        "migrated by dbmate",
        "public.schema_migrations",
        "2 version(s) recorded there, the newest 002",
    ] {
        assert!(shown.contains(fact), "`{fact}` missing:\n{shown}");
    }

    typed(&mut app, "sqlx");
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.modal, Some(Modal::ConfirmAdoption { hint: Some(h), .. }) if h.contains("dbmate")),
        "a wrong name is refused and the hint says what to type: {:?}",
        app.modal
    );

    typed(&mut app, "dbmate");
    let effects = key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.modal, Some(Modal::ConfirmApply { version, .. }) if version.as_str() == "010"),
        "once confirmed, the apply it stood in front of goes on: {:?}",
        app.modal
    );
    assert!(matches!(effects.as_slice(), [Effect::ApplyFacts { .. }]));

    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('n'));
    assert!(
        matches!(&app.modal, Some(Modal::ConfirmApply { .. })),
        "asked once: {:?}",
        app.modal
    );
}

#[test]
fn the_adoption_dialog_at_80x24_scrolled_to_its_end() {
    let mut app = console(2, true);
    app.size = (80, 24);
    key(&mut app, KeyCode::Char('n'));
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
    }
    let mut terminal = ratatui::Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| pgstep::tui::ui::render(&app, f)).unwrap();
    insta::assert_snapshot!("end_adoption_80x24", terminal.backend());
}

#[test]
fn esc_leaves_the_adoption_unconfirmed() {
    let mut app = console(2, true);
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Esc);
    assert!(app.modal.is_none());
    key(&mut app, KeyCode::Char('n'));
    assert!(matches!(&app.modal, Some(Modal::ConfirmAdoption { .. })));
}

#[test]
fn a_phase_the_tool_records_can_be_rolled_back_from_the_console() {
    let mut app = console(2, false);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('r'));
    assert!(
        matches!(&app.modal, Some(Modal::Rollback { version, .. }) if version.as_str() == "002"),
        "a phase only the tool records is applied, so it rolls back: {:?}",
        app.modal
    );
}

/// pgstep applied the first two phases before the tool's table appeared (empty), and has
/// not written to it since: they are applied by pgstep's record, and the detail says the
/// tool lacks them.
#[test]
fn phases_pgstep_applied_before_the_tools_table_are_applied_and_say_so() {
    let app = console_with(0, true, |plan| {
        plan.migrations
            .iter()
            .take(2)
            .map(|m| HistoryRow::recorded_by_tool(m.version.as_str(), &m.name, Some(m)))
            .collect()
    });
    let states: Vec<(PhaseState, Source)> =
        app.phases.iter().map(|p| (p.state, p.source)).collect();
    assert_eq!(
        states,
        vec![
            (PhaseState::Applied, Source::Pgstep),
            (PhaseState::Applied, Source::Pgstep),
            (PhaseState::Pending, Source::Tool(Tool::Dbmate)),
        ]
    );
    let shown = screen(&app);
    let detail: String = shown
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        detail.contains("applied by pgstep before it adopted dbmate's table; not in dbmate's"),
        "the detail says the tool lacks it:\n{shown}"
    );
}
