//! SHA-256 checksums of migration text, with CRLF read as LF so a checkout on Windows does
//! not look like drift.

use sha2::{Digest, Sha256};
use std::fmt;

/// Hashes pieces of text as one stream, each with line endings normalised.
#[derive(Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn update(&mut self, text: &[u8]) -> &mut Self {
        let mut rest = text;
        while let Some(i) = memchr::memmem::find(rest, b"\r\n") {
            self.0.update(&rest[..i]);
            rest = &rest[i + 1..];
        }
        self.0.update(rest);
        self
    }

    pub fn finish(self) -> Checksum {
        Checksum::Sha256(self.0.finalize().into())
    }
}

/// Checksum of one text.
pub fn of(text: &str) -> Checksum {
    let mut c = Hasher::default();
    c.update(text.as_bytes());
    c.finish()
}

/// A checksum as pgstep computes it, or as a history row recorded it. Held as its 32 bytes
/// rather than 64 hex digits: a plan and a history of 10,000 phases hold five each per phase.
/// Shown and stored as lowercase hex.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Checksum {
    Sha256([u8; 32]),
    /// Recorded text that is not 64 lowercase hex digits (a row edited by hand): kept as it
    /// is, so it is shown truthfully and never equals a computed checksum.
    Text(Box<str>),
}

impl Checksum {
    /// Reads recorded text; anything but 64 lowercase hex digits stays text.
    pub fn parse(s: &str) -> Checksum {
        let b = s.as_bytes();
        if b.len() != 64 {
            return Checksum::Text(s.into());
        }
        let mut out = [0u8; 32];
        for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
            match (digit(pair[0]), digit(pair[1])) {
                (Some(hi), Some(lo)) => *o = hi << 4 | lo,
                _ => return Checksum::Text(s.into()),
            }
        }
        Checksum::Sha256(out)
    }
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Sha256(bytes) => {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut out = [0u8; 64];
                for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
                    pair[0] = DIGITS[usize::from(b >> 4)];
                    pair[1] = DIGITS[usize::from(b & 0x0f)];
                }
                f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
            }
            Checksum::Text(s) => f.write_str(s),
        }
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({self})")
    }
}

impl serde::Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_is_lf() {
        assert_eq!(of("a\r\nb\r\n"), of("a\nb\n"));
        assert_ne!(of("a\rb"), of("a\nb"));
        assert_eq!(
            of("").to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            of("abc").to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pieces_hash_as_one_stream() {
        let mut c = Hasher::default();
        c.update(b"up\r\n").update(b"down\n");
        assert_eq!(c.finish(), of("up\ndown\n"));
    }

    #[test]
    fn recorded_hex_reads_back_as_the_computed_checksum() {
        let sum = of("abc");
        assert_eq!(Checksum::parse(&sum.to_string()), sum);
    }

    #[test]
    fn other_recorded_text_is_kept_and_never_matches() {
        let sum = of("abc");
        let upper = sum.to_string().to_uppercase();
        for text in ["", "edited by hand", &upper, &sum.to_string()[1..], "zz"] {
            let c = Checksum::parse(text);
            assert_eq!(c, Checksum::Text(text.into()), "{text:?}");
            assert_eq!(c.to_string(), text);
            assert_ne!(c, sum);
        }
        let mut odd = sum.to_string();
        odd.replace_range(10..11, "g");
        assert_eq!(Checksum::parse(&odd).to_string(), odd);
    }

    proptest::proptest! {
        #[test]
        fn any_recorded_text_reads_back_as_written(s in "\\PC{0,80}|[0-9a-gA-F]{64}") {
            proptest::prop_assert_eq!(Checksum::parse(&s).to_string(), s);
        }

        #[test]
        fn lowercase_hex_is_held_as_bytes(s in "[0-9a-f]{64}") {
            let c = Checksum::parse(&s);
            proptest::prop_assert!(matches!(c, Checksum::Sha256(_)));
            proptest::prop_assert_eq!(c.to_string(), s);
        }
    }
}
