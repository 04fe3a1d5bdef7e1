//! Claim candidates: figures found in items' text (waiting times, prices,
//! volumes, beds, utilisation) that an investigator reviews. Finding them
//! changes no evidence; accepting one creates a claim record that cites the
//! item (a `record.version` log entry like any other), rejecting one keeps
//! the decision and its reason. Both are kept.

use serde_json::{Map, Value, json};

use evident_analysis::claims::find_candidates;
use evident_core::RecordKind;
use evident_extract::Extraction;
use evident_store::{CandidateReview, ClaimCandidate};

use crate::{Archive, ArchiveError, RecordChange, Result, now_rfc3339};

/// What a claim search over items found.
#[derive(Clone, Debug, Default)]
pub struct ClaimSearch {
    /// every candidate found, as stored (a candidate found before keeps its
    /// id and review)
    pub candidates: Vec<ClaimCandidate>,
    /// items searched
    pub items: u64,
    /// items without text to search, with the reason
    pub skipped: Vec<(String, String)>,
}

impl Archive {
    /// Finds claim candidates in the text of `items` (every item when empty)
    /// and stores them for review.
    pub fn extract_claims(&mut self, items: &[String]) -> Result<ClaimSearch> {
        let ids: Vec<String> = if items.is_empty() {
            self.store.items()?.into_iter().map(|item| item.id).collect()
        } else {
            items.to_vec()
        };
        let mut search = ClaimSearch::default();
        for id in ids {
            let item = self.item(&id)?;
            let (_, extraction) = self.extract_item(&item);
            let text = match extraction {
                Extraction::Text(extracted) => extracted.text,
                Extraction::NoText { format } => {
                    search.skipped.push((id, format!("{format}: no text")));
                    continue;
                }
                Extraction::Failed { reason, .. } => {
                    search.skipped.push((id, reason));
                    continue;
                }
            };
            search.items += 1;
            let found_at = now_rfc3339();
            let candidates: Vec<ClaimCandidate> = find_candidates(&text)
                .into_iter()
                .map(|candidate| ClaimCandidate {
                    id: 0,
                    item_id: id.clone(),
                    kind: serde_json::to_value(candidate.kind)
                        .ok()
                        .and_then(|kind| kind.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    text: candidate.text,
                    char_start: candidate.char_start as u64,
                    char_end: candidate.char_end as u64,
                    value: candidate.value,
                    value_high: candidate.value_high,
                    unit: candidate.unit,
                    period: candidate.period,
                    sentence: candidate.sentence,
                    status: "pending".to_owned(),
                    claim_id: None,
                    reviewed_by: None,
                    reviewed_at: None,
                    note: None,
                    found_at: found_at.clone(),
                })
                .collect();
            if !candidates.is_empty() {
                search.candidates.extend(self.store.add_claim_candidates(&candidates)?);
            }
        }
        Ok(search)
    }

    /// Stored candidates, oldest first, of one item and/or status if given.
    pub fn claim_candidates(&self, item: Option<&str>, status: Option<&str>) -> Result<Vec<ClaimCandidate>> {
        if let Some(status) = status
            && !["pending", "accepted", "rejected"].contains(&status)
        {
            return Err(ArchiveError::Invalid(format!(
                "unknown candidate status {status:?}; statuses are pending, accepted, rejected"
            )));
        }
        Ok(self.store.claim_candidates(item, status)?)
    }

    /// Accepts a pending candidate: creates a claim record (its sentence as
    /// `text`, value, unit, period, the item as `supporting`, plus `extra`
    /// fields such as `claimant`), then marks the candidate accepted with
    /// the claim's id.
    pub fn accept_candidate(
        &mut self,
        id: i64,
        extra: Map<String, Value>,
        actor: &str,
        reason: &str,
    ) -> Result<RecordChange> {
        let candidate = self.pending_candidate(id)?;
        let mut fields = Map::new();
        fields.insert("text".to_owned(), json!(candidate.sentence));
        fields.insert("value".to_owned(), json!(candidate.value));
        let unit = match candidate.value_high {
            Some(high) => format!("{} (range up to {high})", candidate.unit),
            None => candidate.unit.clone(),
        };
        fields.insert("unit".to_owned(), json!(unit));
        if let Some(period) = &candidate.period {
            fields.insert("period".to_owned(), json!(period));
        }
        fields.insert("supporting".to_owned(), json!([candidate.item_id]));
        fields.extend(extra);
        let reason = format!(
            "{reason} (claim candidate #{id}: {:?} at characters {}..{} of {})",
            candidate.text, candidate.char_start, candidate.char_end, candidate.item_id
        );
        let change = self.create_record(RecordKind::Claim, fields, actor, &reason)?;
        self.store.review_claim_candidate(&CandidateReview {
            id,
            status: "accepted".to_owned(),
            claim_id: Some(change.id.clone()),
            reviewed_by: actor.to_owned(),
            reviewed_at: now_rfc3339(),
            note: Some(reason),
        })?;
        Ok(change)
    }

    /// Rejects a pending candidate, keeping who, when and why.
    pub fn reject_candidate(&mut self, id: i64, actor: &str, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(ArchiveError::Invalid("a rejection needs a reason".to_owned()));
        }
        self.pending_candidate(id)?;
        self.store.review_claim_candidate(&CandidateReview {
            id,
            status: "rejected".to_owned(),
            claim_id: None,
            reviewed_by: actor.to_owned(),
            reviewed_at: now_rfc3339(),
            note: Some(reason.to_owned()),
        })?;
        Ok(())
    }

    fn pending_candidate(&self, id: i64) -> Result<ClaimCandidate> {
        let candidate = self
            .store
            .claim_candidates(None, None)?
            .into_iter()
            .find(|candidate| candidate.id == id)
            .ok_or_else(|| ArchiveError::NotFound(format!("no claim candidate #{id}")))?;
        if candidate.status != "pending" {
            return Err(ArchiveError::Invalid(format!(
                "claim candidate #{id} is already {}{}; reviews are kept, not changed",
                candidate.status,
                candidate.claim_id.as_deref().map(|claim| format!(" (as {claim})")).unwrap_or_default()
            )));
        }
        Ok(candidate)
    }
}
