//! Records of the evidence model: sources, people, facilities, events,
//! relations, claims, findings, statistical series, and the descriptive
//! metadata of items.
//!
//! A record is a kind, an id and a JSON object of fields. Each kind has a
//! table of known fields ([`field_specs`]) that [`validate_fields`] checks
//! and normalises (dates become [`UncertainDate`] objects); fields a kind
//! does not know are kept as they are, so imports from other tools lose
//! nothing. References to other records are collected so that the store can
//! refuse a record that points at nothing.

use std::fmt;

use serde_json::{Map, Value};

use crate::id::{check_ulid, ulid_text};
use crate::{DateParse, UncertainDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    Item,
    Source,
    Person,
    Facility,
    Event,
    Relation,
    Claim,
    Finding,
    Series,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Item,
        RecordKind::Source,
        RecordKind::Person,
        RecordKind::Facility,
        RecordKind::Event,
        RecordKind::Relation,
        RecordKind::Claim,
        RecordKind::Finding,
        RecordKind::Series,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Item => "item",
            RecordKind::Source => "source",
            RecordKind::Person => "person",
            RecordKind::Facility => "facility",
            RecordKind::Event => "event",
            RecordKind::Relation => "relation",
            RecordKind::Claim => "claim",
            RecordKind::Finding => "finding",
            RecordKind::Series => "series",
        }
    }

    /// The id prefix: `itm_`, `src_`, `per_`, ...
    pub fn prefix(self) -> &'static str {
        match self {
            RecordKind::Item => "itm_",
            RecordKind::Source => "src_",
            RecordKind::Person => "per_",
            RecordKind::Facility => "fac_",
            RecordKind::Event => "evt_",
            RecordKind::Relation => "rel_",
            RecordKind::Claim => "clm_",
            RecordKind::Finding => "fnd_",
            RecordKind::Series => "ser_",
        }
    }

    pub fn parse(text: &str) -> Result<RecordKind, RecordError> {
        RecordKind::ALL.into_iter().find(|k| k.name() == text.trim().to_ascii_lowercase()).ok_or_else(|| {
            RecordError::UnknownKind(format!(
                "{text:?} is not a record kind; the kinds are {}",
                RecordKind::ALL.map(|k| k.name()).join(", ")
            ))
        })
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A record id: the kind's prefix and a ULID. The kind can be read off the id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

impl RecordId {
    pub fn new(kind: RecordKind, unix_millis: u64, random: [u8; 10]) -> RecordId {
        RecordId(format!("{}{}", kind.prefix(), ulid_text(unix_millis, random)))
    }

    pub fn parse(text: &str) -> Result<RecordId, RecordError> {
        let kind = RecordKind::ALL.into_iter().find(|k| text.starts_with(k.prefix())).ok_or_else(|| {
            RecordError::BadId(format!(
                "{text:?} does not start with a record prefix (itm_, src_, per_, fac_, evt_, rel_, clm_, fnd_, ser_)"
            ))
        })?;
        check_ulid(&text[kind.prefix().len()..]).map_err(|reason| RecordError::BadId(format!("{text:?}: {reason}")))?;
        Ok(RecordId(text.to_owned()))
    }

    pub fn kind(&self) -> RecordKind {
        RecordKind::ALL.into_iter().find(|k| self.0.starts_with(k.prefix())).unwrap_or(RecordKind::Item)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RecordError {
    #[error("{0}")]
    UnknownKind(String),
    #[error("not a record id: {0}")]
    BadId(String),
    #[error("field {field}: {detail}")]
    Field { field: String, detail: String },
}

/// What a field holds.
#[derive(Clone, Copy, Debug)]
pub enum FieldType {
    /// a string
    Text,
    /// a string, or an object of language tag to string: `{"en": "...", "zh": "..."}`
    Texts,
    /// a list of strings
    TextList,
    Integer,
    Number,
    /// an uncertain date: a string to parse or the JSON form
    Date,
    /// one of a fixed list of lowercase words
    Choice(&'static [&'static str]),
    /// the id of a record of one of these kinds (empty: any kind)
    Ref(&'static [RecordKind]),
    /// a list of such ids
    Refs(&'static [RecordKind]),
    /// a list of objects with these fields
    Objects(&'static [FieldSpec]),
    /// any JSON object (kept as it is)
    Object,
}

#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
}

const fn field(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec { name, ty, required: false }
}

const fn required(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec { name, ty, required: true }
}

use FieldType::*;
use RecordKind as K;

pub const ITEM_TYPES: &[&str] =
    &["testimony", "document", "web_capture", "media", "recorded_call", "dataset", "statement", "publication"];
pub const RELIABILITY: &[&str] = &["a", "b", "c", "d", "e", "f"];
pub const PERSON_STATUS: &[&str] = &["detained", "released", "disappeared", "deceased", "unknown"];
pub const FACILITY_TYPES: &[&str] = &["detention_facility", "prison", "camp", "hospital", "transplant_centre", "other"];
pub const EVENT_TYPES: &[&str] = &[
    "arrest",
    "detention",
    "transfer",
    "blood_test",
    "ultrasound",
    "x_ray",
    "organ_examination",
    "disappearance",
    "death",
    "body_not_returned",
    "transplant",
    "telephone_investigation",
    "publication",
];
pub const CERTAINTY: &[&str] = &["confirmed", "probable", "possible", "doubtful", "unknown"];
pub const STANDARDS_OF_PROOF: &[&str] =
    &["credible_information", "balance_of_probabilities", "beyond_reasonable_doubt"];
pub const OUTCOMES: &[&str] = &["proved", "not_proved", "open"];
/// Who may see a record: `public` (anyone, once published), `restricted`
/// (investigators and reviewers; the default when absent), `sealed` (named
/// people only). Every kind has the field.
pub const SENSITIVITY: &[&str] = &["public", "restricted", "sealed"];
pub const CAPACITY_MEASURES: &[&str] = &["beds", "utilisation", "stated_volume", "staff", "other"];

const CUSTODY: &[FieldSpec] =
    &[required("date", Date), field("from", Text), field("to", Text), field("action", Text), field("note", Text)];
const PERSON_NAMES: &[FieldSpec] = &[required("name", Text), field("script", Text), field("lang", Text)];
const CAPACITY: &[FieldSpec] = &[
    required("measure", Choice(CAPACITY_MEASURES)),
    required("value", Number),
    field("unit", Text),
    field("date", Date),
    field("item", Ref(&[K::Item])),
    field("note", Text),
];
const PARTICIPANTS: &[FieldSpec] =
    &[required("record", Ref(&[K::Person, K::Source, K::Facility])), field("role", Text)];
const POINTS: &[FieldSpec] = &[required("period", Date), field("value", Number), field("note", Text)];

const ITEM_FIELDS: &[FieldSpec] = &[
    field("title", Texts),
    field("description", Texts),
    field("item_type", Choice(ITEM_TYPES)),
    field("captured", Date),
    field("created", Date),
    field("source", Ref(&[K::Source])),
    field("provenance", Text),
    field("custody", Objects(CUSTODY)),
    field("languages", TextList),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const SOURCE_FIELDS: &[FieldSpec] = &[
    required("name", Texts),
    field("reliability", Choice(RELIABILITY)),
    field("affiliation", Text),
    field("url", Text),
    field("note", Text),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const PERSON_FIELDS: &[FieldSpec] = &[
    required("names", Objects(PERSON_NAMES)),
    field("aliases", TextList),
    field("birth_year", Integer),
    field("birth_date", Date),
    field("contact", Text),
    field("home_town", Text),
    field("group", Text),
    field("status", Choice(PERSON_STATUS)),
    field("note", Text),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const FACILITY_FIELDS: &[FieldSpec] = &[
    field("facility_type", Choice(FACILITY_TYPES)),
    field("name_zh", Text),
    field("name_en", Text),
    field("province", Text),
    field("city", Text),
    field("lat", Number),
    field("lon", Number),
    field("cross_ids", Object),
    field("capacity", Objects(CAPACITY)),
    field("note", Text),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const EVENT_FIELDS: &[FieldSpec] = &[
    required("event_type", Choice(EVENT_TYPES)),
    field("date", Date),
    field("place", Text),
    field("facility", Ref(&[K::Facility])),
    field("participants", Objects(PARTICIPANTS)),
    field("items", Refs(&[K::Item])),
    field("description", Texts),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const RELATION_FIELDS: &[FieldSpec] = &[
    required("from", Ref(&[])),
    required("to", Ref(&[])),
    required("relation_type", Text),
    field("role", Text),
    field("date", Date),
    field("certainty", Choice(CERTAINTY)),
    field("items", Refs(&[K::Item])),
    field("note", Text),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const CLAIM_FIELDS: &[FieldSpec] = &[
    required("text", Texts),
    field("value", Number),
    field("unit", Text),
    field("period", Date),
    field("claimant", Ref(&[K::Source, K::Person, K::Facility])),
    field("supporting", Refs(&[])),
    field("contradicting", Refs(&[])),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const FINDING_FIELDS: &[FieldSpec] = &[
    required("issue", Texts),
    required("standard", Choice(STANDARDS_OF_PROOF)),
    required("outcome", Choice(OUTCOMES)),
    field("claims", Refs(&[K::Claim])),
    field("reasoning", Texts),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];
const SERIES_FIELDS: &[FieldSpec] = &[
    required("name", Texts),
    field("source", Ref(&[K::Source])),
    field("unit", Text),
    field("points", Objects(POINTS)),
    field("item", Ref(&[K::Item])),
    field("note", Text),
    field("sensitivity", Choice(SENSITIVITY)),
    field("unsealed", TextList),
];

/// The known fields of a kind.
pub fn field_specs(kind: RecordKind) -> &'static [FieldSpec] {
    match kind {
        K::Item => ITEM_FIELDS,
        K::Source => SOURCE_FIELDS,
        K::Person => PERSON_FIELDS,
        K::Facility => FACILITY_FIELDS,
        K::Event => EVENT_FIELDS,
        K::Relation => RELATION_FIELDS,
        K::Claim => CLAIM_FIELDS,
        K::Finding => FINDING_FIELDS,
        K::Series => SERIES_FIELDS,
    }
}

/// The fields of a kind that identify a person and are therefore sealed
/// by default, whatever the record's sensitivity (unless the record's
/// `unsealed` lists them).
pub fn identifying_fields(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        K::Person => &["names", "aliases", "birth_year", "birth_date", "contact", "home_town"],
        _ => &[],
    }
}

/// The key of a sealed field's JSON form: `{"sealed": "<base64 of the box>"}`
/// as stored, `{"sealed": true}` as shown to whoever may not open it.
pub const SEALED_KEY: &str = "sealed";

/// The base64 text of a stored sealed field (`{"sealed": "<base64>"}`), if
/// the value is one.
pub fn sealed_box(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(SEALED_KEY).and_then(Value::as_str),
        _ => None,
    }
}

/// Whether a value is the placeholder shown for a sealed field
/// (`{"sealed": true}`).
pub fn is_sealed_placeholder(value: &Value) -> bool {
    matches!(value, Value::Object(map) if map.len() == 1 && map.get(SEALED_KEY) == Some(&Value::Bool(true)))
}

/// The placeholder shown for a sealed field: `{"sealed": true}`.
pub fn sealed_placeholder() -> Value {
    let mut map = Map::new();
    map.insert(SEALED_KEY.to_owned(), Value::Bool(true));
    Value::Object(map)
}

/// Which of a record's (validated) fields are to be stored sealed
/// (`docs/sealing.md`, "Sealed record fields"):
///
/// - in a record with `sensitivity: sealed`, every field except
///   `sensitivity`, `unsealed`, and references (`Ref`, `Refs`: ids, which the
///   store checks and which name no one);
/// - in any other record, the kind's [`identifying_fields`];
///
/// in both cases less the fields the record's `unsealed` lists.
pub fn fields_to_seal(kind: RecordKind, fields: &Map<String, Value>) -> Vec<String> {
    let sealed_record = fields.get("sensitivity").and_then(Value::as_str) == Some("sealed");
    let unsealed: Vec<&str> = match fields.get("unsealed") {
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let specs = field_specs(kind);
    fields
        .keys()
        .filter(|name| !matches!(name.as_str(), "sensitivity" | "unsealed") && !unsealed.contains(&name.as_str()))
        .filter(|name| {
            if sealed_record {
                !specs.iter().any(|s| s.name == name.as_str() && matches!(s.ty, Ref(_) | Refs(_)))
            } else {
                identifying_fields(kind).contains(&name.as_str())
            }
        })
        .cloned()
        .collect()
}

/// Fields every record carries beside its own; never set by callers.
pub const RESERVED_FIELDS: &[&str] = &["id", "kind", "version", "retracted"];

/// The outcome of checking a record's fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckedFields {
    /// the fields, normalised: dates in their JSON form, choices lower-case, empty values removed
    pub fields: Map<String, Value>,
    /// (field path, referenced id) for every reference
    pub references: Vec<(String, RecordId)>,
    /// things kept but worth saying (dates that could not be parsed, unknown fields)
    pub warnings: Vec<String>,
}

/// Checks and normalises a record's fields. Every problem is reported, not
/// only the first, each naming its field.
pub fn validate_fields(kind: RecordKind, fields: &Map<String, Value>) -> Result<CheckedFields, Vec<RecordError>> {
    let mut checked = CheckedFields::default();
    let mut errors = Vec::new();
    for reserved in RESERVED_FIELDS {
        if fields.contains_key(*reserved) {
            errors.push(RecordError::Field {
                field: (*reserved).to_owned(),
                detail: "is set by the archive, not by an edit".to_owned(),
            });
        }
    }
    check_object(field_specs(kind), fields, "", &mut checked, &mut errors, true);
    if errors.is_empty() { Ok(checked) } else { Err(errors) }
}

fn check_object(
    specs: &[FieldSpec],
    fields: &Map<String, Value>,
    prefix: &str,
    checked: &mut CheckedFields,
    errors: &mut Vec<RecordError>,
    top: bool,
) -> Map<String, Value> {
    let mut out = Map::new();
    for spec in specs {
        let path = format!("{prefix}{}", spec.name);
        match fields.get(spec.name).filter(|v| !is_empty(v)) {
            None if spec.required => errors.push(RecordError::Field { field: path, detail: "is required".to_owned() }),
            None => {}
            // A sealed box is kept as it is: its value was checked before it was sealed.
            Some(value) if top && sealed_box(value).is_some() => {
                out.insert(spec.name.to_owned(), value.clone());
            }
            Some(value) if is_sealed_placeholder(value) => errors.push(RecordError::Field {
                field: path,
                detail: "is the placeholder of a sealed value, not a value; leave the field out to keep it".to_owned(),
            }),
            Some(value) => {
                if let Some(normalised) = check_value(spec.ty, value, &path, checked, errors) {
                    out.insert(spec.name.to_owned(), normalised);
                }
            }
        }
    }
    for (name, value) in fields {
        if specs.iter().any(|s| s.name == name) || (top && RESERVED_FIELDS.contains(&name.as_str())) || is_empty(value)
        {
            continue;
        }
        if is_sealed_placeholder(value) {
            errors.push(RecordError::Field {
                field: format!("{prefix}{name}"),
                detail: "is the placeholder of a sealed value, not a value; leave the field out to keep it".to_owned(),
            });
            continue;
        }
        if !(top && sealed_box(value).is_some()) {
            checked.warnings.push(format!("field {prefix}{name} is not one this kind knows; kept as given"));
        }
        out.insert(name.clone(), value.clone());
    }
    if top {
        checked.fields = out.clone();
    }
    out
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn check_value(
    ty: FieldType,
    value: &Value,
    path: &str,
    checked: &mut CheckedFields,
    errors: &mut Vec<RecordError>,
) -> Option<Value> {
    let mut fail = |detail: String| {
        errors.push(RecordError::Field { field: path.to_owned(), detail });
        None
    };
    match ty {
        Text => match value {
            Value::String(s) => Some(Value::String(s.trim().to_owned())),
            other => fail(format!("expected text, got {}", json_type_name(other))),
        },
        Texts => match value {
            Value::String(s) => Some(Value::String(s.trim().to_owned())),
            Value::Object(map) if map.values().all(Value::is_string) => Some(value.clone()),
            other => fail(format!("expected text or an object of language to text, got {}", json_type_name(other))),
        },
        TextList => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Some(value.clone()),
            Value::String(s) => Some(Value::Array(
                s.split(';').map(|p| Value::String(p.trim().to_owned())).filter(|v| !is_empty(v)).collect(),
            )),
            other => fail(format!("expected a list of text, got {}", json_type_name(other))),
        },
        Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => Some(Value::from(n)),
                Err(_) => fail(format!("{s:?} is not a whole number")),
            },
            other => fail(format!("expected a whole number, got {}", json_type_name(other))),
        },
        Number => match value {
            Value::Number(_) => Some(value.clone()),
            Value::String(s) => match (s.trim().parse::<i64>(), s.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
            {
                // whole numbers stay whole: "12" is 12, not 12.0
                (Ok(n), _) => Some(Value::from(n)),
                (Err(_), Some(n)) => serde_json::Number::from_f64(n).map(Value::Number),
                (Err(_), None) => fail(format!("{s:?} is not a number")),
            },
            other => fail(format!("expected a number, got {}", json_type_name(other))),
        },
        Date => {
            let date: Result<UncertainDate, String> = match value {
                Value::String(s) => {
                    let (date, parse) = UncertainDate::parse(s);
                    if matches!(parse, DateParse::Unparsed) {
                        checked
                            .warnings
                            .push(format!("field {path}: {s:?} is not a date Evident can read; kept as text"));
                    }
                    Ok(date)
                }
                Value::Object(_) => serde_json::from_value(value.clone()).map_err(|e| e.to_string()),
                other => Err(format!("expected a date, got {}", json_type_name(other))),
            };
            match date.and_then(|d| serde_json::to_value(d).map_err(|e| e.to_string())) {
                Ok(v) => Some(v),
                Err(detail) => fail(detail),
            }
        }
        Choice(choices) => match value {
            Value::String(s) => {
                let normalised = s.trim().to_lowercase().replace([' ', '-'], "_");
                if choices.contains(&normalised.as_str()) {
                    Some(Value::String(normalised))
                } else {
                    fail(format!("{s:?} is not one of {}", choices.join(", ")))
                }
            }
            other => fail(format!("expected one of {}, got {}", choices.join(", "), json_type_name(other))),
        },
        Ref(kinds) => match value {
            Value::String(s) => match check_ref(s, kinds) {
                Ok(id) => {
                    checked.references.push((path.to_owned(), id));
                    Some(Value::String(s.trim().to_owned()))
                }
                Err(detail) => fail(detail),
            },
            other => fail(format!("expected a record id, got {}", json_type_name(other))),
        },
        Refs(kinds) => {
            let ids: Vec<String> = match value {
                Value::Array(items) if items.iter().all(Value::is_string) => {
                    items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
                }
                Value::String(s) => s.split(';').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect(),
                other => return fail(format!("expected a list of record ids, got {}", json_type_name(other))),
            };
            let mut out = Vec::new();
            for (n, id) in ids.iter().enumerate() {
                match check_ref(id, kinds) {
                    Ok(parsed) => {
                        checked.references.push((format!("{path}[{n}]"), parsed));
                        out.push(Value::String(id.trim().to_owned()));
                    }
                    Err(detail) => {
                        errors.push(RecordError::Field { field: format!("{path}[{n}]"), detail });
                    }
                }
            }
            Some(Value::Array(out))
        }
        Objects(specs) => match value {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (n, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(map) => out.push(Value::Object(check_object(
                            specs,
                            map,
                            &format!("{path}[{n}]."),
                            checked,
                            errors,
                            false,
                        ))),
                        other => errors.push(RecordError::Field {
                            field: format!("{path}[{n}]"),
                            detail: format!("expected an object, got {}", json_type_name(other)),
                        }),
                    }
                }
                Some(Value::Array(out))
            }
            other => fail(format!("expected a list of objects, got {}", json_type_name(other))),
        },
        Object => match value {
            Value::Object(_) => Some(value.clone()),
            other => fail(format!("expected an object, got {}", json_type_name(other))),
        },
    }
}

fn check_ref(text: &str, kinds: &[RecordKind]) -> Result<RecordId, String> {
    let id = RecordId::parse(text.trim()).map_err(|e| e.to_string())?;
    if !kinds.is_empty() && !kinds.contains(&id.kind()) {
        return Err(format!(
            "{id} is a {}, but this field takes a {}",
            id.kind(),
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" or ")
        ));
    }
    Ok(id)
}

/// How a JSON value's type is named in error messages.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn ids_carry_their_kind() {
        for kind in RecordKind::ALL {
            let id = RecordId::new(kind, 1_700_000_000_000, [3; 10]);
            assert!(id.as_str().starts_with(kind.prefix()));
            assert_eq!(RecordId::parse(id.as_str()).unwrap().kind(), kind);
            assert_eq!(RecordKind::parse(kind.name()).unwrap(), kind);
        }
        assert!(RecordId::parse("xyz_01m8nbb6cp304kg7mtkgv4kt91").is_err());
        assert!(RecordId::parse("per_01m8nbb6cp304kg7mtkgv4kt9").is_err());
        assert!(RecordKind::parse("witness").is_err());
    }

    #[test]
    fn fields_are_checked_and_normalised() {
        let item = RecordId::new(RecordKind::Item, 1, [1; 10]);
        let facility = RecordId::new(RecordKind::Facility, 1, [2; 10]);
        let checked = validate_fields(
            RecordKind::Event,
            &fields(json!({
                "event_type": "Blood Test",
                "date": "June-July 2017",
                "facility": facility.as_str(),
                "items": format!("{item}; "),
                "extra_column": "kept",
                "place": "  "
            })),
        )
        .unwrap();
        assert_eq!(checked.fields["event_type"], "blood_test");
        assert_eq!(checked.fields["date"]["start"], "2017-06-01");
        assert_eq!(checked.fields["items"], json!([item.as_str()]));
        assert_eq!(checked.fields["extra_column"], "kept");
        assert!(!checked.fields.contains_key("place"), "empty values are dropped");
        assert_eq!(checked.references.len(), 2);
        assert!(checked.warnings.iter().any(|w| w.contains("extra_column")));
    }

    #[test]
    fn every_bad_field_is_named() {
        let person = RecordId::new(RecordKind::Person, 1, [1; 10]);
        let errors = validate_fields(
            RecordKind::Finding,
            &fields(json!({
                "standard": "more likely than not",
                "outcome": "proved",
                "claims": [person.as_str()],
                "id": "fnd_x"
            })),
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|e| e.starts_with("field issue: is required")), "{text:?}");
        assert!(text.iter().any(|e| e.starts_with("field standard:")), "{text:?}");
        assert!(text.iter().any(|e| e.starts_with("field claims[0]:") && e.contains("is a person")), "{text:?}");
        assert!(text.iter().any(|e| e.starts_with("field id:")), "{text:?}");
    }

    #[test]
    fn identifying_fields_are_sealed_unless_left_open() {
        let person = fields(json!({
            "names": [{"name": "A"}], "aliases": ["B"], "home_town": "C", "birth_date": "1970",
            "status": "detained", "note": "n"
        }));
        let checked = validate_fields(RecordKind::Person, &person).unwrap();
        let mut sealed = fields_to_seal(RecordKind::Person, &checked.fields);
        sealed.sort();
        assert_eq!(sealed, ["aliases", "birth_date", "home_town", "names"]);
        let mut open = checked.fields.clone();
        open.insert("unsealed".into(), json!(["names"]));
        assert!(!fields_to_seal(RecordKind::Person, &open).contains(&"names".to_owned()));
        let facility = fields(json!({"name_en": "X", "sensitivity": "sealed", "note": "y"}));
        assert_eq!(fields_to_seal(RecordKind::Facility, &facility), ["name_en", "note"]);
        let event = fields(
            json!({"event_type": "arrest", "facility": "fac_01m8nbb6cp304kg7mtkgv4kt91", "sensitivity": "sealed"}),
        );
        assert_eq!(fields_to_seal(RecordKind::Event, &event), ["event_type"], "references stay open");
        assert!(fields_to_seal(RecordKind::Facility, &fields(json!({"name_en": "X"}))).is_empty());
    }

    #[test]
    fn sealed_boxes_pass_and_placeholders_are_refused() {
        let checked = validate_fields(
            RecordKind::Person,
            &fields(json!({"names": {"sealed": "ZXZzZWFs"}, "status": "detained"})),
        )
        .unwrap();
        assert_eq!(sealed_box(&checked.fields["names"]), Some("ZXZzZWFs"));
        let errors = validate_fields(RecordKind::Person, &fields(json!({"names": {"sealed": true}}))).unwrap_err();
        assert!(errors[0].to_string().contains("placeholder"), "{errors:?}");
        assert!(is_sealed_placeholder(&sealed_placeholder()));
    }

    #[test]
    fn unparseable_dates_are_kept_with_a_warning() {
        let checked = validate_fields(
            RecordKind::Event,
            &fields(json!({"event_type": "arrest", "date": "the day after the festival"})),
        )
        .unwrap();
        assert_eq!(checked.fields["date"]["text"], "the day after the festival");
        assert_eq!(checked.fields["date"]["precision"], "unknown");
        assert!(checked.warnings.iter().any(|w| w.contains("not a date")));
    }
}
