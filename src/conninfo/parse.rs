//! Connection strings: `postgresql://` URLs and libpq `key=value` lists.
//!
//! Error messages name keys and positions but never echo a value, because a badly quoted
//! password would otherwise end up on screen.

use super::ConnInfoError;
use super::keys::{Key, Settings};

/// Parses a URL (`postgres://` or `postgresql://`) or a `key=value` conninfo string.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Settings, ConnInfoError> {
    let rest = text
        .strip_prefix("postgresql://")
        .or_else(|| text.strip_prefix("postgres://"));
    match rest {
        Some(rest) => parse_url(rest, origin),
        None => parse_keywords(text, origin),
    }
}

fn syntax(origin: &str, message: impl Into<String>) -> ConnInfoError {
    ConnInfoError::Syntax {
        origin: origin.to_owned(),
        message: message.into(),
    }
}

fn insert(
    settings: &mut Settings,
    name: &str,
    value: String,
    origin: &str,
) -> Result<(), ConnInfoError> {
    let key = Key::from_name(name).ok_or_else(|| ConnInfoError::UnknownKey {
        key: name.to_owned(),
        origin: origin.to_owned(),
    })?;
    settings.insert(key, value);
    Ok(())
}

/// `[user[:password]@][host][:port][/dbname][?key=value&...]`, after the scheme.
fn parse_url(rest: &str, origin: &str) -> Result<Settings, ConnInfoError> {
    let mut settings = Settings::new();
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (netloc, path) = match before_query.split_once('/') {
        Some((n, p)) => (n, Some(p)),
        None => (before_query, None),
    };
    // The last `@` ends the credentials, so an unencoded `@` in a password still parses.
    let hostport = match netloc.rsplit_once('@') {
        Some((credentials, hostport)) => {
            let (user, password) = match credentials.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (credentials, None),
            };
            if !user.is_empty() {
                settings.insert(Key::User, decode(user, "user name", origin)?);
            }
            if let Some(p) = password {
                settings.insert(Key::Password, decode(p, "password", origin)?);
            }
            hostport
        }
        None => netloc,
    };
    if hostport.contains(',') {
        return Err(ConnInfoError::MultipleHosts {
            origin: origin.to_owned(),
        });
    }
    let (host, port) = split_host_port(hostport, origin)?;
    if !host.is_empty() {
        settings.insert(Key::Host, decode(host, "host", origin)?);
    }
    if let Some(port) = port {
        settings.insert(Key::Port, decode(port, "port", origin)?);
    }
    if let Some(path) = path.filter(|p| !p.is_empty()) {
        settings.insert(Key::Dbname, decode(path, "database name", origin)?);
    }
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        if pair.is_empty() {
            continue;
        }
        let Some((name, value)) = pair.split_once('=') else {
            return Err(syntax(
                origin,
                "a URL query parameter has no \"=\"; write key=value",
            ));
        };
        let name = decode(name, "query parameter name", origin)?;
        let what = format!("value of {name}");
        let value = decode(value, &what, origin)?;
        insert(&mut settings, &name, value, origin)?;
    }
    Ok(settings)
}

/// Splits `host:port`, `[v6]:port`, `[v6]` or `host`.
fn split_host_port<'a>(
    hostport: &'a str,
    origin: &str,
) -> Result<(&'a str, Option<&'a str>), ConnInfoError> {
    if let Some(bracketed) = hostport.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(syntax(
                origin,
                "an IPv6 host in the URL lacks its closing \"]\"",
            ));
        };
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(syntax(
                    origin,
                    "unexpected text after the IPv6 host in the URL",
                )),
            },
        };
    }
    Ok(match hostport.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (hostport, None),
    })
}

/// Percent-decodes one URL component; `what` names it in errors instead of its text.
fn decode(part: &str, what: &str, origin: &str) -> Result<String, ConnInfoError> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return Err(syntax(
                    origin,
                    format!("invalid percent-encoding in the URL's {what}"),
                ));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| syntax(origin, format!("the URL's {what} does not decode to UTF-8")))
}

/// libpq's `key = value` list: values may be single-quoted, and `\` escapes the next
/// character both inside and outside quotes.
fn parse_keywords(text: &str, origin: &str) -> Result<Settings, ConnInfoError> {
    let mut settings = Settings::new();
    let mut chars = text.char_indices().peekable();
    loop {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            break;
        };
        let mut name = String::new();
        while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace() && *c != '=') {
            name.push(c);
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        if chars.next_if(|(_, c)| *c == '=').is_none() || name.is_empty() {
            return Err(syntax(
                origin,
                format!(
                    "expected key=value at character {}; quote values that contain spaces: key='a b'",
                    text[..start].chars().count() + 1
                ),
            ));
        }
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if(|(_, c)| *c == '\'').is_some() {
            loop {
                match chars.next() {
                    Some((_, '\'')) => break,
                    Some((_, '\\')) => {
                        if let Some((_, c)) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some((_, c)) => value.push(c),
                    None => {
                        return Err(syntax(
                            origin,
                            format!("the quoted value of {name} is missing its closing quote"),
                        ));
                    }
                }
            }
        } else {
            while let Some((_, c)) = chars.next_if(|(_, c)| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        insert(&mut settings, &name, value, origin)?;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<(&'static str, String)> {
        parse(text, "test")
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.name(), v))
            .collect()
    }

    fn err(text: &str) -> String {
        parse(text, "test").unwrap_err().to_string()
    }

    fn pairs(items: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        let mut v: Vec<_> = items.iter().map(|&(k, v)| (k, v.to_owned())).collect();
        v.sort_by_key(|(k, _)| Key::from_name(k));
        v
    }

    #[test]
    fn full_url() {
        assert_eq!(
            ok("postgresql://alice:pw@db.example.com:5433/app?sslmode=require&application_name=x"),
            pairs(&[
                ("host", "db.example.com"),
                ("port", "5433"),
                ("dbname", "app"),
                ("user", "alice"),
                ("password", "pw"),
                ("sslmode", "require"),
                ("application_name", "x"),
            ])
        );
    }

    #[test]
    fn minimal_urls() {
        assert!(ok("postgres://").is_empty());
        assert_eq!(ok("postgres:///app"), pairs(&[("dbname", "app")]));
        assert_eq!(ok("postgres://h"), pairs(&[("host", "h")]));
        assert_eq!(
            ok("postgres://[::1]:6000/d"),
            pairs(&[("host", "::1"), ("port", "6000"), ("dbname", "d")])
        );
        assert_eq!(ok("postgres://[fe80::1]"), pairs(&[("host", "fe80::1")]));
    }

    #[test]
    fn url_percent_decoding() {
        assert_eq!(
            ok(
                "postgresql://us%40er:p%3Aw%2F@%2Fvar%2Frun%2Fpostgresql/my%20db?options=-c%20x%3D1"
            ),
            pairs(&[
                ("host", "/var/run/postgresql"),
                ("dbname", "my db"),
                ("user", "us@er"),
                ("password", "p:w/"),
                ("options", "-c x=1"),
            ])
        );
        assert_eq!(
            ok("postgresql://u:p@ss@h/d"),
            pairs(&[
                ("host", "h"),
                ("dbname", "d"),
                ("user", "u"),
                ("password", "p@ss")
            ])
        );
    }

    #[test]
    fn url_errors_never_echo_values() {
        let e = err("postgresql://u:sec%zzret@h/d");
        assert!(e.contains("password"), "{e}");
        assert!(!e.contains("sec"), "{e}");
        assert!(err("postgresql://u:%ff@h").contains("UTF-8"));
        assert!(err("postgresql://h/d?sslmode").contains("no \"=\""));
        assert!(err("postgresql://[::1/d").contains("\"]\""));
        assert!(err("postgresql://[::1]x/d").contains("after the IPv6 host"));
    }

    #[test]
    fn url_unknown_query_key_is_named() {
        let e = err("postgresql://h/d?sslmod=require");
        assert!(e.contains("\"sslmod\""), "{e}");
    }

    #[test]
    fn url_host_lists_are_rejected() {
        assert!(matches!(
            parse("postgresql://a:1,b:2/d", "test"),
            Err(ConnInfoError::MultipleHosts { .. })
        ));
    }

    #[test]
    fn keywords_with_quotes_and_escapes() {
        assert_eq!(
            ok(r"host=h  port = 5433 dbname='my db' password='it\'s \\ ok' user=a\ b"),
            pairs(&[
                ("host", "h"),
                ("port", "5433"),
                ("dbname", "my db"),
                ("user", "a b"),
                ("password", r"it's \ ok"),
            ])
        );
        assert_eq!(ok("host='' port=1"), pairs(&[("host", ""), ("port", "1")]));
        // As in libpq, blanks after "=" are skipped, so an empty value must be quoted.
        assert_eq!(ok("host= port=1"), pairs(&[("host", "port=1")]));
        assert_eq!(ok("  "), Vec::new());
    }

    #[test]
    fn keywords_later_duplicate_wins() {
        assert_eq!(ok("port=1 port=2"), pairs(&[("port", "2")]));
    }

    #[test]
    fn keyword_errors() {
        let e = err("host=h bogus=1");
        assert!(e.contains("\"bogus\""), "{e}");
        let e = err("password=my secret");
        assert!(e.contains("character 13"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        assert!(err("mydb").contains("character 1"));
        assert!(err("=x").contains("character 1"));
        let e = err("password='unterminated");
        assert!(e.contains("closing quote"), "{e}");
        assert!(!e.contains("unterminated"), "{e}");
    }
}
