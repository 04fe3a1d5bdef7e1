//! The portal's pages: home, findings, items, other published records and
//! the timeline. Each handler gathers what it shows through [`super::public`]
//! on the blocking pool, then renders a template under
//! `templates/portal/`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use evident_archive::{Archive, RecordKind};

use super::public::{self, FieldLine, PublicItem, PublicLink};
use super::text::Text;
use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;
use crate::ui::fields::size_text;
use crate::ui::{Layout, PageError, page};

/// Characters of an item's text the page shows.
const PREVIEW_CHARS: usize = 6000;

// ---- home -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    layout: Layout,
    text: Text,
    log_size: u64,
    checkpoint_time: String,
    verifier_key: String,
    findings: usize,
    items: usize,
    events: usize,
    series: usize,
    latest: Vec<PublicItem>,
}

/// `GET /portal`: what Evident is, the log's latest checkpoint, and what is
/// published.
pub async fn home(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let text = Text(layout.lang);
    let (log_size, checkpoint_time, verifier_key, findings, items, events, series) = with_archive(&state, |archive| {
        let checkpoint = archive.checkpoint()?;
        let log_size = checkpoint.lines().nth(1).and_then(|line| line.parse::<u64>().ok()).unwrap_or(0);
        let items = public::items(archive)?;
        Ok((
            log_size,
            checkpoint_time(archive),
            archive.verifier_key(),
            public::records(archive, RecordKind::Finding)?.len(),
            items,
            public::records(archive, RecordKind::Event)?.len(),
            public::records(archive, RecordKind::Series)?.len(),
        ))
    })
    .await?;
    let latest = items.iter().take(5).cloned().collect();
    page(&HomePage {
        layout,
        text,
        log_size,
        checkpoint_time,
        verifier_key,
        findings,
        items: items.len(),
        events,
        series,
        latest,
    })
}

/// When the current checkpoint was signed (its file's modification time),
/// RFC 3339 UTC, or empty if the file system cannot say.
fn checkpoint_time(archive: &Archive) -> String {
    std::fs::metadata(archive.dir().join("log").join("checkpoint"))
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| modified.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| rfc3339(since.as_secs()))
        .unwrap_or_default()
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, as
/// in H. Hinnant's date algorithms).
fn rfc3339(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

// ---- findings ---------------------------------------------------------------

/// A published claim with its published evidence.
struct ClaimView {
    id: String,
    text: String,
    figure: String,
    supporting: Vec<PublicLink>,
    contradicting: Vec<PublicLink>,
}

/// A published finding.
struct FindingView {
    id: String,
    issue: String,
    standard: String,
    outcome: String,
    reasoning: String,
    claims: Vec<ClaimView>,
}

fn finding_view(archive: &Archive, view: &evident_archive::RecordView) -> Result<FindingView, ApiError> {
    let fields = &view.fields;
    let mut claims = Vec::new();
    for link in public::linked(archive, fields, "claims")? {
        let Some(claim) = public::record(archive, &link.id)? else { continue };
        let figure = match claim.fields.get("value") {
            Some(value) => {
                let unit = public::text(&claim.fields, "unit");
                let period = crate::ui::fields::date_text(claim.fields.get("period"));
                let mut figure = format!("{} {unit}", crate::ui::fields::value_text(value)).trim().to_owned();
                if !period.is_empty() {
                    figure.push_str(&format!(" ({period})"));
                }
                figure
            }
            None => String::new(),
        };
        claims.push(ClaimView {
            text: public::text(&claim.fields, "text"),
            figure,
            supporting: public::linked(archive, &claim.fields, "supporting")?,
            contradicting: public::linked(archive, &claim.fields, "contradicting")?,
            id: claim.id,
        });
    }
    Ok(FindingView {
        id: view.id.clone(),
        issue: public::text(fields, "issue"),
        standard: public::text(fields, "standard").replace('_', " "),
        outcome: public::text(fields, "outcome").replace('_', " "),
        reasoning: public::text(fields, "reasoning"),
        claims,
    })
}

#[derive(Template)]
#[template(path = "portal/findings.html")]
struct FindingsPage {
    layout: Layout,
    text: Text,
    findings: Vec<FindingView>,
}

/// `GET /portal/findings`: every published finding.
pub async fn findings(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let findings = with_archive(&state, |archive| {
        public::records(archive, RecordKind::Finding)?.iter().map(|view| finding_view(archive, view)).collect()
    })
    .await?;
    page(&FindingsPage { text: Text(layout.lang), layout, findings })
}

#[derive(Template)]
#[template(path = "portal/finding.html")]
struct FindingPage {
    layout: Layout,
    text: Text,
    finding: FindingView,
    published: Option<evident_archive::Publication>,
}

/// `GET /portal/findings/{id}`: one published finding, its published claims
/// and their published evidence.
pub async fn finding(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (finding, published) = with_archive(&state, move |archive| {
        let view = public::record_of_kind(archive, &id, RecordKind::Finding)?;
        Ok((finding_view(archive, &view)?, archive.publication(&id)?))
    })
    .await?;
    page(&FindingPage { text: Text(layout.lang), layout, finding, published })
}

// ---- items ------------------------------------------------------------------

/// An item as the list shows it.
struct ItemRow {
    id: String,
    title: String,
    item_type: String,
    date: String,
    file: String,
    size: String,
}

impl ItemRow {
    fn of(item: &PublicItem) -> ItemRow {
        let fields = &item.view.fields;
        let date = ["created", "captured"]
            .iter()
            .map(|name| crate::ui::fields::date_text(fields.get(*name)))
            .find(|date| !date.is_empty())
            .unwrap_or_else(|| item.added_at.get(..10).unwrap_or(&item.added_at).to_owned());
        ItemRow {
            id: item.id.clone(),
            title: item.title(),
            item_type: public::text(fields, "item_type").replace('_', " "),
            date,
            file: item.media_type.clone(),
            size: size_text(item.size),
        }
    }
}

#[derive(Template)]
#[template(path = "portal/items.html")]
struct ItemsPage {
    layout: Layout,
    text: Text,
    items: Vec<ItemRow>,
}

/// `GET /portal/items`: every published item, newest first.
pub async fn items(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let items = with_archive(&state, |archive| Ok(public::items(archive)?.iter().map(ItemRow::of).collect())).await?;
    page(&ItemsPage { text: Text(layout.lang), layout, items })
}

#[derive(Template)]
#[template(path = "portal/item.html")]
struct ItemPage {
    layout: Layout,
    text: Text,
    item: PublicItem,
    title: String,
    size: String,
    fields: Vec<FieldLine>,
    links: Vec<PublicLink>,
    cited_by: Vec<PublicLink>,
    preview: String,
    preview_cut: bool,
    /// `image`, `audio` or `video` when the browser shows the file itself
    media: &'static str,
    published: Option<evident_archive::Publication>,
    /// for a redacted copy: the log index of the original's `item.add`
    /// entry (nothing else of the original is shown)
    redacted_from: Option<u64>,
}

/// How the browser can show a file of `media_type` itself, if it can.
fn media_of(media_type: &str) -> &'static str {
    match media_type.split('/').next() {
        Some("image") => "image",
        Some("audio") => "audio",
        Some("video") => "video",
        _ => "",
    }
}

/// `GET /portal/items/{id}`: a published item: its description, file
/// metadata, the beginning of its text, download and receipt.
pub async fn item(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (item, links, cited_by, preview, preview_cut, published, redacted_from) =
        with_archive(&state, move |archive| {
            let item = public::item(archive, &id)?.ok_or_else(public::not_found)?;
            let links = public::links(archive, &public::referenced_ids(&item.view.fields))?;
            let citing: Vec<String> = archive.references_to(&id)?.into_iter().map(|(from, _)| from).collect();
            let cited_by = public::links(archive, &citing)?;
            let content = archive.item_text_content(&id)?;
            let preview: String = content.text.chars().take(PREVIEW_CHARS).collect();
            let cut = content.truncated || preview.len() < content.text.len();
            let redacted_from = match archive.item_derivation(&id)? {
                Some(derivation) => Some(archive.item(&derivation.source)?.log_index),
                None => None,
            };
            Ok((item, links, cited_by, preview, cut, archive.publication(&id)?, redacted_from))
        })
        .await?;
    page(&ItemPage {
        text: Text(layout.lang),
        layout,
        title: item.title(),
        size: size_text(item.size),
        media: media_of(&item.media_type),
        fields: public::field_lines(&item.view.fields),
        item,
        links,
        cited_by,
        preview,
        preview_cut,
        published,
        redacted_from,
    })
}

// ---- other records ----------------------------------------------------------

#[derive(Template)]
#[template(path = "portal/record.html")]
struct RecordPage {
    layout: Layout,
    text: Text,
    id: String,
    kind: String,
    title: String,
    fields: Vec<FieldLine>,
    links: Vec<PublicLink>,
    cited_by: Vec<PublicLink>,
    published: Option<evident_archive::Publication>,
}

/// `GET /portal/records/{id}`: a published source, person, facility,
/// claim or relation (findings, series, events and items have their own
/// pages, where this one sends them).
pub async fn record(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (view, links, cited_by, published) = with_archive(&state, move |archive| {
        let view = public::record(archive, &id)?.ok_or_else(public::not_found)?;
        let links = public::links(archive, &public::referenced_ids(&view.fields))?;
        let citing: Vec<String> = archive.references_to(&id)?.into_iter().map(|(from, _)| from).collect();
        let cited_by = public::links(archive, &citing)?;
        let published = archive.publication(&id)?;
        Ok((view, links, cited_by, published))
    })
    .await?;
    if matches!(view.kind.as_str(), "item" | "finding" | "series" | "event") {
        return Ok(Redirect::to(&public::href(&view.kind, &view.id)).into_response());
    }
    page(&RecordPage {
        text: Text(layout.lang),
        kind: layout.kind_name(&view.kind).to_owned(),
        title: crate::ui::fields::display_name(&view),
        fields: public::field_lines(&view.fields),
        id: view.id,
        layout,
        links,
        cited_by,
        published,
    })
}

// ---- timeline ---------------------------------------------------------------

/// A published event on the timeline.
struct EventView {
    id: String,
    when: String,
    what: String,
    description: String,
    place: String,
    facilities: Vec<PublicLink>,
    participants: Vec<PublicLink>,
    evidence: Vec<PublicLink>,
}

#[derive(Template)]
#[template(path = "portal/timeline.html")]
struct TimelinePage {
    layout: Layout,
    text: Text,
    events: Vec<EventView>,
}

/// `GET /portal/timeline`: published events by date (undated ones last),
/// with only their published participants, facilities and evidence.
pub async fn timeline(State(state): State<AppState>, layout: Layout) -> Result<Response, PageError> {
    let events = with_archive(&state, |archive| {
        let mut events = Vec::new();
        for view in public::records(archive, RecordKind::Event)? {
            let fields = &view.fields;
            let (when, start) = public::event_date(fields);
            let event = EventView {
                id: view.id.clone(),
                when,
                what: public::text(fields, "event_type").replace('_', " "),
                description: public::text(fields, "description"),
                place: public::text(fields, "place"),
                facilities: public::linked(archive, fields, "facility")?,
                participants: public::linked(archive, fields, "participants")?,
                evidence: public::linked(archive, fields, "items")?,
            };
            events.push((start, event));
        }
        events.sort_by(|(a, x), (b, y)| match (a, b) {
            (Some(a), Some(b)) => a.cmp(b).then_with(|| x.id.cmp(&y.id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => x.id.cmp(&y.id),
        });
        Ok(events.into_iter().map(|(_, event)| event).collect())
    })
    .await?;
    page(&TimelinePage { text: Text(layout.lang), layout, events })
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
