//! Encodings: byte-order marks, GB18030 from Chinese Excel, and bad bytes.

use encoding_rs::GB18030;
use evident_formats::{Format, FormatError};
use serde_json::json;

use crate::{raw, read};

const FACILITIES: &str = "id,name_zh,province,note\n\
    fac_1,乌鲁木齐市第三看守所,新疆,\"看守所，容量未知\"\n\
    fac_2,喀什地区拘留所,新疆,ئۇيغۇر تىلى\n";

fn expected_facilities() -> Vec<evident_formats::RawRecord> {
    vec![
        raw(
            2,
            None,
            Some("fac_1"),
            json!({"name_zh": "乌鲁木齐市第三看守所", "province": "新疆", "note": "看守所，容量未知"}),
        ),
        raw(3, None, Some("fac_2"), json!({"name_zh": "喀什地区拘留所", "province": "新疆", "note": "ئۇيغۇر تىلى"})),
    ]
}

/// UTF-16 in the given byte order, with its byte-order mark. (encoding_rs
/// decodes UTF-16 but, following the WHATWG standard, encodes it as UTF-8.)
fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
    let units = std::iter::once(0xFEFF).chain(text.encode_utf16());
    units.flat_map(|unit| if little_endian { unit.to_le_bytes() } else { unit.to_be_bytes() }).collect()
}

#[test]
fn utf8_with_bom_csv_reads_the_first_column_by_its_name() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(FACILITIES.as_bytes());
    let read = read(bytes, Format::Csv);
    assert_eq!(read.report.encoding, "UTF-8 with BOM");
    // Had the mark stayed, the first column would be "\u{feff}id", a field.
    assert_eq!(read.all_records().into_iter().cloned().collect::<Vec<_>>(), expected_facilities());
}

#[test]
fn utf16_little_and_big_endian_csv() {
    for (little_endian, name) in [(true, "UTF-16LE"), (false, "UTF-16BE")] {
        let read = read(utf16(FACILITIES, little_endian), Format::Csv);
        assert_eq!(read.report.encoding, name);
        assert_eq!(read.all_records().into_iter().cloned().collect::<Vec<_>>(), expected_facilities(), "{name}");
    }
}

#[test]
fn utf16_keeps_characters_outside_the_basic_plane() {
    let read = read(utf16("id,name_zh\nfac_1,𠀀𪚥\n", true), Format::Csv);
    assert_eq!(read.all_records()[0].fields["name_zh"], "𠀀𪚥");
}

#[test]
fn gb18030_csv_from_a_chinese_excel_is_recognised_and_said() {
    let (bytes, _, unmappable) = GB18030.encode(FACILITIES);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the test needs bytes that are not UTF-8");
    let read = read(bytes.into_owned(), Format::Csv);
    assert_eq!(read.report.encoding, "GB18030");
    assert_eq!(read.all_records().into_iter().cloned().collect::<Vec<_>>(), expected_facilities());
}

#[test]
fn gb18030_jsonl() {
    let (bytes, _, _) = GB18030.encode("{\"kind\":\"person\",\"note\":\"被拘留于2017年\"}\n");
    let read = read(bytes.into_owned(), Format::Jsonl);
    assert_eq!(read.report.encoding, "GB18030");
    assert_eq!(read.all_records()[0].fields["note"], "被拘留于2017年");
}

#[test]
fn bytes_in_no_known_encoding_refuse_the_file() {
    let error = crate::open_error(b"id,name\nfac_1,\xFF\xFF\xFF\n".to_vec(), Format::Csv);
    assert!(matches!(error, FormatError::Encoding { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the file is not UTF-8, UTF-16 or GB18030 (byte 15 is not valid UTF-8, and the start of the file is not valid \
         GB18030); save it as UTF-8 and import it again"
    );
}

#[test]
fn bad_bytes_after_the_first_64_kib_fail_only_their_row() {
    let mut bytes = b"id,note\n".to_vec();
    for n in 0..2000 {
        bytes.extend(format!("fac_{n},plain ascii filler to push the bad bytes past 64 KiB\n").as_bytes());
    }
    assert!(bytes.len() > 64 * 1024);
    bytes.extend(b"fac_bad,\xC0\xAF broken\n");
    bytes.extend("fac_after,新疆\n".as_bytes());
    let read = read(bytes.clone(), Format::Csv);
    assert_eq!(read.report.encoding, "UTF-8");
    assert_eq!(read.errors(), ["line 2002: the line holds bytes that are not valid UTF-8"]);
    let records = read.records();
    assert_eq!(records.len(), 2001);
    assert_eq!(records[2000].line, 2003);
    assert_eq!(records[2000].fields["note"], "新疆");

    // The same for JSON Lines.
    let mut bytes = Vec::new();
    for n in 0..2000 {
        bytes.extend(format!("{{\"id\":\"fac_{n}\",\"note\":\"filler filler filler filler\"}}\n").as_bytes());
    }
    bytes.extend(b"{\"note\":\"\xFF\"}\n{\"note\":\"ok\"}\n");
    let read = crate::read(bytes, Format::Jsonl);
    assert_eq!(read.errors(), ["line 2001: the line holds bytes that are not valid UTF-8"]);
    assert_eq!(read.records().last().unwrap().fields["note"], "ok");
}
