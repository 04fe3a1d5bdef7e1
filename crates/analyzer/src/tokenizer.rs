//! The analyzer behind tantivy's tokenizer API. Only `tantivy-tokenizer-api`
//! is a dependency (its version must be the one the tantivy in use depends
//! on: 0.7 for tantivy 0.27), so crates that only analyze text do not build
//! tantivy.

use tantivy_tokenizer_api::{Token as ApiToken, TokenStream, Tokenizer};

use crate::{Token, analyze, ngrams};

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
        AnalyzedTokenStream::new(analyze(text))
    }
}

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = AnalyzedTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalyzedTokenStream {
        AnalyzedTokenStream::new(ngrams(text))
    }
}

/// The tokens of one text, analysed up front and handed out one by one.
#[derive(Debug)]
pub struct AnalyzedTokenStream {
    tokens: Vec<ApiToken>,
    /// Index of the current token plus one; 0 before the first `advance`.
    next: usize,
    /// What `token()` shows before the first `advance` or after the last.
    empty: ApiToken,
}

impl AnalyzedTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        let tokens = tokens
            .into_iter()
            .map(|token| ApiToken {
                offset_from: token.offset_from,
                offset_to: token.offset_to,
                position: token.position,
                text: token.text,
                position_length: 1,
            })
            .collect();
        AnalyzedTokenStream { tokens, next: 0, empty: ApiToken::default() }
    }
}

impl TokenStream for AnalyzedTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            self.next = self.tokens.len() + 1;
            false
        }
    }

    fn token(&self) -> &ApiToken {
        self.next.checked_sub(1).and_then(|index| self.tokens.get(index)).unwrap_or(&self.empty)
    }

    fn token_mut(&mut self) -> &mut ApiToken {
        match self.next.checked_sub(1) {
            Some(index) if index < self.tokens.len() => &mut self.tokens[index],
            _ => &mut self.empty,
        }
    }
}
