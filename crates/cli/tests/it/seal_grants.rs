//! `evident seal grant|revoke|grants`: per-person access to sealed items,
//! each change in the audit trail.

use std::io::Write;
use std::process::Stdio;

use crate::harness::*;

fn add_user(archive: &TestArchive, name: &str, role: &str) {
    let mut child = archive
        .command()
        .args(["user", "add", name, "--role", role])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn grants_name_people_for_sealed_items_and_are_audited() {
    let archive = TestArchive::new();
    add_user(&archive, "alice", "investigator");
    let sealed = archive.write_input("witness.txt", b"a sealed statement");
    let (outcomes, code) = archive.add(&[&sealed], &["--sensitivity", "sealed"]);
    assert_eq!(code, 0, "{outcomes:?}");
    let item = outcomes[0]["item"].as_str().unwrap().to_owned();
    let open = archive.add_one(&archive.write_input("open.txt", b"an open note"));
    let open = open["item"].as_str().unwrap().to_owned();

    let granted = archive.run(&["seal", "grant", &item, "alice", "--actor", "admin"]);
    assert!(granted.status.success(), "{}", stderr(&granted));
    assert!(stderr(&granted).contains("alice may now open"));
    let again = archive.run(&["seal", "grant", &item, "alice"]);
    assert!(again.status.success() && stderr(&again).contains("could already"));
    let listed = archive.run(&["seal", "grants", &item]);
    assert!(stdout(&listed).starts_with("alice\tgranted by admin at "), "{}", stdout(&listed));

    // Refused: an account that does not exist, an item that is not sealed, an unknown id.
    for args in [
        vec!["seal", "grant", item.as_str(), "nobody"],
        vec!["seal", "grant", open.as_str(), "alice"],
        vec!["seal", "grant", "itm_00000000000000000000000000", "alice"],
    ] {
        let output = archive.run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    }

    let revoked = archive.run(&["seal", "revoke", &item, "alice", "--actor", "admin"]);
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let none = archive.run(&["seal", "revoke", &item, "alice"]);
    assert_eq!(none.status.code(), Some(1), "nothing to revoke");
    assert_eq!(stdout(&archive.run(&["seal", "grants", &item])), "");

    let trail = stdout(&archive.run(&["audit", "--json"]));
    let grant_line = format!("{item} alice");
    assert!(trail.contains("seal.grant") && trail.contains("seal.revoke") && trail.contains(&grant_line), "{trail}");
    archive.assert_verifies();
}
