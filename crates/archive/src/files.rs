//! Items' files for front ends: a staging directory for uploads, where an
//! item's bytes are inside its OCFL object, and an item's text for previews.

use std::fs;
use std::path::PathBuf;

use evident_extract::Extraction;
use evident_objects::StorageRoot;

use crate::{Archive, ArchiveError, Result};

/// An item's text as extraction finds it now, for previews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemTextContent {
    /// `extracted`, `no_text` (images, audio, video), `failed` or `too_large`
    pub status: String,
    /// the text (empty unless `extracted`)
    pub text: String,
    /// the extractor cut the text at its own limit
    pub truncated: bool,
}

impl Archive {
    /// A fresh, empty directory under `tmp/` (`tmp/upload-<random>`) for
    /// staging an upload before [`Archive::add`]. The caller removes it when
    /// done; one left behind by a crash is removed by the next
    /// [`Archive::open`], which empties `tmp/`.
    pub fn staging_dir(&self) -> Result<PathBuf> {
        let mut random = [0u8; 12];
        getrandom::fill(&mut random)
            .map_err(|e| ArchiveError::Invalid(format!("no randomness for a staging directory name: {e}")))?;
        let dir = self.layout.tmp().join(format!("upload-{}", hex::encode(random)));
        fs::create_dir(&dir).map_err(ArchiveError::io("create the staging directory", &dir))?;
        Ok(dir)
    }

    /// The path of an item's file inside its OCFL object (the head
    /// version's content file). For reading only: the bytes are evidence.
    /// `NotFound` if there is no such item; `Corrupted` if the object does
    /// not hold the file its inventory names.
    pub fn item_content_path(&self, id: &str) -> Result<PathBuf> {
        let item = self.item(id)?;
        let inventory = self.objects.read_inventory(id)?;
        let content = inventory.content_path_of(&item.file_name).ok_or_else(|| ArchiveError::Corrupted {
            what: format!("object {id}"),
            detail: format!("its head version {} has no file {:?}", inventory.head, item.file_name),
        })?;
        let path = self.objects.path().join(StorageRoot::object_relative_path(id)).join(content);
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.is_file() => Ok(path),
            Ok(_) => Err(ArchiveError::Corrupted {
                what: format!("object {id}"),
                detail: format!("content path {content} is not a regular file"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ArchiveError::Corrupted {
                what: format!("object {id}"),
                detail: format!("content file {content} is in the manifest but missing"),
            }),
            Err(e) => Err(ArchiveError::Io { action: "inspect the content file", path, source: e }),
        }
    }

    /// What text extraction finds in an item's file, extracted again now
    /// (the store keeps only what extraction made of it, not the text).
    pub fn item_text_content(&self, id: &str) -> Result<ItemTextContent> {
        let item = self.item(id)?;
        let (summary, extraction) = self.extract_item(&item);
        Ok(match extraction {
            Extraction::Text(extracted) => {
                ItemTextContent { status: summary.status, text: extracted.text, truncated: extracted.truncated }
            }
            Extraction::NoText { .. } | Extraction::Failed { .. } => {
                ItemTextContent { status: summary.status, text: String::new(), truncated: false }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AddConfig, AddOutcome, InitConfig};

    #[test]
    fn an_items_content_path_holds_its_bytes_and_staging_dirs_are_fresh_and_cleared_at_open() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
        let mut archive = Archive::open(&dir, None).unwrap();
        let input = temp.path().join("note.txt");
        std::fs::write(&input, "证词 testimony text").unwrap();
        let mut items = Vec::new();
        archive
            .add(&[input], &AddConfig::default(), &mut |outcome: &AddOutcome| items.extend(outcome.item.clone()))
            .unwrap();
        let id = items.remove(0);

        let path = archive.item_content_path(&id).unwrap();
        assert!(path.starts_with(dir.join("ocfl")), "{}", path.display());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "证词 testimony text");
        assert!(matches!(archive.item_content_path("itm_00000000000000000000000000"), Err(ArchiveError::NotFound(_))));

        let text = archive.item_text_content(&id).unwrap();
        assert_eq!(text.status, "extracted");
        assert!(text.text.contains("testimony") && !text.truncated, "{text:?}");

        let first = archive.staging_dir().unwrap();
        let second = archive.staging_dir().unwrap();
        assert_ne!(first, second);
        assert!(first.starts_with(dir.join("tmp")) && first.is_dir());
        std::fs::write(first.join("left-behind"), b"x").unwrap();
        drop(archive);
        let _archive = Archive::open(&dir, None).unwrap();
        assert!(!first.exists() && !second.exists(), "open empties tmp/");
    }
}
