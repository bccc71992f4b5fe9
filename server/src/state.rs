use std::sync::Arc;

use axum::extract::FromRef;
use engine::forge::Forges;
use engine::queries::Refreshes;
use engine::store::Store;
use engine::sync::Syncer;
use leptos::config::LeptosOptions;

/// What every handler can reach. Cheap to clone: each field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub forges: Arc<Forges>,
    /// Fills the contribution cache; shared so each identity fetches once.
    pub syncer: Arc<Syncer>,
    /// Query refreshes running in the background.
    pub refreshes: Arc<Refreshes>,
    pub leptos_options: LeptosOptions,
}
