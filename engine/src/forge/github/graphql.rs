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
