//! The tribunal-style findings table: each issue, the standard of proof it
//! was decided on, the outcome, the claims relied on and the items behind
//! them.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::records::parse_fields;
use crate::{Archive, Result};

#[derive(Clone, Debug, Serialize)]
pub struct FindingRow {
    pub id: String,
    pub issue: String,
    pub standard: String,
    pub outcome: String,
    pub claims: Vec<ClaimSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClaimSummary {
    pub id: String,
    pub text: String,
    /// value, unit and period when the claim is a figure
    pub figure: Option<String>,
    pub retracted: bool,
    /// items (and records) the claim rests on
    pub supporting: Vec<String>,
    pub contradicting: Vec<String>,
}

/// Text fields may be plain text or `{"en": ..., "zh": ...}`: English
/// first, then the others.
pub fn display_text(value: Option<&Value>) -> String {
    if value
        .is_some_and(|value| evident_core::sealed_box(value).is_some() || evident_core::is_sealed_placeholder(value))
    {
        return "[sealed]".to_owned();
    }
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Object(map)) => {
            let mut parts: Vec<String> = map.get("en").and_then(Value::as_str).map(str::to_owned).into_iter().collect();
            parts.extend(
                map.iter().filter(|(lang, _)| *lang != "en").filter_map(|(_, v)| v.as_str().map(str::to_owned)),
            );
            parts.join(" / ")
        }
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn ids(fields: &Map<String, Value>, name: &str) -> Vec<String> {
    fields
        .get(name)
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

impl Archive {
    /// Every finding that is not retracted, in id order.
    pub fn findings(&self) -> Result<Vec<FindingRow>> {
        let mut rows = Vec::new();
        let mut failure = None;
        self.store.for_each_record(Some("finding"), &mut |row| {
            if row.retracted {
                return Ok(true);
            }
            match parse_fields(&row) {
                Ok(fields) => rows.push((row.id, fields)),
                Err(e) => {
                    failure = Some(e);
                    return Ok(false);
                }
            }
            Ok(true)
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        let mut findings = Vec::with_capacity(rows.len());
        for (id, mut fields) in rows {
            crate::sealed_records::mask_sealed_fields(&mut fields);
            let mut claims = Vec::new();
            for claim_id in ids(&fields, "claims") {
                let Some(claim) = self.store.record(&claim_id)? else { continue };
                let mut claim_fields = parse_fields(&claim)?;
                crate::sealed_records::mask_sealed_fields(&mut claim_fields);
                let figure = claim_fields.get("value").map(|value| {
                    let value = if evident_core::is_sealed_placeholder(value) {
                        "[sealed]".to_owned()
                    } else {
                        value.to_string()
                    };
                    let unit = claim_fields.get("unit").and_then(Value::as_str).unwrap_or("");
                    let period = claim_fields.get("period").and_then(|p| p.get("text")).and_then(Value::as_str);
                    match period {
                        Some(period) => format!("{value} {unit} ({period})").replace("  ", " "),
                        None => format!("{value} {unit}").trim().to_owned(),
                    }
                });
                claims.push(ClaimSummary {
                    id: claim_id,
                    text: display_text(claim_fields.get("text")),
                    figure,
                    retracted: claim.retracted,
                    supporting: ids(&claim_fields, "supporting"),
                    contradicting: ids(&claim_fields, "contradicting"),
                });
            }
            findings.push(FindingRow {
                id,
                issue: display_text(fields.get("issue")),
                standard: fields.get("standard").and_then(Value::as_str).unwrap_or("").replace('_', " "),
                outcome: fields.get("outcome").and_then(Value::as_str).unwrap_or("").replace('_', " "),
                claims,
            });
        }
        Ok(findings)
    }
}
