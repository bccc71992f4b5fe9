//! What the server answers about a query: its tallies, its list, a day
//! or week of it, and how a fetch under way is going.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{AccountSpec, QueryHash, QuerySpec};
use crate::contribution::ContributionKind;

/// How a fetch under way is going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchProgress {
    /// Requests sent so far.
    pub requests: u64,
    /// What the forge last said is left of its rate-limit budget.
    pub budget_left: Option<u64>,
    /// Set while the fetch waits for the forge's rate limit to renew.
    pub waiting_until: Option<DateTime<Utc>>,
}

/// What Tally last learnt of an account from its forge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// Not fetched yet.
    Unknown,
    Ok,
    /// The forge has no such account.
    NotFound,
    /// The forge failed; the summary's `problem` says how.
    Failed,
}

impl AccountState {
    /// The name stored in the database and sent on the wire.
    pub fn key(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Ok => "ok",
            Self::NotFound => "not_found",
            Self::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Unknown, Self::Ok, Self::NotFound, Self::Failed]
            .into_iter()
            .find(|state| state.key() == key)
    }
}

/// What the cache holds for one account of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub account: AccountSpec,
    pub state: AccountState,
    pub problem: Option<String>,
    /// Set while the account is being fetched.
    pub progress: Option<FetchProgress>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub name: String,
    pub accounts: Vec<AccountSummary>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

/// The tallies of a query: per person and account, and overall, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub hash: QueryHash,
    pub spec: QuerySpec,
    /// Accounts are being fetched right now; the numbers will grow.
    pub fetching: bool,
    pub people: Vec<PersonSummary>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

/// One item of the list, with the person it counts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedContribution {
    /// Index into [`QuerySpec::people`] (normalized order).
    pub person: usize,
    pub contribution: crate::contribution::Contribution,
}

/// The items of one day or week of a query: how many in all (the same
/// count the graphs show), and a page of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodItems {
    /// The period's days inside the query's range, inclusive.
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub total: u64,
    pub page: ContributionPage,
}

/// A page of the newest-first list; `next` continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionPage {
    pub items: Vec<ListedContribution>,
    pub next: Option<String>,
}
