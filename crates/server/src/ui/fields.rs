//! Reading record fields for display: names, dates, references, links.
//!
//! Everything here returns plain text; templates escape it.

use evident_archive::{Access, Archive, RecordView, display_text};
use serde_json::{Map, Value};

/// The prefixes of item and record ids.
const ID_PREFIXES: [&str; 9] = ["itm_", "src_", "per_", "fac_", "evt_", "rel_", "clm_", "fnd_", "ser_"];

/// Whether `text` looks like an item or record id (prefix and a 26-letter ULID).
pub fn is_id(text: &str) -> bool {
    ID_PREFIXES.iter().any(|prefix| {
        text.strip_prefix(prefix)
            .is_some_and(|ulid| ulid.len() == 26 && ulid.chars().all(|c| c.is_ascii_alphanumeric()))
    })
}

/// The page of an id: items at `/items/ID`, records at `/records/ID`.
pub fn href(id: &str) -> String {
    if id.starts_with("itm_") { format!("/items/{id}") } else { format!("/records/{id}") }
}

/// A record's name as lists show it: its name in any of the kind's name
/// fields, else its issue, text, title or description, else its type,
/// else its id.
pub fn display_name(view: &RecordView) -> String {
    name_of_fields(&view.fields).unwrap_or_else(|| view.id.clone())
}

/// The same, from fields alone.
pub fn name_of_fields(fields: &Map<String, Value>) -> Option<String> {
    for key in ["name", "title", "name_en", "name_zh", "issue", "text"] {
        let text = display_text(fields.get(key));
        if !text.trim().is_empty() {
            return Some(text);
        }
    }
    if let Some(Value::Array(names)) = fields.get("names") {
        let joined: Vec<&str> = names.iter().filter_map(|name| name.get("name").and_then(Value::as_str)).collect();
        if !joined.is_empty() {
            return Some(joined.join(" / "));
        }
    }
    for key in ["event_type", "relation_type", "facility_type"] {
        if let Some(kind) = fields.get(key).and_then(Value::as_str) {
            return Some(kind.replace('_', " "));
        }
    }
    let description = display_text(fields.get("description"));
    (!description.trim().is_empty()).then(|| description.chars().take(80).collect())
}

/// A date field as recorded (`"June-July 2017"`), or empty.
pub fn date_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(date)) => date
            .get("text")
            .and_then(Value::as_str)
            .or_else(|| date.get("start").and_then(Value::as_str))
            .unwrap_or("")
            .to_owned(),
        _ => String::new(),
    }
}

/// The first day a date field can mean (`YYYY-MM-DD`), for sorting.
pub fn date_start(value: Option<&Value>) -> Option<String> {
    match value {
        Some(Value::Object(date)) => date.get("start").and_then(Value::as_str).map(str::to_owned),
        Some(Value::String(text)) if text.len() >= 4 && text[..4].chars().all(|c| c.is_ascii_digit()) => {
            Some(text.clone())
        }
        _ => None,
    }
}

/// A field's value as one line of text: text as it is, dates as written,
/// lists joined, anything else as compact JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        // a sealed field, as shown to whoever may not open it (the portal: withheld)
        _ if evident_core::is_sealed_placeholder(value) => evident_archive::SEALED_FIELD_TEXT.to_owned(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => String::new(),
        Value::Object(map) if map.contains_key("precision") && map.contains_key("text") => date_text(Some(value)),
        Value::Object(map) if map.values().all(Value::is_string) => display_text(Some(value)),
        Value::Array(list) if list.iter().all(Value::is_string) => {
            list.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        Value::Array(list) if list.iter().all(Value::is_object) => {
            list.iter().filter_map(Value::as_object).map(entry_text).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// One entry of a list of objects (a name with its script, a custody
/// step, a capacity figure): its `name` or `value` first, the rest after it
/// in brackets as `key: value`.
fn entry_text(entry: &Map<String, Value>) -> String {
    let lead = ["name", "value"].iter().find_map(|key| entry.get(*key).map(|value| (*key, value_text(value))));
    let rest: Vec<String> = entry
        .iter()
        .filter(|(key, _)| lead.as_ref().is_none_or(|(lead_key, _)| lead_key != key))
        .map(|(key, value)| format!("{key}: {}", value_text(value)))
        .collect();
    match (lead, rest.is_empty()) {
        (Some((_, lead)), true) => lead,
        (Some((_, lead)), false) => format!("{lead} ({})", rest.join(", ")),
        (None, _) => rest.join(", "),
    }
}

/// Every id a record's fields refer to, with the field it sits in, in
/// field order, each (field, id) once.
pub fn references_in(fields: &Map<String, Value>) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (name, value) in fields {
        collect_ids(name, value, &mut found);
    }
    found.dedup();
    found
}

fn collect_ids(field: &str, value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if is_id(text) => {
            let pair = (field.to_owned(), text.clone());
            if !found.contains(&pair) {
                found.push(pair);
            }
        }
        Value::Array(list) => list.iter().for_each(|value| collect_ids(field, value, found)),
        Value::Object(map) => map.values().for_each(|value| collect_ids(field, value, found)),
        _ => {}
    }
}

/// A link to an item or record the caller may see.
#[derive(Clone, Debug)]
pub struct Link {
    pub id: String,
    pub href: String,
    pub label: String,
    /// `item`, `person`, ...
    pub kind: String,
    pub retracted: bool,
}

/// A link to `id` with its name, if `access` may see it (else `None`: the
/// page leaves it out, as if it did not exist).
pub fn link(archive: &Archive, id: &str, access: Access) -> Option<Link> {
    let level = archive.access_of(id).ok()?;
    if level > access {
        return None;
    }
    if id.starts_with("itm_") {
        let item = archive.item(id).ok()?;
        let label = archive
            .record(id)
            .ok()
            .and_then(|record| name_of_fields(&record.fields))
            .unwrap_or_else(|| item.original_name.clone());
        return Some(Link { id: id.to_owned(), href: href(id), label, kind: "item".to_owned(), retracted: false });
    }
    let view = archive.record(id).ok()?;
    Some(Link {
        id: id.to_owned(),
        href: href(id),
        label: display_name(&view),
        kind: view.kind.clone(),
        retracted: view.retracted,
    })
}

/// Links to those of `ids` the caller may see.
pub fn links(archive: &Archive, ids: &[String], access: Access) -> Vec<Link> {
    ids.iter().filter_map(|id| link(archive, id, access)).collect()
}

/// The ids in a list field (strings, or objects with a `record` member as
/// an event's participants have).
pub fn ids_in(fields: &Map<String, Value>, name: &str) -> Vec<String> {
    match fields.get(name) {
        Some(Value::String(id)) if is_id(id) => vec![id.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|entry| match entry {
                Value::String(id) => Some(id.clone()),
                Value::Object(map) => map.get("record").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .filter(|id| is_id(id))
            .collect(),
        _ => Vec::new(),
    }
}

/// Human size: `1.2 MB` (`443 bytes` below a kilobyte).
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} bytes") } else { format!("{value:.1} {}", UNITS[unit]) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_dates_and_references_are_read_from_fields() {
        let fields = json!({
            "names": [{"name": "张三"}, {"name": "Zhang San"}],
            "date": {"text": "June-July 2017", "start": "2017-06-01", "end": "2017-07-31", "precision": "month"},
            "participants": [{"record": "per_01J0000000000000000000000A", "role": "detainee"}],
            "items": ["itm_01J0000000000000000000000B", "not an id"],
        });
        let fields = fields.as_object().unwrap();
        assert_eq!(name_of_fields(fields).unwrap(), "张三 / Zhang San");
        assert_eq!(date_text(fields.get("date")), "June-July 2017");
        assert_eq!(date_start(fields.get("date")).unwrap(), "2017-06-01");
        assert_eq!(
            references_in(fields),
            [
                ("items".to_owned(), "itm_01J0000000000000000000000B".to_owned()),
                ("participants".to_owned(), "per_01J0000000000000000000000A".to_owned())
            ]
        );
        assert_eq!(ids_in(fields, "participants"), ["per_01J0000000000000000000000A"]);
        assert_eq!(size_text(1_234_567), "1.2 MB");
        assert_eq!(value_text(&fields["names"]), "张三; Zhang San", "a list of names reads as names");
        assert_eq!(
            value_text(
                &json!([{"name": "Mr. A", "lang": "en", "script": "Latn"}, {"date": "2017", "action": "moved"}])
            ),
            "Mr. A (lang: en, script: Latn); action: moved, date: 2017"
        );
        assert_eq!(href("itm_x"), "/items/itm_x");
    }
}
