//! `evident extract claims` and `evident candidates`: figures found in an
//! item's text with their exact spans, reviewed into claim records or
//! rejected, and every decision kept.

use serde_json::Value;

use crate::harness::TestArchive;

fn json_lines(output: &std::process::Output) -> Vec<Value> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn candidates_are_found_with_spans_and_reviewed_into_claims() {
    let archive = TestArchive::new();
    let text = "本院肾脏移植等待时间一到两周，费用16万元。\n\nThe centre performed 5,192 liver transplants in 2005.";
    let item = archive.add_one(&archive.write_input("page.txt", text.as_bytes()))["item"].as_str().unwrap().to_owned();
    let png = archive.add_one(&archive.write_input("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"))["item"]
        .as_str()
        .unwrap()
        .to_owned();

    let found = json_lines(&archive.run(&["extract", "claims", "--json"]));
    let kinds: Vec<&str> = found.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["waiting_time", "price", "volume"], "{found:#?}");
    for candidate in &found {
        assert_eq!(candidate["item"], item.as_str());
        assert_eq!(candidate["status"], "pending");
        // The span is exact: those characters of the item's text are the match.
        let start = candidate["char_start"].as_u64().unwrap() as usize;
        let end = candidate["char_end"].as_u64().unwrap() as usize;
        let spanned: String = text.chars().skip(start).take(end - start).collect();
        assert_eq!(spanned, candidate["text"].as_str().unwrap());
    }
    assert_eq!(found[0]["value"], 7.0);
    assert_eq!(found[0]["value_high"], 14.0);
    assert_eq!(found[1]["value"], 160_000.0);
    assert_eq!(found[1]["unit"], "CNY");
    assert_eq!(found[2]["value"], 5192.0);
    assert_eq!(found[2]["period"], "2005");
    // Running again finds the same candidates, not new ones; the image is skipped.
    let output = archive.run(&["extract", "claims", "--json", &item, &png]);
    assert_eq!(json_lines(&output).len(), 3);
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("skipped {png}")));

    let id = |n: usize| found[n]["id"].as_i64().unwrap().to_string();
    let accepted = json_lines(&archive.run(&["candidates", "accept", &id(1), "--reason", "read the page", "--json"]));
    let claim = accepted[0]["id"].as_str().unwrap().to_owned();
    assert!(claim.starts_with("clm_"));
    let shown: Value = serde_json::from_slice(&archive.run(&["show", &claim, "--json"]).stdout).unwrap();
    assert_eq!(shown["fields"]["value"], 160_000.0);
    assert_eq!(shown["fields"]["supporting"], serde_json::json!([item]));
    let output = archive.run(&["candidates", "reject", &id(0), "--reason", "a different clinic's figure"]);
    assert!(output.status.success());
    // Decisions are kept and cannot be changed.
    let output = archive.run(&["candidates", "reject", &id(1), "--reason", "changed my mind"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already accepted"));
    let output = archive.run(&["candidates", "reject", &id(2), "--reason", ""]);
    assert_eq!(output.status.code(), Some(2), "a rejection needs a reason");
    let listed = json_lines(&archive.run(&["candidates", "list", "--json"]));
    let statuses: Vec<&str> = listed.iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["rejected", "accepted", "pending"]);
    assert_eq!(listed[0]["note"], "a different clinic's figure");
    assert_eq!(listed[1]["claim"], claim.as_str());
    let pending = json_lines(&archive.run(&["candidates", "list", "--status", "pending", "--json"]));
    assert_eq!(pending.len(), 1);
    archive.assert_verifies();
}
