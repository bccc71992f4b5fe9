use std::sync::Arc;

use axum::extract::FromRef;
use engine::forge::Forges;
use engine::forge::directory::Directory;
use engine::queries::Queries;
use engine::store::Store;
use engine::tracker::Tracker;
use leptos::config::LeptosOptions;

use crate::auth::Auth;

/// What every handler can reach. Cheap to clone: each field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub forges: Arc<Forges>,
    /// Clients for the forges, with the installation's and people's tokens.
    pub directory: Arc<Directory>,
    /// Contribution queries, their cache and its background refreshes.
    pub queries: Arc<Queries>,
    /// Subscriptions, the issue list, and the accounts behind them.
    pub tracker: Arc<Tracker>,
    pub auth: Arc<Auth>,
    /// Discovery's runs; `None` where no GitHub is configured.
    pub discovery: Option<engine::jobs::DiscoveryQueue>,
    /// Organisation health checks and the answers they keep.
    pub health: engine::health_check::HealthChecker,
    /// Repository reports over what the tracker keeps.
    pub reports: engine::reports::Reports,
    pub shares: BudgetShares,
    /// `/api/v1` needs a session or a token, reads included.
    pub private_api: bool,
    pub leptos_options: LeptosOptions,
}

/// The shares of each forge budget that work of each kind may spend.
#[derive(Debug, Clone, Copy)]
pub struct BudgetShares {
    /// Contribution queries and health checks: what anyone may start.
    pub queries: f64,
    /// Discovery's crawler.
    pub crawler: f64,
    /// The tracker's syncs (the ones reports ask for included).
    pub sync: f64,
}
