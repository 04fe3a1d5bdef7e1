use crate::harness::*;

#[test]
fn a_receipt_and_the_file_are_enough_to_check_offline() {
    let archive = TestArchive::new();
    let file = archive.write_input("statement.txt", "器官移植 等待时间 一到两周".as_bytes());
    let other = archive.write_input("other.txt", b"another file");
    let item = archive.add_one(&file)["item"].as_str().unwrap().to_owned();
    archive.add_one(&other);
    let receipt = archive.temp.path().join("statement.receipt");
    let output = archive.command().args(["receipt", &item, "-o"]).arg(&receipt).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&receipt).unwrap();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
    assert!(text.contains("\nindex 0\n"));

    // The check needs no archive: move it away first.
    std::fs::rename(&archive.dir, archive.temp.path().join("gone")).unwrap();
    let check = |receipt: &std::path::Path, file: &std::path::Path, key: &str| {
        evident_command()
            .arg("check-receipt")
            .arg(receipt)
            .arg("--file")
            .arg(file)
            .args(["--key", key])
            .output()
            .unwrap()
    };
    let output = check(&receipt, &file, &archive.vkey);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("valid: "));
    assert!(stdout(&output).contains(&item));

    // Another file, another key, a damaged receipt: invalid, with the reason.
    let output = check(&receipt, &other, &archive.vkey);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("is not the one this receipt is for"), "{}", stdout(&output));

    let stranger = TestArchive::new();
    let output = check(&receipt, &file, &stranger.vkey);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with("invalid: "), "{}", stdout(&output));

    let lines: Vec<&str> = text.lines().collect();
    // The hash's last character before `=`, changed to another one (a fixed
    // replacement would change nothing when the hash already ends with it).
    let last = &lines[3][lines[3].len() - 2..lines[3].len() - 1];
    let other_char = if last == "A" { "E" } else { "A" };
    let damaged_cases = [
        // a proof hash changed
        text.replacen(lines[3], &format!("{}{other_char}=", &lines[3][..lines[3].len() - 2]), 1),
        // the index changed
        text.replacen("\nindex 0\n", "\nindex 1\n", 1),
        // the checkpoint's size changed (signature no longer matches)
        text.replacen("\n2\n", "\n3\n", 1),
        // not a receipt at all
        "hello\n".to_owned(),
    ];
    for (n, damaged) in damaged_cases.iter().enumerate() {
        assert_ne!(damaged, &text, "case {n} changed nothing");
        let path = archive.temp.path().join(format!("damaged-{n}.receipt"));
        std::fs::write(&path, damaged).unwrap();
        let output = check(&path, &file, &archive.vkey);
        assert_eq!(output.status.code(), Some(1), "case {n}: {}", stdout(&output));
        assert!(stdout(&output).starts_with("invalid: "), "case {n}: {}", stdout(&output));
    }

    let output = check(&archive.temp.path().join("no-such.receipt"), &file, &archive.vkey);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn receipts_for_unknown_items_are_clear_errors() {
    let archive = TestArchive::new();
    let output = archive.run(&["receipt", "itm_00000000000000000000000000"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no item itm_00000000000000000000000000"), "{}", stderr(&output));
}
