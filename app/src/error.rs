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
        tracing::error!(%error, "a server function failed");
        match error {
            engine::Error::Invalid(message) => Self::Invalid {
                field: String::new(),
                message,
            },
            _ => Self::Failed,
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
