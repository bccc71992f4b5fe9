//! The one error a request to Tally can fail with: server functions return
//! it, the server's own handlers (sign-in, the REST API) return it, and the
//! browser receives it.
//!
//! Policy:
//! - The variant decides the HTTP status ([`AppError::status`]) and the
//!   machine-readable code ([`AppError::code`]); nothing else sets either,
//!   so a handler or a server function only writes `?`.
//! - Messages are for the person who asked. Internal details (database
//!   errors, paths) are logged on the server and answered as
//!   [`AppError::Failed`], never shown.
//! - A forge's own words are shown ([`AppError::Forge`]): which forge
//!   failed and what it said is what the person needs to decide to retry.
//! - Outside the browser's calls the body is
//!   `{"error": {"code", "message", "field"?}}` ([`model::error::ErrorBody`]).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use model::error::{ErrorBody, ErrorDetail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The call itself failed: no connection, or an answer that could not
    /// be read. Only the browser makes these.
    #[error("the server could not be reached ({0})")]
    Transport(String),
    /// The server is missing something it needs to answer.
    #[error("the server is not set up to answer this")]
    Unavailable,
    /// A request that is malformed as a request (an unknown parameter, a
    /// number that is not one), and the parameter it is in.
    #[error("{field}: {message}")]
    BadRequest { field: String, message: String },
    /// Input that cannot be used, and the field it is in.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// There is nothing at this address; `what` names what was looked for.
    #[error("not found: {what}")]
    NotFound { what: String },
    /// Only a signed-in person may ask this.
    #[error("sign in to see this")]
    Unauthorized,
    /// The signed-in person may not do this; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// A forge failed to answer; the message names it.
    #[error("{0}")]
    Forge(String),
    /// The forges' rate limits cannot cover this now; asking again after
    /// `retry_after` seconds can succeed (sent as `Retry-After`).
    #[error("{message}")]
    Busy { message: String, retry_after: u64 },
    /// The request's body is larger than the server takes.
    #[error("the request's body is larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    /// This client asked for too much work that spends forge budget or
    /// rows lately.
    #[error("too many requests of this kind from your address; try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// The request took longer than the server gives one.
    #[error("the request took longer than {limit_secs} seconds; try again")]
    TimedOut { limit_secs: u64 },
    /// The server failed; the log has the details.
    #[error("the server failed to answer; try again")]
    Failed,
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// A stable name for the kind of failure, for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transport(_) => "transport",
            Self::Unavailable => "unavailable",
            Self::BadRequest { .. } => "bad_request",
            Self::Invalid { .. } => "invalid",
            Self::NotFound { .. } => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::Forge(_) => "forge",
            Self::Busy { .. } => "busy",
            Self::TooLarge { .. } => "too_large",
            Self::TimedOut { .. } => "timed_out",
            Self::RateLimited { .. } => "rate_limited",
            Self::Failed => "failed",
        }
    }

    /// The same error with its field named, where it is about input.
    pub fn in_field(self, name: &str) -> Self {
        match self {
            Self::Invalid { message, .. } => Self::invalid(name, message),
            other => other,
        }
    }

    /// What API clients receive.
    pub fn body(&self) -> ErrorBody {
        let (message, field) = match self {
            Self::Invalid { field, message } | Self::BadRequest { field, message } => {
                (message.clone(), (!field.is_empty()).then(|| field.clone()))
            }
            other => (other.to_string(), None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field,
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Forge(_) => StatusCode::BAD_GATEWAY,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable | Self::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Transport(_) | Self::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `Retry-After` an answer with this error carries, if any.
    pub fn retry_after(&self) -> Option<http::HeaderValue> {
        match self {
            Self::Busy { retry_after, .. } | Self::RateLimited { retry_after } => {
                Some(http::HeaderValue::from(*retry_after))
            }
            _ => None,
        }
    }

    /// Sets the status (and any `Retry-After`) of the response being
    /// rendered (a page or a server function's answer) to this error's.
    pub fn set_response_status(&self) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
            if let Some(value) = self.retry_after() {
                response.insert_header(http::header::RETRY_AFTER, value);
            }
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments the server could not read are the request's fault
            // (400, naming the field serde names), not the server's.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                Self::BadRequest {
                    field: argument_named(&message).unwrap_or("arguments").to_owned(),
                    message: format!("the request's fields could not be read: {message}"),
                }
            }
            other => Self::Transport(other.to_string()),
        }
    }

    /// Called once per failed server function, inside its request: the
    /// place where the answer's status follows from the error (server_fn
    /// would answer 500 for every error).
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        self.set_response_status();
        <Self::Encoder as leptos::server_fn::Encodes<Self>>::encode(self)
            .unwrap_or_else(|_| leptos::server_fn::Bytes::from_static(b"\"Failed\""))
    }
}

/// The field a deserializer's message names in backquotes (serde writes
/// "missing field `people`").
fn argument_named(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    let (field, _) = rest.split_once('`')?;
    Some(field).filter(|f| !f.is_empty())
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let Some(value) = self.retry_after() {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(feature = "ssr")]
impl From<engine::Error> for AppError {
    fn from(error: engine::Error) -> Self {
        use engine::Error;
        // A failure of one part of a larger piece of work is answered as
        // its root failure is, in the whole message (which names the part).
        if let Error::In { .. } = &error {
            let whole = error.to_string();
            return match Self::from_root(error) {
                Self::Forge(_) => Self::Forge(whole),
                Self::Invalid { field, .. } => Self::invalid(field, whole),
                Self::NotFound { .. } => Self::NotFound { what: whole },
                Self::Busy { retry_after, .. } => Self::Busy {
                    message: whole,
                    retry_after,
                },
                other => other,
            };
        }
        match error {
            Error::Invalid(message) => Self::invalid("", message),
            Error::OverBudget {
                until,
                needed,
                window,
                ..
            } => {
                let message = error.to_string();
                match until {
                    // Waiting for the next window helps only what one holds.
                    Some(until) if needed <= window => Self::Busy {
                        message,
                        retry_after: u64::try_from((until - chrono::Utc::now()).num_seconds())
                            .unwrap_or(0)
                            .max(1),
                    },
                    _ => Self::invalid("", message),
                }
            }
            Error::NotFound { what } => Self::NotFound { what },
            error @ Error::NotReady { .. } => Self::Busy {
                message: error.to_string(),
                retry_after: 30,
            },
            Error::Denied(message) => Self::Forbidden(message),
            // The forge's own words help: which forge, what it said.
            error @ (Error::Refused { .. }
            | Error::Status { .. }
            | Error::Unreachable { .. }
            | Error::Malformed { .. }
            | Error::Deferred { .. }
            | Error::Inconsistent(_)) => {
                tracing::warn!(%error, "a forge failed a request");
                Self::Forge(error.to_string())
            }
            error if error.database_unavailable() => {
                tracing::warn!(%error, "the database is out of reach");
                Self::Busy {
                    message: "The database is busy or out of reach; try again in a few seconds."
                        .into(),
                    retry_after: 5,
                }
            }
            error => {
                tracing::error!(%error, "a request failed");
                Self::Failed
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The answer to the error an [`engine::Error::In`] wraps.
    fn from_root(error: engine::Error) -> Self {
        match error {
            engine::Error::In { cause, .. } => Self::from_root(*cause),
            other => Self::from(other),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<model::query::QueryError> for AppError {
    fn from(error: model::query::QueryError) -> Self {
        Self::invalid(error.field, error.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_body_names_the_field_of_invalid_input_only() {
        let invalid = AppError::invalid("people", "at most 50 accounts");
        assert_eq!(
            serde_json::to_value(invalid.body()).unwrap(),
            serde_json::json!({"error": {"code": "invalid", "message": "at most 50 accounts", "field": "people"}})
        );
        let missing = AppError::not_found("query AAAAAAAAAAA");
        assert_eq!(
            serde_json::to_value(missing.body()).unwrap(),
            serde_json::json!({"error": {"code": "not_found", "message": "not found: query AAAAAAAAAAA"}})
        );
    }

    #[test]
    fn a_field_is_named_only_on_input_errors() {
        assert_eq!(
            AppError::invalid("", "bad").in_field("address"),
            AppError::invalid("address", "bad")
        );
        assert_eq!(AppError::Failed.in_field("address"), AppError::Failed);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn each_kind_answers_its_own_status() {
        assert_eq!(AppError::bad_request("a", "b").status(), 400);
        assert_eq!(AppError::invalid("a", "b").status(), 422);
        assert_eq!(AppError::not_found("x").status(), 404);
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden("no".into()).status(), 403);
        assert_eq!(AppError::Forge("GitHub".into()).status(), 502);
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Failed.status(), 500);
    }
}
