//! GitHub's GraphQL API: sending a query and reading `data` and `errors`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// One entry of a GraphQL `errors` list.
#[derive(Debug, Clone, Deserialize)]
pub struct GraphQlError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub message: String,
}

/// What a query answered: data, errors, or both.
#[derive(Debug)]
pub struct Answer<T> {
    pub data: Option<T>,
    pub errors: Vec<GraphQlError>,
}

impl<T> Answer<T> {
    pub fn error_of_type(&self, kind: &str) -> Option<&GraphQlError> {
        self.errors.iter().find(|e| e.kind.as_deref() == Some(kind))
    }
}

/// Decodes a GraphQL response body, errors and all.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<Answer<T>, String> {
    #[derive(Deserialize)]
    struct Envelope {
        data: Option<Value>,
        #[serde(default)]
        errors: Vec<GraphQlError>,
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let data = match envelope.data {
        Some(Value::Null) | None => None,
        Some(value) => Some(serde_json::from_value(value).map_err(|e| e.to_string())?),
    };
    Ok(Answer {
        data,
        errors: envelope.errors,
    })
}

/// What GitHub charges for a query that pages a connection of `first`
/// nodes with `nested` connections under each node: one request for the
/// connection and one per nested connection per node, a hundred requests
/// to the point, rounded to the nearest, at least one.
pub fn points(first: u64, nested: u64) -> u64 {
    ((1 + first * nested + 50) / 100).max(1)
}

/// The GraphQL URL for a REST base: `…/api/v3` on GitHub Enterprise becomes
/// `…/api/graphql`; elsewhere (api.github.com, the simulator) it is `/graphql`.
pub fn endpoint(api_url: &str) -> String {
    match api_url.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api_url}/graphql"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn an_answer_decodes_to_its_data_and_errors(
            data in crate::strategies::json(),
            errors in proptest::collection::vec(("\\PC{0,20}", proptest::option::of("[A-Z_]{1,12}")), 0..3),
        ) {
            let listed: Vec<Value> = errors
                .iter()
                .map(|(message, kind)| serde_json::json!({"message": message, "type": kind}))
                .collect();
            let body = serde_json::json!({"data": data, "errors": listed}).to_string();
            let answer = decode::<Value>(body.as_bytes()).unwrap();
            proptest::prop_assert_eq!(answer.data, Some(data).filter(|d| !d.is_null()));
            proptest::prop_assert_eq!(answer.errors.len(), errors.len());
            for ((message, kind), error) in errors.iter().zip(&answer.errors) {
                proptest::prop_assert_eq!(&error.message, message);
                proptest::prop_assert_eq!(&error.kind, kind);
            }
        }

        #[test]
        fn no_bytes_make_decoding_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode::<Value>(&body);
        }
    }

    #[test]
    fn enterprise_and_public_graphql_urls() {
        assert_eq!(
            endpoint("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            endpoint("https://ghe.example.com/api/v3"),
            "https://ghe.example.com/api/graphql"
        );
    }

    #[test]
    fn points_follow_githubs_rounding() {
        // 1 + 100 × 3 = 301 requests: 3 points; a lone connection: 1.
        assert_eq!(points(100, 3), 3);
        assert_eq!(points(100, 2), 2);
        assert_eq!(points(100, 0), 1);
        assert_eq!(points(50, 3), 2);
    }

    #[test]
    fn errors_come_with_or_without_data() {
        let answer: Answer<Value> = decode(
            br#"{"data":{"user":null},"errors":[{"type":"NOT_FOUND","path":["user"],"message":"Could not resolve"}]}"#,
        )
        .unwrap();
        assert!(answer.error_of_type("NOT_FOUND").is_some());
        let limited: Answer<Value> =
            decode(br#"{"errors":[{"type":"RATE_LIMITED","message":"x"}]}"#).unwrap();
        assert!(limited.error_of_type("RATE_LIMITED").is_some() && limited.data.is_none());
        assert!(
            decode::<Value>(br#"{"data":{"user""#).is_err(),
            "a truncated body"
        );
    }
}
