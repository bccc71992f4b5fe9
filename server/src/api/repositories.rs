//! `/api/v1/repositories`: the repositories discovery found, one by one,
//! and who starred each.
#![allow(
    unused_qualifications,
    reason = "utoipa's path macro spells out the parameter types' paths"
)]

use app::error::AppError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use engine::store::discovery::RepositoryId;
use engine::store::discovery_list::{Developers, Repositories};
use model::discovery::{Developer, Page, Repository};
use model::error::ErrorBody;
use utoipa::IntoParams;

use super::developers::{DeveloperQuery, developer_page};
use super::{API, id_in_path};
use crate::state::AppState;

/// What repository lists take. Documentation only: [`Params`] reads them,
/// against these names.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "declares the parameters for OpenAPI; Params reads them"
)]
pub(super) struct RepositoryQuery {
    /// Only this forge's repositories (`github`, …).
    forge: Option<String>,
    /// `owner/name` contains this, in any case.
    search: Option<String>,
    /// The primary language, in any case.
    language: Option<String>,
    /// Tagged with this topic.
    topic: Option<String>,
    /// At least this many stars.
    min_stars: Option<u64>,
    /// At most this many stars.
    max_stars: Option<u64>,
    /// Only forks (`true`) or only originals (`false`).
    fork: Option<bool>,
    /// Only archived (`true`) or only active (`false`) ones.
    archived: Option<bool>,
    /// Created at or after this (`YYYY-MM-DD` or RFC 3339).
    created_after: Option<String>,
    /// Created before this.
    created_before: Option<String>,
    /// `id`, `name`, `stars`, `forks`, `created_at` or `pushed_at`; `-` first
    /// for descending.
    ordering: Option<String>,
    /// 1 to 100; 20 unless given.
    page_size: Option<u32>,
    /// Where a page starts: from a page's `next` or `previous`.
    cursor: Option<String>,
}

/// A page of the repositories in `scope`, under the request's filters.
pub(super) async fn repository_page(
    state: &AppState,
    scope: Repositories,
    query: Option<&str>,
    path: &str,
) -> Result<Json<Page<Repository>>, AppError> {
    let page = app::lists::repository_page(&state.store, scope, query, path, API).await?;
    Ok(Json(page))
}

async fn existing(state: &AppState, id: &str) -> Result<(RepositoryId, Repository), AppError> {
    let id = RepositoryId(id_in_path(id)?);
    let repository = state
        .store
        .repository(id, API)
        .await?
        .ok_or_else(|| AppError::not_found(format!("repository {id}")))?;
    Ok((id, repository))
}

/// Repositories discovery found.
#[utoipa::path(
    get,
    path = "/api/v1/repositories",
    tag = "repositories",
    params(RepositoryQuery),
    responses(
        (status = 200, description = "A page of repositories", body = Page<Repository>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Repository>>, AppError> {
    repository_page(
        &state,
        Repositories::All,
        query.as_deref(),
        &format!("{API}/repositories"),
    )
    .await
}

/// One repository.
#[utoipa::path(
    get,
    path = "/api/v1/repositories/{id}",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id")),
    responses(
        (status = 200, description = "The repository", body = Repository),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Repository>, AppError> {
    Ok(Json(existing(&state, &id).await?.1))
}

/// Who starred the repository.
#[utoipa::path(
    get,
    path = "/api/v1/repositories/{id}/stargazers",
    tag = "repositories",
    params(("id" = i64, Path, description = "The repository's id"), DeveloperQuery),
    responses(
        (status = 200, description = "A page of its stargazers", body = Page<Developer>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
        (status = 404, description = "No such repository", body = ErrorBody),
    )
)]
pub async fn stargazers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Developer>>, AppError> {
    let (id, repository) = existing(&state, &id).await?;
    developer_page(
        &state,
        Developers::StargazersOf(id),
        query.as_deref(),
        &repository.links.stargazers,
    )
    .await
}
