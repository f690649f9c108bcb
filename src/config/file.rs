//! One configuration file read into a [`Layer`]. The file is walked by hand over toml's
//! spanned tree rather than deserialised, so that every error can name the full key and its
//! line, and list what is allowed there.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::colour::{COLOUR_HELP, COLOUR_ROLES, Colour};
use super::error::{ConfigError, Place};
use super::keys::Keymap;
use super::profile::{Confirm, Connection, Profile, has_password};
use crate::files::{LARGEST_MAX_SIZE, MAX_SIZE_KEY};
use crate::keys::KeySpec;
use crate::lint::{RULES, Severity};

const TOP_KEYS: &[&str] = &[
    "dir",
    "history_table",
    "history_schema",
    "adopt",
    "ascii",
    "default_profile",
    "profiles",
    "keys",
    "colours",
    "lint",
    "fleets",
    MAX_SIZE_KEY,
];

const PROFILE_KEYS: &[&str] = &[
    "url",
    "service",
    "colour",
    "environment",
    "read_only",
    "confirm",
    "lock_timeout",
    "statement_timeout",
    "checks_role",
    "max_replica_lag",
    "max_wal_rate",
    "batch_pause",
    "keep",
    "trash_max",
];

/// What one file sets; `None` and empty lists leave the lower layers' values.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    /// Already resolved against the file's directory.
    pub dir: Option<PathBuf>,
    pub history_table: Option<String>,
    pub history_schema: Option<String>,
    pub adopt: Option<crate::adopt::Choice>,
    pub ascii: Option<bool>,
    pub default_profile: Option<(String, Place)>,
    pub profiles: Vec<Profile>,
    pub keys: Vec<(&'static str, Vec<KeySpec>, Place)>,
    pub colours: Vec<(&'static str, Colour)>,
    /// Lint rules re-levelled (`None`: turned off).
    pub lint: Vec<(String, Option<Severity>)>,
    pub max_file_size: Option<u64>,
    pub fleets: Vec<crate::fleet::Fleet>,
}

pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// Reads the text of the file at `path`.
pub(crate) fn parse(path: &Path, text: &str) -> Result<Layer, ConfigError> {
    let root = DeTable::parse(text).map_err(|e| ConfigError::Invalid {
        place: Place::at(path, text, e.span().map_or(0, |s| s.start)),
        key: None,
        message: e.message().trim().to_owned(),
    })?;
    let file = File { path, text };
    let mut layer = Layer::default();
    for (key, key_span, value) in entries(root.get_ref()) {
        match key {
            "dir" => {
                let dir = file.nonempty(key, value)?;
                let base = path.parent().unwrap_or(Path::new(""));
                layer.dir = Some(base.join(dir));
            }
            "history_table" => layer.history_table = Some(file.nonempty(key, value)?),
            "history_schema" => layer.history_schema = Some(file.nonempty(key, value)?),
            "adopt" => {
                let name = file.nonempty(key, value)?;
                let choice = crate::adopt::Choice::parse(&name).ok_or_else(|| {
                    let allowed = crate::adopt::Choice::allowed();
                    file.error(value, key, format!("`{name}` is not one of {allowed}"))
                })?;
                layer.adopt = Some(choice);
            }
            "ascii" => layer.ascii = Some(file.boolean(key, value)?),
            "default_profile" => {
                let name = file.nonempty(key, value)?;
                layer.default_profile = Some((name, file.place(value.span())));
            }
            "profiles" => {
                for (name, _, table) in entries(file.table(key, value)?) {
                    layer.profiles.push(file.profile(name, table)?);
                }
            }
            "keys" => {
                let table = Keymap::default();
                for (action, action_span, spec) in entries(file.table(key, value)?) {
                    let path = format!("keys.{action}");
                    let Some(action) = table.name(action) else {
                        let names = table.names();
                        return Err(file.unknown(&path, action_span, "action", &names));
                    };
                    let place = file.place(spec.span());
                    layer.keys.push((action, file.keys(&path, spec)?, place));
                }
            }
            "colours" => {
                for (role, role_span, colour) in entries(file.table(key, value)?) {
                    let path = format!("colours.{role}");
                    let Some(&(role, _)) = COLOUR_ROLES.iter().find(|(r, _)| *r == role) else {
                        let names: Vec<_> = COLOUR_ROLES.iter().map(|(r, _)| *r).collect();
                        return Err(file.unknown(&path, role_span, "colour role", &names));
                    };
                    layer.colours.push((role, file.colour(&path, colour)?));
                }
            }
            "lint" => {
                for (rule, rule_span, level) in entries(file.table(key, value)?) {
                    let path = format!("lint.{rule}");
                    if !RULES.iter().any(|(id, _, _)| *id == rule) {
                        let ids: Vec<_> = RULES.iter().map(|(id, _, _)| *id).collect();
                        return Err(file.unknown(&path, rule_span, "lint rule", &ids));
                    }
                    let text = file.string(&path, level)?;
                    let severity = match text.as_str() {
                        "off" => None,
                        other => Some(Severity::parse(other).ok_or_else(|| {
                            file.error(level, &path, "use off, info, warning or error")
                        })?),
                    };
                    layer.lint.push((rule.to_owned(), severity));
                }
            }
            "fleets" => {
                for (name, _, table) in entries(file.table(key, value)?) {
                    layer.fleets.push(file.fleet(name, table)?);
                }
            }
            MAX_SIZE_KEY => layer.max_file_size = Some(file.size(key, value)?),
            _ => return Err(file.unknown(key, key_span, "setting", TOP_KEYS)),
        }
    }
    Ok(layer)
}

/// A table's entries in file order, so the first error reported is the topmost.
pub(super) fn entries<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t str, Range<usize>, &'t Value<'i>)> {
    let mut all: Vec<_> = table
        .iter()
        .map(|(k, v)| (k.get_ref().as_ref(), k.span(), v))
        .collect();
    all.sort_by_key(|(_, span, _)| span.start);
    all
}

pub(super) struct File<'a> {
    path: &'a Path,
    text: &'a str,
}

impl File<'_> {
    pub(super) fn place(&self, span: Range<usize>) -> Place {
        Place::at(self.path, self.text, span.start)
    }

    pub(super) fn error(
        &self,
        value: &Value<'_>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::invalid(self.place(value.span()), key, message)
    }

    pub(super) fn unknown(
        &self,
        key: &str,
        span: Range<usize>,
        what: &str,
        allowed: &[&str],
    ) -> ConfigError {
        let message = format!(
            "unknown {what}; the {what}s here are {}",
            allowed.join(", ")
        );
        ConfigError::invalid(self.place(span), key, message)
    }

    pub(super) fn mistyped(&self, key: &str, value: &Value<'_>, expected: &str) -> ConfigError {
        let found = value.get_ref().type_str();
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        self.error(
            value,
            key,
            format!("expected {expected}, found {article} {found}"),
        )
    }

    pub(super) fn string(&self, key: &str, value: &Value<'_>) -> Result<String, ConfigError> {
        match value.get_ref().as_str() {
            Some(s) => Ok(s.to_owned()),
            None => Err(self.mistyped(key, value, "a string")),
        }
    }

    pub(super) fn nonempty(&self, key: &str, value: &Value<'_>) -> Result<String, ConfigError> {
        let s = self.string(key, value)?;
        if s.trim().is_empty() {
            return Err(self.error(value, key, "is empty; remove the line to use the default"));
        }
        Ok(s)
    }

    fn boolean(&self, key: &str, value: &Value<'_>) -> Result<bool, ConfigError> {
        value
            .get_ref()
            .as_bool()
            .ok_or_else(|| self.mistyped(key, value, "true or false"))
    }

    pub(super) fn table<'v, 'i>(
        &self,
        key: &str,
        value: &'v Value<'i>,
    ) -> Result<&'v DeTable<'i>, ConfigError> {
        value
            .get_ref()
            .as_table()
            .ok_or_else(|| self.mistyped(key, value, "a table"))
    }

    /// One key spec, or an array of them.
    fn keys(&self, key: &str, value: &Value<'_>) -> Result<Vec<KeySpec>, ConfigError> {
        let one = |spec: &Value<'_>| {
            let text = self.string(key, spec)?;
            KeySpec::parse(&text).map_err(|e| self.error(spec, key, e))
        };
        let Some(array) = value.get_ref().as_array() else {
            return Ok(vec![one(value)?]);
        };
        if array.is_empty() {
            return Err(self.error(value, key, "give at least one key"));
        }
        array.iter().map(one).collect()
    }

    fn colour(&self, key: &str, value: &Value<'_>) -> Result<Colour, ConfigError> {
        let name = self.string(key, value)?;
        Colour::parse(&name).ok_or_else(|| {
            self.error(
                value,
                key,
                format!("`{name}` is not a colour: use {COLOUR_HELP}"),
            )
        })
    }

    fn duration(&self, key: &str, value: &Value<'_>) -> Result<Duration, ConfigError> {
        let text = self.string(key, value)?;
        crate::plan::parse_duration(&text).map_err(|e| {
            let message = format!("`{text}` is not a duration such as 500ms, 5s or 10min: {e}");
            self.error(value, key, message)
        })
    }

    /// A number of bytes, or a string such as "64 MiB".
    fn size(&self, key: &str, value: &Value<'_>) -> Result<u64, ConfigError> {
        let bytes = match value.get_ref().as_integer() {
            Some(i) => u64::from_str_radix(i.as_str(), i.radix()).ok(),
            None => self
                .string(key, value)
                .ok()
                .and_then(|text| parse_size(&text)),
        };
        bytes
            .filter(|b| (1..=LARGEST_MAX_SIZE).contains(b))
            .ok_or_else(|| {
                self.error(
                    value,
                    key,
                    "expected a size from 1 byte to 4 GiB, as a number of bytes or with a unit: \"500 KiB\", \"64 MiB\", \"1 GiB\"",
                )
            })
    }

    fn profile(&self, name: &str, value: &Value<'_>) -> Result<Profile, ConfigError> {
        let prefix = format!("profiles.{name}");
        let table = self.table(&prefix, value)?;
        let mut profile = Profile::named(name);
        for (field, field_span, value) in entries(table) {
            let key = format!("{prefix}.{field}");
            match field {
                "url" | "service" => {
                    if profile.connection.is_some() {
                        let message = "give either url or service, not both";
                        return Err(ConfigError::invalid(self.place(field_span), &key, message));
                    }
                    let text = self.nonempty(&key, value)?;
                    profile.connection = Some(if field == "url" {
                        if has_password(&text) {
                            return Err(self.error(value, &key, PASSWORD_HELP));
                        }
                        Connection::Url(text)
                    } else {
                        Connection::Service(text)
                    });
                }
                "colour" => profile.colour = Some(self.colour(&key, value)?),
                "environment" => profile.environment = Some(self.nonempty(&key, value)?),
                "read_only" => profile.read_only = self.boolean(&key, value)?,
                "confirm" => {
                    profile.confirm = match self.string(&key, value)?.as_str() {
                        "yes" => Confirm::Yes,
                        "typed" => Confirm::Typed,
                        other => {
                            let message = format!(
                                "`{other}` is not a confirmation: use \"typed\" (type the version for every change) or \"yes\" (type it for rollbacks, y to apply)"
                            );
                            return Err(self.error(value, &key, message));
                        }
                    }
                }
                "lock_timeout" => profile.lock_timeout = Some(self.duration(&key, value)?),
                "statement_timeout" => {
                    profile.statement_timeout = Some(self.duration(&key, value)?);
                }
                "checks_role" => profile.checks_role = Some(self.nonempty(&key, value)?),
                "keep" => profile.keep = self.boolean(&key, value)?,
                "trash_max" => {
                    let text = self.string(&key, value)?;
                    profile.trash_max = Some(parse_pg_size(&text).ok_or_else(|| {
                        let message = format!(
                            "`{text}` is not a size: write it as PostgreSQL does, \"500MB\", \"2GB\", \"1TB\""
                        );
                        self.error(value, &key, message)
                    })?);
                }
                "max_replica_lag" | "max_wal_rate" | "batch_pause" => {
                    let text = self.string(&key, value)?;
                    let gate = field.replace('_', "-");
                    crate::plan::batch::read_gate(&mut profile.gates, &gate, &text)
                        .map_err(|e| self.error(value, &key, format!("`{text}`: {e}")))?;
                }
                _ => return Err(self.unknown(&key, field_span, "setting", PROFILE_KEYS)),
            }
        }
        if profile.colour.is_none() && profile.is_production() {
            profile.colour = Some(Colour::Red);
        }
        Ok(profile)
    }
}

pub(super) const PASSWORD_HELP: &str = "a password does not belong in a configuration file: remove it and \
     put it in the environment (PGPASSWORD), ~/.pgpass or the service file (pg_service.conf)";

/// A size as PostgreSQL's settings write it (`"2GB"`, `"500 MB"`, `"8kB"`, units of 1024),
/// or with a binary unit (`"2 GiB"`), in bytes.
fn parse_pg_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit: u64 = match text[digits..].trim() {
        "" | "B" => 1,
        "kB" | "KiB" => 1 << 10,
        "MB" | "MiB" => 1 << 20,
        "GB" | "GiB" => 1 << 30,
        "TB" | "TiB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// `"64 MiB"`, `"64MiB"`, `"500 KiB"`, `"1 GiB"` or `"1000 B"` in bytes.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let unit = match text[digits..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("/p/pgstep.toml"), text)
            .expect_err(text)
            .to_string()
    }

    #[test]
    fn reads_every_section() {
        let text = "dir = \"db\"\nascii = true\nhistory_table = \"h\"\n\
            [profiles.prod]\nservice = \"p\"\nlock_timeout = \"1s\"\n\
            [keys]\nquit = \"ctrl-q\"\n[colours]\naccent = \"grey\"\n";
        let layer = parse(Path::new("/p/pgstep.toml"), text).unwrap();
        assert_eq!(layer.dir, Some(PathBuf::from("/p/db")));
        assert_eq!(layer.ascii, Some(true));
        assert_eq!(layer.history_table.as_deref(), Some("h"));
        let prod = &layer.profiles[0];
        assert_eq!(prod.colour, Some(Colour::Red));
        assert_eq!(prod.lock_timeout, Some(Duration::from_secs(1)));
        assert_eq!(layer.keys[0].0, "quit");
        assert_eq!(layer.keys[0].1[0].to_string(), "ctrl-q");
        assert_eq!(layer.keys[0].2.to_string(), "/p/pgstep.toml:8:8");
        assert_eq!(layer.colours, vec![("accent", Colour::Gray)]);
    }

    #[test]
    fn errors_name_key_line_and_what_is_allowed() {
        let e = err("dir = \"x\"\n\ncolr = 1\n");
        assert!(
            e.starts_with("/p/pgstep.toml:3:1: error: `colr`: unknown setting"),
            "{e}"
        );
        assert!(e.contains("history_schema"), "{e}");
        let e = err("[profiles.a]\nurl = \"x\"\nservice = \"y\"\n");
        assert!(e.contains(":3:1:") && e.contains("not both"), "{e}");
        let e = err("ascii = \"yes\"\n");
        assert!(
            e.contains(":1:9:") && e.contains("true or false, found a string"),
            "{e}"
        );
        let e = err("profiles = 3\n");
        assert!(e.contains("`profiles`: expected a table"), "{e}");
        let e = err("[profiles.a]\nconfirm = \"always\"\n");
        assert!(
            e.contains("`profiles.a.confirm`") && e.contains("\"typed\""),
            "{e}"
        );
        let e = err("history_table = \" \"\n");
        assert!(e.contains("is empty"), "{e}");
        let e = err("[colours]\nbackground = \"red\"\n");
        assert!(e.contains(":2:1:") && e.contains("selection"), "{e}");
        let e = err("dir = \"x\"\ndir = \"y\"\n");
        assert!(e.starts_with("/p/pgstep.toml:2:1: error: "), "{e}");
    }

    #[test]
    fn trash_sizes_read_as_postgresql_writes_them() {
        assert_eq!(parse_pg_size("2GB"), Some(2 << 30));
        assert_eq!(parse_pg_size("500 MB"), Some(500 << 20));
        assert_eq!(parse_pg_size("8kB"), Some(8 << 10));
        for bad in ["", "GB", "2 gb", "-1", "1.5GB", "99999999999999 TB"] {
            assert_eq!(parse_pg_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_size("64 MiB"), Some(64 << 20));
        assert_eq!(parse_size("500KiB"), Some(500 << 10));
        assert_eq!(parse_size(" 1 GiB "), Some(1 << 30));
        assert_eq!(parse_size("1000 B"), Some(1000));
        assert_eq!(parse_size("1000"), Some(1000));
        for bad in ["", "MiB", "64 MB", "-1", "1.5 GiB", "99999999999999 GiB"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }
}
