//! The Postgres store: one connection pool, the schema migrations, and the
//! queries every other module goes through.

pub mod contributions;
pub mod embedded;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

use std::time::Duration;

use model::health::{Check, MigrationState, Readiness};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::Result;

/// The migrations in `migrations/`, compiled into the binary so a deployed
/// `tally` never depends on files next to it.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    /// Opens a pool. Fails fast when the server is unreachable, so a wrong
    /// `DATABASE_URL` is reported at start-up rather than on the first request.
    pub async fn connect(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }

    pub async fn connect_url(url: &str) -> Result<Self> {
        Self::connect(url.parse()?).await
    }

    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// What `/readyz` reports. Never fails: a broken database is part of the answer.
    pub async fn readiness(&self) -> Readiness {
        let expected = MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .count();
        match self.applied_migrations().await {
            Ok(applied) => {
                let migrations = MigrationState { expected, applied };
                Readiness {
                    ready: migrations.is_current(),
                    database: Check::Ok,
                    migrations,
                }
            }
            Err(error) => Readiness {
                ready: false,
                database: Check::Failed {
                    reason: error.to_string(),
                },
                migrations: MigrationState {
                    expected,
                    applied: 0,
                },
            },
        }
    }

    /// Counts the migrations of this binary that the database has applied.
    /// A database that was never migrated has no `_sqlx_migrations` table: that is zero, not an error.
    async fn applied_migrations(&self) -> Result<usize> {
        let table_exists: bool =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
                .fetch_one(&self.pool)
                .await?;
        if !table_exists {
            return Ok(0);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?;
        Ok(MIGRATOR
            .iter()
            .filter(|m| applied.contains(&m.version))
            .count())
    }
}
