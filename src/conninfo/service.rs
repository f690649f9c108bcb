//! `pg_service.conf`: INI sections of connection options, looked up by service name.

use std::path::{Path, PathBuf};

use super::ConnInfoError;
use super::keys::{Key, Settings};
use crate::files;

/// A service definition and the file it came from.
pub(crate) struct Entry {
    pub path: PathBuf,
    pub settings: Settings,
}

/// Looks `name` up in each file in turn (the user's file, then the system one); missing
/// files are skipped, as libpq does.
pub(crate) fn find(name: &str, files: &[PathBuf]) -> Result<Entry, ConnInfoError> {
    for path in files {
        let text = match files::read_text(path, files::max_size()) {
            Ok(text) => text,
            Err(e) if e.is_not_found() => continue,
            Err(source) => {
                return Err(ConnInfoError::ServiceFileRead {
                    path: path.clone(),
                    source,
                });
            }
        };
        if let Some(settings) = section(&text, name, path)? {
            return Ok(Entry {
                path: path.clone(),
                settings,
            });
        }
    }
    Err(ConnInfoError::UnknownService {
        name: name.to_owned(),
        searched: files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" and "),
    })
}

/// The options of the first `[name]` section, up to the next section. Lines of other
/// sections are not checked, like libpq.
fn section(text: &str, name: &str, path: &Path) -> Result<Option<Settings>, ConnInfoError> {
    let mut found: Option<Settings> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if found.is_some() {
                break;
            }
            if header.strip_suffix(']') == Some(name) {
                found = Some(Settings::new());
            }
            continue;
        }
        let Some(settings) = found.as_mut() else {
            continue;
        };
        let error = |message: String| ConnInfoError::ServiceFile {
            path: path.to_owned(),
            line: index + 1,
            message,
        };
        let Some((key, value)) = line.split_once('=') else {
            return Err(error("expected key=value".into()));
        };
        let key = key.trim();
        match Key::from_name(key) {
            Some(Key::Service) => {
                return Err(error(
                    "nested service specifications are not supported".into(),
                ));
            }
            Some(k) => {
                settings.insert(k, value.trim().to_owned());
            }
            None => return Err(error(format!("unknown connection option \"{key}\""))),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    const FILE: &str = "\
# comment
[other]
this line is not checked

[ops]
host = ops.example.com
port=6432
  dbname=ops
[ops]
port=1
";

    fn get(text: &str, name: &str) -> Result<Option<Settings>, ConnInfoError> {
        section(text, name, Path::new("/etc/pg_service.conf"))
    }

    #[test]
    fn reads_first_section_only() {
        let s = get(FILE, "ops").unwrap().unwrap();
        assert_eq!(s[&Key::Host], "ops.example.com");
        assert_eq!(s[&Key::Port], "6432");
        assert_eq!(s[&Key::Dbname], "ops");
        assert_eq!(get(FILE, "missing").unwrap(), None);
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let e = get("[a]\nhost=h\nbogus=1\n", "a").unwrap_err().to_string();
        assert!(e.contains("/etc/pg_service.conf, line 3"), "{e}");
        assert!(e.contains("\"bogus\""), "{e}");
        let e = get("[a]\nnonsense\n", "a").unwrap_err().to_string();
        assert!(e.contains("line 2: expected key=value"), "{e}");
        let e = get("[a]\nservice=b\n", "a").unwrap_err().to_string();
        assert!(e.contains("nested"), "{e}");
    }

    #[test]
    fn user_file_wins_and_missing_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("user.conf");
        let system = dir.path().join("system.conf");
        fs::write(&user, "[a]\nport=1\n").unwrap();
        fs::write(&system, "[a]\nport=2\n[b]\nport=3\n").unwrap();
        let files = [
            dir.path().join("missing.conf"),
            user.clone(),
            system.clone(),
        ];
        let a = find("a", &files).unwrap();
        assert_eq!((a.path, &a.settings[&Key::Port][..]), (user, "1"));
        let b = find("b", &files).unwrap();
        assert_eq!((b.path, &b.settings[&Key::Port][..]), (system, "3"));
        let e = find("c", &files).err().unwrap().to_string();
        assert!(e.contains("service \"c\" not found"), "{e}");
        assert!(e.contains("system.conf"), "{e}");
    }
}
