//! The console while its plan is still being read, driven through `update` alone: the first
//! frame comes before the plan, so every key and result must make sense without it.

// Shared with the other console tests, which use the rest of it.
#[allow(dead_code)]
mod tui_fixtures;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pgstep::engine::{HistoryRow, PhaseState};
use pgstep::plan::{self, Plan};
use pgstep::tui::action::{Action, Effect};
use pgstep::tui::app::{App, Header, Level, Options, Tab};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::update::update;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DIR: &str = "tests/fixtures/native";

fn plan() -> Plan {
    plan::load(Path::new(DIR)).expect("fixture plan loads")
}

fn reading() -> App {
    let mut app = App::reading(
        PathBuf::from(DIR),
        3,
        Header::default(),
        Keymap::default(),
        Options::default(),
    );
    app.size = (120, 40);
    app
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn read(app: &mut App, plan: Plan) -> Vec<Effect> {
    let lint = pgstep::lint::lint_plan(&plan, &app.options.lint).expect("the plan holds its text");
    let plan = Arc::new(plan);
    let mut effects = update(app, Action::PlanRead { plan });
    effects.extend(update(app, Action::Linted(Ok(lint))));
    effects
}

fn applied(plan: &Plan, n: usize) -> Vec<HistoryRow> {
    plan.migrations
        .iter()
        .take(n)
        .map(|m| tui_fixtures::applied_row(m, None))
        .collect()
}

#[test]
fn nothing_touches_the_database_until_the_plan_is_read() {
    let mut a = reading();
    assert!(a.phases.is_empty());
    for code in [KeyCode::Char('n'), KeyCode::Char('r'), KeyCode::Char('d')] {
        assert_eq!(key(&mut a, code), Vec::<Effect>::new(), "{code:?}");
    }
    assert!(a.modal.is_none());
    let (level, text) = a.message.clone().expect("the refusal is said");
    assert_eq!(level, Level::Info);
    assert!(text.contains("the plan is still being read"), "{text}");
    // Moving, filtering and switching tabs have nothing to break meanwhile.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::End);
    assert_eq!(a.selected, 0);
    assert_eq!(key(&mut a, KeyCode::Char('2')), vec![Effect::LoadEvents]);
    assert_eq!(a.tab, Tab::Log);
    key(&mut a, KeyCode::Char('q'));
    assert!(a.quit, "q quits while the plan is read");
}

#[test]
fn history_before_the_plan_waits_for_its_files() {
    let mut a = reading();
    let p = plan();
    let rows = applied(&p, 1);
    update(&mut a, Action::Status { rows, holder: None });
    // Without the files the applied phase would read as one whose file is gone.
    assert!(a.phases.is_empty());
    assert_eq!(key(&mut a, KeyCode::Char('n')), Vec::<Effect>::new());

    assert!(read(&mut a, p).is_empty());
    assert!(a.reading.is_none());
    assert_eq!(a.phases.len(), a.plan.migrations.len());
    assert_eq!(a.phases[0].state, PhaseState::Applied);
    assert!(a.phases[1..].iter().all(|p| p.state == PhaseState::Pending));
    let next = a.phases[1].version.clone();
    assert_eq!(
        key(&mut a, KeyCode::Char('n')),
        vec![Effect::ApplyFacts { version: next }]
    );
}

#[test]
fn plan_before_the_history_waits_for_the_database() {
    let mut a = reading();
    let p = plan();
    read(&mut a, p.clone());
    assert_eq!(a.phases.len(), p.migrations.len());
    assert!(!a.loaded);
    assert_eq!(key(&mut a, KeyCode::Char('n')), Vec::<Effect>::new());
    let text = a.message.clone().map(|(_, t)| t).unwrap_or_default();
    assert!(text.contains("not loaded yet"), "{text}");
    let rows = applied(&p, 2);
    update(&mut a, Action::Status { rows, holder: None });
    assert_eq!(a.phases[1].state, PhaseState::Applied);
}

#[test]
fn warnings_are_said_and_kept_for_the_end() {
    let mut a = reading();
    let mut p = plan();
    let warning = plan::Diagnostic::new(Path::new(DIR), plan::Problem::NoMigrations);
    p.warnings.push(warning);
    read(&mut a, p);
    let text = a.message.clone().map(|(_, t)| t).unwrap_or_default();
    assert!(text.contains("1 warning(s)"), "{text}");
    assert_eq!(a.plan.warnings.len(), 1);
}

#[test]
fn a_plan_with_errors_ends_the_console() {
    let mut a = reading();
    let effects = update(
        &mut a,
        Action::PlanUnreadable("001_x.sql:2: error: unclosed parenthesis".into()),
    );
    assert!(effects.is_empty());
    assert!(a.quit);
    assert_eq!(
        a.plan_error.as_deref(),
        Some("001_x.sql:2: error: unclosed parenthesis")
    );
}

/// The history is merged with the plan, so it is read once the plan is read (and linted):
/// read while a large plan is linted, both would take memory at once.
#[test]
fn sessions_before_the_plan_read_the_history_once_the_plan_is_read() {
    let connected = || Action::Connected {
        own: vec![77],
        role: "postgres".into(),
        server_version: "15".into(),
    };
    let mut a = reading();
    let effects = update(&mut a, connected());
    assert!(!effects.contains(&Effect::LoadStatus), "{effects:?}");
    assert!(effects.contains(&Effect::LoadEvents), "{effects:?}");
    assert_eq!(read(&mut a, plan()), vec![Effect::LoadStatus]);
    // Read again, the plan leaves the history to whoever asked for the reload.
    assert_eq!(read(&mut a, plan()), Vec::<Effect>::new());
    // Sessions made again once the plan is read read the history at once.
    update(
        &mut a,
        Action::Disconnected {
            attempt: 1,
            error: "the connection to the server was lost".into(),
        },
    );
    let effects = update(&mut a, connected());
    assert_eq!(effects.first(), Some(&Effect::LoadStatus), "{effects:?}");
}
