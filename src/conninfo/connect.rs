//! Opening the connection with libpq's TLS fallbacks, and saying in one sentence what went
//! wrong and what to check next.

use std::error::Error as _;
use std::io;

use tokio::task::JoinHandle;
use tokio_postgres::config::{
    ChannelBinding as PgChannelBinding, SslMode as PgSslMode,
    TargetSessionAttrs as PgTargetSessionAttrs,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{CancelToken, Client, Config, NoTls, Socket};

use super::params::{ChannelBinding, Host, Negotiation, Params, TargetSessionAttrs, Verification};
use super::tls::{self, TlsSetupError};

/// Why connecting failed. Each message names the target (`host:port/dbname`, never the
/// password) and the next thing to check.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "connection refused by {target}: is the server running and listening there? check --url or PGHOST/PGPORT"
    )]
    Refused { target: String },
    #[error(
        "no server socket {socket} for {target}: is the server running, with this socket directory and port? check --url or PGHOST/PGPORT"
    )]
    NoSocket { target: String, socket: String },
    #[error(
        "could not resolve the host of {target} ({detail}): check the host name in --url or PGHOST"
    )]
    UnknownHost { target: String, detail: String },
    #[error(
        "timed out connecting to {target} (connect_timeout {limit}): check the host, port and firewall, or raise connect_timeout (PGCONNECT_TIMEOUT)"
    )]
    Timeout { target: String, limit: String },
    #[error("password authentication failed for user \"{user}\" at {target}: {hint}")]
    AuthFailed {
        target: String,
        user: String,
        hint: String,
    },
    #[error(
        "{target} asks for a password for user \"{user}\" and none was given: add a line to ~/.pgpass (or PGPASSFILE), or set PGPASSWORD"
    )]
    PasswordMissing { target: String, user: String },
    #[error(
        "{target} rejected user \"{user}\" ({message}): ask the DBA for a pg_hba.conf entry, or try another sslmode"
    )]
    Rejected {
        target: String,
        user: String,
        message: String,
    },
    #[error(
        "database \"{dbname}\" does not exist at {target}: check the database name in --url or PGDATABASE"
    )]
    UnknownDatabase { target: String, dbname: String },
    #[error(
        "TLS with {target} failed ({reason}): check sslmode and sslrootcert (PGSSLMODE, PGSSLROOTCERT)"
    )]
    Tls { target: String, reason: String },
    #[error(transparent)]
    TlsSetup(#[from] TlsSetupError),
    #[error(
        "{target} is not a {wanted} server ({message}): connect to another server or change target_session_attrs"
    )]
    SessionAttrs {
        target: String,
        wanted: &'static str,
        message: String,
    },
    #[error(
        "{target} refused the connection ({message}, SQLSTATE {code}): retry later or check the server log"
    )]
    Server {
        target: String,
        code: String,
        message: String,
    },
    #[error("could not connect to {target} ({detail}): check --url and the server log")]
    Other { target: String, detail: String },
}

/// Connects with `params` and spawns the connection task on the current tokio runtime.
/// The task ends when the client is dropped or the connection breaks.
pub async fn connect(params: &Params) -> Result<(Client, JoinHandle<()>), ConnectError> {
    if let (Host::Tcp(name), None) = (&params.host, params.hostaddr) {
        // Resolving first gives a misspelt host name its own message; tokio-postgres would
        // report it as a generic I/O error.
        let lookup = tokio::net::lookup_host((name.as_str(), params.port));
        let resolved = match params.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, lookup)
                .await
                .map_err(|_| timeout(params))?,
            None => lookup.await,
        };
        if let Err(e) = resolved {
            return Err(ConnectError::UnknownHost {
                target: params.to_string(),
                detail: e.to_string(),
            });
        }
    }
    let plan = params.tls_plan();
    let first = match plan.negotiation {
        Negotiation::Plain | Negotiation::PlainThenTls => None,
        Negotiation::TlsThenPlain => Some(PgSslMode::Prefer),
        Negotiation::TlsOnly => Some(PgSslMode::Require),
    };
    let result = attempt(params, first, plan.verification).await;
    // libpq retries the other way when the server turns down the first attempt.
    let retry = match (plan.negotiation, &result) {
        (Negotiation::PlainThenTls, Err(ConnectError::Rejected { .. })) => Some(PgSslMode::Require),
        (
            Negotiation::TlsThenPlain,
            Err(ConnectError::Tls { .. } | ConnectError::Rejected { .. }),
        ) => None,
        _ => return result,
    };
    match attempt(params, retry, plan.verification).await {
        Err(ConnectError::Rejected { .. }) => result,
        second => second,
    }
}

/// Asks the server to cancel what the session of `token` is running. The request goes over
/// the same kind of connection as the session's own, so it works where TLS is required.
pub async fn cancel(params: &Params, token: &CancelToken) -> Result<(), ConnectError> {
    let plan = params.tls_plan();
    let sent = match plan.negotiation {
        Negotiation::Plain => token.cancel_query(NoTls).await,
        _ => {
            let tls = tls::connector(plan.verification, params.root_cert(), params.client_cert())?;
            token.cancel_query(tls).await
        }
    };
    sent.map_err(|e| classify(&e, params))
}

/// One connection attempt: plaintext when `ssl` is `None`.
async fn attempt(
    params: &Params,
    ssl: Option<PgSslMode>,
    verification: Verification,
) -> Result<(Client, JoinHandle<()>), ConnectError> {
    let mut config = pg_config(params);
    match ssl {
        None => open(config.ssl_mode(PgSslMode::Disable), NoTls, params).await,
        Some(mode) => {
            let tls = tls::connector(verification, params.root_cert(), params.client_cert())?;
            open(config.ssl_mode(mode), tls, params).await
        }
    }
}

async fn open<T>(
    config: &Config,
    tls: T,
    params: &Params,
) -> Result<(Client, JoinHandle<()>), ConnectError>
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let connecting = config.connect(tls);
    // tokio-postgres's own timeout covers only the TCP connect; libpq's covers the startup.
    let connected = match params.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| timeout(params))?,
        None => connecting.await,
    };
    let (client, connection) = connected.map_err(|e| classify(&e, params))?;
    let task = tokio::spawn(async move {
        // A broken connection also fails the client's next call, which reports it.
        let _ = connection.await;
    });
    Ok((client, task))
}

fn pg_config(params: &Params) -> Config {
    let mut config = Config::new();
    match &params.host {
        Host::Tcp(name) => config.host(name),
        Host::Socket(dir) => config.host_path(dir),
    };
    if let Some(addr) = params.hostaddr {
        config.hostaddr(addr);
    }
    config
        .port(params.port)
        .user(&params.user)
        .dbname(&params.dbname)
        .application_name(&params.application_name)
        .target_session_attrs(match params.target_session_attrs {
            TargetSessionAttrs::Any => PgTargetSessionAttrs::Any,
            TargetSessionAttrs::ReadWrite => PgTargetSessionAttrs::ReadWrite,
            TargetSessionAttrs::ReadOnly => PgTargetSessionAttrs::ReadOnly,
        })
        .channel_binding(match params.channel_binding {
            ChannelBinding::Disable => PgChannelBinding::Disable,
            ChannelBinding::Prefer => PgChannelBinding::Prefer,
            ChannelBinding::Require => PgChannelBinding::Require,
        });
    if let Some(password) = params.password() {
        config.password(password.expose());
    }
    if let Some(options) = params.options() {
        config.options(options);
    }
    if let Some(limit) = params.connect_timeout {
        config.connect_timeout(limit);
    }
    config
}

fn timeout(params: &Params) -> ConnectError {
    ConnectError::Timeout {
        target: params.to_string(),
        limit: match params.connect_timeout {
            Some(limit) => format!("{} s", limit.as_secs()),
            None => "unset, so the system's TCP timeout".to_owned(),
        },
    }
}

/// Maps a tokio-postgres error by SQLSTATE, then by the I/O or TLS error underneath.
fn classify(error: &tokio_postgres::Error, params: &Params) -> ConnectError {
    let target = params.to_string();
    if let Some(db) = error.as_db_error() {
        let code = db.code();
        return if *code == SqlState::INVALID_PASSWORD {
            ConnectError::AuthFailed {
                target,
                user: params.user.clone(),
                hint: match params.password_source() {
                    Some(source) => format!("check the password from {source}"),
                    None => "no password was given".to_owned(),
                },
            }
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            ConnectError::Rejected {
                target,
                user: params.user.clone(),
                message: db.message().to_owned(),
            }
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            ConnectError::UnknownDatabase {
                target,
                dbname: params.dbname.clone(),
            }
        } else {
            ConnectError::Server {
                target,
                code: code.code().to_owned(),
                message: db.message().to_owned(),
            }
        };
    }
    let causes: Vec<&(dyn std::error::Error + 'static)> =
        std::iter::successors(error.source(), |&e| e.source()).collect();
    // tokio-postgres exposes no error kind, only these fixed texts.
    let kind = error.to_string();
    let cause = causes.first().map(|c| c.to_string()).unwrap_or_default();
    if kind == "invalid configuration" && cause == "password missing" {
        return ConnectError::PasswordMissing {
            target,
            user: params.user.clone(),
        };
    }
    for cause in &causes {
        let io = cause.downcast_ref::<io::Error>();
        let inner = io
            .and_then(|e| e.get_ref())
            .map(|e| e as &dyn std::error::Error);
        let rustls = cause
            .downcast_ref::<rustls::Error>()
            .or_else(|| inner.and_then(|e| e.downcast_ref::<rustls::Error>()));
        if let Some(e) = rustls {
            return ConnectError::Tls {
                target,
                reason: e.to_string(),
            };
        }
        match io.map(io::Error::kind) {
            Some(io::ErrorKind::ConnectionRefused) => return ConnectError::Refused { target },
            Some(io::ErrorKind::TimedOut) => return timeout(params),
            Some(io::ErrorKind::NotFound) => {
                if let Host::Socket(dir) = &params.host {
                    let socket = dir.join(format!(".s.PGSQL.{}", params.port));
                    return ConnectError::NoSocket {
                        target,
                        socket: socket.display().to_string(),
                    };
                }
            }
            Some(io::ErrorKind::PermissionDenied)
                if params.target_session_attrs != TargetSessionAttrs::Any =>
            {
                return ConnectError::SessionAttrs {
                    target,
                    wanted: match params.target_session_attrs {
                        TargetSessionAttrs::ReadOnly => "read-only",
                        _ => "read-write",
                    },
                    message: cause.to_string(),
                };
            }
            _ => {}
        }
    }
    if kind == "error performing TLS handshake" {
        return ConnectError::Tls {
            target,
            reason: cause,
        };
    }
    let detail = std::iter::once(kind)
        .chain(causes.iter().map(|c| c.to_string()))
        .collect::<Vec<_>>()
        .join(": ");
    ConnectError::Other { target, detail }
}
