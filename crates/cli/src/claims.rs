//! `evident extract claims` and `evident candidates`: figures found in
//! items' text, and their review.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;
use evident_archive::Archive;
use evident_store::ClaimCandidate;
use serde_json::json;

use crate::records::{parse_sets, print_change};

#[derive(Subcommand)]
pub enum ExtractCommand {
    /// Find candidate claims (waiting times, prices, volumes, beds, utilisation) in items' text, for review
    Claims {
        /// Items to search (default: every item)
        items: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum CandidatesCommand {
    /// List candidates
    List {
        /// pending, accepted or rejected (default: all)
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        item: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Accept candidates: each becomes a claim record citing its item
    Accept {
        #[arg(required = true)]
        ids: Vec<i64>,
        /// More claim fields, FIELD=VALUE (e.g. claimant=src_...)
        #[arg(long)]
        set: Vec<String>,
        #[arg(long, default_value = "accepted on review")]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Reject candidates, with the reason (kept)
    Reject {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long)]
        reason: String,
        #[arg(long, env = "EVIDENT_ACTOR")]
        actor: Option<String>,
    },
}

pub fn extract(archive: &mut Archive, which: &ExtractCommand) -> Result<ExitCode> {
    let ExtractCommand::Claims { items, json } = which;
    let search = archive.extract_claims(items)?;
    if *json {
        for candidate in &search.candidates {
            println!("{}", candidate_json(candidate));
        }
    } else {
        print_candidates(&search.candidates);
        eprintln!(
            "{} candidates in {} items; review with `evident candidates accept|reject ID`",
            search.candidates.len(),
            search.items
        );
    }
    for (item, reason) in &search.skipped {
        eprintln!("skipped {item}: {reason}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn candidates(archive: &mut Archive, which: &CandidatesCommand) -> Result<ExitCode> {
    match which {
        CandidatesCommand::List { status, item, json } => {
            let candidates = archive.claim_candidates(item.as_deref(), status.as_deref())?;
            if *json {
                for candidate in &candidates {
                    println!("{}", candidate_json(candidate));
                }
            } else {
                print_candidates(&candidates);
            }
        }
        CandidatesCommand::Accept { ids, set, reason, actor, json } => {
            let extra: serde_json::Map<String, serde_json::Value> =
                parse_sets(set)?.into_iter().filter_map(|(field, value)| value.map(|v| (field, v))).collect();
            let actor = actor.clone().unwrap_or_else(crate::default_actor);
            for id in ids {
                let change = archive.accept_candidate(*id, extra.clone(), &actor, reason)?;
                print_change(&change, *json);
            }
        }
        CandidatesCommand::Reject { ids, reason, actor } => {
            let actor = actor.clone().unwrap_or_else(crate::default_actor);
            for id in ids {
                archive.reject_candidate(*id, &actor, reason)?;
                println!("#{id} rejected");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn candidate_json(candidate: &ClaimCandidate) -> serde_json::Value {
    json!({
        "id": candidate.id, "item": candidate.item_id, "kind": candidate.kind, "text": candidate.text,
        "char_start": candidate.char_start, "char_end": candidate.char_end,
        "value": candidate.value, "value_high": candidate.value_high, "unit": candidate.unit,
        "period": candidate.period, "sentence": candidate.sentence, "status": candidate.status,
        "claim": candidate.claim_id, "reviewed_by": candidate.reviewed_by, "reviewed_at": candidate.reviewed_at,
        "note": candidate.note,
    })
}

fn print_candidates(candidates: &[ClaimCandidate]) {
    for candidate in candidates {
        let range = candidate.value_high.map(|high| format!("–{high}")).unwrap_or_default();
        let period = candidate.period.as_deref().map(|period| format!(" ({period})")).unwrap_or_default();
        let review = match &candidate.claim_id {
            Some(claim) => format!("{} as {claim}", candidate.status),
            None => candidate.status.clone(),
        };
        println!(
            "#{} {} {}{range} {}{period}  [{review}]\n    {:?} in {} at {}..{}: {}",
            candidate.id,
            candidate.kind,
            candidate.value,
            candidate.unit,
            candidate.text,
            candidate.item_id,
            candidate.char_start,
            candidate.char_end,
            candidate.sentence
        );
    }
}
