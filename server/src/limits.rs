//! What one request may make the server read and spend: a body of at most
//! [`MOST_BODY_BYTES`] (a larger declared body is answered 413 before any
//! of it is read; a body without a declared length is cut off at the
//! limit), and [`MOST_TIME`] until its answer starts (408 after it, the
//! work dropped), so a slow client or a stuck handler holds nothing for long.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::AppError;

/// Enough for any form, server function or API body Tally takes (a health
/// check of 50 addresses is a few kilobytes).
pub const MOST_BODY_BYTES: usize = 256 * 1024;

pub async fn body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let limit_bytes = MOST_BODY_BYTES as u64;
    if declared.is_some_and(|n| n > limit_bytes) {
        return AppError::TooLarge { limit_bytes }.into_response();
    }
    let (parts, body) = request.into_parts();
    let limited = Body::new(http_body_util::Limited::new(body, MOST_BODY_BYTES));
    next.run(Request::from_parts(parts, limited)).await
}

/// The longest a request may take until its answer starts: a body sent
/// slowly, or a handler waiting on a forge or the database. (Pages stream
/// their body after it; background work is not bound by a request.)
pub const MOST_TIME: Duration = Duration::from_secs(60);

/// Answers 408 when the request takes longer than `limit` until its answer.
pub async fn time(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TimedOut {
            limit_secs: limit.as_secs(),
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_request_past_its_time_answers_408_and_its_work_is_dropped() {
        let router: Router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    "late"
                }),
            )
            .route("/quick", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                time,
            ));
        let slow = router
            .clone()
            .oneshot(Request::get("/slow").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(slow.status(), 408);
        let body = axum::body::to_bytes(slow.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "timed_out");
        let quick = router
            .oneshot(Request::get("/quick").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(quick.status(), 200);
    }

    #[tokio::test]
    async fn a_body_sent_too_slowly_answers_408() {
        let router: Router = Router::new()
            .route("/form", post(|body: String| async move { body }))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(50),
                time,
            ));
        // A body that never ends: a client that stopped sending.
        struct Stalled;
        impl axum::body::HttpBody for Stalled {
            type Data = axum::body::Bytes;
            type Error = std::convert::Infallible;
            fn poll_frame(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>>
            {
                std::task::Poll::Pending
            }
        }
        let answer = router
            .oneshot(Request::post("/form").body(Body::new(Stalled)).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), 408);
    }
}
