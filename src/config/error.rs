//! What can go wrong reading the configuration: every error names the file, and the line and
//! column when there is one, so a DBA can fix it without guessing.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a configuration file, 1-based, columns counted in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl Place {
    /// The position of byte `offset` of `text`, the contents of `path`.
    pub(crate) fn at(path: &Path, text: &str, offset: usize) -> Place {
        // toml's spans sit on token boundaries, but a bad offset must not panic.
        let end = (0..=offset.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let before = &text[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Place {
            path: path.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = crate::text::path(&self.path);
        write!(f, "{path}:{}:{}", self.line, self.column)
    }
}

/// Why the configuration could not be loaded. Nothing should run after one of these.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A syntax error, an unknown setting or a bad value.
    #[error("{place}: error: {}{message}", key_prefix(.key))]
    Invalid {
        place: Place,
        /// The dotted setting, such as `profiles.prod.colour`; `None` for a syntax error.
        key: Option<String>,
        message: String,
    },
    #[error("{}: error: cannot read the configuration file: {source}", crate::text::path(.path))]
    Read {
        path: PathBuf,
        source: crate::files::FileError,
    },
    /// `--config FILE` or `PGSTEP_CONFIG` names a file that does not exist.
    #[error("{}: error: no such configuration file (given by {origin})", crate::text::path(.path))]
    Missing { path: PathBuf, origin: &'static str },
    /// `--profile` or `PGSTEP_PROFILE` names a profile no file defines.
    #[error("error: unknown profile `{name}` (given by {origin}): {}", profile_list(.defined))]
    UnknownProfile {
        name: String,
        origin: &'static str,
        defined: Vec<String>,
    },
}

impl ConfigError {
    pub(crate) fn invalid(place: Place, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            place,
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }
}

fn key_prefix(key: &Option<String>) -> String {
    key.as_ref().map(|k| format!("`{k}`: ")).unwrap_or_default()
}

/// The profiles that do exist, for an unknown-profile message.
pub(crate) fn profile_list(names: &[String]) -> String {
    if names.is_empty() {
        "no profiles are defined".to_owned()
    } else {
        format!("the profiles are {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_count_lines_and_characters() {
        let text = "a = 1\nné = \"x\"\n";
        let p = Place::at(Path::new("f.toml"), text, text.find('=').unwrap());
        assert_eq!((p.line, p.column), (1, 3));
        let p = Place::at(Path::new("f.toml"), text, text.rfind('=').unwrap());
        assert_eq!((p.line, p.column), (2, 4));
        assert_eq!(p.to_string(), "f.toml:2:4");
        let inside_char = text.find('é').unwrap() + 1;
        let p = Place::at(Path::new("f.toml"), text, inside_char);
        assert_eq!((p.line, p.column), (2, 2));
        let p = Place::at(Path::new("f.toml"), text, 10_000);
        assert_eq!(p.line, 3);
    }
}
