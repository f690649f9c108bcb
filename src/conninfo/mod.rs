//! Connecting the way libpq (psql) does, so a DBA's existing setup just works.
//!
//! [`resolve`] turns `--url`, `DATABASE_URL`, the `PG*` environment, `pg_service.conf` and
//! `~/.pgpass` into [`Params`] without touching the network; [`connect`] opens the
//! connection with libpq's `sslmode` semantics over rustls.
//!
//! tokio-postgres reads no environment or files and rejects `verify-ca`, `verify-full`,
//! `sslrootcert` and `service` in strings, so the user's string is never handed to it: its
//! `Config` is built field by field from [`Params`].

mod connect;
#[cfg(test)]
mod connect_tests;
#[cfg(test)]
mod fake_server;
mod keys;
#[cfg(test)]
mod live_tests;
mod params;
mod parse;
#[cfg(test)]
mod parse_tests;
mod pgpass;
mod resolve;
mod service;
mod tls;

use std::path::PathBuf;

pub use connect::{ConnectError, cancel, connect};
pub use params::{
    ChannelBinding, ClientCert, Host, Negotiation, Params, Password, PasswordSource, RootCert,
    SslMode, TargetSessionAttrs, TlsPlan, Verification,
};
pub use resolve::{Inputs, resolve};
pub use tls::TlsSetupError;

/// Why the connection settings could not be worked out. No variant ever holds a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnInfoError {
    #[error("{origin} is malformed: {message}")]
    Syntax { origin: String, message: String },
    #[error(
        "unknown connection option \"{key}\" in {origin}: check the spelling against libpq's names (host, port, dbname, user, sslmode, ...)"
    )]
    UnknownKey { key: String, origin: String },
    #[error("invalid {key} \"{value}\" in {origin}: expected {expected}")]
    InvalidValue {
        key: &'static str,
        value: String,
        origin: String,
        expected: &'static str,
    },
    #[error("{origin} lists more than one host: pgstep connects to a single server, so give one")]
    MultipleHosts { origin: String },
    #[error(
        "definition of service \"{name}\" not found (looked in {searched}): check PGSERVICE or service=, and PGSERVICEFILE"
    )]
    UnknownService { name: String, searched: String },
    #[error("syntax error in service file {}, line {line}: {message}", path.display())]
    ServiceFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("could not read service file {}: {source}", path.display())]
    ServiceFileRead {
        path: PathBuf,
        source: crate::files::FileError,
    },
    #[error(
        "cannot tell which database user to connect as: set PGUSER or put user= in the connection string"
    )]
    NoUser,
    #[error(
        "sslmode={mode} needs a root certificate, and {tried} does not exist: set sslrootcert (PGSSLROOTCERT) to the CA file, or use sslrootcert=system for the OS trust store"
    )]
    MissingRootCert { mode: SslMode, tried: String },
    #[error(
        "sslrootcert=system trusts every public CA, so it needs sslmode=verify-full (got sslmode={mode})"
    )]
    WeakModeWithSystemRoots { mode: SslMode },
}
