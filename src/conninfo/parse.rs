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
        Some(rest) => parse_url(&Url { text, rest }, origin),
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

/// A URL, and the part of it after the scheme that is parsed.
struct Url<'a> {
    text: &'a str,
    rest: &'a str,
}

impl Url<'_> {
    /// The character number, in the whole URL, of byte `at` of the part after the scheme.
    fn position(&self, at: usize) -> usize {
        let scheme = self.text.len() - self.rest.len();
        scheme + self.rest[..at].chars().count() + 1
    }
}

/// `[user[:password]@][host][:port][/dbname][?key=value&...]`, after the scheme, split
/// where libpq's `conninfo_uri_parse_options` splits it. Where libpq would read part of a
/// password as a host, port, database name or query, this refuses the URL instead.
fn parse_url(url: &Url<'_>, origin: &str) -> Result<Settings, ConnInfoError> {
    let rest = url.rest;
    let mut settings = Settings::new();
    // libpq looks for the "@" that ends the credentials only up to the first "/".
    let credentials_end = rest
        .find(['@', '/'])
        .filter(|&i| rest.as_bytes()[i] == b'@');
    refuse_stray_at(url, credentials_end, origin)?;
    let mut p = 0;
    if let Some(at) = credentials_end {
        let credentials = &rest[..at];
        let (user, password) = match credentials.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (credentials, None),
        };
        if !user.is_empty() {
            settings.insert(Key::User, decode(user, "user name", origin)?);
        }
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            settings.insert(Key::Password, decode(password, "password", origin)?);
        }
        p = at + 1;
    }
    let bytes = rest.as_bytes();
    let host = if bytes.get(p) == Some(&b'[') {
        let Some(close) = rest[p..].find(']').map(|i| p + i) else {
            return Err(syntax(
                origin,
                "an IPv6 host in the URL lacks its closing \"]\"",
            ));
        };
        if close == p + 1 {
            return Err(syntax(origin, "the IPv6 host in the URL is empty"));
        }
        let host = &rest[p + 1..close];
        p = close + 1;
        if !matches!(bytes.get(p), None | Some(b':' | b'/' | b'?' | b',')) {
            return Err(syntax(
                origin,
                format!(
                    "unexpected text at character {} of the URL, after the IPv6 host: expected \":\", \"/\" or \"?\"",
                    url.position(p)
                ),
            ));
        }
        host
    } else {
        let end = find_from(rest, p, b":/?,");
        let host = &rest[p..end];
        p = end;
        host
    };
    if !host.is_empty() {
        settings.insert(Key::Host, decode(host, "host", origin)?);
    }
    if bytes.get(p) == Some(&b':') {
        let end = find_from(rest, p + 1, b"/?,");
        let port = decode(&rest[p + 1..end], "port", origin)?;
        // Never echoed: without an "@", libpq reads "user:password" as "host:port".
        if !port.is_empty() && !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(syntax(
                origin,
                "the URL's port is not a number; a password goes before the host, as user:password@host, with \"/\" written %2F and \"@\" %40",
            ));
        }
        if !port.is_empty() {
            settings.insert(Key::Port, port);
        }
        p = end;
    }
    if bytes.get(p) == Some(&b',') {
        return Err(ConnInfoError::MultipleHosts {
            origin: origin.to_owned(),
        });
    }
    if bytes.get(p) == Some(&b'/') {
        let end = find_from(rest, p + 1, b"?");
        let dbname = &rest[p + 1..end];
        if !dbname.is_empty() {
            settings.insert(Key::Dbname, decode(dbname, "database name", origin)?);
        }
        p = end;
    }
    if bytes.get(p) == Some(&b'?') {
        parse_query(&rest[p + 1..], &mut settings, origin)?;
    }
    Ok(settings)
}

/// The end of `text` or the first of `stops` at or after `from`.
fn find_from(text: &str, from: usize, stops: &[u8]) -> usize {
    text.as_bytes()[from..]
        .iter()
        .position(|b| stops.contains(b))
        .map_or(text.len(), |i| from + i)
}

/// libpq reads an "@" other than the one ending the credentials as part of a host, a
/// database name or a query value; in practice it is a password with an unencoded "@" or
/// "/", whose tail would then show in an error, so it is refused.
fn refuse_stray_at(
    url: &Url<'_>,
    credentials_end: Option<usize>,
    origin: &str,
) -> Result<(), ConnInfoError> {
    let Some(stray) = url
        .rest
        .match_indices('@')
        .map(|(i, _)| i)
        .find(|&i| Some(i) != credentials_end)
    else {
        return Ok(());
    };
    let message = match credentials_end {
        Some(_) => format!(
            "the URL has a second \"@\" at character {}; percent-encode \"@\" as %40 in the password (and anywhere else), and \"/\" as %2F",
            url.position(stray)
        ),
        None => format!(
            "the URL has an \"@\" at character {} after a \"/\"; if the password contains \"/\", percent-encode it as %2F (and \"@\" as %40 anywhere)",
            url.position(stray)
        ),
    };
    Err(syntax(origin, message))
}

/// `key=value&...` as libpq splits it: every parameter has exactly one "=".
fn parse_query(query: &str, settings: &mut Settings, origin: &str) -> Result<(), ConnInfoError> {
    if query.is_empty() {
        return Ok(());
    }
    // libpq allows one "&" at the end, but no empty parameter elsewhere.
    let query = query.strip_suffix('&').unwrap_or(query);
    for (n, pair) in query.split('&').enumerate() {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(syntax(
                origin,
                format!(
                    "URL query parameter {} has no \"=\"; write key=value",
                    n + 1
                ),
            ));
        };
        let name = decode(name, "query parameter name", origin)?;
        if value.contains('=') {
            return Err(syntax(
                origin,
                format!(
                    "the URL query parameter {name} has a second \"=\"; percent-encode it in the value as %3D"
                ),
            ));
        }
        let what = format!("value of {name}");
        let value = decode(value, &what, origin)?;
        // libpq's concession to JDBC URLs.
        if name == "ssl" && value == "true" {
            settings.insert(Key::Sslmode, "require".to_owned());
            continue;
        }
        insert(settings, &name, value, origin)?;
    }
    Ok(())
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
            if byte == 0 {
                return Err(syntax(
                    origin,
                    format!("the URL's {what} contains %00, which libpq forbids"),
                ));
            }
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
