//! How many requests each forge served, by method and route: what a sync
//! cost, and whether two processes asked for the same thing twice.
//! `GET /_sim/stats` reads them, `DELETE /_sim/stats` starts again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::SimState;

#[derive(Debug, Default)]
pub struct Stats {
    routes: Mutex<BTreeMap<String, u64>>,
}

/// What `GET /_sim/stats` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    pub requests: u64,
    /// Keyed `"GET /repos/{owner}/{repo}/issues"`; unknown paths as `"GET ?"`.
    pub by_route: BTreeMap<String, u64>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn counts(&self) -> Counts {
        let by_route = self.lock().clone();
        Counts {
            requests: by_route.values().sum(),
            by_route,
        }
    }

    pub fn reset(&self) {
        self.lock().clear();
    }
}

/// Counts every request but the simulator's own.
pub async fn count(State(state): State<Arc<SimState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/_sim/") {
        let route = match request.extensions().get::<MatchedPath>() {
            // Phabricator's methods all share one route; the method is the news.
            Some(matched) if matched.as_str() == "/api/{method}" => path,
            Some(matched) => matched.as_str(),
            None => "?",
        };
        let key = format!("{} {route}", request.method());
        *state.stats.lock().entry(key).or_default() += 1;
    }
    next.run(request).await
}
