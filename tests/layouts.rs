//! Reading migration directories through the library: every layout, ordering, checksums,
//! `Depends`, and every kind of bad input, asserted on the typed diagnostics.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pgstep::plan::{self, CompareOp, Diagnostic, Expect, Layout, Migration, Plan, Problem};
use sha2::{Digest, Sha256};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load_ok(dir: &Path) -> Plan {
    match plan::load(dir) {
        Ok(p) => p,
        Err(e) => panic!("{} should load, got:\n{e}", dir.display()),
    }
}

fn load_err(dir: &Path) -> Vec<Diagnostic> {
    match plan::load(dir) {
        Ok(p) => panic!(
            "{} should fail, loaded {} migration(s)",
            dir.display(),
            p.migrations.len()
        ),
        Err(e) => e.diagnostics,
    }
}

fn errors(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.is_error()).collect()
}

/// A temporary directory holding `files` (name, contents); names may contain `/`.
fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = tmp.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, body).unwrap();
    }
    tmp
}

/// Copies the tree `from` into `to`, passing every file's bytes through `edit`.
fn copy_tree(from: &Path, to: &Path, edit: &dyn Fn(&Path, Vec<u8>) -> Vec<u8>) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target, edit);
        } else {
            let bytes = fs::read(entry.path()).unwrap();
            fs::write(&target, edit(&entry.path(), bytes)).unwrap();
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn up_of(m: &Migration) -> Vec<(u32, String)> {
    m.up.sql()
        .unwrap()
        .statements()
        .map(|s| (s.line, s.sql.to_string()))
        .collect()
}

fn down_of(m: &Migration) -> Option<Vec<(u32, String)>> {
    m.down.as_ref().map(|d| {
        d.sql()
            .unwrap()
            .statements()
            .map(|s| (s.line, s.sql.to_string()))
            .collect()
    })
}

fn cmp(op: CompareOp, n: &str) -> Expect {
    Expect::Compare(op, n.to_string())
}

/// What one migration of a fixture must read as.
struct Want {
    version: &'static str,
    name: &'static str,
    /// The UP file, relative to the fixture directory.
    file: &'static str,
    transactional: bool,
    up: Vec<(u32, &'static str)>,
    down: Option<Vec<(u32, &'static str)>>,
    /// (title, marker line, index of the first statement)
    steps: Vec<(&'static str, u32, usize)>,
    /// (name, expectation, marker line, query line, query)
    checks: Vec<(&'static str, Expect, u32, u32, &'static str)>,
}

struct LayoutCase {
    dir: &'static str,
    layout: Layout,
    migrations: Vec<Want>,
}

fn layout_cases() -> Vec<LayoutCase> {
    vec![
        LayoutCase {
            dir: "native",
            layout: Layout::Native,
            migrations: vec![
                Want {
                    version: "001",
                    name: "create_users",
                    file: "001_create_users.sql",
                    transactional: true,
                    up: vec![
                        (
                            11,
                            "CREATE TABLE users (\n    id bigint PRIMARY KEY,\n    email text NOT NULL DEFAULT '\n-- DOWN\n'\n)",
                        ),
                        (18, "CREATE TABLE audit (id bigserial, note text)"),
                        (
                            21,
                            "CREATE FUNCTION audit_users() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n-- DOWN\n  INSERT INTO audit(note) VALUES ('-- VERIFY');\n  RETURN NEW;\nEND\n$body$",
                        ),
                        (
                            32,
                            "CREATE TRIGGER users_audit AFTER INSERT ON users\n    FOR EACH ROW EXECUTE FUNCTION audit_users()",
                        ),
                    ],
                    down: Some(vec![
                        (36, "DROP TRIGGER users_audit ON users"),
                        (37, "DROP FUNCTION audit_users()"),
                        (38, "DROP TABLE audit"),
                        (39, "DROP TABLE users"),
                    ]),
                    steps: vec![("Tables", 10, 0), ("Trigger", 20, 2)],
                    checks: vec![
                        (
                            "no users without email",
                            Expect::Empty,
                            42,
                            44,
                            "SELECT id FROM users WHERE email IS NULL",
                        ),
                        (
                            "audit exists",
                            Expect::True,
                            46,
                            48,
                            "SELECT to_regclass('audit') IS NOT NULL",
                        ),
                        (
                            "one trigger",
                            cmp(CompareOp::Eq, "1"),
                            50,
                            52,
                            "SELECT count(*) FROM pg_trigger WHERE tgname = 'users_audit'",
                        ),
                        (
                            "default expectation",
                            Expect::Empty,
                            54,
                            55,
                            "SELECT 1 WHERE false",
                        ),
                    ],
                },
                Want {
                    version: "002",
                    name: "backfill",
                    file: "002_backfill.sql",
                    transactional: false,
                    up: vec![
                        (
                            4,
                            "CREATE INDEX CONCURRENTLY users_email_idx ON users (email)",
                        ),
                        (5, "UPDATE users SET email = lower(email)"),
                    ],
                    down: Some(vec![(31, "DROP INDEX CONCURRENTLY users_email_idx")]),
                    steps: vec![],
                    checks: vec![
                        ("has users", Expect::NonEmpty, 8, 10, "SELECT 1 FROM users"),
                        (
                            "some rows",
                            cmp(CompareOp::Ne, "0"),
                            11,
                            13,
                            "SELECT count(*) FROM users",
                        ),
                        (
                            "few audits",
                            cmp(CompareOp::Lt, "5"),
                            14,
                            16,
                            "SELECT count(*) FROM audit",
                        ),
                        (
                            "at most five",
                            cmp(CompareOp::Le, "5"),
                            17,
                            19,
                            "SELECT count(*) FROM audit",
                        ),
                        (
                            "positive",
                            cmp(CompareOp::Gt, "0"),
                            20,
                            22,
                            "SELECT count(*) FROM users",
                        ),
                        (
                            "at least one",
                            cmp(CompareOp::Ge, "1"),
                            23,
                            25,
                            "SELECT count(*) FROM users",
                        ),
                        (
                            "emails stable",
                            Expect::Unchanged,
                            26,
                            28,
                            "SELECT email FROM users ORDER BY id",
                        ),
                    ],
                },
                Want {
                    version: "010",
                    name: "active_users",
                    file: "010_active_users.sql",
                    transactional: true,
                    up: vec![(3, "CREATE VIEW active_users AS SELECT * FROM users")],
                    down: None,
                    steps: vec![],
                    checks: vec![],
                },
            ],
        },
        LayoutCase {
            dir: "updown",
            layout: Layout::UpDown,
            migrations: vec![
                Want {
                    version: "001",
                    name: "init",
                    file: "001_init.up.sql",
                    transactional: true,
                    up: vec![
                        (1, "CREATE TABLE accounts (id int)"),
                        (2, "CREATE TABLE ledger (id int)"),
                    ],
                    down: Some(vec![(1, "DROP TABLE ledger"), (2, "DROP TABLE accounts")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "002",
                    name: "ledger_index",
                    file: "002_ledger_index.up.sql",
                    transactional: false,
                    up: vec![(2, "CREATE INDEX CONCURRENTLY ledger_id ON ledger (id)")],
                    down: Some(vec![(2, "DROP INDEX CONCURRENTLY ledger_id")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "10",
                    name: "balances",
                    file: "10_balances.up.sql",
                    transactional: true,
                    up: vec![(1, "CREATE VIEW balances AS SELECT 1 AS id")],
                    down: None,
                    steps: vec![],
                    checks: vec![(
                        "view exists",
                        Expect::True,
                        4,
                        6,
                        "SELECT to_regclass($$balances$$) IS NOT NULL",
                    )],
                },
            ],
        },
        LayoutCase {
            dir: "diesel",
            layout: Layout::Diesel,
            migrations: vec![
                Want {
                    version: "2019-01-01-000000",
                    name: "create_posts",
                    file: "2019-01-01-000000_create_posts/up.sql",
                    transactional: true,
                    up: vec![(
                        1,
                        "CREATE TABLE posts (\n  id SERIAL PRIMARY KEY,\n  title VARCHAR NOT NULL\n)",
                    )],
                    down: Some(vec![(1, "DROP TABLE posts")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "2019-01-02-000000",
                    name: "index_posts",
                    file: "2019-01-02-000000_index_posts/up.sql",
                    transactional: false,
                    up: vec![(1, "CREATE INDEX CONCURRENTLY posts_title ON posts (title)")],
                    down: Some(vec![(1, "DROP INDEX CONCURRENTLY posts_title")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "2019-01-10-000000",
                    name: "seed_posts",
                    file: "2019-01-10-000000_seed_posts/up.sql",
                    transactional: true,
                    up: vec![
                        (2, "INSERT INTO posts (title) VALUES ('hello')"),
                        (3, "INSERT INTO posts (title) VALUES ('world')"),
                    ],
                    down: None,
                    steps: vec![],
                    checks: vec![],
                },
            ],
        },
        LayoutCase {
            dir: "flyway",
            layout: Layout::Flyway,
            migrations: vec![
                Want {
                    version: "1",
                    name: "init",
                    file: "V1__init.sql",
                    transactional: true,
                    up: vec![(1, "CREATE TABLE orders (id int)")],
                    down: Some(vec![(1, "DROP TABLE orders")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "1.9",
                    name: "add_total",
                    file: "V1_9__add_total.sql",
                    transactional: true,
                    up: vec![(1, "ALTER TABLE orders ADD COLUMN total numeric")],
                    down: Some(vec![(1, "ALTER TABLE orders DROP COLUMN total")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "1.10",
                    name: "index_total",
                    file: "V1_10__index_total.sql",
                    transactional: false,
                    up: vec![(
                        1,
                        "CREATE INDEX CONCURRENTLY orders_total ON orders (total)",
                    )],
                    down: None,
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "2",
                    name: "comment",
                    file: "V2__comment.sql",
                    transactional: true,
                    up: vec![(1, "COMMENT ON TABLE orders IS $$orders; all of them$$")],
                    down: None,
                    steps: vec![],
                    checks: vec![],
                },
            ],
        },
        LayoutCase {
            dir: "dbmate",
            layout: Layout::Dbmate,
            migrations: vec![
                Want {
                    version: "20240101120000",
                    name: "create_events",
                    file: "20240101120000_create_events.sql",
                    transactional: true,
                    up: vec![
                        (2, "CREATE TABLE events (id int)"),
                        (3, "CREATE TABLE sinks (id int)"),
                    ],
                    down: Some(vec![(6, "DROP TABLE sinks"), (7, "DROP TABLE events")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "20240102000000",
                    name: "index_events",
                    file: "20240102000000_index_events.sql",
                    transactional: false,
                    up: vec![(2, "CREATE INDEX CONCURRENTLY events_id ON events (id)")],
                    down: Some(vec![(5, "DROP INDEX CONCURRENTLY events_id")]),
                    steps: vec![],
                    checks: vec![],
                },
                Want {
                    version: "20240115093000",
                    name: "fill_events",
                    file: "20240115093000_fill_events.sql",
                    transactional: true,
                    up: vec![(3, "INSERT INTO events VALUES (1)")],
                    down: None,
                    steps: vec![("Fill", 2, 0)],
                    checks: vec![("filled", Expect::NonEmpty, 6, 8, "SELECT 1 FROM events")],
                },
            ],
        },
    ]
}

#[test]
fn every_layout_reads_as_expected() {
    for case in layout_cases() {
        let dir = fixture(case.dir);
        let plan = load_ok(&dir);
        let ctx = case.dir;
        assert_eq!(plan.layout, Some(case.layout), "{ctx}");
        assert!(plan.warnings.is_empty(), "{ctx}: {:?}", plan.warnings);
        let versions: Vec<&str> = plan.migrations.iter().map(|m| m.version.as_str()).collect();
        let want_versions: Vec<&str> = case.migrations.iter().map(|w| w.version).collect();
        assert_eq!(versions, want_versions, "{ctx}: order");
        for (m, w) in plan.migrations.iter().zip(&case.migrations) {
            let ctx = format!("{} {}", case.dir, w.version);
            assert_eq!(m.name, w.name, "{ctx}");
            assert_eq!(m.layout, case.layout, "{ctx}");
            assert_eq!(m.file, dir.join(w.file), "{ctx}");
            assert_eq!(m.up.file, dir.join(w.file), "{ctx}");
            assert_eq!(m.transactional(), w.transactional, "{ctx}: transaction");
            let up: Vec<(u32, &str)> =
                m.up.sql()
                    .unwrap()
                    .statements()
                    .map(|s| (s.line, s.sql))
                    .collect();
            assert_eq!(up, w.up, "{ctx}: up");
            let down = m.down.as_ref().map(|d| {
                d.sql()
                    .unwrap()
                    .statements()
                    .map(|s| (s.line, s.sql))
                    .collect::<Vec<_>>()
            });
            assert_eq!(down, w.down, "{ctx}: down");
            assert_eq!(
                m.part_checksums.down.is_some(),
                w.down.is_some(),
                "{ctx}: down checksum"
            );
            let steps: Vec<(&str, u32, usize)> = m
                .steps
                .iter()
                .map(|s| (s.title.as_str(), s.line, s.first_statement))
                .collect();
            assert_eq!(steps, w.steps, "{ctx}: steps");
            let checks: Vec<(&str, Expect, u32, u32, &str)> = m
                .checks
                .iter()
                .map(|c| {
                    (
                        c.name.as_str(),
                        c.expect.clone(),
                        c.line,
                        c.sql_line,
                        c.sql.as_str(),
                    )
                })
                .collect();
            assert_eq!(checks, w.checks, "{ctx}: checks");
            assert_eq!(
                m.part_checksums.verify.is_some(),
                !w.checks.is_empty(),
                "{ctx}: verify checksum"
            );
            let hex = m.checksum.to_string();
            assert_eq!(hex.len(), 64, "{ctx}");
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{ctx}");
        }
    }
}

#[test]
fn native_header_facts() {
    let dir = fixture("native");
    let plan = load_ok(&dir);
    let m = &plan.migrations[0];
    assert_eq!(m.meta.title.as_deref(), Some("Create users and audit"));
    assert_eq!(m.meta.date.as_deref(), Some("2025-01-25"));
    assert_eq!(m.meta.author.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        m.meta.goal.as_deref(),
        Some("users table with an audit trigger")
    );
    assert_eq!(m.meta.lock_timeout, Some(Duration::from_secs(5)));
    assert_eq!(m.meta.statement_timeout, Some(Duration::from_secs(600)));
    assert_eq!(m.meta.requires, ["pgcrypto", "citext"]);
    assert!(m.meta.depends.is_empty());
    // A Transaction header applies to the whole migration, DOWN included.
    let backfill = &plan.migrations[1];
    assert!(!backfill.up.transactional);
    assert!(!backfill.down.as_ref().unwrap().transactional);
    assert_eq!(backfill.meta.depends_line, Some(1));
    let deps: Vec<&str> = plan.migrations[2]
        .meta
        .depends
        .iter()
        .map(|v| v.as_str())
        .collect();
    assert_eq!(deps, ["001", "002"]);
}

#[test]
fn two_file_layouts_take_the_down_transaction_from_their_own_files() {
    let plan = load_ok(&fixture("updown"));
    let down = |i: usize| plan.migrations[i].down.as_ref().unwrap();
    assert!(down(0).transactional);
    assert!(!down(1).transactional);
    assert_eq!(
        down(1).file,
        fixture("updown").join("002_ledger_index.down.sql")
    );
    let dbmate = load_ok(&fixture("dbmate"));
    assert!(dbmate.migrations[0].down.as_ref().unwrap().transactional);
    assert!(!dbmate.migrations[1].down.as_ref().unwrap().transactional);
}

#[test]
fn native_checksum_is_sha256_of_the_file() {
    let dir = fixture("native");
    for m in load_ok(&dir).migrations {
        let bytes = fs::read(&m.file).unwrap();
        assert_eq!(
            m.checksum.to_string(),
            sha256_hex(&bytes),
            "{}",
            m.file.display()
        );
    }
}

#[test]
fn version_and_name_come_from_the_file_name_or_header() {
    let tmp = dir_with(&[
        ("042_from_name.sql", b"SELECT 1;\n"),
        ("just_a_title.sql", b"-- Version: 7\nSELECT 1;\n"),
    ]);
    let plan = load_ok(tmp.path());
    let got: Vec<(&str, &str)> = plan
        .migrations
        .iter()
        .map(|m| (m.version.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(got, [("7", "just_a_title"), ("042", "from_name")]);
}

#[test]
fn seed_003_example_template() {
    let path = fixture("seed003").join("006_user_preferences.sql");
    let text = fs::read_to_string(&path).unwrap();
    let m = plan::parse_file(&path, &text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(m.version.as_str(), "006");
    assert_eq!(m.name, "user_preferences");
    assert_eq!(m.layout, Layout::Native);
    assert_eq!(m.meta.title.as_deref(), Some("Add user preferences table"));
    assert_eq!(m.meta.date.as_deref(), Some("2025-01-25"));
    assert_eq!(m.meta.author.as_deref(), Some("Developer Name"));
    let deps: Vec<&str> = m.meta.depends.iter().map(|v| v.as_str()).collect();
    assert_eq!(deps, ["001"]);
    let up: Vec<u32> = m.up.sql().unwrap().statements().map(|s| s.line).collect();
    assert_eq!(up, [8, 17, 20, 23]);
    assert!(m.up.sql().unwrap().statements().next().unwrap().sql.starts_with(
        "CREATE TABLE IF NOT EXISTS user_preferences (\n    id UUID DEFAULT gen_random_uuid()"
    ));
    let down = down_of(&m).expect("seed 003 has a DOWN part");
    let down_lines: Vec<u32> = down.iter().map(|(l, _)| *l).collect();
    assert_eq!(down_lines, [30, 33, 36, 39]);
    assert_eq!(down[3].1, "DROP TABLE IF EXISTS user_preferences");
    assert!(m.checks.is_empty() && m.steps.is_empty());
    assert!(m.transactional());

    let plan = load_ok(&fixture("seed003"));
    let versions: Vec<&str> = plan.migrations.iter().map(|m| m.version.as_str()).collect();
    assert_eq!(versions, ["001", "006"]);
    assert_eq!(plan.migrations[1].checksum, m.checksum);
}

#[test]
fn versions_sort_numerically_by_segment() {
    let plan = load_ok(&fixture("ordering"));
    let got: Vec<(&str, &str)> = plan
        .migrations
        .iter()
        .map(|m| (m.version.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("1.9", "a"),
            ("1.10", "b"),
            ("2", "c"),
            ("10", "d"),
            ("20240101120000", "e"),
        ]
    );
}

#[test]
fn version_comparisons() {
    let v = |s: &str| plan::Version::parse(s).unwrap();
    let ascending = [
        "0",
        "1",
        "1.1",
        "1.9",
        "1.10",
        "2",
        "10",
        "2019-01-01-000000",
        "2019-01-02-000000",
        "20240101120000",
        "20240102000000",
    ];
    for pair in ascending.windows(2) {
        assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
    }
    assert_eq!(v("001"), v("1"));
    assert_eq!(v("1.0"), v("1"));
}

#[test]
fn depends_may_spell_a_version_differently() {
    let tmp = dir_with(&[
        ("001_a.sql", b"SELECT 1;\n"),
        ("002_b.sql", b"-- Depends: 1\nSELECT 1;\n"),
    ]);
    load_ok(tmp.path());
}

#[test]
fn markers_count_only_outside_sql_text() {
    let text = "\
SELECT 'a
-- DOWN
';
SELECT 1; -- DOWN
CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $fn$
BEGIN
-- DOWN
-- VERIFY
-- Step: not a step
  RETURN 1;
END
$fn$;
/*
-- DOWN
*/
SELECT E'it''s\\'
-- VERIFY
';
-- DOWN
SELECT 2;
";
    let m =
        plan::parse_file(Path::new("001_markers.sql"), text).unwrap_or_else(|d| panic!("{d:?}"));
    let up: Vec<u32> = m.up.sql().unwrap().statements().map(|s| s.line).collect();
    assert_eq!(up, [1, 4, 5, 16]);
    assert!(m.steps.is_empty());
    assert!(m.checks.is_empty());
    assert_eq!(down_of(&m), Some(vec![(20, "SELECT 2".to_string())]));
}

#[test]
fn dbmate_markers_count_only_outside_sql_text() {
    let text = "\
-- migrate:up
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$
-- migrate:down
SELECT 1
$$;
-- migrate:down
DROP FUNCTION f();
";
    let m = plan::parse_file(Path::new("001_f.sql"), text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(m.layout, Layout::Dbmate);
    assert_eq!(up_of(&m).len(), 1);
    assert_eq!(
        down_of(&m),
        Some(vec![(7, "DROP FUNCTION f()".to_string())])
    );
}

#[test]
fn a_migrate_up_line_inside_a_function_body_does_not_make_a_file_dbmate() {
    let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- migrate:up\nSELECT 1\n$$;\n";
    let m = plan::parse_file(Path::new("001_f.sql"), text).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(m.layout, Layout::Native);
    assert_eq!(up_of(&m).len(), 1);
}

/// Replaces `from` (which must occur) by `to` in the file whose name ends with `file`.
fn edit_one(
    file: &'static str,
    from: &'static str,
    to: String,
) -> impl Fn(&Path, Vec<u8>) -> Vec<u8> {
    move |path: &Path, bytes: Vec<u8>| {
        if !path.ends_with(file) {
            return bytes;
        }
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(from), "{from:?} not in {}", path.display());
        text.replacen(from, &to, 1).into_bytes()
    }
}

#[test]
fn only_the_down_checksum_changes_when_only_down_changes() {
    let cases = [
        ("native", "001_create_users.sql", "DROP TABLE audit;"),
        ("updown", "001_init.down.sql", "DROP TABLE ledger;"),
        (
            "diesel",
            "2019-01-01-000000_create_posts/down.sql",
            "DROP TABLE posts;",
        ),
        ("flyway", "U1__init.sql", "DROP TABLE orders;"),
        (
            "dbmate",
            "20240101120000_create_events.sql",
            "DROP TABLE sinks;",
        ),
    ];
    for (dir, file, stmt) in cases {
        let before = load_ok(&fixture(dir));
        let tmp = tempfile::tempdir().unwrap();
        let to = stmt.replace("DROP TABLE", "DROP TABLE IF EXISTS");
        copy_tree(&fixture(dir), tmp.path(), &edit_one(file, stmt, to));
        let after = load_ok(tmp.path());
        let (b, a) = (&before.migrations[0], &after.migrations[0]);
        assert_eq!(a.part_checksums.up, b.part_checksums.up, "{dir}: up");
        assert_eq!(
            a.part_checksums.verify, b.part_checksums.verify,
            "{dir}: verify"
        );
        assert!(b.part_checksums.down.is_some(), "{dir}");
        assert_ne!(a.part_checksums.down, b.part_checksums.down, "{dir}: down");
        assert_ne!(a.checksum, b.checksum, "{dir}: whole");
        for (x, y) in before.migrations.iter().zip(&after.migrations).skip(1) {
            assert_eq!(x.checksum, y.checksum, "{dir} {}", x.version);
            assert_eq!(x.part_checksums, y.part_checksums, "{dir} {}", x.version);
        }
    }
}

#[test]
fn only_the_verify_checksum_changes_when_only_verify_changes() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &fixture("native"),
        tmp.path(),
        &edit_one(
            "001_create_users.sql",
            "-- Expect: = 1",
            "-- Expect: >= 1".into(),
        ),
    );
    let b = &load_ok(&fixture("native")).migrations[0];
    let a = &load_ok(tmp.path()).migrations[0];
    assert_eq!(a.part_checksums.up, b.part_checksums.up);
    assert_eq!(a.part_checksums.down, b.part_checksums.down);
    assert_ne!(a.part_checksums.verify, b.part_checksums.verify);
    assert_ne!(a.checksum, b.checksum);
}

fn lf_to_crlf(_: &Path, bytes: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[test]
fn a_crlf_copy_reads_the_same() {
    for dir in ["native", "updown", "diesel", "flyway", "dbmate", "seed003"] {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture(dir), tmp.path(), &lf_to_crlf);
        let lf = load_ok(&fixture(dir));
        let crlf = load_ok(tmp.path());
        assert_eq!(crlf.layout, lf.layout, "{dir}");
        assert_eq!(crlf.migrations.len(), lf.migrations.len(), "{dir}");
        for (a, b) in crlf.migrations.iter().zip(&lf.migrations) {
            let ctx = format!("{dir} {}", b.version);
            assert!(fs::read(&a.file).unwrap().contains(&b'\r'), "{ctx}");
            assert_eq!(a.checksum, b.checksum, "{ctx}: checksum");
            assert_eq!(a.part_checksums, b.part_checksums, "{ctx}: parts");
            assert_eq!(a.transactional(), b.transactional(), "{ctx}");
            let norm = |v: Vec<(u32, String)>| -> Vec<(u32, String)> {
                v.into_iter()
                    .map(|(l, s)| (l, s.replace("\r\n", "\n")))
                    .collect()
            };
            assert_eq!(norm(up_of(a)), up_of(b), "{ctx}: up");
            assert_eq!(down_of(a).map(norm), down_of(b), "{ctx}: down");
            assert_eq!(a.steps, b.steps, "{ctx}: steps");
            assert_eq!(a.checks, b.checks, "{ctx}: checks");
        }
    }
}

#[test]
fn mixing_layouts_is_an_error_naming_the_files() {
    let static_dir = fixture("mixed");
    let cases: Vec<(tempfile::TempDir, [&str; 2])> = vec![
        (
            dir_with(&[
                ("001_a.sql", b"SELECT 1;\n"),
                ("002_b.sql", b"-- migrate:up\nSELECT 1;\n"),
            ]),
            ["001_a.sql", "002_b.sql"],
        ),
        (
            dir_with(&[("001_a.sql", b"SELECT 1;\n"), ("V2__b.sql", b"SELECT 1;\n")]),
            ["001_a.sql", "V2__b.sql"],
        ),
        (
            dir_with(&[
                ("2019-01-01-000000_a/up.sql", b"SELECT 1;\n"),
                ("2019-01-02-000000_b.up.sql", b"SELECT 1;\n"),
            ]),
            ["2019-01-01-000000_a/up.sql", "2019-01-02-000000_b.up.sql"],
        ),
    ];
    let mut dirs: Vec<(PathBuf, [&str; 2])> =
        vec![(static_dir.clone(), ["001_native.sql", "002_pair.up.sql"])];
    dirs.extend(cases.iter().map(|(t, f)| (t.path().to_path_buf(), *f)));
    for (dir, files) in dirs {
        let diags = load_err(&dir);
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{diags:?}");
        assert_eq!(errs[0].path, dir);
        let Problem::MixedLayouts(list) = &errs[0].problem else {
            panic!("{:?}", errs[0].problem);
        };
        for f in files {
            let shown = dir.join(f).display().to_string();
            assert!(list.contains(&shown), "{list} should name {shown}");
        }
        assert!(errs[0].problem.hint().is_some());
    }
}

/// A bad directory: its files, the file the error is about, the problem and its line.
struct Bad {
    what: &'static str,
    files: Vec<(&'static str, &'static [u8])>,
    file: &'static str,
    problem: fn(&Problem) -> bool,
    line: Option<u32>,
}

fn bad_cases() -> Vec<Bad> {
    vec![
        Bad {
            what: "empty file",
            files: vec![("001_a.sql", b"")],
            file: "001_a.sql",
            problem: |p| *p == Problem::Empty,
            line: None,
        },
        Bad {
            what: "blank lines only",
            files: vec![("001_a.sql", b"\n  \n\t\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::Empty,
            line: None,
        },
        Bad {
            what: "comments only",
            files: vec![("001_a.sql", b"-- a note\n/* a block */\n-- DOWN\n-- more\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::CommentsOnly,
            line: None,
        },
        Bad {
            what: "DOWN but no UP",
            files: vec![("001_a.sql", b"-- DOWN\nDROP TABLE t;\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::EmptyUp,
            line: None,
        },
        Bad {
            what: "duplicate versions",
            files: vec![("001_a.sql", b"SELECT 1;\n"), ("1_b.sql", b"SELECT 2;\n")],
            file: "1_b.sql",
            problem: |p| matches!(p, Problem::DuplicateVersion { version, other } if version == "1" && other.ends_with("001_a.sql")),
            line: None,
        },
        Bad {
            what: "duplicate flyway versions",
            files: vec![("V1__a.sql", b"SELECT 1;\n"), ("V1__b.sql", b"SELECT 2;\n")],
            file: "V1__b.sql",
            problem: |p| matches!(p, Problem::DuplicateVersion { version, other } if version == "1" && other.ends_with("V1__a.sql")),
            line: None,
        },
        Bad {
            what: "two DOWN lines",
            files: vec![("001_a.sql", b"SELECT 1;\n-- DOWN\nSELECT 2;\n-- DOWN\nSELECT 3;\n")],
            file: "001_a.sql",
            problem: |p| {
                *p == Problem::DuplicateMarker {
                    marker: "-- DOWN",
                    first: 2,
                }
            },
            line: Some(4),
        },
        Bad {
            what: "two VERIFY lines",
            files: vec![("001_a.sql", b"SELECT 1;\n-- VERIFY\n-- Check: a\nSELECT 1;\n-- VERIFY\n")],
            file: "001_a.sql",
            problem: |p| {
                *p == Problem::DuplicateMarker {
                    marker: "-- VERIFY",
                    first: 2,
                }
            },
            line: Some(5),
        },
        Bad {
            what: "check without SQL",
            files: vec![(
                "001_a.sql",
                b"SELECT 1;\n-- VERIFY\n-- Check: nothing\n-- Expect: empty\n-- Check: other\nSELECT 1;\n",
            )],
            file: "001_a.sql",
            problem: |p| *p == Problem::CheckWithoutSql("nothing".into()),
            line: Some(3),
        },
        Bad {
            what: "check without SQL at the end",
            files: vec![("001_a.sql", b"SELECT 1;\n-- VERIFY\n-- Check: last\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::CheckWithoutSql("last".into()),
            line: Some(3),
        },
        Bad {
            what: "non-UTF-8",
            files: vec![("001_a.sql", b"SELECT 1;\n-- caf\xe9\nSELECT 2;\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::NotUtf8 { line: 2, column: 7 },
            line: Some(2),
        },
        Bad {
            what: "non-UTF-8 down file",
            files: vec![
                ("001_a.up.sql", b"SELECT 1;\n"),
                ("001_a.down.sql", b"\xff\n"),
            ],
            file: "001_a.down.sql",
            problem: |p| *p == Problem::NotUtf8 { line: 1, column: 1 },
            line: Some(1),
        },
        Bad {
            what: "missing dependency",
            files: vec![("001_a.sql", b"-- Migration: a\n-- Depends: 005\nSELECT 1;\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::MissingDependency("005".into()),
            line: Some(2),
        },
        Bad {
            what: "dependency on a later version",
            files: vec![
                ("001_a.sql", b"-- Depends: 002\nSELECT 1;\n"),
                ("002_b.sql", b"SELECT 1;\n"),
            ],
            file: "001_a.sql",
            problem: |p| matches!(p, Problem::DependsOnLater(s) if s.contains("002") && s.contains("002_b.sql")),
            line: Some(1),
        },
        Bad {
            what: "dependency on itself",
            files: vec![("001_a.sql", b"-- Depends: 1\nSELECT 1;\n")],
            file: "001_a.sql",
            problem: |p| matches!(p, Problem::DependencyCycle(s) if s.matches("001_a.sql").count() == 2),
            line: Some(1),
        },
        Bad {
            what: "header version disagrees with the file name",
            files: vec![("007_a.sql", b"-- Version: 6\nSELECT 1;\n")],
            file: "007_a.sql",
            problem: |p| {
                *p == Problem::VersionMismatch {
                    header: "6".into(),
                    file: "007".into(),
                }
            },
            line: Some(1),
        },
        Bad {
            what: "bad timeout",
            files: vec![("001_a.sql", b"-- Migration: a\n-- Lock-Timeout: 5 parsecs\nSELECT 1;\n")],
            file: "001_a.sql",
            problem: |p| matches!(p, Problem::BadHeaderValue { key, .. } if key == "Lock-Timeout"),
            line: Some(2),
        },
        Bad {
            what: "no version anywhere",
            files: vec![("create_things.sql", b"SELECT 1;\n")],
            file: "create_things.sql",
            problem: |p| *p == Problem::NoVersion,
            line: None,
        },
        Bad {
            what: "unterminated string",
            files: vec![("001_a.sql", b"SELECT 1;\nSELECT 'oops;\n")],
            file: "001_a.sql",
            problem: |p| matches!(p, Problem::Sql(_)),
            line: Some(2),
        },
        Bad {
            what: "SQL error in a dbmate file beside another dbmate file",
            files: vec![
                ("001_a.sql", b"-- migrate:up\nSELECT 1;\n"),
                ("002_b.sql", b"-- migrate:up\nSELECT 'x;\n-- migrate:down\nSELECT 2;\n"),
            ],
            file: "002_b.sql",
            problem: |p| matches!(p, Problem::Sql(_)),
            line: Some(2),
        },
        Bad {
            what: "orphan down file",
            files: vec![("001_a.down.sql", b"SELECT 1;\n")],
            file: "001_a.down.sql",
            problem: |p| *p == Problem::OrphanDown,
            line: None,
        },
        Bad {
            what: "orphan undo file",
            files: vec![("V1__a.sql", b"SELECT 1;\n"), ("U2__b.sql", b"SELECT 1;\n")],
            file: "U2__b.sql",
            problem: |p| *p == Problem::OrphanUndo,
            line: None,
        },
        Bad {
            what: "diesel directory without up.sql",
            files: vec![("2019-01-01-000000_a/down.sql", b"SELECT 1;\n")],
            file: "2019-01-01-000000_a",
            problem: |p| matches!(p, Problem::DieselNoUp(_)),
            line: None,
        },
        Bad {
            what: "bad diesel metadata",
            files: vec![
                ("2019-01-01-000000_a/up.sql", b"SELECT 1;\n"),
                ("2019-01-01-000000_a/metadata.toml", b"run_in_transaction = \n"),
            ],
            file: "2019-01-01-000000_a/metadata.toml",
            problem: |p| matches!(p, Problem::BadMetadata(_)),
            line: Some(1),
        },
        Bad {
            what: "bad dbmate option",
            files: vec![("001_a.sql", b"-- migrate:up transaction:maybe\nSELECT 1;\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::BadDbmateOption("transaction:maybe".into()),
            line: None,
        },
        Bad {
            what: "statement before migrate:up",
            files: vec![("001_a.sql", b"SELECT 0;\n-- migrate:up\nSELECT 1;\n")],
            file: "001_a.sql",
            problem: |p| *p == Problem::BeforeMigrateUp,
            line: Some(1),
        },
    ]
}

#[test]
fn bad_inputs_are_typed_errors_with_place() {
    for case in bad_cases() {
        let tmp = dir_with(&case.files);
        let diags = load_err(tmp.path());
        let errs = errors(&diags);
        let path = tmp.path().join(case.file);
        let found = errs
            .iter()
            .find(|d| (case.problem)(&d.problem))
            .unwrap_or_else(|| panic!("{}: wrong problem: {diags:?}", case.what));
        assert_eq!(
            errs.len(),
            1,
            "{}: one error expected: {diags:?}",
            case.what
        );
        assert_eq!(found.path, path, "{}", case.what);
        assert_eq!(found.line, case.line, "{}", case.what);
        assert!(found.problem.hint().is_some(), "{}: no hint", case.what);
        assert!(
            found.to_string().contains(&path.display().to_string()),
            "{}",
            case.what
        );
    }
}

#[test]
fn dependency_cycle_names_every_file_and_the_later_dependency() {
    let tmp = dir_with(&[
        ("001_a.sql", b"-- Depends: 003\nSELECT 1;\n"),
        ("002_b.sql", b"-- Depends: 001\nSELECT 1;\n"),
        (
            "003_c.sql",
            b"-- Migration: c\n-- Depends: 002\nSELECT 1;\n",
        ),
    ]);
    let diags = load_err(tmp.path());
    let errs = errors(&diags);
    let a = tmp.path().join("001_a.sql");
    let later = errs
        .iter()
        .find(|d| matches!(d.problem, Problem::DependsOnLater(_)))
        .expect("001 depends on 003, which is later");
    assert_eq!((&later.path, later.line), (&a, Some(1)));
    let cycle = errs
        .iter()
        .find(|d| matches!(d.problem, Problem::DependencyCycle(_)))
        .expect("001 -> 003 -> 002 -> 001 is a cycle");
    assert_eq!((&cycle.path, cycle.line), (&a, Some(1)));
    let Problem::DependencyCycle(chain) = &cycle.problem else {
        unreachable!()
    };
    for f in ["001_a.sql", "002_b.sql", "003_c.sql"] {
        let shown = tmp.path().join(f).display().to_string();
        assert!(chain.contains(&shown), "{chain} should name {shown}");
    }
    assert_eq!(
        errs.iter()
            .filter(|d| matches!(d.problem, Problem::DependencyCycle(_)))
            .count(),
        1,
        "one cycle is reported once: {diags:?}"
    );
}

#[test]
fn duplicate_versions_name_both_files() {
    let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n"), ("1.0_b.sql", b"SELECT 2;\n")]);
    let diags = load_err(tmp.path());
    let msg = diags[0].to_string();
    for f in ["001_a.sql", "1.0_b.sql"] {
        let shown = tmp.path().join(f).display().to_string();
        assert!(msg.contains(&shown), "{msg} should name {shown}");
    }
}

/// (text, problem, line) for checks that do not read.
type BadCheck = (&'static str, fn(&Problem) -> bool, u32);

#[test]
fn malformed_checks_are_errors_with_their_line() {
    let cases: [BadCheck; 9] = [
        (
            "SELECT 1;\n-- VERIFY\n-- Check: c\n-- Expect: maybe\nSELECT 1;\n",
            |p| *p == Problem::BadExpect("maybe".into()),
            4,
        ),
        (
            "SELECT 1;\n-- VERIFY\n-- Expect: empty\n-- Check: c\nSELECT 1;\n",
            |p| *p == Problem::ExpectWithoutCheck,
            3,
        ),
        (
            "SELECT 1;\n-- VERIFY\nSELECT 1;\n",
            |p| *p == Problem::QueryWithoutCheck,
            3,
        ),
        (
            "SELECT 1;\n-- VERIFY\n-- Check: two\nSELECT 1;\nSELECT 2;\n",
            |p| {
                *p == Problem::CheckManyStatements {
                    name: "two".into(),
                    count: 2,
                }
            },
            3,
        ),
        (
            "SELECT 1;\n-- VERIFY\n-- Check:\nSELECT 1;\n",
            |p| *p == Problem::CheckWithoutName,
            3,
        ),
        (
            "SELECT 1;\n-- VERIFY\n-- Check: c\n-- Expect: empty\n-- Expect: true\nSELECT 1;\n",
            |p| *p == Problem::DuplicateExpect { name: "c".into() },
            5,
        ),
        (
            "SELECT 1;\n-- VERIFY\n-- Check: c\nSELECT 1;\n-- Check: c\nSELECT 2;\n",
            |p| {
                *p == Problem::DuplicateCheckName {
                    name: "c".into(),
                    first: 3,
                }
            },
            5,
        ),
        (
            "-- Check: early\nSELECT 1;\n",
            |p| *p == Problem::CheckOutsideVerify("-- Check:"),
            1,
        ),
        (
            "SELECT 1;\n-- DOWN\n-- Expect: = 1\nSELECT 2;\n",
            |p| *p == Problem::CheckOutsideVerify("-- Expect:"),
            3,
        ),
    ];
    for (text, problem, line) in cases {
        let path = Path::new("migrations/001_checks.sql");
        let diags = plan::parse_file(path, text).expect_err(text);
        let d = diags
            .iter()
            .find(|d| problem(&d.problem))
            .unwrap_or_else(|| panic!("{text:?}: {diags:?}"));
        assert!(d.is_error(), "{text:?}");
        assert_eq!(d.path, path, "{text:?}");
        assert_eq!(d.line, Some(line), "{text:?}");

        let tmp = dir_with(&[("001_checks.sql", text.as_bytes())]);
        let loaded = load_err(tmp.path());
        assert!(
            loaded.iter().any(|d| problem(&d.problem)
                && d.path == tmp.path().join("001_checks.sql")
                && d.line == Some(line)),
            "{text:?}: {loaded:?}"
        );
    }
}

#[test]
fn unknown_header_key_is_a_warning() {
    let tmp = dir_with(&[(
        "001_a.sql",
        b"-- Migration: a\n-- Ticket: OPS-1\n\nSELECT 1;\n",
    )]);
    let plan = load_ok(tmp.path());
    assert_eq!(plan.migrations.len(), 1);
    assert_eq!(plan.warnings.len(), 1);
    let w = &plan.warnings[0];
    assert_eq!(w.problem, Problem::UnknownHeaderKey("Ticket".into()));
    assert!(!w.is_error());
    assert_eq!(w.path, tmp.path().join("001_a.sql"));
    assert_eq!(w.line, Some(2));
    assert_eq!(plan.migrations[0].meta.title.as_deref(), Some("a"));
}

#[test]
fn step_outside_up_is_a_warning() {
    let tmp = dir_with(&[(
        "001_a.sql",
        b"SELECT 1;\n-- DOWN\n-- Step: undo\nSELECT 2;\n",
    )]);
    let plan = load_ok(tmp.path());
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(plan.warnings[0].problem, Problem::StepOutsideUp);
    assert_eq!(plan.warnings[0].line, Some(3));
    assert!(plan.migrations[0].steps.is_empty());
}

#[test]
fn a_directory_with_three_problems_reports_all_three() {
    let tmp = dir_with(&[
        ("001_a.sql", b""),
        (
            "002_b.sql",
            b"SELECT 1;\n-- DOWN\nSELECT 2;\n-- DOWN\nSELECT 3;\n",
        ),
        ("003_c.sql", b"SELECT 1;\n-- VERIFY\n-- Check: c\n"),
    ]);
    let diags = load_err(tmp.path());
    let errs = errors(&diags);
    let got: Vec<(PathBuf, Option<u32>, Problem)> = errs
        .iter()
        .map(|d| (d.path.clone(), d.line, d.problem.clone()))
        .collect();
    let p = |f: &str| tmp.path().join(f);
    assert_eq!(
        got,
        [
            (p("001_a.sql"), None, Problem::Empty),
            (
                p("002_b.sql"),
                Some(4),
                Problem::DuplicateMarker {
                    marker: "-- DOWN",
                    first: 2
                }
            ),
            (
                p("003_c.sql"),
                Some(3),
                Problem::CheckWithoutSql("c".into())
            ),
        ]
    );
}

#[test]
fn missing_and_non_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    let diags = load_err(&missing);
    assert_eq!(diags[0].problem, Problem::NoDirectory);
    assert_eq!(diags[0].path, missing);

    let file = tmp.path().join("file.sql");
    fs::write(&file, "SELECT 1;\n").unwrap();
    let diags = load_err(&file);
    assert_eq!(diags[0].problem, Problem::NotADirectory);
}

#[test]
fn an_empty_directory_is_a_warning_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = load_ok(tmp.path());
    assert!(plan.migrations.is_empty());
    assert_eq!(plan.layout, None);
    assert_eq!(plan.warnings[0].problem, Problem::NoMigrations);
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn dangling_symlink_is_unreadable() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let link = tmp.path().join("002_b.sql");
        symlink(tmp.path().join("gone.sql"), &link).unwrap();
        let diags = load_err(tmp.path());
        let errs = errors(&diags);
        assert_eq!(errs.len(), 1, "{diags:?}");
        assert_eq!(errs[0].path, link);
        assert_eq!(errs[0].line, None);
        assert!(matches!(errs[0].problem, Problem::Unreadable(_)));
        assert!(errs[0].problem.hint().is_some());
    }

    #[test]
    fn symlink_loops_are_reported_per_file() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let (b, c) = (tmp.path().join("002_b.sql"), tmp.path().join("003_c.sql"));
        symlink(&c, &b).unwrap();
        symlink(&b, &c).unwrap();
        let self_loop = tmp.path().join("004_d.sql");
        symlink(&self_loop, &self_loop).unwrap();
        let diags = load_err(tmp.path());
        let got: Vec<(&Path, &Problem)> = errors(&diags)
            .iter()
            .map(|d| (d.path.as_path(), &d.problem))
            .collect();
        assert_eq!(
            got,
            [
                (b.as_path(), &Problem::SymlinkLoop),
                (c.as_path(), &Problem::SymlinkLoop),
                (self_loop.as_path(), &Problem::SymlinkLoop),
            ]
        );
    }

    #[test]
    fn a_directory_that_is_a_symlink_loop() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations");
        symlink(&dir, &dir).unwrap();
        let diags = load_err(&dir);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].problem, Problem::SymlinkLoop);
        assert_eq!(diags[0].path, dir);
    }

    #[test]
    fn unreadable_file_without_permission() {
        let tmp = dir_with(&[("001_a.sql", b"SELECT 1;\n")]);
        let file = tmp.path().join("001_a.sql");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
        // Root (and CAP_DAC_OVERRIDE) reads through mode 000; the dangling-link test covers
        // that setup.
        if fs::read(&file).is_ok() {
            return;
        }
        let diags = load_err(tmp.path());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].path, file);
        assert!(matches!(diags[0].problem, Problem::Unreadable(_)));
    }
}

/// An outlined plan keeps no SQL but reads every migration again, in every layout, to exactly
/// what the full plan holds; a DOWN file added since the plan was read changes its checksum.
#[test]
fn outlined_plans_read_their_files_again_in_every_layout() {
    for layout in ["native", "updown", "diesel", "flyway", "dbmate", "seed003"] {
        let full = load_ok(&fixture(layout));
        let outline = plan::load_outline(&fixture(layout)).unwrap();
        assert_eq!(full.migrations.len(), outline.migrations.len(), "{layout}");
        for (f, o) in full.migrations.iter().zip(&outline.migrations) {
            assert!(!o.is_read(), "{layout} {}", o.version);
            assert_eq!(o.up.count(), f.up.count(), "{layout} {}", o.version);
            let counts = |m: &Migration| m.down.as_ref().map(|d| d.count());
            assert_eq!(counts(o), counts(f), "{layout} {}", o.version);
            assert_eq!(
                o.fingerprint().unwrap(),
                f.fingerprint().unwrap(),
                "{layout} {}",
                o.version
            );
            let again = o.read().unwrap_or_else(|e| panic!("{layout}: {e}"));
            let text = |m: &Migration| {
                let down = m.down.as_ref().map(|d| d.sql().unwrap().text.to_string());
                (m.up.sql().unwrap().text.to_string(), down)
            };
            assert_eq!(text(&again), text(f), "{layout} {}", o.version);
            assert_eq!(again.checksum, f.checksum);
        }
    }

    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("001_a.up.sql"),
        "CREATE TABLE a (id int);\n",
    )
    .unwrap();
    let outline = plan::load_outline(dir.path()).unwrap();
    fs::write(dir.path().join("001_a.down.sql"), "DROP TABLE a;\n").unwrap();
    let err = outline.migrations[0].read().unwrap_err().to_string();
    assert!(err.contains("001_a.up.sql"), "{err}");
    assert!(err.contains("changed since the plan was read"), "{err}");
    assert!(err.contains("hint: read the plan again"), "{err}");
}
