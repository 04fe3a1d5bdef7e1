//! Item identifiers.
//!
//! An item id is `itm_` followed by a 26-character ULID in lowercase
//! Crockford base32: 48 bits of milliseconds since the Unix epoch, then 80
//! random bits. Ids sort by creation time, reveal nothing about an item's
//! content (they are not digests, so a sealed item's id cannot be used to
//! test guesses of its bytes), and are safe in URLs and file names.

use std::fmt;

const PREFIX: &str = "itm_";
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const ULID_LEN: usize = 26;

/// 48 bits of milliseconds and 80 random bits in lowercase Crockford base32.
pub(crate) fn ulid_text(unix_millis: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(unix_millis & 0xffff_ffff_ffff) << 80;
    for (i, byte) in random.iter().enumerate() {
        value |= u128::from(*byte) << (8 * (9 - i));
    }
    let mut text = String::with_capacity(ULID_LEN);
    for position in (0..ULID_LEN).rev() {
        let digit = ((value >> (5 * position)) & 0x1f) as usize;
        text.push(ALPHABET[digit] as char);
    }
    text
}

pub(crate) fn check_ulid(ulid: &str) -> Result<(), &'static str> {
    if ulid.len() != ULID_LEN {
        return Err("wrong length");
    }
    if !ulid.bytes().all(|b| ALPHABET.contains(&b)) {
        return Err("a character outside the alphabet");
    }
    // 26 base32 digits hold 130 bits; a ULID uses 128, so the first digit is at most 7.
    if ulid.as_bytes()[0] > b'7' {
        return Err("value out of range");
    }
    Ok(())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an item id ({reason}): expected itm_ followed by 26 characters of 0-9 and a-z without i, l, o, u")]
pub struct ItemIdError {
    reason: &'static str,
}

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(String);

impl ItemId {
    /// Builds an id from a creation time and 10 random bytes; the caller
    /// supplies both, so this crate stays free of clocks and entropy.
    pub fn new(unix_millis: u64, random: [u8; 10]) -> ItemId {
        ItemId(format!("{PREFIX}{}", ulid_text(unix_millis, random)))
    }

    pub fn parse(text: &str) -> Result<ItemId, ItemIdError> {
        let Some(ulid) = text.strip_prefix(PREFIX) else {
            return Err(ItemIdError { reason: "missing the itm_ prefix" });
        };
        check_ulid(ulid).map_err(|reason| ItemIdError { reason })?;
        Ok(ItemId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_id() {
        let id = ItemId::new(0, [0; 10]);
        assert_eq!(id.as_str(), "itm_00000000000000000000000000");
        let id = ItemId::new(0xffff_ffff_ffff, [0xff; 10]);
        assert_eq!(id.as_str(), "itm_7zzzzzzzzzzzzzzzzzzzzzzzzz");
    }

    #[test]
    fn rejects_bad_ids() {
        assert!(ItemId::parse("00000000000000000000000000").is_err());
        assert!(ItemId::parse("itm_0000000000000000000000000").is_err());
        assert!(ItemId::parse("itm_8zzzzzzzzzzzzzzzzzzzzzzzzz").is_err());
        assert!(ItemId::parse("itm_0000000000000000000000000u").is_err());
        assert!(ItemId::parse("itm_0000000000000000000000000A").is_err());
    }

    proptest! {
        #[test]
        fn ids_round_trip_and_sort_by_time(a in 0u64..(1 << 48), b in 0u64..(1 << 48), r in any::<[u8; 10]>()) {
            let first = ItemId::new(a, r);
            prop_assert_eq!(ItemId::parse(first.as_str()).unwrap(), first.clone());
            let second = ItemId::new(b, r);
            prop_assert_eq!(a.cmp(&b), first.cmp(&second));
        }
    }
}
