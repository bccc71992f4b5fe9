//! `/api/v1/tasks`: discovery's task types, starting a run, and how runs
//! stand.
#![allow(
    unused_qualifications,
    reason = "utoipa's path macro spells out the parameter types' paths"
)]

use app::error::AppError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header::LOCATION};
use axum::response::{IntoResponse, Response};
use model::error::ErrorBody;
use model::ids::TaskRunId;
use model::tasks::{TaskName, TaskRequest, TaskRunDetail, TasksOverview};

use super::caller::Caller;
use super::{API, id_in_path};
use crate::state::AppState;

/// Runs `GET /tasks` lists.
const RECENT_RUNS: i64 = 20;

fn prefix() -> String {
    format!("{API}/tasks")
}

/// What can be run, the schedules (and when each last ran, in any
/// process), and the latest runs.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    responses(
        (status = 200, body = TasksOverview),
        (status = 401, description = "With --private-api, a session or token is needed", body = ErrorBody),
    ))]
pub async fn overview(State(state): State<AppState>) -> Result<Json<TasksOverview>, AppError> {
    Ok(Json(TasksOverview {
        as_of: chrono::Utc::now(),
        types: TaskName::ALL.into_iter().map(Into::into).collect(),
        schedules: state.store.schedules().await?,
        recent: state.store.recent_runs(RECENT_RUNS, &prefix()).await?,
    }))
}

/// One run, with its children (a scraper's profile syncs).
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks",
    params(("id" = i64, Path, description = "The run's id")),
    responses(
        (status = 200, body = TaskRunDetail),
        (status = 400, description = "The id is not a number", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TaskRunDetail>, AppError> {
    let id = TaskRunId(id_in_path(&id)?);
    let run = state
        .store
        .task_run(id, &prefix())
        .await?
        .ok_or_else(|| AppError::not_found(format!("task run {id}")))?;
    let children = state.store.child_runs(id, &prefix()).await?;
    Ok(Json(TaskRunDetail { run, children }))
}

/// Starts a run: `{"name": "full_profile_sync", "username": "octocat"}`,
/// `{"name": "full_repository_sync", "owner": "…", "repository": "…"}` or
/// `{"name": "discovery_scraper", "count": 5}` (`forge` defaults to
/// `github`). Answers 202 with the run; `Location` is its address.
#[utoipa::path(post, path = "/api/v1/tasks", tag = "tasks",
    request_body(content = Object, description = "The task's `name` and its parameters, as `GET /api/v1/tasks` lists them"),
    responses(
        (status = 202, description = "Queued; `Location` is the run's address", body = TaskRunDetail),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No session or API token, or a token that does not work", body = ErrorBody),
        (status = 403, description = "A session that did not send its CSRF token", body = ErrorBody),
        (status = 422, description = "A field is missing or wrong; `field` names it", body = ErrorBody),
    ),
    security(("token" = []), ("session" = [])))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, AppError> {
    let requested_by = caller.writer()?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request("body", format!("not JSON: {e}")))?;
    let request =
        TaskRequest::from_json(&value).map_err(|p| AppError::invalid(p.field, p.message))?;
    let queue = state.discovery.as_ref().ok_or(AppError::Unavailable)?;
    let id = queue.submit(&request, &requested_by).await?;
    let run = state
        .store
        .task_run(id, &prefix())
        .await?
        .ok_or_else(|| AppError::not_found(format!("task run {id}")))?;
    let location = HeaderValue::from_str(&run.url).map_err(|_| AppError::Failed)?;
    let detail = TaskRunDetail {
        run,
        children: Vec::new(),
    };
    Ok((StatusCode::ACCEPTED, [(LOCATION, location)], Json(detail)).into_response())
}
