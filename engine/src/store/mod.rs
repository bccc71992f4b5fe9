//! The Postgres store: one connection pool, the schema migrations, and the
//! queries every other module goes through.

pub mod accounts;
pub mod activity;
pub mod contributions;
pub mod discovery;
pub mod discovery_list;
pub mod embedded;
pub mod health_check;
pub mod issue_list;
pub mod reports;
pub mod tasks;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;
pub mod tokens;
pub mod tracker;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use model::readiness::{Check, MigrationState, Readiness};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use crate::Result;

/// The migrations in `migrations/`, compiled into the binary so a deployed
/// `tally` never depends on files next to it.
/// A number as Postgres's BIGINT holds it. Forges' item numbers and
/// Tally's counts fit by far; one that does not is damage to report, never
/// a silently wrapped value.
pub fn bigint<T: TryInto<i64> + Copy + std::fmt::Display>(n: T) -> Result<i64> {
    n.try_into()
        .map_err(|_| crate::Error::Inconsistent(format!("{n} does not fit a database integer")))
}

/// A number read back from the database as the unsigned count or number it
/// stands for; a negative one is damage.
pub fn unsigned<T: TryFrom<i64>>(n: i64) -> Result<T> {
    T::try_from(n).map_err(|_| {
        crate::Error::Inconsistent(format!("the database holds {n} where a count belongs"))
    })
}

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// The channel on which every process writing contributions says so.
const CHANGES_CHANNEL: &str = "tally_contributions_changed";

#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
    /// Grows whenever contributions or identities change, here or (while
    /// [`Store::follow_changes`] runs) in another process on the database.
    changes: Arc<AtomicU64>,
    /// Discovery lists' counts, see [`discovery_list::Counts`].
    list_counts: Arc<discovery_list::Counts>,
}

impl Store {
    /// Opens a pool. Fails fast when the server is unreachable, so a wrong
    /// `DATABASE_URL` is reported at start-up rather than on the first request.
    pub async fn connect(options: PgConnectOptions) -> Result<Self> {
        // Each running job holds a connection for its transaction, and the
        // job worker listens on two more.
        let pool = PgPoolOptions::new()
            .max_connections(32)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            changes: Arc::default(),
            list_counts: Arc::default(),
        })
    }

    /// A number that changes whenever what queries read may have changed:
    /// answers computed under one generation hold until it moves.
    pub fn generation(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Commits a write that changes what queries read: tells other
    /// processes (the notification goes out with the commit) and moves this
    /// one's generation at once.
    pub(crate) async fn commit_change(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    ) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(CHANGES_CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.bump();
        Ok(())
    }

    /// Moves the generation: the notification of this process's own writes
    /// arrives too, but later than its next read.
    pub(crate) fn bump(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Follows changes other processes make, for as long as the returned
    /// task runs. Whenever the connection drops, notifications may have
    /// been missed, so the generation moves then, and again once listening
    /// anew (a write between the two would otherwise go unseen).
    pub async fn follow_changes(&self) -> Result<tokio::task::JoinHandle<()>> {
        let mut listener = self.listening().await?;
        let store = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    // A notification, or the connection lost and (sqlx
                    // reconnects eagerly) listening again.
                    Ok(_) => store.bump(),
                    Err(error) => {
                        tracing::warn!(%error, "listening for changes failed; listening anew");
                        store.bump();
                        listener = store.listen_again().await;
                        store.bump();
                    }
                }
            }
        }))
    }

    async fn listening(&self) -> Result<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        Ok(listener)
    }

    /// A new listener, once the database takes one (tried every second).
    async fn listen_again(&self) -> PgListener {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            match self.listening().await {
                Ok(listener) => return listener,
                Err(error) => tracing::warn!(%error, "listening for changes again failed"),
            }
        }
    }

    pub async fn connect_url(url: &str) -> Result<Self> {
        Self::connect(url.parse()?).await
    }

    /// Tally's migrations, then the job queue's (underway keeps its own
    /// schema and needs Tally's migrations table to exist first).
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        underway::run_migrations(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn list_counts(&self) -> &discovery_list::Counts {
        &self.list_counts
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
