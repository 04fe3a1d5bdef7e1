//! Extraction through the public API, on files built here: office documents
//! zipped with the zip crate, PDFs written byte by byte with real xref
//! offsets, text and HTML encoded with encoding_rs, mail as RFC 5322 text.

use std::io::{Cursor, Write};

use evident_extract::{Extracted, Extraction, LangSpan, MAX_INPUT_BYTES, MAX_TEXT_BYTES, detect_language, extract};
use proptest::prelude::*;
use zip::write::SimpleFileOptions;

const ENGLISH: &str = "All human beings are born free and equal in dignity and rights. They are endowed with \
    reason and conscience and should act towards one another in a spirit of brotherhood.";
const CHINESE: &str = "人人生而自由，在尊严和权利上一律平等。";
const UYGHUR: &str = "ھەممە ئادەم تۇغۇلۇشىدىنلا ئەركىن، ئىززەت-ھۆرمەت ۋە ھوقۇقتا باب-باراۋەر بولۇپ تۇغۇلغان.";
const TIBETAN: &str = "འགྲོ་བ་མིའི་རིགས་རྒྱུད་ཡོངས་ལ་སྐྱེས་ཙམ་ཉིད་ནས་ཆེ་མཐོངས་དང༌། ཐོབ་ཐང་གི་རང་དབང་འདྲ་མཉམ་དུ་ཡོད་ལ།";

// ---------------------------------------------------------------- harness

/// The extraction of a file that must yield text.
fn text(name: &str, bytes: &[u8]) -> Extracted {
    match extract(name, bytes) {
        Extraction::Text(extracted) => extracted,
        other => panic!("{name}: expected text, got {other:?}"),
    }
}

/// The format and reason of a file that must fail.
fn failure(name: &str, bytes: &[u8]) -> (String, String) {
    match extract(name, bytes) {
        Extraction::Failed { format, reason } => (format, reason),
        other => panic!("{name}: expected a failure, got {other:?}"),
    }
}

fn no_text(name: &str, bytes: &[u8]) -> String {
    match extract(name, bytes) {
        Extraction::NoText { format } => format,
        other => panic!("{name}: expected no text, got {other:?}"),
    }
}

fn span_languages(extracted: &Extracted) -> Vec<&str> {
    extracted.langs.iter().map(|span| span.lang.as_str()).collect()
}

/// A zip archive of `(name, content)` members, deflated.
fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in members {
        let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file(*name, options).expect("start member");
        writer.write_all(content).expect("write member");
    }
    writer.finish().expect("finish zip").into_inner()
}

fn docx(document_xml: &str, title: Option<&str>) -> Vec<u8> {
    let core = title.map(|title| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title><dc:creator>Investigator</dc:creator></cp:coreProperties>"#
        )
    });
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="wps" xmlns:v="v"><w:body>{document_xml}</w:body></w:document>"#
    );
    let mut members: Vec<(&str, &[u8])> = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#,
        ),
        ("word/document.xml", document.as_bytes()),
    ];
    if let Some(core) = &core {
        members.push(("docProps/core.xml", core.as_bytes()));
    }
    zip_of(&members)
}

/// A PDF with one page per entry of `pages` (content streams), standard
/// fonts F1 (Helvetica) and F2 (a CID font whose ToUnicode maps CIDs 1-4
/// to 人权医院), and an optional /Info /Title. Offsets in the xref table are
/// computed, so the file is valid and needs no repair by the reader.
fn pdf(pages: &[&str], title: Option<&str>) -> Vec<u8> {
    let to_unicode = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
        /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
        /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
        1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n\
        4 beginbfchar\n<0001> <4EBA>\n<0002> <6743>\n<0003> <533B>\n<0004> <9662>\nendbfchar\n\
        endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend";
    let page_count = pages.len();
    // Objects: 1 catalog, 2 pages, 3 Helvetica, 4 CID font, 5 descendant,
    // 6 descriptor, 7 ToUnicode, 8 info, then a page and its content each.
    let mut objects: Vec<String> = Vec::new();
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..page_count).map(|index| format!("{} 0 R", 9 + 2 * index)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {page_count} >>", kids.join(" ")));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned());
    objects.push(
        "<< /Type /Font /Subtype /Type0 /BaseFont /CJKTest /Encoding /Identity-H /DescendantFonts [5 0 R] /ToUnicode 7 0 R >>"
            .to_owned(),
    );
    objects.push(
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /CJKTest /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 6 0 R /DW 1000 >>"
            .to_owned(),
    );
    objects.push(
        "<< /Type /FontDescriptor /FontName /CJKTest /Flags 4 /FontBBox [0 -120 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>"
            .to_owned(),
    );
    objects.push(format!("<< /Length {} >>\nstream\n{to_unicode}\nendstream", to_unicode.len()));
    objects.push(match title {
        Some(title) => format!("<< /Title ({title}) /Producer (evident-extract tests) >>"),
        None => "<< /Producer (evident-extract tests) >>".to_owned(),
    });
    for (index, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
            10 + 2 * index
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    let objects: Vec<Vec<u8>> = objects.into_iter().map(String::into_bytes).collect();
    pdf_from_objects(&objects, "/Info 8 0 R")
}

/// A PDF of these objects (numbered from 1; the first is the catalog) with a
/// correct xref table. `trailer_extra` goes into the trailer dictionary.
fn pdf_from_objects(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    const ID: &str = "5d41402abc4b2a76b9719d911017c592";
    let mut file: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(file.len());
        file.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        file.extend_from_slice(object);
        file.extend_from_slice(b"\nendobj\n");
    }
    let xref_offset = file.len();
    file.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        file.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let size = objects.len() + 1;
    file.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R {trailer_extra} /ID [<{ID}> <{ID}>] >>\nstartxref\n{xref_offset}\n%%EOF\n"
        )
        .as_bytes(),
    );
    file
}

/// A one-page PDF whose page shows `page_content` with Helvetica as /F1 and
/// the form XObjects `forms` (name, own resources or none, content) as
/// objects 5, 6, ...; `xobjects` is the page's /XObject dictionary.
fn pdf_with_forms(page_content: &str, xobjects: &str, forms: &[(Option<&str>, &str)]) -> Vec<u8> {
    let stream = |dictionary: &str, content: &str| {
        format!("<< {dictionary} /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes()
    };
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 {} 0 R >> /XObject << {xobjects} >> >> >>",
            5 + forms.len()
        )
        .into_bytes(),
        stream("", page_content),
    ];
    for (resources, content) in forms {
        let resources = resources.map(|resources| format!("/Resources {resources}")).unwrap_or_default();
        objects.push(stream(&format!("/Type /XObject /Subtype /Form /BBox [0 0 612 792] {resources}"), content));
    }
    objects.push(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec());
    pdf_from_objects(&objects, "")
}

const KIDNEY_PAGE: &str = "BT /F1 24 Tf 72 720 Td (Kidney transplant waiting time) Tj ET\n\
    BT /F1 12 Tf 72 660 Td (The patient waited three weeks for a kidney at the hospital in the city.) Tj ET";

/// A real 1x1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x04\x00\x09\xfb\x03\xfd\xe3U\xf2\x9c\x00\x00\x00\x00IEND\xaeB`\x82";

// ---------------------------------------------------------------- plain text and encodings

#[test]
fn utf8_text_keeps_lines_and_makes_paragraphs() {
    let extracted = text("notes.txt", "First line\r\nsecond line   \r\n\r\n\r\n\r\nNext paragraph\n".as_bytes());
    assert_eq!(extracted.format, "text");
    assert_eq!(extracted.text, "First line\nsecond line\n\nNext paragraph");
    assert_eq!(extracted.encoding.as_deref(), Some("UTF-8"));
    assert_eq!(extracted.title, None);
    assert!(!extracted.truncated);
}

#[test]
fn utf16_with_and_without_bom() {
    let sentence = "Kidney transplant waiting time: 人权 医院";
    let little: Vec<u8> = sentence.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let with_bom = [b"\xff\xfe".as_slice(), &little].concat();
    let big_with_bom: Vec<u8> =
        [b"\xfe\xff".as_slice(), &sentence.encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<u8>>()].concat();
    for (bytes, encoding) in [(&with_bom, "UTF-16LE"), (&little, "UTF-16LE"), (&big_with_bom, "UTF-16BE")] {
        let extracted = text("statement.txt", bytes);
        assert_eq!(extracted.text, sentence);
        assert_eq!(extracted.encoding.as_deref(), Some(encoding));
    }
}

#[test]
fn legacy_chinese_encodings_are_detected() {
    let (gb18030, _, _) = encoding_rs::GB18030.encode("人权 医院");
    let extracted = text("gb.txt", &gb18030);
    assert_eq!((extracted.text.as_str(), extracted.encoding.as_deref()), ("人权 医院", Some("GB18030")));
    assert_eq!(extracted.lang.as_deref(), Some("zh"));

    let (big5, _, _) = encoding_rs::BIG5.encode("人權 醫院");
    let extracted = text("big5.txt", &big5);
    assert_eq!((extracted.text.as_str(), extracted.encoding.as_deref()), ("人權 醫院", Some("Big5")));
    assert_eq!(extracted.lang.as_deref(), Some("zh"));
}

#[test]
fn windows_1252_is_detected() {
    let original = "Le délai d'attente pour une greffe de rein à l'hôpital était très long, déclare-t-il.";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(original);
    let extracted = text("lettre.txt", &bytes);
    assert_eq!(extracted.text, original);
    assert_eq!(extracted.encoding.as_deref(), Some("windows-1252"));
    assert_eq!(extracted.lang.as_deref(), Some("fr"));
}

#[test]
fn mixed_language_paragraphs_get_one_span_each() {
    let content = format!("{ENGLISH}\n\n{CHINESE}\n\n{UYGHUR}\n\n{TIBETAN}\n");
    let extracted = text("udhr.txt", content.as_bytes());
    assert_eq!(span_languages(&extracted), ["en", "zh", "ug", "bo"]);
    for (span, paragraph) in extracted.langs.iter().zip([ENGLISH, CHINESE, UYGHUR, TIBETAN]) {
        assert_eq!(&extracted.text[span.start..span.end], paragraph);
    }
    assert_eq!(extracted.lang.as_deref(), Some("en"), "English has the most letters");
}

#[test]
fn adjacent_paragraphs_of_one_language_are_merged() {
    let content = format!("{CHINESE}\n\n医院的等待时间很短。\n\n{UYGHUR}\n\n{UYGHUR}");
    let extracted = text("merged.txt", content.as_bytes());
    let chinese_end = CHINESE.len() + 2 + "医院的等待时间很短。".len();
    assert_eq!(
        extracted.langs,
        [
            LangSpan { start: 0, end: chinese_end, lang: "zh".into() },
            LangSpan { start: chinese_end + 2, end: content.len(), lang: "ug".into() },
        ]
    );
    assert_eq!(extracted.lang.as_deref(), Some("ug"));
}

#[test]
fn detect_language_follows_the_script_rules() {
    assert_eq!(detect_language(UYGHUR).as_deref(), Some("ug"));
    assert_eq!(detect_language(TIBETAN).as_deref(), Some("bo"));
    assert_eq!(detect_language(CHINESE).as_deref(), Some("zh"));
    assert_eq!(detect_language(ENGLISH).as_deref(), Some("en"));
    assert_eq!(detect_language("ok"), None);
}

#[test]
fn empty_files_have_no_text() {
    assert_eq!(no_text("empty.txt", b""), "empty");
    assert_eq!(no_text("empty.docx", b""), "empty");
}

#[test]
fn images_and_binary_data_have_no_text() {
    assert_eq!(no_text("photo.png", PNG), "png");
    assert_eq!(no_text("photo.txt", PNG), "png", "content decides, not the name");
    let mut binary = vec![0u8, 1, 2, 3, 0, 0, 0xff, 0x10];
    binary.extend((0..2000u32).map(|index| (index * 7919 % 251) as u8));
    assert_eq!(no_text("blob.bin", &binary), "binary");
    let archive = zip_of(&[("readme.md", b"hello")]);
    assert_eq!(no_text("bundle.zip", &archive), "zip");
}

#[test]
fn text_is_truncated_at_the_cap() {
    let line = "人权 hospital waiting time ".repeat(40);
    let content = format!("{line}\n").repeat(MAX_TEXT_BYTES / line.len() + 100);
    let extracted = text("huge.txt", content.as_bytes());
    assert!(extracted.truncated);
    assert!(extracted.text.len() <= MAX_TEXT_BYTES);
    assert!(extracted.text.len() > MAX_TEXT_BYTES - 4);
}

#[test]
fn oversized_input_is_refused_without_reading() {
    let content = vec![b'a'; MAX_INPUT_BYTES as usize + 1];
    let (format, reason) = failure("big.txt", &content);
    assert_eq!(format, "text");
    assert!(reason.contains(&MAX_INPUT_BYTES.to_string()), "{reason}");
}

// ---------------------------------------------------------------- HTML

#[test]
fn html_skips_scripts_and_styles_and_reads_title_and_lang() {
    let html = r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Hospital &amp; transplant report</title>
<style>body { font-family: "not text"; }</style>
<script>document.write("<p>injected</p>"); var secret = "not text";</script>
</head><body>
<h1>Waiting&nbsp;times</h1>
<p>The waiting time was <b>three</b>
   weeks.</p><noscript>Please enable JavaScript</noscript>
<ul><li>First &lt;item&gt;</li><li>Second item</li></ul>
</body></html>"#;
    let extracted = text("report.html", html.as_bytes());
    assert_eq!(extracted.format, "html");
    assert_eq!(extracted.title.as_deref(), Some("Hospital & transplant report"));
    // A no-break space is white space like any other for search.
    assert_eq!(extracted.text, "Waiting times\n\nThe waiting time was three weeks.\n\nFirst <item>\nSecond item");
    assert_eq!(extracted.lang.as_deref(), Some("zh"), "the declared language wins");
    assert_eq!(extracted.encoding.as_deref(), Some("UTF-8"));
}

#[test]
fn html_with_one_endless_paragraph_is_truncated() {
    let html = format!("<html><body><p>{}</p></body></html>", "hospital ".repeat(MAX_TEXT_BYTES / 9 + 1000));
    let extracted = text("endless.html", html.as_bytes());
    assert!(extracted.truncated);
    assert!(extracted.text.len() <= MAX_TEXT_BYTES && extracted.text.len() > MAX_TEXT_BYTES - 16);
    assert!(extracted.text.starts_with("hospital hospital"));
}

#[test]
fn html_in_gb18030_with_meta_charset() {
    let page = format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"><title>医院</title></head><body><p>{CHINESE}</p><p>人权 医院</p></body></html>"
    );
    let (bytes, _, _) = encoding_rs::GB18030.encode(&page);
    let extracted = text("page.htm", &bytes);
    assert_eq!(extracted.text, format!("{CHINESE}\n\n人权 医院"));
    assert_eq!(extracted.title.as_deref(), Some("医院"));
    assert_eq!(extracted.encoding.as_deref(), Some("GB18030"));
    assert_eq!(extracted.lang.as_deref(), Some("zh"));
}

#[test]
fn html_in_big5_without_a_declaration_is_detected() {
    let page = "<html><body><p>人權 醫院</p><p>人人生而自由，在尊嚴和權利上一律平等。</p></body></html>";
    let (bytes, _, _) = encoding_rs::BIG5.encode(page);
    let extracted = text("page", &bytes);
    assert_eq!(extracted.format, "html", "recognised by content");
    assert_eq!(extracted.text, "人權 醫院\n\n人人生而自由，在尊嚴和權利上一律平等。");
    assert_eq!(extracted.encoding.as_deref(), Some("Big5"));
}

// ---------------------------------------------------------------- PDF

#[test]
fn pdf_text_layer_and_info_title() {
    let extracted = text("kidney.pdf", &pdf(&[KIDNEY_PAGE], Some("Waiting times")));
    assert_eq!(extracted.format, "pdf");
    assert_eq!(extracted.title.as_deref(), Some("Waiting times"));
    assert!(extracted.text.starts_with("Kidney transplant waiting time"), "{:?}", extracted.text);
    assert!(extracted.text.contains("The patient waited three weeks for a kidney at the hospital in the city."));
    assert_eq!(extracted.lang.as_deref(), Some("en"));
    assert_eq!(extracted.encoding, None);
}

#[test]
fn pdf_cjk_text_through_to_unicode() {
    let page = "BT /F2 24 Tf 72 720 Td <00010002> Tj 72 0 Td <00030004> Tj ET";
    let extracted = text("cjk.pdf", &pdf(&[page], None));
    assert_eq!(extracted.text, "人权 医院");
    assert_eq!(extracted.lang.as_deref(), Some("zh"));
}

/// Where poppler's pdftotext is installed, it reads the same words from our
/// fixtures (a check that the hand-written PDFs are valid, and that our text
/// agrees with a reference reader). Without it, only our side is checked.
#[test]
fn pdf_text_matches_pdftotext_when_available() {
    let cases =
        [(pdf(&[KIDNEY_PAGE], None), "Kidney"), (pdf(&["BT /F2 24 Tf 72 720 Td <00010002> Tj ET"], None), "人权")];
    for (bytes, first_word) in cases {
        let ours = text("fixture.pdf", &bytes).text;
        assert!(ours.starts_with(first_word), "{ours:?}");
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("fixture.pdf");
        std::fs::write(&path, &bytes).expect("write fixture");
        let Ok(output) = std::process::Command::new("pdftotext").arg(&path).arg("-").output() else {
            continue;
        };
        assert!(output.status.success(), "pdftotext: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.stderr.is_empty(), "pdftotext complains: {}", String::from_utf8_lossy(&output.stderr));
        let reference = String::from_utf8_lossy(&output.stdout);
        let words = |text: &str| text.split_whitespace().map(str::to_owned).collect::<Vec<String>>();
        assert_eq!(words(&ours), words(&reference));
    }
}

/// The same document as lopdf writes it compressed, with object streams and
/// a cross-reference stream: the safety checks must not refuse real files.
#[test]
fn pdf_with_compressed_streams_object_streams_and_xref_stream() {
    let mut document = pdf_extract::Document::load_mem(&pdf(&[KIDNEY_PAGE], Some("Waiting times"))).expect("load");
    for object in document.objects.values_mut() {
        if let pdf_extract::Object::Stream(stream) = object {
            stream.compress().expect("compress");
        }
    }
    let options = pdf_extract::SaveOptions::builder().use_object_streams(true).use_xref_streams(true).build();
    let mut modern = Vec::new();
    document.save_with_options(&mut modern, options).expect("save");
    assert!(modern.windows(7).any(|window| window == b"/ObjStm"), "object streams were written");
    let extracted = text("modern.pdf", &modern);
    assert!(extracted.text.starts_with("Kidney transplant waiting time\n\nThe patient waited"), "{:?}", extracted.text);
    assert_eq!(extracted.title.as_deref(), Some("Waiting times"));
}

#[test]
fn pdf_pages_are_paragraphs() {
    let second = "BT /F1 12 Tf 72 720 Td (Second page about the hospital) Tj ET";
    let extracted = text("two.pdf", &pdf(&[KIDNEY_PAGE, second], None));
    assert!(extracted.text.ends_with("city.\n\nSecond page about the hospital"), "{:?}", extracted.text);
}

#[test]
fn pdf_without_text_layer_fails_with_page_count() {
    let drawing = "0 0 1 rg 100 100 200 200 re f";
    let (format, reason) = failure("scan.pdf", &pdf(&[drawing, drawing, drawing], None));
    assert_eq!(format, "pdf");
    assert_eq!(reason, "PDF: no text layer on any of its 3 pages (a scan needs OCR)");
}

#[test]
fn encrypted_pdf_fails_but_empty_user_password_opens() {
    use evident_extract_test_support::encrypt_pdf;
    let plain = pdf(&[KIDNEY_PAGE], None);
    let (format, reason) = failure("locked.pdf", &encrypt_pdf(&plain, "secret"));
    assert_eq!(format, "pdf");
    assert!(reason.contains("encrypted"), "{reason}");
    let extracted = text("permissions-only.pdf", &encrypt_pdf(&plain, ""));
    assert!(extracted.text.starts_with("Kidney transplant waiting time"), "{:?}", extracted.text);
}

/// pdf-extract follows `Do` without a depth limit or cycle check; these
/// would overflow the stack and abort the process without the guard.
#[test]
fn pdf_form_xobject_cycles_and_deep_chains_are_cut() {
    let text_at = |y: u32, words: &str| format!("BT /F1 12 Tf 72 {y} Td ({words}) Tj ET");
    // A form that invokes itself through its own resources.
    let own = pdf_with_forms(
        &format!("{} /X1 Do", text_at(720, "Page text")),
        "/X1 5 0 R",
        &[(
            Some("<< /Font << /F1 6 0 R >> /XObject << /Self 5 0 R >> >>"),
            &format!("{} /Self Do", text_at(700, "Form text")),
        )],
    );
    assert_eq!(text("own.pdf", &own).text, "Page text\n\nForm text");
    // A form without resources invokes itself through the page's.
    let inherited = pdf_with_forms(
        &format!("{} /X1 Do", text_at(720, "Page text")),
        "/X1 5 0 R",
        &[(None, &format!("{} /X1 Do", text_at(700, "Inherited form")))],
    );
    assert_eq!(text("inherited.pdf", &inherited).text, "Page text\n\nInherited form");
    // Two forms invoking each other.
    let pair = pdf_with_forms(
        "/A Do",
        "/A 5 0 R /B 6 0 R",
        &[(None, &format!("{} /B Do", text_at(720, "Form A"))), (None, &format!("{} /A Do", text_at(700, "Form B")))],
    );
    assert_eq!(text("pair.pdf", &pair).text, "Form A\n\nForm B");
    // A chain of 2000 distinct forms, each invoking the next.
    let count = 2000;
    let chain: Vec<(String, String)> = (0..count)
        .map(|index| {
            let next = 5 + index + 1;
            let resources = format!("<< /XObject << /N {next} 0 R >> /Font << /F1 {} 0 R >> >>", 5 + count);
            (resources, if index + 1 < count { "/N Do".to_owned() } else { text_at(700, "Bottom") })
        })
        .collect();
    let forms: Vec<(Option<&str>, &str)> =
        chain.iter().map(|(resources, content)| (Some(resources.as_str()), content.as_str())).collect();
    let deep = pdf_with_forms(&format!("{} /N Do", text_at(720, "Top of a deep chain")), "/N 5 0 R", &forms);
    assert_eq!(text("deep.pdf", &deep).text, "Top of a deep chain", "the chain is cut before its bottom");
}

#[test]
fn pdf_page_tree_loops_end() {
    let stream = |content: &str| format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes();
    // The page tree lists itself as a kid.
    let kids_loop = pdf_from_objects(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
            stream("BT /F1 12 Tf 72 720 Td (Looped tree) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ],
        "",
    );
    // lopdf gives up on such a tree; what matters is that it ends.
    assert_eq!(failure("kids.pdf", &kids_loop), ("pdf".to_owned(), "PDF: the document has no pages".to_owned()));
    // Resources are inherited through a /Parent chain that loops, and no
    // node has a MediaBox: pdf-extract would search up the loop forever.
    let parent_loop = pdf_from_objects(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 6 0 R >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>".to_vec(),
            stream("BT /F1 12 Tf 72 720 Td (Orphan) Tj ET"),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
            b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        ],
        "",
    );
    assert_eq!(text("parents.pdf", &parent_loop).text, "Orphan");
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("compress");
    encoder.finish().expect("compress")
}

/// A stream object whose content is `compressed` with this /Filter.
fn compressed_stream(dictionary: &str, filter: &str, compressed: &[u8]) -> Vec<u8> {
    let mut object = format!("<< {dictionary} /Filter {filter} /Length {} >>\nstream\n", compressed.len()).into_bytes();
    object.extend_from_slice(compressed);
    object.extend_from_slice(b"\nendstream");
    object
}

/// Decompressing these would take more memory than the machine has, and an
/// allocation failure aborts the process.
#[test]
fn pdf_compression_bombs_are_defused() {
    // Content that would show an "x" per seven bytes if it were read.
    let mut content = b"BT /F1 12 Tf 72 700 Td ".to_vec();
    while content.len() < 65 * 1024 * 1024 {
        content.extend_from_slice(b"(x) Tj ");
    }
    content.extend_from_slice(b"ET");
    let bomb = zlib(&content);
    assert!(bomb.len() < 1024 * 1024);
    let page = |contents: &str| {
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} /Resources << /Font << /F1 6 0 R >> >> >>"
        )
        .into_bytes()
    };
    let text_stream =
        |content: &str| format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes();
    let font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec();

    // A page whose second content stream is a bomb: it is emptied, the
    // first still gives its text.
    let content_bomb = pdf_from_objects(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            page("[4 0 R 5 0 R]"),
            text_stream("BT /F1 12 Tf 72 720 Td (Before the bomb) Tj ET"),
            compressed_stream("", "/FlateDecode", &bomb),
            font.clone(),
        ],
        "",
    );
    let read = text("content-bomb.pdf", &content_bomb).text;
    assert!(read == "Before the bomb", "the bomb was read: {} bytes", read.len());

    // Compressed twice: 65 MiB in a few kilobytes.
    let double = zlib(&bomb);
    let double_bomb = pdf_from_objects(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            page("[4 0 R 5 0 R]"),
            text_stream("BT /F1 12 Tf 72 720 Td (Before the double bomb) Tj ET"),
            compressed_stream("", "[/FlateDecode /FlateDecode]", &double),
            font.clone(),
        ],
        "",
    );
    let read = text("double-bomb.pdf", &double_bomb).text;
    assert!(read == "Before the double bomb", "the bomb was read: {} bytes", read.len());

    // An object stream is decompressed by lopdf while loading: refused first.
    let object_stream_bomb = pdf_from_objects(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            page("4 0 R"),
            text_stream("BT /F1 12 Tf 72 720 Td (Never read) Tj ET"),
            compressed_stream("/Type /ObjStm /N 1 /First 4", "/FlateDecode", &bomb),
            font,
        ],
        "",
    );
    let (format, reason) = failure("objstm-bomb.pdf", &object_stream_bomb);
    assert_eq!(format, "pdf");
    assert!(reason.contains("compression bomb"), "{reason}");
}

#[test]
fn pdf_garbage_fails_without_panicking() {
    let (format, reason) =
        failure("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage\x00\x01");
    assert_eq!(format, "pdf");
    assert!(reason.starts_with("PDF: "), "{reason}");
    let (format, reason) = failure("random.pdf", &[0x13, 0x00, 0xfe, 0x22, 0x07, 0x99, 0x00, 0x01]);
    assert_eq!(format, "pdf");
    assert!(reason.contains("not a pdf file"), "{reason}");
    let mut cut = pdf(&[KIDNEY_PAGE], None);
    cut.truncate(cut.len() / 2);
    assert!(matches!(extract("cut.pdf", &cut), Extraction::Failed { .. } | Extraction::Text(_)));
}

// ---------------------------------------------------------------- docx, odt, xlsx

#[test]
fn docx_paragraphs_tables_and_title() {
    let body = r#"
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
  <w:r><w:t xml:space="preserve">Kidney </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>transplant</w:t></w:r>
  <w:r><w:tab/><w:t>waiting time &amp; list</w:t></w:r></w:p>
<w:p><w:r><w:t>Line one</w:t><w:br/><w:t>line two</w:t></w:r><w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del></w:p>
<w:p/>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Name</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>City</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>Ali</w:t></w:r></w:p><w:p><w:r><w:t>Tursun</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>喀什</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t>After the table.</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>Text box</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox><w:txbxContent><w:p><w:r><w:t>Text box</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"#;
    let extracted = text("report.docx", &docx(body, Some("Transplant report")));
    assert_eq!(extracted.format, "docx");
    assert_eq!(extracted.title.as_deref(), Some("Transplant report"));
    assert_eq!(
        extracted.text,
        "Kidney transplant\twaiting time & list\n\nLine one\nline two\n\nName\tCity\nAli Tursun\t喀什\n\nAfter the table.\n\nText box"
    );
}

#[test]
fn docx_language_comes_from_its_text() {
    let body = format!("<w:p><w:r><w:t>{UYGHUR}</w:t></w:r></w:p><w:p><w:r><w:t>{UYGHUR}</w:t></w:r></w:p>");
    let extracted = text("uyghur.docx", &docx(&body, None));
    assert_eq!(extracted.lang.as_deref(), Some("ug"));
    assert_eq!(extracted.title, None);
}

#[test]
fn corrupt_docx_fails_naming_the_problem() {
    let (format, reason) = failure("broken.docx", b"PK\x03\x04 this is not really a zip archive at all");
    assert_eq!(format, "docx");
    assert!(reason.starts_with("docx: the file is not a readable zip archive"), "{reason}");

    let bad_xml = docx("<w:p><w:r><w:t>unclosed</w:r></w:p>", None);
    let (format, reason) = failure("bad.docx", &bad_xml);
    assert_eq!(format, "docx");
    assert!(reason.starts_with("docx: word/document.xml is not valid XML at byte "), "{reason}");

    let not_word = zip_of(&[("content.txt", b"hello")]);
    let (_, reason) = failure("other.docx", &not_word);
    assert_eq!(reason, "docx: the zip archive has no word/document.xml, so it is not a docx file");

    let mut cut = docx("<w:p><w:r><w:t>text</w:t></w:r></w:p>", Some("Title"));
    cut.truncate(cut.len() - 30);
    let (format, _) = failure("cut.docx", &cut);
    assert_eq!(format, "docx");
}

#[test]
fn encrypted_docx_is_reported_as_encrypted() {
    // Password-protected Office files are OLE2 containers with an
    // EncryptedPackage stream instead of a zip archive.
    let mut ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    ole.resize(1024, 0);
    ole.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
    ole.resize(4096, 0);
    let (format, reason) = failure("secret.docx", &ole);
    assert_eq!(format, "docx");
    assert_eq!(reason, "docx: the document is encrypted with a password, so its text cannot be read");
}

#[test]
fn zip_bomb_member_is_refused() {
    let bomb = vec![b' '; 65 * 1024 * 1024];
    let mut document = b"<w:document xmlns:w=\"w\"><w:body>".to_vec();
    document.extend_from_slice(&bomb);
    let archive = zip_of(&[("word/document.xml", &document)]);
    assert!(archive.len() < 1024 * 1024, "the bomb compresses well");
    let (format, reason) = failure("bomb.docx", &archive);
    assert_eq!(format, "docx");
    assert!(reason.contains("word/document.xml decompresses to more than 64 MiB"), "{reason}");
}

#[test]
fn odt_headings_paragraphs_spaces_and_title() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0">
<office:body><office:text>
<text:tracked-changes><text:changed-region><text:deletion><text:p>removed text</text:p></text:deletion></text:changed-region></text:tracked-changes>
<text:h text:outline-level="1">Waiting times</text:h>
<text:p>Three<text:s text:c="3"/>spaces, a<text:tab/>tab and a<text:line-break/>break.</text:p>
<text:p><text:span>人权</text:span> 医院</text:p>
<table:table table:name="Table1"><table:table-row><table:table-cell><text:p>a</text:p></table:table-cell><table:table-cell><text:p>b</text:p></table:table-cell></table:table-row></table:table>
</office:text></office:body></office:document-content>"#;
    let meta = r#"<?xml version="1.0"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>ODF report</dc:title></office:meta></office:document-meta>"#;
    let archive = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
        ("meta.xml", meta.as_bytes()),
    ]);
    let extracted = text("report.odt", &archive);
    assert_eq!(extracted.format, "odt");
    assert_eq!(extracted.title.as_deref(), Some("ODF report"));
    assert_eq!(extracted.text, "Waiting times\n\nThree   spaces, a\ttab and a\nbreak.\n\n人权 医院\n\na\tb");
}

#[test]
fn ods_sheets_become_headings_and_rows() {
    let content = r#"<office:document-content xmlns:office="o" xmlns:text="t" xmlns:table="ta"><office:body><office:spreadsheet>
<table:table table:name="Patients"><table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell><text:p>Days</text:p></table:table-cell></table:table-row>
<table:table-row><table:table-cell><text:p>Ali</text:p></table:table-cell><table:table-cell/><table:table-cell/><table:table-cell><text:p>12</text:p></table:table-cell></table:table-row></table:table>
</office:spreadsheet></office:body></office:document-content>"#;
    let archive =
        zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content.as_bytes())]);
    let extracted = text("list.ods", &archive);
    assert_eq!(extracted.format, "ods");
    assert_eq!(extracted.text, "Patients\n\nName\tDays\nAli\t12");
}

#[test]
fn xlsx_sheets_rows_and_cell_types() {
    let workbook = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Patients" sheetId="1" r:id="rId1"/><sheet name="医院" sheetId="2" r:id="rId2"/></sheets></workbook>"#;
    let relationships = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId2" Type="worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId1" Type="worksheet" Target="/xl/worksheets/sheet1.xml"/></Relationships>"#;
    let shared = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>Name</t></si><si><t>Waiting days</t></si><si><r><t>Ali </t></r><r><t>Tursun</t></r></si><si><t>人权 医院</t></si></sst>"#;
    let sheet1 = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>12</v></c><c r="C2" t="b"><v>1</v></c><c r="D2"><f>B2*2</f><v>24</v></c></row>
<row r="3"/>
<row r="4"><c r="A4" t="inlineStr"><is><t>inline text</t></is></c></row>
</sheetData></worksheet>"#;
    let sheet2 = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>3</v></c></row></sheetData></worksheet>"#;
    let core = r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Waiting list</dc:title></cp:coreProperties>"#;
    let archive = zip_of(&[
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", relationships.as_bytes()),
        ("xl/sharedStrings.xml", shared.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet1.as_bytes()),
        ("xl/worksheets/sheet2.xml", sheet2.as_bytes()),
        ("docProps/core.xml", core.as_bytes()),
    ]);
    let extracted = text("list.xlsx", &archive);
    assert_eq!(extracted.format, "xlsx");
    assert_eq!(extracted.title.as_deref(), Some("Waiting list"));
    assert_eq!(
        extracted.text,
        "Patients\n\nName\tWaiting days\nAli Tursun\t12\tTRUE\t24\ninline text\n\n医院\n\n人权 医院"
    );
}

#[test]
fn unsupported_office_formats_fail_clearly() {
    let pptx = zip_of(&[("ppt/presentation.xml", b"<p:presentation/>")]);
    assert_eq!(
        failure("slides.pptx", &pptx),
        ("pptx".to_owned(), "pptx: text extraction is not supported for this format".to_owned())
    );
}

// ---------------------------------------------------------------- e-mail

#[test]
fn eml_prefers_plain_text_lists_attachments_and_keeps_headers_out_of_languages() {
    let mail = "From: Ali Tursun <ali@example.org>\r\n\
To: desk@example.org\r\n\
Date: Tue, 1 Oct 2024 09:30:00 +0000\r\n\
Subject: =?UTF-8?B?5Lq65p2DIOWMu+mZog==?= waiting list\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
人人生而自由，在尊严和权利上一律平等。他们赋有理性和良心，并应以兄弟关系的精神相对待。\r\n\
\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>HTML version that must not be used</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: application/pdf; name=\"list.pdf\"\r\n\
Content-Disposition: attachment; filename=\"list.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--outer--\r\n";
    let extracted = text("message.eml", mail.as_bytes());
    assert_eq!(extracted.format, "eml");
    assert_eq!(extracted.title.as_deref(), Some("人权 医院 waiting list"));
    assert!(
        extracted.text.starts_with(
            "From: Ali Tursun <ali@example.org>\nTo: desk@example.org\nDate: 2024-10-01T09:30:00Z\nSubject: 人权 医院 waiting list\n\n人人生而自由"
        ),
        "{:?}",
        extracted.text
    );
    assert!(!extracted.text.contains("HTML version"));
    assert!(extracted.text.ends_with("\n\nAttachments: list.pdf"), "{:?}", extracted.text);
    assert!(!extracted.text.contains("JVBERi0"), "attachments are not extracted");
    assert_eq!(span_languages(&extracted), ["zh"]);
    assert_eq!(extracted.lang.as_deref(), Some("zh"));
}

#[test]
fn eml_html_only_goes_through_the_html_extractor() {
    let html = format!("<html><body><p>{CHINESE}</p><script>var x;</script><p>医院</p></body></html>");
    let (encoded, _, _) = encoding_rs::GBK.encode(&html);
    let body: String = encoded.chunks(57).map(|chunk| base64_encode(chunk) + "\r\n").collect();
    let mail = format!(
        "From: news@example.org\r\nSubject: Bulletin\r\nDate: Wed, 2 Oct 2024 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"
    );
    let extracted = text("bulletin", mail.as_bytes());
    assert_eq!(extracted.format, "eml", "recognised by its headers");
    assert!(extracted.text.ends_with(&format!("\n\n{CHINESE}\n\n医院")), "{:?}", extracted.text);
    assert!(!extracted.text.contains("var x"));
    assert_eq!(extracted.lang.as_deref(), Some("zh"));
}

#[test]
fn deeply_nested_mail_is_bounded() {
    let nested = |depth: usize| {
        let mut mail = "From: a@example.org\r\nSubject: outer\r\nContent-Type: message/rfc822\r\n\r\n".repeat(depth);
        mail.push_str("From: b@example.org\r\nSubject: inner\r\n\r\ninnermost body\r\n");
        mail
    };
    // Without the limit this overflows the stack and aborts the process.
    let (format, reason) = failure("deep.eml", nested(20_000).as_bytes());
    assert_eq!(format, "eml");
    assert!(reason.contains("20000 embedded messages"), "{reason}");
    assert!(matches!(extract("nested.eml", nested(1000).as_bytes()), Extraction::Text(_)));

    let mut multipart = "From: a@example.org\r\nSubject: deep\r\n".to_owned();
    for level in 0..20_000 {
        multipart.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"));
    }
    multipart.push_str("Content-Type: text/plain\r\n\r\nbottom\r\n");
    assert!(matches!(extract("multipart.eml", multipart.as_bytes()), Extraction::Text(_)));
}

#[test]
fn deep_markup_nesting_costs_nothing() {
    let html = format!("{}deep text{}", "<div><span><b>".repeat(100_000), "</b></span></div>".repeat(100_000));
    assert_eq!(text("deep.html", html.as_bytes()).text, "deep text");
    let body = format!("{}<w:t>deep text</w:t>{}", "<w:p><w:r>".repeat(100_000), "</w:r></w:p>".repeat(100_000));
    assert_eq!(text("deep.docx", &docx(&body, None)).text, "deep text");
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let value =
            chunk.iter().enumerate().fold(0u32, |value, (index, &byte)| value | u32::from(byte) << (16 - 8 * index));
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[(value >> (18 - 6 * index)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------- JSON and CSV

#[test]
fn json_string_values_one_per_line() {
    let json = format!(
        r#"{{"title": "Waiting list", "count": 3, "ok": true, "people": [{{"name": "Ali", "note": "{CHINESE}"}}], "none": null}}"#
    );
    let extracted = text("export.json", json.as_bytes());
    assert_eq!(extracted.format, "json");
    assert_eq!(extracted.text, format!("Waiting list\nAli\n{CHINESE}"));
    assert_eq!(extracted.encoding.as_deref(), Some("UTF-8"));
}

#[test]
fn json_lines_records_are_paragraphs() {
    let lines = format!("{{\"text\": \"{ENGLISH}\"}}\n{{\"text\": \"{UYGHUR}\", \"id\": 7}}\n");
    let extracted = text("posts.jsonl", lines.as_bytes());
    assert_eq!(extracted.text, format!("{ENGLISH}\n\n{UYGHUR}"));
    assert_eq!(span_languages(&extracted), ["en", "ug"]);
}

#[test]
fn invalid_json_is_read_as_text() {
    let extracted = text("broken.json", b"{\"note\": \"unterminated");
    assert_eq!(extracted.format, "text");
    assert_eq!(extracted.text, "{\"note\": \"unterminated");
}

#[test]
fn csv_rows_become_tab_separated_lines() {
    let (bytes, _, _) =
        encoding_rs::WINDOWS_1252.encode("Nom;Ville;Note\r\n\"Dupont; Jean\";Orléans;\"très \"\"long\"\"\"\r\n;;\r\n");
    let extracted = text("liste.csv", &bytes);
    assert_eq!(extracted.format, "csv");
    assert_eq!(extracted.text, "Nom\tVille\tNote\nDupont; Jean\tOrléans\ttrès \"long\"");
    assert_eq!(extracted.encoding.as_deref(), Some("windows-1252"));

    let tsv = text("table.tsv", "name\tcity\nAli \"the tall\"\tKashgar\n".as_bytes());
    assert_eq!(tsv.text, "name\tcity\nAli \"the tall\"\tKashgar");
}

// ---------------------------------------------------------------- never panic

const EXTENSIONS: &[&str] = &[
    "txt", "html", "htm", "pdf", "docx", "odt", "ods", "xlsx", "eml", "json", "jsonl", "csv", "tsv", "png", "zip",
    "doc", "",
];
const PREFIXES: &[&[u8]] = &[
    b"",
    b"%PDF-1.4\n",
    b"PK\x03\x04",
    b"<!doctype html><html><body>",
    b"From: a@b.c\r\nSubject: x\r\n\r\n",
    b"\xff\xfe",
    b"[{\"a\": ",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
];

/// What must hold for every result.
fn check_invariants(extraction: &Extraction) {
    if let Extraction::Text(extracted) = extraction {
        assert!(extracted.text.len() <= MAX_TEXT_BYTES);
        for span in &extracted.langs {
            assert!(span.start < span.end && span.end <= extracted.text.len());
            assert!(extracted.text.is_char_boundary(span.start) && extracted.text.is_char_boundary(span.end));
        }
    }
    if let Extraction::Failed { reason, .. } = extraction {
        assert!(!reason.is_empty() && !reason.contains('\n'), "{reason:?}");
    }
}

proptest! {
    // 256 cases each by default; PROPTEST_CASES=N runs a longer fuzz.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn arbitrary_bytes_never_panic(
        extension in prop::sample::select(EXTENSIONS),
        prefix in prop::sample::select(PREFIXES),
        body in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let bytes = [prefix, body.as_slice()].concat();
        check_invariants(&extract(&format!("file.{extension}"), &bytes));
    }

    #[test]
    fn damaged_documents_never_panic(
        which in 0usize..5,
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (name, mut bytes) = match which {
            0 => ("a.pdf", pdf(&[KIDNEY_PAGE], Some("t"))),
            1 => ("a.pdf", pdf(&["BT /F2 24 Tf 72 720 Td <00010002> Tj ET"], None)),
            2 => ("a.docx", docx("<w:p><w:r><w:t>text</w:t></w:r></w:p>", Some("t"))),
            3 => ("a.pdf", pdf_with_forms("/A Do", "/A 5 0 R /B 6 0 R", &[(None, "/B Do /A Do"), (None, "/A Do")])),
            _ => ("a.eml", b"From: a@b.c\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nbody".to_vec()),
        };
        for (index, byte) in damage {
            let position = index.index(bytes.len());
            bytes[position] = byte;
        }
        check_invariants(&extract(name, &bytes));
    }

    #[test]
    fn arbitrary_text_never_panics_language_detection(text in "\\PC{0,200}") {
        let _ = detect_language(&text);
        check_invariants(&extract("x.txt", text.as_bytes()));
        check_invariants(&extract("x.html", text.as_bytes()));
    }
}

mod evident_extract_test_support {
    use pdf_extract::{Document, EncryptionState, EncryptionVersion, Permissions};

    /// `plain` encrypted with RC4 128-bit, an owner password and this user
    /// password (empty: anyone may open it, as with permission-only PDFs).
    pub fn encrypt_pdf(plain: &[u8], user_password: &str) -> Vec<u8> {
        let mut document = Document::load_mem(plain).expect("load test PDF");
        let version = EncryptionVersion::V2 {
            document: &document,
            owner_password: "owner",
            user_password,
            key_length: 128,
            permissions: Permissions::all(),
        };
        let state = EncryptionState::try_from(version).expect("encryption state");
        document.encrypt(&state).expect("encrypt");
        let mut out = Vec::new();
        document.save_to(&mut out).expect("save");
        out
    }
}
