//! What the archive hands the index: one document per item or record, with
//! the access level that decides who may ever see it in a result.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::SearchError;
use crate::schema::FACETS;

/// Who may see a document, and what a searcher may see. Ordered: a searcher
/// at a level sees documents at that level and below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// anyone, the public portal included
    Public,
    /// investigators and reviewers
    Restricted,
    /// named people only; sealed text is never indexed in plaintext, so only
    /// documents whose indexed text is not sealed carry this level
    Sealed,
}

impl Access {
    pub const ALL: [Access; 3] = [Access::Public, Access::Restricted, Access::Sealed];

    pub fn name(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Restricted => "restricted",
            Access::Sealed => "sealed",
        }
    }

    pub fn parse(text: &str) -> Result<Access, SearchError> {
        Access::ALL.into_iter().find(|level| level.name().eq_ignore_ascii_case(text.trim())).ok_or_else(|| {
            SearchError::Invalid(format!("unknown access level {text:?}; levels are public, restricted, sealed"))
        })
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One searchable thing: a file item (its extracted text and its item
/// record) or a record (its fields as text).
#[derive(Clone, Debug, PartialEq)]
pub struct IndexDoc {
    /// the item's or record's id; a document with the same id replaces it
    pub id: String,
    /// `item`, `person`, `facility`, ... (the record kind)
    pub kind: String,
    pub title: String,
    pub body: String,
    /// languages of the text, the dominant one first
    pub langs: Vec<String>,
    pub access: Access,
    /// seconds since the Unix epoch: when the evidence dates from (captured,
    /// created, event date), else when it was added
    pub date: Option<i64>,
    /// further facet values, `(name, value)`, with `name` one of
    /// [`FACETS`](crate::FACETS) other than `kind`, `lang`, `access` and
    /// `year`, which come from the fields above
    pub facets: Vec<(String, String)>,
}

impl IndexDoc {
    /// Every facet value of the document, derived ones included.
    pub(crate) fn all_facets(&self) -> Result<Vec<(&str, String)>, SearchError> {
        let mut facets = vec![("kind", self.kind.to_lowercase()), ("access", self.access.name().to_owned())];
        for lang in &self.langs {
            facets.push(("lang", lang.to_lowercase()));
        }
        if let Some(year) = self.date.and_then(year_of) {
            facets.push(("year", year.to_string()));
        }
        for (name, value) in &self.facets {
            let Some(known) = FACETS.iter().find(|known| **known == name.as_str()) else {
                return Err(SearchError::Invalid(format!(
                    "document {}: unknown facet {name:?}; facets are {}",
                    self.id,
                    FACETS.join(", ")
                )));
            };
            if matches!(*known, "kind" | "lang" | "access" | "year") {
                return Err(SearchError::Invalid(format!(
                    "document {}: facet {name:?} is derived from the document's own fields",
                    self.id
                )));
            }
            let value = facet_value(known, value);
            if !value.is_empty() {
                facets.push((known, value));
            }
        }
        facets.sort();
        facets.dedup();
        Ok(facets)
    }
}

/// A facet value as stored and as matched: trimmed, and lower case for the
/// facets whose values are codes.
pub(crate) fn facet_value(name: &str, value: &str) -> String {
    let value = value.trim();
    match name {
        "kind" | "type" | "lang" | "access" => value.to_lowercase(),
        _ => value.to_owned(),
    }
}

pub(crate) fn year_of(seconds: i64) -> Option<i32> {
    time::OffsetDateTime::from_unix_timestamp(seconds).ok().map(|moment| moment.year())
}
