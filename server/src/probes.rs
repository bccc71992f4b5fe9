//! Probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::readiness::Readiness;

use crate::state::AppState;

/// `GET /healthz`: the process is up and serving HTTP. Touches nothing else,
/// so a slow database never gets a healthy process restarted.
pub async fn live() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers and carries every migration of this
/// binary. 503 with the details otherwise.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let readiness = state.store.readiness().await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}
