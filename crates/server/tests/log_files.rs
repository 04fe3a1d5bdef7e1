//! The log over HTTP with a full tile: served from memory once read (full
//! tiles never change), partial tiles and the checkpoint always from disk,
//! so a new checkpoint is seen at once.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use evident_archive::{AddConfig, Archive, InitConfig};
use evident_server::{AppState, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>, String) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let cache =
        response.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let csp = response.headers().get(header::CONTENT_SECURITY_POLICY).map(|v| v.to_str().unwrap().to_owned());
    assert!(csp.is_some_and(|csp| csp.contains("script-src 'none'")), "log files run no script");
    (status, response.into_body().collect().await.unwrap().to_bytes().to_vec(), cache)
}

#[tokio::test]
async fn full_tiles_come_from_memory_once_read_and_the_checkpoint_never_does() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "tiles.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    let inputs = temp.path().join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    for n in 0..257 {
        std::fs::write(inputs.join(format!("{n}.txt")), format!("file {n}")).unwrap();
    }
    archive
        .add(
            std::slice::from_ref(&inputs),
            &AddConfig { actor: "tester".into(), ..AddConfig::default() },
            &mut |_: &evident_archive::AddOutcome| {},
        )
        .unwrap();
    let app = router(AppState::new(archive));

    let (status, full, cache) = get(&app, "/tile/0/000").await;
    assert_eq!((status, full.len()), (StatusCode::OK, 256 * 32));
    assert!(cache.contains("immutable"), "{cache}");
    let (status, partial, _) = get(&app, "/tile/0/001.p/1").await;
    assert_eq!((status, partial.len()), (StatusCode::OK, 32));
    let (_, checkpoint, cache) = get(&app, "/checkpoint").await;
    assert_eq!(cache, "no-cache");
    assert!(String::from_utf8(checkpoint).unwrap().starts_with("tiles.example/evident\n257\n"));

    // With the files gone from disk, the full tile is still served (from
    // memory); the partial tile and the checkpoint are not: they are read
    // each time.
    std::fs::remove_file(dir.join("log/tile/0/000")).unwrap();
    std::fs::remove_file(dir.join("log/tile/0/001.p/1")).unwrap();
    let (status, again, _) = get(&app, "/tile/0/000").await;
    assert_eq!((status, again), (StatusCode::OK, full));
    assert_eq!(get(&app, "/tile/0/001.p/1").await.0, StatusCode::NOT_FOUND);
    std::fs::write(dir.join("log/checkpoint"), "replaced\n").unwrap();
    assert_eq!(get(&app, "/checkpoint").await.1, b"replaced\n");
}
