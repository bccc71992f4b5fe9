//! The public REST API under `/api/v1`: its own handlers, one per module
//! of resources, each answering JSON, and every failure in one shape,
//! `{"error": {"code", "message", "field"?}}`, built by [`AppError`].
//!
//! The browser's own calls are Leptos server functions under `/api/<name>`
//! (`app::server_fns`); they are not part of this API and may change with
//! the pages.

use app::error::AppError;
use axum::Router;
use axum::http::Uri;
use axum::routing::any;

use crate::state::AppState;

/// Everything under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1", any(unknown))
        .route("/api/v1/", any(unknown))
        .route("/api/v1/{*rest}", any(unknown))
}

/// An address under `/api/v1` that names no resource.
async fn unknown(uri: Uri) -> AppError {
    AppError::not_found(format!("no API resource at {}", uri.path()))
}
