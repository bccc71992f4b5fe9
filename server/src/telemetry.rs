use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};
use crate::error::ServerError;

pub fn init(config: &LogConfig) -> Result<(), ServerError> {
    let filter = EnvFilter::try_new(&config.log_filter).map_err(|error| {
        ServerError::Config(format!(
            "invalid log filter {:?}: {error}",
            config.log_filter
        ))
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|error| ServerError::Config(format!("could not install the logger: {error}")))
}
