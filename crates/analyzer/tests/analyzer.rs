//! The analyzer through its public API: the examples from the search issue,
//! offsets into the original text, properties over arbitrary strings, and an
//! end-to-end tantivy index.

use evident_analyzer::{
    EVIDENT_TOKENIZER_NAME, EvidentTokenizer, NGRAM_TOKENIZER_NAME, NgramTokenizer, Token, analyze, ngrams,
};
use proptest::prelude::*;

fn words(text: &str) -> Vec<String> {
    analyze(text).into_iter().map(|token| token.text).collect()
}

fn gram_texts(text: &str) -> Vec<String> {
    ngrams(text).into_iter().map(|token| token.text).collect()
}

/// Tokens as `text@position` with the original text they point at when it
/// differs, for compact expected values.
fn check(text: &str, expected: &str) {
    let rendered: Vec<String> = analyze(text)
        .iter()
        .map(|token| {
            let original = &text[token.offset_from..token.offset_to];
            if original == token.text {
                format!("{}@{}", token.text, token.position)
            } else {
                format!("{}@{}[{}]", token.text, token.position, original)
            }
        })
        .collect();
    assert_eq!(rendered.join(" "), expected, "analysing {text:?}");
}

fn assert_subset(query: &str, document: &str) {
    let document_words = words(document);
    for word in words(query) {
        assert!(document_words.contains(&word), "{word:?} of {query:?} is not among {document_words:?}");
    }
}

#[test]
fn traditional_chinese_folds_to_simplified() {
    assert_eq!(words("人權"), words("人权"));
    assert_eq!(words("醫院"), words("医院"));
    assert_eq!(words("法輪功"), words("法轮功"));
    assert_eq!(words("器官移植"), ["器官", "器官移植", "移植"]);
    assert_eq!(words("人權"), ["人权"]);
    assert_eq!(words("醫院"), ["医院"]);
    assert!(words("法輪功").contains(&"法轮功".to_owned()));
    // A few more: government, detention, transplant, Xinjiang, east.
    assert_eq!(words("政府"), words("政府"));
    assert_eq!(words("拘留營"), words("拘留营"));
    assert_eq!(words("新疆維吾爾自治區"), words("新疆维吾尔自治区"));
    assert_eq!(words("器官移植醫生"), words("器官移植医生"));
    assert_eq!(words("東突厥斯坦"), words("东突厥斯坦"));
}

#[test]
fn folding_works_for_queries_in_either_form() {
    // Simplified query against a traditional document and the reverse.
    assert_subset("人权", "中國的人權狀況");
    assert_subset("人權", "中国的人权状况");
    assert_subset("医院", "這家醫院的記錄");
    assert_subset("醫院", "这家医院的记录");
    assert_subset("法轮功", "法輪功學員");
}

#[test]
fn offsets_point_at_the_traditional_original() {
    check("人權 醫院", "人权@0[人權] 医院@2[醫院]");
}

#[test]
fn han_runs_are_cut_in_search_mode_with_sub_words() {
    check("维吾尔族人", "维吾尔@0 维吾尔族@0 人@4");
    check("中华人民共和国", "中华@0 中华人民共和国@0 华人@1 人民@2 共和@4 共和国@4");
}

#[test]
fn a_shorter_word_is_found_in_a_longer_one() {
    assert_subset("维吾尔族", "维吾尔族人");
    assert_subset("维吾尔族", "他们是维吾尔族人。");
}

#[test]
fn a_run_takes_one_position_per_character() {
    // A phrase typed with a space lines up with the same words written
    // together, because positions in a Han run count characters.
    let together = analyze("人权组织");
    let spaced = analyze("人权 组织");
    let position_of = |tokens: &[Token], text: &str| tokens.iter().find(|token| token.text == text).map(|t| t.position);
    assert_eq!(position_of(&together, "人权"), Some(0));
    assert_eq!(position_of(&together, "组织"), Some(2));
    assert_eq!(position_of(&spaced, "人权"), Some(0));
    assert_eq!(position_of(&spaced, "组织"), Some(2));
}

const UYGHUR: &str = "ھەممە ئادەم تۇغۇلۇشىدىنلا ئەركىن";

#[test]
fn uyghur_words_are_whole_tokens() {
    assert_eq!(words(UYGHUR), ["ھەممە", "ئادەم", "تۇغۇلۇشىدىنلا", "ئەركىن"]);
}

#[test]
fn uyghur_tatweel_and_letter_variants_give_the_same_tokens() {
    let variants = [
        // Tatweel inside words.
        "ھەممـە ئاـدەم تۇغۇلۇشىـدىنلا ئەرـكىن",
        // Keheh for kaf.
        "ھەممە ئادەم تۇغۇلۇشىدىنلا ئەرکىن",
        // Arabic heh for initial ھ.
        "هەممە ئادەم تۇغۇلۇشىدىنلا ئەركىن",
        // Alef maksura with a hamza mark for ئ, and a lone hamza before a letter.
        "ھەممە ى\u{0654}ادەم تۇغۇلۇشىدىنلا ءەركىن",
        // Presentation forms, as PDF text layers give them: heh's initial form
        // is ھ, its final form ە.
        "\u{FEEB}ە\u{FEE3}\u{FEE4}\u{FEEA} ئادەم تۇغۇلۇشىدىنلا ئەركىن",
    ];
    let expected = words(UYGHUR);
    for variant in variants {
        let got = words(variant);
        assert_eq!(got, expected, "variant {variant:?}");
    }
}

#[test]
fn farsi_yeh_and_arabic_heh_follow_the_shape_the_typist_saw() {
    // Farsi yeh before a letter is y, at a word end is i; heh at a word end is e.
    assert_eq!(words("ئۇیغۇر"), words("ئۇيغۇر"));
    assert_eq!(words("كىتابی"), words("كىتابى"));
    assert_eq!(words("بالىلارنىڭ مەكتەپه"), words("بالىلارنىڭ مەكتەپە"));
}

#[test]
fn tibetan_syllables_are_tokens_and_none_is_dropped() {
    assert_eq!(words("འགྲོ་བ་མི་རིགས་"), ["འགྲོ", "བ", "མི", "རིགས"]);
    assert_eq!(words("བོད་ཀྱི་སྐད་ཡིག།"), ["བོད", "ཀྱི", "སྐད", "ཡིག"]);
    // Each syllable's offsets point at it, without the tsheg.
    let text = "འགྲོ་བ་མི་རིགས་";
    for token in analyze(text) {
        assert_eq!(&text[token.offset_from..token.offset_to], token.text);
    }
}

#[test]
fn english_is_lower_cased_with_offsets_into_the_original() {
    check("Hello, World! Don't", "hello@0[Hello] world@1[World] don't@2[Don't]");
    let text = "Hello, World";
    let tokens = analyze(text);
    assert_eq!((tokens[1].offset_from, tokens[1].offset_to), (7, 12));
}

#[test]
fn full_width_letters_fold_with_offsets_into_the_original() {
    check("see ＡＢＣ now", "see@0 abc@1[ＡＢＣ] now@2");
    let tokens = analyze("see ＡＢＣ now");
    assert_eq!((tokens[1].offset_from, tokens[1].offset_to), (4, 13));
    assert_eq!((tokens[2].offset_from, tokens[2].offset_to), (14, 17));
    // Ligatures and composed forms.
    check("ﬁle café cafe\u{0301} İstanbul", "file@0[ﬁle] café@1 café@2[cafe\u{0301}] istanbul@3[İstanbul]");
}

#[test]
fn punctuation_and_whitespace_are_not_tokens() {
    assert!(analyze("  ,.!? —— 。，、「」 ། ་ \u{0640}\n\t").is_empty());
    assert_eq!(words("a, b"), ["a", "b"]);
}

#[test]
fn digits_of_other_scripts_fold_to_ascii() {
    assert_eq!(words("٢٠١٧"), ["2017"]);
    assert_eq!(words("۲۰۱۷"), ["2017"]);
    assert_eq!(words("༢༠༡༧"), ["2017"]);
}

#[test]
fn ngrams_give_han_unigrams_and_bigrams() {
    assert_eq!(gram_texts("人權组织"), ["人", "人权", "权", "权组", "组", "组织", "织"]);
    // A single character is searchable in the n-gram field.
    assert!(gram_texts("维吾尔族人").contains(&"族".to_owned()));
    assert!(gram_texts("维吾尔族人").contains(&"族人".to_owned()));
}

#[test]
fn ngrams_give_trigrams_of_latin_and_arabic_words() {
    // Latin with diacritics (Uyghur Latin script) is cut into trigrams;
    // plain ASCII words are left to the word stream.
    assert_eq!(gram_texts("Rahilé Dawut"), ["rah", "ahi", "hil", "ilé"]);
    assert!(gram_texts("Rahile Dawut ab x 2017").is_empty());
    // A Uyghur suffix (-نىڭ, genitive) is found inside the inflected word.
    let grams = gram_texts("بالىلارنىڭ");
    assert!(grams.contains(&"نىڭ".to_owned()), "{grams:?}");
    // Tibetan syllables and non-ASCII words with digits stay whole.
    assert_eq!(gram_texts("covid19 ٢٠١٧ي འགྲོ་བ"), ["2017ي", "འགྲོ", "བ"]);
}

#[test]
fn tantivy_tokenizers_give_the_same_tokens() {
    use tantivy::tokenizer::{TokenStream, Tokenizer};
    let text = "人權 ＡＢＣ";
    let mut streamed = Vec::new();
    let mut tokenizer = EvidentTokenizer;
    let mut stream = tokenizer.token_stream(text);
    while let Some(token) = stream.next() {
        streamed.push((token.text.clone(), token.offset_from, token.offset_to, token.position));
    }
    let expected: Vec<_> =
        analyze(text).into_iter().map(|t| (t.text, t.offset_from, t.offset_to, t.position)).collect();
    assert_eq!(streamed, expected);
    let mut ngram_tokenizer = NgramTokenizer;
    let mut stream = ngram_tokenizer.token_stream("人權");
    let mut grams = Vec::new();
    stream.process(&mut |token| grams.push(token.text.clone()));
    assert_eq!(grams, ["人", "人权", "权"]);
}

#[test]
fn tantivy_finds_traditional_text_from_simplified_queries() {
    use tantivy::collector::TopDocs;
    use tantivy::query::QueryParser;
    use tantivy::schema::{IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
    use tantivy::{Index, TantivyDocument, doc};

    let mut schema = Schema::builder();
    let words_indexing = TextFieldIndexing::default()
        .set_tokenizer(EVIDENT_TOKENIZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let body = schema.add_text_field("body", TextOptions::default().set_indexing_options(words_indexing));
    let grams_indexing = TextFieldIndexing::default()
        .set_tokenizer(NGRAM_TOKENIZER_NAME)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let grams = schema.add_text_field("grams", TextOptions::default().set_indexing_options(grams_indexing));
    let title = schema.add_text_field("title", STORED);
    let index = Index::create_in_ram(schema.build());
    index.tokenizers().register(EVIDENT_TOKENIZER_NAME, EvidentTokenizer);
    index.tokenizers().register(NGRAM_TOKENIZER_NAME, NgramTokenizer);

    let documents = [
        ("rights", "中國政府必須尊重人權。"),
        ("hospital", "這家醫院進行器官移植。"),
        ("uyghur", "他们是维吾尔族人，住在新疆。"),
        ("english", "Human rights in the Uyghur region."),
    ];
    let mut writer = index.writer(15_000_000).expect("writer");
    for (name, text) in documents {
        writer.add_document(doc!(title => name, body => text, grams => text)).expect("add");
    }
    writer.commit().expect("commit");
    let searcher = index.reader().expect("reader").searcher();

    let titles = |field, query: &str| -> Vec<String> {
        let parser = QueryParser::for_index(&index, vec![field]);
        let query = parser.parse_query(query).expect("query parses");
        let hits = searcher.search(&query, &TopDocs::with_limit(10).order_by_score()).expect("search");
        let mut titles: Vec<String> = hits
            .into_iter()
            .map(|(_, address)| {
                let document: TantivyDocument = searcher.doc(address).expect("stored document");
                document.get_first(title).and_then(|value| value.as_str()).unwrap_or_default().to_owned()
            })
            .collect();
        titles.sort();
        titles
    };

    assert_eq!(titles(body, "人权"), ["rights"]);
    assert_eq!(titles(body, "人權"), ["rights"]);
    // A two-character word, simplified query against traditional text.
    assert_eq!(titles(body, "医院"), ["hospital"]);
    assert_eq!(titles(body, "移植"), ["hospital"]);
    // A shorter word inside a longer one, and a quoted phrase.
    assert_eq!(titles(body, "维吾尔族"), ["uyghur"]);
    assert_eq!(titles(body, "\"器官移植\""), ["hospital"]);
    assert_eq!(titles(body, "\"human rights\""), ["english"]);
    assert_eq!(titles(body, "UYGHUR"), ["english"]);
    // The n-gram field finds a single character and part of a name.
    assert_eq!(titles(grams, "疆"), ["uyghur"]);
    // Plain ASCII words have no n-grams (the word stream finds them).
    assert!(titles(grams, "ygh").is_empty());
}

proptest! {
    #[test]
    fn analysis_never_panics_and_offsets_are_sound(text in any::<String>()) {
        for tokens in [analyze(&text), ngrams(&text)] {
            let mut previous: Option<&Token> = None;
            for token in &tokens {
                prop_assert!(!token.text.is_empty());
                prop_assert!(token.offset_from <= token.offset_to);
                prop_assert!(token.offset_to <= text.len());
                prop_assert!(text.is_char_boundary(token.offset_from));
                prop_assert!(text.is_char_boundary(token.offset_to));
                if let Some(previous) = previous {
                    prop_assert!(previous.offset_from <= token.offset_from, "{previous:?} then {token:?}");
                    prop_assert!(previous.position <= token.position, "{previous:?} then {token:?}");
                }
                previous = Some(token);
            }
        }
    }

    #[test]
    fn mixed_scripts_never_panic(text in "[a-zA-Zａ-ｚ0-9 ,.人權医院维吾尔族ھەممئادۇغلشىنركـکهیءٔ\u{0654}འགྲོབམིརས་།\u{0301}\u{0F71}\u{0F72}\u{0F73}İ]{0,40}") {
        for token in analyze(&text) {
            prop_assert!(text.is_char_boundary(token.offset_from) && text.is_char_boundary(token.offset_to));
            prop_assert!(token.offset_from <= token.offset_to && token.offset_to <= text.len());
        }
    }
}
