//! `pgstep demo`: a real PostgreSQL with seed 000's v1.0 recruitment database (and seed 001's
//! document store), so a newcomer sees pgstep do its real job with nothing set up first.
//!
//! The cluster is persistent: it lives under pgstep's data directory and keeps running after
//! pgstep exits, so psql and the CLI can use it; `--stop` stops it, `--reset` starts over.

use std::path::{Path, PathBuf};

use crate::cluster::{self, Cluster, ClusterError};
use crate::engine::{Engine, Operator, Placement, Settings, Tables};

/// The demo database's name.
pub const DATABASE: &str = "recruiting";

/// Where the demo cluster lives unless `PGSTEP_DEMO_DIR` says otherwise.
pub const DIR_ENV: &str = "PGSTEP_DEMO_DIR";

const SCHEMA: &str = include_str!("../../assets/demo/schema_v1_0.sql");
const DOCUMENTS: &str = include_str!("../../assets/demo/documents.sql");
const ACTIVITY: &str = include_str!("../../assets/demo/activity.sql");

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("{what}: {source}")]
    Db {
        what: &'static str,
        source: tokio_postgres::Error,
    },
    #[error("refreshing {0} through pgstep: {1}")]
    Refresh(String, String),
    #[error("preparing {}: {source}", dir.display())]
    Remove {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// The demo's home: `PGSTEP_DEMO_DIR`, else `demo` in pgstep's data directory. The server
/// runs as the `postgres` user when pgstep runs as root, and root's home is closed to it, so
/// root's demo lives in /var/lib/pgstep/demo.
pub fn home() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if cluster::running_as_root() {
        return PathBuf::from("/var/lib/pgstep/demo");
    }
    directories::ProjectDirs::from("", "", "pgstep")
        .map(|d| d.data_dir().join("demo"))
        .unwrap_or_else(|| std::env::temp_dir().join("pgstep-demo"))
}

/// What `prepare` found or did, for the operator.
#[derive(Debug)]
pub struct Prepared {
    pub url: String,
    pub dir: PathBuf,
    pub started: bool,
    pub loaded: bool,
    pub version: String,
}

/// Stops the demo cluster in `dir`; whether one was running.
pub fn stop(dir: &Path) -> Result<bool, DemoError> {
    Ok(Cluster::stop_in(dir)?)
}

/// Starts (or reuses) the demo cluster in `dir` and loads the v1.0 database at `scale` unless
/// it is there already. With `reset`, everything in `dir` is removed first. The server keeps
/// running when this returns.
pub async fn prepare(
    dir: &Path,
    scale: u32,
    reset: bool,
    placement: Placement<'_>,
) -> Result<Prepared, DemoError> {
    if reset {
        Cluster::stop_in(dir)?;
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(DemoError::Remove {
                    dir: dir.to_path_buf(),
                    source: e,
                });
            }
            _ => {}
        }
    }
    // The parents must be traversable by the server's user (`postgres` when run as root):
    // the cluster's own directory is private, its parents are created world-readable.
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| DemoError::Remove {
            dir: parent.to_path_buf(),
            source: e,
        })?;
    }
    let (cluster, started) = match Cluster::running_in(dir)? {
        Some(c) => (c, false),
        None => (Cluster::start_in(dir)?, true),
    };
    let admin = cluster.url("postgres");
    let db = |what| move |source| DemoError::Db { what, source };
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .map_err(db("connecting to the demo cluster"))?;
    tokio::spawn(conn);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DATABASE])
        .await
        .map_err(db("looking for the demo database"))?
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {DATABASE}"))
            .await
            .map_err(db("creating the demo database"))?;
        load(&cluster.url(DATABASE), scale, placement).await?;
    }
    let version = cluster.version().to_string();
    let url = cluster.url(DATABASE);
    let dir = cluster.dir().to_path_buf();
    cluster.detach();
    Ok(Prepared {
        url,
        dir,
        started,
        loaded: !exists,
        version,
    })
}

/// Loads seed 000's v1.0 schema with generated data, seed 001's documents, and activity that
/// makes the statistics true (used and unused indexes, a stale materialized view).
/// pgstep's history goes where the console opened on the demo will look for it (`placement`).
async fn load(url: &str, scale: u32, placement: Placement<'_>) -> Result<(), DemoError> {
    let db = |what| move |source| DemoError::Db { what, source };
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(db("connecting to the demo database"))?;
    tokio::spawn(conn);
    client
        .batch_execute(SCHEMA)
        .await
        .map_err(db("creating the v1.0 schema"))?;
    let scale = i32::try_from(scale.max(1)).unwrap_or(i32::MAX);
    client
        .execute("SELECT pgstep_demo_load($1)", &[&scale])
        .await
        .map_err(db("generating the v1.0 data"))?;
    client
        .batch_execute(DOCUMENTS)
        .await
        .map_err(db("creating the document store"))?;
    // Refreshes go through pgstep so they are logged with the base tables' write counters:
    // one view is then written under (stale by a known count), the other refreshed last.
    let tables = Tables::place(&client, placement)
        .await
        .map_err(|e| DemoError::Refresh("(placing the history)".into(), e.to_string()))?;
    let engine = Engine::open(
        client,
        tables,
        Settings::default(),
        Operator::current(),
        None,
    )
    .await
    .map_err(|e| DemoError::Refresh("(opening the engine)".into(), e.to_string()))?;
    let refresh = async |name: &str| {
        engine
            .refresh_matview(name, true, Some("demo setup"))
            .await
            .map(|_| ())
            .map_err(|e| DemoError::Refresh(name.to_string(), e.to_string()))
    };
    refresh("recent_activity_view").await?;
    engine
        .client()
        .batch_execute(ACTIVITY)
        .await
        .map_err(db("running the demo's activity"))?;
    refresh("user_document_stats").await?;
    let client = engine.client();
    client
        .batch_execute("ANALYZE")
        .await
        .map_err(db("analyzing the demo database"))?;
    Ok(())
}
