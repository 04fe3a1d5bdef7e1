//! Crash safety: SIGKILL a real `evident add` at random moments. After each
//! kill, every item reported `added` must be in the archive, the next
//! command must repair what the kill left, and `verify` must pass.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::*;

fn object_ids(ocfl: &Path) -> BTreeSet<String> {
    object_dirs(ocfl).iter().map(|dir| object_id(dir)).collect()
}

fn random_below(bound: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    u64::from_le_bytes(bytes) % bound.max(1)
}

#[test]
fn kill_9_at_random_moments_loses_no_acknowledged_item() {
    let archive = TestArchive::new();
    let rounds = 24;
    let mut killed_with_output = 0;
    for round in 0..rounds {
        let dir = archive.input(&format!("round{round}"));
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..400 {
            std::fs::write(dir.join(format!("{i:03}.txt")), format!("round {round} document {i}")).unwrap();
        }
        for i in 0..3 {
            let mut big = random_bytes(2 << 20);
            big[0] = round as u8;
            std::fs::write(dir.join(format!("big{i}.bin")), big).unwrap();
        }
        // Small batches make the kill land between batch commits as well as inside them.
        let mut child = archive
            .command()
            .args(["add", "--json"])
            .arg(&dir)
            .env("EVIDENT_BATCH_ITEMS", (1 + random_below(60)).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = Duration::from_millis(random_below(1500));
        let stdout = child.stdout.take().unwrap();
        let reader =
            std::thread::spawn(move || BufReader::new(stdout).lines().map_while(Result::ok).collect::<Vec<String>>());
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let lines = reader.join().unwrap();
        let added: Vec<String> = lines
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|o| o["status"] == "added")
            .map(|o| o["item"].as_str().unwrap().to_owned())
            .collect();
        if !added.is_empty() {
            killed_with_output += 1;
        }

        // The next command repairs; then everything must hold.
        let (report, code) = archive.verify();
        assert_eq!(code, 0, "round {round} (killed after {delay:?}): {report:#}");
        let present = object_ids(&archive.dir.join("ocfl"));
        for item in &added {
            assert!(present.contains(item), "round {round}: item {item} was reported added but is gone");
        }
        assert_eq!(
            report["items"].as_u64().unwrap(),
            present.len() as u64,
            "round {round}: objects and items disagree"
        );
        assert_eq!(std::fs::read_dir(archive.dir.join("tmp")).unwrap().count(), 0);
        if let Some(item) = added.last() {
            let output = archive.run(&["receipt", item]);
            assert!(output.status.success(), "round {round}: no receipt for {item}: {}", stderr(&output));
        }

        // Adding the folder again finishes the job: nothing lost, nothing doubled.
        let (outcomes, code) = archive.add(&[&dir], &[]);
        assert_eq!(code, 0, "round {round}: {outcomes:?}");
        assert_eq!(outcomes.len(), 403);
        for outcome in &outcomes {
            if added.contains(&outcome["item"].as_str().unwrap().to_owned()) {
                assert_eq!(outcome["status"], "duplicate", "round {round}: {outcome}");
            }
        }
    }
    archive.assert_verifies();
    assert!(killed_with_output > 0, "no kill landed after the first acknowledgement; the test exercised nothing");
}
