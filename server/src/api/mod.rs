//! The public REST API under `/api/v1`: its own handlers, one module per
//! resource, each answering JSON, every failure in one shape,
//! `{"error": {"code", "message", "field"?}}`, built by [`AppError`], and
//! the OpenAPI 3.1 document generated from the handlers
//! (`/api/v1/openapi.json`, browsable at `/api/docs`).
//!
//! Conventions every resource follows: lists answer
//! `{count, next, previous, results}` in keyset pages (`page_size` up to
//! 100, an opaque `cursor`), so paging is stable while rows are added;
//! filters and `ordering` come from an allow-list, and any other parameter
//! is a 400 naming it (see [`params`]).
//!
//! The browser's own calls are Leptos server functions under `/api/<name>`
//! (`app::server_fns`); they are not part of this API and may change with
//! the pages.

mod developers;
pub mod params;
mod repositories;

use app::error::AppError;
use axum::Router;
use axum::http::Uri;
use axum::routing::{any, get};
use model::discovery::{Developer, DeveloperLinks, Page, Repository, RepositoryLinks};
use model::error::{ErrorBody, ErrorDetail};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

/// Where the API's addresses start; links in answers begin with it.
pub const API: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tally",
        description = "Developers and repositories discovery found, served by Tally. \
                       Every error answers {\"error\": {\"code\", \"message\", \"field\"?}}.",
    ),
    paths(
        developers::list,
        developers::one,
        developers::followers,
        developers::following,
        developers::starred,
        developers::repositories,
        repositories::list,
        repositories::one,
        repositories::stargazers,
    ),
    components(schemas(
        Developer,
        DeveloperLinks,
        Repository,
        RepositoryLinks,
        Page<Developer>,
        Page<Repository>,
        ErrorBody,
        ErrorDetail,
    ))
)]
pub struct ApiDoc;

/// Everything under `/api/v1`, and the documentation at `/api/docs`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/developers", get(developers::list))
        .route("/api/v1/developers/{id}", get(developers::one))
        .route(
            "/api/v1/developers/{id}/followers",
            get(developers::followers),
        )
        .route(
            "/api/v1/developers/{id}/following",
            get(developers::following),
        )
        .route("/api/v1/developers/{id}/starred", get(developers::starred))
        .route(
            "/api/v1/developers/{id}/repositories",
            get(developers::repositories),
        )
        .route("/api/v1/repositories", get(repositories::list))
        .route("/api/v1/repositories/{id}", get(repositories::one))
        .route(
            "/api/v1/repositories/{id}/stargazers",
            get(repositories::stargazers),
        )
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
        .route("/api/v1", any(unknown))
        .route("/api/v1/", any(unknown))
        .route("/api/v1/{*rest}", any(unknown))
}

/// An address under `/api/v1` that names no resource.
async fn unknown(uri: Uri) -> AppError {
    AppError::not_found(format!("no API resource at {}", uri.path()))
}

/// A row id from the path; anything else is a 400 naming it.
fn id_in_path(text: &str) -> Result<i64, AppError> {
    text.parse()
        .map_err(|_| AppError::bad_request("id", format!("`{text}` is not an id")))
}
