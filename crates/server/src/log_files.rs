//! The transparency log over HTTP, at exactly the C2SP tlog-tiles paths:
//! `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>[.p/<W>]`.
//! Full tiles never change, so they are immutable for caches; partial tiles
//! and the checkpoint are replaced as the log grows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::error::ApiError;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const PARTIAL: &str = "public, max-age=10";
const CHECKPOINT: &str = "no-cache";

/// The log's C2SP paths.
pub fn routes() -> Router<AppState> {
    Router::new().route("/checkpoint", get(checkpoint)).route("/tile/{*path}", get(tile))
}

pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    // Read on the request's own thread: the file is a few hundred bytes,
    // replaced atomically by rename, and a hop to the blocking pool costs
    // more than the read. Never cached: it changes with every publish.
    let bytes: Bytes = read(&state.log_dir.join("checkpoint"))?.into();
    Ok(respond(bytes, "text/plain; charset=utf-8", CHECKPOINT))
}

pub async fn tile(State(state): State<AppState>, UrlPath(path): UrlPath<String>) -> Result<Response, ApiError> {
    let Some(relative) = tile_path(&path) else {
        return Err(ApiError::not_found("tile at that path"));
    };
    let full = !path.contains(".p/");
    let file = state.log_dir.join("tile").join(relative);
    if full && let Some(bytes) = state.log_cache.tile(&file) {
        return Ok(respond(bytes, "application/octet-stream", IMMUTABLE));
    }
    let read_path = file.clone();
    let bytes: Bytes = tokio::task::spawn_blocking(move || read(&read_path))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??
        .into();
    if full {
        state.log_cache.keep_tile(file, bytes.clone());
    }
    Ok(respond(bytes, "application/octet-stream", if full { IMMUTABLE } else { PARTIAL }))
}

/// Full tiles in memory: they never change once written, so a cached copy
/// is never stale; up to [`LogCache::MAX_TILE_BYTES`] in all.
#[derive(Default)]
pub struct LogCache {
    tiles: RwLock<HashMap<PathBuf, Bytes>>,
    tile_bytes: AtomicUsize,
}

impl LogCache {
    /// The most tile bytes kept; tiles beyond it are read from disk.
    pub const MAX_TILE_BYTES: usize = 64 << 20;

    fn tile(&self, path: &Path) -> Option<Bytes> {
        self.tiles.read().ok()?.get(path).cloned()
    }

    fn keep_tile(&self, path: PathBuf, bytes: Bytes) {
        if self.tile_bytes.fetch_add(bytes.len(), Ordering::Relaxed) + bytes.len() > Self::MAX_TILE_BYTES {
            self.tile_bytes.fetch_sub(bytes.len(), Ordering::Relaxed);
            return;
        }
        if let Ok(mut tiles) = self.tiles.write()
            && let Some(previous) = tiles.insert(path, bytes)
        {
            self.tile_bytes.fetch_sub(previous.len(), Ordering::Relaxed);
        }
    }
}

fn respond(bytes: Bytes, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// A tile path as C2SP writes it, or `None`: `entries/` or a level of at
/// most two digits, then `x`-prefixed three-digit groups ending in a
/// three-digit group, optionally `.p/<width 1..255>`. Nothing else reaches
/// the file system, so no path can climb out of the log.
pub fn tile_path(path: &str) -> Option<PathBuf> {
    let mut parts = path.split('/').peekable();
    let first = parts.next()?;
    if first != "entries" && !(first.len() <= 2 && first.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut relative = PathBuf::from(first);
    let mut saw_index = false;
    while let Some(part) = parts.next() {
        let is_last_index = !part.starts_with('x');
        let digits = part.trim_start_matches('x').trim_end_matches(".p");
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if part.starts_with('x') && part.ends_with(".p") {
            return None;
        }
        relative.push(part);
        if is_last_index {
            saw_index = true;
            if part.ends_with(".p") {
                let width = parts.next()?;
                match width.parse::<u16>() {
                    Ok(1..=255) if !width.starts_with('0') => relative.push(width),
                    _ => return None,
                }
            }
            break;
        }
    }
    (saw_index && parts.next().is_none()).then_some(relative)
}

fn read(path: &Path) -> Result<Vec<u8>, ApiError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(ApiError::not_found("tile at that path")),
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "cannot read a log file");
            Err(ApiError::internal("cannot read the log file"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tile_path;

    #[test]
    fn only_c2sp_tile_paths_are_accepted() {
        for good in ["0/000", "0/x001/234", "1/000.p/17", "entries/000", "entries/x001/002.p/255", "2/x123/x456/789"] {
            assert!(tile_path(good).is_some(), "{good}");
        }
        for bad in [
            "../checkpoint",
            "0/../../keys",
            "0/00",
            "0/0000",
            "0/x001",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/017",
            "0/000/extra",
            "abc/000",
            "0/000.p",
            "0/x00a/000",
            "",
        ] {
            assert!(tile_path(bad).is_none(), "{bad}");
        }
    }
}
