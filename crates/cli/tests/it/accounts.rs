//! `evident user` and `evident token`: accounts made from the command line
//! work through the archive API the web app will use.

use std::io::Write;
use std::process::{Output, Stdio};

use evident_archive::{Archive, Role};
use serde_json::Value;

use crate::harness::{TestArchive, stderr, stdout};

const PASSWORD: &str = "correct horse battery";

/// Runs `evident ARGS` with `input` on standard input (a pipe, so not a
/// terminal).
fn run_with_stdin(archive: &TestArchive, args: &[&str], input: &str) -> Output {
    let mut child = archive
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn add_user(archive: &TestArchive, name: &str, role: &str, password: &str) -> Output {
    run_with_stdin(archive, &["user", "add", name, "--role", role], &format!("{password}\n"))
}

fn succeeded(output: &Output) {
    assert!(output.status.success(), "exit {:?}: {}", output.status.code(), stderr(output));
}

fn users_json(archive: &TestArchive) -> Vec<Value> {
    let output = archive.run(&["user", "list", "--json"]);
    succeeded(&output);
    stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

fn open(archive: &TestArchive) -> Archive {
    Archive::open(&archive.dir, None).unwrap()
}

#[test]
fn users_added_from_stdin_are_listed_with_their_roles_and_never_a_hash() {
    let archive = TestArchive::new();
    succeeded(&add_user(&archive, "alice", "admin", PASSWORD));
    // A password line ending in CRLF loses both characters; other spaces stay.
    let output = run_with_stdin(&archive, &["user", "add", "bob", "--role", "Intake"], " spaces count too \r\nignored");
    succeeded(&output);
    assert!(stderr(&output).contains("added bob as intake"), "{}", stderr(&output));

    let list = archive.run(&["user", "list"]);
    succeeded(&list);
    let text = stdout(&list);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("alice") && lines[0].contains("admin"), "{text}");
    assert!(lines[1].starts_with("bob") && lines[1].contains("intake"), "{text}");

    let users = users_json(&archive);
    let listed: Vec<(&str, &str, bool)> = users
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["role"].as_str().unwrap(), u["disabled"].as_bool().unwrap()))
        .collect();
    assert_eq!(listed, [("alice", "admin", false), ("bob", "intake", false)]);
    for output in [&text, &users.iter().map(Value::to_string).collect::<String>()] {
        assert!(!output.contains("argon2") && !output.contains("password") && !output.contains(PASSWORD), "{output}");
    }

    let mut opened = open(&archive);
    assert_eq!(opened.login("alice", PASSWORD).unwrap().0.role, Role::Admin);
    assert_eq!(opened.login("bob", " spaces count too ").unwrap().0.role, Role::Intake);
}

#[test]
fn a_duplicate_user_name_is_refused_with_exit_2() {
    let archive = TestArchive::new();
    succeeded(&add_user(&archive, "alice", "admin", PASSWORD));
    let output = add_user(&archive, "alice", "reviewer", "another long password");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("already a user named alice"), "{}", stderr(&output));
    assert_eq!(users_json(&archive)[0]["role"], "admin", "the first alice is unchanged");
    open(&archive).login("alice", PASSWORD).unwrap();
}

#[test]
fn a_short_or_missing_password_is_refused_with_exit_2() {
    let archive = TestArchive::new();
    let output = add_user(&archive, "alice", "admin", "elevenchars");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("at least 12 characters"), "{}", stderr(&output));
    let output = run_with_stdin(&archive, &["user", "add", "alice", "--role", "admin"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no password on standard input"), "{}", stderr(&output));
    assert!(users_json(&archive).is_empty());
}

#[test]
fn an_unknown_role_is_refused_with_exit_2_listing_the_roles() {
    let archive = TestArchive::new();
    for args in [&["user", "add", "alice", "--role", "root"][..], &["user", "role", "alice", "root"]] {
        let output = run_with_stdin(&archive, args, &format!("{PASSWORD}\n"));
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        assert!(message.contains("root") && message.contains("admin, investigator, reviewer, intake"), "{message}");
    }
    assert!(users_json(&archive).is_empty());
}

#[test]
fn token_create_prints_an_api_token_once_that_authenticates() {
    let archive = TestArchive::new();
    succeeded(&add_user(&archive, "alice", "investigator", PASSWORD));
    let output = archive.run(&["token", "create", "alice", "--label", "nightly export"]);
    succeeded(&output);
    let token = stdout(&output).trim().to_owned();
    assert!(token.starts_with("evk_") && token.len() == 4 + 43, "{token}");
    assert_eq!(stdout(&output).lines().count(), 1, "only the token on stdout");
    assert!(stderr(&output).contains("shown only once"), "{}", stderr(&output));
    assert!(!stderr(&output).contains(&token));
    let principal = open(&archive).authenticate(&token).unwrap().unwrap();
    assert_eq!((principal.user.as_str(), principal.role), ("alice", Role::Investigator));

    let output = archive.run(&["token", "create", "nobody"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no user named nobody"), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn role_password_revoke_disable_and_enable_take_effect() {
    let archive = TestArchive::new();
    succeeded(&add_user(&archive, "alice", "investigator", PASSWORD));
    succeeded(&add_user(&archive, "bob", "reviewer", PASSWORD));
    let token = |name: &str| stdout(&archive.run(&["token", "create", name])).trim().to_owned();
    let (alice_token, bob_token) = (token("alice"), token("bob"));

    succeeded(&archive.run(&["user", "role", "alice", "reviewer"]));
    succeeded(&run_with_stdin(&archive, &["user", "password", "alice"], "a brand new password\n"));
    {
        let mut opened = open(&archive);
        assert_eq!(opened.authenticate(&alice_token).unwrap().unwrap().role, Role::Reviewer);
        assert!(opened.login("alice", PASSWORD).is_err());
        opened.login("alice", "a brand new password").unwrap();
    }

    let revoke = archive.run(&["user", "revoke", "alice"]);
    succeeded(&revoke);
    // the token and the session from the login above
    assert_eq!(stdout(&revoke).trim(), "revoked 2 sessions and tokens of alice");
    assert_eq!(open(&archive).authenticate(&alice_token).unwrap(), None);

    succeeded(&archive.run(&["user", "disable", "bob"]));
    let users = users_json(&archive);
    assert_eq!((users[1]["name"].as_str(), users[1]["disabled"].as_bool()), (Some("bob"), Some(true)));
    assert!(stdout(&archive.run(&["user", "list"])).lines().nth(1).unwrap().ends_with("disabled"));
    let mut opened = open(&archive);
    assert_eq!(opened.authenticate(&bob_token).unwrap(), None);
    assert!(opened.login("bob", PASSWORD).is_err());
    drop(opened);
    succeeded(&archive.run(&["user", "enable", "bob"]));
    let mut opened = open(&archive);
    assert_eq!(opened.authenticate(&bob_token).unwrap(), None, "revoked for good");
    opened.login("bob", PASSWORD).unwrap();
    drop(opened);

    for args in [["user", "disable", "carol"], ["user", "revoke", "carol"]] {
        let output = archive.run(&args);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("no user named carol"), "{}", stderr(&output));
    }
}
