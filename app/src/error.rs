use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can fail with, as the browser sees it. The
/// messages are for people; details stay in the server's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The call itself failed: no connection, or an answer that could not be read.
    #[error("the server could not be reached ({0})")]
    Transport(String),
    /// The server is missing something it needs to answer.
    #[error("the server is not set up to answer this")]
    Unavailable,
    /// Input that cannot be used, and the field it is in.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// There is nothing at this address (an unknown query, a bad day).
    #[error("not found")]
    NotFound,
    /// Only a signed-in person may ask this.
    #[error("sign in to see this")]
    Unauthorized,
    /// The signed-in person may not do this; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// A forge failed to answer; the message names it.
    #[error("{0}")]
    Forge(String),
    /// The server failed; the log has the details.
    #[error("the server failed to answer; try again")]
    Failed,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<engine::Error> for AppError {
    fn from(error: engine::Error) -> Self {
        use engine::Error;
        match error {
            Error::Invalid(message) => Self::Invalid {
                field: String::new(),
                message,
            },
            Error::NotFound { what } => Self::Invalid {
                field: String::new(),
                message: format!("not found: {what}"),
            },
            Error::Denied(message) => Self::Forbidden(message),
            // The forge's own words help: which forge, what it said.
            error @ (Error::Refused { .. }
            | Error::Status { .. }
            | Error::Unreachable { .. }
            | Error::Malformed { .. }
            | Error::Inconsistent(_)) => {
                tracing::warn!(%error, "a forge failed a server function");
                Self::Forge(error.to_string())
            }
            error => {
                tracing::error!(%error, "a server function failed");
                Self::Failed
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<model::query::QueryError> for AppError {
    fn from(error: model::query::QueryError) -> Self {
        Self::Invalid {
            field: error.field,
            message: error.message,
        }
    }
}
