//! What the server answers about a query: its tallies, its list, a day
//! or week of it, and how a fetch under way is going.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{AccountSpec, QueryHash, QuerySpec};
use crate::contribution::ContributionKind;
use crate::forge::Forge;

/// What fetching a query's missing days from one forge instance is
/// expected to cost, known before the fetch starts: the pieces (runs of up
/// to 92 days of one account) not in the cache, and the requests that many
/// pieces took on average on this installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchCost {
    pub forge: Forge,
    /// `None`: the installation's configured instance of the forge.
    pub instance: Option<String>,
    pub pieces: u64,
    /// `None` until a piece was fetched from this forge instance here.
    pub requests: Option<u64>,
    /// What the forge last said is left of the installation's budget for
    /// queries, where it said.
    #[serde(default)]
    pub budget: Option<BudgetLeft>,
}

/// The scarcest of a forge's rate-limit budgets as last reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLeft {
    pub remaining: u64,
    /// What a whole window holds.
    pub limit: u64,
    pub resets_at: DateTime<Utc>,
}

/// What a query would cost before it is created: per forge instance, and
/// whether the installation would refuse it (and why).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryCost {
    pub forges: Vec<FetchCost>,
    /// The most requests to one forge a new query may be expected to take
    /// (0: no limit).
    pub most_requests: u64,
    pub refusal: Option<String>,
}

impl FetchCost {
    /// "GitHub" or "GitLab at gitlab.example.org".
    pub fn forge_name(&self) -> String {
        match &self.instance {
            Some(instance) => format!("{} at {instance}", self.forge.name()),
            None => self.forge.name().to_owned(),
        }
    }
}

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
    /// Days of the range not fetched for this account (not yet, or its
    /// forge failed): its counts are at least these, not exact.
    pub unfetched_days: u32,
}

impl AccountSummary {
    /// Whether the counts are exact: every day of the range is fetched (an
    /// account the forge does not have has nothing to fetch).
    pub fn complete(&self) -> bool {
        self.unfetched_days == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub name: String,
    pub accounts: Vec<AccountSummary>,
    pub by_kind: Vec<(ContributionKind, u64)>,
    pub total: u64,
}

impl PersonSummary {
    /// Whether the person's counts are exact.
    pub fn complete(&self) -> bool {
        self.accounts.iter().all(AccountSummary::complete)
    }
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

impl Summary {
    /// Whether every count is exact: no account misses a day.
    pub fn complete(&self) -> bool {
        self.people.iter().all(PersonSummary::complete)
    }
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
    /// At least this many: exact only when `unfetched` is empty.
    pub total: u64,
    /// The people whose counts miss days of the period.
    pub unfetched: Vec<UnfetchedDays>,
    pub page: ContributionPage,
}

/// How many days of a period a person's counts miss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnfetchedDays {
    pub person: String,
    pub days: u32,
}

/// A page of the newest-first list; `next` continues it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributionPage {
    pub items: Vec<ListedContribution>,
    pub next: Option<String>,
}
