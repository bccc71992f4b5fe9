//! `/api/v1/developers`: the developers discovery found, one by one, and
//! their followers, followings, stars and repositories as paged lists.
#![allow(
    unused_qualifications,
    reason = "utoipa's path macro spells out the parameter types' paths"
)]

use app::error::AppError;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use engine::store::discovery::DeveloperId;
use engine::store::discovery_list::{Developers, Repositories};
use model::discovery::{Developer, Page, Repository};
use model::error::ErrorBody;
use utoipa::IntoParams;

use super::repositories::{RepositoryQuery, repository_page};
use super::{API, id_in_path};
use crate::state::AppState;

/// What developer lists take. Documentation only: [`Params`] reads them,
/// against these names.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "declares the parameters for OpenAPI; Params reads them"
)]
pub(super) struct DeveloperQuery {
    /// Only this forge's developers (`github`, …).
    forge: Option<String>,
    /// Login or name contains this, in any case.
    search: Option<String>,
    /// Location contains this, in any case.
    location: Option<String>,
    /// Company contains this, in any case.
    company: Option<String>,
    /// At least this many followers.
    min_followers: Option<u64>,
    /// At most this many followers.
    max_followers: Option<u64>,
    /// Joined the forge at or after this (`YYYY-MM-DD` or RFC 3339).
    created_after: Option<String>,
    /// Joined the forge before this.
    created_before: Option<String>,
    /// `id`, `login`, `followers` or `created_at`; `-` first for descending.
    ordering: Option<String>,
    /// 1 to 100; 20 unless given.
    page_size: Option<u32>,
    /// Where a page starts: from a page's `next` or `previous`.
    cursor: Option<String>,
}

/// A page of the developers in `scope`, under the request's filters.
pub(super) async fn developer_page(
    state: &AppState,
    scope: Developers,
    query: Option<&str>,
    path: &str,
) -> Result<Json<Page<Developer>>, AppError> {
    let page = app::lists::developer_page(&state.store, scope, query, path, API).await?;
    Ok(Json(page))
}

/// The developer behind an id in the path, or 404.
async fn existing(state: &AppState, id: &str) -> Result<(DeveloperId, Developer), AppError> {
    let id = DeveloperId(id_in_path(id)?);
    let developer = state
        .store
        .developer(id, API)
        .await?
        .ok_or_else(|| AppError::not_found(format!("developer {id}")))?;
    Ok((id, developer))
}

/// Developers discovery found.
#[utoipa::path(
    get,
    path = "/api/v1/developers",
    tag = "developers",
    params(DeveloperQuery),
    responses(
        (status = 200, description = "A page of developers", body = Page<Developer>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Developer>>, AppError> {
    developer_page(
        &state,
        Developers::All,
        query.as_deref(),
        &format!("{API}/developers"),
    )
    .await
}

/// One developer.
#[utoipa::path(
    get,
    path = "/api/v1/developers/{id}",
    tag = "developers",
    params(("id" = i64, Path, description = "The developer's id")),
    responses(
        (status = 200, description = "The developer", body = Developer),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 404, description = "No such developer", body = ErrorBody),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Developer>, AppError> {
    Ok(Json(existing(&state, &id).await?.1))
}

/// Who follows the developer.
#[utoipa::path(
    get,
    path = "/api/v1/developers/{id}/followers",
    tag = "developers",
    params(("id" = i64, Path, description = "The developer's id"), DeveloperQuery),
    responses(
        (status = 200, description = "A page of their followers", body = Page<Developer>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
        (status = 404, description = "No such developer", body = ErrorBody),
    )
)]
pub async fn followers(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Developer>>, AppError> {
    let (id, developer) = existing(&state, &id).await?;
    developer_page(
        &state,
        Developers::FollowersOf(id),
        query.as_deref(),
        &developer.links.followers,
    )
    .await
}

/// Whom the developer follows.
#[utoipa::path(
    get,
    path = "/api/v1/developers/{id}/following",
    tag = "developers",
    params(("id" = i64, Path, description = "The developer's id"), DeveloperQuery),
    responses(
        (status = 200, description = "A page of the developers they follow", body = Page<Developer>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
        (status = 404, description = "No such developer", body = ErrorBody),
    )
)]
pub async fn following(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Developer>>, AppError> {
    let (id, developer) = existing(&state, &id).await?;
    developer_page(
        &state,
        Developers::FollowedBy(id),
        query.as_deref(),
        &developer.links.following,
    )
    .await
}

/// What the developer starred.
#[utoipa::path(
    get,
    path = "/api/v1/developers/{id}/starred",
    tag = "developers",
    params(("id" = i64, Path, description = "The developer's id"), RepositoryQuery),
    responses(
        (status = 200, description = "A page of the repositories they starred", body = Page<Repository>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
        (status = 404, description = "No such developer", body = ErrorBody),
    )
)]
pub async fn starred(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Repository>>, AppError> {
    let (id, developer) = existing(&state, &id).await?;
    repository_page(
        &state,
        Repositories::StarredBy(id),
        query.as_deref(),
        &developer.links.starred,
    )
    .await
}

/// What the developer owns.
#[utoipa::path(
    get,
    path = "/api/v1/developers/{id}/repositories",
    tag = "developers",
    params(("id" = i64, Path, description = "The developer's id"), RepositoryQuery),
    responses(
        (status = 200, description = "A page of the repositories they own", body = Page<Repository>),
        (status = 400, description = "An unknown or malformed parameter, named", body = ErrorBody),
        (status = 404, description = "No such developer", body = ErrorBody),
    )
)]
pub async fn repositories(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Repository>>, AppError> {
    let (id, developer) = existing(&state, &id).await?;
    repository_page(
        &state,
        Repositories::OwnedBy(id),
        query.as_deref(),
        &developer.links.repositories,
    )
    .await
}
