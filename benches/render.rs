//! Console drawing with a 10,000-phase plan, 5,000 of them applied, on ratatui's TestBackend:
//! a full frame with the selection in the middle of the list, one Down key plus the frame it
//! causes (scrolling), at 120x40 and 80x24; what comes before the first frame (reading the
//! plan, `App::new`); reading the plan as the console does (an outline) and one phase's files
//! again; and the state change when the history arrives.
//!
//! Run: `cargo bench --bench render`. The target is under 5 ms per frame.
//! The plan is generated into a temporary directory and read with `pgstep::plan::load`, so the
//! migrations are exactly what the console would show.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use pgstep::engine::{HistoryRow, RowState};
use pgstep::plan::{self, Plan};
use pgstep::tui::action::Action;
use pgstep::tui::app::{App, Header, Options};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::{ui, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const PHASES: usize = 10_000;
const APPLIED: usize = 5_000;
const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

const NOUNS: &[&str] = &[
    "account",
    "order",
    "invoice",
    "payment",
    "customer",
    "shipment",
    "product",
    "session",
    "audit_log",
    "tenant",
];

/// One native migration of about 1.5 KB: header, three steps, DOWN and VERIFY with two checks.
fn migration(i: usize) -> (String, String) {
    let t = format!("{}_{i}", NOUNS[i % NOUNS.len()]);
    let depends = if i > 1 {
        format!("{:05}", 1 + (i * 7919) % (i - 1))
    } else {
        "none".to_string()
    };
    let mut s = String::with_capacity(2048);
    let _ = write!(
        s,
        "-- Migration: Create {t}\n-- Date: 2026-11-21\n-- Author: bench@example.com\n\
         -- Depends: {depends}\n-- Goal: {t} exists with its trigger and index.\n\
         -- Transaction: phase\n-- Lock-Timeout: 5s\n-- Statement-Timeout: 10min\n\n\
         -- Step: Create {t}\n-- {t}s, one row per {t}.\nCREATE TABLE {t} (\n\
         \x20   id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    );
    for c in 0..3 + i % 5 {
        let _ = writeln!(s, "    col_{c} text NOT NULL, -- column {c}");
    }
    let _ = write!(
        s,
        "    created_at timestamptz NOT NULL DEFAULT now()\n);\n\
         COMMENT ON TABLE {t} IS 'The {t}s; see ''docs/{t}.md''.';\n\n\
         -- Step: Trigger\nCREATE OR REPLACE FUNCTION {t}_touch() RETURNS trigger\n\
         LANGUAGE plpgsql AS $fn$\nBEGIN\n    NEW.updated_at := now(); -- callers never set it\n\
         \x20   RETURN NEW;\nEND;\n$fn$;\nCREATE TRIGGER {t}_touch BEFORE UPDATE ON {t}\n\
         \x20   FOR EACH ROW EXECUTE FUNCTION {t}_touch();\n\n\
         -- Step: Index and data\nCREATE INDEX {t}_col_1_idx ON {t} (col_1) WHERE col_0 IS NOT NULL;\n\
         INSERT INTO {t} (col_0, col_1) VALUES\n    ('a', 'O''Brien #1'),\n    ('b', 'x');\n\
         COPY {t} (col_0, col_1) FROM stdin;\n1\tnote 1; fine\n2\tnote 2\n\\.\n\n\
         -- DOWN\nDROP TRIGGER IF EXISTS {t}_touch ON {t};\nDROP FUNCTION IF EXISTS {t}_touch();\n\
         DROP TABLE IF EXISTS {t};\n\n\
         -- VERIFY\n-- Check: {t} exists\n-- Expect: = 1\n\
         SELECT count(*) FROM pg_tables WHERE tablename = '{t}';\n\
         -- Check: no orphans\n-- Expect: empty\n\
         SELECT id FROM {t} WHERE col_0 IS NULL;\n"
    );
    (format!("{i:05}_create_{t}.sql"), s)
}

/// The generated plan, read back as the console reads it.
fn generated_plan() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().expect("temporary directory");
    for i in 1..=PHASES {
        let (name, text) = migration(i);
        std::fs::write(dir.path().join(name), text).expect("write a migration");
    }
    let plan = plan::load(dir.path()).unwrap_or_else(|e| panic!("generated plan: {e}"));
    assert_eq!(plan.migrations.len(), PHASES);
    (dir, plan)
}

/// History rows for the first `APPLIED` phases, with matching checksums (so: applied).
fn history(plan: &Plan) -> Vec<HistoryRow> {
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    plan.migrations[..APPLIED]
        .iter()
        .enumerate()
        .map(|(i, m)| HistoryRow {
            version: m.version.to_string(),
            name: m.name.clone(),
            applied_at: Some(start + chrono::Duration::seconds(i as i64 * 7)),
            checksum: Some(m.checksum.clone()),
            success: true,
            error_message: None,
            execution_time_ms: Some(12 + (i % 90) as i32),
            state: RowState::Applied,
            applied_by_role: Some("postgres".into()),
            applied_by_os_user: Some("dba".into()),
            applied_from_host: Some("bastion".into()),
            checksum_up: Some(m.part_checksums.up.clone()),
            checksum_down: m.part_checksums.down.clone(),
            checksum_verify: m.part_checksums.verify.clone(),
            fingerprint: None,
            transactional: true,
            statements_total: Some(m.up.count() as i32),
            statements_done: Some(m.up.count() as i32),
            check_snapshot: None,
            in_flight: None,
            in_flight_pid: None,
            down_done: None,
            kept: Vec::new(),
        })
        .collect()
}

fn new_app(plan: &Arc<Plan>) -> App {
    let header = Header {
        profile: "default".into(),
        target: "postgresql://postgres@127.0.0.1:5498/bench".into(),
        role: "postgres".into(),
        server_version: "15.18".into(),
        environment: Some("staging".into()),
        read_only: false,
    };
    App::new(plan.clone(), header, Keymap::default(), Options::default())
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn bench(c: &mut Criterion) {
    let (dir, plan) = generated_plan();
    let plan = Arc::new(plan);
    let rows = history(&plan);

    let mut g = c.benchmark_group("console");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    // What the console does before its first frame: read the plan, build the state.
    g.bench_function("load_plan_10000", |b| {
        b.iter(|| plan::load(black_box(dir.path())).unwrap())
    });
    // What the console reads instead: the outline, and then one phase's files each time a
    // phase is shown or run.
    g.bench_function("load_outline_10000", |b| {
        b.iter(|| plan::load_outline(black_box(dir.path())).unwrap())
    });
    let outline = plan::load_outline(dir.path()).unwrap();
    let middle = &outline.migrations[PHASES / 2];
    g.bench_function("read_one_phase_again", |b| {
        b.iter(|| black_box(middle).read().unwrap().into_owned())
    });
    g.bench_function("app_new_10000", |b| b.iter(|| new_app(black_box(&plan))));
    // The history arriving (Action::Status): every phase's state recomputed.
    g.bench_function("status_10000_phases_5000_applied", |b| {
        b.iter_batched(
            || (new_app(&plan), rows.clone()),
            |(mut app, rows)| {
                update::update(
                    &mut app,
                    Action::Status {
                        rows: black_box(rows),
                        holder: None,
                    },
                );
                app
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("render");
    g.sample_size(50)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for (w, h) in SIZES {
        let mut app = new_app(&plan);
        update::update(&mut app, Action::Resize(w, h));
        update::update(
            &mut app,
            Action::Status {
                rows: rows.clone(),
                holder: None,
            },
        );
        assert!(app.loaded && app.phases.len() == PHASES);
        app.selected = PHASES / 2;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal.draw(|f| ui::render(&app, f)).expect("draw");

        // The same state redrawn: everything is rendered, the diff is empty.
        g.bench_function(format!("frame_{w}x{h}"), |b| {
            b.iter(|| {
                terminal.draw(|f| ui::render(black_box(&app), f)).unwrap();
            })
        });
        // Down, then the frame: the list and the detail change on every iteration.
        g.bench_function(format!("down_and_frame_{w}x{h}"), |b| {
            b.iter(|| {
                if app.selected >= PHASES * 3 / 4 {
                    app.selected = PHASES / 4;
                }
                update::update(&mut app, black_box(key(KeyCode::Down)));
                terminal.draw(|f| ui::render(&app, f)).unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
