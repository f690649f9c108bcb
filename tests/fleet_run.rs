//! `pgstep fleet`: one plan over 60 databases on three real clusters, found by discovery
//! queries, with one target failing, one held by a lock past its retries, pgstep killed in
//! the middle of a wave and run again.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pgstep::cluster::Cluster;
use support::migrations::{Dir, Pg, Run, command_with_config, finish};

const PER_CLUSTER: usize = 20;

const ACCOUNTS: &str = "ALTER TABLE settings ADD COLUMN theme text;\n\
    CREATE TABLE accounts (id int PRIMARY KEY);\n\
    SELECT pg_sleep(0.2);\n";
const ORDERS: &str = "CREATE TABLE orders (id int PRIMARY KEY, account int REFERENCES accounts);\n\
    SELECT pg_sleep(0.2);\n";
const EMAIL: &str = "ALTER TABLE accounts ADD COLUMN email text;\n";

/// Three clusters of 20 tenant databases each, every one with a `settings` table.
fn clusters() -> Vec<Cluster> {
    let started: Vec<Cluster> = std::thread::scope(|s| {
        let starting: Vec<_> = (0..3)
            .map(|_| s.spawn(|| Cluster::temporary().unwrap_or_else(|e| panic!("{e}"))))
            .collect();
        starting.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for c in &started {
        Pg::connect(&c.url("template1"))
            .exec("CREATE TABLE settings (id int PRIMARY KEY, value text)");
        let admin = Pg::connect(&c.url("postgres"));
        for n in 0..PER_CLUSTER {
            admin.exec(&format!("CREATE DATABASE tenant_{n:02}"));
        }
    }
    started
}

fn tenant(c: &Cluster, n: usize) -> Pg {
    Pg::connect(&c.url(&format!("tenant_{n:02}")))
}

/// `pgstep --config FILE --dir DIR ARGS...` with none of the caller's libpq settings.
fn pgstep(config: &Path, dir: &Path, args: &[&str]) -> Run {
    finish(
        command_with_config(config, dir, args)
            .spawn()
            .expect("pgstep starts"),
    )
}

/// The configuration: a discovery query per cluster, a short lock_timeout; reads are held to
/// `per_server` too, since the sampler counts every pgstep session on a tenant database.
fn config(dir: &Dir, clusters: &[Cluster]) -> std::path::PathBuf {
    let discover: Vec<String> = clusters
        .iter()
        .map(|c| {
            format!(
                "{{ url = \"{}\", query = \"SELECT format('{}', datname) FROM pg_database \
                 WHERE datname LIKE 'tenant%' ORDER BY datname\" }}",
                c.url("postgres"),
                c.url("") + "%s"
            )
        })
        .collect();
    let text = format!(
        "[profiles.fleet]\nlock_timeout = \"100ms\"\n\n[fleets.t]\ndiscover = [\n  {}\n]\n\
         canary = 1\nwaves = [\"10%\", \"50%\", \"100%\"]\nparallel = 8\nper_server = 2\n\
         read_per_server = 2\nmax_failures = 3\n",
        discover.join(",\n  ")
    );
    dir.write("pgstep.toml", &text)
}

/// Samples, on each server, how many targets pgstep is running: its sessions on tenant
/// databases that run a statement or hold a migration lock (a session that has finished
/// and is closing is neither); keeps the largest count seen, every 10 ms until stopped.
struct Sampler {
    stop: Arc<AtomicBool>,
    most: Arc<Mutex<Vec<i64>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(clusters: &[Cluster]) -> Sampler {
        let urls: Vec<String> = clusters.iter().map(|c| c.url("postgres")).collect();
        let stop = Arc::new(AtomicBool::new(false));
        let most = Arc::new(Mutex::new(vec![0; urls.len()]));
        let thread = {
            let (stop, most) = (stop.clone(), most.clone());
            std::thread::spawn(move || {
                let pgs: Vec<Pg> = urls.iter().map(|u| Pg::connect(u)).collect();
                while !stop.load(Ordering::SeqCst) {
                    for (k, pg) in pgs.iter().enumerate() {
                        let n = pg.count(
                            "SELECT count(*) FROM pg_stat_activity a \
                             WHERE application_name LIKE 'pgstep%' AND datname LIKE 'tenant%' \
                               AND (state <> 'idle' OR EXISTS (SELECT FROM pg_locks l \
                                    WHERE l.pid = a.pid AND l.locktype = 'advisory' \
                                      AND l.granted))",
                        );
                        let mut m = most.lock().unwrap();
                        m[k] = m[k].max(n);
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        Sampler {
            stop,
            most,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> Vec<i64> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        self.most.lock().unwrap().clone()
    }
}

fn count(pg: &Pg, sql: &str) -> i64 {
    pg.count(sql)
}

/// Every target but the two that fail is at the head, each phase applied exactly once.
fn assert_applied_once(clusters: &[Cluster], except: &[(usize, usize)]) {
    for (k, c) in clusters.iter().enumerate() {
        for n in 0..PER_CLUSTER {
            if except.contains(&(k, n)) {
                continue;
            }
            let pg = tenant(c, n);
            let states: Vec<(String, String)> = pg.states();
            assert_eq!(
                states,
                support::migrations::states(&[
                    ("001", "applied"),
                    ("002", "applied"),
                    ("003", "applied")
                ]),
                "cluster {k} tenant_{n:02}"
            );
            for v in ["001", "002", "003"] {
                let applied = count(
                    &pg,
                    &format!(
                        "SELECT count(*) FROM schema_migrations_log \
                         WHERE event = 'apply' AND version = '{v}'"
                    ),
                );
                assert_eq!(applied, 1, "cluster {k} tenant_{n:02} phase {v}");
            }
            assert!(pg.column_exists("accounts", "email"));
        }
    }
}

#[test]
fn sixty_targets_in_waves_with_failures_a_kill_and_a_resume() {
    let clusters = clusters();
    let dir = Dir::new();
    dir.write("001_accounts.sql", ACCOUNTS);
    dir.write("002_orders.sql", ORDERS);
    dir.write("003_email.sql", EMAIL);
    let conf_dir = Dir::new();
    let config = config(&conf_dir, &clusters);
    // Cluster 1's tenant_07 already has an `orders` table: phase 002 fails there.
    tenant(&clusters[1], 7).exec("CREATE TABLE orders (id int)");
    // Cluster 2's tenant_11 has `settings` locked for the whole run: phase 001 waits past
    // its lock_timeout on every retry.
    let holder = tenant(&clusters[2], 11);
    holder.exec("BEGIN; LOCK TABLE settings IN ACCESS EXCLUSIVE MODE");

    let before = pgstep(&config, dir.path(), &["fleet", "t", "status", "--json"]).expect(4);
    let doc: serde_json::Value = serde_json::from_str(&before.stdout).expect("JSON");
    assert_eq!(doc["targets"].as_array().unwrap().len(), 60, "{before}");
    assert_eq!(doc["all_at_head"], false);

    let sampler = Sampler::start(&clusters);
    // Killed once the third wave (24 targets) is under way and ten targets are through
    // phase 001.
    let mut child = command_with_config(&config, dir.path(), &["fleet", "t", "up", "--yes"])
        .spawn()
        .expect("pgstep starts");
    let stderr = child.stderr.take().unwrap();
    let mut done_001 = 0;
    let mut third_wave = false;
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        third_wave |= line.starts_with("wave 3/4");
        done_001 += usize::from(line.contains("phase 001 done"));
        if third_wave && done_001 >= 10 {
            break;
        }
    }
    assert!(
        third_wave && done_001 >= 10,
        "the run ended before the kill:\n{seen}"
    );
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    // The killed sessions' servers end them once the statement in flight returns.
    let gone = support::migrations::wait_until(Duration::from_secs(10), || {
        clusters.iter().all(|c| {
            Pg::connect(&c.url("postgres")).count(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgstep%'",
            ) == 0
        })
    });
    assert!(gone, "the killed pgstep's sessions stayed");
    assert!(seen.contains("60 target(s) on 3 server(s)"), "{seen}");
    assert!(
        seen.contains("waves: canary 1, then 5, then 24, then 30 (at most 8 at once, 2 per server"),
        "{seen}"
    );
    assert!(seen.contains("now: 60 behind"), "{seen}");
    assert!(seen.contains("wave 1/4 (canary): 1 target(s)"), "{seen}");
    assert!(seen.contains("wave 2/4: 5 target(s)"), "{seen}");

    let resumed = pgstep(&config, dir.path(), &["fleet", "t", "up", "--yes"]).expect(4);
    assert_applied_once(&clusters, &[(1, 7), (2, 11)]);
    let failed = tenant(&clusters[1], 7).history();
    assert_eq!(failed[0].state, "applied");
    assert_eq!(failed[1].state, "failed", "{failed:?}");
    assert!(
        failed[1]
            .error_message
            .as_deref()
            .unwrap_or("")
            .contains("already exists"),
        "{failed:?}"
    );
    let locked = tenant(&clusters[2], 11).history();
    assert_eq!(locked[0].state, "failed", "{locked:?}");
    assert_eq!(
        locked[0].error_sqlstate.as_deref(),
        Some("55P03"),
        "{locked:?}"
    );
    assert!(
        resumed
            .stdout
            .lines()
            .take(2)
            .all(|l| l.contains("FAILED") || l.contains("held")),
        "failures first:\n{resumed}"
    );

    let status = pgstep(&config, dir.path(), &["fleet", "t", "status", "--json"]).expect(4);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).expect("JSON");
    let targets = doc["targets"].as_array().unwrap();
    let not_at_head: Vec<&serde_json::Value> = targets
        .iter()
        .filter(|t| t["condition"] != "at-head")
        .collect();
    assert_eq!(not_at_head.len(), 2, "{status}");
    assert!(
        not_at_head.iter().all(|t| t["condition"] == "failed"),
        "{status}"
    );
    assert!(
        not_at_head.iter().any(|t| t["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("already exists")),
        "{status}"
    );
    assert!(targets.iter().all(|t| {
        !t["url"].as_str().unwrap().contains(':')
            || t["url"]
                .as_str()
                .unwrap()
                .starts_with("postgresql://postgres@127.0.0.1:")
    }));

    // Again: the failed targets are reported, not run; nothing else changes.
    let again = pgstep(&config, dir.path(), &["fleet", "t", "up", "--yes"]).expect(4);
    assert_eq!(again.stdout.matches("held: phase").count(), 2, "{again}");
    assert_eq!(again.stdout.matches("unchanged").count(), 58, "{again}");
    assert!(
        again.stderr.contains("now: 2 failed, 58 at-head"),
        "{again}"
    );
    assert!(
        again
            .stderr
            .contains("targets whose state differs from the rest:"),
        "{again}"
    );
    assert_eq!(
        again.stderr.matches("/tenant_07  failed: ").count(),
        1,
        "{again}"
    );
    assert_eq!(
        again.stderr.matches("/tenant_11  failed: ").count(),
        1,
        "{again}"
    );
    assert_applied_once(&clusters, &[(1, 7), (2, 11)]);

    // Resolved: the stray table dropped, the lock released; those two are run again.
    tenant(&clusters[1], 7).exec("DROP TABLE orders");
    holder.exec("COMMIT");
    pgstep(
        &config,
        dir.path(),
        &["fleet", "t", "up", "--yes", "--retry-failed"],
    )
    .expect(0);
    assert_applied_once(&clusters, &[]);
    let most = sampler.finish();
    assert!(
        most.iter().all(|&n| (1..=2).contains(&n)),
        "pgstep sessions per server at most: {most:?}"
    );

    let done = pgstep(&config, dir.path(), &["fleet", "t", "status"]).expect(0);
    assert!(
        done.stdout.contains("60 target(s) on 3 server(s)"),
        "{done}"
    );
    assert!(done.stdout.contains("now: 60 at-head"), "{done}");
}
