//! The issue tracker's types: items of subscribed repositories' trackers
//! as forges give them, the list and its filters as the browser shows
//! them, and the subscriptions behind it.
//!
//! An item is an issue on GitHub, GitLab and Bitbucket, a task on
//! Phabricator, and a change on Gerrit, which has no issues.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::contribution::Status;
use crate::forge::Forge;
use crate::ids::{AccountId, RepoId, UserId};
use crate::url::{encode_component, query_pairs};

/// One item of a repository's tracker, as its forge shows it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub forge: Forge,
    pub instance: String,
    /// The repository as the forge names it (`owner/name`, a GitLab path
    /// with groups, a Gerrit project, a Phabricator repository).
    pub repository: String,
    /// Per repository: the issue number, GitLab `iid`, Bitbucket id,
    /// Phabricator `T` number, Gerrit change number.
    pub number: u64,
    pub title: String,
    /// The text it was opened with (empty when the forge has none).
    #[serde(default)]
    pub body: String,
    /// Its page on the forge.
    pub url: String,
    /// Open or closed; Gerrit changes are also merged or abandoned.
    pub status: Status,
    pub author: Option<String>,
    /// Labels; Bitbucket's kind, priority and component; Phabricator's
    /// tags; Gerrit's hashtags and topic.
    pub labels: Vec<String>,
    /// Assignees; a Phabricator task's owner; a Gerrit change's reviewers.
    #[serde(default)]
    pub assignees: Vec<String>,
    /// Comments (a Gerrit change's review messages). Bitbucket does not
    /// count them on the issue: there it is the number of comments listed.
    pub comments: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A comment on a tracker item (a Gerrit review message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The forge's own id.
    pub id: String,
    pub author: Option<String>,
    pub body: String,
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Where a tracker item stands, as the list filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub const ALL: [IssueState; 2] = [Self::Open, Self::Closed];

    pub fn of(status: Status) -> Self {
        if status == Status::Open {
            Self::Open
        } else {
            Self::Closed
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == text)
    }
}

/// The tracker's filters, as they stand in the page's address
/// (`/issues?forge=github&state=open&label=bug&q=crash`). Empty means
/// everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IssueFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<Forge>,
    /// A subscribed repository, by its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<RepoId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IssueState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Words that must all appear in the title or body (as prefixes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// The facets of [`IssueFilter`], in the order the page shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Facet {
    Forge,
    Repo,
    State,
    Label,
    Assignee,
    Author,
}

impl Facet {
    pub const ALL: [Facet; 6] = [
        Self::Forge,
        Self::Repo,
        Self::State,
        Self::Label,
        Self::Assignee,
        Self::Author,
    ];

    /// The parameter in the address.
    pub fn key(self) -> &'static str {
        match self {
            Self::Forge => "forge",
            Self::Repo => "repo",
            Self::State => "state",
            Self::Label => "label",
            Self::Assignee => "assignee",
            Self::Author => "author",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Forge => "Forge",
            Self::Repo => "Repository",
            Self::State => "State",
            Self::Label => "Label",
            Self::Assignee => "Assignee",
            Self::Author => "Author",
        }
    }
}

/// Why a filter cannot be used, naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FilterError {}

/// The longest text a filter value may have.
const MAX_FILTER_TEXT: usize = 200;

impl IssueFilter {
    /// Reads the filters from the address's parameters; empty values are
    /// absent, unknown parameters are ignored, bad values are refused.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, FilterError> {
        let refuse = |field: &str, message: String| FilterError {
            field: field.to_owned(),
            message,
        };
        let mut filter = Self::default();
        for (key, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if value.chars().count() > MAX_FILTER_TEXT {
                return Err(refuse(key, format!("at most {MAX_FILTER_TEXT} characters")));
            }
            match key {
                "forge" => {
                    filter.forge = Some(Forge::from_key(value).ok_or_else(|| {
                        refuse(key, format!("unknown forge {value:?}; use github, gitlab, bitbucket, gerrit or phabricator"))
                    })?);
                }
                "repo" => {
                    filter.repo =
                        Some(RepoId(value.parse().map_err(|_| {
                            refuse(key, format!("{value:?} is not a repository id"))
                        })?));
                }
                "state" => {
                    filter.state = Some(IssueState::parse(value).ok_or_else(|| {
                        refuse(key, format!("unknown state {value:?}; use open or closed"))
                    })?);
                }
                "label" => filter.label = Some(value.to_owned()),
                "assignee" => filter.assignee = Some(value.to_owned()),
                "author" => filter.author = Some(value.to_owned()),
                "q" => filter.q = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(filter)
    }

    /// The filters of a query string (`forge=github&q=crash+on+start`).
    pub fn from_query(query: &str) -> Result<Self, FilterError> {
        let pairs = query_pairs(query);
        Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// The filters as a query string, without `?` (empty for none).
    pub fn query(&self) -> String {
        self.to_pairs()
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_component(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The filters as address parameters, in a fixed order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(forge) = self.forge {
            pairs.push(("forge", forge.key().to_owned()));
        }
        if let Some(repo) = self.repo {
            pairs.push(("repo", repo.to_string()));
        }
        if let Some(state) = self.state {
            pairs.push(("state", state.key().to_owned()));
        }
        for (key, value) in [
            ("label", &self.label),
            ("assignee", &self.assignee),
            ("author", &self.author),
            ("q", &self.q),
        ] {
            if let Some(value) = value {
                pairs.push((key, value.clone()));
            }
        }
        pairs
    }

    /// The value chosen for `facet`, as the address writes it.
    pub fn get(&self, facet: Facet) -> Option<String> {
        match facet {
            Facet::Forge => self.forge.map(|f| f.key().to_owned()),
            Facet::Repo => self.repo.map(|r| r.to_string()),
            Facet::State => self.state.map(|s| s.key().to_owned()),
            Facet::Label => self.label.clone(),
            Facet::Assignee => self.assignee.clone(),
            Facet::Author => self.author.clone(),
        }
    }

    /// These filters with `facet` set to `value` (`None`: cleared).
    pub fn with(&self, facet: Facet, value: Option<&str>) -> Self {
        let mut pairs: Vec<(&str, String)> = self
            .to_pairs()
            .into_iter()
            .filter(|(key, _)| *key != facet.key())
            .collect();
        if let Some(value) = value {
            pairs.push((facet.key(), value.to_owned()));
        }
        // Values came from a valid filter or a listed facet value.
        Self::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap_or_default()
    }

    /// `/issues` with these filters.
    pub fn href(&self) -> String {
        let query = self.query();
        if query.is_empty() {
            "/issues".to_owned()
        } else {
            format!("/issues?{query}")
        }
    }

    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// One row of the tracker's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRow {
    pub repo_id: RepoId,
    pub forge: Forge,
    pub repository: String,
    pub number: u64,
    pub title: String,
    pub url: String,
    pub status: Status,
    pub author: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A page of the list, newest activity first, and the cursor of the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuePage {
    pub items: Vec<IssueRow>,
    pub next: Option<String>,
    /// When it was read: ages count from here, so the page's text is the
    /// same on the server and in the browser.
    pub as_of: DateTime<Utc>,
}

/// How many items of the list carry one value of a facet, with the
/// other facets' filters applied (so choosing it would show that many).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    /// As the address writes it.
    pub value: String,
    /// As people read it.
    pub label: String,
    pub count: u64,
}

/// The list's counts: its total and each facet's values, the largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueCounts {
    pub total: u64,
    pub facets: Vec<(Facet, Vec<FacetCount>)>,
}

impl IssueCounts {
    pub fn facet(&self, facet: Facet) -> &[FacetCount] {
        self.facets
            .iter()
            .find(|(f, _)| *f == facet)
            .map_or(&[], |(_, counts)| counts.as_slice())
    }
}

/// A forge account linked to the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAccount {
    pub id: AccountId,
    pub forge: Forge,
    pub instance: String,
    pub username: String,
    pub display_name: Option<String>,
    /// Why its token no longer works (revoked, expired), if it does not.
    pub problem: Option<String>,
}

/// Who is signed in, as their pages need it. `csrf` goes back with every
/// request that changes something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: UserId,
    pub name: String,
    pub accounts: Vec<LinkedAccount>,
    pub csrf: String,
}

/// A forge the installation can sign in with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOption {
    pub forge: Forge,
    pub instance: String,
    /// Where the sign-in starts.
    pub href: String,
}

/// How a subscribed repository's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Not synced yet.
    Waiting,
    Syncing,
    Synced,
    Failed,
}

/// One subscription, as the manager lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub repo_id: RepoId,
    pub forge: Forge,
    pub instance: String,
    pub repository: String,
    pub url: String,
    pub private: bool,
    pub state: SyncState,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Items stored for it (issues, tasks or changes).
    pub items: u64,
    pub comments: u64,
    /// What went wrong with its last sync, or why this person can no longer
    /// see it.
    pub problem: Option<String>,
    /// False while this person's own access is lost: their token cannot
    /// read the repository any more, so its items are hidden from them.
    pub readable: bool,
}

/// A repository a linked account may read, for subscribing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadableRepo {
    pub account_id: AccountId,
    pub forge: Forge,
    pub repository: String,
    pub url: String,
    pub private: bool,
    pub description: Option<String>,
    pub subscribed: bool,
}

/// A page of the repositories the signed-in person's accounts may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadablePage {
    pub items: Vec<ReadableRepo>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
    /// When the lists were last read from the forges.
    pub listed_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> impl proptest::strategy::Strategy<Value = IssueFilter> {
        use proptest::prelude::*;
        let text = || proptest::option::of(crate::strategies::line());
        (
            proptest::option::of(proptest::sample::select(Forge::ALL.to_vec())),
            proptest::option::of(any::<i64>().prop_map(RepoId)),
            proptest::option::of(proptest::sample::select(IssueState::ALL.to_vec())),
            (text(), text(), text(), text()),
        )
            .prop_map(
                |(forge, repo, state, (label, assignee, author, q))| IssueFilter {
                    forge,
                    repo,
                    state,
                    label,
                    assignee,
                    author,
                    q,
                },
            )
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        #[test]
        fn any_filter_goes_to_the_address_and_back(filter in filter()) {
            proptest::prop_assert_eq!(IssueFilter::from_query(&filter.query()), Ok(filter.clone()));
            for facet in Facet::ALL {
                let cleared = filter.with(facet, None);
                proptest::prop_assert_eq!(cleared.get(facet), None);
                proptest::prop_assert_eq!(cleared.with(facet, filter.get(facet).as_deref()), filter.clone());
            }
        }

        #[test]
        fn no_address_makes_the_filters_panic(query in "\\PC{0,80}|([a-z]{1,8}=[^&]{0,12}&){0,5}") {
            let _ = IssueFilter::from_query(&query);
        }
    }

    #[test]
    fn filters_go_to_the_address_and_back() {
        let filter = IssueFilter::from_pairs([
            ("forge", "gitlab"),
            ("state", "open"),
            ("label", "needs triage"),
            ("q", "crash & burn"),
            ("page", "7"),
        ])
        .unwrap();
        assert_eq!(filter.forge, Some(Forge::GitLab));
        assert_eq!(filter.label.as_deref(), Some("needs triage"));
        assert_eq!(
            filter.href(),
            "/issues?forge=gitlab&state=open&label=needs%20triage&q=crash%20%26%20burn"
        );
        let pairs = filter.to_pairs();
        let again = IssueFilter::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(again, filter);
    }

    #[test]
    fn bad_filters_name_their_parameter() {
        for (key, value) in [
            ("forge", "sourceforge"),
            ("repo", "x1"),
            ("state", "merged"),
        ] {
            let error = IssueFilter::from_pairs([(key, value)]).unwrap_err();
            assert_eq!(error.field, key);
            assert!(error.message.contains(value), "{error}");
        }
        let long = "x".repeat(201);
        assert!(IssueFilter::from_pairs([("q", long.as_str())]).is_err());
        assert!(
            IssueFilter::from_pairs([("label", "  ")])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_facet_is_set_and_cleared_without_touching_the_others() {
        let filter = IssueFilter::from_pairs([("state", "open"), ("label", "bug")]).unwrap();
        let by_author = filter.with(Facet::Author, Some("ada"));
        assert_eq!(by_author.author.as_deref(), Some("ada"));
        assert_eq!(by_author.label.as_deref(), Some("bug"));
        assert_eq!(by_author.with(Facet::Label, None).label, None);
        assert_eq!(filter.get(Facet::State).as_deref(), Some("open"));
    }
}
