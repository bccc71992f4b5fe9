//! Personal API tokens as their owner sees them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ApiTokenId;

/// Every token starts with this, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "tally_";

/// A token, without the token itself (only its digest is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token just made: the only answer that holds the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: String,
    pub details: ApiToken,
}

/// A person's working tokens, and when the list was read (ages on the
/// page count from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenList {
    pub as_of: DateTime<Utc>,
    pub tokens: Vec<ApiToken>,
}
