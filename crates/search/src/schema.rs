//! The index schema: which fields exist, how each is analysed, and which
//! names the query language accepts.

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::TokenizerManager;

use evident_analyzer::{EVIDENT_TOKENIZER_NAME, EvidentTokenizer, NGRAM_TOKENIZER_NAME, NgramTokenizer};

/// Bumped whenever the schema or the analyzer changes what is indexed; an
/// index written with another version is rebuilt, never read.
pub const INDEX_FORMAT: u32 = 2;

/// Facets: filterable with `name:value` and countable. Every facet value of
/// a document is one of these names plus a value.
pub const FACETS: &[&str] = &["kind", "type", "lang", "group", "facility", "province", "source", "access", "year"];

/// The schema field that holds every facet value of a document, as the
/// facet `/name/value`.
pub(crate) const FACET_FIELD: &str = "facet";

/// Fields that hold text and can be named in a query.
pub const TEXT_FIELDS: &[&str] = &["title", "body"];

/// Every name the query language accepts before a colon.
pub fn query_field_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TEXT_FIELDS.to_vec();
    names.extend(["id", "date"]);
    names.extend(FACETS);
    names
}

/// The fields of the schema, looked up once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub kind: Field,
    pub title: Field,
    pub title_ngram: Field,
    pub body: Field,
    pub body_ngram: Field,
    pub lang: Field,
    pub facet: Field,
    pub date: Field,
}

pub(crate) fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(EVIDENT_TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let options = TextOptions::default().set_indexing_options(indexing);
        if stored { options.set_stored() } else { options }
    };
    let ngrams = || {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(NGRAM_TOKENIZER_NAME)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        TextOptions::default().set_indexing_options(indexing)
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        title: builder.add_text_field("title", words(true)),
        title_ngram: builder.add_text_field("title_ngram", ngrams()),
        body: builder.add_text_field("body", words(true)),
        body_ngram: builder.add_text_field("body_ngram", ngrams()),
        lang: builder.add_text_field("lang", STRING | STORED),
        facet: builder.add_facet_field(FACET_FIELD, FacetOptions::default()),
        date: builder.add_date_field("date", INDEXED | FAST | STORED),
    };
    (builder.build(), fields)
}

/// Registers Evident's tokenizers with an index.
pub(crate) fn register_tokenizers(tokenizers: &TokenizerManager) {
    tokenizers.register(EVIDENT_TOKENIZER_NAME, EvidentTokenizer);
    tokenizers.register(NGRAM_TOKENIZER_NAME, NgramTokenizer);
}
