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

    /// A user, repository, project or instance the forge does not know.
    #[error("not found: {what}")]
    NotFound { what: String },

    /// The forge refused the credentials (401).
    #[error("{url}: the forge refused the credentials: {message}")]
    Refused { url: String, message: String },

    /// An answer Tally does not expect, after any retries.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        message: String,
    },

    /// A body that did not decode even after retrying: never taken as a
    /// partial answer.
    #[error("{url}: malformed answer: {problem}")]
    Malformed { url: String, problem: String },

    /// The forge could not be reached, or kept failing, after retries.
    #[error("{url}: {problem}")]
    Unreachable { url: String, problem: String },

    /// The forge's answer contradicts itself or the question (for example a
    /// count that the items behind it do not add up to).
    #[error("{0}")]
    Inconsistent(String),

    /// A query that cannot be run, naming the field that is wrong.
    #[error("{0}")]
    Query(#[from] model::query::QueryError),

    /// Input Tally cannot ask a forge about.
    #[error("{0}")]
    Invalid(String),

    /// Something the signed-in person may not do (another person's
    /// account or subscription, a private repository none of their
    /// accounts can read).
    #[error("{0}")]
    Denied(String),

    /// A token could not be sealed or opened with the installation's key.
    #[error("token encryption: {0}")]
    Secret(String),

    /// Work that spends a share of a forge's rate limit found the share
    /// spent; it goes on after the reset rather than failing.
    #[error("the share of the forge's rate limit kept for this work is spent until {until}")]
    Deferred {
        until: chrono::DateTime<chrono::Utc>,
    },

    /// Work whose planned requests the forge's rate limit cannot cover
    /// without waiting: refused before it starts (see
    /// [`crate::forge::plan`]). `until` is when the budget renews, where
    /// the forge says; `window` is what a whole window holds, so work that
    /// needs more can never run.
    #[error(
        "{what} needs {needed} requests of the forge's rate limit; {usable} are usable now{}, and a whole window holds {window}",
        until.map(|t| format!(" (the window renews at {})", t.format("%H:%M:%S UTC"))).unwrap_or_default()
    )]
    OverBudget {
        what: String,
        needed: u64,
        usable: u64,
        window: u64,
        until: Option<chrono::DateTime<chrono::Utc>>,
    },

    /// What is asked about has not been read from its forge yet (a first
    /// sync under way): its numbers would be zeros, so none are given.
    #[error("{what} is being read for the first time; ask again in a minute")]
    NotReady { what: String },

    /// A failure of one part of a larger piece of work, saying which part
    /// (the organisation a health check was reading).
    #[error("{part}: {cause}")]
    In { part: String, cause: Box<Error> },

    /// A background job could not be queued or run.
    #[error("jobs: {0}")]
    Jobs(String),

    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The database gave no connection in time or could not be reached (a
    /// pool exhausted, a restart): worth asking again shortly, unlike a
    /// statement that failed.
    pub fn database_unavailable(&self) -> bool {
        match self {
            Self::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_),
            ) => true,
            Self::In { cause, .. } => cause.database_unavailable(),
            _ => false,
        }
    }

    /// Deferred until `reset`, in epoch seconds as forges send it.
    pub(crate) fn deferred(reset: u64) -> Self {
        Self::Deferred {
            until: epoch_time(reset),
        }
    }

    /// This error, as a failure of `part`.
    pub fn in_part(self, part: impl Into<String>) -> Self {
        Self::In {
            part: part.into(),
            cause: Box::new(self),
        }
    }

    /// The error behind any [`Error::In`] wrapping.
    pub fn root(&self) -> &Self {
        match self {
            Self::In { cause, .. } => cause.root(),
            other => other,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// An instant given in seconds since 1970, as forges send resets; one out
/// of range is taken as now (the wait it implies is over).
pub(crate) fn epoch_time(secs: u64) -> chrono::DateTime<chrono::Utc> {
    i64::try_from(secs)
        .ok()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .unwrap_or_else(chrono::Utc::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_database_out_of_reach_is_worth_asking_again() {
        let within = |cause| Error::In {
            part: "a part".into(),
            cause: Box::new(cause),
        };
        assert!(Error::Database(sqlx::Error::PoolTimedOut).database_unavailable());
        assert!(within(Error::Database(sqlx::Error::PoolClosed)).database_unavailable());
        assert!(!Error::Database(sqlx::Error::RowNotFound).database_unavailable());
        assert!(!Error::Invalid("no".into()).database_unavailable());
    }
}
