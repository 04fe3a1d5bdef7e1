//! `evident add`: files, folders and containers (zip, tar, tar.gz) become
//! items.
//!
//! Each input file streams once through SHA-256 into an OCFL object staged
//! under `tmp/`. Staged objects are committed in batches (see
//! [`Batch::commit`]); an outcome is reported only once its batch is
//! durable, so an item reported `added` survives a crash at any later
//! moment. Identical bytes are stored once: a second copy reports
//! `duplicate` with the existing item.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read, Seek};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use evident_core::{EntryCommitment, EntryFile, ItemId, LogEntry, Sha256Hex};
use evident_objects::{ObjectDraft, ObjectsError, StagedObject, VersionInfo, sync_filesystem};
use evident_store::{ItemRecord, SealedItemRow};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::seal::{
    EncryptingReader, SEALED_FILE_NAME, SEALED_MEDIA_TYPE, SEALED_PLACEHOLDER, SealedItemView, Sensitivity, seal_error,
};
use crate::{Archive, ArchiveError, Result, format_rfc3339, now_rfc3339};

/// Settings for one `add` run.
#[derive(Clone, Debug)]
pub struct AddConfig {
    /// who is adding (recorded in the item, the OCFL version and the log entry)
    pub actor: String,
    /// unpack `.zip`, `.tar`, `.tar.gz` and `.tgz` inputs into their members
    pub unpack: bool,
    /// a member whose size is more than this many times its compressed size
    /// (and over 1 MiB) is refused as a likely zip bomb
    pub max_expansion_ratio: u64,
    /// the most bytes one container may unpack to in all
    pub max_unpacked_bytes: u64,
    /// commit a batch at this many items ...
    pub batch_items: usize,
    /// ... or this many bytes ...
    pub batch_bytes: u64,
    /// ... or when its oldest item has waited this long
    pub batch_age: Duration,
    /// what the added files were derived from (an analysis: its command,
    /// parameters and input items), recorded in each item's provenance
    pub derived_from: Option<serde_json::Value>,
    /// record and report input paths relative to this directory (uploads:
    /// their staging directory, so that the server's own layout is never
    /// recorded as where a file came from)
    pub relative_to: Option<PathBuf>,
    /// how sensitive the new items are: `Restricted` (the default);
    /// `Public` also publishes each new item's record (a logged record
    /// version with `sensitivity: public`); `Sealed` encrypts each file at
    /// rest and commits to it with a salted commitment (`seal.rs`)
    pub sensitivity: Sensitivity,
    /// add `Public` files even if they carry identifying metadata (GPS,
    /// device serials, authors); otherwise such a file is rejected with a
    /// pointer to `evident redact`
    pub allow_identifying: bool,
}

impl Default for AddConfig {
    fn default() -> AddConfig {
        AddConfig {
            actor: "unknown".to_owned(),
            unpack: true,
            max_expansion_ratio: 1_000,
            max_unpacked_bytes: 64 << 30,
            batch_items: 1_000,
            batch_bytes: 1 << 30,
            batch_age: Duration::from_secs(2),
            derived_from: None,
            relative_to: None,
            sensitivity: Sensitivity::Restricted,
            allow_identifying: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddStatus {
    Added,
    Duplicate,
    Rejected,
}

/// The outcome for one input file, as `add --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddOutcome {
    pub path: String,
    pub status: AddStatus,
    pub item: Option<String>,
    pub sha256: Option<String>,
    pub error: Option<String>,
    /// the kinds of identifying metadata the file carries (`gps`,
    /// `device_serial`, `author`), never their values
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identifying: Vec<&'static str>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddSummary {
    pub added: u64,
    pub duplicate: u64,
    pub rejected: u64,
    pub bytes_added: u64,
    /// the log size after the run's checkpoint
    pub log_size: u64,
}

/// Sees an add run as it goes: for progress bars and streaming output.
pub trait AddObserver {
    /// a file is about to be read (`size` if known)
    fn file_started(&mut self, _path: &str, _size: Option<u64>) {}
    /// bytes of the current file have been hashed and written
    fn bytes_done(&mut self, _bytes: u64) {}
    /// an outcome is final (durable, if added)
    fn outcome(&mut self, outcome: &AddOutcome);
}

impl<F: FnMut(&AddOutcome)> AddObserver for F {
    fn outcome(&mut self, outcome: &AddOutcome) {
        self(outcome)
    }
}

impl Archive {
    /// Adds files, folders and containers. Per-file problems become
    /// `rejected` outcomes; an `Err` means the run itself failed (the
    /// archive is left consistent and the next open repairs it).
    pub fn add(
        &mut self,
        inputs: &[PathBuf],
        config: &AddConfig,
        observer: &mut dyn AddObserver,
    ) -> Result<AddSummary> {
        // Fail before adding anything if the run could not sign its
        // checkpoint or the log it would extend is damaged.
        self.signer()?;
        if config.sensitivity == Sensitivity::Sealed {
            self.keyring()?;
        }
        self.publish()?;
        let log = self.log();
        crate::log::load_edge(&log, &log.open_checkpoint(&self.verifier)?)?;
        let mut run = AddRun {
            archive: self,
            config,
            observer,
            batch: Batch::default(),
            summary: AddSummary::default(),
            added: Vec::new(),
        };
        for input in inputs {
            run.add_input(input)?;
        }
        run.commit_batch()?;
        let mut summary = run.summary;
        let added = run.added;
        if config.sensitivity == Sensitivity::Public {
            // Each is durable already; publishing is a logged record version.
            for id in &added {
                self.publish_record(id, &config.actor, "added as public")?;
            }
        }
        summary.log_size = self.publish()?;
        self.update_index_quietly();
        Ok(summary)
    }
}

/// One file to add sealed from a reader rather than a path: the server's
/// sealed uploads and intake, whose plaintext never touches the disk.
pub(crate) struct ReaderSource<'r> {
    /// the original file name (sealed with the item; used to guess its media type)
    pub(crate) name: String,
    pub(crate) reader: &'r mut dyn Read,
}

impl Archive {
    /// Adds each reader's bytes as one sealed item, all or nothing: every
    /// file is staged (encrypted on its way into its object) before any is
    /// committed, and if one cannot be read nothing is stored. The new
    /// item ids, in order. Errors name files by position, never by their
    /// (sealed) names.
    pub(crate) fn add_sealed_readers(&mut self, sources: Vec<ReaderSource<'_>>, actor: &str) -> Result<Vec<String>> {
        self.signer()?;
        self.keyring()?;
        self.publish()?;
        let log = self.log();
        crate::log::load_edge(&log, &log.open_checkpoint(&self.verifier)?)?;
        let config = AddConfig {
            actor: actor.to_owned(),
            unpack: false,
            sensitivity: Sensitivity::Sealed,
            // One batch for the whole call: nothing commits before all are staged.
            batch_items: 1 << 20,
            batch_bytes: u64::MAX,
            batch_age: Duration::from_secs(1 << 40),
            ..AddConfig::default()
        };
        let mut ignore = |_: &AddOutcome| {};
        let mut run = AddRun {
            archive: self,
            config: &config,
            observer: &mut ignore,
            batch: Batch::default(),
            summary: AddSummary::default(),
            added: Vec::new(),
        };
        let mut staged: Vec<Box<StagedItem>> = Vec::new();
        let mut failure = None;
        for (position, source) in sources.into_iter().enumerate() {
            let source = Source {
                display: source.name.clone(),
                original_name: source.name.clone(),
                original_path: source.name,
                modified: None,
                provenance: Provenance {
                    container: None,
                    member: None,
                    path_bytes_hex: None,
                    derived_from: None,
                    identifying: Vec::new(),
                },
                limit: u64::MAX,
                reader: source.reader,
            };
            match run.stage(source, None, |_| Ok(())) {
                Ok(Ok(Staged::New(item))) => staged.push(item),
                Ok(Ok(Staged::Duplicate { .. })) => {
                    failure = Some(ArchiveError::Invalid(format!("file {} was taken for a duplicate", position + 1)));
                }
                Ok(Err(reason)) => {
                    failure = Some(ArchiveError::Invalid(format!("file {} cannot be added: {reason}", position + 1)));
                }
                Err(error) => failure = Some(error),
            }
            if failure.is_some() {
                break;
            }
        }
        if let Some(error) = failure {
            for item in staged {
                item.staged.abandon();
            }
            return Err(error);
        }
        for (position, item) in staged.into_iter().enumerate() {
            run.finish_stage(format!("file {}", position + 1), Ok(Ok(Staged::New(item))))?;
        }
        run.commit_batch()?;
        let added = run.added;
        self.publish()?;
        self.update_index_quietly();
        Ok(added)
    }
}

/// What a staged item becomes once its batch commits.
struct StagedItem {
    staged: StagedObject,
    record: ItemRecord,
    entry: Vec<u8>,
    /// a sealed item's keys, stored before the item commits
    sealed: Option<SealedItemRow>,
    /// the kinds of identifying metadata found in its file
    identifying: Vec<&'static str>,
}

enum Pending {
    Added { path: String, item: usize, identifying: Vec<&'static str> },
    Duplicate { path: String, item: String, sha256: String },
    Rejected { path: String, error: String },
}

#[derive(Default)]
struct Batch {
    items: Vec<StagedItem>,
    outcomes: Vec<Pending>,
    bytes: u64,
    /// digests staged in this batch, so duplicates within a batch are caught
    staged_digests: HashMap<String, String>,
    started: Option<Instant>,
}

struct AddRun<'a> {
    archive: &'a mut Archive,
    config: &'a AddConfig,
    observer: &'a mut dyn AddObserver,
    batch: Batch,
    summary: AddSummary,
    /// the ids reported `added`, in order
    added: Vec<String>,
}

/// Where an item's bytes came from, for its metadata record.
#[derive(Clone, Debug, Serialize)]
struct Provenance {
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<Container>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<String>,
    /// the raw bytes of the original path, when it is not valid UTF-8
    #[serde(skip_serializing_if = "Option::is_none")]
    path_bytes_hex: Option<String>,
    /// what the file was derived from, when it is the output of an analysis
    #[serde(skip_serializing_if = "Option::is_none")]
    derived_from: Option<serde_json::Value>,
    /// the kinds of identifying metadata in the file (never their values)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    identifying: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
struct Container {
    path: String,
    sha256: String,
    format: &'static str,
}

/// The metadata record stored as `evident.json` in each object.
#[derive(Serialize)]
struct MetadataRecord<'a> {
    format: &'static str,
    id: &'a str,
    file: &'a str,
    sha256: &'a str,
    size: u64,
    media_type: &'a str,
    original_name: &'a str,
    original_path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified: Option<&'a str>,
    added_by: &'a str,
    added_at: &'a str,
    provenance: &'a Provenance,
}

/// The metadata record (`evident.json`) of a sealed item's object: only
/// what is public anyway, and the sealed box of the rest.
#[derive(Serialize)]
struct SealedMetadataRecord<'a> {
    format: &'static str,
    id: &'a str,
    file: &'a str,
    /// of the sealed stream
    sha256: &'a str,
    size: u64,
    added_by: &'a str,
    added_at: &'a str,
    /// base64 of the sealed metadata box (kind `F`, field `item.metadata`)
    sealed_metadata: &'a str,
}

/// One source of bytes to become an item.
struct Source<'s> {
    /// what outcomes call it
    display: String,
    original_name: String,
    original_path: String,
    modified: Option<String>,
    provenance: Provenance,
    /// the most bytes the reader may yield
    limit: u64,
    reader: &'s mut dyn Read,
}

impl AddRun<'_> {
    fn add_input(&mut self, input: &Path) -> Result<()> {
        let mut visited = HashSet::new();
        self.add_path(input, &mut visited)
    }

    fn add_path(&mut self, path: &Path, visited: &mut HashSet<(u64, u64)>) -> Result<()> {
        let shown = match &self.config.relative_to {
            Some(base) => path.strip_prefix(base).unwrap_or(path),
            None => path,
        };
        let display = shown.to_string_lossy().into_owned();
        // Follows symbolic links: an input named by the user, or found in a
        // folder, means what it points to. Loops end in ELOOP or in a folder
        // seen twice.
        let metadata = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => return self.reject(display, describe_io(&e)),
        };
        let kind = metadata.file_type();
        if kind.is_dir() {
            if !visited.insert((metadata.dev(), metadata.ino())) {
                return self.reject(display, "symbolic link loop: this folder was already visited".to_owned());
            }
            let mut children = match fs::read_dir(path).and_then(|d| d.collect::<io::Result<Vec<_>>>()) {
                Ok(children) => children,
                Err(e) => return self.reject(display, format!("cannot read folder: {}", describe_io(&e))),
            };
            children.sort_by_key(|c| c.file_name());
            for child in children {
                self.add_path(&child.path(), visited)?;
            }
            return Ok(());
        }
        if !kind.is_file() {
            return self.reject(display, format!("not a regular file ({})", describe_file_type(&kind)));
        }
        if self.config.unpack
            && let Some(format) = container_format(path)
        {
            return self.add_container(path, display, format);
        }
        self.add_regular_file(path, display)
    }

    fn add_regular_file(&mut self, path: &Path, display: String) -> Result<()> {
        let mut file = match open_regular(path) {
            Ok(file) => file,
            Err(error) => return self.reject(display, error),
        };
        let before = match file.metadata() {
            Ok(m) => m,
            Err(e) => return self.reject(display, describe_io(&e)),
        };
        let original_name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| display.clone());
        let path_bytes_hex =
            std::str::from_utf8(path.as_os_str().as_bytes()).is_err().then(|| hex::encode(path.as_os_str().as_bytes()));
        let modified = before.modified().ok().map(|t| format_rfc3339(t.into()));
        let mut reader = ChangeGuard { file: &mut file, expected: before.len(), read: 0 };
        let source = Source {
            display: display.clone(),
            original_name,
            original_path: display.clone(),
            modified,
            provenance: Provenance {
                container: None,
                member: None,
                path_bytes_hex,
                derived_from: self.config.derived_from.clone(),
                identifying: Vec::new(),
            },
            limit: u64::MAX,
            reader: &mut reader,
        };
        let staged = self.stage(source, Some(before.len()), |_| {
            // The file must look the same after reading as before: same size,
            // same modification time, and exactly that many bytes read.
            let after = file_metadata_after(path)?;
            if after.len() != before.len()
                || after.mtime() != before.mtime()
                || after.mtime_nsec() != before.mtime_nsec()
            {
                return Err("the file changed while it was being read; add it again once it is complete".to_owned());
            }
            Ok(())
        });
        self.finish_stage(display, staged)
    }

    /// Reads a container, making each regular member an item.
    fn add_container(&mut self, path: &Path, display: String, format: ContainerFormat) -> Result<()> {
        let sha256 = match hash_file(path) {
            Ok(digest) => digest,
            Err(e) => return self.reject(display, format!("cannot read: {}", describe_io(&e))),
        };
        let container = Container { path: display.clone(), sha256, format: format.name() };
        match format {
            ContainerFormat::Zip => self.add_zip(path, display, container),
            ContainerFormat::Tar | ContainerFormat::TarGz => self.add_tar(path, display, container, format),
        }
    }

    fn add_zip(&mut self, path: &Path, display: String, container: Container) -> Result<()> {
        let file = match open_regular(path) {
            Ok(file) => file,
            Err(error) => return self.reject(display, error),
        };
        let mut zip = match zip::ZipArchive::new(io::BufReader::new(file)) {
            Ok(zip) => zip,
            Err(e) => return self.reject(display, format!("corrupt or unsupported zip archive: {e}")),
        };
        let mut unpacked: u64 = 0;
        for index in 0..zip.len() {
            let mut member = match zip.by_index(index) {
                Ok(member) => member,
                Err(e) => {
                    self.reject(format!("{display}!/#{index}"), format!("corrupt zip member: {e}"))?;
                    continue;
                }
            };
            let raw_name = String::from_utf8_lossy(member.name_raw()).into_owned();
            let member_display = format!("{display}!/{raw_name}");
            if member.is_dir() {
                continue;
            }
            if member.is_symlink() {
                self.reject(member_display, "not a regular file (symbolic link in the archive)".to_owned())?;
                continue;
            }
            let Some(safe_name) = member.enclosed_name().filter(|p| is_safe_member_path(p)) else {
                self.reject(member_display, "unsafe member path (absolute or with ..); refused".to_owned())?;
                continue;
            };
            let declared = member.size();
            let compressed = member.compressed_size().max(1);
            if declared > (1 << 20) && declared / compressed > self.config.max_expansion_ratio {
                self.reject(
                    member_display,
                    format!(
                        "expands {}:1 ({declared} bytes from {compressed}), over the limit of {}:1; refused as a likely zip bomb",
                        declared / compressed,
                        self.config.max_expansion_ratio
                    ),
                )?;
                continue;
            }
            if unpacked.saturating_add(declared) > self.config.max_unpacked_bytes {
                self.reject(
                    member_display,
                    format!(
                        "the archive unpacks to more than the limit of {} bytes; refused",
                        self.config.max_unpacked_bytes
                    ),
                )?;
                continue;
            }
            unpacked += declared;
            let member_path = safe_name.to_string_lossy().into_owned();
            let original_name =
                safe_name.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| member_path.clone());
            let modified = member.last_modified().and_then(zip_time);
            let source = Source {
                display: member_display.clone(),
                original_name,
                original_path: member_path.clone(),
                modified,
                provenance: Provenance {
                    container: Some(container.clone()),
                    member: Some(member_path),
                    path_bytes_hex: None,
                    derived_from: self.config.derived_from.clone(),
                    identifying: Vec::new(),
                },
                limit: declared,
                reader: &mut MemberReader { inner: &mut member },
            };
            // The zip reader checks each member's CRC-32 at its end and
            // returns an error if it differs, which rejects the member.
            let staged = self.stage(source, Some(declared), |size| {
                if size != declared {
                    return Err(format!("member holds {size} bytes but its header says {declared}"));
                }
                Ok(())
            });
            self.finish_stage(member_display, staged)?;
        }
        Ok(())
    }

    fn add_tar(&mut self, path: &Path, display: String, container: Container, format: ContainerFormat) -> Result<()> {
        let file = match open_regular(path) {
            Ok(file) => file,
            Err(error) => return self.reject(display, error),
        };
        let buffered = io::BufReader::new(file);
        let stream: Box<dyn Read> = match format {
            ContainerFormat::TarGz => Box::new(flate2::read::MultiGzDecoder::new(buffered)),
            _ => Box::new(buffered),
        };
        let limit = self.config.max_unpacked_bytes;
        let mut archive =
            tar::Archive::new(LimitedReader { inner: stream, remaining: limit.saturating_add(1 << 20), limit });
        let entries = match archive.entries() {
            Ok(entries) => entries,
            Err(e) => return self.reject(display, format!("corrupt tar archive: {e}")),
        };
        let mut seen_any = false;
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    let what = if seen_any {
                        "corrupt tar archive: the rest of it is unreadable"
                    } else {
                        "corrupt tar archive"
                    };
                    return self.reject(display, format!("{what}: {e}"));
                }
            };
            seen_any = true;
            let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let member_display = format!("{display}!/{raw_name}");
            let kind = entry.header().entry_type();
            if kind.is_dir()
                || kind.is_pax_global_extensions()
                || kind.is_pax_local_extensions()
                || kind.is_gnu_longname()
                || kind.is_gnu_longlink()
            {
                continue;
            }
            if !(kind.is_file() || kind.is_contiguous()) {
                self.reject(member_display, format!("not a regular file ({kind:?} in the archive)"))?;
                continue;
            }
            let member_path = match entry.path() {
                Ok(p) if is_safe_member_path(&p) => p.into_owned(),
                _ => {
                    self.reject(member_display, "unsafe member path (absolute or with ..); refused".to_owned())?;
                    continue;
                }
            };
            let declared = entry.size();
            let member_name = member_path.to_string_lossy().into_owned();
            let original_name = member_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| member_name.clone());
            let modified = entry
                .header()
                .mtime()
                .ok()
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t as i64).ok())
                .map(format_rfc3339);
            let source = Source {
                display: member_display.clone(),
                original_name,
                original_path: member_name.clone(),
                modified,
                provenance: Provenance {
                    container: Some(container.clone()),
                    member: Some(member_name),
                    path_bytes_hex: None,
                    derived_from: self.config.derived_from.clone(),
                    identifying: Vec::new(),
                },
                limit: declared,
                reader: &mut MemberReader { inner: &mut entry },
            };
            let staged = self.stage(source, Some(declared), |size| {
                if size != declared {
                    return Err(format!(
                        "member holds {size} bytes but its header says {declared}; the archive is truncated"
                    ));
                }
                Ok(())
            });
            self.finish_stage(member_display, staged)?;
        }
        Ok(())
    }

    /// Streams a source into a staged object. `Ok(Err(reason))` rejects the
    /// file; `Err` aborts the run (the staging area or the store failed).
    fn stage(
        &mut self,
        source: Source<'_>,
        size_hint: Option<u64>,
        check_after: impl FnOnce(u64) -> Result<(), String>,
    ) -> Result<Result<Staged, String>> {
        self.observer.file_started(&source.display, size_hint);
        let id = new_item_id()?;
        let mut draft = ObjectDraft::new(&self.archive.layout.tmp(), id.as_str())?;
        // Identifying metadata is looked for in a copy kept in memory as
        // the file streams by (`crates/extract/src/identifying.rs`).
        let kept = IdentifyingProbe::buffer(size_hint);
        let Source { display, original_name, original_path, modified, provenance, limit, reader } = source;
        let mut probe = IdentifyingProbe { inner: reader, kept: kept.clone() };
        let mut source =
            Source { display, original_name, original_path, modified, provenance, limit, reader: &mut probe };
        if self.config.sensitivity == Sensitivity::Sealed {
            return self.stage_sealed(source, id, draft, check_after, &kept);
        }
        let file_name = logical_file_name(&source.original_name);
        let mut sniffer = Sniffer { inner: source.reader, head: Vec::new(), observer: &mut *self.observer };
        let digest = match draft.add_file(&file_name, &mut sniffer, source.limit) {
            Ok(digest) => digest,
            Err(error) => {
                draft.abandon();
                return match error {
                    ObjectsError::Source(message) => Ok(Err(message)),
                    ObjectsError::TooLarge { limit, .. } => Ok(Err(format!(
                        "yields more than its declared {limit} bytes; refused (corrupt archive or decompression bomb)"
                    ))),
                    other => Err(other.into()),
                };
            }
        };
        let head = std::mem::take(&mut sniffer.head);
        if let Err(reason) = check_after(digest.size) {
            draft.abandon();
            return Ok(Err(reason));
        }
        let identifying = IdentifyingProbe::kinds(&kept);
        if let Some(reason) = self.refuse_identifying(&identifying) {
            draft.abandon();
            return Ok(Err(reason));
        }
        source.provenance.identifying = identifying.clone();
        if let Some(existing) = self.existing_item(&digest.sha256)? {
            draft.abandon();
            return Ok(Ok(Staged::Duplicate { item: existing, sha256: digest.sha256 }));
        }
        let media_type = detect_media_type(&head, &source.original_name);
        let added_at = now_rfc3339();
        let actor = self.config.actor.clone();
        let provenance_json =
            serde_json::to_string(&source.provenance).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let record = MetadataRecord {
            format: "evident-item/1",
            id: id.as_str(),
            file: &file_name,
            sha256: &digest.sha256,
            size: digest.size,
            media_type: &media_type,
            original_name: &source.original_name,
            original_path: &source.original_path,
            modified: source.modified.as_deref(),
            added_by: &actor,
            added_at: &added_at,
            provenance: &source.provenance,
        };
        let (staged, inventory) = finish_draft(draft, &record, &added_at, &actor)?;
        let entry = LogEntry::item_add(
            &id,
            added_at.clone(),
            actor.clone(),
            &inventory,
            vec![EntryFile { name: file_name.clone(), sha256: digest.sha256.clone(), size: digest.size }],
        )
        .encode()
        .map_err(|e| ArchiveError::Invalid(format!("log entry for {}: {e}", source.display)))?;
        let item = ItemRecord {
            id: id.to_string(),
            sha256: digest.sha256,
            size: digest.size,
            media_type,
            original_name: source.original_name,
            original_path: source.original_path,
            file_name,
            modified: source.modified,
            added_by: actor,
            added_at,
            provenance: Some(provenance_json),
            inventory_digest: inventory.to_string(),
            version: "v1".to_owned(),
            log_index: 0,
        };
        Ok(Ok(Staged::New(Box::new(StagedItem { staged, record: item, entry, sealed: None, identifying }))))
    }

    /// Why a file with identifying metadata may not be added as it is, if
    /// it may not: only public items are refused, unless allowed.
    fn refuse_identifying(&self, identifying: &[&'static str]) -> Option<String> {
        if identifying.is_empty() || self.config.sensitivity != Sensitivity::Public || self.config.allow_identifying {
            return None;
        }
        Some(format!(
            "carries identifying metadata ({}), which must not be published; add it as restricted or sealed and \
             publish a copy made with `evident redact ITEM` (which strips it), or pass --allow-identifying",
            identifying.join(", ")
        ))
    }

    /// Stages a sealed item: the file is encrypted on its way into the
    /// object (only ciphertext is written, and hashed for the inventory),
    /// its metadata is sealed, and its entry carries a salted commitment.
    /// Sealed items are never looked up as duplicates: the plaintext digest
    /// is not stored anywhere it could be compared.
    fn stage_sealed(
        &mut self,
        source: Source<'_>,
        id: ItemId,
        mut draft: ObjectDraft,
        check_after: impl FnOnce(u64) -> Result<(), String>,
        kept: &IdentifyingBuffer,
    ) -> Result<Result<Staged, String>> {
        let mut source = source;
        let object = crate::seal::object_id(id.as_str())?;
        let (key, wrapped) = self.archive.keyring()?.new_data_key(&object).map_err(seal_error)?;
        let mut sniffer = Sniffer { inner: source.reader, head: Vec::new(), observer: &mut *self.observer };
        let limit = match source.limit {
            u64::MAX => u64::MAX,
            limit => evident_seal::sealed_stream_len(limit),
        };
        // A file over a MiB (or of unknown size) is encrypted on its own
        // thread beside reading and hashing + writing (`seal_pipeline.rs`);
        // a small one inline, where a thread would cost more than it saves.
        let (added, sealed) = if source.limit <= crate::seal_pipeline::PIPELINE_MIN_BYTES {
            let mut encrypting = EncryptingReader::new(&key, &object, &mut sniffer, source.limit)?;
            let added = draft.add_file(SEALED_FILE_NAME, &mut encrypting, limit);
            (added, Ok(encrypting.plaintext_digest()))
        } else {
            crate::seal_pipeline::encrypt_pipelined(&key, &object, &mut sniffer, source.limit, |reader| {
                draft.add_file(SEALED_FILE_NAME, reader, limit)
            })
        };
        let head = zeroize::Zeroizing::new(std::mem::take(&mut sniffer.head));
        let added = match (added, sealed) {
            (Ok(digest), Ok(plaintext)) => Ok((digest, plaintext)),
            (Ok(_), Err(reason)) => Err(ObjectsError::Source(reason)),
            (Err(error), _) => Err(error),
        };
        let (digest, (sha256, size)) = match added {
            Ok(digest) => digest,
            Err(error) => {
                draft.abandon();
                return match error {
                    ObjectsError::Source(message) => Ok(Err(message)),
                    ObjectsError::TooLarge { limit, .. } => Ok(Err(format!(
                        "yields more than its declared {limit} bytes; refused (corrupt archive or decompression bomb)"
                    ))),
                    other => Err(other.into()),
                };
            }
        };
        if let Err(reason) = check_after(size) {
            draft.abandon();
            return Ok(Err(reason));
        }
        // Only the kinds go into the sealed metadata, never the values.
        let identifying = IdentifyingProbe::kinds(kept);
        source.provenance.identifying = identifying.clone();
        let added_at = now_rfc3339();
        let actor = self.config.actor.clone();
        let provenance_json =
            serde_json::to_string(&source.provenance).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let view = SealedItemView {
            id: id.to_string(),
            original_name: source.original_name,
            original_path: source.original_path,
            modified: source.modified,
            media_type: detect_media_type(&head, &source.display),
            size,
            sha256: hex::encode(sha256),
            provenance: Some(provenance_json),
        };
        let parts = crate::seal::seal_parts(&key, &wrapped, &object, &view, &sha256)?;
        drop(view);
        let record = SealedMetadataRecord {
            format: "evident-sealed-item/1",
            id: id.as_str(),
            file: SEALED_FILE_NAME,
            sha256: &digest.sha256,
            size: digest.size,
            added_by: &actor,
            added_at: &added_at,
            sealed_metadata: &base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &parts.sealed_metadata,
            ),
        };
        let (staged, inventory) = finish_draft(draft, &record, &added_at, &actor)?;
        let entry = LogEntry::sealed_item_add(
            &id,
            added_at.clone(),
            actor.clone(),
            &inventory,
            vec![EntryCommitment { name: SEALED_FILE_NAME.to_owned(), commitment: parts.commitment.clone() }],
        )
        .encode()
        .map_err(|e| ArchiveError::Invalid(format!("log entry for {}: {e}", source.display)))?;
        let item = ItemRecord {
            id: id.to_string(),
            sha256: digest.sha256,
            size: digest.size,
            media_type: SEALED_MEDIA_TYPE.to_owned(),
            original_name: SEALED_PLACEHOLDER.to_owned(),
            original_path: SEALED_PLACEHOLDER.to_owned(),
            file_name: SEALED_FILE_NAME.to_owned(),
            modified: None,
            added_by: actor,
            added_at,
            provenance: None,
            inventory_digest: inventory.to_string(),
            version: "v1".to_owned(),
            log_index: 0,
        };
        let sealed = SealedItemRow {
            item_id: id.to_string(),
            wrapped_key: parts.wrapped_key,
            sealed_salt: parts.sealed_salt,
            sealed_metadata: parts.sealed_metadata,
        };
        Ok(Ok(Staged::New(Box::new(StagedItem { staged, record: item, entry, sealed: Some(sealed), identifying }))))
    }

    fn existing_item(&self, sha256: &str) -> Result<Option<String>> {
        if let Some(id) = self.batch.staged_digests.get(sha256) {
            return Ok(Some(id.clone()));
        }
        Ok(self.archive.store.item_by_sha256(sha256)?.map(|item| item.id))
    }

    fn finish_stage(&mut self, display: String, staged: Result<Result<Staged, String>>) -> Result<()> {
        match staged? {
            Err(error) => self.reject(display, error),
            Ok(Staged::Duplicate { item, sha256 }) => {
                self.batch.outcomes.push(Pending::Duplicate { path: display, item, sha256 });
                self.maybe_commit()
            }
            Ok(Staged::New(staged)) => {
                self.batch.started.get_or_insert_with(Instant::now);
                self.batch.bytes += staged.record.size;
                if staged.sealed.is_none() {
                    self.batch.staged_digests.insert(staged.record.sha256.clone(), staged.record.id.clone());
                }
                self.batch.outcomes.push(Pending::Added {
                    path: display,
                    item: self.batch.items.len(),
                    identifying: staged.identifying.clone(),
                });
                self.batch.items.push(*staged);
                self.maybe_commit()
            }
        }
    }

    fn reject(&mut self, path: String, error: String) -> Result<()> {
        self.batch.outcomes.push(Pending::Rejected { path, error });
        self.maybe_commit()
    }

    fn maybe_commit(&mut self) -> Result<()> {
        let batch = &self.batch;
        let full = batch.items.len() >= self.config.batch_items
            || batch.bytes >= self.config.batch_bytes
            || batch.outcomes.len() >= 4 * self.config.batch_items.max(1)
            || batch.started.is_some_and(|t| t.elapsed() >= self.config.batch_age)
            || (batch.items.is_empty() && !batch.outcomes.is_empty());
        if full { self.commit_batch() } else { Ok(()) }
    }

    /// The commit order (ARCHITECTURE.md): staged bytes durable; pending
    /// markers durable; objects renamed into the storage root; renames
    /// durable; items and log entries committed in one transaction; only
    /// then are outcomes reported.
    fn commit_batch(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        if !batch.items.is_empty() {
            let archive = &mut *self.archive;
            sync_filesystem(&archive.layout.tmp())?;
            let ids: Vec<String> = batch.items.iter().map(|i| i.record.id.clone()).collect();
            archive.store.add_pending(&ids)?;
            // Sealed keys after the pending markers (recovery removes the
            // keys of a pending id that has no item) and before the items.
            let sealed: Vec<SealedItemRow> = batch.items.iter().filter_map(|i| i.sealed.clone()).collect();
            if !sealed.is_empty() {
                archive.store.put_sealed_items(&sealed)?;
            }
            let mut records = Vec::with_capacity(batch.items.len());
            let mut entries = Vec::with_capacity(batch.items.len());
            for item in batch.items {
                archive.objects.install(item.staged)?;
                records.push(item.record);
                entries.push(item.entry);
            }
            sync_filesystem(archive.objects.path())?;
            archive.store.commit_items(&mut records, &entries)?;
            self.report(batch.outcomes, &records);
            if self.archive.store.log_size()? >= self.archive.log().open_checkpoint(&self.archive.verifier)?.size + 4096
            {
                self.archive.publish()?;
            }
        } else {
            self.report(batch.outcomes, &[]);
        }
        Ok(())
    }

    fn report(&mut self, outcomes: Vec<Pending>, records: &[ItemRecord]) {
        for pending in outcomes {
            let outcome = match pending {
                Pending::Added { path, item, identifying } => {
                    let record = &records[item];
                    self.summary.added += 1;
                    self.summary.bytes_added += record.size;
                    self.added.push(record.id.clone());
                    // A sealed item's plaintext digest is never shown (output is often logged).
                    let sealed = record.media_type == SEALED_MEDIA_TYPE;
                    AddOutcome {
                        path,
                        status: AddStatus::Added,
                        item: Some(record.id.clone()),
                        sha256: (!sealed).then(|| record.sha256.clone()),
                        error: None,
                        identifying,
                    }
                }
                Pending::Duplicate { path, item, sha256 } => {
                    self.summary.duplicate += 1;
                    AddOutcome {
                        path,
                        status: AddStatus::Duplicate,
                        item: Some(item),
                        sha256: Some(sha256),
                        error: None,
                        identifying: Vec::new(),
                    }
                }
                Pending::Rejected { path, error } => {
                    self.summary.rejected += 1;
                    AddOutcome {
                        path,
                        status: AddStatus::Rejected,
                        item: None,
                        sha256: None,
                        error: Some(error),
                        identifying: Vec::new(),
                    }
                }
            };
            self.observer.outcome(&outcome);
        }
    }
}

enum Staged {
    New(Box<StagedItem>),
    Duplicate { item: String, sha256: String },
}

#[derive(Clone, Copy, Debug)]
enum ContainerFormat {
    Zip,
    Tar,
    TarGz,
}

impl ContainerFormat {
    fn name(self) -> &'static str {
        match self {
            ContainerFormat::Zip => "zip",
            ContainerFormat::Tar => "tar",
            ContainerFormat::TarGz => "tar.gz",
        }
    }
}

fn container_format(path: &Path) -> Option<ContainerFormat> {
    let name = path.file_name()?.to_string_lossy().to_lowercase();
    if name.ends_with(".zip") {
        Some(ContainerFormat::Zip)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        Some(ContainerFormat::TarGz)
    } else if name.ends_with(".tar") {
        Some(ContainerFormat::Tar)
    } else {
        None
    }
}

fn is_safe_member_path(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Opens a file for reading without blocking on a fifo and refuses
/// anything that turns out not to be a regular file once open.
fn open_regular(path: &Path) -> Result<fs::File, String> {
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| describe_io(&e))?;
    let metadata = file.metadata().map_err(|e| describe_io(&e))?;
    if !metadata.file_type().is_file() {
        return Err(format!("not a regular file ({})", describe_file_type(&metadata.file_type())));
    }
    Ok(file)
}

fn file_metadata_after(path: &Path) -> Result<fs::Metadata, String> {
    fs::metadata(path).map_err(|e| format!("the file changed while it was being read ({})", describe_io(&e)))
}

fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = open_regular(path).map_err(io::Error::other)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    file.rewind()?;
    Ok(hex::encode(hasher.finalize()))
}

fn describe_io(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) if code == rustix::io::Errno::LOOP.raw_os_error() => {
            "symbolic link loop (too many levels of symbolic links)".to_owned()
        }
        _ => match error.kind() {
            io::ErrorKind::NotFound => "no such file or folder".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => error.to_string(),
        },
    }
}

fn describe_file_type(kind: &fs::FileType) -> &'static str {
    if kind.is_fifo() {
        "a fifo"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a folder"
    } else {
        "an unknown kind of file"
    }
}

pub(crate) fn new_item_id() -> Result<ItemId> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|e| ArchiveError::Invalid(format!("no randomness for an item id: {e}")))?;
    let millis =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    Ok(ItemId::new(millis, random))
}

/// `file.<ext>` when the original name has a short alphanumeric extension,
/// else `file`: the name a standard OCFL tool shows for the evidence bytes.
/// The original name itself stays in the metadata record.
fn logical_file_name(original_name: &str) -> String {
    match Path::new(original_name).extension().and_then(|e| e.to_str()) {
        Some(ext) if !ext.is_empty() && ext.len() <= 10 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            format!("file.{}", ext.to_ascii_lowercase())
        }
        _ => "file".to_owned(),
    }
}

fn detect_media_type(head: &[u8], name: &str) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    let ext = Path::new(name).extension().and_then(|e| e.to_str()).map(|e| e.to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("html" | "htm") => Some("text/html"),
        Some("csv") => Some("text/csv"),
        Some("json") => Some("application/json"),
        Some("geojson") => Some("application/geo+json"),
        Some("jsonl" | "ndjson") => Some("application/jsonl"),
        Some("xml") => Some("application/xml"),
        Some("md") => Some("text/markdown"),
        Some("eml") => Some("message/rfc822"),
        Some("txt") => Some("text/plain"),
        _ => None,
    };
    if let Some(mime) = by_ext {
        return mime.to_owned();
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // a multi-byte character cut at the end of the sniffed head is still text
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    if !head.is_empty() && text && !head.contains(&0) {
        "text/plain".to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

fn zip_time(time: zip::DateTime) -> Option<String> {
    let month = time::Month::try_from(time.month()).ok()?;
    let date = time::Date::from_calendar_date(i32::from(time.year()), month, time.day()).ok()?;
    let clock = time::Time::from_hms(time.hour(), time.minute(), time.second()).ok()?;
    Some(format_rfc3339(time::PrimitiveDateTime::new(date, clock).assume_utc()))
}

/// Writes an object's `evident.json` (`record`), finishes its first
/// version as `actor` at `added_at`, and returns the staged object with
/// its inventory digest (what the log entry commits to).
fn finish_draft(
    mut draft: ObjectDraft,
    record: &impl Serialize,
    added_at: &str,
    actor: &str,
) -> Result<(StagedObject, Sha256Hex)> {
    let mut record_json = serde_json::to_vec_pretty(record).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
    record_json.push(b'\n');
    draft.add_bytes("evident.json", &record_json)?;
    let staged = draft.finish(VersionInfo {
        created: added_at.to_owned(),
        message: "evident add".to_owned(),
        user_name: actor.to_owned(),
        user_address: None,
    })?;
    let inventory = Sha256Hex::parse(staged.inventory_digest())
        .map_err(|detail| ArchiveError::Corrupted { what: "staged inventory digest".to_owned(), detail })?;
    Ok((staged, inventory))
}

/// Keeps the first bytes for media type detection and reports progress.
/// A copy of a file's first [`evident_extract::MAX_INPUT_BYTES`], kept in
/// memory only (wiped when dropped; `None` once the file was longer).
type IdentifyingBuffer = std::rc::Rc<std::cell::RefCell<Option<zeroize::Zeroizing<Vec<u8>>>>>;

/// Keeps a copy of what passes through, for identifying-metadata detection.
struct IdentifyingProbe<'a> {
    inner: &'a mut dyn Read,
    kept: IdentifyingBuffer,
}

impl IdentifyingProbe<'_> {
    /// An empty copy, with room for a file of `size_hint` bytes (one
    /// allocation instead of a doubling series of copies); none at all for
    /// a file known to be too large to keep.
    fn buffer(size_hint: Option<u64>) -> IdentifyingBuffer {
        let limit = evident_extract::MAX_INPUT_BYTES;
        let kept = match size_hint {
            Some(size) if size > limit => None,
            Some(size) => Some(zeroize::Zeroizing::new(Vec::with_capacity(size as usize))),
            None => Some(zeroize::Zeroizing::new(Vec::new())),
        };
        std::rc::Rc::new(std::cell::RefCell::new(kept))
    }

    /// The kinds of identifying metadata in the kept copy (none for a file
    /// too large to keep), and the copy dropped.
    fn kinds(kept: &IdentifyingBuffer) -> Vec<&'static str> {
        match kept.borrow_mut().take() {
            Some(bytes) => evident_extract::identifying_metadata(&bytes).into_iter().map(|k| k.as_str()).collect(),
            None => Vec::new(),
        }
    }
}

impl Read for IdentifyingProbe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut kept = self.kept.borrow_mut();
        if let Some(bytes) = kept.as_mut() {
            if bytes.len() + n > evident_extract::MAX_INPUT_BYTES as usize {
                *kept = None;
            } else {
                bytes.extend_from_slice(&buf[..n]);
            }
        }
        Ok(n)
    }
}

struct Sniffer<'a, 'o> {
    inner: &'a mut dyn Read,
    head: Vec<u8>,
    observer: &'o mut dyn AddObserver,
}

const SNIFF_BYTES: usize = 8192;

impl Read for Sniffer<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.head.len() < SNIFF_BYTES {
            let take = n.min(SNIFF_BYTES - self.head.len());
            self.head.extend_from_slice(&buf[..take]);
        }
        self.observer.bytes_done(n as u64);
        Ok(n)
    }
}

/// Reads a regular file and fails if it yields more bytes than it had
/// when opened (it is growing while being read).
struct ChangeGuard<'f> {
    file: &'f mut fs::File,
    expected: u64,
    read: u64,
}

impl Read for ChangeGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if self.read > self.expected {
            return Err(io::Error::other("the file grew while it was being read; add it again once it is complete"));
        }
        Ok(n)
    }
}

/// Says, in a member's read errors, that the container is at fault.
struct MemberReader<'r, R: Read> {
    inner: &'r mut R,
}

impl<R: Read> Read for MemberReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let message = e.to_string();
            if message.contains("limit") {
                e
            } else {
                io::Error::new(e.kind(), format!("corrupt or truncated archive member: {message}"))
            }
        })
    }
}

/// Stops a decompression stream past a byte limit.
struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Err(io::Error::other(format!(
                "the archive unpacks to more than the limit of {} bytes",
                self.limit
            )));
        }
        let max = buf.len().min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_names_keep_only_safe_extensions() {
        assert_eq!(logical_file_name("Report 2016.PDF"), "file.pdf");
        assert_eq!(logical_file_name("noext"), "file");
        assert_eq!(logical_file_name("weird.t x t"), "file");
        assert_eq!(logical_file_name("证词.docx"), "file.docx");
    }

    #[test]
    fn media_types() {
        assert_eq!(detect_media_type(b"%PDF-1.7\n", "x"), "application/pdf");
        assert_eq!(detect_media_type("人权 text".as_bytes(), "x"), "text/plain");
        assert_eq!(detect_media_type(&"人".as_bytes()[..2], "x"), "text/plain");
        assert_eq!(detect_media_type(b"a,b\n1,2\n", "t.csv"), "text/csv");
        assert_eq!(detect_media_type(&[0, 1, 2, 255], "x"), "application/octet-stream");
    }

    #[test]
    fn member_paths() {
        assert!(is_safe_member_path(Path::new("a/b.txt")));
        assert!(!is_safe_member_path(Path::new("../b.txt")));
        assert!(!is_safe_member_path(Path::new("/etc/passwd")));
        assert!(!is_safe_member_path(Path::new("a/../../b")));
    }
}
