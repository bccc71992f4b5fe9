//! Remembers the rendered HTML of query pages whose numbers are settled
//! (nothing being fetched) and serves it again while the data under it is
//! unchanged: the store's generation has not moved. Every `KEPT_FOR` one
//! request renders the page afresh (so days going stale with the clock
//! still start a refresh) while the others keep getting the kept copy.
//!
//! The request renewing a page holds a [`Renewal`]: if it is dropped (the
//! visitor went away mid-render), the page is free to be renewed by the next
//! request instead of being served stale for ever.
//!
//! A query page is the same for every visitor who is not signed in; a
//! signed-in visitor's page names them in its header, so it is rendered for
//! them and never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use engine::store::Store;

const KEPT_FOR: Duration = Duration::from_secs(10);
const CAPACITY: usize = 256;
const LARGEST: usize = 8 * 1024 * 1024;
/// What the kept pages may weigh together.
const MOST_BYTES: usize = 32 * 1024 * 1024;

struct Page {
    generation: u64,
    at: Instant,
    /// A request is rendering this page afresh.
    renewing: bool,
    headers: HeaderMap,
    body: Bytes,
}

pub struct PageCache {
    store: Store,
    pages: Mutex<HashMap<String, Page>>,
}

impl PageCache {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            pages: Mutex::new(HashMap::new()),
        }
    }

    fn pages(&self) -> std::sync::MutexGuard<'_, HashMap<String, Page>> {
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept page, unless the data changed or this request is the one
    /// to render it afresh (then its [`Renewal`]).
    fn get(self: &Arc<Self>, key: &str) -> Lookup {
        let mut pages = self.pages();
        let Some(page) = pages.get_mut(key) else {
            return Lookup::Render(None);
        };
        if page.generation != self.store.generation() {
            return Lookup::Render(None);
        }
        if page.at.elapsed() >= KEPT_FOR && !page.renewing {
            page.renewing = true;
            return Lookup::Render(Some(Renewal {
                cache: self.clone(),
                key: key.to_owned(),
            }));
        }
        let mut response = Response::new(Body::from(page.body.clone()));
        *response.headers_mut() = page.headers.clone();
        Lookup::Kept(response)
    }

    /// Drops a page that rendered unsettled (its numbers are being fetched).
    fn forget(&self, key: &str) {
        self.pages().remove(key);
    }

    fn put(&self, key: String, generation: u64, headers: HeaderMap, body: Bytes) {
        let mut pages = self.pages();
        pages.remove(&key);
        let full = |pages: &HashMap<String, Page>| {
            let bytes: usize = pages.values().map(|p| p.body.len()).sum();
            pages.len() >= CAPACITY || bytes + body.len() > MOST_BYTES
        };
        if full(&pages) {
            pages.retain(|_, p| p.at.elapsed() < KEPT_FOR);
            if full(&pages) {
                pages.clear();
            }
        }
        let at = Instant::now();
        pages.insert(
            key,
            Page {
                generation,
                at,
                renewing: false,
                headers,
                body,
            },
        );
    }
}

/// What the cache has for a request: the kept page, or none (to render),
/// with the [`Renewal`] when this request renews a kept one.
enum Lookup {
    Kept(Response),
    Render(Option<Renewal>),
}

/// Held by the request renewing a kept page. Dropped with it, whether the
/// render ended or was cancelled: the page may then be renewed again.
struct Renewal {
    cache: Arc<PageCache>,
    key: String,
}

impl Drop for Renewal {
    fn drop(&mut self) {
        if let Some(page) = self.cache.pages().get_mut(&self.key) {
            page.renewing = false;
        }
    }
}

/// The middleware: answers `GET /q/…` from the cache when it can, and keeps
/// pages the app marked settled.
pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    // A signed-in visitor's page names them: it is theirs alone.
    let signed_in = request
        .extensions()
        .get::<app::visitor::Visitor>()
        .is_some_and(|v| v.user.is_some());
    if signed_in || request.method() != Method::GET || !request.uri().path().starts_with("/q/") {
        return next.run(request).await;
    }
    let key = request.uri().to_string();
    let _renewal = match cache.get(&key) {
        Lookup::Kept(page) => return page,
        Lookup::Render(renewal) => renewal,
    };
    let response = next.run(request).await;
    let settled_under = response
        .headers()
        .get(app::server_fns::SETTLED_HEADER)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let (Some(generation), StatusCode::OK) = (settled_under, response.status()) else {
        cache.forget(&key);
        return response;
    };
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(app::server_fns::SETTLED_HEADER);
    match axum::body::to_bytes(body, LARGEST).await {
        Ok(body) => {
            cache.put(key, generation, parts.headers.clone(), body.clone());
            Response::from_parts(parts, Body::from(body))
        }
        Err(error) => {
            tracing::warn!(%error, "reading a rendered page failed");
            let mut failed = Response::new(Body::from("the page could not be rendered"));
            *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn cache() -> (engine::store::testing::TestDb, Arc<PageCache>) {
        let db = engine::store::testing::TestDb::new().await;
        let cache = Arc::new(PageCache::new(db.store.clone()));
        (db, cache)
    }

    fn stale(cache: &PageCache, key: &str) {
        let generation = cache.store.generation();
        cache.put(
            key.into(),
            generation,
            HeaderMap::new(),
            Bytes::from("kept"),
        );
        if let Some(page) = cache.pages().get_mut(key) {
            page.at = Instant::now()
                .checked_sub(KEPT_FOR)
                .unwrap_or_else(Instant::now);
        }
    }

    #[tokio::test]
    async fn one_request_renews_a_stale_page_while_the_others_get_the_kept_one() {
        let (_db, cache) = cache().await;
        stale(&cache, "/q/a");
        let Lookup::Render(Some(renewal)) = cache.get("/q/a") else {
            panic!("the first request renews")
        };
        assert!(matches!(cache.get("/q/a"), Lookup::Kept(_)));
        drop(renewal);
    }

    #[tokio::test]
    async fn a_renewal_cut_short_leaves_the_page_to_the_next_request() {
        let (_db, cache) = cache().await;
        stale(&cache, "/q/a");
        // The renewing request is dropped mid-render (its visitor left).
        let renewing = {
            let cache = cache.clone();
            tokio::spawn(async move {
                let _lookup = cache.get("/q/a");
                std::future::pending::<()>().await;
            })
        };
        tokio::task::yield_now().await;
        while matches!(cache.get("/q/a"), Lookup::Render(_)) {
            tokio::task::yield_now().await;
        }
        renewing.abort();
        let _ = renewing.await;
        assert!(
            matches!(cache.get("/q/a"), Lookup::Render(Some(_))),
            "the next request renews it"
        );
    }
}
