//! `~/.pgpass`: `host:port:dbname:user:password` lines, first match wins.

use crate::files;
use std::fs;
use std::io;
use std::path::Path;

/// The connection a password is wanted for. `host` is already mapped the libpq way: the
/// default socket directory reads as `localhost`.
pub(crate) struct Query<'a> {
    pub host: &'a str,
    pub port: u16,
    pub dbname: &'a str,
    pub user: &'a str,
}

pub(crate) enum Lookup {
    Found(String),
    NotFound,
    /// The file was not used; the text says why, for the user.
    Ignored(String),
}

/// Reads the password file at `path`. Like libpq, a file others can access is ignored with
/// a warning rather than failing the connection, and a missing file is silently skipped.
pub(crate) fn lookup(path: &Path, query: &Query) -> Lookup {
    let shown = path.display();
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::NotFound,
        Err(e) => return Lookup::Ignored(format!("could not read password file \"{shown}\": {e}")),
    };
    if !meta.is_file() {
        return Lookup::Ignored(format!("password file \"{shown}\" is not a plain file"));
    }
    if too_open(&meta) {
        return Lookup::Ignored(format!(
            "password file \"{shown}\" has group or world access; permissions should be u=rw (0600) or less, so it was ignored"
        ));
    }
    match files::read_text(path, files::max_size()) {
        Ok(text) => find(&text, query).map_or(Lookup::NotFound, Lookup::Found),
        Err(e) => Lookup::Ignored(format!("could not read password file \"{shown}\": {e}")),
    }
}

#[cfg(unix)]
fn too_open(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o077 != 0
}

#[cfg(not(unix))]
fn too_open(_meta: &fs::Metadata) -> bool {
    false
}

/// The password of the first line matching `query`.
pub(crate) fn find(text: &str, query: &Query) -> Option<String> {
    let port = query.port.to_string();
    let wanted = [query.host, port.as_str(), query.dbname, query.user];
    text.lines()
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .find_map(|line| {
            let mut fields = split_fields(line);
            if fields.len() < 5 {
                return None;
            }
            let matches = wanted
                .iter()
                .zip(&fields)
                .all(|(want, field)| field.wildcard || field.text == *want);
            matches.then(|| fields.swap_remove(4).text)
        })
}

struct Field {
    text: String,
    /// A bare `*`; an escaped `\*` is a literal star.
    wildcard: bool,
}

/// Splits on unescaped `:`, removing the `\` of `\:` and `\\`.
fn split_fields(line: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut text = String::new();
    let mut escaped_any = false;
    let mut chars = line.chars();
    let finish = |text: &mut String, escaped_any: &mut bool| {
        let field = Field {
            wildcard: text == "*" && !*escaped_any,
            text: std::mem::take(text),
        };
        *escaped_any = false;
        field
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                escaped_any = true;
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            ':' => fields.push(finish(&mut text, &mut escaped_any)),
            _ => text.push(c),
        }
    }
    fields.push(finish(&mut text, &mut escaped_any));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: Query<'static> = Query {
        host: "db.example.com",
        port: 5432,
        dbname: "app",
        user: "alice",
    };

    #[test]
    fn exact_match() {
        assert_eq!(
            find("db.example.com:5432:app:alice:pw", &Q).as_deref(),
            Some("pw")
        );
    }

    #[test]
    fn wildcards() {
        assert_eq!(find("*:*:*:*:any", &Q).as_deref(), Some("any"));
        assert_eq!(find("db.example.com:*:*:alice:h", &Q).as_deref(), Some("h"));
        assert_eq!(find("*:5433:*:*:x", &Q), None);
        assert_eq!(find(r"\*:*:*:*:literal", &Q), None);
        assert_eq!(find("db*:*:*:*:prefix", &Q), None);
    }

    #[test]
    fn first_match_wins_and_comments_skip() {
        let text = "# db.example.com:5432:app:alice:commented\n\
                    other:5432:app:alice:no\n\
                    \n\
                    *:*:app:alice:first\n\
                    *:*:*:*:second\n";
        assert_eq!(find(text, &Q).as_deref(), Some("first"));
    }

    #[test]
    fn escapes_in_fields_and_password() {
        let q = Query { host: "h:1", ..Q };
        assert_eq!(
            find(r"h\:1:5432:app:alice:p\:w\\d", &q).as_deref(),
            Some(r"p:w\d")
        );
        assert_eq!(find(r"*:*:*:*:a\:b:ignored", &Q).as_deref(), Some("a:b"));
    }

    #[test]
    fn short_lines_and_crlf() {
        assert_eq!(find("db.example.com:5432:app:alice", &Q), None);
        assert_eq!(find("*:*:*:*:\r\n", &Q).as_deref(), Some(""));
        assert_eq!(find("*:*:*:*:pw\r\n", &Q).as_deref(), Some("pw"));
    }

    #[test]
    fn missing_file_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            lookup(&dir.path().join("nope"), &Q),
            Lookup::NotFound
        ));
        assert!(
            matches!(lookup(dir.path(), &Q), Lookup::Ignored(w) if w.contains("not a plain file"))
        );
    }
}
