//! Connection strings read as libpq reads them, and errors that never show a value.

use proptest::prelude::*;

use super::ConnInfoError;
use super::keys::Key;
use super::parse::parse;

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
        ok("postgresql://us%40er:p%3Aw%2F@%2Fvar%2Frun%2Fpostgresql/my%20db?options=-c%20x%3D1"),
        pairs(&[
            ("host", "/var/run/postgresql"),
            ("dbname", "my db"),
            ("user", "us@er"),
            ("password", "p:w/"),
            ("options", "-c x=1"),
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

/// The substrings of `password` at least four characters long.
fn fragments(password: &str) -> Vec<String> {
    let chars: Vec<char> = password.chars().collect();
    (0..chars.len())
        .flat_map(|i| (i + 4..=chars.len()).map(move |j| (i, j)))
        .map(|(i, j)| chars[i..j].iter().collect())
        .collect()
}

fn assert_hides(error: &str, password: &str) {
    for fragment in fragments(password) {
        assert!(!error.contains(&fragment), "{fragment:?} shows in: {error}");
    }
}

#[test]
fn question_mark_and_query_characters_in_a_password_read_as_libpq() {
    // libpq looks for "@" up to the first "/", so "?", "&", "=", ":" and "#" stay in the
    // password.
    assert_eq!(
        ok("postgresql://bob:Correct?Horse=Battery&St:ap#le@db:5433/app?sslmode=require"),
        pairs(&[
            ("host", "db"),
            ("port", "5433"),
            ("dbname", "app"),
            ("user", "bob"),
            ("password", "Correct?Horse=Battery&St:ap#le"),
            ("sslmode", "require"),
        ])
    );
}

#[test]
fn slash_in_a_password_is_refused_without_showing_it() {
    let password = "Correct/HorseBattery";
    let e = err(&format!("postgresql://bob:{password}@db/app"));
    assert!(e.contains("%2F"), "{e}");
    assert_hides(&e, password);
    let password = "Stable?CorrectHorse=1/Battery";
    let e = err(&format!("postgresql://bob:{password}@db/app"));
    assert_hides(&e, password);
}

#[test]
fn a_second_at_sign_is_refused_without_showing_the_password() {
    let e = err("postgresql://u:Correct@HorseBattery@h/d");
    assert!(e.contains("%40") && e.contains("character 36"), "{e}");
    assert_hides(&e, "Correct@HorseBattery");
    let e = err("postgres://u:Correct@HorseBattery@h/d");
    assert!(e.contains("character 34"), "{e}");
    // libpq would take "@" after a "/" as part of the database name or a query value; it
    // is the tail of a password with a "/" as often, so it must be percent-encoded.
    let e = err("postgresql://h/d?user=bob@Battery");
    assert!(e.contains("%40"), "{e}");
    assert_eq!(
        ok("postgresql://h/d?user=bob%40Battery"),
        pairs(&[("host", "h"), ("dbname", "d"), ("user", "bob@Battery")])
    );
}

#[test]
fn a_port_that_is_no_number_is_refused_without_showing_it() {
    // Without an "@", libpq reads "user:password" as "host:port".
    let e = err("postgresql://bob:CorrectHorse/app");
    assert!(e.contains("port"), "{e}");
    assert_hides(&e, "CorrectHorse");
}

#[test]
fn url_query_follows_libpq() {
    assert_eq!(
        ok("postgresql://h?ssl=true"),
        pairs(&[("host", "h"), ("sslmode", "require")])
    );
    let e = err("postgresql://h/d?options=-c%20a=b");
    assert!(e.contains("\"=\"") && e.contains("options"), "{e}");
    let e = err("postgresql://h/d?&sslmode=require");
    assert!(e.contains("no \"=\""), "{e}");
    assert!(err("postgresql://u:a%00b@h").contains("%00"));
    assert!(err("postgresql://[]/d").contains("empty"));
}

/// What a reader of the URL means by a password written into it raw: `%XX` is a byte.
fn meant(raw: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut rest = raw.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok().filter(|&b| b != 0)?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

proptest! {
    /// A raw password either reads back whole or never shows in the error. The alphabet
    /// leaves out lower-case letters and blanks so no fragment can match the messages' own
    /// words by chance.
    #[test]
    fn raw_passwords_read_whole_or_stay_hidden(password in "[A-Z0-9?/@:#&=%éß]{1,24}") {
        let url = format!("postgresql://alice:{password}@db.example.com:5432/app?sslmode=require");
        match parse(&url, "--url") {
            Ok(settings) => {
                prop_assert_eq!(settings.get(&Key::Password).cloned(), meant(&password));
                prop_assert_eq!(settings.get(&Key::Host).map(String::as_str), Some("db.example.com"));
                prop_assert_eq!(settings.get(&Key::Dbname).map(String::as_str), Some("app"));
            }
            Err(e) => {
                let e = format!("{e} {e:?}");
                for fragment in fragments(&password) {
                    prop_assert!(!e.contains(&fragment), "{:?} shows in: {}", fragment, e);
                }
                prop_assert!(
                    password.contains(['/', '@']) || meant(&password).is_none(),
                    "a password libpq reads was refused: {}", e
                );
            }
        }
    }

    /// Any password percent-encoded reads back whole.
    #[test]
    fn encoded_passwords_read_whole(password in "[^\\x00]{1,24}") {
        let encoded: String = password.bytes().map(|b| format!("%{b:02X}")).collect();
        let url = format!("postgresql://alice:{encoded}@db/app");
        let settings = parse(&url, "--url").unwrap();
        prop_assert_eq!(settings.get(&Key::Password), Some(&password));
    }
}
