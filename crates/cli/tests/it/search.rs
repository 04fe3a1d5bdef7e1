//! `evident search` and `evident reindex` on a real archive: extraction at
//! ingest, the index kept current by every command, access rules, crash
//! repair, and bad queries.

use std::io::Write;

use serde_json::Value;

use crate::harness::TestArchive;

/// `search --json`; panics unless it succeeds.
fn search(archive: &TestArchive, args: &[&str]) -> Value {
    let output = archive.command().arg("search").arg("--json").args(args).output().unwrap();
    assert!(output.status.success(), "search {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn hit_ids(results: &Value) -> Vec<String> {
    results["hits"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap().to_owned()).collect()
}

fn show(archive: &TestArchive, id: &str) -> Value {
    let output = archive.run(&["show", id, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn create(archive: &TestArchive, kind: &str, sets: &[&str]) -> String {
    let mut command = archive.command();
    command.args(["create", kind, "--reason", "test", "--json"]);
    for set in sets {
        command.args(["--set", set]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "create: {}", String::from_utf8_lossy(&output.stderr));
    let change: Value = serde_json::from_slice(&output.stdout).unwrap();
    change["id"].as_str().unwrap().to_owned()
}

/// A .docx with one paragraph, built the way Word stores it.
fn docx(text: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    write!(
        zip,
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#
    )
    .unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn files_are_found_in_every_script_and_encoding_by_the_id_add_reported() {
    let archive = TestArchive::new();
    let (big5, _, _) =
        encoding_rs::BIG5.encode("<html><head><title>醫院網頁</title></head><body><p>人權與器官移植</p></body></html>");
    let (gbk, _, _) = encoding_rs::GB18030.encode("肾脏移植等待时间一到两周，费用16万元。");
    let files = [
        archive.write_input("big5.html", &big5),
        archive.write_input("gb18030.txt", &gbk),
        archive.write_input("testimony.docx", &docx("The witness was given a blood test in detention.")),
        archive.write_input(
            "uyghur.txt",
            "ھەممە ئادەم تۇغۇلۇشىدىنلا ئەركىن، ئىززەت-ھۆرمەت ۋە ھوقۇقتا باب-باراۋەر بولۇپ تۇغۇلغان.".as_bytes(),
        ),
        archive.write_input("tibetan.txt", "འགྲོ་བ་མིའི་རིགས་རྒྱུད་ཡོངས་ལ་སྐྱེས་ཙམ་ཉིད་ནས་ཆེ་མཐོངས་དང༌།".as_bytes()),
    ];
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let (outcomes, code) = archive.add(&paths, &[]);
    assert_eq!(code, 0, "{outcomes:?}");
    let id_of = |name: &str| -> String {
        outcomes.iter().find(|o| o["path"].as_str().unwrap().ends_with(name)).unwrap()["item"]
            .as_str()
            .unwrap()
            .to_owned()
    };

    // Traditional query, simplified text and the reverse; the hit's id is add's `item`.
    assert_eq!(hit_ids(&search(&archive, &["人权"])), [id_of("big5.html")]);
    assert_eq!(hit_ids(&search(&archive, &["腎臟移植"])), [id_of("gb18030.txt")]);
    let both = search(&archive, &["移植"]);
    assert_eq!(both["total"], 2, "{both:#}");
    // Title from <title>, language, snippet with the match marked.
    let html = search(&archive, &["人權"]);
    let hit = &html["hits"][0];
    assert_eq!(hit["title"], "醫院網頁");
    assert_eq!(hit["kind"], "item");
    assert_eq!(hit["lang"], "zh");
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    let snippet = hit["snippet"].as_str().unwrap();
    let marked: Vec<String> = hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|range| {
            snippet
                .chars()
                .skip(range[0].as_u64().unwrap() as usize)
                .take((range[1].as_u64().unwrap() - range[0].as_u64().unwrap()) as usize)
                .collect()
        })
        .collect();
    assert_eq!(marked, ["人權"], "{hit:#}");

    assert_eq!(hit_ids(&search(&archive, &["\"blood test\""])), [id_of("testimony.docx")]);
    // A Uyghur stem finds the word with its suffix (ھوقۇقتا) through the n-grams.
    assert_eq!(hit_ids(&search(&archive, &["ھوقۇق"])), [id_of("uyghur.txt")]);
    assert_eq!(hit_ids(&search(&archive, &["རིགས་རྒྱུད"])), [id_of("tibetan.txt")]);
    let by_lang = search(&archive, &["", "--facet", "lang"]);
    let langs: Vec<&str> =
        by_lang["facets"]["lang"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap()).collect();
    for lang in ["zh", "en", "ug", "bo"] {
        assert!(langs.contains(&lang), "{lang} missing from {by_lang:#}");
    }
    assert_eq!(hit_ids(&search(&archive, &["", "--facet", "lang=bo"])), [id_of("tibetan.txt")]);
    // Extraction is what the item's record says about its text.
    let text = &show(&archive, &id_of("gb18030.txt"))["text"];
    assert_eq!(text["status"], "extracted", "{text:#}");
    assert_eq!(text["format"], "text");
    assert!(text["detail"].as_str().unwrap().contains("GB"), "{text:#}");
}

#[test]
fn files_without_text_are_archived_and_say_so() {
    let archive = TestArchive::new();
    let png = archive.write_input("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0");
    let pdf = archive.write_input("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ngarbage");
    let png_id = archive.add_one(&png)["item"].as_str().unwrap().to_owned();
    let pdf_id = archive.add_one(&pdf)["item"].as_str().unwrap().to_owned();
    assert_eq!(show(&archive, &png_id)["text"]["status"], "no_text");
    let pdf_text = show(&archive, &pdf_id)["text"].clone();
    assert_eq!(pdf_text["status"], "failed", "{pdf_text:#}");
    assert_eq!(pdf_text["format"], "pdf");
    assert!(!pdf_text["detail"].as_str().unwrap().is_empty());
    let human = String::from_utf8(archive.run(&["show", &pdf_id]).stdout).unwrap();
    assert!(human.contains("could not be extracted"), "{human}");
    // Still found by name, and intact.
    assert_eq!(hit_ids(&search(&archive, &["broken"])), [pdf_id]);
    archive.assert_verifies();
}

#[test]
fn records_are_indexed_as_they_change() {
    let archive = TestArchive::new();
    let facility = create(
        &archive,
        "facility",
        &[
            "name_zh=虚构市第一人民医院",
            "name_en=Fictional City First People's Hospital",
            "province=云南",
            "facility_type=hospital",
        ],
    );
    let found = search(&archive, &["醫院", "--facet", "province", "--facet", "type"]);
    assert_eq!(hit_ids(&found), [facility.as_str()]);
    assert_eq!(found["hits"][0]["kind"], "facility");
    assert_eq!(found["facets"]["province"][0]["value"], "云南");
    assert_eq!(found["facets"]["type"][0]["value"], "hospital");
    assert_eq!(hit_ids(&search(&archive, &["province:云南"])), [facility.as_str()]);

    let output = archive.run(&["edit", &facility, "--set", "note=kidney transplant centre", "--reason", "test"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(hit_ids(&search(&archive, &["kidney"])), [facility.as_str()], "an edit is searchable at once");
    let output = archive.run(&["edit", &facility, "--set", "note=", "--reason", "test"]);
    assert!(output.status.success());
    assert!(hit_ids(&search(&archive, &["kidney"])).is_empty(), "a removed value is no longer found");

    let event =
        create(&archive, "event", &["event_type=blood_test", "date=March 2017", &format!("facility={facility}")]);
    let in_2017 = search(&archive, &["date:2017", "--facet", "facility"]);
    assert_eq!(hit_ids(&in_2017), [event.as_str()]);
    assert_eq!(in_2017["hits"][0]["date"], "2017-03-01");
    assert!(hit_ids(&search(&archive, &["date:2018..2020"])).is_empty());

    let output = archive.run(&["retract", &event, "--reason", "entered in error"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(hit_ids(&search(&archive, &["date:2017"])).is_empty(), "a retracted record leaves the index");
}

#[test]
fn a_search_only_ever_shows_what_the_caller_may_see() {
    let archive = TestArchive::new();
    let public = create(&archive, "claim", &["text=Waiting time for a kidney: one to two weeks", "sensitivity=public"]);
    let restricted = create(&archive, "claim", &["text=Kidney waiting time told to investigator CANARY7731"]);
    // Public sees only the public record, in hits, counts and facets alike.
    let seen = search(&archive, &["kidney", "--as", "public", "--facet", "access"]);
    assert_eq!(hit_ids(&seen), [public.as_str()]);
    assert_eq!(seen["total"], 1);
    assert_eq!(seen["facets"]["access"].as_array().unwrap().len(), 1);
    let canary = search(&archive, &["CANARY7731", "--as", "public"]);
    assert_eq!(canary["total"], 0);
    let everything =
        String::from_utf8(archive.run(&["search", "--json", "--as", "public", "--limit", "100", ""]).stdout).unwrap();
    assert!(!everything.contains("CANARY7731") && !everything.contains(&restricted), "{everything}");
    let by_id = search(&archive, &[&format!("id:{restricted}"), "--as", "public"]);
    assert_eq!(by_id["total"], 0, "not by id either");
    // Restricted (the default) sees both.
    let mut both = hit_ids(&search(&archive, &["kidney"]));
    both.sort();
    let mut expected = vec![public, restricted];
    expected.sort();
    assert_eq!(both, expected);
    // Sealed text is never indexed, so nobody can search as sealed.
    let output = archive.run(&["search", "--as", "sealed", "kidney"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_index_catches_up_after_a_crash_and_rebuilds_when_damaged() {
    let archive = TestArchive::new();
    let first = archive.add_one(&archive.write_input("first.txt", b"organ procurement record one"))["item"]
        .as_str()
        .unwrap()
        .to_owned();
    // A copy of the index as it stood, then more committed to the store.
    let saved = archive.temp.path().join("saved-index");
    copy_dir(&archive.dir.join("index"), &saved);
    let second = archive.add_one(&archive.write_input("second.txt", b"organ procurement record two"))["item"]
        .as_str()
        .unwrap()
        .to_owned();
    let claim = create(&archive, "claim", &["text=organ procurement claim three"]);
    // The crash: the store committed, the index did not.
    std::fs::remove_dir_all(archive.dir.join("index")).unwrap();
    copy_dir(&saved, &archive.dir.join("index"));
    let mut found = hit_ids(&search(&archive, &["procurement", "--limit", "10"]));
    found.sort();
    let mut expected = vec![first.clone(), second.clone(), claim.clone()];
    expected.sort();
    assert_eq!(found, expected);

    // A damaged index is rebuilt, not trusted and not fatal.
    std::fs::write(archive.dir.join("index/meta.json"), b"{ not json").unwrap();
    let mut found = hit_ids(&search(&archive, &["procurement"]));
    found.sort();
    assert_eq!(found, expected);
    // A missing one too.
    std::fs::remove_dir_all(archive.dir.join("index")).unwrap();
    assert_eq!(search(&archive, &["procurement"])["total"], 3);

    // reindex rebuilds from scratch and reports what it did.
    let output = archive.run(&["reindex", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["items"], 2);
    assert_eq!(report["records"], 1);
    assert_eq!(report["extracted"], 2);
    assert_eq!(search(&archive, &["procurement"])["total"], 3);
    archive.assert_verifies();
}

#[test]
fn bad_queries_get_a_clear_answer_never_a_panic() {
    let archive = TestArchive::new();
    archive.add_one(&archive.write_input("a.txt", b"equal protection of the law"));
    // Unbalanced quote: read as a phrase to the end, with a note.
    let unclosed = search(&archive, &["\"equal protection"]);
    assert_eq!(unclosed["total"], 1);
    assert_eq!(unclosed["notes"].as_array().unwrap().len(), 1);
    // Control characters are spaces.
    assert_eq!(search(&archive, &["equal\u{1}\u{7}law"])["total"], 1);
    // Unbalanced parentheses are read sensibly.
    assert_eq!(search(&archive, &["(equal OR missing"])["total"], 1);
    // 10,000 terms: a clear refusal (exit 2), not a slow query.
    let many = vec!["law"; 10_000].join(" ");
    let output = archive.run(&["search", &many]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("10000 terms") && message.contains("limit"), "{message}");
    // A field that does not exist: named, with the ones that do.
    let output = archive.run(&["search", "colour:red"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("unknown field \"colour\"") && message.contains("province"), "{message}");
    let output = archive.run(&["search", "x", "--facet", "colour"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown facet"));
    // Punctuation only matches nothing in particular: all documents.
    assert_eq!(search(&archive, &["!!! ???"])["total"], 1);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn files_over_the_extraction_limit_say_why_they_have_no_text() {
    let archive = TestArchive::new();
    // A video-sized binary file: recognised from its first bytes as having no text.
    let mut video = vec![0u8; 65 << 20];
    video[..12].copy_from_slice(b"\0\0\0\x18ftypmp42");
    let video = archive.write_input("interview.mp4", &video);
    // A text file over the limit: archived, not extracted, and said so.
    let text = archive.write_input("huge.txt", "kidney transplant waiting time\n".repeat(2_300_000).as_bytes());
    let (outcomes, code) = archive.add(&[&video, &text], &[]);
    assert_eq!(code, 0, "{outcomes:?}");
    let id = |n: usize| outcomes[n]["item"].as_str().unwrap().to_owned();
    let video_text = show(&archive, &id(0))["text"].clone();
    assert_eq!(video_text["status"], "no_text", "{video_text:#}");
    let huge_text = show(&archive, &id(1))["text"].clone();
    assert_eq!(huge_text["status"], "too_large", "{huge_text:#}");
    assert!(huge_text["detail"].as_str().unwrap().contains("extraction limit"));
}
