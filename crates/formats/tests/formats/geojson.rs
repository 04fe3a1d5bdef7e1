//! GeoJSON reading.

use evident_formats::{Format, FormatError, ReadOptions};
use serde_json::json;

use crate::{open_error, raw, read, read_with};

fn collection(features: serde_json::Value) -> String {
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

#[test]
fn points_become_lon_and_lat_and_properties_become_fields() {
    let text = collection(json!([
        {"type": "Feature", "id": "fac_1", "geometry": {"type": "Point", "coordinates": [87.6168, 43.8256]},
         "properties": {"name_en": "Urumqi No. 3 Detention Centre", "capacity": [{"measure": "beds", "value": 1000}]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [80, 41, 1105.5]},
         "properties": {"id": "fac_2", "kind": "facility", "retracted": true}},
        {"type": "Feature", "geometry": null, "properties": {"kind": "event", "event_type": "arrest"}},
        {"type": "Feature", "id": 17, "properties": null},
    ]));
    let read = read(text, Format::GeoJson);
    let mut second = raw(2, Some("facility"), Some("fac_2"), json!({"lon": 80, "lat": 41, "alt": 1105.5}));
    second.retracted = true;
    assert_eq!(
        read.all_records(),
        [
            &raw(
                1,
                Some("facility"),
                Some("fac_1"),
                json!({"lon": 87.6168, "lat": 43.8256, "name_en": "Urumqi No. 3 Detention Centre",
                       "capacity": [{"measure": "beds", "value": 1000}]})
            ),
            &second,
            &raw(3, Some("event"), None, json!({"event_type": "arrest"})),
            &raw(4, Some("facility"), Some("17"), json!({})),
        ]
    );
    assert_eq!(read.note("feature without a kind read as facility"), 2);
    assert_eq!(read.report.encoding, "UTF-8");
    assert_eq!(read.report.separator, None);
}

#[test]
fn the_default_kind_can_be_chosen() {
    let text = collection(json!([{"type": "Feature", "geometry": null, "properties": {"name": "x"}}]));
    let options = ReadOptions { kind: Some("source".to_owned()), ..ReadOptions::default() };
    let read = read_with(text, Format::GeoJson, options);
    assert_eq!(read.all_records()[0].kind.as_deref(), Some("source"));
    assert_eq!(read.note("feature without a kind read as source"), 1);
}

#[test]
fn bad_features_are_errors_and_the_rest_are_read() {
    let text = collection(json!([
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.6, 43.8]}, "properties": {"id": "fac_1"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.6, 95]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-200, 43]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["87.6", 43]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.6]}, "properties": {}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.6, 43.8]}, "properties": {"lat": 40}},
        {"type": "Feature", "id": "fac_a", "geometry": null, "properties": {"id": "fac_b"}},
        {"type": "Feature", "geometry": null, "properties": {"kind": 3}},
        {"type": "Feature", "geometry": null, "properties": ["not", "an", "object"]},
        {"type": "Point", "coordinates": [1, 2]},
        "a string",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [87.6, 43.8]}, "properties": {"lat": 43.8, "id": "fac_last"}},
    ]));
    let read = read(text, Format::GeoJson);
    assert_eq!(
        read.errors(),
        [
            "feature 2: geometry type Polygon is not supported (only Point)",
            "feature 3, field lat: latitude 95 is outside -90 to 90",
            "feature 4, field lon: longitude -200 is outside -180 to 180",
            "feature 5, field lon: coordinate \"87.6\" is not a number",
            "feature 6: a Point needs coordinates [longitude, latitude] or [longitude, latitude, altitude]",
            "feature 7, field lat: properties give 40, but the geometry gives 43.8",
            "feature 8: the feature id \"fac_a\" and properties.id \"fac_b\" differ",
            "feature 9, field kind: expected text, found a number",
            "feature 10: properties is a list, not an object",
            "feature 11: expected \"type\": \"Feature\", found \"Point\"",
            "feature 12: expected a Feature object, found text",
        ]
    );
    let error = read.rows[2].as_ref().unwrap_err();
    assert_eq!((error.line, error.field.as_deref(), error.unit), (3, Some("lat"), "feature"));
    let ids: Vec<_> = read.records().iter().map(|r| (r.line, r.id.clone().unwrap())).collect();
    assert_eq!(ids, [(1, "fac_1".to_owned()), (13, "fac_last".to_owned())]);
}

#[test]
fn files_that_are_not_a_feature_collection_are_refused() {
    for (text, detail) in [
        (
            r#"{"type":"Feature","geometry":null,"properties":{}}"#,
            "its type is \"Feature\"; put the features in a FeatureCollection",
        ),
        (r#"[{"type":"Feature"}]"#, "the file holds a list, not an object"),
        (r#"{"features":[]}"#, "it has no \"type\": \"FeatureCollection\""),
        (r#"{"type":"FeatureCollection"}"#, "it has no \"features\""),
        (r#"{"type":"FeatureCollection","features":{}}"#, "its \"features\" is an object, not a list"),
        ("{\"type\":\n\"FeatureCollection\",", "not valid JSON: EOF while parsing a value (at column 20) on line 2"),
        ("", "not valid JSON: EOF while parsing a value on line 1"),
    ] {
        match open_error(text, Format::GeoJson) {
            FormatError::NotFeatureCollection { detail: got } => assert_eq!(got, detail, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(
        open_error("[]", Format::GeoJson).to_string(),
        "the file is not a GeoJSON FeatureCollection: the file holds a list, not an object"
    );
}

#[test]
fn bad_bytes_refuse_a_geojson_file_since_it_is_read_whole() {
    let mut bytes = b"{\"type\":\"FeatureCollection\",\n\"features\":[\n".to_vec();
    bytes.extend(std::iter::repeat_n(b' ', 70 * 1024));
    bytes.extend(b"\n\xFF]}");
    let error = open_error(bytes, Format::GeoJson);
    assert_eq!(
        error.to_string(),
        "the file is not UTF-8, UTF-16 or GB18030 (line 4 holds bytes that are not valid UTF-8); save it as UTF-8 and \
         import it again"
    );
}
