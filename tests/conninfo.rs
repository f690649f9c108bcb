//! Connection settings resolved like libpq: precedence, defaults, service files, the
//! password file, redaction and the TLS plan, all through the public API.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pgstep::conninfo::{
    ConnInfoError, ConnectError, Host, Inputs, Negotiation, Params, PasswordSource, RootCert,
    SslMode, TlsPlan, Verification, connect, resolve,
};
use tempfile::TempDir;

const SOCKET_DIR: &str = "/run/pgstep-test";
const SECRET: &str = "hunter2-secret";

struct Fixture {
    home: TempDir,
    url: Option<String>,
    env: HashMap<String, String>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            home: tempfile::tempdir().unwrap(),
            url: None,
            env: HashMap::new(),
        }
    }

    fn url(mut self, url: &str) -> Fixture {
        self.url = Some(url.to_owned());
        self
    }

    fn env(mut self, name: &str, value: &str) -> Fixture {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Writes `name` under the home directory with the given permissions.
    fn file(self, name: &str, text: &str, mode: u32) -> Fixture {
        let path = self.path(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        self
    }

    fn inputs(&self) -> Inputs {
        Inputs {
            url: self.url.clone(),
            env: self.env.clone(),
            home: Some(self.home.path().to_owned()),
            os_user: Some("alice".into()),
            socket_dir: SOCKET_DIR.into(),
            sysconfdir: self.path("etc"),
        }
    }

    fn resolve(&self) -> Params {
        resolve(&self.inputs()).unwrap()
    }

    fn error(&self) -> ConnInfoError {
        let error = resolve(&self.inputs()).unwrap_err();
        let shown = format!("{error} / {error:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        error
    }
}

#[test]
fn defaults_follow_libpq() {
    let p = Fixture::new().resolve();
    assert_eq!(p.host(), &Host::Socket(SOCKET_DIR.into()));
    assert_eq!((p.port(), p.user(), p.dbname()), (5432, "alice", "alice"));
    assert_eq!(p.sslmode(), SslMode::Prefer);
    assert_eq!(p.application_name(), "pgstep (alice)");
    assert_eq!(p.connect_timeout(), Some(Duration::from_secs(10)));
    assert!(p.password().is_none() && p.warnings().is_empty());
    assert_eq!(p.to_string(), "/run/pgstep-test:5432/alice");
}

#[test]
fn without_any_user_name_resolution_fails() {
    let mut inputs = Fixture::new().inputs();
    inputs.os_user = None;
    assert!(matches!(resolve(&inputs), Err(ConnInfoError::NoUser)));
    inputs.env.insert("PGUSER".into(), "bob".into());
    let p = resolve(&inputs).unwrap();
    assert_eq!((p.dbname(), p.application_name()), ("bob", "pgstep"));
}

#[test]
fn environment_fills_every_option() {
    let p = Fixture::new()
        .env("PGHOST", "db.example.com")
        .env("PGPORT", "6543")
        .env("PGUSER", "bob")
        .env("PGDATABASE", "app")
        .env("PGAPPNAME", "deploy")
        .env("PGCONNECT_TIMEOUT", "1")
        .env("PGOPTIONS", "-c lock_timeout=5s")
        .env("PGSSLMODE", "require")
        .resolve();
    assert_eq!(p.to_string(), "db.example.com:6543/app");
    assert_eq!((p.user(), p.application_name()), ("bob", "deploy"));
    assert_eq!(p.connect_timeout(), Some(Duration::from_secs(2)));
    assert_eq!(p.options(), Some("-c lock_timeout=5s"));
    assert_eq!(p.sslmode(), SslMode::Require);
    let p = Fixture::new().env("PGCONNECT_TIMEOUT", "0").resolve();
    assert_eq!(p.connect_timeout(), None);
}

#[test]
fn url_beats_database_url_beats_environment() {
    let f = Fixture::new()
        .env("DATABASE_URL", "postgres://from-database-url/dburl")
        .env("PGHOST", "from-env")
        .env("PGPORT", "1111");
    assert_eq!(f.resolve().to_string(), "from-database-url:1111/dburl");
    let f = f.url("host=from-url");
    assert_eq!(f.resolve().to_string(), "from-url:1111/alice");
}

#[test]
fn service_sits_between_conninfo_and_environment() {
    let f = Fixture::new()
        .file(
            ".pg_service.conf",
            "[ops]\nhost=svc.example.com\nport=6432\ndbname=ops\napplication_name=svc\n",
            0o644,
        )
        .env("PGPORT", "1")
        .env("PGDATABASE", "envdb")
        .env("PGUSER", "envuser")
        .url("service=ops application_name=cli");
    let p = f.resolve();
    assert_eq!(p.to_string(), "svc.example.com:6432/ops");
    assert_eq!((p.user(), p.application_name()), ("envuser", "cli"));
}

#[test]
fn service_files_from_the_environment() {
    let f = Fixture::new()
        .file("etc/pg_service.conf", "[sys]\nport=7000\n", 0o644)
        .file("custom.conf", "[mine]\nport=7001\n", 0o644)
        .env("PGSERVICE", "sys");
    assert_eq!(f.resolve().port(), 7000);
    let custom = f.path("custom.conf").display().to_string();
    let f = f.env("PGSERVICEFILE", &custom).env("PGSERVICE", "mine");
    assert_eq!(f.resolve().port(), 7001);
    let other = f.path("other").display().to_string();
    let f = f.env("PGSYSCONFDIR", &other).env("PGSERVICE", "sys");
    let e = f.error();
    assert!(matches!(e, ConnInfoError::UnknownService { .. }), "{e:?}");
    assert!(e.to_string().contains("\"sys\""), "{e}");
}

#[test]
fn invalid_values_name_their_origin() {
    let e = Fixture::new().env("PGSSLMODE", "verfy-full").error();
    let text = e.to_string();
    assert!(
        text.contains("sslmode \"verfy-full\" in PGSSLMODE"),
        "{text}"
    );
    let e = Fixture::new().url("postgres://h:99999/d").error();
    assert!(e.to_string().contains("port \"99999\""), "{e}");
    let e = Fixture::new().url("target_session_attrs=primary").error();
    assert!(e.to_string().contains("read-write"), "{e}");
    let e = Fixture::new().url("host=a,b").error();
    assert!(matches!(e, ConnInfoError::MultipleHosts { .. }), "{e:?}");
    let e = Fixture::new().url("postgresql://h/d?frobnicate=1").error();
    assert!(e.to_string().contains("\"frobnicate\""), "{e}");
}

#[test]
fn hostaddr_alone_is_the_host() {
    let p = Fixture::new().url("hostaddr=10.0.0.5").resolve();
    assert_eq!(p.host(), &Host::Tcp("10.0.0.5".into()));
    let p = Fixture::new().url("host=db hostaddr=::1").resolve();
    assert_eq!(p.to_string(), "db:5432/alice");
    assert_eq!(p.hostaddr(), Some("::1".parse().unwrap()));
}

fn pgpass(text: &str, mode: u32) -> Fixture {
    Fixture::new().file(".pgpass", text, mode)
}

#[test]
fn pgpass_supplies_the_password() {
    let p = pgpass("db:5432:app:bob:from-pgpass\n", 0o600)
        .url("host=db dbname=app user=bob")
        .resolve();
    assert_eq!(p.password().unwrap().expose(), "from-pgpass");
    assert!(matches!(
        p.password_source(),
        Some(PasswordSource::Passfile(_))
    ));
    let text = "# comment\nother:*:*:*:no\n*:*:app:bob:p\\:w\\\\d\n*:*:*:*:later\n";
    let p = pgpass(text, 0o400)
        .url("host=db dbname=app user=bob")
        .resolve();
    assert_eq!(p.password().unwrap().expose(), r"p:w\d");
}

#[test]
fn pgpass_open_to_others_is_ignored_with_a_warning() {
    let p = pgpass("*:*:*:*:pw\n", 0o640).resolve();
    assert!(p.password().is_none());
    assert_eq!(p.warnings().len(), 1);
    assert!(
        p.warnings()[0].contains("group or world access"),
        "{:?}",
        p.warnings()
    );
}

#[test]
fn pgpass_from_pgpassfile() {
    let f = Fixture::new().file("secrets/pass", "*:*:*:*:elsewhere\n", 0o600);
    let path = f.path("secrets/pass").display().to_string();
    let p = f.env("PGPASSFILE", &path).resolve();
    assert_eq!(p.password().unwrap().expose(), "elsewhere");
}

#[test]
fn pgpass_localhost_matches_tcp_and_default_socket_only() {
    let text = "localhost:5432:*:*:local\n/other/dir:5432:*:*:other\n";
    let p = pgpass(text, 0o600).resolve();
    assert_eq!(p.password().unwrap().expose(), "local");
    let p = pgpass(text, 0o600).url("host=localhost").resolve();
    assert_eq!(p.password().unwrap().expose(), "local");
    let p = pgpass(text, 0o600).url("host=/other/dir").resolve();
    assert_eq!(p.password().unwrap().expose(), "other");
    let p = pgpass("localhost:*:*:*:local\n", 0o600)
        .url("host=/other/dir")
        .resolve();
    assert!(p.password().is_none());
}

#[test]
fn password_precedence_explicit_then_env_then_pgpass() {
    let f = pgpass("*:*:*:*:from-pgpass\n", 0o600);
    assert_eq!(f.resolve().password().unwrap().expose(), "from-pgpass");
    let f = f.env("PGPASSWORD", "from-env");
    let p = f.resolve();
    assert_eq!(p.password().unwrap().expose(), "from-env");
    assert_eq!(p.password_source(), Some(&PasswordSource::Environment));
    let p = f.url("password=explicit").resolve();
    assert_eq!(p.password().unwrap().expose(), "explicit");
}

#[test]
fn password_never_shows() {
    let url = format!("postgresql://bob:{SECRET}@db.example.com:5433/app");
    let p = Fixture::new().url(&url).resolve();
    assert_eq!(p.password().unwrap().expose(), SECRET);
    assert_eq!(p.to_string(), "db.example.com:5433/app");
    let debug = format!(
        "{p:?} {:?} {}",
        p.password().unwrap(),
        p.password().unwrap()
    );
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("***"), "{debug}");
    let url = format!("postgresql://bob:{SECRET}@db/app?sslmode=bogus");
    Fixture::new().url(&url).error();
    Fixture::new()
        .url(&format!("password={SECRET} broken"))
        .error();
    Fixture::new().url(&format!("password='{SECRET}")).error();
}

fn plan(f: Fixture) -> TlsPlan {
    f.resolve().tls_plan()
}

fn tcp(mode: &str) -> Fixture {
    Fixture::new().url(&format!("host=db sslmode={mode}"))
}

#[test]
fn sslmode_chooses_negotiation_and_verification() {
    let cases = [
        ("disable", Negotiation::Plain, Verification::None),
        ("allow", Negotiation::PlainThenTls, Verification::None),
        ("prefer", Negotiation::TlsThenPlain, Verification::None),
        ("require", Negotiation::TlsOnly, Verification::None),
    ];
    for (mode, negotiation, verification) in cases {
        let expected = TlsPlan {
            negotiation,
            verification,
        };
        assert_eq!(plan(tcp(mode)), expected, "sslmode={mode}");
    }
    let socket = Fixture::new().url("sslmode=require");
    assert_eq!(plan(socket).negotiation, Negotiation::Plain);
}

#[test]
fn root_certificate_upgrades_verification() {
    let with_root = |mode: &str| tcp(mode).file(".postgresql/root.crt", "pem", 0o644);
    assert_eq!(plan(with_root("require")).verification, Verification::Chain);
    assert_eq!(plan(with_root("prefer")).verification, Verification::Chain);
    assert_eq!(
        plan(with_root("verify-ca")).verification,
        Verification::Chain
    );
    let p = with_root("verify-full").resolve();
    assert_eq!(p.tls_plan().verification, Verification::Full);
    assert!(matches!(p.root_cert(), Some(RootCert::File(f)) if f.ends_with("root.crt")));

    let e = tcp("verify-full").error();
    assert!(matches!(e, ConnInfoError::MissingRootCert { .. }), "{e:?}");
    assert!(e.to_string().contains(".postgresql/root.crt"), "{e}");
}

#[test]
fn system_roots_require_verify_full() {
    let p = Fixture::new().url("host=db sslrootcert=system").resolve();
    assert_eq!(
        (p.sslmode(), p.root_cert()),
        (SslMode::VerifyFull, Some(&RootCert::System))
    );
    let e = Fixture::new()
        .url("sslrootcert=system sslmode=require")
        .error();
    assert!(
        matches!(e, ConnInfoError::WeakModeWithSystemRoots { .. }),
        "{e:?}"
    );
}

#[test]
fn client_certificate_only_when_the_file_exists() {
    assert!(Fixture::new().resolve().client_cert().is_none());
    let p = Fixture::new()
        .file(".postgresql/postgresql.crt", "pem", 0o644)
        .resolve();
    let cert = p.client_cert().unwrap();
    assert!(cert.key.ends_with(".postgresql/postgresql.key"));
}

fn loopback(port: u16, extra: &str) -> Params {
    let url = format!("postgresql://bob:{SECRET}@127.0.0.1:{port}/app?{extra}");
    Fixture::new().url(&url).resolve()
}

fn assert_hidden(error: &ConnectError) {
    let shown = format!("{error} / {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
}

#[tokio::test]
async fn refused_connection_names_target_and_next_step() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let Err(e) = connect(&loopback(port, "sslmode=disable")).await else {
        panic!("nothing listens on {port}");
    };
    assert_hidden(&e);
    assert_eq!(
        e.to_string(),
        format!(
            "connection refused by 127.0.0.1:{port}/app: is the server running and listening there? check --url or PGHOST/PGPORT"
        )
    );
}

#[tokio::test]
async fn silent_server_times_out() {
    // The kernel completes the handshake for a listener that never accepts, so the
    // client waits for an answer that never comes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let Err(e) = connect(&loopback(port, "connect_timeout=2")).await else {
        panic!("the listener never answers");
    };
    assert_hidden(&e);
    assert!(matches!(e, ConnectError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("connect_timeout 2 s"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
}

#[test]
fn from_process_reads_only_postgres_variables() {
    let inputs = Inputs::from_process(Some("host=h".into()));
    assert!(
        inputs
            .env
            .keys()
            .all(|k| k.starts_with("PG") || k == "DATABASE_URL")
    );
    assert!(Path::new(&inputs.socket_dir).is_absolute());
    assert_eq!(inputs.url.as_deref(), Some("host=h"));
}

#[test]
fn a_service_file_that_is_a_fifo_is_refused_not_waited_on() {
    let f = Fixture::new();
    let fifo = f.path("pg_service.conf");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success());
    let f = f
        .env("PGSERVICEFILE", fifo.to_str().unwrap())
        .env("PGSERVICE", "ops");
    let e = f.error().to_string();
    assert!(e.contains("not a regular file"), "{e}");
    assert!(e.contains("pg_service.conf"), "{e}");
}
