//! `pgstep demo` end to end through the CLI: the whole bundled plan up with every check
//! passing, `verify` clean, then down to v1.0 with every v1.0 table exactly as before; a second
//! `demo --no-tui` reuses the cluster; `--reset` starts over; `--stop` stops it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The v1.0 tables of seed 000, whose contents the round trip must keep.
const V1_TABLES: &[&str] = &[
    "users",
    "file_uploads",
    "analysis_requests",
    "analysis_results",
    "prompts",
    "prompt_history",
    "refresh_tokens",
];

/// A demo home of the test's own, directly under the temp directory so that the `postgres`
/// user can reach it when the tests run as root; stopped and removed at the end.
struct Home(PathBuf);

impl Home {
    fn new() -> Home {
        let dir = std::env::temp_dir().join(format!("pgstep-demo-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Home(dir)
    }

    fn pgstep(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pgstep"))
            .args(args)
            .env("PGSTEP_DEMO_DIR", &self.0)
            .env_remove("DATABASE_URL")
            .env_remove("PGSTEP_CONFIG")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("pgstep runs")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = self.pgstep(&["demo", "--stop"]);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Every v1.0 table's row count and an md5 of its whole content.
fn fingerprint(url: &str) -> Vec<(String, i64, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let mut out = Vec::new();
        for t in V1_TABLES {
            let sql = format!(
                "SELECT count(*), coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM {t} x"
            );
            let row = client.query_one(&sql, &[]).await.unwrap_or_else(|e| panic!("{t}: {e}"));
            out.push((t.to_string(), row.get(0), row.get(1)));
        }
        out
    })
}

fn last_line(stdout: &str) -> String {
    stdout.lines().last().unwrap_or_default().trim().to_string()
}

fn plan_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .display()
        .to_string()
}

#[test]
fn demo_round_trip_reuse_reset_and_stop() {
    let home = Home::new();
    let first = home.pgstep(&["demo", "--no-tui"]);
    let url = last_line(&ok(&first));
    assert!(url.starts_with("postgresql://"), "{url}");
    assert!(
        text(&first.stderr).contains("loaded the v1.0"),
        "{}",
        text(&first.stderr)
    );
    let before = fingerprint(&url);
    assert!(before.iter().find(|(t, _, _)| t == "users").unwrap().1 >= 217);

    let again = home.pgstep(&["demo", "--no-tui"]);
    assert_eq!(last_line(&ok(&again)), url, "the running cluster is reused");
    let err = text(&again.stderr);
    assert!(
        err.contains("reused the running") && err.contains("reused the `recruiting`"),
        "{err}"
    );

    let dir = plan_dir();
    let cli = |args: &[&str]| {
        let mut all = vec!["--dir", dir.as_str(), "--url", url.as_str()];
        all.extend_from_slice(args);
        home.pgstep(&all)
    };
    let up = cli(&["up"]);
    let applied = ok(&up);
    assert_eq!(applied.matches("applied ").count(), 7, "{applied}");
    assert!(
        applied.contains("pass") && !applied.contains("FAIL"),
        "{applied}"
    );
    let verify = cli(&["verify"]);
    assert!(!ok(&verify).contains("FAIL"));
    let status = ok(&cli(&["status", "--json"]));
    let doc: serde_json::Value = serde_json::from_str(&status).unwrap();
    let states: Vec<&str> = doc["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["applied"; 7]);

    ok(&cli(&[
        "down",
        "--all",
        "--yes",
        "--reason",
        "demo round trip",
    ]));
    assert_eq!(fingerprint(&url), before, "v1.0 comes back exactly");

    let reset = home.pgstep(&["demo", "--no-tui", "--reset"]);
    ok(&reset);
    let err = text(&reset.stderr);
    assert!(
        err.contains("started") && err.contains("loaded the v1.0"),
        "{err}"
    );
    let status = ok(&home.pgstep(&[
        "--url",
        &last_line(&text(&reset.stdout)),
        "--dir",
        &dir,
        "status",
        "--json",
    ]));
    assert!(
        !status.contains("\"applied\""),
        "a reset database has no history: {status}"
    );

    let stop = home.pgstep(&["demo", "--stop"]);
    assert!(ok(&stop).contains("stopped"));
    let after = home.pgstep(&["--url", &url, "--dir", &dir, "status"]);
    assert_eq!(
        after.status.code(),
        Some(3),
        "the stopped cluster refuses connections"
    );
}
