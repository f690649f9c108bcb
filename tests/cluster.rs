//! The test clusters themselves: finding binaries, starting, isolating, cleaning up.

mod support;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pgstep::cluster::{Binaries, Cluster};
use support::{TestDb, fresh_db, fresh_db_async};

/// Set in the child process of the watchdog test.
const CHILD_ENV: &str = "PGSTEP_CLUSTER_TEST_CHILD";
const CHILD_MARK: &str = "CLUSTER";

/// True while `pid` is a process that has not finished: a zombie has.
fn process_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]),
            Some("Z" | "X")
        ),
        Err(_) => false,
    }
}

fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// Asserts that the cluster that was at `dir`, `port` and `pid` left nothing behind.
fn assert_gone(dir: &Path, port: u16, pid: u32) {
    assert!(!dir.exists(), "{} is still there", dir.display());
    assert!(!process_running(pid), "postgres {pid} still runs");
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
        "port {port} still answers"
    );
}

#[test]
fn binaries_are_found_newest_first() {
    let all = Binaries::find_all().unwrap_or_else(|e| panic!("{e}"));
    assert!(!all.is_empty());
    for pair in all.windows(2) {
        assert!(pair[0].version > pair[1].version, "{all:?}");
    }
    for binaries in &all {
        for program in ["initdb", "postgres"] {
            assert!(
                binaries.program(program).is_file(),
                "{binaries:?} lacks {program}"
            );
        }
    }
    assert_eq!(Binaries::newest().unwrap(), all[0]);
}

#[tokio::test]
async fn a_temporary_cluster_answers_then_leaves_nothing_behind() {
    let started = Instant::now();
    let cluster = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
    let start_time = started.elapsed();

    let client = support::connect(&cluster.url("postgres")).await;
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .unwrap()
        .get(0);
    let major = cluster.version().major();
    assert!(
        version.starts_with(&format!("PostgreSQL {major}")),
        "{version} vs {major}"
    );

    let socket = cluster
        .socket_dir()
        .join(format!(".s.PGSQL.{}", cluster.port()));
    assert!(socket.exists(), "no socket at {}", socket.display());
    let mut config = tokio_postgres::Config::new();
    config
        .host_path(cluster.socket_dir())
        .port(cluster.port())
        .user("postgres")
        .dbname("postgres");
    let (over_socket, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let fsync: String = over_socket
        .query_one("SHOW fsync", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(fsync, "off");
    let max: String = over_socket
        .query_one("SHOW max_connections", &[])
        .await
        .unwrap()
        .get(0);
    assert!(max.parse::<u32>().unwrap() >= 100, "{max}");

    let (dir, port, pid) = (
        cluster.dir().to_owned(),
        cluster.port(),
        cluster.pid().unwrap(),
    );
    let stopping = Instant::now();
    cluster.stop().unwrap();
    let stop_time = stopping.elapsed();
    eprintln!("temporary cluster: started in {start_time:?}, stopped in {stop_time:?}");
    assert_gone(&dir, port, pid);
}

#[test]
fn dropping_a_cluster_removes_it() {
    let cluster = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
    let (dir, port, pid) = (
        cluster.dir().to_owned(),
        cluster.port(),
        cluster.pid().unwrap(),
    );
    assert!(dir.join("data").join("PG_VERSION").is_file());
    drop(cluster);
    assert_gone(&dir, port, pid);
}

#[test]
fn a_persistent_cluster_keeps_its_data_between_starts() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("demo");
    if running_as_root() {
        // The server runs as `postgres`, which must be able to reach the directory.
        std::os::unix::fs::chown(parent.path(), Some(postgres_uid()), None).unwrap();
    }

    let first = Cluster::start_in(&dir).unwrap_or_else(|e| panic!("{e}"));
    support::block_on(|| async {
        let client = support::connect(&first.url("postgres")).await;
        client
            .batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
            .await
    })
    .unwrap();
    first.stop().unwrap();
    assert!(
        dir.join("data").join("PG_VERSION").is_file(),
        "the data directory went"
    );

    let second = Cluster::start_in(&dir).unwrap_or_else(|e| panic!("{e}"));
    let n: i32 = support::block_on(|| async {
        let client = support::connect(&second.url("postgres")).await;
        client
            .query_one("SELECT n FROM kept", &[])
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(n, 42);
    let pid = second.pid().unwrap();
    drop(second);
    assert!(!process_running(pid), "postgres {pid} still runs");
    assert!(
        dir.join("data").join("PG_VERSION").is_file(),
        "the data directory went"
    );
}

#[test]
fn fresh_databases_are_distinct_and_isolated() {
    let a = fresh_db();
    let b = fresh_db();
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());

    let (a_name, b_sees_table) = support::block_on(|| async {
        let client_a = a.connect().await;
        let client_b = b.connect().await;
        client_a
            .batch_execute("CREATE TABLE only_in_a (n int)")
            .await
            .unwrap();
        let name: String = client_a
            .query_one("SELECT current_database()", &[])
            .await
            .unwrap()
            .get(0);
        let seen: bool = client_b
            .query_one("SELECT to_regclass('only_in_a') IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        (name, seen)
    });
    assert_eq!(a_name, a.name());
    assert!(!b_sees_table);

    let name = a.name().to_owned();
    drop(a);
    assert!(!database_exists(&name), "{name} outlived its TestDb");
}

#[tokio::test]
async fn fresh_databases_work_from_async_tests_and_drop_with_open_connections() {
    let db: TestDb = fresh_db_async().await;
    let client = db.connect().await;
    let one: i32 = client.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    let name = db.name().to_owned();
    drop(db);
    assert!(client.is_closed() || client.simple_query("SELECT 1").await.is_err());
    assert!(!database_exists(&name));
}

fn database_exists(name: &str) -> bool {
    let name = name.to_owned();
    support::block_on(|| async move {
        let admin = support::connect(support::server().admin_url()).await;
        let row = admin
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&name],
            )
            .await
            .unwrap();
        row.get::<_, i64>(0) == 1
    })
}

#[test]
fn database_urls_swap_only_the_database() {
    use support::with_database;
    assert_eq!(
        with_database("postgresql://u:p@h:5/postgres?sslmode=disable", "t"),
        "postgresql://u:p@h:5/t?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t"), "postgres://h/t");
    assert_eq!(
        with_database("postgres://h?host=/tmp", "t"),
        "postgres://h/t?host=/tmp"
    );
    assert_eq!(
        with_database("host=h user=u", "t"),
        "host=h user=u dbname='t'"
    );
}

#[test]
fn the_server_runs_as_postgres_when_root() {
    let Some(cluster) = support::server().cluster() else {
        eprintln!("skipped: {} names an outside server", support::TEST_URL_ENV);
        return;
    };
    let status = std::fs::read_to_string(format!("/proc/{}/status", cluster.pid().unwrap()))
        .expect("the server's /proc status");
    let uids = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .expect("a Uid line");
    let uids: Vec<u32> = uids
        .split_whitespace()
        .map(|u| u.parse().unwrap())
        .collect();
    let expected = if running_as_root() {
        postgres_uid()
    } else {
        own_uid()
    };
    assert_eq!(uids[..2], [expected, expected], "{status}");
}

fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid()
}

fn running_as_root() -> bool {
    own_uid() == 0
}

fn postgres_uid() -> u32 {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    let line = passwd
        .lines()
        .find(|l| l.starts_with("postgres:"))
        .expect("a postgres user");
    line.split(':').nth(2).unwrap().parse().unwrap()
}

/// Kills a process that owns a cluster without letting it drop anything, then waits for the
/// watchdog to stop the server and remove the directory.
#[test]
fn a_killed_owner_leaves_no_server_and_no_directory() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "watchdog_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            l.find(CHILD_MARK)
                .map(|at| l[at + CHILD_MARK.len()..].to_owned())
        })
        .expect("the child's cluster");
    let mut words = line.split_whitespace();
    let pid: u32 = words.next().unwrap().parse().unwrap();
    let port: u16 = words.next().unwrap().parse().unwrap();
    let dir = PathBuf::from(words.next().unwrap());
    assert!(process_running(pid) && dir.exists());

    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    let clean = wait_until(Duration::from_secs(30), || {
        !dir.exists() && !process_running(pid)
    });
    eprintln!("watchdog cleaned up {:?} after the kill", killed.elapsed());
    assert!(
        clean,
        "the watchdog left the server or {} behind",
        dir.display()
    );
    assert_gone(&dir, port, pid);
}

/// The child half of the test above; it does nothing in an ordinary run.
#[test]
fn watchdog_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let cluster = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
    let pid = cluster.pid().unwrap();
    println!(
        "{CHILD_MARK} {pid} {} {}",
        cluster.port(),
        cluster.dir().display()
    );
    // Bounded, so that a parent that fails to kill us does not leave us running forever.
    std::thread::sleep(Duration::from_secs(120));
}
