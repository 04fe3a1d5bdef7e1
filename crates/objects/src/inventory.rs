//! The OCFL inventory (`inventory.json`), its digest sidecar, and the pure checks on both.
//! Nothing here does I/O, so every check can be tested on values.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `type` of an OCFL 1.1 inventory.
pub const INVENTORY_TYPE: &str = "https://ocfl.io/1.1/spec/#inventory";
pub(crate) const DIGEST_ALGORITHM: &str = "sha256";
pub(crate) const DEFAULT_CONTENT_DIRECTORY: &str = "content";
pub(crate) const INVENTORY_FILE: &str = "inventory.json";
pub(crate) const SIDECAR_FILE: &str = "inventory.json.sha256";
pub(crate) const OBJECT_DECLARATION_FILE: &str = "0=ocfl_object_1.1";
pub(crate) const OBJECT_DECLARATION_CONTENT: &str = "ocfl_object_1.1\n";

/// An OCFL 1.1 inventory. Fields serialize in the order the specification lists them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub id: String,
    #[serde(rename = "type")]
    pub inventory_type: String,
    #[serde(rename = "digestAlgorithm")]
    pub digest_algorithm: String,
    /// Name of the newest version, e.g. `v3`.
    pub head: String,
    /// Absent means `content`.
    #[serde(rename = "contentDirectory", default, skip_serializing_if = "Option::is_none")]
    pub content_directory: Option<String>,
    /// Digest to the content paths (relative to the object root) holding that content.
    pub manifest: BTreeMap<String, Vec<String>>,
    /// Version name (`v1`, `v2`, ...) to version.
    pub versions: BTreeMap<String, Version>,
    /// Optional extra digests: algorithm to digest to content paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixity: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

/// One version block of an inventory.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Version {
    /// RFC 3339 timestamp with a time zone.
    pub created: String,
    /// Digest to the logical paths that have that content in this version.
    pub state: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
}

/// The person or agent that made a version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// A URI, e.g. `mailto:` or `urn:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Inventory {
    /// The directory name under each version directory that holds content.
    pub fn content_directory(&self) -> &str {
        self.content_directory.as_deref().unwrap_or(DEFAULT_CONTENT_DIRECTORY)
    }

    /// The head version block, if the inventory has one under its `head` name.
    pub fn head_version(&self) -> Option<&Version> {
        self.versions.get(&self.head)
    }

    /// The content path (relative to the object root) holding `logical_path` in the head
    /// version, or `None` if the head version has no such file.
    pub fn content_path_of(&self, logical_path: &str) -> Option<&str> {
        let state = &self.head_version()?.state;
        let digest = state.iter().find(|(_, paths)| paths.iter().any(|p| p == logical_path))?.0;
        self.manifest.get(digest)?.first().map(String::as_str)
    }

    /// Logical path to digest for the head version.
    pub fn head_files(&self) -> BTreeMap<String, String> {
        self.head_version().map(|version| files_of_state(&version.state)).unwrap_or_default()
    }

    /// The inventory as written to disk: pretty JSON and a final newline.
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        // Serializing maps with string keys and plain strings cannot fail.
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// Inverts a state block: logical path to digest.
pub(crate) fn files_of_state(state: &BTreeMap<String, Vec<String>>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for (digest, paths) in state {
        for path in paths {
            files.insert(path.clone(), digest.clone());
        }
    }
    files
}

/// Builds a state block from logical path to digest.
pub(crate) fn state_of_files(files: &BTreeMap<String, String>) -> BTreeMap<String, Vec<String>> {
    let mut state: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, digest) in files {
        state.entry(digest.clone()).or_default().push(path.clone());
    }
    state
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Sidecar content for an inventory digest, in `sha256sum` format so that
/// `sha256sum -c inventory.json.sha256` works in the object directory.
pub(crate) fn sidecar_content(digest: &str) -> String {
    format!("{digest}  {INVENTORY_FILE}\n")
}

/// Parses a sidecar: the digest, whitespace, `inventory.json`. Returns the digest in
/// lowercase (OCFL allows either case).
pub(crate) fn parse_sidecar(content: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(content).map_err(|_| "sidecar is not UTF-8".to_owned())?;
    let mut fields = text.split_whitespace();
    match (fields.next(), fields.next(), fields.next()) {
        (Some(digest), Some(INVENTORY_FILE), None) if is_sha256_hex(&digest.to_ascii_lowercase()) => {
            Ok(digest.to_ascii_lowercase())
        }
        _ => Err(format!("sidecar must hold '<sha256 hex> {INVENTORY_FILE}', found {:?}", truncate(text, 100))),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// 64 lowercase hex characters.
pub(crate) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Checks a logical path as OCFL requires: relative, `/`-separated, no empty, `.` or `..`
/// segment. Also refuses what no POSIX file system can store (NUL, segments over 255
/// bytes), because logical paths are also the content paths on disk.
pub fn validate_logical_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("logical path is empty".to_owned());
    }
    if path.starts_with('/') || path.ends_with('/') {
        return Err(format!("logical path {path:?} must not begin or end with '/'"));
    }
    if path.contains('\0') {
        return Err(format!("logical path {path:?} contains a NUL character"));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(format!("logical path {path:?} has an empty segment")),
            "." | ".." => return Err(format!("logical path {path:?} has a {segment:?} segment")),
            _ if segment.len() > 255 => {
                return Err(format!("logical path {path:?} has a segment longer than 255 bytes"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Finds a path that is also used as a directory by another path in the same set
/// (`a` and `a/b`), which OCFL forbids. Returns `(file, longer path)`.
pub(crate) fn find_path_conflict<'a>(paths: impl IntoIterator<Item = &'a str>) -> Option<(String, String)> {
    let set: BTreeSet<&str> = paths.into_iter().collect();
    for path in &set {
        let mut end = path.len();
        while let Some(slash) = path[..end].rfind('/') {
            if set.contains(&path[..slash]) {
                return Some((path[..slash].to_owned(), (*path).to_owned()));
            }
            end = slash;
        }
    }
    None
}

/// Checks an RFC 3339 date-time with seconds and a time zone, e.g. `2026-11-30T03:45:00Z`.
pub(crate) fn check_created(created: &str) -> Result<(), String> {
    let bad = || format!("created {created:?} is not an RFC 3339 date-time such as 2026-11-30T03:45:00Z");
    let bytes = created.as_bytes();
    if bytes.len() < 20 || !created.is_ascii() {
        return Err(bad());
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let text = &created[range];
        text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse().ok()).flatten()
    };
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't')
        && bytes[13] == b':'
        && bytes[16] == b':';
    let (Some(_year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (number(0..4), number(5..7), number(8..10), number(11..13), number(14..16), number(17..19))
    else {
        return Err(bad());
    };
    if !separators_ok
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(bad());
    }
    let mut rest = &created[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &fraction[digits..];
    }
    let zone_ok = match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit())
                && number(created.len() - 5..created.len() - 3).is_some_and(|h| h <= 23)
                && number(created.len() - 2..created.len()).is_some_and(|m| m <= 59)
        }
        _ => false,
    };
    if zone_ok { Ok(()) } else { Err(bad()) }
}

/// Checks that `address` starts with a URI scheme (RFC 3986: a letter, then letters,
/// digits, `+`, `-` or `.`, then `:`) and has something after it.
pub(crate) fn check_uri(address: &str) -> Result<(), String> {
    let bad = || format!("user address {address:?} is not a URI such as mailto:name@example.org or urn:...");
    let (scheme, rest) = address.split_once(':').ok_or_else(bad)?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let others_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if first_ok && others_ok && !rest.is_empty() && !address.chars().any(char::is_whitespace) {
        Ok(())
    } else {
        Err(bad())
    }
}

/// The number in a version name: `v1` is 1, `v003` is 3. `None` for anything else.
pub(crate) fn version_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix('v')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// The name of version `number` in an object whose first version is named `first`:
/// unpadded (`v1`, so `v12`) or zero-padded to the same width (`v001`, so `v012`).
/// `None` if a padded name would overflow its width.
pub(crate) fn version_name(number: u32, first: &str) -> Option<String> {
    if first == "v1" {
        return Some(format!("v{number}"));
    }
    let width = first.len().saturating_sub(1);
    let name = format!("v{number:0width$}");
    (name.len() == first.len()).then_some(name)
}

/// Every structural problem of `inventory` as OCFL 1.1 and this crate require: required
/// values, the version sequence and head, digest form, content and logical paths, and
/// that every digest in a state block is in the manifest (and the reverse).
/// `expected_id` is the id the object's location says it has; `expected_head` is the
/// version a version inventory must have as its head.
pub(crate) fn structure_problems(
    inventory: &Inventory,
    expected_id: Option<&str>,
    expected_head: Option<&str>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if inventory.id.is_empty() {
        problems.push("id is empty".to_owned());
    }
    if let Some(expected) = expected_id
        && inventory.id != expected
    {
        problems.push(format!("id is {:?} but the object's path is for id {expected:?}", inventory.id));
    }
    if inventory.inventory_type != INVENTORY_TYPE {
        problems.push(format!("type is {:?}, expected {INVENTORY_TYPE:?}", inventory.inventory_type));
    }
    if inventory.digest_algorithm != DIGEST_ALGORITHM {
        problems.push(format!(
            "digestAlgorithm is {:?}; this archive writes and checks only {DIGEST_ALGORITHM:?}",
            inventory.digest_algorithm
        ));
    }
    let content_directory = inventory.content_directory();
    if content_directory.is_empty() || content_directory.contains('/') || matches!(content_directory, "." | "..") {
        problems.push(format!("contentDirectory {content_directory:?} must be a single directory name"));
    }

    // Versions: v1..vN without gaps, named consistently, head is the last.
    let mut numbers = BTreeMap::new();
    for name in inventory.versions.keys() {
        match version_number(name) {
            Some(number) => {
                numbers.insert(number, name.clone());
            }
            None => problems.push(format!("version name {name:?} is not v1, v2, ...")),
        }
    }
    if inventory.versions.is_empty() {
        problems.push("versions is empty".to_owned());
    }
    let count = numbers.len() as u32;
    if numbers.keys().copied().ne(1..=count) {
        problems.push(format!(
            "versions {} are not the sequence v1..v{count}",
            inventory.versions.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if let Some((_, last)) = numbers.iter().next_back() {
        if inventory.head != *last {
            problems.push(format!("head is {:?} but the last version is {last:?}", inventory.head));
        }
        let first = numbers.values().next().map(String::as_str).unwrap_or("v1");
        let padded = first != "v1";
        if numbers.values().any(|name| if padded { name.len() != first.len() } else { name.starts_with("v0") }) {
            problems.push("version names mix zero-padded and unpadded forms".to_owned());
        }
    }
    if let Some(expected) = expected_head
        && inventory.head != expected
    {
        problems.push(format!("head is {:?} but this is the inventory of {expected}", inventory.head));
    }

    // Manifest: digest form and content paths.
    let mut content_paths = BTreeSet::new();
    for (digest, paths) in &inventory.manifest {
        if !is_sha256_hex(digest) {
            problems.push(format!("manifest digest {digest:?} is not 64 lowercase hex characters"));
        }
        if paths.is_empty() {
            problems.push(format!("manifest entry {digest} lists no content path"));
        }
        for path in paths {
            if let Err(problem) = check_content_path(path, content_directory, &inventory.versions) {
                problems.push(problem);
            }
            if !content_paths.insert(path.as_str()) {
                problems.push(format!("content path {path:?} appears more than once in the manifest"));
            }
        }
    }
    if let Some((file, longer)) = find_path_conflict(content_paths.iter().copied()) {
        problems.push(format!("content path {file:?} is also a directory of {longer:?}"));
    }

    // States: logical paths, and digests that the manifest knows.
    let mut used_digests = BTreeSet::new();
    for (name, version) in &inventory.versions {
        if let Err(problem) = check_created(&version.created) {
            problems.push(format!("{name}: {problem}"));
        }
        if let Some(address) = version.user.as_ref().and_then(|user| user.address.as_deref())
            && let Err(problem) = check_uri(address)
        {
            problems.push(format!("{name}: {problem}"));
        }
        let mut logical_paths = BTreeSet::new();
        for (digest, paths) in &version.state {
            used_digests.insert(digest.as_str());
            if !is_sha256_hex(digest) {
                problems.push(format!("{name}: state digest {digest:?} is not 64 lowercase hex characters"));
            } else if !inventory.manifest.contains_key(digest) {
                problems.push(format!("{name}: state digest {digest} is not in the manifest"));
            }
            if paths.is_empty() {
                problems.push(format!("{name}: state entry {digest} lists no logical path"));
            }
            for path in paths {
                if let Err(problem) = validate_logical_path(path) {
                    problems.push(format!("{name}: {problem}"));
                }
                if !logical_paths.insert(path.as_str()) {
                    problems.push(format!("{name}: logical path {path:?} appears more than once"));
                }
            }
        }
        if let Some((file, longer)) = find_path_conflict(logical_paths.iter().copied()) {
            problems.push(format!("{name}: logical path {file:?} is also a directory of {longer:?}"));
        }
    }
    for digest in inventory.manifest.keys() {
        if !used_digests.contains(digest.as_str()) {
            problems.push(format!("manifest digest {digest} is in no version's state"));
        }
    }
    if let Some(fixity) = &inventory.fixity {
        for (algorithm, entries) in fixity {
            for path in entries.values().flatten() {
                if !content_paths.contains(path.as_str()) {
                    problems.push(format!("fixity ({algorithm}) lists {path:?}, which is not in the manifest"));
                }
            }
        }
    }
    problems
}

/// A content path must be `<version>/<content directory>/<logical path>` for a version
/// of this object; this also keeps every path inside the object root.
fn check_content_path(path: &str, content_directory: &str, versions: &BTreeMap<String, Version>) -> Result<(), String> {
    let bad = |why: &str| format!("content path {path:?} {why}");
    validate_logical_path(path).map_err(|_| bad("is not a relative path without empty, '.' or '..' segments"))?;
    let mut parts = path.splitn(3, '/');
    let (Some(version), Some(directory), Some(_rest)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not <version>/<content directory>/<file>"));
    };
    if !versions.contains_key(version) {
        return Err(bad("is in a version directory that the inventory does not list"));
    }
    if directory != content_directory {
        return Err(bad(&format!("is not under the content directory {content_directory:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DIGEST_A: &str = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb";
    const DIGEST_B: &str = "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d";

    fn one_version_inventory() -> Inventory {
        Inventory {
            id: "urn:example:1".to_owned(),
            inventory_type: INVENTORY_TYPE.to_owned(),
            digest_algorithm: DIGEST_ALGORITHM.to_owned(),
            head: "v1".to_owned(),
            content_directory: None,
            manifest: BTreeMap::from([(DIGEST_A.to_owned(), vec!["v1/content/a.txt".to_owned()])]),
            versions: BTreeMap::from([(
                "v1".to_owned(),
                Version {
                    created: "2026-11-30T03:45:00Z".to_owned(),
                    state: BTreeMap::from([(DIGEST_A.to_owned(), vec!["a.txt".to_owned()])]),
                    message: Some("first".to_owned()),
                    user: Some(User { name: "Clerk".to_owned(), address: Some("mailto:clerk@example.org".to_owned()) }),
                },
            )]),
            fixity: None,
        }
    }

    /// Runs the structure check on a modified inventory and expects a problem containing
    /// `expected`.
    fn check(modify: impl FnOnce(&mut Inventory), expected: &str) {
        let mut inventory = one_version_inventory();
        modify(&mut inventory);
        let problems = structure_problems(&inventory, Some("urn:example:1"), None);
        assert!(
            problems.iter().any(|problem| problem.contains(expected)),
            "expected a problem containing {expected:?}, got {problems:#?}"
        );
    }

    #[test]
    fn a_well_formed_inventory_has_no_problems() {
        assert_eq!(
            structure_problems(&one_version_inventory(), Some("urn:example:1"), Some("v1")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn structure_problems_are_found() {
        check(|inv| inv.id = "urn:other".to_owned(), "object's path is for id");
        check(|inv| inv.inventory_type = "https://ocfl.io/1.0/spec/#inventory".to_owned(), "type is");
        check(|inv| inv.head = "v2".to_owned(), "head is \"v2\"");
        check(|inv| inv.content_directory = Some("a/b".to_owned()), "contentDirectory");
        check(
            |inv| {
                let version = inv.versions.remove("v1").unwrap();
                inv.versions.insert("v2".to_owned(), version);
                inv.head = "v2".to_owned();
                inv.manifest.insert(DIGEST_A.to_owned(), vec!["v2/content/a.txt".to_owned()]);
            },
            "not the sequence",
        );
        check(
            |inv| {
                let entry = inv.manifest.remove(DIGEST_A).unwrap();
                inv.manifest.insert(DIGEST_A.to_uppercase(), entry);
                inv.versions.get_mut("v1").unwrap().state =
                    BTreeMap::from([(DIGEST_A.to_uppercase(), vec!["a.txt".to_owned()])]);
            },
            "64 lowercase hex",
        );
        check(
            |inv| {
                inv.manifest.insert(DIGEST_A.to_owned(), vec!["v1/content/../../x".to_owned()]);
            },
            "content path",
        );
        check(
            |inv| {
                inv.manifest.insert(DIGEST_A.to_owned(), vec!["v9/content/a.txt".to_owned()]);
            },
            "does not list",
        );
        check(
            |inv| {
                inv.manifest.insert(DIGEST_B.to_owned(), vec!["v1/content/b.txt".to_owned()]);
            },
            "in no version's state",
        );
        check(
            |inv| {
                inv.versions.get_mut("v1").unwrap().state.insert(DIGEST_B.to_owned(), vec!["b.txt".to_owned()]);
            },
            "not in the manifest",
        );
        check(
            |inv| {
                inv.versions.get_mut("v1").unwrap().state.get_mut(DIGEST_A).unwrap().push("a.txt/inner".to_owned());
            },
            "also a directory",
        );
        check(|inv| inv.versions.get_mut("v1").unwrap().created = "yesterday".to_owned(), "RFC 3339");
        check(
            |inv| {
                inv.versions.get_mut("v1").unwrap().user.as_mut().unwrap().address =
                    Some("clerk@example.org".to_owned())
            },
            "not a URI",
        );
    }

    #[test]
    fn zero_padded_version_names_are_accepted_when_consistent() {
        let mut inventory = one_version_inventory();
        let v1 = inventory.versions.remove("v1").unwrap();
        inventory.manifest.insert(DIGEST_A.to_owned(), vec!["v01/content/a.txt".to_owned()]);
        for number in 1..=10 {
            inventory.versions.insert(format!("v{number:02}"), v1.clone());
        }
        inventory.head = "v10".to_owned();
        assert_eq!(structure_problems(&inventory, None, None), Vec::<String>::new());
        let v10 = inventory.versions.remove("v10").unwrap();
        inventory.versions.insert("v010".to_owned(), v10);
        inventory.head = "v010".to_owned();
        let problems = structure_problems(&inventory, None, None);
        assert!(problems.iter().any(|p| p.contains("mix zero-padded")), "{problems:#?}");
    }

    #[test]
    fn inventory_serializes_fields_in_spec_order_and_round_trips() {
        let inventory = one_version_inventory();
        let text = String::from_utf8(inventory.to_json_bytes()).unwrap();
        let positions: Vec<usize> =
            ["\"id\"", "\"type\"", "\"digestAlgorithm\"", "\"head\"", "\"manifest\"", "\"versions\""]
                .iter()
                .map(|key| text.find(key).unwrap())
                .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
        assert!(!text.contains("contentDirectory") && !text.contains("fixity"), "{text}");
        let parsed: Inventory = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, inventory);
    }

    #[test]
    fn unknown_inventory_keys_are_rejected() {
        let mut value = serde_json::to_value(one_version_inventory()).unwrap();
        value["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Inventory>(value).is_err());
    }

    #[test]
    fn sidecar_round_trips_and_rejects_other_content() {
        assert_eq!(parse_sidecar(sidecar_content(DIGEST_A).as_bytes()).unwrap(), DIGEST_A);
        assert_eq!(parse_sidecar(format!("{}\tinventory.json", DIGEST_A.to_uppercase()).as_bytes()).unwrap(), DIGEST_A);
        assert!(parse_sidecar(format!("{DIGEST_A} inventory.jsonx").as_bytes()).is_err());
        assert!(parse_sidecar(DIGEST_A.as_bytes()).is_err());
        assert!(parse_sidecar(b"abc inventory.json").is_err());
        assert!(parse_sidecar(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn logical_paths_follow_ocfl_rules() {
        for good in ["a", "a/b.txt", "Ünïcødé/файл.txt", "a b/c", "..a/b..", ".hidden"] {
            assert_eq!(validate_logical_path(good), Ok(()), "{good}");
        }
        for bad in ["", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "..", "a\0b", &"x".repeat(256)] {
            assert!(validate_logical_path(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn path_conflicts_are_found() {
        assert_eq!(find_path_conflict(["a/b", "a"]), Some(("a".to_owned(), "a/b".to_owned())));
        assert_eq!(find_path_conflict(["x", "a/b/c", "a/b"]), Some(("a/b".to_owned(), "a/b/c".to_owned())));
        assert_eq!(find_path_conflict(["a", "ab/c", "a.txt"]), None);
    }

    #[test]
    fn created_timestamps() {
        for good in
            ["2026-11-30T03:45:00Z", "2026-11-30T03:45:00.123456Z", "2026-11-30T03:45:00+01:00", "2026-02-01t00:00:60z"]
        {
            assert_eq!(check_created(good), Ok(()), "{good}");
        }
        for bad in [
            "2026-11-30",
            "2026-11-30T03:45:00",
            "2026-13-30T03:45:00Z",
            "2026-11-30T03:45Z",
            "2026-11-30T03:45:00.Z",
            "2026-11-30T24:00:00Z",
            "2026-11-30T03:45:00+1:00",
            "２026-11-30T03:45:00Z",
        ] {
            assert!(check_created(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn uris() {
        for good in ["mailto:a@example.org", "urn:uuid:1234", "https://example.org/x"] {
            assert_eq!(check_uri(good), Ok(()), "{good}");
        }
        for bad in ["a@example.org", ":x", "1a:x", "mailto:", "mailto:a b"] {
            assert!(check_uri(bad).is_err(), "{bad} must be rejected");
        }
    }

    #[test]
    fn version_names() {
        assert_eq!(version_number("v1"), Some(1));
        assert_eq!(version_number("v010"), Some(10));
        assert_eq!(version_number("v0"), None);
        assert_eq!(version_number("v"), None);
        assert_eq!(version_number("V1"), None);
        assert_eq!(version_number("v+1"), None);
        assert_eq!(version_name(10, "v1").as_deref(), Some("v10"));
        assert_eq!(version_name(10, "v001").as_deref(), Some("v010"));
        assert_eq!(version_name(10, "v01").as_deref(), Some("v10"));
        assert_eq!(version_name(100, "v01"), None);
    }

    proptest! {
        #[test]
        fn paths_of_valid_segments_are_accepted_and_a_dot_dot_segment_is_not(
            segments in proptest::collection::vec("[^/\0]{1,20}", 1..5),
            insert_at in 0usize..5,
        ) {
            prop_assume!(segments.iter().all(|s| s != "." && s != ".."));
            let path = segments.join("/");
            prop_assert_eq!(validate_logical_path(&path), Ok(()));
            let mut with_parent = segments.clone();
            with_parent.insert(insert_at.min(segments.len()), "..".to_owned());
            prop_assert!(validate_logical_path(&with_parent.join("/")).is_err());
        }

        #[test]
        fn state_and_files_invert_each_other(files in proptest::collection::btree_map("[a-z]{1,8}", "[0-9a-f]{2}", 0..10)) {
            prop_assert_eq!(files_of_state(&state_of_files(&files)), files);
        }
    }
}
