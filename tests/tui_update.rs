//! The console's flows, driven through `update` alone: scripted actions in, effects and state
//! out. No terminal and no database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pgstep::engine::keeping::KeepChoice;
use pgstep::engine::{Applied, CheckOutcome, DownTarget, Grade, HistoryRow, Progress};
use pgstep::plan::{self, Plan, Version};
use pgstep::tui::action::{Action, Effect, Outcome};
use pgstep::tui::app::{App, Header, JobKind, Options, Tab};
use pgstep::tui::dialog::{Held, Modal};
use pgstep::tui::keymap::Keymap;
use pgstep::tui::update::update;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn plan() -> Plan {
    plan::load(Path::new("tests/fixtures/native")).expect("fixture plan loads")
}

fn v(s: &str) -> Version {
    Version::parse(s).unwrap()
}

fn app_with(applied: usize, options: Options, read_only: bool) -> App {
    let plan = Arc::new(plan());
    let rows: Vec<HistoryRow> = plan
        .migrations
        .iter()
        .take(applied)
        .map(|m| tui_fixtures::applied_row(m, None))
        .collect();
    let header = Header {
        profile: "test".into(),
        target: "localhost:5432/app".into(),
        role: "postgres".into(),
        server_version: "15.18".into(),
        environment: None,
        read_only,
    };
    let mut app = App::new(plan, header, Keymap::default(), options);
    app.size = (120, 40);
    update(&mut app, Action::Status { rows, holder: None });
    app
}

fn app(applied: usize) -> App {
    app_with(applied, Options::default(), false)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        assert!(key(app, KeyCode::Char(c)).is_empty());
    }
}

fn versions(app: &App) -> Vec<String> {
    app.phases.iter().map(|p| p.version.to_string()).collect()
}

#[test]
fn apply_asks_first_with_cancel_focused() {
    let mut a = app(1);
    let next = a.phases[1].version.clone();
    let effects = key(&mut a, KeyCode::Char('n'));
    assert_eq!(
        effects,
        vec![Effect::ApplyFacts {
            version: next.clone()
        }],
        "the dialog measures the tables it touches"
    );
    match &a.modal {
        Some(Modal::ConfirmApply {
            version,
            typed,
            summary,
            ..
        }) => {
            assert_eq!(*version, next);
            assert!(typed.is_none());
            assert!(
                summary.iter().any(|l| l.contains("statement")),
                "{summary:?}"
            );
        }
        other => panic!("expected the apply dialog, got {other:?}"),
    }
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.modal.is_none() && a.job.is_none());
    key(&mut a, KeyCode::Char('n'));
    assert!(
        key(&mut a, KeyCode::Char('n')).is_empty(),
        "n in the dialog cancels"
    );
    assert!(a.modal.is_none());
    key(&mut a, KeyCode::Char('n'));
    assert!(
        key(&mut a, KeyCode::Enter).is_empty(),
        "Enter does not confirm: Cancel has focus"
    );
    assert!(a.modal.is_some());
    let effects = key(&mut a, KeyCode::Char('y'));
    assert_eq!(
        effects,
        vec![Effect::Apply {
            to: next.clone(),
            keep: KeepChoice::UpToMax
        }]
    );
    assert_eq!(a.job.as_ref().map(|j| j.kind), Some(JobKind::Apply));
    assert!(
        key(&mut a, KeyCode::Char('n')).is_empty(),
        "no second job while one runs"
    );
    assert!(a.modal.is_none());
}

#[test]
fn typed_confirmation_needs_the_exact_version() {
    let options = Options {
        confirm_typed: true,
        ..Options::default()
    };
    let mut a = app_with(0, options, false);
    let first = a.phases[0].version.clone();
    key(&mut a, KeyCode::Char('n'));
    typed(&mut a, "9");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    match &a.modal {
        Some(Modal::ConfirmApply {
            hint: Some(h),
            typed: Some(t),
            ..
        }) => {
            assert!(h.contains(first.as_str()), "{h}");
            assert!(t.is_empty());
        }
        other => panic!("expected the dialog with a hint, got {other:?}"),
    }
    typed(&mut a, first.as_str());
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::Apply {
            to: first,
            keep: KeepChoice::UpToMax
        }]
    );
}

#[test]
fn applying_moves_the_selection_to_the_next_phase_and_shows_checks() {
    let mut a = app(0);
    let first = a.phases[0].version.clone();
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    update(
        &mut a,
        Action::Progress(Progress::PhaseStarted {
            version: first.to_string(),
            name: "x".into(),
            statements: 3,
        }),
    );
    update(
        &mut a,
        Action::Progress(Progress::Statement {
            version: first.to_string(),
            index: 1,
            line: 7,
            step: Some("Table".into()),
        }),
    );
    update(
        &mut a,
        Action::Waiting(Some(
            "waiting for lock on books held by pid 4242: idle in transaction 3m12s".into(),
        )),
    );
    update(&mut a, Action::Tick(Duration::from_millis(1500)));
    let job = a.job.clone().unwrap();
    assert_eq!(
        (job.statements, job.statement, job.line),
        (3, Some(1), Some(7))
    );
    assert_eq!(job.step.as_deref(), Some("Table"));
    assert!(job.waiting.unwrap().contains("pid 4242"));
    assert_eq!(job.elapsed, Duration::from_millis(1500));
    let check = CheckOutcome {
        name: "rows kept".into(),
        expect: "unchanged".into(),
        before: Some("3".into()),
        after: "3".into(),
        grade: Grade::Pass,
        detail: "unchanged: 3".into(),
    };
    let done = Applied {
        version: first.to_string(),
        name: "x".into(),
        millis: 40,
        checks: vec![check.clone()],
    };
    let effects = update(&mut a, Action::Done(Outcome::Applied(vec![done])));
    assert_eq!(effects, vec![Effect::LoadStatus, Effect::LoadEvents]);
    assert!(a.job.is_none());
    match &a.modal {
        Some(Modal::Results { checks, .. }) => assert_eq!(checks, &vec![check]),
        other => panic!("expected the results, got {other:?}"),
    }
    assert_eq!(a.selected_phase().unwrap().version, a.phases[1].version);
    assert_eq!(a.results_of(&first).unwrap().len(), 1);
}

#[test]
fn how_checks_ran_is_said_after_the_work_and_ends_nothing() {
    let mut a = app(0);
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    let effects = update(&mut a, Action::Notice("app cannot create roles".into()));
    assert!(effects.is_empty());
    assert!(a.job.is_some(), "the running job goes on");
    let (_, text) = a.message.as_ref().expect("a message");
    assert_eq!(text, "warning: app cannot create roles");
}

#[test]
fn rollback_needs_the_typed_version() {
    let mut a = app(3);
    let all = versions(&a);
    a.selected = 1;
    let chosen = a.phases[1].version.clone();
    let effects = key(&mut a, KeyCode::Char('r'));
    // Down to the applied phase before it, judged by the history on screen.
    let before = a.phases[0].version.clone();
    assert_eq!(
        effects,
        vec![Effect::LoadImpact {
            version: chosen.clone(),
            target: DownTarget::To(before),
            rows: a.rows.clone(),
        }]
    );
    match &a.modal {
        Some(Modal::Rollback { phases, .. }) => {
            let listed: Vec<String> = phases.iter().map(|p| p.version.to_string()).collect();
            assert_eq!(
                listed,
                vec![all[2].clone(), all[1].clone()],
                "newest first, from the selected one"
            );
        }
        other => panic!("expected the rollback dialog, got {other:?}"),
    }
    assert!(
        key(&mut a, KeyCode::Enter).is_empty(),
        "empty entry keeps the dialog open"
    );
    assert!(matches!(
        &a.modal,
        Some(Modal::Rollback { hint: Some(_), .. })
    ));
    typed(&mut a, "999");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    match &a.modal {
        Some(Modal::Rollback {
            hint: Some(h),
            input,
            ..
        }) => {
            assert!(h.contains("999") && h.contains(chosen.as_str()), "{h}");
            assert!(input.is_empty());
        }
        other => panic!("expected the hint, got {other:?}"),
    }
    typed(&mut a, chosen.as_str());
    let effects = key(&mut a, KeyCode::Enter);
    assert_eq!(effects.len(), 1);
    match &effects[0] {
        Effect::Rollback { target, .. } => assert_eq!(*target, DownTarget::To(v(&all[0]))),
        other => panic!("expected a rollback, got {other:?}"),
    }
    assert_eq!(a.job.as_ref().map(|j| j.kind), Some(JobKind::Rollback));
}

#[test]
fn a_rollback_that_kept_copies_offers_their_restore_and_reads_the_trash() {
    let mut a = app(3);
    let done = |version: &str, kept| pgstep::engine::RolledBack {
        version: version.into(),
        name: "x".into(),
        millis: 5,
        from_history: false,
        kept,
    };
    let effects = update(
        &mut a,
        Action::Done(Outcome::RolledBack(vec![done("003", 2), done("002", 1)])),
    );
    let text = &a.message.as_ref().expect("a message").1;
    assert!(text.contains("rolled back 003, 002"), "{text}");
    assert!(
        text.contains("kept 3 cop(ies)") && text.contains("Trash tab"),
        "{text}"
    );
    assert!(effects.contains(&Effect::LoadTrash), "{effects:?}");

    let effects = update(
        &mut a,
        Action::Done(Outcome::RolledBack(vec![done("001", 0)])),
    );
    assert_eq!(a.message.as_ref().expect("a message").1, "rolled back 001");
    assert!(!effects.contains(&Effect::LoadTrash), "{effects:?}");
}

#[test]
fn rollback_esc_cancels_and_pending_phases_do_not_roll_back() {
    let mut a = app(1);
    key(&mut a, KeyCode::Char('r'));
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.modal.is_none() && a.job.is_none());
    a.selected = 1;
    assert!(key(&mut a, KeyCode::Char('r')).is_empty());
    assert!(a.modal.is_none());
    assert!(a.message.as_ref().unwrap().1.contains("not applied"));
}

#[test]
fn cancel_while_running_asks_then_cancels_on_the_server() {
    let mut a = app(0);
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    assert!(key(&mut a, KeyCode::Char('c')).is_empty());
    assert!(matches!(a.modal, Some(Modal::ConfirmCancel)));
    assert!(key(&mut a, KeyCode::Char('n')).is_empty());
    assert!(a.modal.is_none());
    key(&mut a, KeyCode::Esc);
    assert!(matches!(a.modal, Some(Modal::ConfirmCancel)));
    assert_eq!(key(&mut a, KeyCode::Char('y')), vec![Effect::Cancel]);
    assert!(a.job.as_ref().unwrap().cancelling);
    update(
        &mut a,
        Action::Done(Outcome::Cancelled(
            "phase 1 was cancelled and rolled back".into(),
        )),
    );
    assert!(a.job.is_none());
    assert!(a.message.as_ref().unwrap().1.contains("cancelled"));
}

#[test]
fn quit_asks_only_while_work_runs() {
    let mut a = app(0);
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    key(&mut a, KeyCode::Char('q'));
    assert!(matches!(a.modal, Some(Modal::ConfirmQuit)));
    assert!(!a.quit);
    key(&mut a, KeyCode::Esc);
    assert!(!a.quit && a.modal.is_none());
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    update(&mut a, Action::Key(ctrl_c));
    assert!(matches!(a.modal, Some(Modal::ConfirmQuit)));
    assert_eq!(key(&mut a, KeyCode::Char('y')), vec![Effect::Cancel]);
    assert!(a.quit);
    let mut idle = app(0);
    key(&mut idle, KeyCode::Char('q'));
    assert!(idle.quit);
}

#[test]
fn read_only_sessions_hide_mutating_actions() {
    let mut a = app_with(1, Options::default(), true);
    assert!(key(&mut a, KeyCode::Char('n')).is_empty());
    assert!(key(&mut a, KeyCode::Char('r')).is_empty());
    assert!(a.modal.is_none());
    let footer = a.keymap.footer(&a.contexts(), true);
    assert!(
        !footer
            .iter()
            .any(|(_, _, name)| *name == "apply_next" || *name == "rollback")
    );
    a.selected = 0;
    let effects = key(&mut a, KeyCode::Char('v'));
    assert_eq!(effects.len(), 1, "verifying is read-only and stays");
}

#[test]
fn too_small_terminal_ignores_action_keys() {
    let mut a = app(0);
    update(&mut a, Action::Resize(60, 20));
    assert!(a.too_small());
    assert!(key(&mut a, KeyCode::Char('n')).is_empty());
    assert!(a.modal.is_none());
    update(&mut a, Action::Resize(80, 24));
    key(&mut a, KeyCode::Char('n'));
    assert!(a.modal.is_some());
}

#[test]
fn filter_tabs_and_help() {
    let mut a = app(1);
    let second = a.phases[1].name.clone();
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, &second);
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.visible().len(), 1);
    assert_eq!(a.selected_phase().unwrap().name, second);
    key(&mut a, KeyCode::Char('/'));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.visible().len(), a.phases.len());
    assert_eq!(key(&mut a, KeyCode::Char('2')), vec![Effect::LoadEvents]);
    assert_eq!(a.tab, Tab::Log);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.tab, Tab::Phases);
    key(&mut a, KeyCode::Char('?'));
    assert!(a.help);
    key(&mut a, KeyCode::Char('x'));
    assert!(!a.help);
}

#[test]
fn failure_reports_and_reloads() {
    let mut a = app(0);
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    let effects = update(
        &mut a,
        Action::Failed("phase 1 failed at x.sql:3 [42P01] relation \"t\" does not exist".into()),
    );
    assert_eq!(effects, vec![Effect::LoadStatus, Effect::LoadEvents]);
    assert!(a.job.is_none());
    assert!(a.message.as_ref().unwrap().1.contains("42P01"));
}

#[test]
fn apply_dialog_fills_in_the_live_tables() {
    let mut a = app(1);
    let next = a.phases[1].version.clone();
    key(&mut a, KeyCode::Char('n'));
    let summary = |a: &App| match &a.modal {
        Some(Modal::ConfirmApply { summary, .. }) => summary.clone(),
        other => panic!("expected the apply dialog, got {other:?}"),
    };
    assert!(summary(&a).iter().any(|l| l.contains("measuring")));
    let facts = "users (~217 rows, 64 kB), held by pid 4242 (psql, idle in transaction 3m12s)";
    update(
        &mut a,
        Action::ApplyFacts {
            version: next,
            findings: Vec::new(),
            tables: vec![facts.into()],
            kept: vec!["kept in pgstep_trash before it goes: 1 object(s), 64 kB".into()],
            oversize: None,
        },
    );
    let lines = summary(&a);
    assert!(
        lines.iter().any(|l| l == &format!("touches {facts}")),
        "{lines:?}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("kept in pgstep_trash")),
        "what is kept is said last: {lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("measuring")));
}

mod tui_fixtures;

fn with_monitors() -> App {
    let mut a = app(1);
    update(&mut a, Action::Indexes(tui_fixtures::indexes()));
    update(&mut a, Action::Matviews(tui_fixtures::matviews()));
    update(
        &mut a,
        Action::Activity {
            activity: tui_fixtures::activity(),
            gauges: tui_fixtures::gauges(),
        },
    );
    a
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

#[test]
fn monitoring_tabs_appear_once_loaded_and_load_on_switch() {
    let mut a = app(1);
    assert_eq!(a.tabs(), vec![Tab::Phases, Tab::Log]);
    let effects = update(
        &mut a,
        Action::Connected {
            own: vec![77],
            role: "postgres".into(),
            server_version: "15".into(),
        },
    );
    assert!(effects.contains(&Effect::LoadIndexes) && effects.contains(&Effect::LoadActivity));
    assert!(
        key(&mut a, KeyCode::Char('3')).is_empty(),
        "no third tab yet"
    );
    assert_eq!(a.tab, Tab::Phases);
    update(
        &mut a,
        Action::Activity {
            activity: tui_fixtures::activity(),
            gauges: Vec::new(),
        },
    );
    assert_eq!(a.tabs(), vec![Tab::Phases, Tab::Log, Tab::Activity]);
    assert_eq!(key(&mut a, KeyCode::Char('3')), vec![Effect::LoadActivity]);
    assert_eq!(a.tab, Tab::Activity);
    let reload = ctrl(&mut a, 'r');
    assert!(reload.contains(&Effect::LoadActivity), "{reload:?}");
    assert_eq!(
        key(&mut a, KeyCode::Tab),
        Vec::<Effect>::new(),
        "back to Phases"
    );
    assert_eq!(a.tab, Tab::Phases);
    let failed = update(&mut a, Action::ReadFailed("reading the indexes: x".into()));
    assert!(failed.is_empty());
    assert_eq!(a.tabs().len(), 3, "a failed load shows no tab");
}

#[test]
fn indexes_sort_filter_and_verdicts() {
    let mut a = with_monitors();
    assert_eq!(key(&mut a, KeyCode::Char('3')), vec![Effect::LoadIndexes]);
    let names = |a: &App| -> Vec<String> {
        a.monitors
            .visible_indexes()
            .iter()
            .map(|i| i.index.clone())
            .collect()
    };
    assert_eq!(names(&a)[0], "books_title_idx", "largest first");
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(
        names(&a)[0],
        "books_title_idx",
        "fewest scans first, then name"
    );
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(names(&a)[0], "authors_name_idx", "by name");
    key(&mut a, KeyCode::Char('u'));
    assert_eq!(names(&a), vec!["books_title_idx"], "unused only");
    key(&mut a, KeyCode::Char('u'));
    assert_eq!(names(&a), vec!["loans_due_idx"], "invalid only");
    for _ in 0..3 {
        key(&mut a, KeyCode::Char('u'));
    }
    assert_eq!(names(&a).len(), 5, "all again");
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "auth");
    key(&mut a, KeyCode::Enter);
    assert_eq!(names(&a), vec!["authors_name_idx", "authors_name_idx2"]);
    assert!(a.filter.is_empty(), "the phase filter is untouched");
}

#[test]
fn dropping_an_index_needs_its_typed_name() {
    let mut a = with_monitors();
    key(&mut a, KeyCode::Char('3'));
    key(&mut a, KeyCode::Char('s'));
    key(&mut a, KeyCode::Char('s'));
    // By name: authors_name_idx (in use) first.
    assert!(key(&mut a, KeyCode::Char('x')).is_empty());
    assert!(a.modal.is_none());
    assert!(a.message.as_ref().unwrap().1.contains("in use"));
    assert!(key(&mut a, KeyCode::Char('b')).is_empty());
    assert!(a.message.as_ref().unwrap().1.contains("valid"));
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('x'));
    match &a.modal {
        Some(Modal::Maintain { facts, .. }) => {
            let all = facts.join("\n");
            assert!(all.contains("authors_name_idx2") && all.contains("80.0 kB"));
            assert!(all.contains("4 scans") && all.contains("CREATE INDEX"));
        }
        other => panic!("expected the drop dialog, got {other:?}"),
    }
    typed(&mut a, "authors");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(
        a.modal.is_some() && a.job.is_none(),
        "a wrong name does nothing"
    );
    typed(&mut a, "authors_name_idx2");
    let effects = key(&mut a, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::DropIndex {
            name: "\"public\".\"authors_name_idx2\"".into()
        }]
    );
    assert_eq!(a.job.as_ref().map(|j| j.kind), Some(JobKind::DropIndex));
    assert!(
        key(&mut a, KeyCode::Char('4')).is_empty(),
        "no load while maintenance runs"
    );
    let done = update(
        &mut a,
        Action::Done(Outcome::Maintained(
            "dropped index public.authors_name_idx2".into(),
        )),
    );
    assert_eq!(
        done,
        vec![Effect::LoadStatus, Effect::LoadEvents, Effect::LoadIndexes]
    );
    assert!(a.job.is_none());
}

#[test]
fn rebuilding_and_refreshing_and_read_only() {
    let mut a = with_monitors();
    key(&mut a, KeyCode::Char('3'));
    key(&mut a, KeyCode::Char('G'));
    assert_eq!(a.monitors.selected_index().unwrap().index, "loans_due_idx");
    key(&mut a, KeyCode::Char('b'));
    assert!(matches!(a.modal, Some(Modal::Maintain { .. })));
    typed(&mut a, "loans_due_idx");
    assert!(matches!(
        key(&mut a, KeyCode::Enter).as_slice(),
        [Effect::Reindex { .. }]
    ));
    let failed = update(&mut a, Action::Failed("lock timeout".into()));
    assert!(failed.contains(&Effect::LoadIndexes));

    key(&mut a, KeyCode::Char('4'));
    assert_eq!(a.tab, Tab::Matviews);
    key(&mut a, KeyCode::Char('f'));
    typed(&mut a, "book_counts");
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::RefreshMatview {
            name: "\"public\".\"book_counts\"".into()
        }]
    );
    assert_eq!(
        a.job.as_ref().unwrap().target.as_deref(),
        Some("book_counts")
    );

    let mut ro = app_with(1, Options::default(), true);
    update(&mut ro, Action::Indexes(tui_fixtures::indexes()));
    key(&mut ro, KeyCode::Char('3'));
    assert!(key(&mut ro, KeyCode::Char('x')).is_empty());
    assert!(ro.modal.is_none(), "read-only sessions drop nothing");
}

#[test]
fn signalling_a_session_needs_its_typed_pid() {
    let mut a = with_monitors();
    key(&mut a, KeyCode::Char('5'));
    assert_eq!(a.tab, Tab::Activity);
    // The oldest transaction first: the blocker, idle in its transaction for 3m12s.
    assert_eq!(a.monitors.selected_session().map(|s| s.pid), Some(4242));
    key(&mut a, KeyCode::Char('T'));
    match &a.modal {
        Some(Modal::Maintain { facts, .. }) => {
            assert!(facts[0].contains("pid 4242") && facts[1].contains("UPDATE books"));
        }
        other => panic!("expected the terminate dialog, got {other:?}"),
    }
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.modal.is_none());
    key(&mut a, KeyCode::Char('j'));
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.monitors.selected_session().map(|s| s.pid), Some(90));
    key(&mut a, KeyCode::Char('C'));
    typed(&mut a, "90");
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::SignalBackend {
            pid: 90,
            terminate: false
        }]
    );
}

#[test]
fn cancelling_a_session_that_runs_no_statement_offers_terminate() {
    let mut a = with_monitors();
    key(&mut a, KeyCode::Char('5'));
    key(&mut a, KeyCode::Char('C'));
    match &a.modal {
        Some(Modal::Maintain { facts, .. }) => {
            assert!(
                facts[0].contains("idle in transaction") && facts[0].contains("nothing to cancel"),
                "{facts:?}"
            );
        }
        other => panic!("expected the terminate dialog, got {other:?}"),
    }
    typed(&mut a, "4242");
    assert_eq!(
        key(&mut a, KeyCode::Enter),
        vec![Effect::SignalBackend {
            pid: 4242,
            terminate: true
        }]
    );
}

#[test]
fn the_sessions_list_sorts_by_a_key_and_keeps_the_consoles_own_sessions_safe() {
    let mut a = with_monitors();
    a.monitors.own = vec![77];
    key(&mut a, KeyCode::Char('5'));
    let pids = |a: &App| -> Vec<i32> { a.monitors.sessions().iter().map(|s| s.pid).collect() };
    assert_eq!(pids(&a), vec![4242, 77, 90, 31], "oldest transaction first");
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(pids(&a), vec![31, 77, 90, 4242], "by pid");
    assert!(a.message.as_ref().unwrap().1.contains("sorted by pid"));
    for _ in 0..4 {
        key(&mut a, KeyCode::Char('s'));
    }
    assert_eq!(
        pids(&a)[..2],
        [77, 90],
        "by wait: the waiting sessions first"
    );
    key(&mut a, KeyCode::Char('s'));
    assert_eq!(pids(&a), vec![4242, 77, 90, 31], "round to transaction age");
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.monitors.selected_session().map(|s| s.pid), Some(77));
    key(&mut a, KeyCode::Char('T'));
    assert!(
        a.modal.is_none(),
        "the console's own session is not signalled"
    );
    assert!(a.message.as_ref().unwrap().1.contains("own session"));
}

#[test]
fn the_watch_follows_a_running_phase_only() {
    let mut a = app(1);
    update(&mut a, Action::Watch(tui_fixtures::watch()));
    assert!(a.monitors.watch.is_none(), "nothing runs");
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('y'));
    update(&mut a, Action::Watch(tui_fixtures::watch()));
    assert_eq!(a.monitors.watch.as_ref().unwrap().blockers[0].pid, 4242);
    update(&mut a, Action::Failed("x".into()));
    assert!(a.monitors.watch.is_none());
}

#[test]
fn resuming_a_statement_in_doubt_asks_for_the_operators_word_first() {
    let plan = Arc::new(plan());
    let mut row = tui_fixtures::applied_row(&plan.migrations[0], None);
    row.state = pgstep::engine::RowState::Dirty;
    row.in_flight = Some(2);
    let mut a = app(0);
    update(
        &mut a,
        Action::Status {
            rows: vec![row],
            holder: None,
        },
    );
    let v0 = a.phases[0].version.clone();
    assert!(key(&mut a, KeyCode::Char('s')).is_empty());
    assert!(
        matches!(&a.modal, Some(Modal::InDoubtChoice { statement: 2, .. })),
        "{:?}",
        a.modal
    );
    key(&mut a, KeyCode::Char('d'));
    assert!(matches!(&a.modal, Some(Modal::Reason { .. })));
    typed(&mut a, "the row is there");
    key(&mut a, KeyCode::Tab);
    typed(&mut a, v0.as_str());
    let effects = key(&mut a, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Resume {
            version: v0,
            reason: "the row is there".into(),
            in_doubt: Some(pgstep::engine::InDoubt::Done),
        }]
    );
}

#[test]
fn a_failed_background_read_never_ends_the_running_job() {
    let mut a = app(1);
    key(&mut a, KeyCode::Char('n'));
    assert!(matches!(
        key(&mut a, KeyCode::Char('y'))[..],
        [Effect::Apply { .. }]
    ));
    for failed in [
        "reading the history: connection closed",
        "reading the event log: connection closed",
        "measuring what the rollback destroys: relation does not exist",
        "reading the tables of phase 003: timeout",
    ] {
        assert!(update(&mut a, Action::ReadFailed(failed.into())).is_empty());
        assert_eq!(
            a.job.as_ref().map(|j| j.kind),
            Some(JobKind::Apply),
            "the apply still runs on the server"
        );
        assert_eq!(a.message.as_ref().map(|m| m.1.as_str()), Some(failed));
        key(&mut a, KeyCode::Char('n'));
        assert!(
            key(&mut a, KeyCode::Char('y')).is_empty(),
            "no second apply while one runs"
        );
    }
}

#[test]
fn d_dry_runs_the_next_pending_phase_whichever_is_selected() {
    let mut a = app(1);
    let next = a.phases[1].version.clone();
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Down);
    assert_ne!(
        a.selected_phase().map(|p| p.version.clone()),
        Some(next.clone())
    );
    assert_eq!(
        key(&mut a, KeyCode::Char('d')),
        vec![Effect::DryRun { version: next }]
    );
}

#[test]
fn a_failed_transactional_phase_can_only_be_marked_pending() {
    let plan = Arc::new(plan());
    let mut row = tui_fixtures::applied_row(&plan.migrations[0], None);
    row.state = pgstep::engine::RowState::Failed;
    row.transactional = true;
    let mut a = app(0);
    update(
        &mut a,
        Action::Status {
            rows: vec![row],
            holder: None,
        },
    );
    key(&mut a, KeyCode::Char('m'));
    assert!(matches!(
        a.modal,
        Some(Modal::MarkChoice {
            can_apply: false,
            ..
        })
    ));
    key(&mut a, KeyCode::Char('a'));
    assert!(
        matches!(a.modal, Some(Modal::MarkChoice { .. })),
        "applied is not offered"
    );
    key(&mut a, KeyCode::Char('p'));
    assert!(matches!(a.modal, Some(Modal::Reason { .. })));
}

#[test]
fn check_results_come_from_the_log_and_go_with_a_rollback() {
    let mut a = app(1);
    let first = a.phases[0].version.clone();
    assert!(
        a.results_of(&first).is_none(),
        "nothing run in this console"
    );
    let logged = pgstep::engine::LoggedEvent {
        at: chrono::Utc::now(),
        event: "apply".into(),
        version: Some(first.to_string()),
        name: None,
        outcome: pgstep::engine::LoggedOutcome::read("applied".into()),
        duration_ms: Some(3),
        db_role: "postgres".into(),
        os_user: None,
        host: None,
        application: None,
        reason: None,
        details: serde_json::json!({ "checks": [
            { "name": "no book lost", "expect": "unchanged", "before": "217", "after": "217",
              "passed": true, "detail": "" }
        ]}),
    };
    update(&mut a, Action::Events(vec![logged]));
    let shown = a.results_of(&first).expect("results read from the log");
    assert_eq!(shown[0].name, "no book lost");
    assert_eq!(shown[0].grade, Grade::Pass);

    // Rolled back from another terminal: the history no longer has it.
    update(
        &mut a,
        Action::Status {
            rows: Vec::new(),
            holder: None,
        },
    );
    assert!(a.results_of(&first).is_none(), "no stale pass");
}

#[test]
fn an_idle_console_reloads_only_when_the_log_or_the_lock_moved() {
    use pgstep::engine::ChangeMark;
    let mut a = app(1);
    assert_eq!(update(&mut a, Action::Refresh), vec![Effect::PollChanges]);
    let mark = ChangeMark {
        newest: Some(3),
        holder: None,
    };
    assert!(
        update(&mut a, Action::Changes(mark)).is_empty(),
        "where it stands"
    );
    assert!(
        update(&mut a, Action::Changes(mark)).is_empty(),
        "nothing moved"
    );
    let held = ChangeMark {
        holder: Some(4242),
        ..mark
    };
    assert_eq!(
        update(&mut a, Action::Changes(held)),
        vec![Effect::LoadStatus, Effect::LoadEvents]
    );
    let logged = ChangeMark {
        newest: Some(4),
        ..held
    };
    assert_eq!(
        update(&mut a, Action::Changes(logged)),
        vec![Effect::LoadStatus, Effect::LoadEvents]
    );
    a.tab = Tab::Activity;
    assert_eq!(update(&mut a, Action::Refresh), vec![Effect::LoadActivity]);
}

#[test]
fn a_rebound_dialog_key_acts_and_the_old_one_no_longer_does() {
    let mut a = app(1);
    let shift_y = pgstep::keys::KeySpec::parse("Y").unwrap();
    a.keymap.rebind("yes", vec![shift_y]);
    key(&mut a, KeyCode::Char('n'));
    assert!(key(&mut a, KeyCode::Char('y')).is_empty());
    assert!(matches!(a.modal, Some(Modal::ConfirmApply { .. })));
    let footer = a.keymap.footer(&a.contexts(), false);
    assert!(footer.iter().any(|(_, k, n)| *n == "yes" && k == "Y"));
    let y = KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT);
    let effects = update(&mut a, Action::Key(y));
    assert!(matches!(effects[..], [Effect::Apply { .. }]), "{effects:?}");
}

/// What the rollback of `version` destroys: one table of `bytes`.
fn impact_of_a_table(version: &Version, bytes: i64, keep: (bool, u64)) -> Action {
    use pgstep::engine::impact::{Loss, Target, TargetKind};
    let loss = Loss {
        target: Target {
            kind: TargetKind::Table,
            schema: None,
            name: "events".into(),
            column: None,
        },
        exists: true,
        rows_estimate: Some(1_000_000),
        rows_exact: false,
        bytes: Some(bytes),
        column_type: None,
        non_null_values: None,
        tables: None,
        stopped: None,
    };
    Action::Impact {
        version: version.clone(),
        losses: vec![loss],
        downs: Vec::new(),
        keep,
        unkept: Vec::new(),
    }
}

/// Opens the rollback of the second of three applied phases, measured, and types its version.
fn rollback_confirmed(a: &mut App, bytes: i64, keep: (bool, u64)) -> Vec<Effect> {
    a.selected = 1;
    let chosen = a.phases[1].version.clone();
    key(a, KeyCode::Char('r'));
    update(a, impact_of_a_table(&chosen, bytes, keep));
    typed(a, chosen.as_str());
    key(a, KeyCode::Enter)
}

fn keep_choice(a: &App) -> Option<(Held, Option<String>, Option<String>)> {
    match &a.modal {
        Some(Modal::KeepChoice {
            held, reason, hint, ..
        }) => Some((held.clone(), reason.clone(), hint.clone())),
        _ => None,
    }
}

#[test]
fn a_rollback_above_trash_max_asks_to_keep_anyway_keep_nothing_or_cancel() {
    let mut a = app(3);
    let chosen = a.phases[1].version.clone();
    let before = DownTarget::To(a.phases[0].version.clone());
    let mb = 1 << 20;

    // Cancel: nothing runs.
    assert!(rollback_confirmed(&mut a, 5 * mb, (true, mb as u64)).is_empty());
    let (held, reason, _) = keep_choice(&a).expect("the choice is asked");
    assert_eq!((held, reason), (Held::Rollback(chosen.clone()), None));
    assert!(a.job.is_none());
    assert!(key(&mut a, KeyCode::Char('x')).is_empty(), "an unbound key");
    assert!(keep_choice(&a).is_some());
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.modal.is_none() && a.job.is_none());

    // Keep anyway.
    rollback_confirmed(&mut a, 5 * mb, (true, mb as u64));
    let effects = key(&mut a, KeyCode::Char('k'));
    assert_eq!(
        effects,
        vec![Effect::Rollback {
            target: before.clone(),
            reason: format!("rolled back from the console to before {chosen}"),
            keep: KeepChoice::Anyway,
        }]
    );
    assert_eq!(a.job.as_ref().map(|j| j.kind), Some(JobKind::Rollback));
    assert!(a.modal.is_none());
    a.job = None;

    // Do not keep: the reason is required, then goes with the choice.
    rollback_confirmed(&mut a, 5 * mb, (true, mb as u64));
    assert!(key(&mut a, KeyCode::Char('n')).is_empty());
    assert_eq!(keep_choice(&a).and_then(|c| c.1), Some(String::new()));
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    let (_, reason, hint) = keep_choice(&a).expect("still asking");
    assert_eq!(reason, Some(String::new()));
    assert!(hint.is_some_and(|h| h.contains("type why")));
    typed(&mut a, "staging holds a copy");
    let effects = key(&mut a, KeyCode::Enter);
    assert_eq!(
        effects,
        vec![Effect::Rollback {
            target: before.clone(),
            reason: format!("rolled back from the console to before {chosen}"),
            keep: KeepChoice::No {
                reason: "staging holds a copy".into()
            },
        }]
    );
    a.job = None;

    // Esc while typing the reason cancels too.
    rollback_confirmed(&mut a, 5 * mb, (true, mb as u64));
    key(&mut a, KeyCode::Char('n'));
    typed(&mut a, "no");
    assert!(key(&mut a, KeyCode::Esc).is_empty());
    assert!(a.modal.is_none() && a.job.is_none());

    // Below trash_max, or with keeping off, nothing is asked.
    for keep in [(true, 10 * mb as u64), (false, mb as u64)] {
        let effects = rollback_confirmed(&mut a, 5 * mb, keep);
        assert!(
            matches!(
                &effects[..],
                [Effect::Rollback {
                    keep: KeepChoice::UpToMax,
                    ..
                }]
            ),
            "{keep:?}: {effects:?}"
        );
        a.job = None;
    }
}

#[test]
fn an_apply_above_trash_max_asks_the_same_choice() {
    use pgstep::engine::keeping::Oversize;
    let mut a = app(1);
    let next = a.phases[1].version.clone();
    key(&mut a, KeyCode::Char('n'));
    let oversize = Oversize {
        bytes: 3 << 30,
        estimate: Duration::from_secs(21),
        max: 2 << 30,
    };
    update(
        &mut a,
        Action::ApplyFacts {
            version: next.clone(),
            findings: Vec::new(),
            tables: Vec::new(),
            kept: Vec::new(),
            oversize: Some(oversize),
        },
    );
    assert!(key(&mut a, KeyCode::Char('y')).is_empty());
    assert_eq!(
        keep_choice(&a).map(|c| c.0),
        Some(Held::Apply(next.clone()))
    );
    assert!(a.job.is_none(), "nothing runs before the choice");
    assert_eq!(
        key(&mut a, KeyCode::Char('k')),
        vec![Effect::Apply {
            to: next,
            keep: KeepChoice::Anyway
        }]
    );
}
