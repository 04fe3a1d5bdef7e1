//! Exports for a caller with an access level: only the records that level
//! may see, in the formats of `evident export`.

use std::io::Write;

use evident_core::RecordKind;
use evident_formats::{ExportRecord, Format, RecordWriter};
use evident_search::Access;

use crate::records::parse_fields;
use crate::search::access_of;
use crate::{Archive, ArchiveError, Result};

impl Archive {
    /// Writes the records of a kind (or of all kinds) whose sensitivity is
    /// at or below `access` to `out`; returns how many were written.
    /// Records above it are left out without a trace (not even a count);
    /// sealed fields are written as `{"sealed": true}`.
    pub fn export_visible(
        &self,
        kind: Option<RecordKind>,
        format: Format,
        access: Access,
        out: Box<dyn Write>,
    ) -> Result<u64> {
        let mut writer = RecordWriter::new(out, format, kind).map_err(|e| ArchiveError::Invalid(e.to_string()))?;
        let mut failure = None;
        self.store.for_each_record(kind.map(|k| k.name()), &mut |row| {
            let fields = match parse_fields(&row) {
                Ok(fields) => fields,
                Err(e) => {
                    failure = Some(e);
                    return Ok(false);
                }
            };
            if access_of(&fields) > access {
                return Ok(true);
            }
            // sealed fields as the placeholder: a level is not a grant
            let mut fields = fields;
            crate::sealed_records::mask_sealed_fields(&mut fields);
            let record = ExportRecord { id: row.id, kind: row.kind, retracted: row.retracted, fields };
            if let Err(e) = writer.write(&record) {
                failure = Some(ArchiveError::Invalid(format!("writing the export: {e}")));
                return Ok(false);
            }
            Ok(true)
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        writer.finish().map_err(|e| ArchiveError::Invalid(format!("writing the export: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;
    use crate::InitConfig;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_public_export_holds_only_public_records() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("archive");
        Archive::init(&dir, &InitConfig { origin: "test.example/evident".into(), key_file: None }).unwrap();
        let mut archive = Archive::open(&dir, None).unwrap();
        let public = archive
            .create_record(
                RecordKind::Facility,
                fields(json!({"name_en": "Open Centre", "sensitivity": "public"})),
                "tester",
                "test",
            )
            .unwrap()
            .id;
        let restricted = archive
            .create_record(RecordKind::Facility, fields(json!({"name_en": "Closed Centre"})), "tester", "test")
            .unwrap()
            .id;
        let export = |access| {
            let path = temp.path().join(format!("export-{access}.jsonl"));
            let file = std::fs::File::create(&path).unwrap();
            let count =
                archive.export_visible(Some(RecordKind::Facility), Format::Jsonl, access, Box::new(file)).unwrap();
            (count, std::fs::read_to_string(&path).unwrap())
        };
        let (count, text) = export(Access::Public);
        assert_eq!(count, 1);
        assert!(text.contains(&public) && !text.contains(&restricted) && !text.contains("Closed"), "{text}");
        let (count, text) = export(Access::Restricted);
        assert_eq!(count, 2);
        assert!(text.contains(&public) && text.contains(&restricted), "{text}");
    }
}
