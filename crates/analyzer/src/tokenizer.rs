//! The analyzer behind tantivy's tokenizer API. Only `tantivy-tokenizer-api`
//! is a dependency (its version must be the one the tantivy in use depends
//! on: 0.7 for tantivy 0.27), so crates that only analyze text do not build
//! tantivy.

use tantivy_tokenizer_api::{Token as ApiToken, TokenStream, Tokenizer};

use std::cell::RefCell;
use std::sync::Arc;

use crate::{Analysis, RawToken};

/// The name under which the search crate registers [`EvidentTokenizer`].
pub const EVIDENT_TOKENIZER_NAME: &str = "evident";

/// The name under which the search crate registers [`NgramTokenizer`].
pub const NGRAM_TOKENIZER_NAME: &str = "evident_ngram";

/// [`analyze`](crate::analyze) as a tantivy tokenizer.
#[derive(Clone, Copy, Debug, Default)]
pub struct EvidentTokenizer;

/// [`ngrams`](crate::ngrams) as a tantivy tokenizer.
#[derive(Clone, Copy, Debug, Default)]
pub struct NgramTokenizer;

impl Tokenizer for EvidentTokenizer {
    type TokenStream<'a> = AnalyzedTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzedTokenStream {
        let analysis = shared_analysis(text);
        let mut tokens = Vec::new();
        analysis.words(&mut tokens);
        AnalyzedTokenStream::new(analysis, tokens)
    }
}

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = AnalyzedTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzedTokenStream {
        let analysis = shared_analysis(text);
        let mut tokens = Vec::new();
        analysis.ngrams(&mut tokens);
        AnalyzedTokenStream::new(analysis, tokens)
    }
}

/// The last text analysed on this thread, kept for the other tokenizer.
struct LastAnalysis {
    text: String,
    analysis: Arc<Analysis>,
}

thread_local! {
    static LAST_ANALYSIS: RefCell<Option<LastAnalysis>> = const { RefCell::new(None) };
}

/// The analysis of `text`, shared between the two tokenizers: tantivy
/// tokenizes a document's fields one after the other on one thread, and the
/// search index gives the same text to a word field and then to its n-gram
/// field, so the second tokenizer finds the first one's folding and
/// segmentation here (the bulk of the work) instead of doing it again. The
/// text is kept until the other tokenizer takes it, or another text comes.
fn shared_analysis(text: &str) -> Arc<Analysis> {
    LAST_ANALYSIS.with(|last| {
        let mut last = last.borrow_mut();
        if let Some(kept) = last.take()
            && kept.text == text
        {
            return kept.analysis;
        }
        let analysis = Arc::new(Analysis::new(text));
        *last = Some(LastAnalysis { text: text.to_owned(), analysis: Arc::clone(&analysis) });
        analysis
    })
}

/// The tokens of one text, analysed up front and handed out one by one; the
/// one token handed out is refilled in place, so a stream allocates nothing
/// per token.
pub struct AnalyzedTokenStream {
    analysis: Arc<Analysis>,
    tokens: Vec<RawToken>,
    /// Index of the current token plus one; 0 before the first `advance`.
    next: usize,
    /// The current token (empty before the first `advance` and after the last).
    token: ApiToken,
}

impl std::fmt::Debug for AnalyzedTokenStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalyzedTokenStream").field("tokens", &self.tokens.len()).field("next", &self.next).finish()
    }
}

impl AnalyzedTokenStream {
    fn new(analysis: Arc<Analysis>, tokens: Vec<RawToken>) -> Self {
        AnalyzedTokenStream { analysis, tokens, next: 0, token: ApiToken::default() }
    }
}

impl TokenStream for AnalyzedTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get(self.next) {
            Some(raw) => {
                self.token.text.clear();
                self.token.text.push_str(&self.analysis.folded.text()[raw.folded_start..raw.folded_end]);
                self.token.offset_from = raw.offset_from;
                self.token.offset_to = raw.offset_to;
                self.token.position = raw.position;
                self.token.position_length = 1;
                self.next += 1;
                true
            }
            None => {
                self.next = self.tokens.len() + 1;
                self.token = ApiToken::default();
                false
            }
        }
    }

    fn token(&self) -> &ApiToken {
        &self.token
    }

    fn token_mut(&mut self) -> &mut ApiToken {
        &mut self.token
    }
}
