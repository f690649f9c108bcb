//! libpq's precedence: connection string > service entry > environment > defaults.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ConnInfoError;
use super::keys::{Key, Settings};
use super::params::{
    ChannelBinding, ClientCert, Host, Params, Password, PasswordSource, RootCert, SslMode,
    TargetSessionAttrs,
};
use super::{parse, pgpass, service};

/// Everything resolution reads besides files, so tests never touch the process. It has no
/// `Debug`, because `env` may hold `PGPASSWORD`.
pub struct Inputs {
    /// `--url`: a `postgres://` URL or a `key=value` string. `DATABASE_URL` is used when
    /// this is `None`.
    pub url: Option<String>,
    /// Environment variables; only `PG*` and `DATABASE_URL` are read.
    pub env: HashMap<String, String>,
    pub home: Option<PathBuf>,
    /// The OS account name: the default database user and part of `application_name`.
    pub os_user: Option<String>,
    /// The default Unix-socket directory, libpq's compiled-in `DEFAULT_PGSOCKET_DIR`.
    pub socket_dir: PathBuf,
    /// Where `pg_service.conf` lives when `PGSYSCONFDIR` is unset.
    pub sysconfdir: PathBuf,
}

impl Inputs {
    /// Reads this process's environment, home directory and user, with the platform's
    /// defaults: Debian's socket and config directories when they exist, else upstream's.
    pub fn from_process(url: Option<String>) -> Inputs {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with("PG") || k == "DATABASE_URL")
            .collect();
        let existing = |dir: &str, fallback: &str| {
            PathBuf::from(if Path::new(dir).is_dir() {
                dir
            } else {
                fallback
            })
        };
        Inputs {
            url,
            env,
            home: directories::BaseDirs::new().map(|d| d.home_dir().to_owned()),
            os_user: os_user(),
            socket_dir: existing("/var/run/postgresql", "/tmp"),
            sysconfdir: existing("/etc/postgresql-common", "/etc"),
        }
    }
}

/// The effective user's name, as libpq takes it from the password database; `$USER` is
/// only a fallback because `su` leaves it pointing at the previous user.
fn os_user() -> Option<String> {
    uid_name().or_else(|| {
        ["USER", "LOGNAME"]
            .into_iter()
            .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
    })
}

#[cfg(unix)]
fn uid_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // On Linux the effective uid owns /proc/self.
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_owned())
    })
}

#[cfg(not(unix))]
fn uid_name() -> Option<String> {
    None
}

/// One option's value and where it came from, for error messages.
struct Value<'a> {
    text: &'a str,
    origin: &'a str,
    from_env: bool,
}

/// The explicit layers (connection string, then service entry) over the environment.
struct Layers<'a> {
    explicit: Vec<(String, Settings)>,
    env: &'a HashMap<String, String>,
}

impl Layers<'_> {
    /// The winning value; an empty one still wins but means "use the default".
    fn get(&self, key: Key) -> Option<Value<'_>> {
        let explicit = self.explicit.iter().find_map(|(origin, settings)| {
            settings.get(&key).map(|text| Value {
                text,
                origin,
                from_env: false,
            })
        });
        explicit.or_else(|| {
            self.env.get(key.env_var()).map(|text| Value {
                text,
                origin: key.env_var(),
                from_env: true,
            })
        })
    }

    fn nonempty(&self, key: Key) -> Option<Value<'_>> {
        self.get(key).filter(|v| !v.text.is_empty())
    }

    fn parsed<T>(
        &self,
        key: Key,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ConnInfoError> {
        let Some(value) = self.nonempty(key) else {
            return Ok(None);
        };
        if matches!(key, Key::Host | Key::Hostaddr | Key::Port) && value.text.contains(',') {
            return Err(ConnInfoError::MultipleHosts {
                origin: value.origin.to_owned(),
            });
        }
        parse(value.text)
            .map(Some)
            .ok_or_else(|| ConnInfoError::InvalidValue {
                key: key.name(),
                value: value.text.to_owned(),
                origin: value.origin.to_owned(),
                expected,
            })
    }
}

/// Works out the connection parameters from `input` and the files it points at
/// (`pg_service.conf`, the password file, certificates), without any network access.
pub fn resolve(input: &Inputs) -> Result<Params, ConnInfoError> {
    let layers = layers(input)?;
    let hostaddr = layers.parsed(Key::Hostaddr, "an IP address", |t| t.parse::<IpAddr>().ok())?;
    let host = layers.parsed(Key::Host, "a host name or socket directory", |t| {
        Some(if t.starts_with('/') {
            Host::Socket(PathBuf::from(t))
        } else {
            Host::Tcp(t.to_owned())
        })
    })?;
    let host = match (host, hostaddr) {
        (Some(Host::Socket(_)) | None, Some(addr)) => Host::Tcp(addr.to_string()),
        (Some(host), _) => host,
        (None, None) => Host::Socket(input.socket_dir.clone()),
    };
    let port = layers
        .parsed(Key::Port, "a port number from 1 to 65535", |t| {
            t.parse::<u16>().ok().filter(|&p| p != 0)
        })?
        .unwrap_or(5432);
    let user = match layers.nonempty(Key::User) {
        Some(v) => v.text.to_owned(),
        None => input.os_user.clone().ok_or(ConnInfoError::NoUser)?,
    };
    let dbname = layers
        .nonempty(Key::Dbname)
        .map_or_else(|| user.clone(), |v| v.text.to_owned());
    let (sslmode, root_cert, client_cert) = tls_settings(&layers, input)?;
    let application_name = layers.nonempty(Key::ApplicationName).map_or_else(
        || match &input.os_user {
            Some(os_user) => format!("pgstep ({os_user})"),
            None => "pgstep".to_owned(),
        },
        |v| v.text.to_owned(),
    );
    let connect_timeout = layers
        .parsed(Key::ConnectTimeout, "a whole number of seconds", |t| {
            t.trim().parse::<i64>().ok()
        })?
        .map_or(Some(Duration::from_secs(10)), |secs| {
            // libpq waits forever for 0 or less and raises 1 to 2 seconds.
            u64::try_from(secs)
                .ok()
                .filter(|&s| s > 0)
                .map(|s| Duration::from_secs(s.max(2)))
        });
    let target_session_attrs = layers
        .parsed(
            Key::TargetSessionAttrs,
            "any, read-write or read-only (pgstep does not support primary, standby or prefer-standby)",
            |t| match t {
                "any" => Some(TargetSessionAttrs::Any),
                "read-write" => Some(TargetSessionAttrs::ReadWrite),
                "read-only" => Some(TargetSessionAttrs::ReadOnly),
                _ => None,
            },
        )?
        .unwrap_or(TargetSessionAttrs::Any);
    let channel_binding = layers
        .parsed(
            Key::ChannelBinding,
            "disable, prefer or require",
            |t| match t {
                "disable" => Some(ChannelBinding::Disable),
                "prefer" => Some(ChannelBinding::Prefer),
                "require" => Some(ChannelBinding::Require),
                _ => None,
            },
        )?
        .unwrap_or(ChannelBinding::Prefer);

    let mut params = Params {
        host,
        hostaddr,
        port,
        user,
        dbname,
        password: None,
        sslmode,
        root_cert,
        client_cert,
        application_name,
        connect_timeout,
        options: layers.nonempty(Key::Options).map(|v| v.text.to_owned()),
        target_session_attrs,
        channel_binding,
        warnings: Vec::new(),
    };
    let (password, warning) = password(&layers, input, &params);
    params.password = password;
    params.warnings.extend(warning);
    Ok(params)
}

/// The connection string (`--url`, else `DATABASE_URL`), then the service entry it or
/// `PGSERVICE` names, over the environment.
fn layers(input: &Inputs) -> Result<Layers<'_>, ConnInfoError> {
    let env = |name: &str| input.env.get(name).map(String::as_str);
    let conninfo = match (&input.url, env("DATABASE_URL")) {
        (Some(url), _) => Some((url.as_str(), "the connection string")),
        (None, Some(url)) if !url.is_empty() => Some((url, "DATABASE_URL")),
        _ => None,
    };
    let mut layers = Layers {
        explicit: Vec::new(),
        env: &input.env,
    };
    if let Some((text, origin)) = conninfo {
        let settings = parse::parse(text, origin)?;
        layers.explicit.push((origin.to_owned(), settings));
    }
    if let Some(name) = layers.nonempty(Key::Service).map(|v| v.text.to_owned()) {
        let user_file = env("PGSERVICEFILE")
            .map(PathBuf::from)
            .or_else(|| input.home.as_ref().map(|h| h.join(".pg_service.conf")));
        let system_dir =
            env("PGSYSCONFDIR").map_or_else(|| input.sysconfdir.clone(), PathBuf::from);
        let files: Vec<PathBuf> = user_file
            .into_iter()
            .chain([system_dir.join("pg_service.conf")])
            .collect();
        let entry = service::find(&name, &files)?;
        let origin = format!("service \"{name}\" in {}", entry.path.display());
        layers.explicit.push((origin, entry.settings));
    }
    Ok(layers)
}

/// `sslmode`, the root certificate and the client certificate. Default files under
/// `~/.postgresql` count only when they exist, as in libpq.
fn tls_settings(
    layers: &Layers<'_>,
    input: &Inputs,
) -> Result<(SslMode, Option<RootCert>, Option<ClientCert>), ConnInfoError> {
    let default_file = |name: &str| {
        input
            .home
            .as_ref()
            .map(|h| h.join(".postgresql").join(name))
    };
    let root_setting = layers.nonempty(Key::Sslrootcert).map(|v| v.text);
    let root_path = root_setting
        .filter(|&t| t != "system")
        .map(PathBuf::from)
        .or_else(|| default_file("root.crt"));
    let root_cert = match root_setting {
        Some("system") => Some(RootCert::System),
        _ => root_path
            .clone()
            .filter(|p| p.is_file())
            .map(RootCert::File),
    };
    let sslmode = layers
        .parsed(Key::Sslmode, SslMode::EXPECTED, SslMode::parse)?
        .unwrap_or(match root_cert {
            Some(RootCert::System) => SslMode::VerifyFull,
            _ => SslMode::Prefer,
        });
    match (&root_cert, sslmode) {
        (Some(RootCert::System), mode) if mode != SslMode::VerifyFull => {
            return Err(ConnInfoError::WeakModeWithSystemRoots { mode });
        }
        (None, mode @ (SslMode::VerifyCa | SslMode::VerifyFull)) => {
            return Err(ConnInfoError::MissingRootCert {
                mode,
                tried: root_path.map_or_else(
                    || "~/.postgresql/root.crt".to_owned(),
                    |p| p.display().to_string(),
                ),
            });
        }
        _ => {}
    }
    let path = |key: Key, default: &str| {
        layers
            .nonempty(key)
            .map(|v| PathBuf::from(v.text))
            .or_else(|| default_file(default))
    };
    let client_cert = match (
        path(Key::Sslcert, "postgresql.crt"),
        path(Key::Sslkey, "postgresql.key"),
    ) {
        (Some(cert), Some(key)) if cert.is_file() => Some(ClientCert { cert, key }),
        _ => None,
    };
    Ok((sslmode, root_cert, client_cert))
}

/// The password by libpq's precedence: connection string or service entry, then
/// `PGPASSWORD`, then the password file; plus a warning when that file was ignored.
fn password(
    layers: &Layers<'_>,
    input: &Inputs,
    params: &Params,
) -> (Option<(Password, PasswordSource)>, Option<String>) {
    if let Some(v) = layers.nonempty(Key::Password) {
        let source = if v.from_env {
            PasswordSource::Environment
        } else {
            PasswordSource::Explicit(v.origin.to_owned())
        };
        return (Some((Password::new(v.text.to_owned()), source)), None);
    }
    let Some(passfile) = layers
        .nonempty(Key::Passfile)
        .map(|v| PathBuf::from(v.text))
        .or_else(|| input.home.as_ref().map(|h| h.join(".pgpass")))
    else {
        return (None, None);
    };
    // libpq looks the default socket directory up as "localhost".
    let host = match &params.host {
        Host::Socket(dir) if *dir == input.socket_dir => "localhost".to_owned(),
        Host::Socket(dir) => dir.display().to_string(),
        Host::Tcp(name) => name.clone(),
    };
    let query = pgpass::Query {
        host: &host,
        port: params.port,
        dbname: &params.dbname,
        user: &params.user,
    };
    match pgpass::lookup(&passfile, &query) {
        pgpass::Lookup::Found(secret) => (
            Some((Password::new(secret), PasswordSource::Passfile(passfile))),
            None,
        ),
        pgpass::Lookup::Ignored(warning) => (None, Some(warning)),
        pgpass::Lookup::NotFound => (None, None),
    }
}
