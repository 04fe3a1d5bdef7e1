//! The storage root layout: OCFL community extension 0003, hashed truncated n-tuple trees
//! with object id encapsulating directory
//! (<https://ocfl.github.io/extensions/0003-hash-and-id-n-tuple-storage-layout.html>),
//! with the parameters this crate always uses: sha256, one tuple of three characters.
//!
//! The object root of id `itm_01J...` is `abc/itm_01J.../`, where `abc` are the first
//! three hex characters of the id's sha256. One tuple (4,096 buckets, about 2,500 objects
//! each at ten million objects) rather than the extension's default three: creating a
//! directory is among the slowest metadata operations, and with three tuples nearly every
//! new object would create two or three. The last directory is the id
//! percent-encoded; if that is longer than 100 characters, its first 100 characters, `-`,
//! and the full digest.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const LAYOUT_EXTENSION_NAME: &str = "0003-hash-and-id-n-tuple-storage-layout";
pub const LAYOUT_DESCRIPTION: &str = "Extension 0003: OCFL object identifiers are hashed with sha256 and encoded as lowercase hex; \
the first 3 characters of the digest name the directory under the storage root (tupleSize 3, numberOfTuples 1), \
and the object's root directory is the identifier percent-encoded (every byte of its UTF-8 other than A-Z a-z 0-9 - _ \
as %xx with lowercase hex); an encoded identifier longer than 100 characters is cut to its first 100 characters, \
followed by '-' and the full digest.";

const TUPLE_SIZE: usize = 3;
const NUMBER_OF_TUPLES: usize = 1;
/// The extension's defaults, which apply to parameters a config leaves out.
const DEFAULT_TUPLE_SIZE: usize = 3;
const DEFAULT_NUMBER_OF_TUPLES: usize = 3;
/// Longest encapsulation directory name before it is truncated and the digest appended.
const MAX_ENCODED_ID_LEN: usize = 100;

/// Object root directory, relative to the storage root, for `id`.
pub(crate) fn object_relative_path(id: &str) -> PathBuf {
    object_relative_path_with(id, TUPLE_SIZE, NUMBER_OF_TUPLES)
}

/// The 0003 mapping for any tuple parameters (the extension's examples use 3 and 3).
fn object_relative_path_with(id: &str, tuple_size: usize, number_of_tuples: usize) -> PathBuf {
    let digest = hex::encode(Sha256::digest(id.as_bytes()));
    let mut path = PathBuf::new();
    for index in 0..number_of_tuples {
        path.push(&digest[index * tuple_size..(index + 1) * tuple_size]);
    }
    path.push(encapsulation_directory(id, &digest));
    path
}

/// The object root's directory name: `id` percent-encoded, truncated to 100 characters
/// plus `-` and the digest if it is longer than that.
fn encapsulation_directory(id: &str, digest: &str) -> String {
    let mut encoded = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
            encoded.push(char::from(byte));
        } else {
            let _ = write!(encoded, "%{byte:02x}");
        }
    }
    if encoded.len() > MAX_ENCODED_ID_LEN {
        // All ASCII, so truncating at a byte index is truncating at a character.
        encoded.truncate(MAX_ENCODED_ID_LEN);
        encoded.push('-');
        encoded.push_str(digest);
    }
    encoded
}

/// `ocfl_layout.json` content.
pub(crate) fn layout_declaration() -> Value {
    json!({ "extension": LAYOUT_EXTENSION_NAME, "description": LAYOUT_DESCRIPTION })
}

/// `extensions/0003-hash-and-id-n-tuple-storage-layout/config.json` content.
pub(crate) fn layout_config() -> Value {
    json!({
        "extensionName": LAYOUT_EXTENSION_NAME,
        "digestAlgorithm": "sha256",
        "tupleSize": TUPLE_SIZE,
        "numberOfTuples": NUMBER_OF_TUPLES,
    })
}

/// Checks a parsed `config.json` against the parameters this crate maps ids with.
/// Missing keys take the extension's defaults, which are the same values.
pub(crate) fn check_layout_config(config: &Value) -> Result<(), String> {
    let Some(fields) = config.as_object() else {
        return Err("not a JSON object".to_owned());
    };
    let expected = layout_config();
    let defaults = json!({"digestAlgorithm": "sha256", "tupleSize": DEFAULT_TUPLE_SIZE, "numberOfTuples": DEFAULT_NUMBER_OF_TUPLES});
    for (key, default) in defaults.as_object().into_iter().flatten() {
        let given = fields.get(key).unwrap_or(default);
        if given != &expected[key] {
            return Err(format!("{key} is {given}, but this archive maps object ids with {key} {}", expected[key]));
        }
    }
    for (key, value) in fields {
        match expected.get(key) {
            Some(wanted) if wanted == value => {}
            Some(wanted) => {
                return Err(format!("{key} is {value}, but this archive maps object ids with {key} {wanted}"));
            }
            None => return Err(format!("unknown parameter {key}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The object path with `/` separators, whatever the platform's, with the
    /// extension's default parameters (3 and 3), which its examples use.
    fn path(id: &str) -> String {
        let path = object_relative_path_with(id, 3, 3);
        let parts: Vec<&str> = path.iter().map(|part| part.to_str().unwrap()).collect();
        parts.join("/")
    }

    #[test]
    fn object_paths_match_the_extension_examples() {
        // Example 1 of the extension (its default parameters).
        assert_eq!(path("object-01"), "3c0/ff4/240/object-01");
        assert_eq!(path("..hor/rib:le-$id"), "487/326/d8c/%2e%2ehor%2frib%3ale-%24id");
        // The extension's own tests (its "Python Code" section), sha256 3/3.
        assert_eq!(path("..Hor/rib:lè-$id"), "373/529/21a/%2e%2eHor%2frib%3al%c3%a8-%24id");
        let ten = "abcdefghij";
        assert_eq!(
            path(&ten.repeat(26)),
            format!("55b/432/806/{}-55b432806f4e270da0cf23815ed338742179002153cd8d896f23b3e2d8a14359", ten.repeat(10))
        );
        assert_eq!(
            path(&format!("{}a", ten.repeat(10))),
            format!("5cc/73e/648/{}-5cc73e648fbcff136510e330871180922ddacf193b68fdeff855683a01464220", ten.repeat(10))
        );
    }

    #[test]
    fn object_paths_for_the_archives_kind_of_ids() {
        // Expected values computed independently (Python hashlib, and ocfl-py's 0003 handler).
        assert_eq!(path("itm_01JABCDEFGHJKMNPQRSTVWXYZ0"), "9de/871/771/itm_01JABCDEFGHJKMNPQRSTVWXYZ0");
        assert_eq!(path("urn:evident:item:x"), "7f1/efc/e8c/urn%3aevident%3aitem%3ax");
        // Non-ASCII is encoded byte by byte; '.', '~' and ' ' are not safe characters.
        assert_eq!(path("Ünïcødé 日本.~"), "378/b61/0d7/%c3%9cn%c3%afc%c3%b8d%c3%a9%20%e6%97%a5%e6%9c%ac%2e%7e");
        // Exactly 100 encoded characters: kept whole.
        let hundred = "abcdefghij".repeat(10);
        assert_eq!(path(&hundred), format!("fcb/b61/d05/{hundred}"));
        // 102 encoded characters: cut to 100, even in the middle of an escape.
        assert_eq!(
            path(&format!("{}:", "a".repeat(99))),
            format!("796/b4f/684/{}%-796b4f68474fc8cddde1e7c345cee394086670434e23f28b83d7bcaa3025f832", "a".repeat(99))
        );
    }

    #[test]
    fn the_archive_uses_one_tuple() {
        assert_eq!(
            object_relative_path("itm_01JABCDEFGHJKMNPQRSTVWXYZ0"),
            PathBuf::from("9de/itm_01JABCDEFGHJKMNPQRSTVWXYZ0")
        );
        assert_eq!(object_relative_path("urn:evident:item:x"), PathBuf::from("7f1/urn%3aevident%3aitem%3ax"));
    }

    #[test]
    fn config_check_accepts_ours_and_rejects_other_parameters() {
        assert_eq!(
            layout_config(),
            json!({
                "extensionName": "0003-hash-and-id-n-tuple-storage-layout",
                "digestAlgorithm": "sha256",
                "tupleSize": 3,
                "numberOfTuples": 1
            })
        );
        check_layout_config(&layout_config()).unwrap();
        // a config that leaves numberOfTuples out means the default, 3, which is not ours
        let err = check_layout_config(&json!({"extensionName": LAYOUT_EXTENSION_NAME})).unwrap_err();
        assert!(err.contains("numberOfTuples"), "{err}");
        let err =
            check_layout_config(&json!({"extensionName": LAYOUT_EXTENSION_NAME, "numberOfTuples": 1, "tupleSize": 2}))
                .unwrap_err();
        assert!(err.contains("tupleSize"), "{err}");
        assert!(check_layout_config(&json!([])).is_err());
        // 0004's parameter is not one of 0003's.
        assert!(check_layout_config(&json!({"shortObjectRoot": false})).is_err());
    }
}
