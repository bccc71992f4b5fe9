//! The body of every error answer Tally's HTTP interfaces give outside the
//! browser's own calls: `{"error": {"code", "message", "field"?}}`. API
//! clients read it; the server builds it from its one request error.

use serde::{Deserialize, Serialize};

/// `{"error": {...}}`: the whole body of a 4xx or 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// A stable, machine-readable kind (`invalid`, `not_found`, …); the
    /// HTTP status says the same more coarsely.
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The input field the problem is in, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_left_out_when_there_is_none() {
        let body = ErrorBody {
            error: ErrorDetail {
                code: "not_found".into(),
                message: "not found: query".into(),
                field: None,
            },
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"error": {"code": "not_found", "message": "not found: query"}})
        );
    }
}
