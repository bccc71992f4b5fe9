//! Query parameters every forge parses the same way.

use std::collections::BTreeMap;

use axum::http::HeaderMap;

/// A request header as text, if present and readable.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An ISO 8601 time parameter (`since=2024-01-01T00:00:00Z`), absent or
/// valid; `Err` carries the parameter's name for the forge's error body.
pub fn time_param(
    query: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, &'static str> {
    query
        .get(key)
        .map(|value| {
            chrono::DateTime::parse_from_rfc3339(value)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| key)
        })
        .transpose()
}
