//! The OpenAPI document describes exactly the API's routes: every path and
//! method in it answers something other than the router's fallback, and
//! every route of the API's table (`api_route_list`) and every `/api/v1/`
//! route a module adds by hand is in it.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::StatusCode;
use common::*;
use evident_server::{OPENAPI_JSON, ServerConfig, api_route_list};
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(OPENAPI_JSON).expect("openapi.json is JSON")
}

/// (METHOD, path template) of every operation in the document.
fn documented() -> BTreeSet<(String, String)> {
    let document = document();
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "post", "patch", "put", "delete", "head", "options"].contains(&method.as_str()) {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

#[test]
fn the_document_is_openapi_3_1_with_the_error_schema_and_both_ways_of_logging_in() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], evident_server::SESSION_COOKIE);
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    let error = &document["components"]["schemas"]["Error"];
    assert_eq!(error["properties"]["error"]["required"], serde_json::json!(["code", "message"]));
    // Every operation names its error answers with the error schema.
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}"));
            assert!(responses.keys().any(|code| code.starts_with('2')), "{method} {path}: no success answer");
            assert!(responses.contains_key("500") && responses.contains_key("401"), "{method} {path}");
            assert!(operation["security"].is_array(), "{method} {path}: no security");
        }
    }
}

/// `/api/v1/` routes that modules add by hand (`.route("/api/v1/...",
/// method(handler))`) rather than through the API's table, as (METHOD,
/// path), read from the server's source.
fn hand_added_routes() -> BTreeSet<(String, String)> {
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut pending = vec![source];
    let mut routes = BTreeSet::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (at, _) in text.match_indices(".route(\"/api/v1") {
                let rest = &text[at + ".route(\"".len()..];
                let end = rest.find('"').unwrap();
                let route = rest[..end].to_owned();
                // The method routers, up to the parenthesis that closes `.route(`.
                let mut depth = 1;
                let close = rest
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += match c {
                            '(' => 1,
                            ')' => -1,
                            _ => 0,
                        };
                        depth == 0
                    })
                    .map_or(rest.len(), |(at, _)| at);
                let call = &rest[end..close];
                let mut found = false;
                for (name, method) in
                    [("get(", "GET"), ("post(", "POST"), ("patch(", "PATCH"), ("put(", "PUT"), ("delete(", "DELETE")]
                {
                    if call.contains(name) {
                        routes.insert((method.to_owned(), route.clone()));
                        found = true;
                    }
                }
                assert!(found, "{}: cannot tell the methods of {route}", path.display());
            }
        }
    }
    routes
}

#[test]
fn the_document_describes_exactly_the_routes_of_the_api() {
    let mut routed: BTreeSet<(String, String)> =
        api_route_list().into_iter().map(|(method, path)| (method.to_owned(), path.to_owned())).collect();
    routed.extend(hand_added_routes());
    let documented = documented();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
    assert!(unrouted.is_empty(), "openapi.json describes routes the API does not have: {unrouted:?}");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let (_temp, _dir, archive) = archive_with_users();
    let app = app(archive, ServerConfig::default());
    let (token, _) = login(&app, "admin").await;
    let fallback = get(&app, "/api/v1/no-such-route", Some(&token)).await;
    assert_eq!(fallback.status, StatusCode::NOT_FOUND);
    let fallback_message = fallback.json()["error"]["message"].clone();
    for (method, path) in documented() {
        if path == "/api/v1/logout" {
            continue; // would end the session the other calls use; routed per the table test
        }
        let uri = path.replace("{id}", "itm_00000000000000000000000000");
        let answer = send(&app, request(&method, &uri, Some(&token)).body(Body::empty()).unwrap()).await;
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        if answer.status == StatusCode::NOT_FOUND {
            assert_ne!(answer.json()["error"]["message"], fallback_message, "{method} {path} reached the fallback");
        }
    }
}
