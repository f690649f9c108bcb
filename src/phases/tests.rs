//! The merge on plans read from small directories and histories built by hand.

use std::collections::HashMap;

use super::*;
use chrono::{DateTime, TimeZone, Utc};

use crate::adopt::{InStep, Recorded, Tool, ToolHistory, ToolRow};
use crate::plan::{self, Plan};

fn plan(versions: &[&str]) -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().expect("temp dir");
    for v in versions {
        let text = format!("CREATE TABLE t{v} (id int);\n-- DOWN\nDROP TABLE t{v};\n");
        std::fs::write(dir.path().join(format!("{v}_p{v}.sql")), text).expect("write");
    }
    let plan = plan::load(dir.path()).expect("plan");
    (dir, plan)
}

fn ours(p: &Plan, v: &str, state: RowState) -> HistoryRow {
    let m = p
        .migrations
        .iter()
        .find(|m| m.version.as_str() == v)
        .expect("in plan");
    HistoryRow {
        version: v.into(),
        name: m.name.clone(),
        applied_at: None,
        checksum: Some(m.checksum.clone()),
        success: state == RowState::Applied,
        error_message: None,
        execution_time_ms: None,
        state,
        applied_by_role: None,
        applied_by_os_user: None,
        applied_from_host: None,
        checksum_up: Some(m.part_checksums.up.clone()),
        checksum_down: m.part_checksums.down.clone(),
        checksum_verify: m.part_checksums.verify.clone(),
        fingerprint: m.fingerprint().ok(),
        transactional: true,
        statements_total: Some(1),
        statements_done: Some(1),
        check_snapshot: None,
        in_flight: None,
        in_flight_pid: None,
        down_done: None,
        kept: Vec::new(),
    }
}

fn row(v: &str, checksum: Option<&str>, success: bool) -> ToolRow {
    ToolRow {
        version: v.into(),
        name: Some(format!("p{v}")),
        applied_at: None,
        checksum: checksum.map(str::to_string),
        success,
        execution_time_ms: None,
    }
}

fn tool(tool: Tool, recorded: Recorded, checksums: &[(&str, &str)]) -> ToolHistory {
    ToolHistory {
        tool,
        table: "public.t".into(),
        recorded,
        checksums: checksums
            .iter()
            .map(|(v, c)| (Version::parse(v).expect("version"), c.to_string()))
            .collect::<HashMap<_, _>>(),
        in_step: InStep::default(),
    }
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0)
        .single()
        .expect("a time")
}

/// pgstep's row of `v`, applied at `hour`.
fn ours_at(p: &Plan, v: &str, hour: u32) -> HistoryRow {
    HistoryRow {
        applied_at: Some(at(hour)),
        ..ours(p, v, RowState::Applied)
    }
}

/// `t` as pgstep has written it since `hour`.
fn since(mut t: ToolHistory, hour: u32) -> ToolHistory {
    t.in_step.since = Some(at(hour));
    t
}

fn states(phases: &[Phase<'_>]) -> Vec<(String, &'static str, &'static str)> {
    phases
        .iter()
        .map(|p| (p.version.to_string(), p.state.word(), p.source.word()))
        .collect()
}

fn s(v: &str, state: &'static str, source: &'static str) -> (String, &'static str, &'static str) {
    (v.to_string(), state, source)
}

#[test]
fn pgstep_alone_reads_its_own_history() {
    let (_d, p) = plan(&["1", "2", "3"]);
    let rows = vec![ours(&p, "2", RowState::Applied)];
    assert_eq!(
        states(&phases(&p, &rows)),
        vec![
            s("1", "out-of-order", "pgstep"),
            s("2", "applied", "pgstep"),
            s("3", "pending", "pgstep"),
        ]
    );
}

#[test]
fn the_tool_says_what_is_applied() {
    let (_d, p) = plan(&["1", "2", "3"]);
    let t = tool(
        Tool::Dbmate,
        Recorded::Rows(vec![row("1", None, true), row("2", None, true)]),
        &[],
    );
    let merged = merge(&p, &[], Some(&t));
    assert_eq!(
        states(&merged),
        vec![
            s("1", "applied", "dbmate"),
            s("2", "applied", "dbmate"),
            s("3", "pending", "dbmate"),
        ]
    );
    assert!(merged[0].tool.is_some());
}

#[test]
fn a_phase_the_tool_rolled_back_is_pending_again() {
    let (_d, p) = plan(&["1", "2"]);
    let rows = vec![
        ours(&p, "1", RowState::Applied),
        ours(&p, "2", RowState::Applied),
    ];
    let t = since(
        tool(Tool::Sqlx, Recorded::Rows(vec![row("1", None, true)]), &[]),
        0,
    );
    let merged = merge(&p, &rows, Some(&t));
    assert_eq!(merged[1].state, PhaseState::Pending);
    assert_eq!(merged[1].gap, Some(ToolGap::UndoneByTool));
    assert_eq!(merged[0].gap, None);
}

#[test]
fn what_pgstep_applied_before_it_wrote_the_tools_table_is_applied() {
    let (_d, p) = plan(&["1", "2", "3"]);
    let rows = vec![ours_at(&p, "1", 10), ours_at(&p, "2", 12)];
    let empty = || tool(Tool::Sqlx, Recorded::Rows(Vec::new()), &[]);
    // No `adopted` event: pgstep has never written the table.
    let never = empty();
    let merged = merge(&p, &rows, Some(&never));
    assert_eq!(
        states(&merged),
        vec![
            s("1", "applied", "pgstep"),
            s("2", "applied", "pgstep"),
            s("3", "pending", "sqlx"),
        ]
    );
    let gaps: Vec<_> = merged.iter().map(|p| p.gap).collect();
    let before = Some(ToolGap::BeforeAdoption);
    assert_eq!(gaps, [before, before, None]);
    assert_eq!(merged[0].applied_at(), Some(at(10)));
    // Written since 11:00: what pgstep applied after that, the tool rolled back.
    let t = since(empty(), 11);
    let merged = merge(&p, &rows, Some(&t));
    assert_eq!(merged[0].state, PhaseState::Applied);
    assert_eq!(merged[0].gap, before);
    assert_eq!(merged[1].state, PhaseState::Pending);
    assert_eq!(merged[1].gap, Some(ToolGap::UndoneByTool));
    // Applied at the very moment of the event counts as written.
    let at_event = [ours_at(&p, "1", 11)];
    let merged = merge(&p, &at_event, Some(&t));
    assert_eq!(merged[0].gap, Some(ToolGap::UndoneByTool));
}

#[test]
fn a_phase_recorded_late_that_the_tool_rolled_back_is_pending() {
    let (_d, p) = plan(&["1", "2"]);
    let rows = vec![ours_at(&p, "1", 10), ours_at(&p, "2", 10)];
    let mut t = since(
        tool(Tool::Sqlx, Recorded::Rows(vec![row("1", None, true)]), &[]),
        11,
    );
    t.in_step.recorded_late = ["1", "2"].map(String::from).into_iter().collect();
    let merged = merge(&p, &rows, Some(&t));
    assert_eq!(
        states(&merged),
        vec![s("1", "applied", "sqlx"), s("2", "pending", "sqlx")]
    );
    assert_eq!(merged[1].gap, Some(ToolGap::UndoneByTool));
}

#[test]
fn before_adoption_orders_pending_phases_and_keeps_files_gone() {
    let (_d, p) = plan(&["1", "2", "3"]);
    let mut rows = vec![ours_at(&p, "1", 10), ours_at(&p, "3", 10)];
    let mut gone = ours_at(&p, "3", 10);
    gone.version = "4".into();
    rows.push(gone);
    let t = tool(Tool::Dbmate, Recorded::Rows(Vec::new()), &[]);
    let merged = merge(&p, &rows, Some(&t));
    assert_eq!(
        states(&merged),
        vec![
            s("1", "applied", "pgstep"),
            s("2", "out-of-order", "dbmate"),
            s("3", "applied", "pgstep"),
            s("4", "missing", "pgstep"),
        ]
    );
    assert_eq!(merged[3].gap, Some(ToolGap::BeforeAdoption));
}

#[test]
fn a_changed_checksum_of_the_tool_is_drift() {
    let (_d, p) = plan(&["1", "2"]);
    let t = tool(
        Tool::Sqlx,
        Recorded::Rows(vec![row("1", Some("aa"), true), row("2", Some("bb"), true)]),
        &[("1", "aa"), ("2", "cc")],
    );
    let merged = merge(&p, &[], Some(&t));
    assert_eq!(merged[0].state, PhaseState::Applied);
    assert_eq!(merged[1].state, PhaseState::Drifted);
    let drift = merged[1].drift.as_ref().expect("drift");
    assert_eq!(drift.tool, Some(Tool::Sqlx));
    assert!(
        drift.describe().contains("sqlx's checksum"),
        "{}",
        drift.describe()
    );
}

#[test]
fn golang_migrate_applies_every_version_up_to_its_row() {
    let (_d, p) = plan(&["1", "2", "3", "4"]);
    let t = tool(
        Tool::GolangMigrate,
        Recorded::UpTo(Some(row("3", None, false))),
        &[],
    );
    assert_eq!(
        states(&merge(&p, &[], Some(&t))),
        vec![
            s("1", "applied", "golang-migrate"),
            s("2", "applied", "golang-migrate"),
            s("3", "dirty", "golang-migrate"),
            s("4", "pending", "golang-migrate"),
        ]
    );
    assert_eq!(t.adopted(&p).versions, 3);
}

#[test]
fn missing_and_out_of_order_against_the_tool() {
    let (_d, p) = plan(&["1", "2", "4"]);
    let t = tool(
        Tool::Diesel,
        Recorded::Rows(vec![row("1", None, true), row("3", None, true)]),
        &[],
    );
    assert_eq!(
        states(&merge(&p, &[], Some(&t))),
        vec![
            s("1", "applied", "diesel"),
            s("2", "out-of-order", "diesel"),
            s("3", "missing", "diesel"),
            s("4", "pending", "diesel"),
        ]
    );
}

#[test]
fn a_phase_pgstep_stopped_part_way_keeps_its_own_state() {
    let (_d, p) = plan(&["1", "2"]);
    let rows = vec![ours(&p, "2", RowState::Dirty)];
    let t = tool(
        Tool::GolangMigrate,
        Recorded::UpTo(Some(row("2", None, false))),
        &[],
    );
    let merged = merge(&p, &rows, Some(&t));
    assert_eq!(merged[1].state, PhaseState::Dirty);
    assert_eq!(merged[1].source, Source::Pgstep);
    assert_eq!(merged[0].state, PhaseState::Applied);
}
