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

use crate::server::SimState;
use crate::server::faults::Faults;
use crate::truth::{Truth, truth};
use crate::world::Forge;

pub fn router() -> Router<Arc<SimState>> {
    Router::new()
        .route("/_sim/truth", get(ground_truth))
        .route("/_sim/faults", get(faults).put(set_faults))
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
