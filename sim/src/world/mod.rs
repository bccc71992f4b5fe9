//! Everything a simulated forge knows, generated deterministically from a
//! [`WorldConfig`]. Forge endpoints only read it; [`crate::truth`] counts it.

mod generate;
mod names;
mod organisations;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use generate::{generate, generate_with_issues};

pub use model::forge::Forge;

/// What a world is generated from. The same config always gives the same world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldConfig {
    pub seed: u64,
    pub people: usize,
    pub repos: usize,
    pub years: u32,
    /// The world's "now": activity ends here and spans `years` before it.
    pub until: DateTime<Utc>,
}

pub type Id = u32;

/// Whether an issue label is one of the bug synonyms the world uses.
pub fn is_bug_label(label: &str) -> bool {
    names::BUG_LABELS.contains(&label)
}

/// Whether an issue label is one of the performance synonyms the world uses.
pub fn is_performance_label(label: &str) -> bool {
    names::PERFORMANCE_LABELS.contains(&label)
}

/// Every label an issue can carry, in a fixed order.
pub fn all_labels() -> impl Iterator<Item = &'static str> {
    names::BUG_LABELS
        .iter()
        .chain(names::PERFORMANCE_LABELS)
        .chain(names::OTHER_LABELS)
        .copied()
}

/// Whether a forge puts repositories under an owner (`owner/name`); Gerrit
/// and Phabricator name them once for the whole instance.
pub fn names_repos_by_owner(forge: Forge) -> bool {
    !matches!(forge, Forge::Gerrit | Forge::Phabricator)
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: Id,
    pub name: String,
    pub accounts: Vec<Id>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: Id,
    pub person: Id,
    pub forge: Forge,
    /// The current username; a renamed account answers only to this one.
    pub username: String,
    pub previous_username: Option<String>,
    pub display_name: String,
    pub email: String,
    /// Offset from UTC of the account's local time, in minutes.
    pub utc_offset_minutes: i32,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
    pub followers: Vec<Id>,
    pub following: Vec<Id>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub id: Id,
    pub forge: Forge,
    pub login: String,
    pub name: String,
    pub members: Vec<Id>,
    /// Accounts following the organisation (GitHub's organisations only).
    pub followers: Vec<Id>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Owner {
    Account(Id),
    Org(Id),
}

#[derive(Debug, Clone, Serialize)]
pub struct Repo {
    pub id: Id,
    pub forge: Forge,
    pub owner: Owner,
    pub name: String,
    pub previous_name: Option<String>,
    pub description: String,
    pub language: &'static str,
    /// Bytes of code per language, largest first.
    pub languages: Vec<(&'static str, u64)>,
    pub topics: Vec<&'static str>,
    pub fork_of: Option<Id>,
    pub stargazers: Vec<(Id, DateTime<Utc>)>,
    pub watchers: Vec<Id>,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Commit {
    pub sha: String,
    pub repo: Id,
    pub author: Id,
    pub committer: Id,
    pub co_authors: Vec<Id>,
    pub authored_at: DateTime<Utc>,
    pub committed_at: DateTime<Utc>,
    /// Author's local offset when committing, in minutes (as git records it).
    pub utc_offset_minutes: i32,
    pub message: String,
}

/// Where a request, change or revision stands: the model's statuses.
pub use model::contribution::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
}

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub id: Id,
    pub reviewer: Id,
    pub state: ReviewState,
    pub submitted_at: DateTime<Utc>,
    /// Gerrit's Code-Review vote (-2..=2); zero elsewhere.
    pub vote: i8,
}

/// A GitHub pull request, GitLab merge request, Bitbucket pull request,
/// Gerrit change or Phabricator Differential revision.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequest {
    pub id: Id,
    /// Per-repository number (GitHub/Bitbucket number, GitLab iid, Gerrit
    /// change number, Phabricator `D` number).
    pub number: u32,
    pub repo: Id,
    pub author: Id,
    pub title: String,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub merged_at: Option<DateTime<Utc>>,
    pub reviews: Vec<Review>,
}

impl ChangeRequest {
    /// The change as it stood at `at`: `None` before it was opened;
    /// reviews, a merge and a closing that come later left out.
    pub fn as_of(&self, at: DateTime<Utc>) -> Option<std::borrow::Cow<'_, ChangeRequest>> {
        use std::borrow::Cow;
        if self.created_at > at {
            return None;
        }
        if self.updated_at <= at {
            return Some(Cow::Borrowed(self));
        }
        let reviews: Vec<Review> = self
            .reviews
            .iter()
            .filter(|r| r.submitted_at <= at)
            .cloned()
            .collect();
        let closed_at = self.closed_at.filter(|closed| *closed <= at);
        let updated_at = reviews
            .iter()
            .map(|r| r.submitted_at)
            .chain(closed_at)
            .fold(self.created_at, DateTime::max);
        Some(Cow::Owned(ChangeRequest {
            reviews,
            closed_at,
            merged_at: self.merged_at.filter(|merged| *merged <= at),
            status: if closed_at.is_some() {
                self.status
            } else {
                Status::Open
            },
            updated_at,
            ..self.clone()
        }))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Issue {
    pub id: Id,
    /// Per-repository number (`T` number for Phabricator tasks).
    pub number: u32,
    pub repo: Id,
    pub author: Id,
    pub title: String,
    pub body: String,
    pub labels: Vec<&'static str>,
    pub assignees: Vec<Id>,
    /// Phabricator priority / GitLab-style weight, 0 (lowest) to 4 (unbreak now).
    pub priority: u8,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub comments: Vec<Comment>,
}

impl Issue {
    /// The issue as it stood at `at`: `None` before it was opened; comments
    /// written later, and a closing that comes later, left out. Tests move
    /// the simulator's clock to watch an issue tracker follow a world that
    /// changes between syncs.
    pub fn as_of(&self, at: DateTime<Utc>) -> Option<std::borrow::Cow<'_, Issue>> {
        use std::borrow::Cow;
        if self.created_at > at {
            return None;
        }
        if self.updated_at <= at {
            return Some(Cow::Borrowed(self));
        }
        let comments: Vec<Comment> = self
            .comments
            .iter()
            .filter(|c| c.created_at <= at)
            .cloned()
            .collect();
        let closed_at = self.closed_at.filter(|closed| *closed <= at);
        let updated_at = comments
            .iter()
            .map(|c| c.created_at)
            .chain(closed_at)
            .fold(self.created_at, DateTime::max);
        Some(Cow::Owned(Issue {
            comments,
            closed_at,
            updated_at,
            ..self.clone()
        }))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub id: Id,
    pub author: Id,
    pub created_at: DateTime<Utc>,
    pub body: String,
}

#[derive(Debug, Clone, Default)]
pub struct World {
    pub people: Vec<Person>,
    pub accounts: Vec<Account>,
    pub orgs: Vec<Org>,
    pub repos: Vec<Repo>,
    /// Sorted by `authored_at`.
    pub commits: Vec<Commit>,
    /// Sorted by `created_at`.
    pub changes: Vec<ChangeRequest>,
    /// Sorted by `created_at`.
    pub issues: Vec<Issue>,
    /// Per repository, the positions of its items in the lists above, so a
    /// request about one repository does not scan the whole world.
    pub(crate) by_repo: Vec<RepoItems>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct RepoItems {
    pub commits: Vec<usize>,
    pub changes: Vec<usize>,
    pub issues: Vec<usize>,
}

impl World {
    pub fn account(&self, id: Id) -> &Account {
        &self.accounts[id as usize]
    }

    pub fn repo(&self, id: Id) -> &Repo {
        &self.repos[id as usize]
    }

    /// A repository's commits, oldest first.
    pub fn commits_in(&self, repo: Id) -> impl DoubleEndedIterator<Item = &Commit> {
        self.by_repo[repo as usize]
            .commits
            .iter()
            .map(|i| &self.commits[*i])
    }

    /// A repository's commits committed within `since..=until` whose author
    /// passes `author`, newest first: what every forge's commit list answers.
    pub fn commits_matching(
        &self,
        repo: Id,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        author: impl Fn(&Account) -> bool,
    ) -> Vec<&Commit> {
        let mut found: Vec<&Commit> = self
            .commits_in(repo)
            .filter(|c| {
                since.is_none_or(|t| c.committed_at >= t)
                    && until.is_none_or(|t| c.committed_at <= t)
            })
            .filter(|c| author(self.account(c.author)))
            .collect();
        found.sort_by_key(|c| std::cmp::Reverse(c.committed_at));
        found
    }

    /// A repository's pull/merge requests, changes or revisions, oldest first.
    pub fn changes_in(&self, repo: Id) -> impl DoubleEndedIterator<Item = &ChangeRequest> {
        self.by_repo[repo as usize]
            .changes
            .iter()
            .map(|i| &self.changes[*i])
    }

    /// A repository's changes as they stood at `at`, oldest first.
    pub fn changes_as_of(
        &self,
        repo: Id,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = std::borrow::Cow<'_, ChangeRequest>> {
        self.changes_in(repo).filter_map(move |c| c.as_of(at))
    }

    /// A repository's issues or tasks, oldest first.
    pub fn issues_in(&self, repo: Id) -> impl DoubleEndedIterator<Item = &Issue> {
        self.by_repo[repo as usize]
            .issues
            .iter()
            .map(|i| &self.issues[*i])
    }

    /// A repository's issues or tasks as they stood at `at`, oldest first.
    pub fn issues_as_of(
        &self,
        repo: Id,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = std::borrow::Cow<'_, Issue>> {
        self.issues_in(repo).filter_map(move |i| i.as_of(at))
    }

    /// Whether `account` belongs to `repo`: its owner, a member of the
    /// organisation that owns it, or someone who worked in it. Members may
    /// read it while it is private.
    pub fn is_member(&self, account: Id, repo: &Repo) -> bool {
        let items = &self.by_repo[repo.id as usize];
        match repo.owner {
            Owner::Account(owner) if owner == account => return true,
            Owner::Org(org) if self.orgs[org as usize].members.contains(&account) => return true,
            _ => {}
        }
        items
            .commits
            .iter()
            .any(|i| self.commits[*i].author == account)
            || items
                .changes
                .iter()
                .any(|i| self.changes[*i].author == account)
            || items
                .issues
                .iter()
                .any(|i| self.issues[*i].author == account)
    }

    /// A live repository on `forge` by the name the forge shows for it
    /// (`owner/name`, or the name alone on Gerrit and Phabricator).
    pub fn find_repo(&self, forge: Forge, full_name: &str) -> Option<&Repo> {
        self.repos.iter().find(|r| {
            r.forge == forge && !r.deleted && self.full_name(r).eq_ignore_ascii_case(full_name)
        })
    }

    /// The live account on `forge` answering to `username` (case-insensitive,
    /// as every forge but Gerrit treats usernames).
    pub fn find_account(&self, forge: Forge, username: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.forge == forge && !a.deleted && a.username.eq_ignore_ascii_case(username))
    }

    /// The live repositories that are forks of `repo`: every forge's count
    /// of forks.
    pub fn forks_of(&self, repo: Id) -> impl Iterator<Item = &Repo> {
        self.repos
            .iter()
            .filter(move |r| r.fork_of == Some(repo) && !r.deleted)
    }

    pub fn owner_login(&self, owner: Owner) -> &str {
        match owner {
            Owner::Account(id) => &self.account(id).username,
            Owner::Org(id) => &self.orgs[id as usize].login,
        }
    }

    /// The owners (users and organisations) that hold a repository on
    /// `forge`, sorted: Bitbucket's workspaces to look through.
    pub fn repository_owners(&self, forge: Forge) -> Vec<String> {
        let mut owners: Vec<String> = self
            .repos
            .iter()
            .filter(|r| r.forge == forge)
            .map(|r| self.owner_login(r.owner).to_owned())
            .collect();
        owners.sort();
        owners.dedup();
        owners
    }

    /// The live repositories of `forge`, those with the most issues first
    /// (ties in the order of the world).
    pub fn repos_by_issues(&self, forge: Forge) -> Vec<&Repo> {
        let mut repos: Vec<&Repo> = self
            .repos
            .iter()
            .filter(|r| r.forge == forge && !r.deleted)
            .collect();
        repos.sort_by_key(|r| std::cmp::Reverse(self.issues_in(r.id).count()));
        repos
    }

    /// The name a forge shows for a repository: `owner/name`, or just the
    /// name on forges without owners (Gerrit projects, Phabricator repositories).
    pub fn full_name(&self, repo: &Repo) -> String {
        if names_repos_by_owner(repo.forge) {
            format!("{}/{}", self.owner_login(repo.owner), repo.name)
        } else {
            repo.name.clone()
        }
    }
}
