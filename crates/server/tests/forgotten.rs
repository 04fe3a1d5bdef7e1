//! A forgotten sealed item (its key destroyed) through the web app: still
//! invisible, never a server error, even to someone who had been granted it.

mod common;

use evident_archive::{AddConfig, Archive, InitConfig, KekInit, Role, Sensitivity};
use evident_server::{AppState, router};

use common::call;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn a_forgotten_item_is_never_a_server_error() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    Archive::init(&dir, &InitConfig { origin: "forgotten.example/evident".into(), key_file: None }).unwrap();
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.init_sealing(&KekInit::KeyFile(Some(temp.path().join("kek")))).unwrap();
    let file = temp.path().join("witness.txt");
    std::fs::write(&file, "Witness FORGOTCANARY3 from a fictional village").unwrap();
    let mut ids = Vec::new();
    let config = AddConfig { actor: "tester".into(), sensitivity: Sensitivity::Sealed, ..AddConfig::default() };
    archive
        .add(std::slice::from_ref(&file), &config, &mut |outcome: &evident_archive::AddOutcome| {
            ids.extend(outcome.item.clone())
        })
        .unwrap();
    let sealed = ids[0].clone();
    archive.add_user("admin", Role::Admin, PASSWORD).unwrap();
    archive.add_user("ines", Role::Investigator, PASSWORD).unwrap();
    // Granted before it was forgotten: the grant must not turn into a 500.
    archive.grant_sealed(&sealed, "ines", "admin").unwrap();
    archive.forget_item(&sealed, "admin", "the witness asked").unwrap();
    assert!(archive.forgotten(&sealed).unwrap().is_some());
    let tokens = [archive.create_api_token("admin", None).unwrap(), archive.create_api_token("ines", None).unwrap()];
    let app = router(AppState::new(archive));

    for token in &tokens {
        for uri in [
            format!("/api/v1/items/{sealed}"),
            format!("/api/v1/items/{sealed}/file"),
            format!("/api/v1/items/{sealed}/text"),
            format!("/api/v1/items/{sealed}/receipt"),
            format!("/items/{sealed}"),
            format!("/api/v1/search?q={sealed}"),
            "/api/v1/search?q=FORGOTCANARY3".to_owned(),
            "/checkpoint".to_owned(),
        ] {
            let (status, body) = call(&app, &uri, Some(token)).await;
            assert!(!status.is_server_error(), "{uri}: {status} {body}");
            assert!(!body.contains("FORGOTCANARY3") && !body.contains("the witness asked"), "{uri}: {body}");
        }
    }
}
