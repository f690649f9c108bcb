//! Integration-test support: a real PostgreSQL and a fresh database for every test.
//!
//! A test binary starts one temporary cluster the first time a test asks for a database, or
//! uses the server `PGSTEP_TEST_URL` names (its user must be allowed to CREATE DATABASE).
//! Every test gets its own database, so tests run in parallel without seeing each other.

// Each test binary that says `mod support;` uses a different subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub mod console;
pub mod migrations;
pub mod proxy;
pub mod steer;
pub mod tools;

use pgstep::cluster::Cluster;
use tokio_postgres::{Client, NoTls};

/// A server URL to test against instead of a cluster of our own.
pub const TEST_URL_ENV: &str = "PGSTEP_TEST_URL";

/// The server this test binary uses.
pub struct Server {
    admin_url: String,
    /// Never dropped, being in a `static`: its watchdog stops it when the binary exits.
    cluster: Option<Cluster>,
}

impl Server {
    /// Where to connect for CREATE and DROP DATABASE.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The cluster started for this binary; `None` under `PGSTEP_TEST_URL`.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }
}

/// The shared server, started on first use; a failure to start fails the test that asked.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var(TEST_URL_ENV) {
        Ok(url) if !url.trim().is_empty() => Server {
            admin_url: url,
            cluster: None,
        },
        _ => {
            let cluster = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
            Server {
                admin_url: cluster.url("postgres"),
                cluster: Some(cluster),
            }
        }
    })
}

/// A database of one test's own; dropping it drops the database, connections and all.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
}

impl TestDb {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client on the caller's tokio runtime.
    pub async fn connect(&self) -> Client {
        connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let sql = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&self.name)
        );
        // Best effort: a leftover database is harmless, a panic in drop is not.
        let _ = block_on(|| async move {
            let admin = try_connect(server().admin_url()).await?;
            admin.batch_execute(&sql).await
        });
    }
}

/// A fresh database, from synchronous code or from inside a runtime alike.
pub fn fresh_db() -> TestDb {
    block_on(fresh_db_async)
}

/// A fresh database, created over a connection on the caller's runtime.
pub async fn fresh_db_async() -> TestDb {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = server();
    let name = format!(
        "pgstep_t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = connect(server.admin_url()).await;
    let create = format!("CREATE DATABASE {}", quote_ident(&name));
    if let Err(e) = admin.batch_execute(&create).await {
        // Left on a shared server by an earlier run that had our pid and was killed.
        if e.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) {
            panic!("{create}: {}", describe(&e));
        }
        let drop = format!("DROP DATABASE {} WITH (FORCE)", quote_ident(&name));
        admin
            .batch_execute(&drop)
            .await
            .unwrap_or_else(|e| panic!("{drop}: {}", describe(&e)));
        admin
            .batch_execute(&create)
            .await
            .unwrap_or_else(|e| panic!("{create}: {}", describe(&e)));
    }
    let url = with_database(server.admin_url(), &name);
    TestDb { name, url }
}

/// Connects without TLS and drives the connection on the caller's runtime.
pub async fn connect(url: &str) -> Client {
    try_connect(url)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {}", describe(&e)))
}

async fn try_connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

/// The server's own message where there is one: tokio-postgres shows only "db error".
pub fn describe(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => error.to_string(),
    }
}

/// Runs the future `make` builds to completion on a runtime of its own, on a helper thread so
/// that it works even where the caller is itself inside a runtime.
pub fn block_on<F, T>(make: impl FnOnce() -> F + Send) -> T
where
    F: Future<Output = T>,
    T: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime")
                    .block_on(make())
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// `url` with its database replaced by `db`: the path of a `postgres://` URL (so `db` must
/// need no escaping there, as ours do not), or a `dbname` appended to a `key=value` string,
/// where the last one wins.
pub fn with_database(url: &str, db: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return format!(
            "{url} dbname='{}'",
            db.replace('\\', "\\\\").replace('\'', "\\'")
        );
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let after_authority = &rest[authority_end..];
    let query = after_authority
        .find('?')
        .map_or("", |q| &after_authority[q..]);
    format!(
        "{}{}/{db}{query}",
        &url[..scheme_end + 3],
        &rest[..authority_end]
    )
}

/// An engine on `client` with the default history tables, for tests that call it directly.
pub async fn engine(client: Client, settings: pgstep::engine::Settings) -> pgstep::engine::Engine {
    pgstep::engine::Engine::open(
        client,
        pgstep::engine::Tables::default(),
        settings,
        pgstep::engine::Operator::current(),
        None,
    )
    .await
    .unwrap_or_else(|e| panic!("opening the engine: {e}"))
}

/// Our names need no quoting, but an identifier from elsewhere might.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
