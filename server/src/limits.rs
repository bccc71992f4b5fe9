//! What one request may make the server read: a body of at most
//! [`MOST_BODY_BYTES`]. A larger declared body is answered 413 before any
//! of it is read; a body without a declared length is cut off at the limit.

use axum::body::Body;
use axum::extract::Request;
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
