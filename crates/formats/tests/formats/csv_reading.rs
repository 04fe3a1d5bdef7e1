//! CSV reading: headers, separators, special columns, messy cells.

use evident_formats::{Format, FormatError, ReadOptions};
use serde_json::json;

use crate::{open_error, raw, read, read_with};

fn header_error(text: &str) -> String {
    match open_error(text, Format::Csv) {
        FormatError::Header { detail } => detail,
        other => panic!("expected a header error, got {other:?}"),
    }
}

#[test]
fn a_usable_header_is_required() {
    assert_eq!(header_error(""), "the file is empty; a CSV file starts with a header row naming its columns");
    assert_eq!(header_error("\n  \r\n\n"), "the file is empty; a CSV file starts with a header row naming its columns");
    assert_eq!(header_error("id,,note\n"), "column 2 has no name; every column needs one");
    assert_eq!(header_error("id,name, \n"), "column 3 has no name; every column needs one");
    assert_eq!(header_error("id,note,note\n"), "column \"note\" appears twice (columns 2 and 3)");
    assert_eq!(header_error("id,note,ID\n"), "column \"ID\" appears twice (columns 1 and 3)");
    assert_eq!(
        header_error("\"id,note\n"),
        "line 1: a quoted cell opened on this line is not closed before the end of the file"
    );
    assert_eq!(
        open_error("id,id\n", Format::Csv).to_string(),
        "the CSV header is unusable: column \"id\" appears twice (columns 1 and 2)"
    );
}

#[test]
fn a_header_without_rows_gives_no_records() {
    let read = read("id,kind,name\r\n", Format::Csv);
    assert!(read.rows.is_empty());
    assert_eq!(read.report.separator, Some(','));
}

#[test]
fn the_separator_is_found_in_the_header() {
    for (text, separator) in [
        ("id,name,note\nsrc_1,Radio Free Asia,\"a; b\"\n", ','),
        ("id;name;note\nsrc_1;Radio Free Asia;a, b\n", ';'),
        ("id\tname\tnote\nsrc_1\tRadio Free Asia\ta, b; c\n", '\t'),
    ] {
        let read = read(text, Format::Csv);
        assert_eq!(read.report.separator, Some(separator), "{text:?}");
        let record = read.all_records()[0].clone();
        assert_eq!(record.id.as_deref(), Some("src_1"));
        assert_eq!(record.fields["name"], "Radio Free Asia");
        assert!(record.fields["note"].as_str().unwrap().starts_with('a'), "{text:?}");
    }
}

#[test]
fn special_columns_in_any_case_and_retracted_three_ways() {
    let text = "ID,Kind,Retracted,name\n\
        src_1,source,true,a\n\
        src_2,source,0,b\n\
        src_3,source,YES,c\n\
        src_4,source,,d\n\
        src_5,source,maybe,e\n\
        src_6,,no,f\n";
    let options = ReadOptions { kind: Some("person".to_owned()), ..ReadOptions::default() };
    let read = read_with(text, Format::Csv, options);
    assert_eq!(read.errors(), ["line 6, field retracted: \"maybe\" is not true/false, 1/0 or yes/no"]);
    let got: Vec<_> =
        read.records().iter().map(|r| (r.id.clone().unwrap(), r.kind.clone().unwrap(), r.retracted)).collect();
    let expected = [
        ("src_1", "source", true),
        ("src_2", "source", false),
        ("src_3", "source", true),
        ("src_4", "source", false),
        ("src_6", "person", false),
    ];
    assert_eq!(got, expected.map(|(id, kind, retracted)| (id.to_owned(), kind.to_owned(), retracted)));
    assert!(read.records().iter().all(|r| r.fields.keys().eq(["name"])), "special columns are not fields");
}

#[test]
fn extra_is_merged_into_the_fields() {
    let text = "id,name,extra\n\
        src_1,a,\"{\"\"tags\"\": [\"\"x\"\"], \"\"note\"\": \"\" padded \"\"}\"\n\
        src_2,b,\n\
        src_3,c,{not json\n\
        src_4,d,\"[1,2]\"\n\
        src_5,e,\"{\"\"name\"\": \"\"again\"\"}\"\n\
        src_6,f,-\n";
    let read = read(text, Format::Csv);
    assert_eq!(
        read.errors(),
        [
            "line 4, field extra: not valid JSON: key must be a string (at column 2)",
            "line 5, field extra: expected a JSON object of more fields, found a list",
            "line 6, field name: is given both in its own column and in extra",
        ]
    );
    let records = read.records();
    assert_eq!(records[0].fields, crate::object(json!({"name": "a", "tags": ["x"], "note": " padded "})));
    assert_eq!(records[1].fields, crate::object(json!({"name": "b"})));
    assert_eq!(records[2].fields, crate::object(json!({"name": "f"})));
}

#[test]
fn rows_with_the_wrong_number_of_cells_name_their_line() {
    let text = "id,name,note\n\
        src_1,a,\"a note\n\
        over two lines\"\n\
        src_2,b\n\
        \n\
        src_3,c,d,e\n\
        src_4,c,d\n";
    let read = read(text, Format::Csv);
    assert_eq!(read.errors(), ["line 4: expected 3 cells, found 2", "line 6: expected 3 cells, found 4"]);
    let records = read.records();
    assert_eq!(records.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 7]);
    assert_eq!(records[0].fields["note"], "a note\nover two lines");
}

#[test]
fn quoted_cells_keep_separators_quotes_and_line_ends() {
    let text = "id,note\r\nsrc_1,\"one, \"\"two\"\"\r\nthree\"\r\nsrc_2,plain\r\n";
    let read = read(text, Format::Csv);
    let notes: Vec<_> = read.all_records().iter().map(|r| (r.line, r.fields["note"].clone())).collect();
    assert_eq!(notes, [(2, json!("one, \"two\"\r\nthree")), (4, json!("plain"))]);
}

#[test]
fn a_quote_left_open_is_an_error_at_the_row_it_opens() {
    let read = read("id,note\nsrc_1,ok\nsrc_2,\"never closed\nsrc_3,x\n", Format::Csv);
    assert_eq!(read.errors(), ["line 3: a quoted cell opened on this line is not closed before the end of the file"]);
    assert_eq!(read.records().len(), 1);

    // With a limit, an open quote swallows at most that much, and reading goes on after it.
    let mut text = "id,note\nsrc_1,\"never closed\n".to_owned();
    for n in 0..20 {
        text.push_str(&format!("src_{n},filler text\n"));
    }
    text.push_str("src_last,read\n");
    let options = ReadOptions { max_line_bytes: 100, ..ReadOptions::default() };
    let read = read_with(text, Format::Csv, options);
    assert_eq!(
        read.errors()[0],
        "line 2: the row is longer than the limit of 100 bytes; is a quoted cell opened on this line left unclosed?"
    );
    assert_eq!(read.records().last().unwrap().id.as_deref(), Some("src_last"));
}

#[test]
fn cells_are_trimmed_and_empty_cells_and_markers_are_missing() {
    let text = "id,name,affiliation,url,note\n\
        src_1,  Radio Free Asia ,#N/A,N/A,n/a\n\
        src_2,\" quoted \",NA,?,-\n\
        src_3,x,NULL,null,None\n\
        src_4,y,#VALUE!,#REF!,#N/A\n\
        src_5,z,,   ,\"\"\n";
    let read = read(text, Format::Csv);
    let records = read.all_records();
    assert_eq!(records[0].fields, crate::object(json!({"name": "Radio Free Asia"})));
    assert_eq!(records[1].fields, crate::object(json!({"name": "quoted"})));
    for record in &records[2..] {
        assert_eq!(record.fields.len(), 1, "{record:?}");
    }
    assert_eq!(read.note("spaces trimmed"), 2);
    for marker in ["N/A", "n/a", "NA", "?", "-", "NULL", "null", "None", "#VALUE!", "#REF!"] {
        assert_eq!(read.note(&format!("value {marker:?} read as missing")), 1, "{marker}");
    }
    assert_eq!(read.note("value \"#N/A\" read as missing"), 2);
    assert_eq!(read.report.notes.len(), 12, "{:?}", read.report.notes);
}

#[test]
fn markers_are_whole_cells_only() {
    let read = read("id,note\nsrc_1,N/A so far\nsrc_2,-5\nsrc_3,what?\n", Format::Csv);
    let notes: Vec<_> = read.all_records().iter().map(|r| r.fields["note"].clone()).collect();
    assert_eq!(notes, [json!("N/A so far"), json!("-5"), json!("what?")]);
    assert!(read.report.notes.is_empty());
}

#[test]
fn cells_starting_with_a_brace_or_bracket_are_json() {
    let text = "id,aliases,cross_ids,note\n\
        fac_1,\"[\"\"a\"\",\"\"b\"\"]\",\"{\"\"osm\"\": 12}\",[1.5]\n\
        fac_2,[sic],x,y\n\
        fac_3,x,{\"\"bad\": 1},z\n";
    let read = read(text, Format::Csv);
    assert_eq!(read.errors()[0], "line 3, field aliases: not valid JSON: expected value (at column 2)");
    assert!(read.errors()[1].starts_with("line 4, field cross_ids: not valid JSON"), "{:?}", read.errors());
    let record = read.records()[0];
    assert_eq!(record.fields["aliases"], json!(["a", "b"]));
    assert_eq!(record.fields["cross_ids"], json!({"osm": 12}));
    assert_eq!(record.fields["note"], json!([1.5]));
}

#[test]
fn semicolon_csv_from_a_european_excel_with_decimal_commas_and_na() {
    let text = "id;name_en;lat;lon;capacity_beds;note\r\n\
        fac_1;Urumqi No. 3 Detention Centre;43,8256;87,6168;1.234,5;#N/A\r\n\
        fac_2;  Kashgar City Detention Centre ;39,4547;#N/A;-12,25;N/A\r\n\
        fac_3;Aksu;41;80,26;#N/A;\"1,5 km from the road\"\r\n\
        ;;;;;\r\n";
    let read = read(text, Format::Csv);
    assert_eq!(read.report.separator, Some(';'));
    let records = read.all_records();
    assert_eq!(
        records.iter().map(|r| r.fields.clone()).collect::<Vec<_>>(),
        [
            json!({"name_en": "Urumqi No. 3 Detention Centre", "lat": "43.8256", "lon": "87.6168", "capacity_beds": "1234.5"}),
            json!({"name_en": "Kashgar City Detention Centre", "lat": "39.4547", "capacity_beds": "-12.25"}),
            json!({"name_en": "Aksu", "lat": "41", "lon": "80.26", "note": "1,5 km from the road"}),
        ]
        .map(crate::object)
    );
    assert_eq!(read.note("decimal comma read as a decimal point"), 6);
    assert_eq!(read.note("value \"#N/A\" read as missing"), 3);
    assert_eq!(read.note("value \"N/A\" read as missing"), 1);
    assert_eq!(read.note("spaces trimmed"), 1);
    assert_eq!(read.note("row of empty cells skipped"), 1);
}

#[test]
fn decimal_commas_are_left_alone_in_comma_separated_files() {
    let read = read("id,lat\nfac_1,\"43,8\"\n", Format::Csv);
    assert_eq!(read.all_records()[0].fields["lat"], "43,8");
    assert!(read.report.notes.is_empty());
}

#[test]
fn a_line_over_the_limit_is_an_error_and_the_next_row_reads() {
    let text = format!("id,note\nsrc_1,before\nsrc_2,{}\nsrc_3,after\n", "x".repeat(1000));
    let options = ReadOptions { max_line_bytes: 64, ..ReadOptions::default() };
    let read = read_with(text, Format::Csv, options);
    assert_eq!(
        read.errors(),
        ["line 3: the line is 1006 bytes long, longer than the limit of 64 bytes; it was skipped"]
    );
    let records = read.records();
    assert_eq!(
        records.iter().map(|r| (r.line, r.fields["note"].clone())).collect::<Vec<_>>(),
        [(2, json!("before")), (4, json!("after"))]
    );
}

#[test]
fn a_header_over_the_limit_refuses_the_file() {
    let text = format!("id,{}\n", "x".repeat(100));
    let options = ReadOptions { max_line_bytes: 64, ..ReadOptions::default() };
    let error =
        evident_formats::read_records(Box::new(std::io::Cursor::new(text)), Format::Csv, options).err().unwrap();
    assert!(error.to_string().starts_with("the CSV header is unusable: line 1: the line is 103 bytes long"), "{error}");
}

#[test]
fn rows_of_empty_cells_are_skipped_and_counted() {
    let read = read("id,name\nsrc_1,a\n,\n , \n,,,\nsrc_2,b\n", Format::Csv);
    assert_eq!(read.all_records().iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);
    assert_eq!(read.note("row of empty cells skipped"), 3);
}

#[test]
fn the_default_kind_fills_rows_without_a_kind() {
    let options = ReadOptions { kind: Some("facility".to_owned()), ..ReadOptions::default() };
    let read = read_with("name_en\nAksu\n", Format::Csv, options);
    assert_eq!(read.all_records(), [&raw(2, Some("facility"), None, json!({"name_en": "Aksu"}))]);
}
