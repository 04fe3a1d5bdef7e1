//! A SHA-256 digest written as 64 lowercase hexadecimal characters.

use std::fmt;

/// A SHA-256 digest in its canonical text form: exactly 64 lowercase hex
/// characters. Parsing refuses anything else, so two equal digests always
/// compare equal as strings.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Parses a digest; refuses upper case, wrong length and non-hex text.
    pub fn parse(text: &str) -> Result<Sha256Hex, String> {
        if text.len() != 64 {
            return Err(format!("a sha256 digest has 64 hex characters, this has {}", text.len()));
        }
        if !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err("a sha256 digest is written in lowercase hex (0-9, a-f)".to_owned());
        }
        Ok(Sha256Hex(text.to_owned()))
    }

    /// The digest of raw bytes already computed by a hasher.
    pub fn from_bytes(digest: [u8; 32]) -> Sha256Hex {
        Sha256Hex(hex::encode(digest))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Hex({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_canonical_digests() {
        let good = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(Sha256Hex::parse(good).unwrap().as_str(), good);
        assert!(Sha256Hex::parse(&good.to_uppercase()).is_err());
        assert!(Sha256Hex::parse(&good[1..]).is_err());
        assert!(Sha256Hex::parse(&format!("{}g", &good[1..])).is_err());
        assert_eq!(Sha256Hex::from_bytes([0xab; 32]).as_str(), "ab".repeat(32));
    }
}
