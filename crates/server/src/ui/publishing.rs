//! `POST /publish/{id}`: the publish and unpublish buttons of item and
//! record pages (admins and investigators): the same logged record version
//! as `evident publish` / `evident unpublish`, then back to the page.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Layout, PageError};
use crate::AppState;
use crate::api::{visible, with_archive};
use crate::error::ApiError;

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /publish/{id}` with `csrf`, `action` (`publish` or `unpublish`) and
/// `reason` (required to unpublish).
pub async fn publish(
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<String>,
    Form(form): Form<PublishForm>,
) -> Result<Response, PageError> {
    layout.require_account()?;
    layout.caller.check_csrf(Some(&form.csrf))?;
    if !layout.may_write_records() {
        return Err(ApiError::forbidden("only admins and investigators publish").into());
    }
    let user = layout.user().unwrap_or_default().to_owned();
    let access = layout.access();
    let target = id.clone();
    with_archive(&state, move |archive| {
        visible(archive, &target, access, "item or record")?;
        match form.action.as_str() {
            "publish" => archive.publish_record(&target, &user, form.reason.trim())?,
            "unpublish" => archive.unpublish_record(&target, &user, form.reason.trim())?,
            other => {
                let shown: String = other.chars().take(32).collect();
                return Err(ApiError::bad_request(format!("unknown action {shown:?}: publish or unpublish")));
            }
        };
        Ok(())
    })
    .await?;
    let page = if id.starts_with("itm_") { format!("/items/{id}") } else { format!("/records/{id}") };
    Ok(Redirect::to(&page).into_response())
}
