//! `/api/v1/rate_limit`: each forge's budgets as Tally last saw them.

use app::error::AppError;
use axum::Json;
use axum::extract::State;
use model::error::ErrorBody;
use model::rate_limit::RateLimits;

use crate::state::AppState;

/// Per forge, instance, token (a digest's first characters, never the
/// token) and budget: the limit, what remains, when it renews, and when a
/// response last said so; and the shares discovery and the tracker's
/// syncs may spend.
#[utoipa::path(get, path = "/api/v1/rate_limit", tag = "rate_limit",
    responses(
        (status = 200, body = RateLimits),
        (status = 401, description = "With --private-api, a session or token is needed", body = ErrorBody),
    ))]
pub async fn standing(State(state): State<AppState>) -> Result<Json<RateLimits>, AppError> {
    Ok(Json(RateLimits {
        query_share: state.shares.queries,
        crawler_share: state.shares.crawler,
        sync_share: state.shares.sync,
        resources: state.store.rate_limits().await?,
    }))
}
