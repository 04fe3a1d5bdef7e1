use std::io::Write;
use std::path::Path;

use crate::harness::*;

fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn zip_members_become_items_with_the_container_as_provenance() {
    let archive = TestArchive::new();
    let zip_path = archive.input("bundle.zip");
    write_zip(&zip_path, &[("testimonies/t1.txt", b"first testimony"), ("t2.txt", "第二份证词".as_bytes())]);
    let (outcomes, code) = archive.add(&[&zip_path], &[]);
    assert_eq!(code, 0, "{outcomes:?}");
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0]["path"].as_str().unwrap().ends_with("bundle.zip!/testimonies/t1.txt"));
    let object = archive.object_dir(outcomes[1]["item"].as_str().unwrap());
    assert_eq!(std::fs::read(object.join("v1/content/file.txt")).unwrap(), "第二份证词".as_bytes());
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(object.join("v1/content/evident.json")).unwrap()).unwrap();
    assert_eq!(record["provenance"]["container"]["format"], "zip");
    assert_eq!(record["provenance"]["member"], "t2.txt");
    let container_sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(std::fs::read(&zip_path).unwrap()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(record["provenance"]["container"]["sha256"], container_sha.as_str());

    // --no-unpack keeps the container as one item
    let (outcomes, code) = archive.add(&[&zip_path], &["--no-unpack"]);
    assert_eq!(code, 0);
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["sha256"], container_sha.as_str());
    archive.assert_verifies();
}

#[test]
fn tar_and_tar_gz_members_become_items() {
    let archive = TestArchive::new();
    let tar_path = archive.input("set.tar");
    let gz_path = archive.input("set.tar.gz");
    for (path, gzip) in [(&tar_path, false), (&gz_path, true)] {
        let file = std::fs::File::create(path).unwrap();
        let writer: Box<dyn Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()))
        } else {
            Box::new(file)
        };
        let mut builder = tar::Builder::new(writer);
        let body: &[u8] = if gzip { b"gz member" } else { b"tar member" };
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, "docs/a.txt", body).unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        builder.append_link(&mut link, "docs/link", "/etc/passwd").unwrap();
        builder.into_inner().unwrap().flush().unwrap();
    }
    let (outcomes, code) = archive.add(&[&tar_path, &gz_path], &[]);
    assert_eq!(code, 1, "the symbolic links are rejected: {outcomes:#?}");
    let statuses: Vec<(&str, &str)> = outcomes
        .iter()
        .map(|o| (o["path"].as_str().unwrap().rsplit('/').next().unwrap(), o["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, vec![("a.txt", "added"), ("link", "rejected"), ("a.txt", "added"), ("link", "rejected")]);
    assert!(outcomes[1]["error"].as_str().unwrap().contains("not a regular file"));
    archive.assert_verifies();
}

/// Writes a zip whose member names are stored as given, unchecked, as an
/// attacker would.
fn write_raw_zip(path: &Path, members: &[(&str, &[u8])]) {
    // Stored (uncompressed) members with a hand-built local header and central directory.
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body) in members {
        let offset = out.len() as u32;
        let crc = crc32(body);
        let header = |signature: &[u8], central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(signature);
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0u16.to_le_bytes()); // flags
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&0u32.to_le_bytes()); // time, date
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(body.len() as u32).to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
                h.extend_from_slice(&0u32.to_le_bytes()); // external attrs
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(b"PK\x03\x04", false));
        out.extend_from_slice(body);
        central.extend(header(b"PK\x01\x02", true));
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn zip_members_with_escaping_paths_are_refused() {
    let archive = TestArchive::new();
    let zip_path = archive.input("evil.zip");
    write_raw_zip(&zip_path, &[("../escape.txt", b"up"), ("/etc/cron.d/x", b"abs"), ("ok/fine.txt", b"fine")]);
    let (outcomes, code) = archive.add(&[&zip_path], &[]);
    assert_eq!(code, 1, "{outcomes:#?}");
    assert_eq!(outcomes.len(), 3);
    for outcome in &outcomes[..2] {
        assert_eq!(outcome["status"], "rejected");
        assert!(outcome["error"].as_str().unwrap().contains("unsafe member path"), "{outcome}");
    }
    assert_eq!(outcomes[2]["status"], "added");
    assert!(!archive.temp.path().join("escape.txt").exists());
    archive.assert_verifies();
}

#[test]
fn zip_bombs_and_corrupt_archives_are_refused() {
    let archive = TestArchive::new();
    let bomb = archive.input("bomb.zip");
    write_zip(&bomb, &[("zeros.bin", &vec![0u8; 8 << 20]), ("small.txt", b"small")]);
    let (outcomes, code) = archive.add(&[&bomb], &["--max-expansion-ratio", "100"]);
    assert_eq!(code, 1);
    assert_eq!(outcomes[0]["status"], "rejected");
    assert!(outcomes[0]["error"].as_str().unwrap().contains("zip bomb"), "{outcomes:?}");
    assert_eq!(outcomes[1]["status"], "added");

    let (outcomes, code) = archive.add(&[&bomb], &["--max-unpacked-bytes", "1000000", "--max-expansion-ratio", "5000"]);
    assert_eq!(code, 1);
    assert!(outcomes[0]["error"].as_str().unwrap().contains("unpacks to more than the limit"), "{outcomes:?}");

    // a tar.gz that expands past the limit
    let gz = archive.input("bomb.tar.gz");
    {
        let file = std::fs::File::create(&gz).unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::best()));
        let body = vec![0u8; 4 << 20];
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_cksum();
        builder.append_data(&mut header, "zeros.bin", &body[..]).unwrap();
        builder.into_inner().unwrap().finish().unwrap();
    }
    let (outcomes, code) = archive.add(&[&gz], &["--max-unpacked-bytes", "1000000"]);
    assert_eq!(code, 1);
    assert!(outcomes[0]["path"].as_str().unwrap().ends_with("bomb.tar.gz!/zeros.bin"), "{outcomes:?}");
    assert!(outcomes[0]["error"].as_str().unwrap().contains("unpacks to more than the limit"), "{outcomes:?}");
    assert!(outcomes.iter().all(|o| o["status"] == "rejected"), "{outcomes:?}");

    // corrupt: a zip cut in half, garbage named .zip, a truncated tar.gz
    let bytes = std::fs::read(&bomb).unwrap();
    let cut = archive.write_input("cut.zip", &bytes[..bytes.len() / 2]);
    let garbage = archive.write_input("garbage.zip", b"this is not a zip file at all");
    let gz_bytes = std::fs::read(&gz).unwrap();
    let truncated = archive.write_input("truncated.tar.gz", &gz_bytes[..gz_bytes.len() / 2]);
    let (outcomes, code) = archive.add(&[&cut, &garbage, &truncated], &[]);
    assert_eq!(code, 1);
    assert!(outcomes.len() >= 3, "{outcomes:#?}");
    assert!(
        outcomes.iter().all(|o| o["status"] == "rejected" && o["error"].as_str().unwrap().contains("corrupt")),
        "{outcomes:#?}"
    );
    assert!(outcomes[0]["path"].as_str().unwrap().ends_with("cut.zip"));
    assert!(outcomes[1]["path"].as_str().unwrap().ends_with("garbage.zip"));
    assert!(outcomes[2]["path"].as_str().unwrap().contains("truncated.tar.gz"));
    let (report, _) = archive.verify();
    assert_eq!(report["items"], 1, "only small.txt: {report:#}");
    assert_eq!(report["ok"], true);
}
