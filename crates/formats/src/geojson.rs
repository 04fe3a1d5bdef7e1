//! GeoJSON (RFC 7946): a FeatureCollection of Point features, parsed whole.

use serde_json::{Map, Value};

use crate::decode::TextSource;
use crate::{
    FormatError, RawRecord, ReadOptions, ReadReport, RowError, json_error_message, json_type, take_record_members,
};

/// The largest GeoJSON text read; the whole file is held in memory.
pub(crate) const MAX_GEOJSON_BYTES: u64 = 1 << 30;

/// The kind of features that give none, when the caller gives no default:
/// points on a map are most often facilities.
const DEFAULT_KIND: &str = "facility";

pub(crate) struct GeoJsonRows {
    features: std::vec::IntoIter<Value>,
    number: u64,
    default_kind: String,
}

impl GeoJsonRows {
    pub(crate) fn open(mut source: TextSource, options: ReadOptions, limit: u64) -> Result<GeoJsonRows, FormatError> {
        let mut text = String::new();
        let mut malformed = Vec::new();
        loop {
            let more = source
                .decode_next(&mut text, &mut malformed)
                .map_err(|source| FormatError::Io { action: "reading the file", source })?;
            if text.len() as u64 > limit {
                return Err(FormatError::TooLarge { limit });
            }
            if !more {
                break;
            }
        }
        if let Some(&at) = malformed.first() {
            let line = text[..at].matches('\n').count() + 1;
            return Err(FormatError::Encoding {
                detail: format!("line {line} holds bytes that are not valid {}", source.encoding_name()),
            });
        }
        let document: Value = serde_json::from_str(&text).map_err(|error| FormatError::NotFeatureCollection {
            detail: format!("{} on line {}", json_error_message(&error), error.line()),
        })?;
        drop(text);
        let Value::Object(mut document) = document else {
            return Err(FormatError::NotFeatureCollection {
                detail: format!("the file holds {}, not an object", json_type(&document)),
            });
        };
        match document.get("type") {
            Some(Value::String(kind)) if kind == "FeatureCollection" => {}
            Some(Value::String(kind)) => {
                return Err(FormatError::NotFeatureCollection {
                    detail: format!("its type is {kind:?}; put the features in a FeatureCollection"),
                });
            }
            _ => {
                return Err(FormatError::NotFeatureCollection {
                    detail: "it has no \"type\": \"FeatureCollection\"".to_owned(),
                });
            }
        }
        let features = match document.remove("features") {
            Some(Value::Array(features)) => features,
            Some(other) => {
                return Err(FormatError::NotFeatureCollection {
                    detail: format!("its \"features\" is {}, not a list", json_type(&other)),
                });
            }
            None => return Err(FormatError::NotFeatureCollection { detail: "it has no \"features\"".to_owned() }),
        };
        Ok(GeoJsonRows {
            features: features.into_iter(),
            number: 0,
            default_kind: options.kind.unwrap_or_else(|| DEFAULT_KIND.to_owned()),
        })
    }

    pub(crate) fn next_record(&mut self, report: &mut ReadReport) -> Option<Result<RawRecord, RowError>> {
        let feature = self.features.next()?;
        self.number += 1;
        Some(self.record(feature, report))
    }

    fn record(&self, feature: Value, report: &mut ReadReport) -> Result<RawRecord, RowError> {
        let number = self.number;
        let error = |message: String| RowError { line: number, field: None, message, unit: "feature" };
        let field_error = |field: &str, message: String| RowError {
            line: number,
            field: Some(field.to_owned()),
            message,
            unit: "feature",
        };
        let Value::Object(mut feature) = feature else {
            return Err(error(format!("expected a Feature object, found {}", json_type(&feature))));
        };
        match feature.get("type") {
            Some(Value::String(kind)) if kind == "Feature" => {}
            other => {
                let found = other.map_or_else(|| "nothing".to_owned(), Value::to_string);
                return Err(error(format!("expected \"type\": \"Feature\", found {found}")));
            }
        }
        let mut fields = match feature.remove("properties") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(properties)) => properties,
            Some(other) => return Err(error(format!("properties is {}, not an object", json_type(&other)))),
        };
        let (kind, id, retracted) = take_record_members(&mut fields, field_error)?;
        let feature_id = match feature.remove("id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id),
            Some(Value::Number(id)) => Some(id.to_string()),
            Some(other) => return Err(error(format!("the feature id is {}, not text", json_type(&other)))),
        };
        let id = match (id, feature_id) {
            (Some(id), Some(feature_id)) if id != feature_id => {
                return Err(error(format!("the feature id {feature_id:?} and properties.id {id:?} differ")));
            }
            (Some(id), _) => Some(id),
            (None, feature_id) => feature_id,
        };
        match feature.remove("geometry") {
            None | Some(Value::Null) => {}
            Some(Value::Object(geometry)) => {
                for (name, value) in point(&geometry).map_err(|(field, message)| match field {
                    Some(field) => field_error(field, message),
                    None => error(message),
                })? {
                    if let Some(given) = fields.get(name)
                        && given.as_f64() != value.as_f64()
                    {
                        return Err(field_error(
                            name,
                            format!("properties give {given}, but the geometry gives {value}"),
                        ));
                    }
                    fields.insert(name.to_owned(), value);
                }
            }
            Some(other) => return Err(error(format!("geometry is {}, not an object or null", json_type(&other)))),
        }
        let kind = match kind {
            Some(kind) => kind,
            None => {
                report.note(&format!("feature without a kind read as {}", self.default_kind));
                self.default_kind.clone()
            }
        };
        Ok(RawRecord { line: number, kind: Some(kind), id, retracted, fields })
    }
}

/// What is wrong with a geometry, and in which coordinate if in one.
type GeometryProblem = (Option<&'static str>, String);

/// The fields a Point gives: `lon`, `lat` and, with a third coordinate, `alt`.
fn point(geometry: &Map<String, Value>) -> Result<Vec<(&'static str, Value)>, GeometryProblem> {
    match geometry.get("type") {
        Some(Value::String(kind)) if kind == "Point" => {}
        Some(Value::String(kind)) => return Err((None, format!("geometry type {kind} is not supported (only Point)"))),
        _ => return Err((None, "the geometry has no type".to_owned())),
    }
    let coordinates = match geometry.get("coordinates") {
        Some(Value::Array(coordinates)) if (2..=3).contains(&coordinates.len()) => coordinates,
        _ => {
            return Err((
                None,
                "a Point needs coordinates [longitude, latitude] or [longitude, latitude, altitude]".to_owned(),
            ));
        }
    };
    let mut fields = Vec::with_capacity(3);
    for (name, value) in ["lon", "lat", "alt"].into_iter().zip(coordinates) {
        let Some(number) = value.as_f64() else {
            return Err((Some(name), format!("coordinate {value} is not a number")));
        };
        let (limit, what) = match name {
            "lon" => (180.0, "longitude"),
            "lat" => (90.0, "latitude"),
            _ => (f64::INFINITY, "altitude"),
        };
        if !(-limit..=limit).contains(&number) {
            return Err((Some(name), format!("{what} {value} is outside -{limit} to {limit}")));
        }
        fields.push((name, value.clone()));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str, limit: u64) -> Result<GeoJsonRows, FormatError> {
        let source = TextSource::open(Box::new(std::io::Cursor::new(text.as_bytes().to_vec()))).unwrap();
        GeoJsonRows::open(source, ReadOptions::default(), limit)
    }

    #[test]
    fn files_over_the_limit_are_refused() {
        let text = r#"{"type":"FeatureCollection","features":[]}"#;
        assert!(open(text, text.len() as u64).is_ok());
        let error = open(text, text.len() as u64 - 1).err().unwrap();
        assert!(matches!(error, FormatError::TooLarge { limit } if limit == text.len() as u64 - 1), "{error}");
        assert!(error.to_string().contains("larger than"), "{error}");
    }

    #[test]
    fn points_give_lon_lat_and_alt() {
        let geometry = |json: &str| serde_json::from_str::<Value>(json).unwrap().as_object().unwrap().clone();
        let fields = point(&geometry(r#"{"type":"Point","coordinates":[87.6,43.8,850]}"#)).unwrap();
        assert_eq!(fields, vec![("lon", Value::from(87.6)), ("lat", Value::from(43.8)), ("alt", Value::from(850)),]);
        let error = point(&geometry(r#"{"type":"Point","coordinates":[181,0]}"#)).unwrap_err();
        assert_eq!(error, (Some("lon"), "longitude 181 is outside -180 to 180".to_owned()));
        let error = point(&geometry(r#"{"type":"Point","coordinates":[0,"41"]}"#)).unwrap_err();
        assert_eq!(error, (Some("lat"), "coordinate \"41\" is not a number".to_owned()));
        let error = point(&geometry(r#"{"type":"Point","coordinates":[0]}"#)).unwrap_err();
        assert_eq!(error.0, None);
    }
}
