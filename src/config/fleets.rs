//! `[fleets.NAME]`: one plan over many databases. Read like the rest of the file, so every
//! error names the key and its line; the targets themselves are only reached when the fleet
//! runs, and a discovery query that fails then still names where it was written.

use super::error::ConfigError;
use super::file::{File, PASSWORD_HELP, Value, entries};
use super::profile::has_password;
use crate::fleet::waves::{self, parse_percent};
use crate::fleet::{Discovery, Fleet, Listed, Origin};

const FLEET_KEYS: &[&str] = &[
    "targets",
    "discover",
    "canary",
    "waves",
    "parallel",
    "per_server",
    "read_per_server",
    "max_failures",
];

const DISCOVER_KEYS: &[&str] = &["url", "query"];

impl File<'_> {
    fn origin(&self, value: &Value<'_>, key: &str) -> Origin {
        Origin {
            at: self.place(value.span()).to_string(),
            key: key.to_owned(),
        }
    }

    /// A whole number from `min` up.
    fn count(&self, key: &str, value: &Value<'_>, min: usize) -> Result<usize, ConfigError> {
        let n = value
            .get_ref()
            .as_integer()
            .and_then(|i| usize::from_str_radix(i.as_str(), i.radix()).ok());
        match n {
            Some(n) if n >= min => Ok(n),
            _ => Err(self.error(value, key, format!("expected a whole number from {min} up"))),
        }
    }

    fn array<'v, 'i>(
        &self,
        key: &str,
        value: &'v Value<'i>,
    ) -> Result<impl Iterator<Item = &'v Value<'i>>, ConfigError> {
        match value.get_ref().as_array() {
            Some(a) => Ok(a.iter()),
            None => Err(self.mistyped(key, value, "an array")),
        }
    }

    /// A connection string, refused if it holds a password.
    fn conninfo(&self, key: &str, value: &Value<'_>) -> Result<String, ConfigError> {
        let text = self.nonempty(key, value)?;
        if has_password(&text) {
            return Err(self.error(value, key, PASSWORD_HELP));
        }
        Ok(text)
    }

    pub(super) fn fleet(&self, name: &str, value: &Value<'_>) -> Result<Fleet, ConfigError> {
        let prefix = format!("fleets.{name}");
        let table = self.table(&prefix, value)?;
        let mut fleet = Fleet::named(name);
        for (field, field_span, value) in entries(table) {
            let key = format!("{prefix}.{field}");
            match field {
                "targets" => {
                    for (n, item) in self.array(&key, value)?.enumerate() {
                        let key = format!("{key}[{n}]");
                        fleet.targets.push(Listed {
                            conninfo: self.conninfo(&key, item)?,
                            origin: self.origin(item, &key),
                        });
                    }
                }
                "discover" => {
                    for (n, item) in self.array(&key, value)?.enumerate() {
                        fleet
                            .discover
                            .push(self.discovery(&format!("{key}[{n}]"), item)?);
                    }
                }
                "canary" => fleet.canary = self.count(&key, value, 0)?,
                "parallel" => fleet.parallel = self.count(&key, value, 1)?,
                "per_server" => fleet.per_server = self.count(&key, value, 1)?,
                "read_per_server" => fleet.read_per_server = self.count(&key, value, 1)?,
                "max_failures" => fleet.max_failures = self.count(&key, value, 1)?,
                "waves" => {
                    let mut shares = Vec::new();
                    for item in self.array(&key, value)? {
                        let text = self.string(&key, item)?;
                        let share = parse_percent(&text).ok_or_else(|| {
                            let message =
                                format!("`{text}` is not a share of the targets such as \"10%\"");
                            self.error(item, &key, message)
                        })?;
                        shares.push(share);
                    }
                    waves::check(&shares).map_err(|e| self.error(value, &key, e.to_string()))?;
                    fleet.waves = shares;
                }
                _ => return Err(self.unknown(&key, field_span, "setting", FLEET_KEYS)),
            }
        }
        if fleet.targets.is_empty() && fleet.discover.is_empty() {
            let message = "has no targets: give `targets` (connection strings) or `discover` \
                 (queries that return them)";
            return Err(self.error(value, &prefix, message));
        }
        Ok(fleet)
    }

    fn discovery(&self, key: &str, value: &Value<'_>) -> Result<Discovery, ConfigError> {
        let table = self.table(key, value)?;
        let (mut url, mut query) = (None, None);
        for (field, field_span, item) in entries(table) {
            let field_key = format!("{key}.{field}");
            match field {
                "url" => url = Some(self.conninfo(&field_key, item)?),
                "query" => {
                    query = Some((
                        self.nonempty(&field_key, item)?,
                        self.origin(item, &field_key),
                    ))
                }
                _ => return Err(self.unknown(&field_key, field_span, "setting", DISCOVER_KEYS)),
            }
        }
        match (url, query) {
            (Some(url), Some((query, origin))) => Ok(Discovery { url, query, origin }),
            _ => Err(self.error(
                value,
                key,
                "give both `url` (where the query runs) and `query` (one text column: a \
                 connection string per row)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn read(text: &str) -> Result<Vec<crate::fleet::Fleet>, String> {
        super::super::file::parse(Path::new("/p/pgstep.toml"), text)
            .map(|l| l.fleets)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_fleet_with_its_places() {
        let text = "[fleets.tenants]\ntargets = [\"service=eu1\", \"postgresql://db-us1/app\"]\n\
            discover = [{ url = \"postgresql://db-eu1/postgres\", query = \"SELECT 'x'\" }]\n\
            canary = 2\nwaves = [\"10%\", \"50%\", \"100%\"]\nparallel = 8\nper_server = 2\n\
            max_failures = 3\n";
        let f = &read(text).unwrap()[0];
        assert_eq!(f.name, "tenants");
        assert_eq!(f.targets[1].conninfo, "postgresql://db-us1/app");
        assert_eq!(f.targets[1].origin.at, "/p/pgstep.toml:2:27");
        assert_eq!(f.discover[0].origin.key, "fleets.tenants.discover[0].query");
        assert_eq!(f.discover[0].origin.at, "/p/pgstep.toml:3:61");
        assert_eq!(
            (f.canary, f.parallel, f.per_server, f.max_failures),
            (2, 8, 2, 3)
        );
        assert_eq!(f.waves, vec![10, 50, 100]);
    }

    #[test]
    fn bad_fleets_are_refused_with_key_and_line() {
        let e = read("[fleets.t]\ntargets = [\"host=a\"]\nparalel = 3\n").unwrap_err();
        assert!(
            e.starts_with("/p/pgstep.toml:3:1: error: `fleets.t.paralel`: unknown setting"),
            "{e}"
        );
        assert!(e.contains("per_server"), "{e}");
        let e =
            read("[fleets.t]\ntargets = [\"host=a\"]\nwaves = [\"50%\", \"150%\"]\n").unwrap_err();
        assert!(
            e.starts_with("/p/pgstep.toml:3:9: error: `fleets.t.waves`: a wave is a share"),
            "{e}"
        );
        let e = read("[fleets.t]\ntargets = [\"host=a\"]\nwaves = [\"50%\"]\n").unwrap_err();
        assert!(
            e.contains("must be \\\"100%\\\"") || e.contains("must be \"100%\""),
            "{e}"
        );
        let e = read("[fleets.t]\ntargets = [\"host=a\"]\nwaves = [\"half\"]\n").unwrap_err();
        assert!(e.contains(":3:10:") && e.contains("`half`"), "{e}");
        let e = read("[fleets.t]\ncanary = 1\n").unwrap_err();
        assert!(e.contains("has no targets"), "{e}");
        let e = read("[fleets.t]\ntargets = [\"postgresql://u:secret@h/d\"]\n").unwrap_err();
        assert!(
            e.contains("`fleets.t.targets[0]`") && e.contains("PGPASSWORD"),
            "{e}"
        );
        assert!(!e.contains("secret"), "{e}");
        let e = read("[fleets.t]\ndiscover = [{ url = \"host=a\" }]\n").unwrap_err();
        assert!(e.contains(":2:13:") && e.contains("give both"), "{e}");
        let e = read("[fleets.t]\ndiscover = [{ url = \"host=a\", sql = \"x\" }]\n").unwrap_err();
        assert!(
            e.contains("`fleets.t.discover[0].sql`: unknown setting"),
            "{e}"
        );
        let e = read("[fleets.t]\ntargets = [\"host=a\"]\nparallel = 0\n").unwrap_err();
        assert!(e.contains(":3:12:") && e.contains("from 1 up"), "{e}");
    }
}
