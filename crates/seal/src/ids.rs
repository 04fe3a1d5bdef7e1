//! Object ids and part names as the formats bind them, and the one length-prefixed
//! encoding every associated-data string and hashed string uses.

use std::fmt;

/// The longest object id, in bytes.
pub const MAX_OBJECT_ID_BYTES: usize = 255;

/// The longest part name (a file's logical path or a record field's name), in bytes.
pub const MAX_NAME_BYTES: usize = 1024;

/// The id of a sealed object (an item `itm_...` or a record `per_...`): what its data key
/// is bound to. 1 to 255 printable ASCII characters (`!` to `~`); the archive's ids are
/// far shorter. Ids are public (they are in the log), so errors may name them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

/// Why a string is not an [`ObjectId`]. The rejected text is not repeated: a caller that
/// passed the wrong string might have passed a sealed value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectIdError {
    /// Empty or longer than [`MAX_OBJECT_ID_BYTES`].
    #[error("an object id must be 1 to {MAX_OBJECT_ID_BYTES} bytes long (this one has {0})")]
    Length(usize),
    /// A byte outside printable ASCII.
    #[error("an object id must be printable ASCII without spaces (byte {0} is not)")]
    Character(usize),
}

impl ObjectId {
    /// Parses an object id.
    pub fn parse(id: &str) -> Result<Self, ObjectIdError> {
        if id.is_empty() || id.len() > MAX_OBJECT_ID_BYTES {
            return Err(ObjectIdError::Length(id.len()));
        }
        if let Some(position) = id.bytes().position(|b| !(0x21..=0x7e).contains(&b)) {
            return Err(ObjectIdError::Character(position));
        }
        Ok(ObjectId(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.0)
    }
}

/// Checks a part name (a field name or a file's logical path): 1 to [`MAX_NAME_BYTES`]
/// bytes of UTF-8 without control characters. Returns a description of the problem that
/// does not repeat the name (it could be sealed text passed by mistake).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "a field or part name must be 1 to {MAX_NAME_BYTES} bytes long (this one has {})",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("a field or part name must not contain control characters".to_owned());
    }
    Ok(())
}

/// Appends `bytes` with its length as a 16-bit big-endian prefix. Callers pass only ids
/// and names, whose lengths are checked to fit.
pub(crate) fn push_with_length(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&bytes[..usize::from(length)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_printable_ascii_of_bounded_length() {
        assert_eq!(
            ObjectId::parse("itm_01jdx4m6q8c1v7yb2k9e3r5t0a").map(|id| id.to_string()).as_deref(),
            Ok("itm_01jdx4m6q8c1v7yb2k9e3r5t0a")
        );
        assert_eq!(ObjectId::parse(""), Err(ObjectIdError::Length(0)));
        assert_eq!(ObjectId::parse(&"a".repeat(256)), Err(ObjectIdError::Length(256)));
        assert!(ObjectId::parse(&"a".repeat(255)).is_ok());
        assert_eq!(ObjectId::parse("itm x"), Err(ObjectIdError::Character(3)));
        assert_eq!(ObjectId::parse("名字"), Err(ObjectIdError::Character(0)));
    }

    #[test]
    fn names_refuse_empty_long_and_control_characters() {
        assert!(check_name("name").is_ok());
        assert!(check_name("名字 ئىسىم").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"n".repeat(MAX_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn length_prefix_is_big_endian_u16() {
        let mut out = Vec::new();
        push_with_length(&mut out, b"abc");
        assert_eq!(out, [0, 3, b'a', b'b', b'c']);
    }
}
