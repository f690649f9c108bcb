//! The console while a batched phase runs, without a database: the gauge (ranges, rows,
//! rate, time left, why it waits), the keys that steer the step and the effects they ask
//! for, the standbys' lag and the WAL written, and the screens at 80x24 and 120x40
//! (snapshots under tests/snapshots/). tests/tui_batch_e2e.rs steers a real one.

#[allow(dead_code)]
mod tui_fixtures;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pgstep::engine::batch::{BatchProgress, Waiting};
use pgstep::engine::{HistoryRow, Progress};
use pgstep::monitor::replication::Standby;
use pgstep::plan::batch::LagLimit;
use pgstep::plan::{self, Plan};
use pgstep::tui::action::{Action, Effect, Steer};
use pgstep::tui::app::{App, Header, Options};
use pgstep::tui::keymap::{Context, Keymap};
use pgstep::tui::monitor::{Replication, Watch};
use pgstep::tui::ui;
use pgstep::tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const BACKFILL: &str = "-- Migration: Backfill lower-case emails
-- Batch-Pause: 50ms

-- Step: Backfill
-- Batch: users.id 10000
UPDATE users SET email_lower = lower(email)
WHERE id >= $1 AND id < $2 AND email_lower IS NULL;
";

/// The fixture plan and a batched phase after it.
fn plan() -> Plan {
    let mut plan = plan::load(Path::new("tests/fixtures/native")).expect("fixture plan loads");
    let path = Path::new("tests/fixtures/native").join("020_backfill_emails.sql");
    let m = plan::parse_file(&path, BACKFILL).expect("the batched phase parses");
    plan.migrations.push(m);
    plan
}

/// Every phase applied but the batched one.
fn app() -> App {
    let plan = Arc::new(plan());
    let rows: Vec<HistoryRow> = plan
        .migrations
        .iter()
        .take(plan.migrations.len() - 1)
        .map(|m| tui_fixtures::applied_row(m, None))
        .collect();
    let header = Header {
        profile: "staging".into(),
        target: "db1.internal:5432/shop".into(),
        role: "migrator".into(),
        server_version: "16.4".into(),
        environment: None,
        read_only: false,
    };
    let mut app = App::new(plan, header, Keymap::default(), Options::default());
    app.size = (120, 40);
    update(&mut app, Action::Status { rows, holder: None });
    app
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

fn progress(waiting: Option<Waiting>) -> BatchProgress {
    BatchProgress {
        version: "020".into(),
        step: Some("Backfill".into()),
        ranges_done: 120,
        ranges_total: 400,
        rows: 1_200_000,
        rate: 48_000.0,
        eta: Some(Duration::from_secs(350)),
        batch_size: 10_000,
        pause: Duration::from_millis(50),
        wal_bytes: 300 << 20,
        waiting,
    }
}

fn lagging() -> Waiting {
    Waiting::ReplicaLag {
        standby: "replica1".into(),
        bytes: Some(40 << 20),
        time: Some(Duration::from_millis(2500)),
        limit: LagLimit::Bytes(16 << 20),
        next_batch: 0,
    }
}

fn replication() -> Watch {
    Watch {
        replication: Some(Replication {
            wal_bytes: 300 << 20,
            standbys: vec![Standby {
                name: "replica1".into(),
                client_addr: Some("10.0.0.7".into()),
                state: Some("streaming".into()),
                lag_bytes: Some(40 << 20),
                replay_lag_ms: Some(2500),
            }],
        }),
        ..Watch::default()
    }
}

/// Applying the batched phase, at its one statement.
fn applying() -> App {
    let mut a = app();
    key(&mut a, 'n');
    assert!(matches!(key(&mut a, 'y')[..], [Effect::Apply { .. }]));
    for p in [
        Progress::PhaseStarted {
            version: "020".into(),
            name: "backfill_emails".into(),
            statements: 1,
        },
        Progress::Statement {
            version: "020".into(),
            index: 0,
            line: 6,
            step: Some("Backfill".into()),
        },
    ] {
        update(&mut a, Action::Progress(p));
    }
    update(&mut a, Action::Tick(Duration::from_millis(25_000)));
    a
}

/// Batches running behind a lagging standby.
fn waiting_for_the_standby() -> App {
    let mut a = applying();
    update(&mut a, Action::Batch(progress(Some(lagging()))));
    update(&mut a, Action::Watch(replication()));
    a
}

fn steers(effects: &[Effect]) -> Vec<Steer> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Steer(s) => Some(*s),
            _ => None,
        })
        .collect()
}

fn draw(app: &mut App, size: (u16, u16)) -> Terminal<TestBackend> {
    app.size = size;
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let w = buffer.area.width as usize;
    let cells: Vec<&str> = buffer.content().iter().map(|c| c.symbol()).collect();
    cells
        .chunks(w)
        .map(|row| row.concat())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_steering_keys_act_only_while_a_batched_step_runs() {
    let mut a = app();
    assert!(steers(&key(&mut a, 'p')).is_empty(), "nothing runs");
    let mut a = applying();
    assert!(!a.contexts().contains(&Context::Batch));
    for c in ['p', '+', '-', '>', '<'] {
        assert!(steers(&key(&mut a, c)).is_empty(), "{c}: no batch yet");
    }
    update(&mut a, Action::Batch(progress(None)));
    assert!(a.contexts().contains(&Context::Batch));
    assert_eq!(steers(&key(&mut a, 'p')), vec![Steer::Pause]);
    assert_eq!(steers(&key(&mut a, 'p')), vec![Steer::Resume]);
    // The job's end takes the gauge and the keys with it.
    update(&mut a, Action::Failed("stopped".into()));
    assert!(a.job.is_none());
    assert!(steers(&key(&mut a, 'p')).is_empty());
    update(&mut a, Action::Batch(progress(None)));
    assert!(a.job.is_none(), "a late progress starts nothing");
}

#[test]
fn the_size_and_pause_change_in_steps_from_what_was_last_asked() {
    let mut a = applying();
    update(&mut a, Action::Batch(progress(None)));
    // Two presses before the engine's next progress make two steps.
    assert_eq!(steers(&key(&mut a, '+')), vec![Steer::BatchSize(20_000)]);
    assert_eq!(steers(&key(&mut a, '+')), vec![Steer::BatchSize(40_000)]);
    assert_eq!(steers(&key(&mut a, '-')), vec![Steer::BatchSize(20_000)]);
    let ms = |n| Steer::Between(Duration::from_millis(n));
    assert_eq!(steers(&key(&mut a, '>')), vec![ms(100)]);
    assert_eq!(steers(&key(&mut a, '<')), vec![ms(50)]);
    assert_eq!(steers(&key(&mut a, '<')), vec![ms(25)]);
    assert_eq!(
        steers(&key(&mut a, '<')),
        vec![Steer::Between(Duration::from_micros(12_500))]
    );
    assert_eq!(
        steers(&key(&mut a, '<')),
        vec![ms(0)],
        "below 10 ms is none"
    );
    assert_eq!(
        steers(&key(&mut a, '>')),
        vec![ms(50)],
        "from none to 50 ms"
    );
    // A size never reaches 0.
    let mut small = progress(None);
    small.batch_size = 1;
    let mut b = applying();
    update(&mut b, Action::Batch(small));
    assert_eq!(steers(&key(&mut b, '-')), vec![Steer::BatchSize(1)]);
}

#[test]
fn the_gauge_says_where_the_step_is_what_was_asked_and_why_it_waits() {
    let mut a = waiting_for_the_standby();
    let s = text(&draw(&mut a, (120, 40)));
    assert!(s.contains("Batches of 020 · Backfill"), "{s}");
    assert!(s.contains("120/400 ranges 30%"), "{s}");
    assert!(
        s.contains("1200000 rows · 48000 rows/s · ETA 5m50s · batch size 10000 · pause 50 ms"),
        "{s}"
    );
    assert!(
        s.contains("waiting: standby replica1 is 40.0MB, 2.5s behind (limit 16.0MB)"),
        "{s}"
    );
    key(&mut a, '+');
    key(&mut a, '>');
    let s = text(&draw(&mut a, (120, 40)));
    assert!(
        s.contains("batch size 10000 (then 20000) · pause 50 ms (then 100 ms)"),
        "{s}"
    );
    key(&mut a, 'p');
    let s = text(&draw(&mut a, (120, 40)));
    assert!(s.contains("pausing after the current batch"), "{s}");
    update(&mut a, Action::Batch(progress(Some(Waiting::Paused))));
    let s = text(&draw(&mut a, (120, 40)));
    assert!(s.contains("paused by the operator: p resumes"), "{s}");
}

#[test]
fn a_running_phase_shows_each_standbys_lag_and_the_wal_written() {
    let mut a = applying();
    let s = text(&draw(&mut a, (120, 40)));
    assert!(!s.contains("WAL since it started"), "{s}");
    update(&mut a, Action::Watch(replication()));
    let s = text(&draw(&mut a, (120, 40)));
    assert!(
        s.contains("WAL since it started 300.0MB · standby replica1 40.0MB, 2.5s behind"),
        "{s}"
    );
    let mut none = replication();
    none.replication.as_mut().unwrap().standbys.clear();
    update(&mut a, Action::Watch(none));
    let s = text(&draw(&mut a, (80, 24)));
    assert!(
        s.contains("WAL since it started 300.0MB · no standby"),
        "{s}"
    );
}

#[test]
fn the_footer_and_help_name_the_steering_keys_while_they_work() {
    let mut a = applying();
    let s = text(&draw(&mut a, (120, 40)));
    assert!(!s.contains("batch pause"), "{s}");
    update(&mut a, Action::Batch(progress(None)));
    let s = text(&draw(&mut a, (120, 40)));
    let footer = s.lines().last().unwrap();
    for k in ["p batch pause", "+ batch bigger", "- batch smaller"] {
        assert!(footer.contains(k), "{k}: {footer}");
    }
    let help = a.keymap.help(&a.contexts(), false);
    for h in [
        "pause the batches, or resume them",
        "double the batch size",
        "halve the batch size",
        "lengthen the pause between batches",
        "shorten the pause between batches",
    ] {
        assert!(help.iter().any(|(_, x)| *x == h), "{h}: {help:?}");
    }
}

#[test]
fn at_80_columns_during_a_batch_the_footer_keeps_help_and_quit() {
    let mut a = waiting_for_the_standby();
    let s = text(&draw(&mut a, (80, 24)));
    let footer = s.lines().last().unwrap();
    // Help and quit stay; the steering keys give way from the last, the cancel key stays.
    assert!(footer.contains("? help  q quit"), "{footer}");
    assert!(
        footer.starts_with("c/esc cancel  p batch pause"),
        "{footer}"
    );
    assert!(!footer.contains("< pause shorter"), "{footer}");
    // Every key shown is whole.
    assert!(footer.trim_end().ends_with("q quit"), "{footer}");
    // Wide enough, nothing gives way.
    let s = text(&draw(&mut a, (120, 40)));
    let footer = s.lines().last().unwrap();
    for k in ["< pause shorter", "> pause longer", "? help", "q quit"] {
        assert!(footer.contains(k), "{k}: {footer}");
    }
}

#[test]
fn the_longest_list_of_keys_at_80x24_scrolled_to_its_end() {
    // Phases during a batched step: the tab's keys, the running work's, the steering and
    // the global ones, the most any screen lists.
    let mut a = waiting_for_the_standby();
    a.size = (80, 24);
    key(&mut a, '?');
    assert!(a.help);
    for _ in 0..5 {
        update(
            &mut a,
            Action::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE)),
        );
    }
    let terminal = draw(&mut a, (80, 24));
    let s = text(&terminal);
    let layout = a.help_layout();
    // Two columns would cut the longer texts: one column, which scrolls, to its last entry.
    assert_eq!(layout.columns, 1);
    assert!(layout.max_scroll() > 0);
    assert_eq!(a.help_scroll, layout.max_scroll());
    for (keys, h) in &layout.entries[layout.max_scroll()..] {
        assert!(s.contains(&format!("{keys}  {h}")), "{h}: {s}");
    }
    insta::assert_snapshot!("end_help_during_a_batch_80x24", terminal.backend());
}

#[test]
fn batch_gauge_screens() {
    let mut a = waiting_for_the_standby();
    for size in [(80, 24), (120, 40)] {
        let terminal = draw(&mut a, size);
        insta::assert_snapshot!(
            format!("batch_waiting_{}x{}", size.0, size.1),
            terminal.backend()
        );
    }
    key(&mut a, 'p');
    update(&mut a, Action::Batch(progress(Some(Waiting::Paused))));
    a.options.theme.ascii = true;
    for size in [(80, 24), (120, 40)] {
        let terminal = draw(&mut a, size);
        insta::assert_snapshot!(
            format!("batch_paused_ascii_{}x{}", size.0, size.1),
            terminal.backend()
        );
    }
}
