use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Failures of the engine layer. Callers above (the server, server functions)
/// map these to their own error types; the messages here are written for an
/// operator reading a log or a terminal.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    #[error("could not apply database migrations: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// The private cluster could not be set up or started. `hint` says what
    /// the operator can install or set to fix it.
    #[error("embedded PostgreSQL: {problem}. {hint}")]
    EmbeddedPostgres { problem: String, hint: String },

    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
