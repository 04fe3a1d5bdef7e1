//! Evident's HTTP server: one process serving the JSON API under
//! `/api/v1/`, the transparency log at its C2SP paths, and (to come) the
//! web UI and the public portal.
//!
//! The archive is one [`Archive`] behind a mutex: it holds the archive's
//! lock, so `evident serve` is the one process working on the archive while
//! it runs. Every archive call runs on tokio's blocking pool.

mod api;
mod api_items;
mod api_records;
mod audit;
mod auth;
mod error;
mod intake;
mod log_files;
mod openapi;
mod portal;
mod security;
mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use evident_archive::Archive;

pub use api::api_route_list;
pub use api_items::{MAX_FILE_NAME_BYTES, MAX_PREVIEW_TEXT_BYTES, sanitise_file_name};
pub use auth::SESSION_COOKIE;
pub use error::ApiError;
pub use intake::{
    INTAKE_LIMIT, INTAKE_WINDOW, MAX_INTAKE_FILES, MAX_TESTIMONY_BYTES, WRONG_CODE_DELAY as INTAKE_WRONG_CODE_DELAY,
};
pub use openapi::OPENAPI_JSON;

/// Settings of one server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// the largest upload accepted, in bytes (larger ones get 413)
    pub max_upload: u64,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig { max_upload: 2 << 30 }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    archive: Arc<Mutex<Archive>>,
    log_dir: PathBuf,
    limiter: Arc<Mutex<api::LoginLimiter>>,
    config: Arc<ServerConfig>,
    log_cache: Arc<log_files::LogCache>,
    /// intake submissions per client address (in memory only)
    intake_limiter: Arc<Mutex<intake::IntakeLimiter>>,
}

impl AppState {
    pub fn new(archive: Archive) -> AppState {
        AppState::with_config(archive, ServerConfig::default())
    }

    pub fn with_config(archive: Archive, config: ServerConfig) -> AppState {
        let log_dir = archive.dir().join("log");
        AppState {
            archive: Arc::new(Mutex::new(archive)),
            log_dir,
            limiter: Arc::new(Mutex::new(api::LoginLimiter::default())),
            config: Arc::new(config),
            log_cache: Arc::new(log_files::LogCache::default()),
            intake_limiter: Arc::new(Mutex::new(intake::IntakeLimiter::default())),
        }
    }
}

/// Every route: each module lists its own.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(log_files::routes())
        .merge(api::routes())
        .merge(audit::routes())
        .merge(portal::routes())
        .merge(ui::routes())
        .merge(intake::routes())
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ui::html_errors))
        .layer(axum::middleware::from_fn(ui::remember_language))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Binds the listening socket (port 0 picks a free port; see
/// `local_addr`).
pub async fn bind(listen: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen).await
}

/// Serves on a bound socket until Ctrl-C or SIGTERM.
pub async fn serve(archive: Archive, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_with(archive, ServerConfig::default(), listener).await
}

/// Ctrl-C (SIGINT) or SIGTERM, whichever comes first.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing requests in flight and committing the audit trail");
}

/// Serves with `config` on a bound socket until Ctrl-C or SIGTERM. Each request knows
/// the peer's address (the audit trail records it).
pub async fn serve_with(
    archive: Archive,
    config: ServerConfig,
    listener: tokio::net::TcpListener,
) -> std::io::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "serving");
    let state = AppState::with_config(archive, config);
    let committer = tokio::spawn(audit::commit_periodically(state.clone()));
    let app = router(state.clone());
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    committer.abort();
    audit::commit_now(&state).await;
    served
}
