use std::sync::Arc;

use axum::extract::FromRef;
use engine::forge::Forges;
use engine::store::Store;
use leptos::config::LeptosOptions;

/// What every handler can reach. Cheap to clone: each field is a handle.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub store: Store,
    pub forges: Arc<Forges>,
    pub leptos_options: LeptosOptions,
}
