//! `connect` against a real throwaway PostgreSQL server: TCP and Unix socket, the
//! application name, a real SQLSTATE, and TLS with the test certificates.

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use tokio_postgres::Client;

use super::fake_server::{CA_CERT, LEAF_CERT, LEAF_KEY};
use super::{ConnectError, Inputs, Params, connect, resolve};
use crate::cluster::{Cluster, SUPERUSER};

fn params(conninfo: &str, home: &Path) -> Params {
    resolve(&Inputs {
        url: Some(conninfo.to_owned()),
        env: HashMap::new(),
        home: Some(home.to_owned()),
        os_user: Some("alice".into()),
        socket_dir: "/nonexistent/socket".into(),
        sysconfdir: home.to_owned(),
    })
    .unwrap()
}

async fn open(conninfo: &str, home: &Path) -> Client {
    let (client, _task) = connect(&params(conninfo, home))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    client
}

/// Whether this session is encrypted, and its application name.
async fn session(client: &Client) -> (bool, String) {
    let row = client
        .query_one(
            "SELECT ssl, current_setting('application_name') FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

/// Installs the test server certificate, readable only by the server's owner as
/// PostgreSQL demands, and turns TLS on.
async fn enable_tls(cluster: &Cluster, client: &Client) {
    let owner = std::fs::metadata(cluster.data_dir()).unwrap();
    for (name, text) in [("server.crt", LEAF_CERT), ("server.key", LEAF_KEY)] {
        let path = cluster.dir().join(name);
        std::fs::write(&path, text).unwrap();
        std::os::unix::fs::chown(&path, Some(owner.uid()), Some(owner.gid())).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let setting = if name.ends_with("crt") {
            "ssl_cert_file"
        } else {
            "ssl_key_file"
        };
        let sql = format!("ALTER SYSTEM SET {setting} = '{}'", path.display());
        client.batch_execute(&sql).await.unwrap();
    }
    client
        .batch_execute("ALTER SYSTEM SET ssl = on")
        .await
        .unwrap();
    client
        .batch_execute("SELECT pg_reload_conf()")
        .await
        .unwrap();
    // The postmaster rereads its configuration asynchronously after the signal.
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn real_server_over_tcp_socket_and_tls() {
    let cluster = Cluster::temporary().unwrap_or_else(|e| panic!("{e}"));
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let port = cluster.port();

    let client = open(&cluster.url("postgres"), home).await;
    assert_eq!(session(&client).await, (false, "pgstep (alice)".to_owned()));

    let socket = format!(
        "host={} port={port} user={SUPERUSER} sslmode=require",
        cluster.socket_dir().display()
    );
    let over_socket = open(&socket, home).await;
    let row = over_socket
        .query_one("SELECT inet_server_addr() IS NULL", &[])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));

    let missing = format!("host=127.0.0.1 port={port} user={SUPERUSER} dbname=nope");
    let Err(e) = connect(&params(&missing, home)).await else {
        panic!("database nope does not exist");
    };
    assert!(matches!(e, ConnectError::UnknownDatabase { .. }), "{e:?}");

    enable_tls(&cluster, &client).await;
    let ca = home.join("ca.crt");
    std::fs::write(&ca, CA_CERT).unwrap();
    let base = format!("hostaddr=127.0.0.1 port={port} user={SUPERUSER} application_name=t");
    let verified = format!(
        "{base} host=localhost sslmode=verify-full sslrootcert={}",
        ca.display()
    );
    let tls_client = open(&verified, home).await;
    assert_eq!(session(&tls_client).await, (true, "t".to_owned()));
    assert!(session(&open(&base, home).await).await.0, "prefer uses TLS");

    let wrong_name = format!("{base} sslmode=verify-full sslrootcert={}", ca.display());
    let Err(e) = connect(&params(&wrong_name, home)).await else {
        panic!("the certificate does not name 127.0.0.1");
    };
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");

    drop((client, over_socket, tls_client));
    cluster.stop().unwrap_or_else(|e| panic!("{e}"));
}
