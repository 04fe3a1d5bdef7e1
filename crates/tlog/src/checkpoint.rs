//! Checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of a log.

use crate::merkle::Hash;
use crate::note::{Note, NoteSigner, NoteVerifier};
use crate::{TlogError, decode_base64_canonical, encode_base64, malformed, parse_canonical_decimal};

const WHAT: &str = "checkpoint";

/// The note text of a checkpoint: the log's origin, tree size, root hash and
/// optional extension lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `archive.example/log1` (no scheme).
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
    /// Extension lines, opaque and non-empty, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The note text: `origin\nsize\nbase64(root)\n` followed by one line per
    /// extension. Use [`Checkpoint::parse`] on the result (or
    /// [`sign_checkpoint`]) to check the fields are valid.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, encode_base64(&self.root));
        for extension in &self.extensions {
            text.push_str(extension);
            text.push('\n');
        }
        text
    }

    /// Parses a checkpoint note text (without signatures): at least three
    /// non-empty lines, each ending in a newline; a decimal size without
    /// leading zeroes; a canonical base64 root of 32 bytes; no control
    /// characters.
    pub fn parse(text: &str) -> Result<Checkpoint, TlogError> {
        if text.chars().any(|c| c < ' ' && c != '\n') {
            return Err(malformed(WHAT, "contains a control character other than newline"));
        }
        let body = text.strip_suffix('\n').ok_or_else(|| malformed(WHAT, "text must end with a newline"))?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(malformed(WHAT, "needs an origin, a size and a root hash"));
        }
        if lines.iter().any(|line| line.is_empty()) {
            return Err(malformed(WHAT, "lines must not be empty"));
        }
        let size = parse_canonical_decimal(lines[1]).ok_or_else(|| {
            malformed(WHAT, format!("tree size {:?} is not a decimal without leading zeroes", lines[1]))
        })?;
        let root: Hash = decode_base64_canonical(lines[2])
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| malformed(WHAT, "root hash is not 32 bytes of base64"))?;
        Ok(Checkpoint {
            origin: lines[0].to_owned(),
            size,
            root,
            extensions: lines[3..].iter().map(|line| (*line).to_owned()).collect(),
        })
    }
}

/// Signs a checkpoint with the log's key, whose name must equal the origin.
/// Returns the signed note.
pub fn sign_checkpoint(cp: &Checkpoint, signer: &NoteSigner) -> Result<String, TlogError> {
    if signer.name() != cp.origin {
        return Err(TlogError::Signature(format!(
            "key {} cannot sign a checkpoint for origin {}",
            signer.name(),
            cp.origin
        )));
    }
    let text = cp.to_text();
    // Round-trip so that an origin or extension holding a newline, or an
    // empty extension, is refused instead of signed into a different note.
    if Checkpoint::parse(&text)? != *cp {
        return Err(malformed(WHAT, "origin and extension lines must be non-empty single lines"));
    }
    signer.sign(&text)
}

/// Parses a signed checkpoint note and requires a valid signature by
/// `verifier`, whose name must equal the checkpoint's origin. Other
/// signatures (e.g. witness cosignatures) are ignored here; check them with
/// [`Note::verify`].
pub fn open_checkpoint(signed: &str, verifier: &NoteVerifier) -> Result<Checkpoint, TlogError> {
    let note = Note::parse(signed)?;
    let checkpoint = Checkpoint::parse(&note.text)?;
    if checkpoint.origin != verifier.name() {
        return Err(TlogError::Signature(format!(
            "checkpoint origin {} does not match the log key {}",
            checkpoint.origin,
            verifier.name()
        )));
    }
    note.verify(std::slice::from_ref(verifier))?;
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::empty_root;

    fn checkpoint() -> Checkpoint {
        Checkpoint { origin: "example.com/log".into(), size: 12, root: [7; 32], extensions: vec!["ext one".into()] }
    }

    #[test]
    fn text_round_trips() {
        let cp = checkpoint();
        let text = cp.to_text();
        assert_eq!(text, "example.com/log\n12\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\next one\n");
        assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
    }

    #[test]
    fn parse_rejects_malformed_texts() {
        let root = encode_base64(&empty_root());
        for bad in [
            String::new(),
            "o\n0\n".to_string(),
            format!("o\n0\n{root}"),
            format!("\n0\n{root}\n"),
            format!("o\n00\n{root}\n"),
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n18446744073709551616\n{root}\n"),
            format!("o\n0\n{}\n", &root[..root.len() - 1]),
            "o\n0\nAAAA\n".to_string(),
            format!("o\n0\n{root}\n\n"),
            format!("o\n0\n{root}\next\n\n"),
            format!("o\t\n0\n{root}\n"),
        ] {
            assert!(matches!(Checkpoint::parse(&bad), Err(TlogError::Malformed { .. })), "{bad:?} was accepted");
        }
    }

    #[test]
    fn signing_requires_matching_origin_and_valid_lines() {
        let signer = NoteSigner::from_seed("example.com/log", [3; 32]).unwrap();
        let other = NoteSigner::from_seed("example.com/other", [3; 32]).unwrap();
        assert!(sign_checkpoint(&checkpoint(), &other).is_err());
        let mut bad = checkpoint();
        bad.extensions.push(String::new());
        assert!(sign_checkpoint(&bad, &signer).is_err());
        let mut bad = checkpoint();
        bad.extensions = vec!["a\nb".into()];
        assert!(sign_checkpoint(&bad, &signer).is_err());

        let signed = sign_checkpoint(&checkpoint(), &signer).unwrap();
        assert_eq!(open_checkpoint(&signed, &signer.verifier()).unwrap(), checkpoint());
        assert!(open_checkpoint(&signed, &other.verifier()).is_err());
        let tampered = signed.replacen("\n12\n", "\n13\n", 1);
        assert!(matches!(open_checkpoint(&tampered, &signer.verifier()), Err(TlogError::Signature(_))));
    }
}
