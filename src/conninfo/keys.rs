//! The libpq connection options pgstep understands, with their environment variables.

use std::collections::BTreeMap;

/// One connection option, named as libpq names it in conninfo strings and URL queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Host,
    Hostaddr,
    Port,
    Dbname,
    User,
    Password,
    Passfile,
    Service,
    Sslmode,
    Sslrootcert,
    Sslcert,
    Sslkey,
    ApplicationName,
    ConnectTimeout,
    Options,
    TargetSessionAttrs,
    ChannelBinding,
}

/// Option name, key, and the environment variable libpq falls back to.
const TABLE: [(&str, Key, &str); 17] = [
    ("host", Key::Host, "PGHOST"),
    ("hostaddr", Key::Hostaddr, "PGHOSTADDR"),
    ("port", Key::Port, "PGPORT"),
    ("dbname", Key::Dbname, "PGDATABASE"),
    ("user", Key::User, "PGUSER"),
    ("password", Key::Password, "PGPASSWORD"),
    ("passfile", Key::Passfile, "PGPASSFILE"),
    ("service", Key::Service, "PGSERVICE"),
    ("sslmode", Key::Sslmode, "PGSSLMODE"),
    ("sslrootcert", Key::Sslrootcert, "PGSSLROOTCERT"),
    ("sslcert", Key::Sslcert, "PGSSLCERT"),
    ("sslkey", Key::Sslkey, "PGSSLKEY"),
    ("application_name", Key::ApplicationName, "PGAPPNAME"),
    ("connect_timeout", Key::ConnectTimeout, "PGCONNECT_TIMEOUT"),
    ("options", Key::Options, "PGOPTIONS"),
    (
        "target_session_attrs",
        Key::TargetSessionAttrs,
        "PGTARGETSESSIONATTRS",
    ),
    ("channel_binding", Key::ChannelBinding, "PGCHANNELBINDING"),
];

impl Key {
    pub(crate) fn from_name(name: &str) -> Option<Key> {
        TABLE
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, k, _)| k)
    }

    pub(crate) fn name(self) -> &'static str {
        self.row().0
    }

    pub(crate) fn env_var(self) -> &'static str {
        self.row().2
    }

    fn row(self) -> (&'static str, Key, &'static str) {
        *TABLE
            .iter()
            .find(|(_, k, _)| *k == self)
            .expect("every key has a table row")
    }
}

/// Options given in one place (a connection string or a service entry); a later duplicate
/// replaces an earlier one, as in libpq.
pub(crate) type Settings = BTreeMap<Key, String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (name, key, env) in TABLE {
            assert_eq!(Key::from_name(name), Some(key));
            assert_eq!(key.name(), name);
            assert_eq!(key.env_var(), env);
        }
        assert_eq!(Key::from_name("sslcompression"), None);
    }
}
