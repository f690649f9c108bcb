//! `connect` against the scripted server: error mapping, libpq's TLS fallbacks and the
//! three levels of certificate checking.

use std::collections::HashMap;
use std::path::Path;

use super::fake_server::{
    CA_CERT, LEAF_CERT, LEAF_KEY, Reply, SELF_CERT, SELF_KEY, Script, Ssl, serve,
};
use super::{ConnectError, Inputs, Params, TlsSetupError, connect, resolve};

const SECRET: &str = "hunter2-secret";

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

/// Connects to the scripted server with `extra` options; the error must hide the password.
async fn fail(scripts: Vec<Script>, extra: &str, home: &Path) -> ConnectError {
    let port = serve(scripts);
    let conninfo =
        format!("hostaddr=127.0.0.1 port={port} dbname=app user=bob password={SECRET} {extra}");
    let Err(error) = connect(&params(&conninfo, home)).await else {
        panic!("connecting with {extra:?} should fail");
    };
    let shown = format!("{error} / {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    error
}

fn plain(reply: Reply) -> Script {
    Script {
        ssl: Ssl::Refuse,
        reply,
    }
}

/// A server whose TLS handshake succeeds and which then rejects the password, so an
/// `AuthFailed` error proves the certificate was accepted.
fn tls(cert: &'static str, key: &'static str) -> Script {
    Script {
        ssl: Ssl::Accept { cert, key },
        reply: Reply::Error("28P01"),
    }
}

fn write(home: &Path, name: &str, text: &str) -> String {
    let path = home.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn sqlstates_map_to_their_own_errors() {
    let home = tempfile::tempdir().unwrap();
    let e = fail(vec![plain(Reply::Error("28P01"))], "", home.path()).await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("127.0.0.1:"), "{text}");
    assert!(text.contains("/app"), "{text}");
    assert!(text.contains("user \"bob\""), "{text}");
    assert!(
        text.contains("the password from the connection string"),
        "{text}"
    );

    let e = fail(
        vec![plain(Reply::Error("3D000"))],
        "sslmode=disable",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::UnknownDatabase { .. }), "{e:?}");
    assert!(e.to_string().contains("database \"app\" does not exist"));

    let e = fail(
        vec![plain(Reply::Error("28000"))],
        "sslmode=disable",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::Rejected { .. }), "{e:?}");
    assert!(e.to_string().contains("pg_hba.conf"));

    let e = fail(vec![plain(Reply::Error("53300"))], "", home.path()).await;
    assert!(e.to_string().contains("SQLSTATE 53300"), "{e}");
}

#[tokio::test]
async fn password_request_without_a_password() {
    let home = tempfile::tempdir().unwrap();
    let port = serve(vec![plain(Reply::AskPassword)]);
    let conninfo = format!("host=127.0.0.1 port={port} dbname=app user=bob");
    let Err(e) = connect(&params(&conninfo, home.path())).await else {
        panic!("no password");
    };
    assert!(matches!(e, ConnectError::PasswordMissing { .. }), "{e:?}");
    assert!(e.to_string().contains("~/.pgpass"));
}

#[tokio::test]
async fn require_fails_when_the_server_has_no_tls() {
    let home = tempfile::tempdir().unwrap();
    let e = fail(
        vec![plain(Reply::Error("28P01"))],
        "sslmode=require",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("server does not support TLS"), "{e}");
}

#[tokio::test]
async fn prefer_falls_back_to_plaintext_after_a_tls_failure() {
    let home = tempfile::tempdir().unwrap();
    let garbage = Script {
        ssl: Ssl::Garbage,
        reply: Reply::Error("28P01"),
    };
    let e = fail(vec![garbage], "sslmode=require", home.path()).await;
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
    let garbage = Script {
        ssl: Ssl::Garbage,
        reply: Reply::Error("28P01"),
    };
    let scripts = vec![garbage, plain(Reply::Error("3D000"))];
    let e = fail(scripts, "sslmode=prefer", home.path()).await;
    assert!(matches!(e, ConnectError::UnknownDatabase { .. }), "{e:?}");
}

#[tokio::test]
async fn allow_retries_with_tls_after_a_rejection() {
    let home = tempfile::tempdir().unwrap();
    let scripts = vec![plain(Reply::Error("28000")), tls(SELF_CERT, SELF_KEY)];
    let e = fail(scripts, "sslmode=allow", home.path()).await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");
}

#[tokio::test]
async fn require_accepts_any_certificate() {
    let home = tempfile::tempdir().unwrap();
    let e = fail(
        vec![tls(SELF_CERT, SELF_KEY)],
        "sslmode=require",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");
}

#[tokio::test]
async fn verify_full_checks_chain_and_name() {
    let home = tempfile::tempdir().unwrap();
    let ca = write(home.path(), "ca.crt", CA_CERT);
    let opts = format!("host=localhost sslmode=verify-full sslrootcert={ca}");
    let e = fail(vec![tls(LEAF_CERT, LEAF_KEY)], &opts, home.path()).await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");

    let opts = format!("host=127.0.0.1 sslmode=verify-full sslrootcert={ca}");
    let e = fail(vec![tls(LEAF_CERT, LEAF_KEY)], &opts, home.path()).await;
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
    assert!(e.to_string().contains("sslrootcert"), "{e}");
}

#[tokio::test]
async fn verify_ca_checks_the_chain_only() {
    let home = tempfile::tempdir().unwrap();
    let ca = write(home.path(), "ca.crt", CA_CERT);
    let opts = format!("host=127.0.0.1 sslmode=verify-ca sslrootcert={ca}");
    let e = fail(vec![tls(LEAF_CERT, LEAF_KEY)], &opts, home.path()).await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");

    let e = fail(vec![tls(SELF_CERT, SELF_KEY)], &opts, home.path()).await;
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
}

#[tokio::test]
async fn self_signed_ca_certificate_is_accepted_as_its_own_root() {
    let home = tempfile::tempdir().unwrap();
    let root = write(home.path(), "self.crt", SELF_CERT);
    let opts = format!("host=localhost sslmode=verify-full sslrootcert={root}");
    let e = fail(vec![tls(SELF_CERT, SELF_KEY)], &opts, home.path()).await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");
}

#[tokio::test]
async fn default_root_cert_makes_require_verify_the_chain() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".postgresql")).unwrap();
    write(home.path(), ".postgresql/root.crt", CA_CERT);
    let e = fail(
        vec![tls(SELF_CERT, SELF_KEY)],
        "sslmode=require",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::Tls { .. }), "{e:?}");
    let e = fail(
        vec![tls(LEAF_CERT, LEAF_KEY)],
        "sslmode=require",
        home.path(),
    )
    .await;
    assert!(matches!(e, ConnectError::AuthFailed { .. }), "{e:?}");
}

#[tokio::test]
async fn unusable_certificate_files_are_setup_errors() {
    let home = tempfile::tempdir().unwrap();
    let root = write(home.path(), "empty.crt", "not a certificate\n");
    let opts = format!("sslmode=verify-ca sslrootcert={root}");
    let e = fail(Vec::new(), &opts, home.path()).await;
    assert!(
        matches!(
            e,
            ConnectError::TlsSetup(TlsSetupError::NoCertificate { .. })
        ),
        "{e:?}"
    );
    let cert = write(home.path(), "client.crt", LEAF_CERT);
    let key = write(home.path(), "client.key", SELF_KEY);
    let opts = format!("sslmode=require sslcert={cert} sslkey={key}");
    let e = fail(Vec::new(), &opts, home.path()).await;
    assert!(
        matches!(e, ConnectError::TlsSetup(TlsSetupError::ClientKey { .. })),
        "{e:?}"
    );
}

#[tokio::test]
async fn missing_socket_is_named() {
    let home = tempfile::tempdir().unwrap();
    let p = params("host=/nonexistent/pgstep port=5999 dbname=app", home.path());
    let Err(e) = connect(&p).await else {
        panic!("no socket there");
    };
    assert!(matches!(e, ConnectError::NoSocket { .. }), "{e:?}");
    assert!(
        e.to_string().contains("/nonexistent/pgstep/.s.PGSQL.5999"),
        "{e}"
    );
}
