//! Resolved connection parameters and their small value types.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A password. Its `Debug` and `Display` print `***`, so it can sit in any struct that is
/// logged or shown; [`Password::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub(crate) fn new(secret: String) -> Password {
        Password(secret)
    }

    /// The secret itself, for handing to the driver and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where the password came from, so an authentication failure can say what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The connection string or the service entry (named by the string).
    Explicit(String),
    /// `PGPASSWORD`.
    Environment,
    /// A matching line of this password file.
    Passfile(PathBuf),
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::Explicit(origin) => f.write_str(origin),
            PasswordSource::Environment => f.write_str("PGPASSWORD"),
            PasswordSource::Passfile(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Where the server is: a TCP host name or address, or a Unix-socket directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    Socket(PathBuf),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Tcp(name) if name.contains(':') => write!(f, "[{name}]"),
            Host::Tcp(name) => f.write_str(name),
            Host::Socket(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub(crate) const EXPECTED: &'static str =
        "disable, allow, prefer, require, verify-ca or verify-full";

    pub(crate) fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// The trust anchors for checking the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file (`sslrootcert`, or `~/.postgresql/root.crt` when it exists).
    File(PathBuf),
    /// `sslrootcert=system`: the operating system's trust store.
    System,
}

/// A client certificate and its key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// libpq's `target_session_attrs`, limited to what tokio-postgres can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSessionAttrs {
    Any,
    ReadWrite,
    ReadOnly,
}

/// libpq's `channel_binding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBinding {
    Disable,
    Prefer,
    Require,
}

/// How TLS is negotiated: the order of plaintext and TLS attempts libpq makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiation {
    /// Plaintext only (`disable`, and every Unix-socket connection).
    Plain,
    /// Plaintext, then TLS if the server rejects it (`allow`).
    PlainThenTls,
    /// TLS if the server offers it, else or after a failure plaintext (`prefer`).
    TlsThenPlain,
    /// TLS or nothing (`require`, `verify-ca`, `verify-full`).
    TlsOnly,
}

/// What the TLS layer checks about the server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Nothing but the handshake signatures: encryption without authentication.
    None,
    /// The chain up to a trusted root, not the host name.
    Chain,
    /// The chain and that the certificate names the host.
    Full,
}

/// The TLS decision for one set of parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsPlan {
    pub negotiation: Negotiation,
    pub verification: Verification,
}

/// Everything needed to connect, resolved with libpq's precedence. `Display` gives the
/// target as `host:port/dbname`, which never includes the password.
#[derive(Debug, Clone)]
pub struct Params {
    pub(super) host: Host,
    pub(super) hostaddr: Option<IpAddr>,
    pub(super) port: u16,
    pub(super) user: String,
    pub(super) dbname: String,
    pub(super) password: Option<(Password, PasswordSource)>,
    pub(super) sslmode: SslMode,
    pub(super) root_cert: Option<RootCert>,
    pub(super) client_cert: Option<ClientCert>,
    pub(super) application_name: String,
    pub(super) connect_timeout: Option<Duration>,
    pub(super) options: Option<String>,
    pub(super) target_session_attrs: TargetSessionAttrs,
    pub(super) channel_binding: ChannelBinding,
    pub(super) warnings: Vec<String>,
}

impl Params {
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The address to connect to instead of resolving the host name (libpq's `hostaddr`).
    pub fn hostaddr(&self) -> Option<IpAddr> {
        self.hostaddr
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    pub fn password(&self) -> Option<&Password> {
        self.password.as_ref().map(|(p, _)| p)
    }

    pub fn password_source(&self) -> Option<&PasswordSource> {
        self.password.as_ref().map(|(_, s)| s)
    }

    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    pub fn root_cert(&self) -> Option<&RootCert> {
        self.root_cert.as_ref()
    }

    pub fn client_cert(&self) -> Option<&ClientCert> {
        self.client_cert.as_ref()
    }

    pub fn application_name(&self) -> &str {
        &self.application_name
    }

    /// `None` waits forever (`connect_timeout=0`).
    pub fn connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }

    pub fn options(&self) -> Option<&str> {
        self.options.as_deref()
    }

    pub fn target_session_attrs(&self) -> TargetSessionAttrs {
        self.target_session_attrs
    }

    pub fn channel_binding(&self) -> ChannelBinding {
        self.channel_binding
    }

    /// Things the user should know that did not stop resolution, such as an ignored
    /// password file.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// libpq's TLS behaviour for these parameters. As in libpq, a root certificate that
    /// exists turns `allow`/`prefer`/`require` into chain verification, and Unix sockets
    /// never use TLS.
    pub fn tls_plan(&self) -> TlsPlan {
        let negotiation = match (&self.host, self.sslmode) {
            (Host::Socket(_), _) | (_, SslMode::Disable) => Negotiation::Plain,
            (_, SslMode::Allow) => Negotiation::PlainThenTls,
            (_, SslMode::Prefer) => Negotiation::TlsThenPlain,
            _ => Negotiation::TlsOnly,
        };
        let verification = match self.sslmode {
            SslMode::VerifyFull => Verification::Full,
            SslMode::VerifyCa => Verification::Chain,
            _ if self.root_cert.is_some() => Verification::Chain,
            _ => Verification::None,
        };
        TlsPlan {
            negotiation,
            verification,
        }
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.host, self.port, self.dbname)
    }
}
