/// Why the `tally` process could not start or had to stop. Printed once, to
/// stderr, by `main`; request-level errors have their own types.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("configuration: {0}")]
    Config(String),

    #[error(transparent)]
    Engine(#[from] engine::Error),

    #[error("could not listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },

    #[error("server: {0}")]
    Serve(#[source] std::io::Error),

    #[error("sessions: {0}")]
    Sessions(#[source] sqlx::Error),
}
