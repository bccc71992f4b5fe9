//! What the REST API serves of discovery: developers, repositories, and
//! the pages lists come in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::forge::Forge;
use crate::ids::{DeveloperId, RepositoryId};

/// A developer discovery found, with the forge's counts as last read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Developer {
    pub id: DeveloperId,
    pub forge: Forge,
    /// The forge's host (`github.com`).
    pub instance: String,
    /// The forge's own id: a renamed login keeps it.
    pub forge_id: String,
    pub login: String,
    pub name: Option<String>,
    pub location: Option<String>,
    pub company: Option<String>,
    pub bio: Option<String>,
    /// The public e-mail address, where the developer shows one.
    pub email: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    /// Null until the profile itself has been read (a developer seen only
    /// in someone's list).
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub public_repos: Option<u64>,
    pub public_gists: Option<u64>,
    /// Hops from the nearest seed; 0 for a seed.
    pub distance: Option<i32>,
    /// When a full profile sync last finished; null if never.
    pub synced_at: Option<DateTime<Utc>>,
    pub links: DeveloperLinks,
}

/// Where a developer's relations are listed (each a paged list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeveloperLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub followers: String,
    pub following: String,
    pub starred: String,
    pub repositories: String,
}

/// A repository discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repository {
    pub id: RepositoryId,
    pub forge: Forge,
    pub instance: String,
    pub forge_id: String,
    pub owner: Option<DeveloperId>,
    pub owner_login: String,
    pub name: String,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub language: Option<String>,
    pub topics: Vec<String>,
    pub fork: bool,
    pub archived: bool,
    pub disabled: bool,
    pub stars: u64,
    /// People watching it; 0 until the repository's own answer was read
    /// (lists do not carry it).
    pub watchers: u64,
    pub forks: u64,
    pub open_issues: u64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub synced_at: Option<DateTime<Utc>>,
    pub links: RepositoryLinks,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepositoryLinks {
    #[serde(rename = "self")]
    pub this: String,
    pub owner: Option<String>,
    pub stargazers: String,
}

/// One page of a list. `next` and `previous` are whole addresses (with the
/// same filters), absent at either end; `count` is how many the filters
/// match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// A developer and the nearest of their network, for their page's graph
/// and table: up to [`NETWORK_SHOWN`] of each side, with each side's total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperNetwork {
    pub developer: Developer,
    pub followers: Vec<Developer>,
    pub followers_total: u64,
    pub following: Vec<Developer>,
    pub following_total: u64,
}

/// How many of each side a developer's page shows.
pub const NETWORK_SHOWN: usize = 100;
