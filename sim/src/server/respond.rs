//! Building responses the same way for every forge.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Sets a header, skipping names or values that are not valid HTTP.
pub fn set_header(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
        headers.insert(name, value);
    }
}

/// A compact JSON body with `content-type: application/json`.
pub fn json(status: StatusCode, body: &Value) -> Response {
    bytes(
        status,
        "application/json",
        serde_json::to_vec(body).unwrap_or_default(),
    )
}

/// A plain-text body.
pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    bytes(
        status,
        "text/plain; charset=UTF-8",
        body.into().into_bytes(),
    )
}

pub fn bytes(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    set_header(response.headers_mut(), "content-type", content_type);
    response
}

/// Seconds from now until `reset` (epoch seconds), at least one: what a
/// `retry-after` header says.
pub fn seconds_until(reset: i64) -> i64 {
    (reset - chrono::Utc::now().timestamp()).max(1)
}
