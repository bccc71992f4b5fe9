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
//! is a 400 naming it (see [`app::lists`]).
//!
//! Reads are public unless `--private-api`; writes need a session or an
//! API token (see [`caller`]).
//!
//! The browser's own calls are Leptos server functions under `/api/<name>`
//! (`app::server_fns`); they are not part of this API and may change with
//! the pages.

pub mod caller;
mod developers;
mod health_check;
mod params;
mod rate_limit;
mod reports;
mod repositories;
mod tasks;

use app::error::AppError;
use axum::Router;
use axum::http::Uri;
use axum::routing::{any, get};
use model::discovery::{Developer, DeveloperLinks, Page, Repository, RepositoryLinks};
use model::error::{ErrorBody, ErrorDetail};
use model::health_check::{
    HealthCheck, HealthCheckRequest, HealthData, LanguageDetail, Numbers, Organisation, OwnerKind,
    RepositoryCount, RepositoryFigures,
};
use model::rate_limit::{RateLimit, RateLimits};
use model::report::{
    AgeBucket, AgeCount, Concentration, Durations, IssueMeasures, LabelCount, MonthContributors,
    PersonTally, Report, ReportItem, ReportRepository, Share, TallyKind,
};
use model::tasks::{
    ParameterKind, Schedule, TaskName, TaskParameter, TaskProgress, TaskRun, TaskRunDetail,
    TaskState, TaskType, TasksOverview,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

/// Where the API's addresses start; links in answers begin with it.
pub const API: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tally",
        description = "Developers and repositories discovery found, organisations' health checks and repository reports, served by Tally. \
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
        rate_limit::standing,
        health_check::by_query,
        health_check::by_body,
        reports::by_query,
        reports::by_path,
        reports::items,
        tasks::overview,
        tasks::one,
        tasks::start,
    ),
    modifiers(&Credentials),
    components(schemas(
        Report,
        ReportRepository,
        PersonTally,
        IssueMeasures,
        Share,
        Durations,
        AgeCount,
        AgeBucket,
        LabelCount,
        Concentration,
        MonthContributors,
        HealthCheck,
        HealthCheckRequest,
        HealthData,
        Organisation,
        RepositoryFigures,
        Numbers,
        RepositoryCount,
        OwnerKind,
        LanguageDetail,
        RateLimit,
        RateLimits,
        TaskName,
        TaskState,
        TaskProgress,
        TaskRun,
        TaskRunDetail,
        TaskType,
        TaskParameter,
        ParameterKind,
        Schedule,
        TasksOverview,
        Developer,
        DeveloperLinks,
        Repository,
        RepositoryLinks,
        Page<Developer>,
        Page<Repository>,
        ReportItem,
        TallyKind,
        Page<ReportItem>,
        ErrorBody,
        ErrorDetail,
    ))
)]
pub struct ApiDoc;

/// The two ways to be allowed a write: a personal token, or a session
/// cookie with its CSRF token in a header.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token from Settings (`tally_…`)."))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                caller::CSRF_HEADER,
                "A signed-in session's CSRF token, with its session cookie.",
            ))),
        );
    }
}

/// Everything under `/api/v1`, and the documentation at `/api/docs`.
pub fn routes(state: &AppState) -> Router<AppState> {
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
        .route("/api/v1/rate_limit", get(rate_limit::standing))
        .route(
            "/api/v1/health-check",
            get(health_check::by_query).post(health_check::by_body),
        )
        // The short form for `curl`, outside the versioned API.
        .route("/health-check", get(health_check::by_query))
        .route("/api/v1/reports", get(reports::by_query))
        .route("/api/v1/reports/items", get(reports::items))
        .route("/api/v1/reports/{forge}/{*path}", get(reports::by_path))
        .route("/api/v1/tasks", get(tasks::overview).post(tasks::start))
        .route("/api/v1/tasks/{id}", get(tasks::one))
        .route("/api/v1", any(unknown))
        .route("/api/v1/", any(unknown))
        .route("/api/v1/{*rest}", any(unknown))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            caller::check,
        ))
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
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
