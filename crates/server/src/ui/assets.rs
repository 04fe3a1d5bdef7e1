//! The static files (CSS, small scripts), compiled into the binary and
//! served at `/static/NAME.HASH.EXT`: the hash is the first 12 hex digits
//! of the file's SHA-256, so a URL never changes meaning and the answer
//! can be cached for a year (`immutable`). The plain `/static/NAME.EXT`
//! answers too, with `no-cache`, for hand-written links; a stale hash is a
//! 404 rather than other bytes under an immutable name.
//!
//! To add a file: put it under `crates/server/static/` and add a line to
//! [`ASSETS`]; templates link it with `layout.asset("NAME.EXT")`.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// One static file.
pub struct Asset {
    /// the name without hash, e.g. `app.css`
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// Every static file.
pub const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../../static/app.css") },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/app.js"),
    },
    Asset {
        name: "upload.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/upload.js"),
    },
    Asset {
        name: "item.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/item.js"),
    },
    // The public portal's (src/portal/): its stylesheet and the in-browser receipt check.
    Asset {
        name: "portal.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../static/portal.css"),
    },
    Asset {
        name: "verify.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../static/verify.js"),
    },
];

/// name → (hash, asset)
static BY_NAME: LazyLock<HashMap<&'static str, (String, &'static Asset)>> = LazyLock::new(|| {
    ASSETS.iter().map(|asset| (asset.name, (hex::encode(&Sha256::digest(asset.bytes)[..6]), asset))).collect()
});

/// The versioned URL of a static file (`/static/app.1a2b3c4d5e6f.css`);
/// an unknown name gives its plain URL (which answers 404).
pub fn url(name: &str) -> String {
    match (BY_NAME.get(name), name.rsplit_once('.')) {
        (Some((hash, _)), Some((stem, extension))) => format!("/static/{stem}.{hash}.{extension}"),
        _ => format!("/static/{name}"),
    }
}

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Result<Response, ApiError> {
    let (asset, immutable) = find(&file).ok_or_else(|| ApiError::not_found("such file"))?;
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable { "public, max-age=31536000, immutable" } else { "no-cache" }),
    );
    Ok(response)
}

/// The asset a request names, and whether it was named with its hash.
fn find(file: &str) -> Option<(&'static Asset, bool)> {
    if let Some((_, asset)) = BY_NAME.get(file) {
        return Some((asset, false));
    }
    let (rest, extension) = file.rsplit_once('.')?;
    let (stem, hash) = rest.rsplit_once('.')?;
    let (expected, asset) = BY_NAME.get(format!("{stem}.{extension}").as_str())?;
    (expected == hash).then_some((*asset, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_names_resolve_and_stale_ones_do_not() {
        let versioned = url("app.css");
        let file = versioned.strip_prefix("/static/").unwrap();
        assert!(file.starts_with("app.") && file.ends_with(".css") && file.len() == "app..css".len() + 12, "{file}");
        assert!(matches!(find(file), Some((asset, true)) if asset.name == "app.css"));
        assert!(matches!(find("app.css"), Some((_, false))));
        assert!(find("app.000000000000.css").is_none());
        assert!(find("../Cargo.toml").is_none());
    }
}
