//! The forges: where each is, how to authenticate, and the clients that
//! read them into the normalized model of [`model::contribution`].

pub mod activity;
pub mod bitbucket;
pub mod cache;
pub mod directory;
pub mod gerrit;
pub mod github;
pub mod gitlab;
pub mod governor;
pub mod http;
pub mod paging;
pub mod phabricator;
pub mod plan;
pub mod progress;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use model::contribution::Contribution;
use model::forge::Forge;
use model::instance::InstanceInfo;
use model::tracker::{Comment, Issue};

use crate::error::{Error, Result};
use governor::Governor;

/// One forge instance Tally talks to.
#[derive(Clone)]
pub struct Endpoint {
    pub forge: Forge,
    /// The API base URL, e.g. `https://api.github.com` or a simulator's address.
    pub api_url: String,
    pub token: Option<String>,
    /// Where to look beyond a person's own space, on forges that cannot be
    /// asked for everything a person did: Bitbucket workspaces.
    pub scope: Vec<String>,
}

// Written by hand so a token never reaches a log line.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("forge", &self.forge)
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// The forges of this installation.
#[derive(Debug, Clone)]
pub struct Forges {
    pub endpoints: Vec<Endpoint>,
    /// The endpoints are simulated: nothing shown is real.
    pub demo: bool,
    /// Accounts to suggest trying (`github:login`), for the demo.
    pub examples: Vec<String>,
    /// Organisations' addresses to suggest for a health check, for the demo.
    pub organisation_examples: Vec<String>,
}

impl Forges {
    pub fn info(&self) -> InstanceInfo {
        let mut forges: Vec<Forge> = self.endpoints.iter().map(|e| e.forge).collect();
        forges.sort();
        forges.dedup();
        InstanceInfo {
            demo: self.demo,
            forges,
            examples: self.examples.clone(),
            organisation_examples: self.organisation_examples.clone(),
            public_url: String::new(),
        }
    }
}

/// A range of whole UTC days, inclusive.
#[derive(Debug, Clone, Copy)]
pub struct Days {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Days {
    /// The days `from..=to`; a range that ends before it starts is refused.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self> {
        if from > to {
            return Err(Error::Invalid(format!(
                "the range starts ({from}) after it ends ({to})"
            )));
        }
        Ok(Self { from, to })
    }

    pub fn start(self) -> DateTime<Utc> {
        self.from.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    pub fn end(self) -> DateTime<Utc> {
        self.to
            .and_hms_opt(23, 59, 59)
            .map_or_else(|| self.start(), |t| t.and_utc())
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        (self.from..=self.to).contains(&at.date_naive())
    }

    /// The range split into two, or `None` for a single day.
    pub fn halves(self) -> Option<(Self, Self)> {
        (self.from < self.to).then(|| {
            let middle = self.from + (self.to - self.from) / 2;
            (
                Self {
                    from: self.from,
                    to: middle,
                },
                Self {
                    from: middle + chrono::Duration::days(1),
                    to: self.to,
                },
            )
        })
    }

    /// From the first day of the range until today: everything updated since it began.
    pub fn through_today(self) -> Self {
        Self {
            from: self.from,
            to: Utc::now().date_naive().max(self.to),
        }
    }

    pub fn search_range(self) -> String {
        format!("{}..{}", self.from, self.to)
    }
}

/// The instance name of an API base URL: its host (and port), with
/// `api.github.com` standing for `github.com`.
pub fn instance_of(api_url: &str) -> String {
    let without_scheme = api_url.split_once("://").map_or(api_url, |(_, rest)| rest);
    let host = without_scheme.split('/').next().unwrap_or(without_scheme);
    host.strip_prefix("api.").unwrap_or(host).to_owned()
}

/// A repository as its forge describes it to the token asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoInfo {
    /// The name the forge uses for it now (after any rename).
    pub path: String,
    /// Its page on the forge.
    pub url: String,
    pub private: bool,
    pub description: Option<String>,
}

/// The account a token acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgeUser {
    /// The forge's own, stable id for it.
    pub id: String,
    pub username: String,
    pub display_name: Option<String>,
}

/// A repository's tracker items updated since a time, and the forge's own
/// clock when the listing began: the next sync asks from there, so a
/// clock that differs from Tally's never loses an update.
#[derive(Debug, Clone, Default)]
pub struct IssueList {
    /// By number, each once.
    pub items: Vec<Issue>,
    pub started: Option<DateTime<Utc>>,
}

/// The forge's clock, from a response's `Date` header.
pub fn forge_clock(headers: &reqwest::header::HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A client for one endpoint, whatever its forge.
pub enum Client {
    GitHub(github::GitHub),
    GitLab(gitlab::GitLab),
    Gerrit(gerrit::Gerrit),
    Phabricator(phabricator::Phabricator),
    Bitbucket(bitbucket::Bitbucket),
}

impl Client {
    /// A client sharing `governor` with every other client of the same
    /// instance and token.
    pub fn new(endpoint: &Endpoint, governor: Arc<Governor>) -> Result<Self> {
        Self::with_limits(endpoint, http::Limits::new(governor))
    }

    pub fn with_limits(endpoint: &Endpoint, limits: http::Limits) -> Result<Self> {
        match endpoint.forge {
            Forge::GitHub => Ok(Self::GitHub(github::GitHub::new(endpoint, &limits)?)),
            Forge::GitLab => Ok(Self::GitLab(gitlab::GitLab::new(endpoint, &limits)?)),
            Forge::Gerrit => Ok(Self::Gerrit(gerrit::Gerrit::new(endpoint, &limits)?)),
            Forge::Bitbucket => Ok(Self::Bitbucket(bitbucket::Bitbucket::new(
                endpoint, &limits,
            )?)),
            Forge::Phabricator => Ok(Self::Phabricator(phabricator::Phabricator::new(
                endpoint, &limits,
            )?)),
        }
    }

    /// Everything `username` contributed on the UTC days `from..=to`, in
    /// time order.
    pub async fn contributions(
        &self,
        username: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Contribution>> {
        let mut found = match self {
            Self::GitHub(client) => client.contributions(username, from, to).await,
            Self::GitLab(client) => client.contributions(username, from, to).await,
            Self::Gerrit(client) => client.contributions(username, from, to).await,
            Self::Phabricator(client) => client.contributions(username, from, to).await,
            Self::Bitbucket(client) => client.contributions(username, from, to).await,
        }?;
        found.sort_by(|a, b| {
            a.occurred_at
                .cmp(&b.occurred_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(found)
    }

    /// The tracker items of one repository (issues; Phabricator tasks of
    /// the project; Gerrit changes), updated at or after `since` when given.
    pub async fn issues(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<IssueList> {
        let mut list = match self {
            Self::GitHub(client) => client.issues(repository, since).await,
            Self::GitLab(client) => client.issues(repository, since).await,
            Self::Bitbucket(client) => client.issues(repository, since).await,
            Self::Gerrit(client) => client.issues(repository, since).await,
            Self::Phabricator(client) => client.issues(repository, since).await,
        }?;
        // An item updated while the list was walked shows twice: keep the newer.
        list.items.sort_by(|a, b| {
            a.number
                .cmp(&b.number)
                .then(b.updated_at.cmp(&a.updated_at))
        });
        list.items.dedup_by_key(|i| i.number);
        Ok(list)
    }

    /// The comments of one tracker item, oldest first.
    pub async fn comments(&self, repository: &str, number: u64) -> Result<Vec<Comment>> {
        match self {
            Self::GitHub(client) => client.comments(repository, number).await,
            Self::GitLab(client) => client.comments(repository, number).await,
            Self::Bitbucket(client) => client.comments(repository, number).await,
            Self::Gerrit(client) => client.comments(repository, number).await,
            Self::Phabricator(client) => client.comments(repository, number).await,
        }
    }

    /// Every comment of the repository's items at once, each with its item's
    /// number, where the forge lists them by repository (GitHub); `None`
    /// where it lists them only per item.
    pub async fn repository_comments(
        &self,
        repository: &str,
    ) -> Result<Option<Vec<(u64, Comment)>>> {
        match self {
            Self::GitHub(client) => client.repository_comments(repository, None).await.map(Some),
            _ => Ok(None),
        }
    }

    /// The pull requests of one repository (Gerrit changes, Differential
    /// revisions) updated at or after `since` when given; of those not
    /// `known` as they are, the detail and reviews.
    pub async fn changes(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
        known: &activity::Known,
    ) -> Result<activity::Listing<activity::ChangeList>> {
        use activity::Listing::Read;
        match self {
            Self::GitHub(client) => client
                .repository_changes(repository, since, known)
                .await
                .map(Read),
            Self::GitLab(client) => client
                .repository_changes(repository, since, known)
                .await
                .map(Read),
            Self::Bitbucket(client) => client
                .repository_changes(repository, since, known)
                .await
                .map(Read),
            Self::Gerrit(client) => client
                .repository_changes(repository, since, known)
                .await
                .map(Read),
            Self::Phabricator(client) => client.repository_changes(repository, since, known).await,
        }
    }

    /// The commits of one repository's default branch committed at or
    /// after `since` when given.
    pub async fn commits(
        &self,
        repository: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<activity::Listing<activity::CommitList>> {
        use activity::Listing::Read;
        match self {
            Self::GitHub(client) => client.repository_commits(repository, since).await.map(Read),
            Self::GitLab(client) => client.repository_commits(repository, since).await.map(Read),
            Self::Bitbucket(client) => client.repository_commits(repository, since).await.map(Read),
            Self::Gerrit(client) => Ok(client.repository_commits()),
            Self::Phabricator(client) => Ok(client.repository_commits()),
        }
    }

    /// One repository as the token sees it; [`Error::NotFound`] when it does
    /// not exist or the token may not read it (forges do not say which).
    pub async fn repository(&self, repository: &str) -> Result<RepoInfo> {
        match self {
            Self::GitHub(client) => client.repository(repository).await,
            Self::GitLab(client) => client.repository(repository).await,
            Self::Bitbucket(client) => client.repository(repository).await,
            Self::Gerrit(client) => client.repository(repository).await,
            Self::Phabricator(client) => client.repository(repository).await,
        }
    }

    /// Every repository the token's account may read as a member.
    pub async fn readable_repositories(&self) -> Result<Vec<RepoInfo>> {
        match self {
            Self::GitHub(client) => client.readable_repositories().await,
            Self::GitLab(client) => client.readable_repositories().await,
            Self::Bitbucket(client) => client.readable_repositories().await,
            Self::Gerrit(_) | Self::Phabricator(_) => Err(self.no_sign_in()),
        }
    }

    /// The account the token acts for.
    pub async fn viewer(&self) -> Result<ForgeUser> {
        match self {
            Self::GitHub(client) => client.viewer().await,
            Self::GitLab(client) => client.viewer().await,
            Self::Bitbucket(client) => client.viewer().await,
            Self::Gerrit(_) | Self::Phabricator(_) => Err(self.no_sign_in()),
        }
    }

    fn no_sign_in(&self) -> Error {
        Error::Invalid(format!(
            "Tally cannot sign in with {} (GitHub, GitLab and Bitbucket): subscribe to its repositories by URL",
            self.forge().name()
        ))
    }

    pub fn forge(&self) -> Forge {
        match self {
            Self::GitHub(_) => Forge::GitHub,
            Self::GitLab(_) => Forge::GitLab,
            Self::Bitbucket(_) => Forge::Bitbucket,
            Self::Gerrit(_) => Forge::Gerrit,
            Self::Phabricator(_) => Forge::Phabricator,
        }
    }

    pub fn http(&self) -> &http::Http {
        match self {
            Self::GitHub(client) => client.http(),
            Self::GitLab(client) => client.http(),
            Self::Gerrit(client) => client.http(),
            Self::Phabricator(client) => client.http(),
            Self::Bitbucket(client) => client.http(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_hosts() {
        assert_eq!(instance_of("https://api.github.com"), "github.com");
        assert_eq!(
            instance_of("https://ghe.example.com/api/v3"),
            "ghe.example.com"
        );
        assert_eq!(instance_of("http://127.0.0.1:4000"), "127.0.0.1:4000");
    }

    #[test]
    fn debug_output_never_shows_a_token() {
        let endpoint = Endpoint {
            forge: Forge::GitHub,
            api_url: "https://api.github.com".into(),
            token: Some("ghp_secret".into()),
            scope: Vec::new(),
        };
        let printed = format!("{endpoint:?}");
        assert!(
            !printed.contains("ghp_secret") && printed.contains("redacted"),
            "{printed}"
        );
    }
}
