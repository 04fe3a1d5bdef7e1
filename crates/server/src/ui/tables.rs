//! `/findings` (the tribunal-style findings table) and `/timeline` (events
//! by date), each showing only what the caller may see: a finding or claim
//! above the caller's level is left out, and so is any item or record a
//! claim rests on that the caller may not see.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use evident_archive::{Access, RecordKind};
use serde_json::Value;

use super::fields::{Link, date_start, date_text, ids_in, links};
use super::{Layout, PageError, page};
use crate::AppState;
use crate::api::with_archive;

/// A claim a finding relies on.
struct ClaimRow {
    id: String,
    text: String,
    figure: String,
    retracted: bool,
    supporting: Vec<Link>,
    contradicting: Vec<Link>,
}

struct FindingRow {
    id: String,
    issue: String,
    standard: String,
    outcome: String,
    access: Access,
    claims: Vec<ClaimRow>,
}

#[derive(Template)]
#[template(path = "findings.html")]
struct FindingsPage {
    layout: Layout,
    findings: Vec<FindingRow>,
}

/// `GET /findings`.
pub async fn findings_page(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    layout.require_restricted()?;
    let access = layout.access();
    let findings = with_archive(&state, move |archive| {
        let mut rows = Vec::new();
        for finding in archive.findings()? {
            let Ok(level) = archive.access_of(&finding.id) else { continue };
            if level > access {
                continue;
            }
            let claims = finding
                .claims
                .into_iter()
                .filter(|claim| archive.access_of(&claim.id).is_ok_and(|level| level <= access))
                .map(|claim| ClaimRow {
                    supporting: links(archive, &claim.supporting, access),
                    contradicting: links(archive, &claim.contradicting, access),
                    id: claim.id,
                    text: claim.text,
                    figure: claim.figure.unwrap_or_default(),
                    retracted: claim.retracted,
                })
                .collect();
            rows.push(FindingRow {
                id: finding.id,
                issue: finding.issue,
                standard: finding.standard,
                outcome: finding.outcome,
                access: level,
                claims,
            });
        }
        Ok(rows)
    })
    .await?;
    page(&FindingsPage { layout, findings })
}

/// One event on the timeline.
struct EventRow {
    id: String,
    when: String,
    what: String,
    description: String,
    place: String,
    facilities: Vec<Link>,
    participants: Vec<Link>,
    evidence: Vec<Link>,
    access: Access,
    sort_key: String,
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    layout: Layout,
    events: Vec<EventRow>,
}

/// `GET /timeline`: events (records of kind event) by date, undated last.
pub async fn timeline_page(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    layout.require_restricted()?;
    let access = layout.access();
    let events = with_archive(&state, move |archive| {
        let mut rows = Vec::new();
        for view in archive.records(RecordKind::Event)? {
            let level = view.access();
            if view.retracted || level > access {
                continue;
            }
            let fields = &view.fields;
            let text = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or("").to_owned();
            rows.push(EventRow {
                when: date_text(fields.get("date")),
                sort_key: date_start(fields.get("date")).unwrap_or_else(|| "~".to_owned()),
                what: text("event_type").replace('_', " "),
                description: evident_archive::display_text(fields.get("description")),
                place: text("place"),
                facilities: links(archive, &ids_in(fields, "facility"), access),
                participants: links(archive, &ids_in(fields, "participants"), access),
                evidence: links(archive, &ids_in(fields, "items"), access),
                access: level,
                id: view.id,
            });
        }
        rows.sort_by(|a, b| a.sort_key.cmp(&b.sort_key).then_with(|| a.id.cmp(&b.id)));
        Ok(rows)
    })
    .await?;
    page(&TimelinePage { layout, events })
}
