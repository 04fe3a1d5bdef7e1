//! Redaction (witness protection): a public copy of a sealed testimony holds
//! none of the names removed from it, anywhere (its bytes, the index, the
//! log, the portal, exports); image regions are really black and the
//! image's metadata (EXIF GPS) is gone; identifying metadata keeps a file
//! from being published as it is; all of it survives reindexing, restarts,
//! `verify`, export and re-import.

use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

use crate::harness::*;

/// Unique canaries: Latin, Chinese, Uyghur (Arabic script).
const NAME_LATIN: &str = "Redactee-Kw3pNurgul-8812";
const NAME_CHINESE: &str = "删节证人古丽娜尔九号";
const NAME_UYGHUR: &str = "ئۆچۈرۈلگەن گۇۋاھچى نۇرگۈل";
/// A camera serial number that must never be shown or stored in the clear.
const SERIAL: &str = "SN-CANARY-550173";
/// A document author that must never be indexed or shown.
const AUTHOR: &str = "Author-Canary-Zeynep-3390";

/// The first JSON line of a command's output (`show --json` prints one
/// object per part: the item, then what is said about its redactions).
fn json_line(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    let out = stdout(output);
    let first = out.lines().next().unwrap_or_default();
    serde_json::from_str(first).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The content file of an item's object (its only file under `content/`
/// other than the metadata record).
fn content_of(archive: &TestArchive, item: &str) -> Vec<u8> {
    let files: Vec<PathBuf> = every_file(&archive.object_dir(item))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("/content/") && !p.ends_with("evident.json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::read(&files[0]).unwrap()
}

fn http_get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

/// Runs `evident serve` on a free port while `check` runs against its
/// address.
fn with_server(archive: &TestArchive, check: impl FnOnce(&str) + std::panic::UnwindSafe) {
    let mut child = archive
        .command()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let result = std::panic::catch_unwind(|| check(&address));
    let _ = child.kill();
    let _ = child.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

fn testimony() -> String {
    format!(
        "Testimony. {NAME_LATIN} was held in the camp and saw the operating room.\n\n\
         证词：{NAME_CHINESE}在医院看到了名单。 Later the witness met {} again.\n\n\
         گۇۋاھلىق: {NAME_UYGHUR} دوختۇرخانىدا كۆردى\n",
        NAME_LATIN.to_uppercase()
    )
}

#[test]
fn a_public_copy_of_a_sealed_testimony_holds_none_of_the_removed_names() {
    let archive = TestArchive::new();
    let path = archive.write_input(&format!("{NAME_LATIN}.txt"), testimony().as_bytes());
    let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "sealed"]);
    assert_eq!(code, 0, "{outcomes:?}");
    let original = outcomes[0]["item"].as_str().unwrap().to_owned();

    let report = json_line(&archive.run(&[
        "redact",
        &original,
        "--remove",
        NAME_LATIN,
        "--remove",
        NAME_CHINESE,
        "--remove",
        NAME_UYGHUR,
        "--json",
    ]));
    let copy = report["item"].as_str().unwrap().to_owned();
    assert_eq!(report["source"], original.as_str());
    assert_eq!(report["kind"], "text");
    assert_eq!(report["redactions"], 4, "the upper-case repetition is removed too: {report}");
    assert_eq!(report["name"], format!("redacted-{original}.txt"));

    // The copy's bytes: the rest of the testimony, a marker for each name.
    let bytes = content_of(&archive, &copy);
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("was held in the camp") && text.contains("在医院看到了名单"), "{text}");
    assert_eq!(text.matches("█████").count(), 4, "{text}");

    let check = |archive: &TestArchive| {
        for name in [NAME_LATIN, NAME_CHINESE, NAME_UYGHUR, &NAME_LATIN.to_uppercase()] {
            // Every byte under the archive: objects, database, WAL, index, log, tmp.
            assert_eq!(files_holding(&archive.dir, name.as_bytes()), Vec::<PathBuf>::new(), "{name}");
            let output = archive.run(&["search", name, "--as", "public", "--json"]);
            assert!(output.status.success(), "{}", stderr(&output));
            assert!(!stdout(&output).contains(&copy), "{name}: {}", stdout(&output));
        }
        // The copy is public and found by what it still says.
        let output = archive.run(&["search", "operating", "--as", "public", "--json"]);
        assert!(stdout(&output).contains(&copy), "{}", stdout(&output));
        // Each names the other.
        let shown = stdout(&archive.run(&["show", &copy]));
        assert!(shown.contains(&format!("redacted from {original}")), "{shown}");
        let shown = stdout(&archive.run(&["show", &original]));
        assert!(shown.contains(&format!("redacted copy: {copy}")), "{shown}");
        let shown = stdout(&archive.run(&["show", &copy, "--json"]));
        assert!(shown.contains(&format!("\"redacted_from\":{{\"item\":\"{original}\"")), "{shown}");
        archive.assert_verifies();
    };
    check(&archive);

    // The log: the derivation follows the original's entry.
    let original_index =
        json_line(&archive.run(&["show", &original, "--json"])).as_object().unwrap()["file"]["log_index"]
            .as_u64()
            .unwrap();
    let bundles: Vec<u8> = every_file(&archive.dir.join("log"))
        .iter()
        .filter(|p| p.to_string_lossy().contains("/entries/"))
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    let derive = format!("\"type\":\"item.derive\",\"id\":\"{copy}\",\"version\":\"v1\",\"time\":\"",);
    assert!(contains(&bundles, derive.as_bytes()), "the derivation is in the published log");
    let source = format!("\"source\":\"{original}\",\"source_index\":{original_index}}}");
    assert!(contains(&bundles, source.as_bytes()), "it names the original and its entry");

    // The portal: the copy's page says what it is, nothing of the original.
    with_server(&archive, |address| {
        let page = http_get(address, &format!("/portal/items/{copy}"));
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(page.contains("Redacted copy of an archived item"), "{page}");
        assert!(page.contains(&format!("log entry {original_index}")), "{page}");
        for name in [NAME_LATIN, NAME_CHINESE, NAME_UYGHUR] {
            assert!(!page.contains(name), "{name} on the portal");
        }
        // Its name says which item it came from (as the public log does), but
        // nothing links to the sealed original or describes it.
        assert!(!page.contains(&format!("/portal/items/{original}")), "{page}");
        assert!(!page.contains(&format!("/api/v1/items/{original}")), "{page}");
        let file = http_get(address, &format!("/api/v1/items/{copy}/file"));
        assert!(file.starts_with("HTTP/1.1 200") && file.contains("█████"), "{file}");
        let hidden = http_get(address, &format!("/portal/items/{original}"));
        assert!(hidden.starts_with("HTTP/1.1 404"), "{hidden}");
    });

    // Reindex, and every command is a fresh process (a restart).
    let output = archive.run(&["reindex"]);
    assert!(output.status.success(), "{}", stderr(&output));
    check(&archive);

    // Export and re-import: the copy's record goes out, no name with it.
    let export = archive.temp.path().join("export.jsonl");
    let output = archive.run(&["export", "--kind", "all", "--format", "jsonl", "-o", export.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let dump = std::fs::read_to_string(&export).unwrap();
    assert!(dump.contains(&copy), "{dump}");
    for name in [NAME_LATIN, NAME_CHINESE, NAME_UYGHUR] {
        assert!(!dump.contains(name), "{name} in the export");
    }
    // Records keep their ids within an archive: importing the dump back is
    // refused by id, all or nothing, and the derivation stands as it was.
    let output = archive.run(&["import", export.to_str().unwrap(), "--reason", "round trip", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(stdout(&output).contains("already in the archive"), "{}", stdout(&output));
    check(&archive);
}

#[test]
fn a_name_that_does_not_occur_is_refused_and_nothing_is_added() {
    let archive = TestArchive::new();
    let path = archive.write_input("testimony.txt", testimony().as_bytes());
    let (outcomes, _) = archive.add(&[&path], &["--sensitivity", "sealed"]);
    let original = outcomes[0]["item"].as_str().unwrap().to_owned();
    let before = std::fs::read_to_string(archive.dir.join("log/checkpoint")).unwrap();

    let output = archive.run(&["redact", &original, "--remove", NAME_LATIN, "--remove", "Nurgül Mistyped"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("--remove 2 (of 2) does not occur"), "{message}");
    assert!(!message.contains("Mistyped") && !message.contains(NAME_LATIN), "never echoed: {message}");
    let output = archive.run(&["redact", &original, "--span", "5..100000"]);
    assert!(!output.status.success() && stderr(&output).contains("outside the text"), "{}", stderr(&output));
    let output = archive.run(&["redact", &original, "--region", "0,0,5,5"]);
    assert!(!output.status.success() && stderr(&output).contains("applies to images"), "{}", stderr(&output));

    assert_eq!(std::fs::read_to_string(archive.dir.join("log/checkpoint")).unwrap(), before, "nothing logged");
    assert_eq!(files_holding(&archive.dir, NAME_LATIN.as_bytes()), Vec::<PathBuf>::new());
    // A span of the extracted text works where a string would not.
    let report =
        json_line(&archive.run(&["redact", &original, "--span", "11..35", "--sensitivity", "restricted", "--json"]));
    let text = String::from_utf8(content_of(&archive, report["item"].as_str().unwrap())).unwrap();
    assert!(text.starts_with("Testimony. █████ was held"), "{text}");
    let output = archive.run(&["search", "camp", "--as", "public", "--json"]);
    assert!(!stdout(&output).contains(report["item"].as_str().unwrap()), "a restricted copy is not public");
    archive.assert_verifies();
}

/// A JPEG with EXIF: a GPS position and a camera serial number.
fn jpeg_with_gps() -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(64, 48, image::Rgb([230, 230, 230]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95).encode_image(&picture).unwrap();
    let rational = |num: u32| exif::Rational { num, denom: 1 };
    let fields = [
        exif::Field {
            tag: exif::Tag::GPSLatitudeRef,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![b"N".to_vec()]),
        },
        exif::Field {
            tag: exif::Tag::GPSLatitude,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Rational(vec![rational(39), rational(28), rational(11)]),
        },
        exif::Field {
            tag: exif::Tag::GPSLongitude,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Rational(vec![rational(75), rational(59), rational(3)]),
        },
        exif::Field {
            tag: exif::Tag::BodySerialNumber,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Ascii(vec![SERIAL.as_bytes().to_vec()]),
        },
    ];
    let mut writer = exif::experimental::Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();
    let mut segment = vec![0xff, 0xe1];
    segment.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&segment);
    with_exif.extend_from_slice(&jpeg[2..]);
    with_exif
}

#[test]
fn image_regions_are_black_and_exif_gps_is_gone() {
    let archive = TestArchive::new();
    let photo = jpeg_with_gps();
    // The helper really wrote GPS: the reference parser sees it.
    let parsed = exif::Reader::new().read_from_container(&mut Cursor::new(&photo)).unwrap();
    assert!(parsed.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY).is_some());
    let path = archive.write_input("IMG_0042.jpg", &photo);

    // Not published as it is.
    let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "public"]);
    assert_eq!(code, 1, "{outcomes:?}");
    assert_eq!(outcomes[0]["status"], "rejected");
    let error = outcomes[0]["error"].as_str().unwrap();
    assert!(error.contains("gps") && error.contains("device_serial") && error.contains("evident redact"), "{error}");
    assert!(!error.contains(SERIAL), "{error}");

    // Sealed, with the kinds (never the values) reported.
    let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "sealed"]);
    assert_eq!(code, 0, "{outcomes:?}");
    assert_eq!(outcomes[0]["identifying"], serde_json::json!(["gps", "device_serial"]), "{outcomes:?}");
    let original = outcomes[0]["item"].as_str().unwrap().to_owned();
    let shown = stdout(&archive.run(&["show", &original]));
    assert!(shown.contains("identifying metadata: gps, device_serial"), "{shown}");
    assert!(!shown.contains(SERIAL), "{shown}");

    let report =
        json_line(&archive.run(&["redact", &original, "--region", "0,0,16,12", "--region", "60,40,100,100", "--json"]));
    assert_eq!(report["kind"], "image");
    let copy = report["item"].as_str().unwrap().to_owned();
    let bytes = content_of(&archive, &copy);
    assert!(!contains(&bytes, SERIAL.as_bytes()) && !contains(&bytes, b"Exif\0\0"), "metadata stripped");
    assert!(exif::Reader::new().read_from_container(&mut Cursor::new(&bytes)).is_err(), "no EXIF at all");
    let decoded = image::load_from_memory(&bytes).unwrap().to_rgb8();
    assert_eq!(decoded.dimensions(), (64, 48));
    // JPEG is lossy: black within a small tolerance, away from the edges of a region.
    for (x, y) in [(0, 0), (8, 6), (14, 10), (63, 47), (61, 42)] {
        assert!(decoded.get_pixel(x, y).0.iter().all(|c| *c < 24), "({x},{y}) {:?}", decoded.get_pixel(x, y));
    }
    for (x, y) in [(30, 24), (40, 10), (5, 40)] {
        assert!(decoded.get_pixel(x, y).0.iter().all(|c| *c > 200), "({x},{y}) {:?}", decoded.get_pixel(x, y));
    }
    // The copy is public and carries no identifying metadata.
    let shown = stdout(&archive.run(&["show", &copy, "--json"]));
    assert!(!shown.contains("identifying"), "{shown}");
    assert_eq!(files_holding(&archive.dir, SERIAL.as_bytes()), Vec::<PathBuf>::new());
    archive.assert_verifies();
}

#[test]
fn png_regions_are_exactly_black() {
    let archive = TestArchive::new();
    let picture = image::RgbaImage::from_pixel(20, 10, image::Rgba([10, 200, 30, 255]));
    let mut png = Vec::new();
    picture.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let original = archive.add_one(&archive.write_input("scan.png", &png))["item"].as_str().unwrap().to_owned();
    let report = json_line(&archive.run(&["redact", &original, "--region", "2,3,4,5", "--json"]));
    let decoded = image::load_from_memory(&content_of(&archive, report["item"].as_str().unwrap())).unwrap().to_rgba8();
    for (x, y, pixel) in decoded.enumerate_pixels() {
        let inside = (2..6).contains(&x) && (3..8).contains(&y);
        let expected = if inside { [0, 0, 0, 255] } else { [10, 200, 30, 255] };
        assert_eq!(pixel.0, expected, "({x},{y})");
    }
    archive.assert_verifies();
}

fn docx_with_author(body: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut writer = zip::ZipWriter::new(Cursor::new(&mut bytes));
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("[Content_Types].xml", options).unwrap();
    writer.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    writer.start_file("docProps/core.xml", options).unwrap();
    write!(
        writer,
        r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Hospital list</dc:title><dc:creator>{AUTHOR}</dc:creator><cp:lastModifiedBy>{AUTHOR}</cp:lastModifiedBy></cp:coreProperties>"#
    )
    .unwrap();
    writer.start_file("word/document.xml", options).unwrap();
    write!(
        writer,
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{body}</w:t></w:r></w:p></w:body></w:document>"#
    )
    .unwrap();
    writer.finish().unwrap();
    bytes
}

#[test]
fn a_docx_author_keeps_it_from_being_published_and_never_reaches_the_index() {
    let archive = TestArchive::new();
    let path = archive.write_input("list.docx", &docx_with_author("The transplant ward list names Dr Example."));
    let (outcomes, code) = archive.add(&[&path], &["--sensitivity", "public"]);
    assert_eq!(code, 1, "{outcomes:?}");
    assert!(outcomes[0]["error"].as_str().unwrap().contains("author"), "{outcomes:?}");
    assert!(!outcomes[0]["error"].as_str().unwrap().contains(AUTHOR), "{outcomes:?}");

    let (outcomes, code) = archive.add(&[&path], &[]);
    assert_eq!(code, 0, "{outcomes:?}");
    assert_eq!(outcomes[0]["identifying"], serde_json::json!(["author"]));
    let original = outcomes[0]["item"].as_str().unwrap().to_owned();
    let shown = stdout(&archive.run(&["show", &original, "--json"]));
    assert!(shown.contains(r#"{"identifying":["author"]}"#), "{shown}");
    assert!(!shown.contains(AUTHOR), "{shown}");
    for access in ["public", "restricted"] {
        let output = archive.run(&["search", AUTHOR, "--as", access, "--json"]);
        assert!(!stdout(&output).contains(&original), "{access}: {}", stdout(&output));
    }
    let output = archive.run(&["search", "transplant", "--as", "restricted", "--json"]);
    assert!(stdout(&output).contains(&original), "its text is indexed: {}", stdout(&output));

    // The public copy is the text alone.
    let report = json_line(&archive.run(&["redact", &original, "--remove", "Dr Example", "--json"]));
    let copy = report["item"].as_str().unwrap().to_owned();
    let text = String::from_utf8(content_of(&archive, &copy)).unwrap();
    assert_eq!(text.trim(), "The transplant ward list names █████.");
    let hits = json_line(&archive.run(&["search", "transplant", "--as", "public", "--json"]));
    let ids: Vec<&str> = hits["hits"].as_array().unwrap().iter().map(|hit| hit["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![copy.as_str()], "{hits}");
    // The author is only where the original docx is (its OCFL content).
    let holding = files_holding(&archive.dir, AUTHOR.as_bytes());
    assert!(holding.iter().all(|p| p.starts_with(archive.object_dir(&original))), "{holding:?}");

    // --allow-identifying is the documented override.
    let other = archive.write_input("other.docx", &docx_with_author("A second list."));
    let (outcomes, code) = archive.add(&[&other], &["--sensitivity", "public", "--allow-identifying"]);
    assert_eq!((code, outcomes[0]["status"].as_str()), (0, Some("added")), "{outcomes:?}");
    archive.assert_verifies();
}

#[test]
fn verify_checks_every_derivation_against_the_log() {
    let archive = TestArchive::new();
    let original = archive.add_one(&archive.write_input("note.txt", b"a note naming Someone Else"))["item"]
        .as_str()
        .unwrap()
        .to_owned();
    let report = json_line(&archive.run(&["redact", &original, "--remove", "someone else", "--json"]));
    let copy = report["item"].as_str().unwrap().to_owned();
    archive.assert_verifies();
    let database = || rusqlite::Connection::open(archive.dir.join("evident.db")).unwrap();
    // The row names another source than the entry does.
    database().execute("UPDATE item_derivation SET source_id = ?1", [&copy]).unwrap();
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.contains(&copy) && p.contains("is not this derivation")), "{problems:?}");
    // The row is gone: the entry is accounted for by nothing.
    database().execute("DELETE FROM item_derivation", []).unwrap();
    let problems = archive.problems();
    assert!(problems.iter().any(|p| p.contains("as derived from") && p.contains(&original)), "{problems:?}");
}
