//! Query parameters every forge parses the same way.

use std::collections::BTreeMap;

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
