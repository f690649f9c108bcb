//! Profiles: a named database with how carefully the console treats it.

use std::time::Duration;

use super::colour::Colour;

/// Where a profile connects. Neither holds a password: profiles are refused when they do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// A `postgresql://` URL or a libpq `key=value` string.
    Url(String),
    /// A `pg_service.conf` service name.
    Service(String),
}

/// How mutating actions are confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confirm {
    /// Rollbacks need the version typed; applying needs `y`.
    #[default]
    Yes,
    /// Every mutating action needs the version typed.
    Typed,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub connection: Option<Connection>,
    /// The profile's colour; red by default for a production profile, else `None` (the
    /// theme's accent).
    pub colour: Option<Colour>,
    /// A label such as `prod` or `staging`, shown by the console.
    pub environment: Option<String>,
    /// Mutating actions are hidden and sessions are read-only.
    pub read_only: bool,
    pub confirm: Confirm,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    /// The role checks run as: one that can read everything and do nothing else.
    pub checks_role: Option<String>,
    /// Defaults for the health gates of batched steps; each off when unset.
    pub gates: crate::plan::batch::Gates,
    /// Whether what destructive statements remove is kept in `pgstep_trash` (on unless
    /// `keep = false`).
    pub keep: bool,
    /// Above this size a copy needs the operator's choice; `None`: the engine's default.
    pub trash_max: Option<u64>,
}

impl Profile {
    /// A profile with nothing set but its name.
    pub fn named(name: &str) -> Profile {
        Profile {
            name: name.to_owned(),
            connection: None,
            colour: None,
            environment: None,
            read_only: false,
            confirm: Confirm::default(),
            lock_timeout: None,
            statement_timeout: None,
            checks_role: None,
            gates: crate::plan::batch::Gates::default(),
            keep: true,
            trash_max: None,
        }
    }

    /// Whether the profile is named or labelled `prod` or `production`.
    pub fn is_production(&self) -> bool {
        let prod = |s: &str| s.eq_ignore_ascii_case("prod") || s.eq_ignore_ascii_case("production");
        prod(&self.name) || self.environment.as_deref().is_some_and(prod)
    }

    /// The connection as a string for `conninfo::Inputs::url`: the URL as written, or
    /// `service=NAME`.
    pub fn conninfo(&self) -> Option<String> {
        match self.connection.as_ref()? {
            Connection::Url(url) => Some(url.clone()),
            Connection::Service(name) => Some(format!("service={}", quote(name))),
        }
    }
}

/// A value quoted the way libpq's `key=value` syntax reads it.
fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\');
    if plain {
        return value.to_owned();
    }
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Whether a connection string carries a password: `user:pass@` in a URL, `password=` in its
/// query, or a `password` key in the `key=value` form. The parsing follows libpq's so that a
/// password libpq would use is always found.
pub(crate) fn has_password(conninfo: &str) -> bool {
    let text = conninfo.trim();
    let lower = text.to_ascii_lowercase();
    let rest = ["postgresql://", "postgres://"]
        .iter()
        .find(|scheme| lower.starts_with(*scheme))
        .map(|scheme| &text[scheme.len()..]);
    match rest {
        Some(rest) => url_has_password(rest),
        None => keywords(text).any(|(k, v)| k == "password" && !v.is_empty()),
    }
}

fn url_has_password(rest: &str) -> bool {
    // libpq takes the userinfo up to the first `@` that comes before any `/`.
    let authority_end = rest.find(['@', '/']).unwrap_or(rest.len());
    if rest[authority_end..].starts_with('@') {
        let userinfo = &rest[..authority_end];
        if userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty()) {
            return true;
        }
    }
    let Some((_, query)) = rest.split_once('?') else {
        return false;
    };
    query.split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(k, v)| k.trim() == "password" && !v.is_empty())
    })
}

/// The `key = value` pairs of a libpq keyword string, stopping at the first malformed one
/// (the connection code reports that).
fn keywords(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=')?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.extend(chars.next()),
                '\'' if quoted => break,
                c if c.is_whitespace() && !quoted => break,
                c => value.push(c),
            }
        }
        (!key.is_empty()).then_some((key, value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_passwords_where_libpq_would() {
        for with in [
            "postgresql://alice:s3cret@db/app",
            "POSTGRES://alice:s3cret@db:5432/app?sslmode=require",
            "postgresql://:pw@db",
            "postgresql://db/app?sslmode=require&password=pw",
            "host=db password=pw",
            "host=db password = 'p w'",
            "password='it\\'s' dbname=app",
            "dbname=app password=x",
        ] {
            assert!(has_password(with), "{with}");
        }
        for without in [
            "postgresql://alice@db/app",
            "postgresql://db/app?user=a:b",
            "postgresql://db/a@b",
            "postgresql://alice:@db/app",
            "host=db user=alice passfile=/x",
            "host=db dbname='password=x'",
            "service=prod",
            "",
        ] {
            assert!(!has_password(without), "{without}");
        }
    }

    #[test]
    fn services_are_quoted_for_libpq() {
        let mut p = Profile::named("x");
        p.connection = Some(Connection::Service("prod".into()));
        assert_eq!(p.conninfo().as_deref(), Some("service=prod"));
        p.connection = Some(Connection::Service("my db's".into()));
        assert_eq!(p.conninfo().as_deref(), Some("service='my db\\'s'"));
        assert_eq!(keywords("service='my db\\'s'").next().unwrap().1, "my db's");
        p.connection = None;
        assert_eq!(p.conninfo(), None);
    }

    #[test]
    fn production_by_name_or_label() {
        assert!(Profile::named("PROD").is_production());
        let mut p = Profile::named("main");
        assert!(!p.is_production());
        p.environment = Some("Production".into());
        assert!(p.is_production());
    }
}
