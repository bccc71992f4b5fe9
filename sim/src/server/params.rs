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

/// The user and password of an `Authorization: Basic` header, if it is one
/// and decodes; `Some(Err(()))` for a Basic header that does not decode.
pub fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    use base64::Engine;
    let value = header_text(headers, "authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    Some(
        decoded
            .and_then(|text| {
                let (user, password) = text.split_once(':')?;
                Some((user.to_owned(), password.to_owned()))
            })
            .ok_or(()),
    )
}

/// The token of an `Authorization: Bearer` (or GitHub's `token`) header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = header_text(headers, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    matches!(scheme.to_ascii_lowercase().as_str(), "bearer" | "token")
        .then(|| token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn a_time_parameter_reads_as_the_instant_written(
            seconds in 0i64..253_402_300_799,
            offset_minutes in -(14 * 60)..=(14 * 60),
            written_in_z in proptest::bool::ANY,
        ) {
            let at = chrono::DateTime::from_timestamp(seconds, 0).unwrap();
            let text = if written_in_z {
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                let zone = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
                at.with_timezone(&zone).to_rfc3339()
            };
            let query = BTreeMap::from([("since".to_owned(), text)]);
            proptest::prop_assert_eq!(time_param(&query, "since"), Ok(Some(at)));
        }

        #[test]
        fn a_bad_time_parameter_is_named(text in "\\PC{0,30}") {
            let query = BTreeMap::from([("since".to_owned(), text.clone())]);
            let read = time_param(&query, "since");
            proptest::prop_assert!(read.is_ok() || read == Err("since"));
        }
    }
}
