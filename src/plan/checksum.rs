//! SHA-256 checksums of migration text, with CRLF read as LF so a checkout on Windows does
//! not look like drift.

use sha2::{Digest, Sha256};

/// Hashes pieces of text as one stream, each with line endings normalised.
#[derive(Default)]
pub struct Checksum(Sha256);

impl Checksum {
    pub fn update(&mut self, text: &[u8]) -> &mut Self {
        let mut rest = text;
        while let Some(i) = memchr::memmem::find(rest, b"\r\n") {
            self.0.update(&rest[..i]);
            rest = &rest[i + 1..];
        }
        self.0.update(rest);
        self
    }

    pub fn hex(self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for b in self.0.finalize().iter() {
            out.push(DIGITS[usize::from(b >> 4)] as char);
            out.push(DIGITS[usize::from(b & 0x0f)] as char);
        }
        out
    }
}

/// Checksum of one text.
pub fn of(text: &str) -> String {
    let mut c = Checksum::default();
    c.update(text.as_bytes());
    c.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_is_lf() {
        assert_eq!(of("a\r\nb\r\n"), of("a\nb\n"));
        assert_ne!(of("a\rb"), of("a\nb"));
        assert_eq!(
            of(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn pieces_hash_as_one_stream() {
        let mut c = Checksum::default();
        c.update(b"up\r\n").update(b"down\n");
        assert_eq!(c.hex(), of("up\ndown\n"));
    }
}
