use std::sync::Arc;

use axum::extract::FromRef;
use engine::forge::Forges;
use engine::queries::Queries;
use engine::store::Store;
use leptos::config::LeptosOptions;

/// What every handler can reach. Cheap to clone: each field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub forges: Arc<Forges>,
    /// Contribution queries, their cache and its background refreshes.
    pub queries: Arc<Queries>,
    pub leptos_options: LeptosOptions,
}
