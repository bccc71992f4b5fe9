//! Where forge answers and their ETags are kept between requests: in
//! memory for one process (bounded in bytes and age), or in Postgres so
//! they outlive it.

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::store::Store;

/// A kept answer: its ETag, its body and its `link` header (a 304 need
/// not repeat the links to the list's other pages).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Kept {
    pub etag: String,
    pub body: Vec<u8>,
    pub link: Option<String>,
}

type Entry = Arc<Kept>;

pub enum ResponseCache {
    Memory(moka::sync::Cache<String, Entry>),
    Postgres(Store),
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory(cache) => write!(f, "Memory({} bytes)", cache.weighted_size()),
            Self::Postgres(_) => f.write_str("Postgres"),
        }
    }
}

/// What the in-memory cache holds at most, and for how long: answers older
/// than a day are rarely still the forge's, and a process that reads many
/// forges must not grow without end.
pub const MEMORY_BYTES: u64 = 64 * 1024 * 1024;
pub const MEMORY_AGE: Duration = Duration::from_secs(24 * 3600);

impl Default for ResponseCache {
    fn default() -> Self {
        Self::memory(MEMORY_BYTES, MEMORY_AGE)
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
    /// An in-memory cache of at most `bytes` (keys, ETags and bodies) whose
    /// entries live at most `age`; the least used go first.
    pub fn memory(bytes: u64, age: Duration) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(bytes)
            .weigher(|key: &String, entry: &Entry| {
                let link = entry.link.as_ref().map_or(0, String::len);
                u32::try_from(key.len() + entry.etag.len() + entry.body.len() + link)
                    .unwrap_or(u32::MAX)
            })
            .time_to_live(age)
            .build();
        Self::Memory(cache)
    }

    /// The answer kept for `key`. A cache that cannot be read is treated
    /// as empty: the request then simply costs budget.
    pub async fn get(&self, key: &str) -> Option<Kept> {
        match self {
            Self::Memory(cache) => cache.get(key).map(|entry| (*entry).clone()),
            Self::Postgres(store) => {
                let row: Result<Option<Kept>, _> =
                    sqlx::query_as("SELECT etag, body, link FROM http_cache WHERE key = $1")
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

    pub async fn put(&self, key: &str, kept: Kept) {
        match self {
            Self::Memory(cache) => {
                cache.insert(key.to_owned(), Arc::new(kept));
            }
            Self::Postgres(store) => {
                let written = sqlx::query(
                    "INSERT INTO http_cache (key, etag, body, link) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (key) DO UPDATE
                         SET etag = $2, body = $3, link = $4, stored_at = now()",
                )
                .bind(key)
                .bind(&kept.etag)
                .bind(&kept.body)
                .bind(&kept.link)
                .execute(store.pool())
                .await;
                if let Err(error) = written {
                    tracing::warn!(%error, "writing the HTTP cache failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(etag: &str, body: &[u8]) -> Kept {
        Kept {
            etag: etag.to_owned(),
            body: body.to_vec(),
            link: None,
        }
    }

    #[tokio::test]
    async fn the_memory_cache_stays_within_its_bytes_and_keeps_the_recent() {
        let cache = ResponseCache::memory(100_000, MEMORY_AGE);
        let body = vec![b'x'; 1_000];
        for n in 0..1_000 {
            cache.put(&format!("k{n}"), kept("\"e\"", &body)).await;
        }
        let ResponseCache::Memory(inner) = &cache else {
            unreachable!("built in memory")
        };
        inner.run_pending_tasks();
        // A thousand answers of a kilobyte: about a megabyte offered.
        assert!(
            inner.weighted_size() <= 100_000,
            "{}",
            inner.weighted_size()
        );
        assert!(inner.entry_count() > 0);
        cache.put("recent", kept("\"r\"", b"body")).await;
        assert_eq!(cache.get("recent").await, Some(kept("\"r\"", b"body")));
    }

    #[tokio::test]
    async fn answers_older_than_the_age_are_forgotten() {
        let cache = ResponseCache::memory(MEMORY_BYTES, Duration::from_millis(50));
        cache.put("k", kept("\"e\"", b"b")).await;
        assert!(cache.get("k").await.is_some());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(cache.get("k").await, None);
    }
}
