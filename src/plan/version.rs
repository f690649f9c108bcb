//! Migration versions: digit segments compared as numbers, so `2 < 10` and `1.9 < 1.10`, or
//! as text where the layout's tool keeps them as text (Diesel, dbmate: `001` and `1` are two
//! versions there); and Flyway's repeatable migrations, `R__<description>`, after every
//! versioned one.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A version as written (`003`, `1.10`, `20240101120000`, `2019-01-01-000000`).
/// Leading zeros and trailing zero segments do not matter: `001` equals `1` and `1.0`.
#[derive(Clone, Debug)]
pub struct Version {
    text: String,
    /// The segments without leading zeros, trailing zero segments dropped, joined by `.`:
    /// what equality, hashing and ordering look at, computed once.
    key: String,
    /// The digits after a Diesel timestamp's fourth group (`0000` in
    /// `2026-05-27-120000-0000`), compared as text after the key, as Diesel compares them.
    extra: String,
    /// A Flyway repeatable migration, `R__<description>`: its key is the description, with
    /// `_` read as a space as Flyway reads it, and it sorts after every versioned migration,
    /// by description, as Flyway runs them.
    repeatable: bool,
    /// Compared as its digits, dashes removed, as text: how Diesel and dbmate compare
    /// versions. Against a version read without its layout (a history row, the command
    /// line) that text decides too, so each layout's files match their rows as its tool
    /// matches them.
    textual: bool,
}

impl Version {
    /// Accepts digit segments separated by `.`, or digit runs joined by `-` (Diesel's
    /// timestamps). Diesel removes the dashes and compares the digits as text; pgstep reads
    /// the first four groups as one number (`2017-08-31-230457` is 20170831230457, the same
    /// version as `20170831230457`) and any further groups as text after it, which orders
    /// Diesel's two timestamp styles (`YYYY-MM-DD-HHMMSS` and `...-HHMMSS-NNNN`) exactly as
    /// Diesel does, while numbers keep comparing as numbers (`2 < 10`) for the other tools.
    pub fn parse(text: &str) -> Option<Version> {
        if let Some(description) = text.strip_prefix("R__") {
            return (!description.is_empty()).then(|| Version {
                text: text.to_string(),
                key: description.replace('_', " "),
                extra: String::new(),
                repeatable: true,
                textual: false,
            });
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let joined;
        let mut extra = String::new();
        let numbers = if text.contains('-') {
            if !text.split('-').all(digits) {
                return None;
            }
            let groups: Vec<&str> = text.split('-').collect();
            let (number, rest) = groups.split_at(groups.len().min(4));
            joined = number.concat();
            extra = rest.concat();
            joined.as_str()
        } else {
            text
        };
        if !numbers.split('.').all(digits) {
            return None;
        }
        let segments: Vec<&str> = numbers
            .split('.')
            .map(|s| s.trim_start_matches('0'))
            .collect();
        let keep = segments
            .iter()
            .rposition(|s| !s.is_empty())
            .map_or(0, |i| i + 1);
        Some(Version {
            text: text.to_string(),
            key: segments[..keep].join("."),
            extra,
            repeatable: false,
            textual: false,
        })
    }

    /// The same version, compared as text as Diesel and dbmate compare theirs.
    pub fn textual(self) -> Version {
        Version {
            textual: !self.repeatable,
            ..self
        }
    }

    /// The digits as the text tools compare them: dashes removed. An iterator, not a new
    /// string: sorting and matching 10,000 dbmate versions compares them a few hundred
    /// thousand times.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.text.bytes().filter(|&b| b != b'-')
    }

    /// Whether it is a Flyway repeatable migration, run again whenever its file changes.
    pub fn is_repeatable(&self) -> bool {
        self.repeatable
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn cmp_segment(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.repeatable, other.repeatable) {
            (false, false) => {}
            (true, true) => return self.key.cmp(&other.key),
            (a, b) => return a.cmp(&b),
        }
        if self.textual || other.textual {
            return self.digits().cmp(other.digits());
        }
        // An empty key (version 0) is one empty segment, as is a zero in the middle.
        let mut a = self.key.split('.');
        let mut b = other.key.split('.');
        loop {
            match (a.next(), b.next()) {
                (None, None) => return self.extra.cmp(&other.extra),
                (Some(x), None) => return cmp_segment(x, ""),
                (None, Some(y)) => return cmp_segment("", y),
                (Some(x), Some(y)) => match cmp_segment(x, y) {
                    Ordering::Equal => {}
                    o => return o,
                },
            }
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        if self.repeatable || other.repeatable {
            return self.repeatable == other.repeatable && self.key == other.key;
        }
        if self.textual || other.textual {
            return self.digits().eq(other.digits());
        }
        self.key == other.key && self.extra == other.extra
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.repeatable.hash(state);
        if self.repeatable {
            self.key.hash(state);
            return;
        }
        // What every equality above keeps: the digits other than zeros. Versions equal as
        // numbers and versions equal as text hash alike.
        // Gathered and written in blocks, not byte by byte: a version is hashed for every
        // lookup while a history of thousands is merged. The blocks depend only on the bytes
        // kept, so equal versions still hash alike with any hasher.
        let mut block = [0u8; 32];
        let mut len = 0;
        for b in self
            .text
            .bytes()
            .filter(|b| !matches!(b, b'0' | b'-' | b'.'))
        {
            if len == block.len() {
                state.write(&block);
                len = 0;
            }
            block[len] = b;
            len += 1;
        }
        state.write(&block[..len]);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn numeric_order() {
        let cases = [
            ("2", "10"),
            ("1.9", "1.10"),
            ("001", "002"),
            ("9", "0010"),
            ("20240101120000", "20240102000000"),
            ("1", "1.1"),
            ("1.0.9", "1.1"),
            ("2019-01-01-000000", "2019-01-02-000000"),
            ("20170101000000", "2017-08-31-230457"),
            ("2026-05-27-120000", "2026-05-27-120000-0000"),
            ("2025-11-19-091444-0000", "2026-05-27-120000"),
            ("2025-11-19-091444-0000", "20260101000000"),
            ("2026-05-27-120000-00", "2026-05-27-120000-0000"),
            ("2026-05-27-120000-0000", "2026-05-27-120000-1"),
            ("99999999999999999999", "R__a"),
            ("R__a_b", "R__ab"),
            ("R__a b", "R__aZ"),
        ];
        for (a, b) in cases {
            assert!(v(a) < v(b), "{a} < {b}");
            assert!(v(b) > v(a), "{b} > {a}");
        }
    }

    #[test]
    fn equal_spellings() {
        for (a, b) in [
            ("001", "1"),
            ("1.0", "1"),
            ("1.00.0", "01"),
            ("0", "000"),
            ("2017-08-31-230457", "20170831230457"),
            ("R__a_b", "R__a b"),
        ] {
            assert_eq!(v(a), v(b));
            let hash = |x: &Version| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                x.hash(&mut h);
                h.finish()
            };
            assert_eq!(hash(&v(a)), hash(&v(b)));
        }
    }

    #[test]
    fn textual_versions_compare_as_their_tools_compare_them() {
        let t = |s: &str| v(s).textual();
        assert_ne!(t("001"), t("1"));
        assert!(t("001") < t("1"));
        assert!(t("10") < t("9"));
        assert_eq!(t("2017-08-31-230457"), t("20170831230457"));
        assert_eq!(t("2026-05-27-120000-0000"), t("202605271200000000"));
        // A history row, read without its layout, matches the file it was written from.
        assert_eq!(v("001"), t("001"));
        assert_ne!(v("1"), t("001"));
        assert_eq!(v("2017-08-31-230457"), t("2017-08-31-230457"));
        let hash = |x: &Version| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x.hash(&mut h);
            h.finish()
        };
        for (a, b) in [
            ("001", "001"),
            ("2026-05-27-120000-0000", "202605271200000000"),
            // More digits than the hash gathers in one block.
            (
                "1234567891-1234567891-1234567891-1234567891",
                "1234567891123456789112345678911234567891",
            ),
        ] {
            assert_eq!(t(a), t(b));
            assert_eq!(hash(&v(a)), hash(&t(b)));
            assert_eq!(hash(&t(a)), hash(&t(b)));
        }
    }

    #[test]
    fn rejects_non_versions() {
        for bad in [
            "", "a1", "1..2", "1.", ".1", "1_2", "v1", "1 2", "1--2", "-1", "1-", "1.2-3", "R__",
            "R_x", "r__x",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad:?}");
        }
    }
}
