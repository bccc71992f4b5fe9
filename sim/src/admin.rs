//! Endpoints that belong to the simulator, not to any forge, under `/_sim/`
//! on every forge's listener.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::oauth::Approval;
use crate::server::SimState;
use crate::server::faults::Faults;
use crate::truth::{Truth, truth};
use crate::world::Forge;

pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/truth", get(ground_truth))
        .route("/_sim/faults", get(faults).put(set_faults))
        .route("/_sim/oauth", get(oauth).put(set_oauth))
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
