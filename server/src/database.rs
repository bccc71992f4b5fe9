//! Which PostgreSQL Tally talks to: the one named by `DATABASE_URL`, or else
//! a private cluster that this process starts, and stops again on shutdown.

use engine::store::Store;
use engine::store::embedded::PrivateCluster;

use crate::config::DatabaseConfig;
use crate::error::ServerError;

pub struct Database {
    pub store: Store,
    cluster: Option<PrivateCluster>,
}

impl Database {
    pub async fn open(config: &DatabaseConfig) -> Result<Self, ServerError> {
        if let Some(url) = &config.database_url {
            tracing::info!("using the PostgreSQL server in DATABASE_URL");
            let store = Store::connect_url(url).await.map_err(|error| {
                ServerError::Config(format!(
                    "DATABASE_URL is set but its server cannot be used: {error}"
                ))
            })?;
            return Ok(Self {
                store,
                cluster: None,
            });
        }
        let cluster = start_private_cluster(config).await?;
        match Store::connect(cluster.connect_options()).await {
            Ok(store) => Ok(Self {
                store,
                cluster: Some(cluster),
            }),
            Err(error) => {
                stop(&cluster).await;
                Err(error.into())
            }
        }
    }

    /// Closes the pool, then stops the private cluster if we run one.
    pub async fn close(self) {
        self.store.pool().close().await;
        if let Some(cluster) = &self.cluster {
            stop(cluster).await;
        }
    }
}

/// The private cluster of `config.data_dir`, not yet started.
pub fn private_cluster(config: &DatabaseConfig) -> Result<PrivateCluster, ServerError> {
    let root = config.data_dir.join("postgres");
    Ok(PrivateCluster::new(&root, config.pg_bin_dir.as_deref())?)
}

async fn start_private_cluster(config: &DatabaseConfig) -> Result<PrivateCluster, ServerError> {
    let cluster = private_cluster(config)?;
    tracing::info!(
        "DATABASE_URL is not set; using a private PostgreSQL cluster in {}",
        config.data_dir.display()
    );
    cluster.start().await?;
    Ok(cluster)
}

async fn stop(cluster: &PrivateCluster) {
    match cluster.stop().await {
        Ok(()) => tracing::info!("private PostgreSQL stopped"),
        Err(error) => tracing::error!(%error, "could not stop the private PostgreSQL"),
    }
}
