//! `/api/v1/health-check`: organisations' numbers, per organisation and in
//! total, for scripts. `GET /health-check?url=…&url=…` answers the same,
//! the short form to type after `curl`.

use app::error::AppError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use model::error::ErrorBody;
use model::health_check::{HealthCheck, HealthCheckRequest, LanguageDetail};

use crate::state::AppState;

/// Reads `url` (repeated) and `languages` from a query; any other
/// parameter is a 400 naming it.
fn request_of(query: Option<&str>) -> Result<HealthCheckRequest, AppError> {
    let mut request = HealthCheckRequest {
        urls: Vec::new(),
        languages: LanguageDetail::Primary,
    };
    for (key, value) in model::url::query_pairs(query.unwrap_or_default()) {
        match key.as_str() {
            "url" => request.urls.push(value),
            "languages" => request.languages = languages(&value)?,
            other => {
                return Err(AppError::bad_request(
                    other,
                    "unknown parameter; this takes url (repeated) and languages",
                ));
            }
        }
    }
    Ok(request)
}

fn languages(text: &str) -> Result<LanguageDetail, AppError> {
    LanguageDetail::from_key(text).ok_or_else(|| {
        AppError::invalid(
            "languages",
            format!("`{text}` is not one of primary, bytes"),
        )
    })
}

async fn check(state: &AppState, request: &HealthCheckRequest) -> Result<HealthCheck, AppError> {
    state
        .health
        .check(&request.urls, request.languages)
        .await
        .map_err(|e| AppError::from(e).in_field("url"))
}

/// The organisations' public repositories (originals and forks apart),
/// stars, watchers, forks, followers, languages and topics, per
/// organisation and in total; `missing` lists the addresses that name no
/// organisation. A number a forge does not have is `null`, and
/// `unavailable` says why. Answers are reused for a while (the
/// installation's `--health-fresh-secs`); `read_at` says when each was read.
/// A check the forges' rate limits cannot cover now is refused (503 with
/// `Retry-After`) once each organisation's size is known, rather than
/// waiting for the reset.
#[utoipa::path(get, path = "/api/v1/health-check", tag = "health-check",
    params(
        ("url" = Vec<String>, Query, description = "An organisation's address (`https://github.com/rust-lang`) or `forge:name`; repeat for more"),
        ("languages" = Option<LanguageDetail>, Query, description = "`bytes` also reads bytes per language (one more request per GitHub repository)"),
    ),
    responses(
        (status = 200, body = HealthCheck),
        (status = 400, description = "An unknown parameter; `field` names it", body = ErrorBody),
        (status = 422, description = "An address Tally does not read, too many, or an organisation too large for a whole window of its forge's rate limit; the message names it", body = ErrorBody),
        (status = 502, description = "A forge failed after retries; the message names it and the organisation. Nothing partial is answered", body = ErrorBody),
        (status = 503, description = "The forges' rate limits cannot cover the check now; `Retry-After` says when they renew. Nothing was spent past each organisation's first requests", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the budget renews"))),
    ))]
pub async fn by_query(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<HealthCheck>, AppError> {
    let request = request_of(query.as_deref())?;
    Ok(Json(check(&state, &request).await?))
}

/// The same check, the addresses in a JSON body: `{"urls": [...], "languages": "bytes"}`.
#[utoipa::path(post, path = "/api/v1/health-check", tag = "health-check",
    request_body = HealthCheckRequest,
    responses(
        (status = 200, body = HealthCheck),
        (status = 400, description = "The body is not the JSON described", body = ErrorBody),
        (status = 422, description = "An address Tally does not read, too many, or an organisation too large for a whole window of its forge's rate limit; the message names it", body = ErrorBody),
        (status = 502, description = "A forge failed after retries; the message names it and the organisation", body = ErrorBody),
        (status = 503, description = "The forges' rate limits cannot cover the check now; `Retry-After` says when they renew", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the budget renews"))),
    ))]
pub async fn by_body(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<HealthCheck>, AppError> {
    let request: HealthCheckRequest = serde_json::from_slice(&body)
        .map_err(|e| AppError::bad_request("body", format!("not the JSON described: {e}")))?;
    Ok(Json(check(&state, &request).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_take_repeated_urls_and_refuse_what_they_do_not_know() {
        let request = request_of(Some(
            "url=https%3A%2F%2Fgithub.com%2Fa&url=gitlab%3Ab&languages=bytes",
        ))
        .unwrap();
        assert_eq!(request.urls, vec!["https://github.com/a", "gitlab:b"]);
        assert_eq!(request.languages, LanguageDetail::Bytes);
        assert_eq!(
            request_of(Some("urls=x")).unwrap_err(),
            AppError::bad_request(
                "urls",
                "unknown parameter; this takes url (repeated) and languages"
            )
        );
        assert!(matches!(
            request_of(Some("url=x&languages=all")),
            Err(AppError::Invalid { field, .. }) if field == "languages"
        ));
    }
}
