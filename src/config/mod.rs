//! Configuration from TOML files, the environment and the command line.
//!
//! Precedence, highest first: the command line, the environment (`PGSTEP_PROFILE`,
//! `PGSTEP_DIR`, `PGSTEP_CONFIG`), the project file (`pgstep.toml`, found from the working
//! directory upward, or the `--config` file instead), the user file (`config.toml` in the OS
//! config directory), then the defaults. Connection variables (`DATABASE_URL`, `PG*`) stay
//! libpq's business: a profile's connection is used only when neither `--url` nor
//! `DATABASE_URL` is given.

mod colour;
mod error;
mod file;
mod fleets;
mod keys;
#[cfg(test)]
mod load_tests;
mod profile;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

pub use crate::keys::{KeyCode, KeySpec};
pub use colour::{COLOUR_ROLES, Colour, Theme};
pub use error::{ConfigError, Place};
pub use keys::Keymap;
pub use profile::{Confirm, Connection, Profile};

use crate::engine::Settings;

/// The project file's name.
pub const PROJECT_FILE: &str = "pgstep.toml";
pub const DEFAULT_DIR: &str = "migrations";
pub const DEFAULT_HISTORY_TABLE: &str = "schema_migrations";

/// The environment variables configuration reads; everything else is left alone.
const ENV_VARS: &[&str] = &[
    "PGSTEP_PROFILE",
    "PGSTEP_DIR",
    "PGSTEP_CONFIG",
    "DATABASE_URL",
];

/// What loading reads besides the files, so tests never touch the process. It has no
/// `Debug`, because `DATABASE_URL` may hold a password.
#[derive(Clone, Default)]
pub struct LoadOptions {
    /// `--config FILE`: read instead of searching for the project file.
    pub config: Option<PathBuf>,
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--dir DIR`.
    pub dir: Option<PathBuf>,
    /// Whether `--url` was given; a profile's connection is then not used.
    pub url_given: bool,
    /// `--history-table NAME`.
    pub history_table: Option<String>,
    /// `--history-schema SCHEMA`.
    pub history_schema: Option<String>,
    /// `--adopt TOOL`.
    pub adopt: Option<crate::adopt::Choice>,
    /// Environment variables; only `PGSTEP_*` and `DATABASE_URL` are read. An empty value
    /// counts as unset.
    pub env: HashMap<String, String>,
    /// The working directory, where the project file search starts (an absolute path).
    pub cwd: PathBuf,
    /// The user file; `None` when the OS has no config directory.
    pub user_config: Option<PathBuf>,
}

impl LoadOptions {
    /// This process's environment, working directory and user file, with no command-line
    /// values; set those on the result.
    pub fn from_process() -> LoadOptions {
        LoadOptions {
            env: ENV_VARS
                .iter()
                .filter_map(|&k| Some((k.to_owned(), std::env::var(k).ok()?)))
                .collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            user_config: user_config_path(),
            ..LoadOptions::default()
        }
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The file given by `--config` or `PGSTEP_CONFIG`, and which gave it.
    fn config_file(&self) -> Option<(PathBuf, &'static str)> {
        let (path, origin) = match (&self.config, self.env("PGSTEP_CONFIG")) {
            (Some(path), _) => (path.clone(), "--config"),
            (None, Some(path)) => (PathBuf::from(path), "PGSTEP_CONFIG"),
            (None, None) => return None,
        };
        Some((self.cwd.join(path), origin))
    }
}

/// The user file: `config.toml` in the OS config directory (`~/.config/pgstep/` on Linux).
pub fn user_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pgstep").map(|d| d.config_dir().join("config.toml"))
}

/// Where the project file may be, nearest first: `pgstep.toml` in the working directory and
/// each parent, up to the filesystem root or the first directory holding `.git` (a
/// repository's root is the project's edge).
pub fn project_candidates(cwd: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        out.push(d.join(PROJECT_FILE));
        if d.join(".git").exists() {
            break;
        }
        dir = d.parent();
    }
    out
}

/// For `pgstep config paths`: every file loading may read, with a label and whether it
/// exists. The project candidates are listed nearest first; the first that exists is read,
/// unless a `--config` file replaces them.
pub fn paths(opts: &LoadOptions) -> Vec<(&'static str, PathBuf, bool)> {
    let mut out = Vec::new();
    if let Some(user) = &opts.user_config {
        out.push(("user", user.clone(), user.exists()));
    }
    let given = opts.config_file();
    let label = if given.is_some() {
        "project (replaced by the config file)"
    } else {
        "project"
    };
    for candidate in project_candidates(&opts.cwd) {
        let exists = candidate.exists();
        out.push((label, candidate, exists));
    }
    if let Some((path, origin)) = given {
        let exists = path.exists();
        out.push((origin, path, exists));
    }
    out
}

/// The merged configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The migrations directory. From a file it is resolved against that file's directory;
    /// from the command line or the environment it is kept as given (the working directory's).
    pub dir: PathBuf,
    pub history_table: String,
    pub history_schema: Option<String>,
    /// Whether the history table or schema was named anywhere: pgstep then keeps its tables
    /// there even beside an adopted tool's.
    pub history_named: bool,
    /// Whose migration history to adopt.
    pub adopt: crate::adopt::Choice,
    /// Plain-ASCII glyphs in the console.
    pub ascii: bool,
    /// Every profile defined, by name; a profile in the project file replaces the user
    /// file's profile of the same name as a whole.
    pub profiles: BTreeMap<String, Profile>,
    pub keys: Keymap,
    pub colours: Theme,
    /// Lint rules turned off or re-levelled.
    pub lint: crate::lint::LintConfig,
    /// The largest file pgstep reads, in bytes.
    pub max_file_size: u64,
    /// Every fleet defined, by name; a fleet in the project file replaces the user file's
    /// fleet of the same name as a whole.
    pub fleets: BTreeMap<String, crate::fleet::Fleet>,
    profile: Option<String>,
    connection: Option<String>,
    sources: Vec<PathBuf>,
    warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: PathBuf::from(DEFAULT_DIR),
            history_table: DEFAULT_HISTORY_TABLE.to_owned(),
            history_schema: None,
            history_named: false,
            adopt: crate::adopt::Choice::Detect,
            ascii: false,
            profiles: BTreeMap::new(),
            keys: Keymap::default(),
            colours: Theme::default(),
            lint: crate::lint::LintConfig::default(),
            max_file_size: crate::files::DEFAULT_MAX_SIZE,
            fleets: BTreeMap::new(),
            profile: None,
            connection: None,
            sources: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the user file and the project file (or the `--config` file) and merges them with
    /// the environment and the command line. Missing user and project files are fine; a
    /// missing `--config` file is not.
    pub fn load(opts: &LoadOptions) -> Result<Config, ConfigError> {
        let mut layers = Vec::new();
        if let Some(user) = &opts.user_config
            && let Some(layer) = read(user)?
        {
            layers.push((user.clone(), layer));
        }
        match opts.config_file() {
            Some((path, origin)) => match read(&path)? {
                Some(layer) => layers.push((path, layer)),
                None => return Err(ConfigError::Missing { path, origin }),
            },
            None => {
                let found = project_candidates(&opts.cwd)
                    .into_iter()
                    .find(|p| p.exists());
                if let Some(path) = found
                    && let Some(layer) = read(&path)?
                {
                    layers.push((path, layer));
                }
            }
        }

        let mut config = Config::default();
        let mut default_profile = None;
        for (path, layer) in layers {
            config.sources.push(path);
            set(&mut config.dir, layer.dir);
            config.history_named |= layer.history_table.is_some() || layer.history_schema.is_some();
            set(&mut config.history_table, layer.history_table);
            config.history_schema = layer.history_schema.or(config.history_schema);
            set(&mut config.adopt, layer.adopt);
            set(&mut config.ascii, layer.ascii);
            default_profile = layer.default_profile.or(default_profile);
            for profile in layer.profiles {
                config.profiles.insert(profile.name.clone(), profile);
            }
            for (action, keys, place) in layer.keys {
                config.keys.set(action, keys, place);
            }
            for (role, colour) in layer.colours {
                config.colours.set(role, colour);
            }
            config.lint.overrides.extend(layer.lint);
            set(&mut config.max_file_size, layer.max_file_size);
            for fleet in layer.fleets {
                config.fleets.insert(fleet.name.clone(), fleet);
            }
        }
        let env_dir = opts.env("PGSTEP_DIR").map(PathBuf::from);
        set(&mut config.dir, opts.dir.clone().or(env_dir));
        config.history_named |= opts.history_table.is_some() || opts.history_schema.is_some();
        set(&mut config.history_table, opts.history_table.clone());
        config.history_schema = opts.history_schema.clone().or(config.history_schema);
        set(&mut config.adopt, opts.adopt);

        config.profile = config.choose_profile(opts, default_profile)?;
        if let Some(profile) = config.profile() {
            let name = profile.name.clone();
            let conninfo = profile.conninfo();
            if conninfo.is_some() && !opts.url_given && opts.env("DATABASE_URL").is_some() {
                config.warnings.push(format!(
                    "profile {name}'s connection is not used because DATABASE_URL is set: unset it to connect with the profile"
                ));
            } else if !opts.url_given {
                config.connection = conninfo;
            }
        }
        Ok(config)
    }

    /// `--profile`, else `PGSTEP_PROFILE`, else `default_profile`, else the only profile.
    fn choose_profile(
        &self,
        opts: &LoadOptions,
        default_profile: Option<(String, Place)>,
    ) -> Result<Option<String>, ConfigError> {
        let given = match (&opts.profile, opts.env("PGSTEP_PROFILE")) {
            (Some(name), _) => Some((name.as_str(), "--profile")),
            (None, Some(name)) => Some((name, "PGSTEP_PROFILE")),
            (None, None) => None,
        };
        let defined: Vec<String> = self.profiles.keys().cloned().collect();
        if let Some((name, origin)) = given {
            if self.profiles.contains_key(name) {
                return Ok(Some(name.to_owned()));
            }
            return Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                origin,
                defined,
            });
        }
        if let Some((name, place)) = default_profile {
            if self.profiles.contains_key(&name) {
                return Ok(Some(name));
            }
            let message = format!("no profile `{name}`: {}", error::profile_list(&defined));
            return Err(ConfigError::invalid(place, "default_profile", message));
        }
        Ok(match defined.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        })
    }

    /// The chosen profile, if any.
    pub fn profile(&self) -> Option<&Profile> {
        self.profiles.get(self.profile.as_deref()?)
    }

    /// The chosen profile's connection string, for `conninfo::Inputs::url`. `None` when
    /// `--url` or `DATABASE_URL` is given (libpq's order decides then) or there is none.
    pub fn connection(&self) -> Option<&str> {
        self.connection.as_deref()
    }

    /// The files read, lowest precedence first.
    pub fn sources(&self) -> &[PathBuf] {
        &self.sources
    }

    /// Things worth telling the operator that do not stop anything.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The engine's settings with the chosen profile's timeouts and checks role.
    pub fn engine_settings(&self) -> Settings {
        let mut settings = Settings::default();
        if let Some(profile) = self.profile() {
            set(&mut settings.lock_timeout, profile.lock_timeout);
            if profile.statement_timeout.is_some() {
                settings.statement_timeout = profile.statement_timeout;
            }
            settings.checks_role = profile.checks_role.clone();
            settings.gates = profile.gates;
            settings.keep = profile.keep;
            set(&mut settings.trash_max, profile.trash_max);
        }
        settings
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// A file's layer, `None` when the file does not exist. A configuration file cannot raise
/// the limit it is itself read under, so it gets the default one.
fn read(path: &Path) -> Result<Option<file::Layer>, ConfigError> {
    match crate::files::read_text(path, crate::files::DEFAULT_MAX_SIZE) {
        Ok(text) => file::parse(path, &text).map(Some),
        Err(e) if e.is_not_found() => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}
