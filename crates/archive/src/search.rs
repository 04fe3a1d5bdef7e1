//! Search: text extraction, the index under `DIR/index/`, and bringing it up
//! to date.
//!
//! The index is derived. Each commit of it records the log size it
//! reflects; after any command commits to the store, the entries since that
//! size name the items and records that changed (`entry_objects`), and only
//! those are extracted and indexed again. A crash between the store's commit
//! and the index's leaves the index behind, never wrong: the next update
//! (the next add, edit, search or reindex) catches up. An index that cannot
//! be read, or was written by another version, is deleted and rebuilt.

use std::fs;
use std::io::Read;
use std::time::Instant;

use serde::Serialize;
use serde_json::{Map, Value};

use evident_extract::{Extraction, MAX_INPUT_BYTES};
use evident_search::{Access, IndexDoc, SearchError, SearchIndex, SearchRequest, SearchResults};
use evident_store::{ItemRecord, ItemText, RecordRow};

use crate::{Archive, ArchiveError, Result, now_rfc3339};

/// Items and records indexed per index commit during a rebuild or catch-up.
const BATCH: usize = 256;

/// What a rebuild did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReindexReport {
    pub items: u64,
    pub records: u64,
    /// items whose text was extracted
    pub extracted: u64,
    /// items in formats that have no text (images, audio, video)
    pub no_text: u64,
    /// items whose text could not be extracted, with the reason
    pub failed: Vec<(String, String)>,
    pub seconds: f64,
}

/// Progress of a rebuild, for a progress bar.
pub trait ReindexObserver {
    fn progress(&mut self, done: u64, total: u64);
}

impl<F: FnMut(u64, u64)> ReindexObserver for F {
    fn progress(&mut self, done: u64, total: u64) {
        self(done, total)
    }
}

impl Archive {
    /// Searches, after bringing the index up to date with the store. Only
    /// what `request.access` may see is matched or shown.
    pub fn search(&mut self, request: &SearchRequest) -> Result<SearchResults> {
        self.update_index()?;
        let index = self.open_index()?;
        index.search(request).map_err(search_error)
    }

    /// A search handle on the index as it stands after bringing it up to
    /// date with the store: searches through it need no `&mut Archive` (no
    /// archive lock) and see later commits of this archive's index, so the
    /// server runs many at once.
    pub fn search_handle(&mut self) -> Result<evident_search::SearchHandle> {
        self.update_index()?;
        Ok(self.open_index()?.handle())
    }

    /// Runs a search on a handle from [`Archive::search_handle`], without
    /// the archive: errors as [`Archive::search`] reports them.
    pub fn search_on(handle: &evident_search::SearchHandle, request: &SearchRequest) -> Result<SearchResults> {
        handle.search(request).map_err(search_error)
    }

    /// Who may see an item or record: its `sensitivity` (absent:
    /// restricted). An id that names nothing is `NotFound`.
    ///
    /// A sealed item is `Sealed` whatever its record says: its content is
    /// for named people only, so no role of the web app sees it until
    /// per-person access exists.
    pub fn access_of(&self, id: &str) -> Result<Access> {
        let item = if id.starts_with("itm_") { self.store.item(id)? } else { None };
        if item.as_ref().is_some_and(|item| item.media_type == crate::SEALED_MEDIA_TYPE) {
            return Ok(Access::Sealed);
        }
        match self.store.record(id)? {
            Some(record) => Ok(access_of(&record_fields(&record)?)),
            None if item.is_some() => Ok(Access::Restricted),
            None => Err(ArchiveError::NotFound(format!("no item or record {id} in this archive"))),
        }
    }

    /// What text extraction made of an item, if it ran.
    pub fn item_text(&self, id: &str) -> Result<Option<ItemText>> {
        Ok(self.store.item_text(id)?)
    }

    /// Brings the index up to date after a command committed to the store,
    /// without failing the command: the items and records are stored, and
    /// the index catches up on the next update if this one fails.
    pub(crate) fn update_index_quietly(&mut self) {
        if let Err(error) = self.update_index() {
            tracing::warn!(%error, "the search index is behind; it catches up at the next search or `evident reindex`");
        }
    }

    /// Indexes whatever the log holds beyond what the index reflects.
    pub fn update_index(&mut self) -> Result<()> {
        let size = self.store.log_size()?;
        let indexed = self.open_index()?.log_size();
        match indexed {
            Some(indexed) if indexed == size => return Ok(()),
            Some(indexed) if indexed > size => {
                tracing::warn!(indexed, size, "the search index is ahead of the store; rebuilding it");
                self.reindex(&mut |_, _| {})?;
                return Ok(());
            }
            _ => {}
        }
        let from = indexed.unwrap_or(0);
        let changed = self.store.entry_objects(from, size)?;
        let mut report = ReindexReport::default();
        for chunk in changed.chunks(BATCH) {
            self.index_objects(chunk, &mut report)?;
        }
        self.open_index()?.commit(size).map_err(search_error)?;
        Ok(())
    }

    /// Deletes the index and builds it again from the store and the objects,
    /// extracting every item's text again.
    pub fn reindex(&mut self, observer: &mut dyn ReindexObserver) -> Result<ReindexReport> {
        let started = Instant::now();
        self.search_index = None;
        let dir = self.layout.index();
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(ArchiveError::io("remove the old search index", &dir))?;
        }
        let size = self.store.log_size()?;
        let mut ids: Vec<String> = self.store.items()?.into_iter().map(|item| item.id).collect();
        self.store.for_each_record(None, &mut |row| {
            if !row.id.starts_with("itm_") {
                ids.push(row.id);
            }
            Ok(true)
        })?;
        let total = ids.len() as u64;
        let mut report = ReindexReport::default();
        let mut done = 0;
        for chunk in ids.chunks(BATCH) {
            self.index_objects(chunk, &mut report)?;
            done += chunk.len() as u64;
            observer.progress(done, total);
        }
        let index = self.open_index()?;
        index.commit(size).map_err(search_error)?;
        index.finish_merges().map_err(search_error)?;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// The index, opened (or rebuilt empty if unreadable) on first use.
    fn open_index(&mut self) -> Result<&mut SearchIndex> {
        if self.search_index.is_none() {
            let dir = self.layout.index();
            let index = match SearchIndex::open_or_create(&dir) {
                Ok(index) => index,
                Err(error @ (SearchError::Outdated(_) | SearchError::Corrupted { .. })) => {
                    tracing::warn!(%error, "rebuilding the search index");
                    fs::remove_dir_all(&dir).map_err(ArchiveError::io("remove the old search index", &dir))?;
                    SearchIndex::open_or_create(&dir).map_err(search_error)?
                }
                Err(error) => return Err(search_error(error)),
            };
            self.search_index = Some(index);
        }
        self.search_index.as_mut().ok_or_else(|| ArchiveError::Invalid("search index unavailable".to_owned()))
    }

    /// Indexes items and records by id (an id that names nothing any more,
    /// or a retracted record, is removed), and records extraction results.
    fn index_objects(&mut self, ids: &[String], report: &mut ReindexReport) -> Result<()> {
        let mut docs: Vec<Result<IndexDoc, String>> = Vec::with_capacity(ids.len());
        let mut texts = Vec::new();
        for id in ids {
            // A forgotten item leaves the index (it never had sealed text in it).
            if self.store.forgotten_item(id)?.is_some() {
                docs.push(Err(id.clone()));
                continue;
            }
            if let Some(item) = self.store.item(id)? {
                let record = self.store.record(id)?;
                let (text, extraction) = self.extract_item(&item);
                match &extraction {
                    Extraction::Text(_) => report.extracted += 1,
                    Extraction::NoText { .. } => report.no_text += 1,
                    Extraction::Failed { reason, .. } => report.failed.push((item.id.clone(), reason.clone())),
                }
                texts.push(text);
                report.items += 1;
                docs.push(Ok(item_doc(&item, record.as_ref(), &extraction)));
            } else if let Some(record) = self.store.record(id)?.filter(|record| !record.retracted) {
                report.records += 1;
                docs.push(Ok(record_doc(&record)?));
            } else {
                docs.push(Err(id.clone()));
            }
        }
        if !texts.is_empty() {
            self.store.set_item_texts(&texts)?;
        }
        let index = self.open_index()?;
        for doc in docs {
            match doc {
                Ok(doc) => index.upsert(&doc).map_err(search_error)?,
                Err(id) => index.delete(&id).map_err(search_error)?,
            }
        }
        Ok(())
    }

    /// Reads an item's file (up to the extraction limit) and extracts its
    /// text; the outcome is also what the item's record says about its text.
    pub(crate) fn extract_item(&self, item: &ItemRecord) -> (ItemText, Extraction) {
        // Sealed content is never indexed: the index is plaintext on disk.
        let extraction = if item.media_type == crate::SEALED_MEDIA_TYPE {
            Extraction::NoText { format: "sealed".to_owned() }
        } else if item.size > MAX_INPUT_BYTES {
            // A large video or archive has no text anyway: say that, from its
            // first bytes, rather than "too large".
            match self.read_item_head(item) {
                Ok(head) => match evident_extract::extract(&item.original_name, &head) {
                    no_text @ Extraction::NoText { .. } => no_text,
                    _ => Extraction::Failed {
                        format: "too_large".to_owned(),
                        reason: format!("{} bytes is over the {MAX_INPUT_BYTES}-byte extraction limit", item.size),
                    },
                },
                Err(error) => Extraction::Failed { format: "unreadable".to_owned(), reason: error.to_string() },
            }
        } else {
            match self.read_item(item) {
                Ok(bytes) => evident_extract::extract(&item.original_name, &bytes),
                Err(error) => Extraction::Failed { format: "unreadable".to_owned(), reason: error.to_string() },
            }
        };
        let text = match &extraction {
            Extraction::Text(extracted) => ItemText {
                item_id: item.id.clone(),
                status: "extracted".to_owned(),
                format: extracted.format.clone(),
                lang: extracted.lang.clone(),
                chars: extracted.text.chars().count() as u64,
                detail: extraction_detail(extracted),
                extracted_at: now_rfc3339(),
            },
            Extraction::NoText { format } => ItemText {
                item_id: item.id.clone(),
                status: "no_text".to_owned(),
                format: format.clone(),
                lang: None,
                chars: 0,
                detail: None,
                extracted_at: now_rfc3339(),
            },
            Extraction::Failed { format, reason } => ItemText {
                item_id: item.id.clone(),
                status: if format == "too_large" { "too_large" } else { "failed" }.to_owned(),
                format: format.clone(),
                lang: None,
                chars: 0,
                detail: Some(reason.clone()),
                extracted_at: now_rfc3339(),
            },
        };
        (text, extraction)
    }

    /// The first 64 KiB of an item's file, to recognise its format.
    fn read_item_head(&self, item: &ItemRecord) -> Result<Vec<u8>> {
        let file = self.objects.open_file(&item.id, &item.file_name)?;
        let mut head = Vec::with_capacity(64 * 1024);
        file.take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(ArchiveError::io("read for text extraction", std::path::Path::new(&item.file_name)))?;
        Ok(head)
    }

    fn read_item(&self, item: &ItemRecord) -> Result<Vec<u8>> {
        let file = self.objects.open_file(&item.id, &item.file_name)?;
        let mut bytes = Vec::with_capacity(item.size as usize);
        file.take(MAX_INPUT_BYTES)
            .read_to_end(&mut bytes)
            .map_err(ArchiveError::io("read for text extraction", std::path::Path::new(&item.file_name)))?;
        Ok(bytes)
    }
}

fn extraction_detail(extracted: &evident_extract::Extracted) -> Option<String> {
    let mut notes = Vec::new();
    if let Some(encoding) = &extracted.encoding {
        notes.push(format!("encoding {encoding}"));
    }
    if extracted.truncated {
        notes.push("text truncated at the extraction limit".to_owned());
    }
    if notes.is_empty() { None } else { Some(notes.join("; ")) }
}

fn search_error(error: SearchError) -> ArchiveError {
    match error {
        SearchError::Query(message) | SearchError::Invalid(message) => ArchiveError::Invalid(message),
        other => ArchiveError::Invalid(other.to_string()),
    }
}

/// The search document of a file item: its extracted text and what its
/// item record says.
fn item_doc(item: &ItemRecord, record: Option<&RecordRow>, extraction: &Extraction) -> IndexDoc {
    let mut fields = record.and_then(|record| record_fields(record).ok()).unwrap_or_default();
    // Sealed fields are never indexed, not even as ciphertext (docs/search.md).
    fields.retain(|_, value| evident_core::sealed_box(value).is_none());
    let mut body = String::new();
    let mut langs = Vec::new();
    let mut extracted_title = None;
    if let Extraction::Text(extracted) = extraction {
        body.push_str(&extracted.text);
        langs.extend(extracted.lang.clone());
        for span in &extracted.langs {
            if !langs.contains(&span.lang) {
                langs.push(span.lang.clone());
            }
        }
        extracted_title = extracted.title.clone();
    }
    for value in ["description", "provenance"].iter().filter_map(|name| fields.get(*name)) {
        push_text(&mut body, value);
    }
    if let Some(Value::Array(languages)) = fields.get("languages") {
        for lang in languages.iter().filter_map(Value::as_str) {
            if !langs.iter().any(|known| known == lang) {
                langs.push(lang.to_owned());
            }
        }
    }
    let title = fields
        .get("title")
        .and_then(first_text)
        .or(extracted_title.filter(|title| !title.trim().is_empty()))
        .unwrap_or_else(|| item.original_name.clone());
    // The file name, whole and cut at its punctuation (`img_0042.png` is
    // found by `img`).
    body.push_str("\n\n");
    body.push_str(&item.original_name);
    body.push('\n');
    body.extend(item.original_name.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }));
    let mut facets = Vec::new();
    if let Some(item_type) = fields.get("item_type").and_then(Value::as_str) {
        facets.push(("type".to_owned(), item_type.to_owned()));
    }
    if let Some(source) = fields.get("source").and_then(Value::as_str) {
        facets.push(("source".to_owned(), source.to_owned()));
    }
    let date = ["captured", "created"]
        .iter()
        .find_map(|name| fields.get(*name).and_then(date_start))
        .or_else(|| rfc3339_seconds(&item.added_at));
    IndexDoc {
        id: item.id.clone(),
        kind: "item".to_owned(),
        title,
        body,
        langs,
        // A sealed item's document holds no sealed text (extraction refuses
        // it), and still only named people may learn that it exists.
        access: if item.media_type == crate::SEALED_MEDIA_TYPE { Access::Sealed } else { access_of(&fields) },
        date,
        facets,
    }
}

/// The search document of a record: its text fields as text, its choices
/// and references as facets.
fn record_doc(record: &RecordRow) -> Result<IndexDoc> {
    let mut fields = record_fields(record)?;
    // Sealed fields are never indexed, not even as ciphertext (docs/search.md);
    // a title that would come from one is the placeholder.
    let title_fields = ["name", "names", "name_en", "name_zh", "title", "issue", "text", "description"];
    let sealed_title = title_fields
        .iter()
        .find(|name| fields.contains_key(**name))
        .is_some_and(|name| evident_core::sealed_box(&fields[*name]).is_some());
    fields.retain(|_, value| evident_core::sealed_box(value).is_none());
    let title = title_fields
        .iter()
        .find_map(|name| fields.get(*name).and_then(first_text))
        .filter(|_| !sealed_title)
        .or_else(|| sealed_title.then(|| crate::SEALED_FIELD_TEXT.to_owned()))
        .or_else(|| fields.get("event_type").and_then(Value::as_str).map(|kind| kind.replace('_', " ")))
        .or_else(|| fields.get("relation_type").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| record.id.clone());
    let mut body = String::new();
    for (name, value) in &fields {
        if name != "sensitivity" {
            push_text(&mut body, value);
        }
    }
    let mut facets = Vec::new();
    for (facet, names) in [
        ("type", &["facility_type", "event_type", "relation_type", "item_type"][..]),
        ("group", &["group"][..]),
        ("province", &["province"][..]),
        ("facility", &["facility"][..]),
        ("source", &["source", "claimant"][..]),
    ] {
        for name in names {
            if let Some(value) = fields.get(*name).and_then(Value::as_str) {
                facets.push((facet.to_owned(), value.to_owned()));
            }
        }
    }
    if record.kind == "facility" {
        facets.push(("facility".to_owned(), record.id.clone()));
    }
    let date = ["date", "period", "captured", "created"].iter().find_map(|name| fields.get(*name).and_then(date_start));
    let langs = evident_extract::detect_language(&body).into_iter().collect();
    Ok(IndexDoc {
        id: record.id.clone(),
        kind: record.kind.clone(),
        title,
        body,
        langs,
        access: access_of(&fields),
        date,
        facets,
    })
}

fn record_fields(record: &RecordRow) -> Result<Map<String, Value>> {
    serde_json::from_str(&record.fields)
        .map_err(|e| ArchiveError::Corrupted { what: format!("record {}", record.id), detail: e.to_string() })
}

/// The record's `sensitivity`; absent means restricted.
pub(crate) fn access_of(fields: &Map<String, Value>) -> Access {
    fields
        .get("sensitivity")
        .and_then(Value::as_str)
        .and_then(|text| Access::parse(text).ok())
        .unwrap_or(Access::Restricted)
}

/// Every string in a value, depth first, one per line.
fn push_text(body: &mut String, value: &Value) {
    match value {
        Value::String(text) => {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(text);
        }
        Value::Array(values) => values.iter().for_each(|value| push_text(body, value)),
        Value::Object(map) => {
            // A date's parts repeat its text; only the text is worth indexing.
            if let Some(text) = map.get("text").filter(|_| map.contains_key("precision")) {
                push_text(body, text);
            } else {
                map.values().for_each(|value| push_text(body, value));
            }
        }
        Value::Number(number) => {
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(&number.to_string());
        }
        Value::Bool(_) | Value::Null => {}
    }
}

/// The first text of a text field, a `{lang: text}` object, or a list of
/// person names (`[{name, ...}]`).
fn first_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Object(map) => map.values().find_map(first_text),
        Value::Array(values) => values.iter().find_map(|value| match value {
            Value::Object(map) => map.get("name").and_then(first_text),
            other => first_text(other),
        }),
        _ => None,
    }
}

/// The first day an uncertain date can mean, as seconds since the epoch.
fn date_start(value: &Value) -> Option<i64> {
    let start = value.get("start").and_then(Value::as_str)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(start, format).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp())
}

fn rfc3339_seconds(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|moment| moment.unix_timestamp())
}
