//! The audit trail against a real archive on disk: events are kept, batched
//! into `audit.batch` log entries, survive a restart, and `verify` notices
//! an event removed or changed after it was committed.

use std::path::Path;

use evident_archive::{AUDIT_BATCH_EVENTS, Archive, AuditEvent, InitConfig};

fn new_archive(dir: &Path) -> Archive {
    Archive::init(dir, &InitConfig { origin: "audit.example/log".to_owned(), key_file: None }).unwrap();
    Archive::open(dir, None).unwrap()
}

fn event(actor: &str, target: &str) -> AuditEvent {
    AuditEvent {
        actor: actor.to_owned(),
        role: "investigator".to_owned(),
        action: "read".to_owned(),
        target: target.to_owned(),
        client: "192.0.2.7".to_owned(),
    }
}

fn checkpoint_size(archive: &Archive) -> u64 {
    archive.checkpoint().unwrap().lines().nth(1).unwrap().parse().unwrap()
}

fn problems(archive: &Archive) -> Vec<String> {
    let report = archive.verify(None, &mut |_| {}).unwrap();
    report.problems.iter().map(|p| format!("{}: {}", p.what, p.detail)).collect()
}

#[test]
fn events_are_committed_to_the_log_in_batches_and_verified() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    let mut archive = new_archive(&dir);
    assert_eq!(checkpoint_size(&archive), 0);

    archive.audit(&event("alice", "per_01")).unwrap();
    archive.audit(&event("bob", "itm_02")).unwrap();
    let trail = archive.audit_trail(1, 10).unwrap();
    assert_eq!(trail.len(), 2);
    assert_eq!((trail[1].seq, trail[1].event.actor.as_str(), trail[1].log_index), (2, "bob", None));
    assert_eq!(trail[0].event.client, "192.0.2.7");
    // Waiting events are no problem, only not yet committed.
    let report = archive.verify(None, &mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!((report.audit_events, report.audit_committed), (2, 0));

    let index = archive.commit_audit().unwrap().expect("two events were waiting");
    assert_eq!(index, 0);
    assert_eq!(checkpoint_size(&archive), 1, "the batch is published under a new checkpoint");
    assert_eq!(archive.commit_audit().unwrap(), None, "nothing waits any more");
    let trail = archive.audit_trail(1, 10).unwrap();
    assert!(trail.iter().all(|e| e.log_index == Some(0) && e.batch == Some(1)), "{trail:?}");

    // A full batch commits by itself.
    for n in 0..AUDIT_BATCH_EVENTS {
        archive.audit(&event("carol", &format!("rec_{n}"))).unwrap();
    }
    assert_eq!(checkpoint_size(&archive), 2);
    let report = archive.verify(None, &mut |_| {}).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    assert_eq!(report.audit_committed, 2 + AUDIT_BATCH_EVENTS as u64);

    drop(archive);

    // Events noted but not committed before a stop are committed at the next open.
    let mut archive = Archive::open(&dir, None).unwrap();
    archive.audit(&event("dave", "per_09")).unwrap();
    drop(archive);
    let archive = Archive::open(&dir, None).unwrap();
    assert_eq!(checkpoint_size(&archive), 3);
    let last = archive.audit_trail(2 + AUDIT_BATCH_EVENTS as u64 + 1, 10).unwrap();
    assert_eq!((last.len(), last[0].event.actor.as_str(), last[0].batch), (1, "dave", Some(3)));
    assert!(problems(&archive).is_empty());
}

#[test]
fn verify_notices_an_event_changed_or_removed_after_it_was_committed() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("archive");
    let mut archive = new_archive(&dir);
    for target in ["per_a", "per_b", "per_c"] {
        archive.audit(&event("alice", target)).unwrap();
    }
    archive.commit_audit().unwrap();
    drop(archive);

    let database = rusqlite::Connection::open(dir.join("evident.db")).unwrap();
    database.execute("UPDATE audit_event SET actor = 'nobody' WHERE seq = 2", []).unwrap();
    drop(database);
    let archive = Archive::open(&dir, None).unwrap();
    let found = problems(&archive);
    assert!(found.iter().any(|p| p.contains("audit batch 1") && p.contains("do not hash")), "{found:?}");
    drop(archive);

    let database = rusqlite::Connection::open(dir.join("evident.db")).unwrap();
    database.execute("UPDATE audit_event SET actor = 'alice' WHERE seq = 2", []).unwrap();
    let archive = Archive::open(&dir, None).unwrap();
    assert!(problems(&archive).is_empty(), "restored, the batch hashes again");
    drop(archive);

    database.execute("DELETE FROM audit_event WHERE seq = 3", []).unwrap();
    drop(database);
    let archive = Archive::open(&dir, None).unwrap();
    let found = problems(&archive);
    assert!(found.iter().any(|p| p.contains("audit batch 1") && p.contains("removed")), "{found:?}");
}

#[test]
fn bad_events_are_refused_and_nothing_is_kept() {
    let temp = tempfile::tempdir().unwrap();
    let mut archive = new_archive(&temp.path().join("archive"));
    for bad in [event("", "per_a"), event("alice", "per\n_a"), event("alice", &"x".repeat(600))] {
        let error = archive.audit(&bad).unwrap_err().to_string();
        assert!(error.contains("audit event"), "{error}");
    }
    assert!(archive.audit_trail(1, 10).unwrap().is_empty());
}
