//! Where forge answers and their ETags are kept between requests: in
//! memory for one process, or in Postgres so they outlive it.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::store::Store;

#[derive(Debug)]
pub enum ResponseCache {
    Memory(Mutex<HashMap<String, (String, Vec<u8>)>>),
    Postgres(Store),
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self::Memory(Mutex::new(HashMap::new()))
    }
}

/// The cache key of `url` as seen with `credentials`: answers may differ
/// by who asks, and the key must not reveal the token.
pub fn key(credentials: &str, url: &str) -> String {
    let digest = Sha256::digest(credentials.as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{short} {url}")
}

impl ResponseCache {
    /// The stored ETag and body for `key`. A cache that cannot be read is
    /// treated as empty: the request then simply costs budget.
    pub async fn get(&self, key: &str) -> Option<(String, Vec<u8>)> {
        match self {
            Self::Memory(map) => map
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(key)
                .cloned(),
            Self::Postgres(store) => {
                let row: Result<Option<(String, Vec<u8>)>, _> =
                    sqlx::query_as("SELECT etag, body FROM http_cache WHERE key = $1")
                        .bind(key)
                        .fetch_optional(store.pool())
                        .await;
                match row {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(%error, "reading the HTTP cache failed");
                        None
                    }
                }
            }
        }
    }

    pub async fn put(&self, key: &str, etag: &str, body: &[u8]) {
        match self {
            Self::Memory(map) => {
                map.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(key.to_owned(), (etag.to_owned(), body.to_vec()));
            }
            Self::Postgres(store) => {
                let written = sqlx::query(
                    "INSERT INTO http_cache (key, etag, body) VALUES ($1, $2, $3)
                     ON CONFLICT (key) DO UPDATE SET etag = $2, body = $3, stored_at = now()",
                )
                .bind(key)
                .bind(etag)
                .bind(body)
                .execute(store.pool())
                .await;
                if let Err(error) = written {
                    tracing::warn!(%error, "writing the HTTP cache failed");
                }
            }
        }
    }
}
