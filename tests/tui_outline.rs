//! The console on an outlined plan, as it runs for real: the plan holds no SQL, so the phase
//! shown is read from its files (an effect), and a file edited since the plan was read is
//! said in place of its SQL. Driven through `update` and drawn on ratatui's `TestBackend`.

// Shared with the other console tests, which use the rest of it.
#[allow(dead_code)]
mod tui_fixtures;

use std::path::Path;
use std::sync::Arc;

use pgstep::engine::{AppliedSql, DownTarget};
use pgstep::plan::{self, Checksum, Plan, Version};
use pgstep::tui::action::{Action, Effect};
use pgstep::tui::app::{App, Header, Options};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::ui;
use pgstep::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const FIRST: &str = "CREATE TABLE outline_users (id bigint PRIMARY KEY);";
const SECOND: &str = "CREATE INDEX outline_users_idx ON outline_users (id);";

fn files(dir: &Path) {
    std::fs::write(
        dir.join("001_users.sql"),
        format!("-- Goal: users\n{FIRST}\n-- DOWN\nDROP TABLE outline_users;\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("002_index.sql"),
        format!("{SECOND}\n-- DOWN\nDROP INDEX outline_users_idx;\n"),
    )
    .unwrap();
}

fn console(plan: Plan) -> (App, Vec<Effect>) {
    let mut app = App::reading(
        plan.dir.clone(),
        2,
        Header::default(),
        Keymap::default(),
        Options::default(),
    );
    app.size = (120, 40);
    let effects = update(
        &mut app,
        Action::PlanRead {
            plan: Arc::new(plan),
        },
    );
    (app, effects)
}

fn screen(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
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

/// What the runtime does for `Effect::ReadDetail`.
fn read_detail(app: &App, version: &Version) -> Action {
    let m = app.plan.migrations.iter().find(|m| m.version == *version);
    let migration = m
        .expect("the phase is in the plan")
        .read()
        .map(|r| Arc::new(r.into_owned()))
        .map_err(|e| e.to_string());
    Action::DetailRead {
        version: version.clone(),
        migration,
    }
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

#[test]
fn the_phase_shown_is_read_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let (mut app, effects) = console(plan::load_outline(dir.path()).unwrap());
    assert_eq!(effects, vec![Effect::ReadDetail { version: v("001") }]);
    let before = screen(&mut app);
    assert!(before.contains("reading its file..."), "{before}");
    assert!(
        before.contains("goal"),
        "what the plan keeps is shown at once: {before}"
    );
    assert!(!before.contains(FIRST), "{before}");

    let read = read_detail(&app, &v("001"));
    assert!(update(&mut app, read).is_empty());
    let after = screen(&mut app);
    assert!(after.contains(FIRST), "{after}");
    assert!(after.contains("DROP TABLE outline_users;"), "{after}");

    // Moving on asks for the next phase; moving back asks again, as only one is kept.
    let down = Action::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(
        update(&mut app, down),
        vec![Effect::ReadDetail { version: v("002") }]
    );
    let read = read_detail(&app, &v("002"));
    update(&mut app, read);
    assert!(screen(&mut app).contains(SECOND));
    let up = Action::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    assert_eq!(
        update(&mut app, up),
        vec![Effect::ReadDetail { version: v("001") }]
    );
}

#[test]
fn a_file_edited_since_the_plan_was_read_is_said_instead_of_its_sql() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let (mut app, _) = console(plan::load_outline(dir.path()).unwrap());
    std::fs::write(
        dir.path().join("001_users.sql"),
        "CREATE TABLE something_else (id int);\n",
    )
    .unwrap();
    let read = read_detail(&app, &v("001"));
    update(&mut app, read);
    let shown = screen(&mut app);
    assert!(shown.contains("changed since the plan was read"), "{shown}");
    assert!(!shown.contains("something_else"), "{shown}");
}

#[test]
fn a_plan_that_holds_its_text_needs_no_reading() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let (mut app, effects) = console(plan::load(dir.path()).unwrap());
    assert!(effects.is_empty(), "{effects:?}");
    assert!(screen(&mut app).contains(FIRST));
}

/// The history is listed without the SQL it recorded: a drifted phase asks for it (by its
/// version as stored) when shown, and asks again once a new history may have changed it.
#[test]
fn a_drifted_phase_asks_for_what_was_applied() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let plan = plan::load(dir.path()).unwrap();
    let mut row = tui_fixtures::applied_row(&plan.migrations[0], None);
    row.version = "1".into();
    row.checksum = Some(Checksum::parse(&"0".repeat(64)));
    row.checksum_up = Some(Checksum::parse(&"0".repeat(64)));
    let (mut app, _) = console(plan);
    let status = |row: &pgstep::engine::HistoryRow| Action::Status {
        rows: vec![row.clone()],
        holder: None,
    };
    let asked = update(&mut app, status(&row));
    let load = Effect::LoadRecorded {
        version: v("001"),
        stored: "1".into(),
    };
    assert_eq!(asked, vec![load.clone()]);
    assert!(screen(&mut app).contains("reading what was applied..."));

    let applied = AppliedSql {
        up: Some("CREATE TABLE outline_people (id bigint PRIMARY KEY);\n".into()),
        down: None,
    };
    let recorded = Action::Recorded {
        version: v("001"),
        sql: Ok(applied),
    };
    assert!(update(&mut app, recorded).is_empty());
    let shown = screen(&mut app);
    assert!(shown.contains("-CREATE TABLE outline_people"), "{shown}");
    assert!(shown.contains("+CREATE TABLE outline_users"), "{shown}");

    assert_eq!(update(&mut app, status(&row)), vec![load]);
    row.checksum = Some(app.plan.migrations[0].checksum.clone());
    row.checksum_up = Some(app.plan.migrations[0].part_checksums.up.clone());
    update(&mut app, status(&row));
    assert!(
        update(&mut app, status(&row)).is_empty(),
        "an applied phase shows no diff"
    );
}

/// ctrl-r reads the plan again, so a file edited while the console is open can be reviewed
/// and run; a plan that no longer reads keeps the one shown, and the console open.
#[test]
fn reloading_reads_the_plan_again_and_keeps_the_console_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    files(dir.path());
    let (mut app, _) = console(plan::load_outline(dir.path()).unwrap());
    update(
        &mut app,
        Action::Status {
            rows: Vec::new(),
            holder: None,
        },
    );
    let reload = Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    let effects = update(&mut app, reload);
    assert_eq!(effects[0], Effect::ReadPlan, "{effects:?}");

    std::fs::write(
        dir.path().join("003_more.sql"),
        "CREATE TABLE outline_more (id int);\n",
    )
    .unwrap();
    let plan = Arc::new(plan::load_outline(dir.path()).unwrap());
    update(&mut app, Action::PlanRead { plan });
    assert_eq!(app.phases.len(), 3);
    let (_, text) = app.message.clone().unwrap();
    assert!(text.contains("read again: 3 phases"), "{text}");

    let broken = "003_more.sql:1: error: unclosed parenthesis\n  hint: close it".to_string();
    update(&mut app, Action::PlanUnreadable(broken));
    assert!(!app.quit, "a reload's errors do not end the console");
    assert!(app.plan_error.is_none());
    assert_eq!(app.phases.len(), 3, "the plan shown is kept");
    let (_, text) = app.message.clone().unwrap();
    assert!(text.contains("not read again"), "{text}");
    assert!(
        text.contains("003_more.sql:1: error: unclosed parenthesis"),
        "{text}"
    );
}

/// The console on an outlined plan of `dir`'s files, every phase applied, phase 001 read.
fn outlined_and_applied(dir: &Path) -> App {
    files(dir);
    let full = plan::load(dir).unwrap();
    let rows = full
        .migrations
        .iter()
        .map(|m| tui_fixtures::applied_row(m, None))
        .collect();
    let (mut app, _) = console(plan::load_outline(dir).unwrap());
    let read = read_detail(&app, &v("001"));
    update(&mut app, read);
    update(&mut app, Action::Status { rows, holder: None });
    app
}

/// The rollback dialog of an outlined plan gets each DOWN with the impact, read from the
/// files by the runtime; until then it says it is reading them.
#[test]
fn the_rollback_dialog_shows_each_down_once_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = outlined_and_applied(dir.path());
    let r = Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE));
    assert_eq!(
        update(&mut app, r),
        vec![Effect::LoadImpact {
            version: v("001"),
            target: DownTarget::All,
            rows: app.rows.clone(),
        }]
    );
    assert!(screen(&mut app).contains("reading its file..."));

    let downs = vec![
        (v("002"), vec!["DROP INDEX outline_users_idx;".to_string()]),
        (v("001"), vec!["DROP TABLE outline_users;".to_string()]),
    ];
    let impact = Action::Impact {
        version: v("001"),
        losses: Vec::new(),
        downs,
        keep: (true, 2 << 30),
        unkept: Vec::new(),
    };
    update(&mut app, impact);
    let shown = screen(&mut app);
    assert!(!shown.contains("reading its file..."), "{shown}");
    assert!(shown.contains("DROP INDEX outline_users_idx;"), "{shown}");
    assert!(shown.contains("DROP TABLE outline_users;"), "{shown}");
}

/// A phase whose header says `Keep: no` keeps nothing of what its DOWN removes: the dialog
/// says so, and counts only the other phases' removals as kept.
#[test]
fn the_rollback_dialog_says_which_phases_keep_nothing() {
    use pgstep::engine::impact::{Loss, Target, TargetKind};
    use pgstep::tui::action::Unkept;

    let dir = tempfile::tempdir().unwrap();
    let mut app = outlined_and_applied(dir.path());
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE)),
    );
    let table = |name: &str| Target {
        kind: TargetKind::Table,
        schema: None,
        name: name.into(),
        column: None,
    };
    let loss = |name: &str, bytes: i64| Loss {
        target: table(name),
        exists: true,
        rows_estimate: Some(10),
        rows_exact: true,
        bytes: Some(bytes),
        column_type: None,
        non_null_values: None,
        tables: None,
        stopped: None,
    };
    update(
        &mut app,
        Action::Impact {
            version: v("001"),
            losses: vec![loss("outline_users", 8192), loss("scratch", 4096)],
            downs: Vec::new(),
            keep: (true, 2 << 30),
            unkept: vec![Unkept {
                version: v("002"),
                reason: "scratch data, rebuilt nightly".into(),
                targets: vec![table("scratch")],
            }],
        },
    );
    let shown = screen(&mut app);
    assert!(
        shown.contains("kept in pgstep_trash before it goes: 1 object(s), 8.0 kB"),
        "{shown}"
    );
    assert!(
        shown.contains("not kept, phase 002 says Keep: no: scratch data, rebuilt nightly"),
        "{shown}"
    );
}
