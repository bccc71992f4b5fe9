//! A forge's rate limit as it last stood, for `GET /api/v1/rate_limit`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::forge::Forge;

/// One budget of one token on one forge, as the forge last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimit {
    pub forge: Forge,
    /// The forge's host (`github.com`).
    pub instance: String,
    /// Which token: the first characters of a digest of it (never the
    /// token), or `anonymous`.
    pub token: String,
    /// The forge's name for the budget: `core`, `search`, `graphql`, …
    pub bucket: String,
    pub limit: u64,
    pub remaining: u64,
    /// When the window renews, in seconds since 1970 as the forge sends it.
    pub reset: i64,
    /// The same instant, readable.
    pub reset_at: DateTime<Utc>,
    /// When a response last reported these figures.
    pub seen_at: DateTime<Utc>,
}

/// Every budget Tally has seen, and the shares of each that work of each
/// kind may spend: what anyone may start (queries, health checks) and
/// background work each stop at theirs, so signed-in people always have
/// the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLimits {
    /// What contribution queries and health checks may spend of a budget
    /// (0.01 to 1): anyone may start them.
    pub query_share: f64,
    /// What discovery's crawler may spend of a budget (0.01 to 1).
    pub crawler_share: f64,
    /// What the tracker's background syncs may spend, the syncs reports
    /// ask for included.
    pub sync_share: f64,
    pub resources: Vec<RateLimit>,
}
