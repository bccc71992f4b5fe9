//! Endpoints that belong to the simulator, not to any forge, under `/_sim/`
//! on every forge's listener.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::oauth::Approval;
use crate::server::SimState;
use crate::server::faults::Faults;
use crate::server::stats::Counts;
use crate::truth::{IssueTruth, Truth, truth};
use crate::world::Forge;

pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/truth", get(ground_truth))
        .route("/_sim/truth/issues", get(issues_truth))
        .route("/_sim/truth/organisation", get(organisation_truth))
        .route("/_sim/faults", get(faults).put(set_faults))
        .route("/_sim/oauth", get(oauth).put(set_oauth))
        .route("/_sim/oauth/revoke", post(revoke))
        .route("/_sim/clock", get(clock).put(set_clock))
        .route("/_sim/private", put(set_private))
        .route("/_sim/stats", get(stats).delete(reset_stats))
}

type Refusal = (StatusCode, Json<Value>);

fn refusal(status: StatusCode, message: impl Into<String>) -> Refusal {
    (status, Json(json!({ "error": message.into() })))
}

/// `GET`/`PUT /_sim/clock` with `{"now": "2026-01-01T00:00:00Z"}`: the
/// world's issues are shown as they stood then (opened later: absent;
/// comments and closings after it: not yet). `{"now": null}` follows the
/// real clock again. Rate-limit windows always run on the real clock.
#[derive(Debug, Serialize, Deserialize)]
struct Clock {
    now: Option<DateTime<Utc>>,
}

async fn clock(State(state): State<Arc<SimState>>) -> Json<Clock> {
    Json(Clock { now: state.clock() })
}

async fn set_clock(State(state): State<Arc<SimState>>, Json(clock): Json<Clock>) -> Json<Clock> {
    state.set_clock(clock.now);
    Json(clock)
}

/// `PUT /_sim/private` with `{"repository": "owner/name", "private": true}`.
#[derive(Debug, Serialize, Deserialize)]
struct Visibility {
    repository: String,
    private: bool,
}

async fn set_private(
    State(state): State<Arc<SimState>>,
    Json(visibility): Json<Visibility>,
) -> Result<Json<Visibility>, Refusal> {
    let repo = state
        .world
        .find_repo(state.forge, &visibility.repository)
        .ok_or_else(|| {
            refusal(
                StatusCode::NOT_FOUND,
                format!(
                    "no repository {:?} on {:?}",
                    visibility.repository, state.forge
                ),
            )
        })?;
    state.set_private(repo.id, visibility.private);
    Ok(Json(visibility))
}

/// `POST /_sim/oauth/revoke` with `{"username": "…"}`: every token issued
/// to that account stops working, as when a person revokes an
/// application's access on the forge.
#[derive(Debug, Deserialize)]
struct Revoke {
    username: String,
}

async fn revoke(
    State(state): State<Arc<SimState>>,
    Json(revoke): Json<Revoke>,
) -> Result<Json<Value>, Refusal> {
    let account = state
        .world
        .find_account(state.forge, &revoke.username)
        .ok_or_else(|| {
            refusal(
                StatusCode::NOT_FOUND,
                format!("no account {:?} on {:?}", revoke.username, state.forge),
            )
        })?;
    let revoked = state.oauth.revoke_account(account.id);
    Ok(Json(json!({ "revoked": revoked })))
}

async fn stats(State(state): State<Arc<SimState>>) -> Json<Counts> {
    Json(state.stats.counts())
}

async fn reset_stats(State(state): State<Arc<SimState>>) -> StatusCode {
    state.stats.reset();
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct IssuesQuery {
    repository: String,
}

/// `GET /_sim/truth/issues?repository=owner/name`: the repository's issues
/// (Phabricator: tasks) as the world holds them at the clock's instant.
async fn issues_truth(
    State(state): State<Arc<SimState>>,
    Query(query): Query<IssuesQuery>,
) -> Result<Json<Vec<IssueTruth>>, Refusal> {
    let issues = state.issue_truth(&query.repository).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            format!("no repository {:?} on {:?}", query.repository, state.forge),
        )
    })?;
    Ok(Json(issues))
}

#[derive(Debug, Deserialize)]
struct OrganisationQuery {
    login: String,
}

/// `GET /_sim/truth/organisation?login=…`: what a health check of the
/// organisation must answer (see [`crate::truth::organisation`]).
async fn organisation_truth(
    State(state): State<Arc<SimState>>,
    Query(query): Query<OrganisationQuery>,
) -> Result<Json<crate::truth::organisation::OrganisationTruth>, Refusal> {
    let truth = state.organisation_truth(&query.login).ok_or_else(|| {
        refusal(
            StatusCode::NOT_FOUND,
            format!("no organisation {:?} on {:?}", query.login, state.forge),
        )
    })?;
    Ok(Json(truth))
}

async fn faults(State(state): State<Arc<SimState>>) -> Json<Faults> {
    Json(state.faults())
}

/// `PUT /_sim/faults` with the whole [`Faults`] object; omitted fields are zero.
async fn set_faults(
    State(state): State<Arc<SimState>>,
    Json(faults): Json<Faults>,
) -> Result<Json<Faults>, (StatusCode, Json<Value>)> {
    faults.validate().map_err(|message| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": message })),
        )
    })?;
    state.set_faults(faults.clone());
    Ok(Json(faults))
}

async fn oauth(State(state): State<Arc<SimState>>) -> Json<Approval> {
    Json(state.oauth.approval())
}

/// `PUT /_sim/oauth` with `{"approve_as": "username"}` approves every
/// authorize request at once as that account; `{"approve_as": null}` shows
/// the consent page again.
async fn set_oauth(
    State(state): State<Arc<SimState>>,
    Json(approval): Json<Approval>,
) -> Result<Json<Approval>, (StatusCode, Json<Value>)> {
    if let Some(username) = &approval.approve_as
        && state.world.find_account(state.forge, username).is_none()
    {
        let message = format!("no account {username:?} on {:?}", state.forge);
        return Err((StatusCode::NOT_FOUND, Json(json!({ "error": message }))));
    }
    state.oauth.set_approval(approval.clone());
    Ok(Json(approval))
}

#[derive(Debug, Deserialize)]
struct TruthQuery {
    forge: Forge,
    user: String,
    from: NaiveDate,
    to: NaiveDate,
}

/// `GET /_sim/truth?forge=github&user=octocat&from=2025-01-01&to=2025-12-31`:
/// what the world holds for that account over those inclusive UTC days.
async fn ground_truth(
    State(state): State<Arc<SimState>>,
    Query(query): Query<TruthQuery>,
) -> Result<Json<Truth>, (StatusCode, Json<Value>)> {
    if query.from > query.to {
        return Err((
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "`from` is after `to`" })),
        ));
    }
    let account = state
        .world
        .find_account(query.forge, &query.user)
        .ok_or_else(|| {
            let message = format!("no account {:?} on {:?}", query.user, query.forge);
            (StatusCode::NOT_FOUND, Json(json!({ "error": message })))
        })?;
    Ok(Json(truth(&state.world, account.id, query.from, query.to)))
}
