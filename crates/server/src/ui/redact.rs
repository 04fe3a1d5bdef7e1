//! `/items/{id}/redact`: the "Redact" form of an item page (admins and
//! investigators): strings to remove, character spans, image regions as
//! four numbers, public or restricted; it calls the same archive API as
//! `evident redact` and then shows the new copy's page. An item the caller
//! may not see answers as if it did not exist; what was asked to be
//! removed is never echoed back, logged or put in a URL.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use evident_archive::{RedactConfig, Region, Sensitivity, parse_span};
use serde::Deserialize;

use super::{Layout, PageError, page, page_with_status};
use crate::AppState;
use crate::api::with_archive;
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "redact.html")]
struct RedactPage {
    layout: Layout,
    id: String,
    /// why the last attempt was refused (never containing what was to be removed)
    error: String,
}

/// The form's fields. Lists are one entry per line.
#[derive(Deserialize)]
pub struct RedactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    remove: String,
    #[serde(default)]
    spans: String,
    #[serde(default)]
    region_x: String,
    #[serde(default)]
    region_y: String,
    #[serde(default)]
    region_w: String,
    #[serde(default)]
    region_h: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    sensitivity: String,
}

/// Admins and investigators only, and only an item they may see.
async fn check(state: &AppState, layout: &Layout, id: &str) -> Result<(), PageError> {
    layout.require_account()?;
    if !layout.may_write_records() {
        return Err(ApiError::forbidden("only admins and investigators redact").into());
    }
    let (caller, target) = (layout.caller.clone(), id.to_owned());
    with_archive(state, move |archive| {
        crate::api_items::visible_item_noted(archive, &caller, &target, "redact").map(|_| ())
    })
    .await?;
    Ok(())
}

/// `GET /items/{id}/redact`: the form.
pub async fn redact_page(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    check(&state, &layout, &id).await?;
    page(&RedactPage { layout, id, error: String::new() })
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}

/// The archive's configuration from the form, or why it is not one.
fn config(form: &RedactForm, actor: String) -> Result<RedactConfig, String> {
    let mut regions = Vec::new();
    let four = [&form.region_x, &form.region_y, &form.region_w, &form.region_h];
    if four.iter().any(|n| !n.trim().is_empty()) {
        let joined = four.iter().map(|n| n.trim()).collect::<Vec<_>>().join(",");
        regions.push(Region::parse(&joined).map_err(|e| e.to_string())?);
    }
    for line in lines(&form.regions) {
        regions.push(Region::parse(line).map_err(|e| e.to_string())?);
    }
    let spans = lines(&form.spans).map(|span| parse_span(span).map_err(|e| e.to_string())).collect::<Result<_, _>>()?;
    let sensitivity = match form.sensitivity.as_str() {
        "restricted" => Sensitivity::Restricted,
        "" | "public" => Sensitivity::Public,
        _ => return Err("a redacted copy is public or restricted".to_owned()),
    };
    // Lines are kept as typed (a name may begin or end with a space only by mistake).
    let remove = lines(&form.remove).map(str::to_owned).collect();
    Ok(RedactConfig { actor, remove, spans, regions, sensitivity })
}

/// `POST /items/{id}/redact`: makes the copy and shows it; a refusal shows
/// the form again with the reason.
pub async fn redact(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
    Form(form): Form<RedactForm>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    layout.caller.check_csrf(Some(&form.csrf))?;
    check(&state, &layout, &id).await?;
    let actor = layout.user().unwrap_or_default().to_owned();
    let config = match config(&form, actor) {
        Ok(config) => config,
        Err(error) => return page_with_status(StatusCode::BAD_REQUEST, &RedactPage { layout, id, error }),
    };
    let source = id.clone();
    let made = with_archive(&state, move |archive| Ok(archive.redact(&source, &config)?)).await;
    match made {
        Ok(report) => Ok(Redirect::to(&format!("/items/{}", report.item)).into_response()),
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            page_with_status(StatusCode::BAD_REQUEST, &RedactPage { layout, id, error: error.message })
        }
        Err(error) => Err(error.into()),
    }
}

/// What an item page says about redaction: the item it was made from (a
/// link only if the caller may see it; for a sealed or hidden original,
/// only its log entry) and the copies made from it that the caller may see.
pub(super) struct Derivations {
    /// `Some` for a redacted copy: (link to the original if visible, the
    /// log index of the original's `item.add` entry)
    pub redacted_from: Option<(Option<super::fields::Link>, u64)>,
    /// visible copies, with the log index of each `item.derive` entry
    pub copies: Vec<(super::fields::Link, u64)>,
}

pub(super) fn derivations(
    archive: &evident_archive::Archive,
    id: &str,
    access: evident_archive::Access,
) -> Result<Derivations, ApiError> {
    let redacted_from = match archive.item_derivation(id)? {
        Some(derivation) => {
            let source_index = archive.item(&derivation.source)?.log_index;
            Some((super::fields::link(archive, &derivation.source, access), source_index))
        }
        None => None,
    };
    let copies = archive
        .item_derivatives(id)?
        .into_iter()
        .filter_map(|copy| super::fields::link(archive, &copy.item, access).map(|link| (link, copy.log_index)))
        .collect();
    Ok(Derivations { redacted_from, copies })
}
