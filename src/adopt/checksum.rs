//! Each tool's checksum of a migration file, computed exactly as the tool computes it, so a
//! row pgstep writes is one the tool accepts and a file changed since is drift.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha384};

/// sqlx: SHA-384 of the file's text as `read_to_string` gives it, minus the characters
/// `sqlx.toml` says to ignore (`[migrate] ignored-chars`), as lowercase hex (the `bytea` it
/// stores, as `encode(checksum, 'hex')` shows it).
pub fn sqlx(text: &str, ignored: &[char]) -> String {
    let mut digest = Sha384::new();
    if ignored.is_empty() {
        digest.update(text.as_bytes());
    } else {
        for fragment in text.split(|c| ignored.contains(&c)) {
            digest.update(fragment.as_bytes());
        }
    }
    hex(&digest.finalize())
}

/// Flyway: CRC-32 over the file's lines as `BufferedReader.readLine` splits them (at `\n`,
/// `\r\n` or a lone `\r`, the line breaks dropped), a byte-order mark dropped from the first
/// line, each line's UTF-8 bytes in turn; stored as a signed 32-bit integer.
pub fn flyway(text: &str) -> String {
    let mut crc = crc32fast::Hasher::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
        crc.update(&rest.as_bytes()[..end]);
        let after = &rest[end..];
        rest = if let Some(r) = after.strip_prefix("\r\n") {
            r
        } else if after.is_empty() {
            after
        } else {
            &after[1..]
        };
    }
    (crc.finalize() as i32).to_string()
}

/// refinery: SipHash-1-3 (keys zero) fed the name, the version (as `i32`, or `i64` where
/// the table's version column is `int8`, refinery's `int8-versions`) and the SQL, each as
/// Rust's `Hash` feeds them; the `u64` stored as decimal text.
pub fn refinery(name: &str, version: i64, wide: bool, sql: &str) -> String {
    let mut h = siphasher::sip::SipHasher13::new();
    name.hash(&mut h);
    if wide {
        version.hash(&mut h);
    } else {
        (version as i32).hash(&mut h);
    }
    sql.hash(&mut h);
    h.finish().to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_reads_lines_as_java_does() {
        // The same lines give the same checksum whatever the line breaks and BOM.
        let unix = flyway("CREATE TABLE a (id int);\nSELECT 1;\n");
        assert_eq!(flyway("CREATE TABLE a (id int);\r\nSELECT 1;\r\n"), unix);
        assert_eq!(flyway("\u{feff}CREATE TABLE a (id int);\rSELECT 1;"), unix);
        // CRC-32 of the concatenated lines.
        let expect = crc32fast::hash(b"CREATE TABLE a (id int);SELECT 1;") as i32;
        assert_eq!(unix, expect.to_string());
        assert_ne!(flyway("CREATE TABLE a (id int);\nSELECT 2;\n"), unix);
    }

    #[test]
    fn sqlx_ignores_the_configured_characters() {
        assert_eq!(sqlx("a\r\nb", &['\r']), sqlx("a\nb", &[]));
        assert_eq!(sqlx("", &[]).len(), 96);
    }

    #[test]
    fn refinery_hashes_name_version_and_sql() {
        let a = refinery("init", 1, false, "CREATE TABLE a ();");
        assert_eq!(a, refinery("init", 1, false, "CREATE TABLE a ();"));
        assert_ne!(a, refinery("init", 1, true, "CREATE TABLE a ();"));
        assert_ne!(a, refinery("init", 2, false, "CREATE TABLE a ();"));
    }
}
