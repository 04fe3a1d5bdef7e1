//! Evident's HTTP server: one process serving the JSON API under
//! `/api/v1/`, the transparency log at its C2SP paths, and (to come) the
//! web UI and the public portal.
//!
//! The archive is one [`Archive`] behind a mutex: it holds the archive's
//! lock, so `evident serve` is the one process working on the archive while
//! it runs. Every archive call runs on tokio's blocking pool.

mod api;
mod auth;
mod error;
mod log_files;
mod portal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use evident_archive::Archive;

pub use auth::SESSION_COOKIE;
pub use error::ApiError;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    archive: Arc<Mutex<Archive>>,
    log_dir: PathBuf,
    limiter: Arc<Mutex<api::LoginLimiter>>,
}

impl AppState {
    pub fn new(archive: Archive) -> AppState {
        let log_dir = archive.dir().join("log");
        AppState {
            archive: Arc::new(Mutex::new(archive)),
            log_dir,
            limiter: Arc::new(Mutex::new(api::LoginLimiter::default())),
        }
    }
}

/// Every route.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/checkpoint", get(log_files::checkpoint))
        .route("/tile/{*path}", get(log_files::tile))
        .route("/statistics", get(portal::statistics))
        .route("/statistics/{id}", get(portal::series))
        .route("/api/v1/login", post(api::login))
        .route("/api/v1/logout", post(api::logout))
        .route("/api/v1/checkpoint", get(api::checkpoint))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/items/{id}", get(api::item))
        .route("/api/v1/items/{id}/receipt", get(api::receipt))
        .route("/api/v1/records", get(api::records))
        .route("/api/v1/records/{id}", get(api::record))
        .fallback(api::not_found)
        .with_state(state)
}

/// Binds the listening socket (port 0 picks a free port; see
/// `local_addr`).
pub async fn bind(listen: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await
}

/// Serves on a bound socket until Ctrl-C.
pub async fn serve(archive: Archive, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "serving");
    axum::serve(listener, router(AppState::new(archive)))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
