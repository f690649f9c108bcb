//! Monitoring reports for the console tests: fixed values, no database.

use chrono::{DateTime, TimeZone, Utc};
use pgstep::engine::{HistoryRow, RowState};
use pgstep::monitor::activity::{Activity, Focus, Session, Wait};
use pgstep::monitor::indexes::{IndexInfo, IndexReport, StatsSince};
use pgstep::monitor::matviews::{MatviewInfo, MatviewReport};
use pgstep::monitor::progress::Gauge;
use pgstep::plan::Migration;
use pgstep::tui::monitor::{Gauged, Watch};

pub fn since() -> StatsSince {
    StatsSince {
        reset_at: Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()),
        counting_since: Some(Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()),
        server_started: None,
    }
}

fn index(table: &str, name: &str, size: i64, scans: i64) -> IndexInfo {
    IndexInfo {
        schema: "public".into(),
        table: table.into(),
        index: name.into(),
        size_bytes: Some(size),
        scans: Some(scans),
        definition: Some(format!(
            "CREATE INDEX {name} ON public.{table} USING btree (x)"
        )),
        method: "btree".into(),
        valid: true,
        ready: true,
        live: true,
        ..IndexInfo::default()
    }
}

/// A primary key in use, an unused index, a duplicate, an invalid one.
pub fn indexes() -> IndexReport {
    let mut pk = index("books", "books_pkey", 16_384, 9_120);
    pk.primary = true;
    pk.unique = true;
    pk.constraint = Some("books_pkey".into());
    let mut unused = index("books", "books_title_idx", 2_457_600, 0);
    unused.unused = true;
    let mut dup = index("authors", "authors_name_idx2", 81_920, 4);
    dup.duplicate_of = Some("authors_name_idx".into());
    let used = index("authors", "authors_name_idx", 81_920, 310);
    let mut invalid = index("loans", "loans_due_idx", 8_192, 0);
    invalid.valid = false;
    invalid.invalid = true;
    IndexReport {
        indexes: vec![pk, unused, dup, used, invalid],
        stats_since: since(),
        query_ms: 12,
    }
}

pub fn matviews() -> MatviewReport {
    let fresh = MatviewInfo {
        schema: "public".into(),
        name: "book_counts".into(),
        oid: 16500,
        size_bytes: Some(49_152),
        populated: true,
        concurrent_refresh: true,
        unique_index: Some("book_counts_author_idx".into()),
        last_refresh: Some(Utc.with_ymd_and_hms(2024, 5, 2, 9, 30, 0).unwrap()),
        last_refresh_concurrently: Some(true),
        last_refresh_ms: Some(420),
        base_tables: vec!["public.books".into()],
        writes_since_refresh: Some(0),
        ..MatviewInfo::default()
    };
    let stale = MatviewInfo {
        schema: "public".into(),
        name: "loan_stats".into(),
        oid: 16510,
        size_bytes: Some(8_192),
        populated: false,
        base_tables: vec!["public.loans".into(), "public.books".into()],
        ..MatviewInfo::default()
    };
    MatviewReport {
        matviews: vec![fresh, stale],
        stats_since: since(),
        query_ms: 8,
    }
}

pub fn session(pid: i32, app: &str, state: &str, age: f64, query: &str) -> Session {
    Session {
        pid,
        user: Some("alice".into()),
        application: Some(app.into()),
        client: None,
        state: Some(state.into()),
        backend_type: Some("client backend".into()),
        xact_age_secs: Some(age),
        query_age_secs: Some(age),
        wait_event: None,
        query: Some(query.into()),
        blocked_by: Vec::new(),
    }
}

pub fn activity() -> Activity {
    let blocker = session(
        4242,
        "psql",
        "idle in transaction",
        192.0,
        "UPDATE books SET title = 'x' WHERE id = 1",
    );
    let pgstep = session(
        77,
        "pgstep",
        "active",
        12.0,
        "ALTER TABLE books ADD COLUMN isbn text",
    );
    let queued = session(90, "web", "active", 4.0, "SELECT * FROM books WHERE id = 2");
    let mut idle = session(31, "web", "idle", 0.0, "COMMIT");
    idle.xact_age_secs = None;
    let sessions = vec![
        idle,
        Session {
            blocked_by: vec![4242],
            wait_event: Some("Lock:relation".into()),
            ..pgstep.clone()
        },
        Session {
            blocked_by: vec![77, 4242],
            wait_event: Some("Lock:relation".into()),
            ..queued.clone()
        },
        blocker.clone(),
    ];
    Activity {
        sessions,
        waits: vec![
            Wait {
                waiting: pgstep.clone(),
                locktype: "relation".into(),
                object: "books".into(),
                mode: "AccessExclusiveLock".into(),
                waiting_secs: Some(12.0),
                blocker: blocker.clone(),
                blocker_waits: false,
            },
            Wait {
                waiting: queued.clone(),
                locktype: "relation".into(),
                object: "books".into(),
                mode: "AccessShareLock".into(),
                waiting_secs: Some(4.0),
                blocker: pgstep,
                blocker_waits: true,
            },
        ],
        focus: Some(Focus {
            pid: 77,
            blockers: vec![blocker],
            queued: vec![queued],
        }),
    }
}

pub fn gauges() -> Vec<Gauged> {
    vec![Gauged {
        gauge: Gauge {
            pid: 77,
            command: "CREATE INDEX CONCURRENTLY".into(),
            autovacuum: false,
            relation: Some("books".into()),
            index: Some("books_title_idx".into()),
            phase: "building index: scanning table".into(),
            done: Some(1200),
            total: Some(2857),
            unit: Some("blocks".into()),
            percent: Some(42.0),
            waiting_for: None,
        },
        eta: Some(std::time::Duration::from_secs(80)),
    }]
}

pub fn watch() -> Watch {
    Watch::from_focus(activity().focus, gauges())
}

/// A history row saying `m` was applied as the file is now.
pub fn applied_row(m: &Migration, when: Option<DateTime<Utc>>) -> HistoryRow {
    HistoryRow {
        version: m.version.to_string(),
        name: m.name.clone(),
        applied_at: when,
        checksum: Some(m.checksum.clone()),
        success: true,
        error_message: None,
        execution_time_ms: Some(148),
        state: RowState::Applied,
        applied_by_role: Some("migrator".into()),
        applied_by_os_user: Some("ada".into()),
        applied_from_host: Some("bastion1".into()),
        checksum_up: Some(m.part_checksums.up.clone()),
        checksum_down: m.part_checksums.down.clone(),
        checksum_verify: m.part_checksums.verify.clone(),
        fingerprint: None,
        transactional: m.transactional(),
        statements_total: Some(m.up.count() as i32),
        statements_done: Some(m.up.count() as i32),
        check_snapshot: None,
        in_flight: None,
        in_flight_pid: None,
        down_done: None,
        kept: Vec::new(),
    }
}
