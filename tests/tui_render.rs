//! What the console draws: every screen and dialog rendered into ratatui's `TestBackend` and
//! compared with snapshots under tests/snapshots/, at the smallest supported size (80x24) and
//! a roomy one (120x40). The state is built with `update` as in tui_update.rs; no database.
//! Every timestamp and duration is fixed, so the snapshots never depend on the clock.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pgstep::config;
use pgstep::engine::impact::{Loss, Target, TargetKind};
use pgstep::engine::{
    Applied, AppliedSql, CheckOutcome, DryRun, DryStatement, Grade, HistoryRow, LoggedEvent,
    LoggedOutcome, Progress, ResultSet, RowState,
};
use pgstep::plan::{self, Checksum, Migration, Plan};
use pgstep::tui::action::{Action, Effect, Outcome};
use pgstep::tui::app::{App, Header, Options};
use pgstep::tui::dialog::{Modal, UndoLine};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::theme::Theme;
use pgstep::tui::ui;
use pgstep::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// Phases the native fixture lacks, so that every state can appear. 003 has no file on
/// purpose: its history row makes it the missing phase.
const EXTRA: [(&str, &str); 4] = [
    (
        "004_books_isbn.sql",
        "-- Migration: Add ISBN to books
-- Goal: a unique ISBN for every book
-- Lock-Timeout: 3s

-- Step: Column
ALTER TABLE books ADD COLUMN isbn text;

-- Step: Backfill
UPDATE books SET isbn = legacy_code WHERE isbn IS NULL;

-- Step: Constraint
ALTER TABLE books ADD CONSTRAINT books_isbn_key UNIQUE (isbn);

-- DOWN
ALTER TABLE books DROP CONSTRAINT books_isbn_key;
ALTER TABLE books DROP COLUMN isbn;

-- VERIFY
-- Check: every book has an isbn
-- Expect: empty
SELECT id FROM books WHERE isbn IS NULL;
-- Check: books kept
-- Expect: unchanged
SELECT count(*) FROM books;
-- Check: isbn unique
-- Expect: = 0
SELECT count(*) - count(DISTINCT isbn) FROM books;
",
    ),
    (
        "005_index_books_title.sql",
        "-- Migration: Index books by title
-- Transaction: none

CREATE INDEX CONCURRENTLY books_title_idx ON books (title);
CREATE INDEX CONCURRENTLY books_author_idx ON books (author_id);

-- DOWN
DROP INDEX CONCURRENTLY books_author_idx;
DROP INDEX CONCURRENTLY books_title_idx;
",
    ),
    (
        "006_books_prices.sql",
        "-- Migration: Prices in cents

ALTER TABLE books ADD COLUMN price_cents integer;

-- DOWN
ALTER TABLE books DROP COLUMN price_cents;
",
    ),
    (
        "011_books_published_on.sql",
        "-- Migration: Publication date

ALTER TABLE books ADD COLUMN published_on date;
",
    ),
];

fn plan() -> Plan {
    let mut plan = plan::load(Path::new("tests/fixtures/native")).expect("fixture plan loads");
    for (file, text) in EXTRA {
        let path = Path::new("tests/fixtures/native").join(file);
        let m = plan::parse_file(&path, text).expect("inline migration parses");
        plan.migrations.push(m);
    }
    plan.migrations.sort_by(|a, b| a.version.cmp(&b.version));
    plan
}

fn at(day: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, h, m, s).unwrap()
}

fn applied_row(m: &Migration, when: DateTime<Utc>) -> HistoryRow {
    tui_fixtures::applied_row(m, Some(when))
}

fn header(read_only: bool) -> Header {
    Header {
        profile: "staging".into(),
        target: "db1.internal:5432/shop".into(),
        role: "migrator".into(),
        server_version: "16.4".into(),
        environment: None,
        read_only,
    }
}

fn fresh(options: Options, read_only: bool) -> App {
    App::new(
        Arc::new(plan()),
        header(read_only),
        Keymap::default(),
        options,
    )
}

/// The plan applied in order up to `applied` phases: nothing wrong anywhere.
fn clean(options: Options, applied: usize) -> App {
    let mut app = fresh(options, false);
    load_in_order(&mut app, applied);
    app
}

/// The history of the first `applied` phases of the plan, one a day, as the runtime loads it.
fn load_in_order(app: &mut App, applied: usize) {
    let rows = app
        .plan
        .migrations
        .iter()
        .take(applied)
        .enumerate()
        .map(|(i, m)| applied_row(m, at(1 + i as u32, 9, 30, 0)))
        .collect();
    update(app, Action::Status { rows, holder: None });
}

/// One phase in each state: 001 applied, 002 drifted, 003 missing, 004 failed, 005 dirty,
/// 006 out-of-order (010 is applied after it), 010 applied, 011 pending.
fn every_state(options: Options, read_only: bool) -> App {
    let mut app = fresh(options, read_only);
    let plan = app.plan.clone();
    let m = |v: &str| {
        plan.migrations
            .iter()
            .find(|m| m.version.as_str() == v)
            .unwrap()
    };
    let mut drifted = applied_row(m("002"), at(2, 10, 0, 0));
    drifted.checksum = Some(Checksum::parse(&"0".repeat(64)));
    drifted.checksum_up = Some(Checksum::parse(&"0".repeat(64)));
    let mut missing = applied_row(m("001"), at(3, 11, 15, 0));
    missing.version = "003".into();
    missing.name = "add_books".into();
    let mut failed = applied_row(m("004"), at(4, 14, 2, 7));
    failed.state = RowState::Failed;
    failed.success = false;
    failed.execution_time_ms = Some(5012);
    failed.statements_done = Some(2);
    failed.error_message = Some(
        "[23505] could not create unique index \"books_isbn_key\": \
         Key (isbn)=(978-0-13-468599-1) is duplicated. at 004_books_isbn.sql:12"
            .into(),
    );
    let mut dirty = applied_row(m("005"), at(4, 14, 30, 0));
    dirty.state = RowState::Dirty;
    dirty.success = false;
    dirty.statements_done = Some(1);
    dirty.error_message = Some("[55P03] canceling statement due to lock timeout at line 5".into());
    let rows = vec![
        applied_row(m("001"), at(1, 9, 30, 0)),
        drifted,
        missing,
        failed,
        dirty,
        applied_row(m("010"), at(5, 8, 45, 30)),
    ];
    update(&mut app, Action::Status { rows, holder: None });
    update(&mut app, Action::Events(events()));
    select(&mut app, "002");
    app
}

/// An event as the log returns it: its outcome read from the stored text.
fn logged(
    when: DateTime<Utc>,
    event: &str,
    version: &str,
    outcome: &str,
    reason: Option<&str>,
) -> LoggedEvent {
    LoggedEvent {
        at: when,
        event: event.into(),
        version: Some(version.into()),
        name: None,
        outcome: LoggedOutcome::read(outcome.into()),
        duration_ms: Some(148),
        db_role: "migrator".into(),
        os_user: Some("ada".into()),
        host: Some("bastion1".into()),
        application: Some("pgstep".into()),
        reason: reason.map(str::to_string),
        details: serde_json::Value::Null,
    }
}

fn events() -> Vec<LoggedEvent> {
    let e = logged;
    vec![
        e(at(5, 8, 45, 30), "apply", "010", "applied", None),
        e(at(4, 14, 30, 0), "apply", "005", "dirty", None),
        e(at(4, 14, 2, 7), "apply", "004", "failed", None),
        e(
            at(3, 16, 0, 0),
            "mark",
            "003",
            "applied",
            Some("created by hand during the incident INC-2291"),
        ),
        e(at(2, 10, 0, 0), "apply", "002", "applied", None),
        e(at(1, 9, 30, 0), "apply", "001", "applied", None),
    ]
}

/// The SQL `every_state`'s history recorded: 002 was applied before `trim` became `lower`,
/// 003's file is gone. The runtime reads it when such a phase is shown.
fn recorded(app: &App, version: &plan::Version) -> AppliedSql {
    match version.as_str() {
        "002" => {
            let m = app.plan.migrations.iter().find(|m| m.version == *version);
            let m = m.unwrap().read().unwrap();
            AppliedSql {
                up: Some(m.up().text.replace("lower(email)", "trim(email)")),
                down: m.down().map(|d| d.text.to_string()),
            }
        }
        "003" => AppliedSql {
            up: Some("CREATE TABLE books (id bigint PRIMARY KEY, title text);\n".into()),
            down: Some("DROP TABLE books;\n".into()),
        },
        _ => AppliedSql::default(),
    }
}

/// Does what the runtime does for the reads the state asks for.
fn settle(app: &mut App, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::LoadRecorded { version, .. } = effect {
            let sql = Ok(recorded(app, &version));
            update(app, Action::Recorded { version, sql });
        }
    }
}

fn select(app: &mut App, version: &str) {
    let v = plan::Version::parse(version).unwrap();
    app.select_version(&v);
    let effects = pgstep::tui::update::wanted(app);
    settle(app, effects);
}

fn press(app: &mut App, code: KeyCode) {
    let effects = update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    settle(app, effects);
}

fn typed(app: &mut App, text: &str) {
    text.chars().for_each(|c| press(app, KeyCode::Char(c)));
}

fn check(
    name: &str,
    expect: &str,
    before: Option<&str>,
    after: &str,
    passed: bool,
) -> CheckOutcome {
    let detail = if passed {
        format!("{expect}: {after}")
    } else {
        format!("expected {expect}, got {after}")
    };
    CheckOutcome {
        name: name.into(),
        expect: expect.into(),
        before: before.map(str::to_string),
        after: after.into(),
        grade: Grade::of(passed),
        detail,
    }
}

fn isbn_checks() -> Vec<CheckOutcome> {
    vec![
        check("every book has an isbn", "empty", None, "3 rows", false),
        check("books kept", "unchanged", Some("48213"), "48213", true),
        check("isbn unique", "= 0", None, "0", true),
    ]
}

/// 001 and 002 applied, applying 004 (the next pending one) at its third statement,
/// blocked by another session.
fn running(options: Options) -> App {
    let mut app = clean(options, 2);
    press(&mut app, KeyCode::Char('n'));
    press(&mut app, KeyCode::Char('y'));
    let progress = [
        Progress::PhaseStarted {
            version: "004".into(),
            name: "books_isbn".into(),
            statements: 3,
        },
        Progress::Statement {
            version: "004".into(),
            index: 2,
            line: 12,
            step: Some("Constraint".into()),
        },
    ];
    for p in progress {
        update(&mut app, Action::Progress(p));
    }
    let lock = "waiting for lock on books held by pid 4242: idle in transaction 3m12s";
    update(&mut app, Action::Waiting(Some(lock.into())));
    update(&mut app, Action::Tick(Duration::from_millis(83_400)));
    app
}

/// The first frame: the plan's files are still being read.
fn reading(options: Options) -> App {
    let dir = Path::new("tests/fixtures/native").to_path_buf();
    let header = Header {
        server_version: "(connecting)".into(),
        ..header(false)
    };
    App::reading(dir, 10_000, header, Keymap::default(), options)
}

fn loading(options: Options) -> App {
    fresh(options, false)
}

fn phases_drifted(options: Options) -> App {
    every_state(options, false)
}

fn phases_failed(options: Options) -> App {
    let mut app = every_state(options, false);
    select(&mut app, "004");
    app
}

fn phases_dirty(options: Options) -> App {
    let mut app = every_state(options, false);
    select(&mut app, "005");
    app
}

fn phases_missing(options: Options) -> App {
    let mut app = every_state(options, false);
    select(&mut app, "003");
    app
}

fn phases_ascii(options: Options) -> App {
    let mut theme = options.theme.clone();
    theme.ascii = true;
    phases_drifted(Options { theme, ..options })
}

fn read_only(options: Options) -> App {
    every_state(options, true)
}

fn log(options: Options) -> App {
    let mut app = every_state(options, false);
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('j'));
    app
}

fn help(options: Options) -> App {
    let mut app = every_state(options, false);
    press(&mut app, KeyCode::Char('?'));
    app
}

fn confirm_apply(options: Options) -> App {
    let mut app = clean(options, 2);
    press(&mut app, KeyCode::Char('n'));
    app
}

fn confirm_apply_typed(options: Options) -> App {
    let options = Options {
        confirm_typed: true,
        ..options
    };
    let mut app = clean(options, 2);
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "040");
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "00");
    app
}

fn results(options: Options) -> App {
    let mut app = running(options);
    let done = Applied {
        version: "004".into(),
        name: "books_isbn".into(),
        millis: 5012,
        checks: isbn_checks(),
    };
    update(&mut app, Action::Done(Outcome::Applied(vec![done])));
    // The reload the runtime does after every apply.
    load_in_order(&mut app, 3);
    press(&mut app, KeyCode::Char('j'));
    app
}

fn dry_run(options: Options) -> App {
    let mut app = clean(options, 2);
    select(&mut app, "004");
    press(&mut app, KeyCode::Char('d'));
    let statement = |line, sql: &str, rows, millis| DryStatement {
        line,
        sql: sql.into(),
        rows,
        millis,
        skipped: None,
    };
    let run = DryRun {
        version: "004".into(),
        name: "books_isbn".into(),
        statements: vec![
            statement(6, "ALTER TABLE books ADD COLUMN isbn text;", Some(0), 3),
            statement(
                9,
                "UPDATE books SET isbn = legacy_code WHERE isbn IS NULL;",
                Some(48213),
                912,
            ),
            statement(
                12,
                "ALTER TABLE books ADD CONSTRAINT books_isbn_key UNIQUE (isbn);",
                Some(0),
                41,
            ),
        ],
        locks: vec![("books".into(), "AccessExclusiveLock".into())],
        checks: isbn_checks(),
        error: None,
    };
    update(&mut app, Action::Done(Outcome::DryRun(run)));
    app
}

/// Five phases applied (001 to 006); rolling back to before 004 undoes 006, 005 and 004.
fn rollback(options: Options) -> App {
    let mut app = clean(options, 5);
    select(&mut app, "004");
    press(&mut app, KeyCode::Char('r'));
    app
}

fn rollback_measured(options: Options) -> App {
    let mut app = rollback(options);
    let loss = |kind, name: &str, column: Option<(&str, &str, i64)>| Loss {
        target: Target {
            kind,
            schema: None,
            name: name.into(),
            column: column.map(|(c, _, _)| c.to_string()),
        },
        exists: true,
        rows_estimate: Some(48213),
        rows_exact: false,
        bytes: column.is_none().then_some(3_145_728),
        column_type: column.map(|(_, ty, _)| ty.to_string()),
        non_null_values: column.map(|(_, _, n)| n),
        tables: None,
        stopped: None,
    };
    let losses = vec![
        loss(
            TargetKind::Column,
            "books",
            Some(("price_cents", "integer", 0)),
        ),
        loss(TargetKind::Index, "books_author_idx", None),
        loss(TargetKind::Index, "books_title_idx", None),
        loss(TargetKind::Column, "books", Some(("isbn", "text", 48210))),
    ];
    let version = plan::Version::parse("004").unwrap();
    // The plan holds its text here, so the dialog already lists every DOWN.
    let downs = Vec::new();
    update(
        &mut app,
        Action::Impact {
            version,
            losses,
            downs,
            keep: (true, 2 << 30),
            unkept: Vec::new(),
        },
    );
    typed(&mut app, "005");
    press(&mut app, KeyCode::Enter);
    app
}

/// The rollback to before 004 confirmed, its copy above trash_max: the choice is asked.
fn keep_choice(options: Options) -> App {
    let mut app = rollback(options);
    let table = Loss {
        target: Target {
            kind: TargetKind::Table,
            schema: None,
            name: "events".into(),
            column: None,
        },
        exists: true,
        rows_estimate: Some(12_000_000),
        rows_exact: false,
        bytes: Some(3 << 30),
        column_type: None,
        non_null_values: None,
        tables: None,
        stopped: None,
    };
    let version = plan::Version::parse("004").unwrap();
    update(
        &mut app,
        Action::Impact {
            version,
            losses: vec![table],
            downs: Vec::new(),
            keep: (true, 2 << 30),
            unkept: Vec::new(),
        },
    );
    typed(&mut app, "004");
    press(&mut app, KeyCode::Enter);
    app
}

/// The same choice once "do not keep" is chosen, its reason being typed.
fn keep_choice_reason(options: Options) -> App {
    let mut app = keep_choice(options);
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "staging holds a copy");
    app
}

/// Every phase with a file applied, rolling back all of them: more DOWN than fits.
fn rollback_all(options: Options) -> App {
    let mut app = clean(options, 7);
    select(&mut app, "001");
    press(&mut app, KeyCode::Char('r'));
    app
}

/// The rollback of every phase, scrolled as far as the keys go: the last DOWN is on screen.
fn rollback_scrolled_to_its_end(options: Options) -> App {
    let mut app = rollback_all(options);
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown);
    }
    app
}

fn reason(options: Options) -> App {
    let mut app = every_state(options, false);
    select(&mut app, "005");
    press(&mut app, KeyCode::Char('s'));
    typed(
        &mut app,
        "the lock was released, index 2 of 2 still to build",
    );
    press(&mut app, KeyCode::Enter);
    typed(&mut app, "00");
    app
}

fn mark_choice(options: Options) -> App {
    let mut app = every_state(options, false);
    select(&mut app, "004");
    press(&mut app, KeyCode::Char('m'));
    app
}

fn confirm_cancel(options: Options) -> App {
    let mut app = running(options);
    press(&mut app, KeyCode::Char('c'));
    app
}

fn confirm_quit(options: Options) -> App {
    let mut app = running(options);
    press(&mut app, KeyCode::Char('q'));
    app
}

fn editor(options: Options) -> App {
    let mut app = results(options);
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('e'));
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL)),
    );
    let result = ResultSet {
        columns: vec!["id".into()],
        rows: ["1042", "1043", "2977"]
            .iter()
            .map(|id| vec![Some(id.to_string())])
            .collect(),
    };
    let outcome = Outcome::Query {
        version: plan::Version::parse("004").unwrap(),
        check: "every book has an isbn".into(),
        result: Ok(result),
    };
    update(&mut app, Action::Done(outcome));
    app
}

fn diff(options: Options) -> App {
    let mut app = every_state(options, false);
    press(&mut app, KeyCode::Char('f'));
    app
}

fn too_small_app(options: Options) -> App {
    every_state(options, false)
}

fn prod(options: Options) -> App {
    let mut app = every_state(options, false);
    app.header.environment = Some("prod".into());
    app
}

mod tui_fixtures;

/// The monitoring reports loaded, on top of `every_state`.
fn monitored(options: Options) -> App {
    let mut app = every_state(options, false);
    update(&mut app, Action::Indexes(tui_fixtures::indexes()));
    update(&mut app, Action::Matviews(tui_fixtures::matviews()));
    let activity = tui_fixtures::activity();
    let gauges = tui_fixtures::gauges();
    update(&mut app, Action::Activity { activity, gauges });
    app.monitors.own = vec![77];
    app
}

fn indexes(options: Options) -> App {
    let mut app = monitored(options);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('j'));
    app
}

fn matviews(options: Options) -> App {
    let mut app = monitored(options);
    press(&mut app, KeyCode::Char('4'));
    app
}

fn activity(options: Options) -> App {
    let mut app = monitored(options);
    press(&mut app, KeyCode::Char('5'));
    app
}

fn confirm_drop_index(options: Options) -> App {
    let mut app = monitored(options);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('x'));
    typed(&mut app, "books_title");
    app
}

fn confirm_terminate(options: Options) -> App {
    let mut app = activity(options);
    press(&mut app, KeyCode::Char('T'));
    app
}

/// Copies kept by rollbacks, on top of `monitored`: the Trash tab is the sixth.
fn trash(options: Options) -> App {
    use pgstep::trash::{Kept, Kind};
    let mut app = monitored(options);
    let kept = |id, kind, object: &str, phase: &str, rows, bytes| Kept {
        id,
        kind,
        object: object.into(),
        phase: phase.into(),
        statement: format!("DROP TABLE {object}"),
        rows,
        bytes,
        kept_at: at(3, 2, 14, 5),
    };
    let list = vec![
        kept(1, Kind::Rows, "public.events", "003", 200, 57_344),
        kept(
            2,
            Kind::Column,
            "public.books.isbn",
            "002",
            48_210,
            2_260_992,
        ),
        kept(3, Kind::Table, "public.authors", "001", 1_200, 188_416),
    ];
    update(&mut app, Action::Trash(list));
    press(&mut app, KeyCode::Char('6'));
    press(&mut app, KeyCode::Char('j'));
    app
}

fn confirm_restore(options: Options) -> App {
    let mut app = trash(options);
    press(&mut app, KeyCode::Char('r'));
    typed(&mut app, "restore 2");
    app
}

/// `running`, with the watch's blockers, queue and progress gauge.
fn running_watched(options: Options) -> App {
    let mut app = running(options);
    update(&mut app, Action::Watch(tui_fixtures::watch()));
    app
}

type Screen = (&'static str, fn(Options) -> App);

const SCREENS: [Screen; 37] = [
    ("reading", reading),
    ("loading", loading),
    ("phases_drifted", phases_drifted),
    ("phases_failed", phases_failed),
    ("phases_dirty", phases_dirty),
    ("phases_missing", phases_missing),
    ("phases_ascii", phases_ascii),
    ("read_only", read_only),
    ("log", log),
    ("help", help),
    ("confirm_apply", confirm_apply),
    ("confirm_apply_typed", confirm_apply_typed),
    ("running", running),
    ("results_after_apply", results),
    ("dry_run", dry_run),
    ("rollback_measuring", rollback),
    ("rollback_measured", rollback_measured),
    ("rollback_all", rollback_all),
    ("rollback_scrolled_to_its_end", rollback_scrolled_to_its_end),
    ("reason", reason),
    ("mark_choice", mark_choice),
    ("confirm_cancel", confirm_cancel),
    ("confirm_quit", confirm_quit),
    ("editor", editor),
    ("diff", diff),
    ("too_small", too_small_app),
    ("prod", prod),
    ("indexes", indexes),
    ("matviews", matviews),
    ("activity", activity),
    ("confirm_drop_index", confirm_drop_index),
    ("confirm_terminate", confirm_terminate),
    ("running_watched", running_watched),
    ("trash", trash),
    ("confirm_restore", confirm_restore),
    ("keep_choice", keep_choice),
    ("keep_choice_reason", keep_choice_reason),
];

/// The terminal's cells as text, a line per row.
fn screen_text(t: &Terminal<TestBackend>) -> String {
    let b = t.backend().buffer();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn draw(app: &mut App, (w, h): (u16, u16)) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal
}

fn sizes(name: &str) -> Vec<(u16, u16)> {
    if name == "too_small" {
        vec![(60, 20)]
    } else {
        SIZES.to_vec()
    }
}

fn snapshot(name: &str) {
    let (_, build) = SCREENS.iter().find(|(n, _)| *n == name).unwrap();
    let mut app = build(Options::default());
    for size in sizes(name) {
        let terminal = draw(&mut app, size);
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), terminal.backend());
    }
}

#[test]
fn reading_the_plan_after_the_first_frame() {
    snapshot("reading");
}

#[test]
fn loading_before_the_database_answers() {
    snapshot("loading");
}

#[test]
fn phases_drifted_with_its_diff() {
    snapshot("phases_drifted");
}

#[test]
fn phases_failed_with_its_error() {
    snapshot("phases_failed");
}

#[test]
fn phases_dirty_with_its_progress() {
    snapshot("phases_dirty");
}

#[test]
fn phases_missing_file() {
    snapshot("phases_missing");
}

#[test]
fn ascii_glyphs() {
    snapshot("phases_ascii");
}

#[test]
fn read_only_and_prod_headers() {
    snapshot("read_only");
    snapshot("prod");
}

#[test]
fn log_tab() {
    snapshot("log");
}

#[test]
fn help_overlay() {
    snapshot("help");
}

#[test]
fn apply_confirmation() {
    snapshot("confirm_apply");
    snapshot("confirm_apply_typed");
}

#[test]
fn running_phase_waiting_for_a_lock() {
    snapshot("running");
}

#[test]
fn results_after_apply() {
    snapshot("results_after_apply");
}

#[test]
fn dry_run_results() {
    snapshot("dry_run");
}

#[test]
fn keep_choice_above_trash_max() {
    snapshot("keep_choice");
    snapshot("keep_choice_reason");
}

#[test]
fn rollback_dialog() {
    snapshot("rollback_measuring");
    snapshot("rollback_measured");
    snapshot("rollback_all");
    snapshot("rollback_scrolled_to_its_end");
}

#[test]
fn the_rollback_dialog_scrolls_to_the_last_down_and_says_what_is_out_of_sight() {
    let mut app = rollback_all(Options::default());
    let text = screen_text;
    let first = text(&draw(&mut app, (80, 24)));
    assert!(first.contains("more line(s) (↓ scrolls)"), "{first}");
    assert!(!first.contains("DOWN of 001"), "{first}");
    let mut seen = first;
    for _ in 0..40 {
        press(&mut app, KeyCode::Down);
        seen = text(&draw(&mut app, (80, 24)));
        if seen.contains("DOWN of 001") {
            break;
        }
    }
    assert!(
        seen.contains("DOWN of 001"),
        "the oldest phase's DOWN shows: {seen}"
    );
    assert!(seen.contains("line(s) above (↑ scrolls back)"), "{seen}");
    // Typing the version still works while scrolled.
    assert!(matches!(app.modal, Some(Modal::Rollback { .. })));
}

#[test]
fn reason_dialog() {
    snapshot("reason");
}

#[test]
fn mark_choice_dialog() {
    snapshot("mark_choice");
}

#[test]
fn cancel_and_quit_confirmations() {
    snapshot("confirm_cancel");
    snapshot("confirm_quit");
}

#[test]
fn query_editor_with_a_result() {
    snapshot("editor");
}

#[test]
fn diff_dialog() {
    snapshot("diff");
}

#[test]
fn monitoring_tabs() {
    snapshot("indexes");
    snapshot("matviews");
    snapshot("activity");
}

#[test]
fn maintenance_confirmations() {
    snapshot("confirm_drop_index");
    snapshot("confirm_terminate");
}

#[test]
fn trash_tab_and_restore_confirmation() {
    snapshot("trash");
    snapshot("confirm_restore");
}

#[test]
fn running_phase_with_blockers_and_progress() {
    snapshot("running_watched");
}

#[test]
fn terminal_too_small() {
    snapshot("too_small");
}

/// The cells of the line that contains `text`, from the start of `text`.
fn find(buf: &Buffer, text: &str) -> (u16, u16) {
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return (x, y);
        }
    }
    panic!("`{text}` is not on the screen");
}

#[test]
fn default_theme_marks_selection_failure_and_prod() {
    let mut app = every_state(Options::default(), false);
    let terminal = draw(&mut app, (120, 40));
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, ">≠ drifted");
    let selected = buf[(x + 3, y)].modifier;
    assert!(
        selected.contains(Modifier::REVERSED | Modifier::BOLD),
        "{selected:?}"
    );
    let (x, y) = find(buf, "✘ failed");
    assert_eq!(buf[(x + 2, y)].fg, Color::Red);
    assert!(!buf[(x + 2, y)].modifier.contains(Modifier::REVERSED));

    let theme = Theme::from_config(&config::Theme::default(), Some(config::Colour::Red), true);
    let mut app = prod(Options {
        theme,
        ..Options::default()
    });
    let terminal = draw(&mut app, (80, 24));
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, " PROD ");
    for dx in 0..6 {
        assert_eq!(buf[(x + dx, y)].bg, Color::Red, "PROD badge cell {dx}");
    }
}

/// The Log tab colours a row by its outcome as pgstep wrote it; text it does not write (a
/// log written by hand or by another version) is shown as read, uncoloured.
#[test]
fn the_log_colours_known_outcomes_and_shows_unknown_ones_as_read() {
    let mut app = every_state(Options::default(), false);
    let mut events = events();
    events.insert(
        1,
        logged(at(5, 9, 0, 0), "apply", "011", "APPLIED by hand", None),
    );
    events.insert(2, logged(at(5, 8, 50, 0), "verify", "010", "", None));
    update(&mut app, Action::Events(events));
    press(&mut app, KeyCode::Char('2'));
    let terminal = draw(&mut app, (120, 40));
    let buf = terminal.backend().buffer();
    // The outcome's first cell on the row that starts with `at`.
    let outcome_cell = |at: &str, outcome: &str| {
        let (_, y) = find(buf, at);
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        let x = line[..line.find(outcome).unwrap()].chars().count() as u16;
        buf[(x, y)].clone()
    };
    assert_eq!(
        outcome_cell("03-05 09:00:00", "APPLIED by hand").fg,
        Color::Reset
    );
    find(buf, "03-05 08:50:00 verify");
    assert_eq!(outcome_cell("03-04 14:30:00", "dirty").fg, Color::Red);
    assert_eq!(outcome_cell("03-04 14:02:07", "failed").fg, Color::Red);
    let applied = outcome_cell("03-02 10:00:00", "applied").fg;
    assert_ne!(applied, Color::Reset);
    assert_ne!(applied, Color::Red);
}

#[test]
fn no_colour_keeps_meaning_in_modifiers() {
    let plain = || Options {
        theme: Theme::plain(),
        ..Options::default()
    };
    for (name, build) in SCREENS {
        let mut app = build(plain());
        for size in sizes(name) {
            let terminal = draw(&mut app, size);
            let buf = terminal.backend().buffer();
            for (i, cell) in buf.content.iter().enumerate() {
                assert!(
                    cell.fg == Color::Reset && cell.bg == Color::Reset,
                    "{name} {size:?}: cell {i} `{}` has {:?} on {:?}",
                    cell.symbol(),
                    cell.fg,
                    cell.bg
                );
            }
        }
    }
    let mut app = every_state(plain(), false);
    let terminal = draw(&mut app, (80, 24));
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, ">≠ drifted");
    assert!(
        buf[(x + 3, y)]
            .modifier
            .contains(Modifier::REVERSED | Modifier::BOLD)
    );
    let (x, y) = find(buf, "✘ failed");
    assert!(buf[(x + 2, y)].modifier.contains(Modifier::BOLD));
    let mut app = prod(plain());
    let terminal = draw(&mut app, (80, 24));
    let buf = terminal.backend().buffer();
    let (x, y) = find(buf, " PROD ");
    assert!(buf[(x + 1, y)].modifier.contains(Modifier::REVERSED));
}

/// Rolling back from the first of thousands of applied phases: the dialog draws what fits and
/// counts the rest, without building the lines it leaves out.
#[test]
fn rollback_of_thousands_of_phases_draws_what_fits() {
    let mut app = clean(Options::default(), 7);
    let phases: Vec<UndoLine> = (1..=5000u32)
        .rev()
        .map(|n| UndoLine {
            version: plan::Version::parse(&n.to_string()).unwrap(),
            name: format!("phase_{n}"),
            down: Some(vec![format!("DROP TABLE t_{n};")]),
        })
        .collect();
    app.modal = Some(Modal::Rollback {
        version: plan::Version::parse("1").unwrap(),
        phases,
        impact: None,
        input: String::new(),
        hint: None,
        scroll: 0,
        oversize: None,
    });
    let terminal = draw(&mut app, (120, 40));
    let buffer = terminal.backend().buffer();
    let rows: Vec<String> = (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect();
    let screen = rows.join("\n");
    assert!(
        screen.contains("5000 phase(s) will be rolled back, newest first: 5000, 4999, 4998"),
        "{screen}"
    );
    assert!(screen.contains("more"), "{screen}");
    assert!(screen.contains("DOWN of 5000 phase_5000"), "{screen}");
    assert!(!screen.contains("DOWN of 1 phase_1 "), "{screen}");
    // Every line is counted: the versions, two about the impact, and two per phase.
    let body: Vec<&String> = rows
        .iter()
        .filter(|r| r.contains("DOWN of ") || r.contains("DROP TABLE t_"))
        .collect();
    let hidden: usize = rows
        .iter()
        .find_map(|r| {
            r.split(" more line(s)")
                .next()?
                .rsplit(' ')
                .next()?
                .parse()
                .ok()
        })
        .expect("the count of lines left out");
    assert_eq!(hidden + body.len() + 3, 5000 * 2 + 3, "{screen}");
}

#[test]
fn control_characters_from_files_are_drawn_escaped() {
    let path = Path::new("tests/fixtures/native/001_red\x1b[2Jflag.sql");
    let text = "-- Migration: title\x1b]0;owned\x07\nCREATE TABLE a (x int);\n-- VERIFY\n-- Check: kept\x1b[5m\nSELECT 1 WHERE false;\n";
    let m = plan::parse_file(path, text).expect("migration parses");
    let plan = Plan {
        dir: "tests/fixtures/native".into(),
        layout: Some(plan::Layout::Native),
        migrations: vec![m],
        warnings: Vec::new(),
    };
    let mut app = App::new(
        Arc::new(plan),
        header(false),
        Keymap::default(),
        Options::default(),
    );
    load_in_order(&mut app, 0);
    let screen = draw(&mut app, (120, 40)).backend().to_string();
    for shown in [r"red\x1b[2Jflag", r"title\x1b]0;owned\x07", r"kept\x1b[5m"] {
        assert!(screen.contains(shown), "no {shown} on:\n{screen}");
    }
}

#[test]
fn control_characters_from_the_database_are_drawn_escaped() {
    let mut app = every_state(Options::default(), false);
    app.events[0].reason = Some("by hand\x1b[2J".into());
    press(&mut app, KeyCode::Char('2'));
    let screen = draw(&mut app, (120, 40)).backend().to_string();
    assert!(screen.contains(r"by hand\x1b[2J"), "{screen}");
}

#[test]
fn the_editor_closes_back_to_its_results_and_runs_one_query_at_a_time() {
    let mut app = results(Options::default());
    press(&mut app, KeyCode::Char('e'));
    assert!(matches!(app.modal, Some(Modal::Editor { .. })));
    let run = || Action::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    assert!(matches!(
        update(&mut app, run())[..],
        [Effect::Query { .. }]
    ));
    assert!(
        update(&mut app, run()).is_empty(),
        "no second query while one runs"
    );
    press(&mut app, KeyCode::Esc);
    assert!(
        matches!(app.modal, Some(Modal::Results { .. })),
        "Esc closes the editor only"
    );
    // Typed after Esc, these letters reach the results grid (whose `e` edits again), never
    // the phase list, where `r` would open the rollback dialog.
    for c in "users".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(
        matches!(app.modal, Some(Modal::Editor { .. })),
        "{:?}",
        app.modal.is_some()
    );
}

#[test]
fn a_long_apply_summary_says_what_is_cut_and_scrolls_to_its_last_warning() {
    let mut app = rollback_all(Options::default());
    let mut summary: Vec<String> = (1..=30).map(|i| format!("statement {i}")).collect();
    summary.push("warning [create-index-blocking] line 40: the last finding".into());
    app.modal = Some(Modal::ConfirmApply {
        version: plan::Version::parse("011").unwrap(),
        summary,
        typed: None,
        hint: None,
        scroll: 0,
        oversize: None,
    });
    let text = screen_text;
    let first = text(&draw(&mut app, (80, 24)));
    assert!(first.contains("more line(s) below"), "{first}");
    assert!(!first.contains("the last finding"), "{first}");
    for _ in 0..4 {
        press(&mut app, KeyCode::PageDown);
    }
    let last = text(&draw(&mut app, (80, 24)));
    assert!(last.contains("the last finding"), "{last}");
    assert!(last.contains("line(s) above"), "{last}");
    assert!(
        last.contains(" Cancel "),
        "the answer stays in sight: {last}"
    );
}

// Every dialog and result view with more than an 80x24 screen holds, scrolled to its end:
// what is out of sight is said, and the end of the content and the dialog's answer show.

/// Presses `code` `n` times.
fn presses(app: &mut App, code: KeyCode, n: usize) {
    for _ in 0..n {
        press(app, code);
    }
}

fn apply_end(options: Options) -> App {
    let mut app = confirm_apply(options);
    presses(&mut app, KeyCode::PageDown, 20);
    app
}

fn results_end(options: Options) -> App {
    let mut app = running(options);
    let checks = (1..=30)
        .map(|i| check(&format!("check {i:02}"), "= 0", None, "0", i % 7 != 0))
        .collect();
    let done = Applied {
        version: "004".into(),
        name: "books_isbn".into(),
        millis: 5012,
        checks,
    };
    update(&mut app, Action::Done(Outcome::Applied(vec![done])));
    presses(&mut app, KeyCode::Down, 40);
    app
}

fn dry_run_end(options: Options) -> App {
    let mut app = clean(options, 2);
    press(&mut app, KeyCode::Char('d'));
    let statements = (1..=40)
        .map(|i| DryStatement {
            line: 10 + i,
            sql: format!("UPDATE books SET isbn = legacy_code WHERE id % 40 = {i};"),
            rows: Some(1200 + u64::from(i)),
            millis: 12,
            skipped: None,
        })
        .collect();
    let run = DryRun {
        version: "004".into(),
        name: "books_isbn".into(),
        statements,
        locks: vec![("books".into(), "RowExclusiveLock".into())],
        checks: isbn_checks(),
        error: None,
    };
    update(&mut app, Action::Done(Outcome::DryRun(run)));
    presses(&mut app, KeyCode::PageDown, 10);
    presses(&mut app, KeyCode::Down, 5);
    app
}

fn diff_end(options: Options) -> App {
    let mut app = every_state(options, false);
    let mut text = String::from("--- applied\n+++ file\n@@ -1,60 +1,60 @@\n");
    for i in 1..=60 {
        text.push_str(&format!("-UPDATE books SET shelf = {i} WHERE id = {i};\n"));
        text.push_str(&format!(
            "+UPDATE books SET shelf = {} WHERE id = {i};\n",
            i + 1
        ));
    }
    app.modal = Some(Modal::Diff {
        version: plan::Version::parse("002").unwrap(),
        text,
        scroll: 0,
    });
    presses(&mut app, KeyCode::PageDown, 20);
    app
}

fn in_doubt_end(options: Options) -> App {
    let mut app = every_state(options, false);
    app.modal = Some(Modal::InDoubtChoice {
        version: plan::Version::parse("005").unwrap(),
        statement: 2,
    });
    app
}

fn terminate_end(options: Options) -> App {
    let mut app = activity(options);
    press(&mut app, KeyCode::Char('T'));
    if let Some(Modal::Maintain { facts, .. }) = &mut app.modal {
        let long =
            "SELECT b.id, b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id ";
        facts.insert(1, format!("query: {}", long.repeat(12)));
    }
    presses(&mut app, KeyCode::PageDown, 5);
    app
}

/// A result wider than the screen (its columns narrowed to fit) and longer (scrolled to its
/// last row).
fn editor_end(options: Options) -> App {
    let mut app = editor(options);
    let result = ResultSet {
        columns: vec!["id".into(), "title".into(), "isbn".into()],
        rows: (1..=100)
            .map(|id| {
                vec![
                    Some(id.to_string()),
                    Some(format!(
                        "The Left Hand of Darkness, edition {id}, reprinted"
                    )),
                    (id % 7 != 0).then(|| format!("978-0-441-{id:05}-1")),
                ]
            })
            .collect(),
    };
    app.job = None;
    update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE)),
    );
    let outcome = Outcome::Query {
        version: plan::Version::parse("004").unwrap(),
        check: "every book has an isbn".into(),
        result: Ok(result),
    };
    update(&mut app, Action::Done(outcome));
    for _ in 0..120 {
        update(
            &mut app,
            Action::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::ALT)),
        );
    }
    app
}

fn help_end(options: Options) -> App {
    let mut app = help(options);
    presses(&mut app, KeyCode::PageDown, 5);
    app
}

/// A maintenance result longer than the status line: it wraps.
fn maintained(options: Options) -> App {
    let mut app = activity(options);
    let text = "terminated pid 4242 psql (alice) on shop: idle in transaction 3m12s, \
                holding locks on books and authors since 09:14:07";
    update(&mut app, Action::Done(Outcome::Maintained(text.into())));
    app
}

fn restore_end(options: Options) -> App {
    let mut app = confirm_restore(options);
    presses(&mut app, KeyCode::PageDown, 5);
    app
}

fn purge_end(options: Options) -> App {
    let mut app = trash(options);
    press(&mut app, KeyCode::Char('x'));
    presses(&mut app, KeyCode::PageDown, 5);
    app
}

fn log_end(options: Options) -> App {
    let mut app = log(options);
    press(&mut app, KeyCode::Char('G'));
    app
}

const AT_THEIR_END: [Screen; 19] = [
    ("apply", apply_end),
    ("apply_typed", confirm_apply_typed),
    ("rollback", rollback_scrolled_to_its_end),
    ("results", results_end),
    ("dry_run", dry_run_end),
    ("diff", diff_end),
    ("help", help_end),
    ("mark", mark_choice),
    ("in_doubt", in_doubt_end),
    ("reason", reason),
    ("drop_index", confirm_drop_index),
    ("terminate", terminate_end),
    ("confirm_quit", confirm_quit),
    ("confirm_cancel", confirm_cancel),
    ("restore", restore_end),
    ("purge", purge_end),
    ("editor", editor_end),
    ("log", log_end),
    ("maintained", maintained),
];

#[test]
fn every_dialog_at_80x24_scrolled_to_its_end() {
    for (name, build) in AT_THEIR_END {
        let mut app = build(Options::default());
        let terminal = draw(&mut app, (80, 24));
        insta::assert_snapshot!(format!("end_{name}_80x24"), terminal.backend());
    }
}

#[test]
fn columns_follow_the_terminal_width() {
    let long_index = "books_title_author_published_at_edition_idx";
    let long_table = "library_catalogue_books_by_edition";
    let mut report = tui_fixtures::indexes();
    report.indexes[0].index = long_index.into();
    report.indexes[0].table = long_table.into();
    let mut app = every_state(Options::default(), false);
    update(&mut app, Action::Indexes(report));
    press(&mut app, KeyCode::Char('3'));
    let screen = screen_text;
    let wide = screen(&draw(&mut app, (200, 50)));
    assert!(wide.contains(long_index), "{wide}");
    assert!(wide.contains(long_table), "{wide}");
    let narrow = screen(&draw(&mut app, (80, 24)));
    assert!(
        !narrow.contains(long_index),
        "80 columns cannot hold it: {narrow}"
    );
}

#[test]
fn a_phases_detail_says_what_its_history_row_kept() {
    let mut app = fresh(Options::default(), false);
    let mut rows: Vec<_> = app
        .plan
        .migrations
        .iter()
        .take(2)
        .map(|m| applied_row(m, at(1, 9, 30, 0)))
        .collect();
    rows[1].kept = vec![pgstep::trash::KeptRecord {
        id: 7,
        kind: pgstep::trash::Kind::Table,
        object: "public.books_old".into(),
        statement: "DROP TABLE books_old".into(),
        rows: 1200,
        bytes: 98_304,
    }];
    update(&mut app, Action::Status { rows, holder: None });
    select(&mut app, "002");
    let screen = screen_text(&draw(&mut app, (120, 40)));
    assert!(
        screen.contains("kept: #7 table public.books_old, 1200 rows, 96 kB"),
        "{screen}"
    );
    select(&mut app, "001");
    let screen = screen_text(&draw(&mut app, (120, 40)));
    assert!(!screen.contains("kept: #"), "{screen}");
}
