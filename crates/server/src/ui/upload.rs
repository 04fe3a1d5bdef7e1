//! `/upload`: drag and drop (or a plain file input), one request per file
//! to `POST /api/v1/items` with the page's CSRF token, each with its own
//! progress bar and outcome (`static/upload.js`). For the roles that may
//! add items; the public is sent to log in, a reviewer gets 403.

use askama::Template;
use axum::response::Response;

use super::{Layout, PageError, page};
use crate::error::ApiError;

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage {
    layout: Layout,
}

/// `GET /upload`.
pub async fn upload_page(layout: Layout) -> Result<Response, PageError> {
    layout.require_account()?;
    if !layout.may_upload() {
        return Err(ApiError::forbidden("this role may not add items").into());
    }
    page(&UploadPage { layout })
}
