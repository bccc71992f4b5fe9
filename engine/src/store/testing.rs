//! Throwaway databases for tests: each [`TestDb`] is a fresh, migrated
//! database on a real PostgreSQL server, dropped again when the test ends.
//!
//! The server comes from `TALLY_TEST_DATABASE_URL` (any database on it; the
//! test scripts set it), else `postgres://postgres@127.0.0.1:5432/postgres`.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::Store;

const DEFAULT_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestDb {
    pub store: Store,
    admin: PgConnectOptions,
    name: String,
    /// The database's URL, for handing to another process.
    pub url: String,
}

impl TestDb {
    /// Creates and migrates a new database. Panics with a message naming the
    /// server when it cannot be reached: a test without its database cannot pass.
    pub async fn new() -> Self {
        let db = Self::empty().await;
        db.store
            .migrate()
            .await
            .expect("migrations apply to a fresh database");
        db
    }

    /// Like [`TestDb::new`] but without running migrations.
    pub async fn empty() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let url =
            std::env::var("TALLY_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_SERVER.into());
        let admin: PgConnectOptions = url
            .parse()
            .expect("TALLY_TEST_DATABASE_URL is a postgres URL");
        let name = format!(
            "tally_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut connection = admin.connect().await.unwrap_or_else(|error| {
            panic!("tests need PostgreSQL at {url} (set TALLY_TEST_DATABASE_URL, or run scripts/test): {error}")
        });
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut connection)
            .await
            .expect("drop stale test database");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await
            .expect("create test database");
        connection.close().await.ok();
        let store = Store::connect(admin.clone().database(&name))
            .await
            .expect("connect to test database");
        Self {
            store,
            admin,
            url: with_database(&url, &name),
            name,
        }
    }
}

/// `url` with its database name replaced, keeping any `?query`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = std::mem::take(&mut self.name);
        // Drop runs on the test's runtime thread, which this blocks; a thread
        // with its own runtime does the clean-up, and FORCE ends the pool's
        // connections without needing the test's runtime to close them.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut connection) = admin.connect().await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
