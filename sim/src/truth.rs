//! Ground truth: what the world really holds for one account over a range of
//! days, counted straight from the generated data. Tests compare Tally's
//! numbers with these.
//!
//! Counting rules (what Tally must reproduce):
//! - a commit counts for its author on the UTC day it was authored;
//! - a pull/merge request, Gerrit change or Differential revision counts as
//!   "opened" for its author on its creation day, and GitHub/GitLab/Bitbucket
//!   requests also as "merged" on their merge day;
//! - a review counts for the reviewer on the day it was submitted;
//! - an issue (Phabricator: task) counts for its author on its creation day,
//!   and each comment for its author on the day it was written.

pub mod organisation;
pub mod report;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::world::{Forge, Id, Status, World};

/// The kinds of contribution are the model's: what Tally counts is what
/// the truth counts.
pub use model::contribution::ContributionKind as Kind;

/// Counts for one account over `[from, to]` (inclusive UTC days).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Truth {
    pub total: u64,
    pub by_kind: BTreeMap<Kind, u64>,
    /// Only kinds that have a status (requests, changes, revisions, issues, tasks).
    pub by_kind_and_status: BTreeMap<Kind, BTreeMap<Status, u64>>,
    /// Keyed by the repository's `owner/name`.
    pub by_repo: BTreeMap<String, u64>,
    pub by_day: BTreeMap<NaiveDate, u64>,
}

impl Truth {
    /// Counts one item (how the truth is built, and how a client's items are
    /// counted to compare with it).
    pub fn add(&mut self, kind: Kind, status: Option<Status>, repo: String, at: DateTime<Utc>) {
        self.total += 1;
        *self.by_kind.entry(kind).or_default() += 1;
        if let Some(status) = status {
            *self
                .by_kind_and_status
                .entry(kind)
                .or_default()
                .entry(status)
                .or_default() += 1;
        }
        *self.by_repo.entry(repo).or_default() += 1;
        *self.by_day.entry(at.date_naive()).or_default() += 1;
    }
}

/// The truth for `account` between `from` and `to`, both inclusive.
pub fn truth(world: &World, account: Id, from: NaiveDate, to: NaiveDate) -> Truth {
    let in_range = |at: DateTime<Utc>| (from..=to).contains(&at.date_naive());
    let forge = world.account(account).forge;
    let repo_name = |repo: Id| world.full_name(world.repo(repo));
    let mut truth = Truth::default();

    for commit in world
        .commits
        .iter()
        .filter(|c| c.author == account && in_range(c.authored_at))
    {
        truth.add(
            Kind::Commit,
            None,
            repo_name(commit.repo),
            commit.authored_at,
        );
    }
    let opened_kind = match forge {
        Forge::Gerrit => Kind::GerritChange,
        Forge::Phabricator => Kind::DifferentialRevision,
        _ => Kind::PullRequestOpened,
    };
    for change in world
        .changes
        .iter()
        .filter(|c| world.repo(c.repo).forge == forge)
    {
        if change.author == account && in_range(change.created_at) {
            truth.add(
                opened_kind,
                Some(change.status),
                repo_name(change.repo),
                change.created_at,
            );
        }
        if let Some(merged_at) = change.merged_at
            && change.author == account
            && opened_kind == Kind::PullRequestOpened
            && in_range(merged_at)
        {
            truth.add(
                Kind::PullRequestMerged,
                Some(Status::Merged),
                repo_name(change.repo),
                merged_at,
            );
        }
        for review in change
            .reviews
            .iter()
            .filter(|r| r.reviewer == account && in_range(r.submitted_at))
        {
            truth.add(
                Kind::Review,
                None,
                repo_name(change.repo),
                review.submitted_at,
            );
        }
    }
    let issue_kind = if forge == Forge::Phabricator {
        Kind::PhabricatorTask
    } else {
        Kind::IssueOpened
    };
    for issue in world
        .issues
        .iter()
        .filter(|i| world.repo(i.repo).forge == forge)
    {
        if issue.author == account && in_range(issue.created_at) {
            let status = if issue.closed_at.is_some() {
                Status::Closed
            } else {
                Status::Open
            };
            truth.add(
                issue_kind,
                Some(status),
                repo_name(issue.repo),
                issue.created_at,
            );
        }
        for comment in issue
            .comments
            .iter()
            .filter(|c| c.author == account && in_range(c.created_at))
        {
            truth.add(
                Kind::IssueComment,
                None,
                repo_name(issue.repo),
                comment.created_at,
            );
        }
    }
    truth
}

/// One item of a repository's issue tracker as the world holds it: an
/// issue, a Phabricator task, or (Gerrit has no issues) a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IssueTruth {
    pub number: u64,
    pub title: String,
    pub open: bool,
    pub author: String,
    /// The world's labels (Bitbucket shows its kind, priority and
    /// component instead).
    pub labels: Vec<String>,
    /// Gerrit: the reviewers.
    pub assignees: Vec<String>,
    /// Comments, or a Gerrit change's review messages.
    pub comments: u64,
    pub updated_at: DateTime<Utc>,
}

/// The tracker items of `repo` at the instant `at`, by number.
pub fn issues(world: &World, repo: Id, at: DateTime<Utc>) -> Vec<IssueTruth> {
    let name = |id: Id| world.account(id).username.clone();
    let mut items: Vec<IssueTruth> = if world.repo(repo).forge == Forge::Gerrit {
        world
            .changes_in(repo)
            .map(|change| {
                let mut reviewers: Vec<String> =
                    change.reviews.iter().map(|r| name(r.reviewer)).collect();
                reviewers.sort();
                reviewers.dedup();
                IssueTruth {
                    number: u64::from(change.number),
                    title: change.title.clone(),
                    open: change.status == Status::Open,
                    author: name(change.author),
                    labels: Vec::new(),
                    assignees: reviewers,
                    comments: change.reviews.len() as u64,
                    updated_at: change.updated_at,
                }
            })
            .collect()
    } else {
        let phabricator = world.repo(repo).forge == Forge::Phabricator;
        world
            .issues_as_of(repo, at)
            .map(|issue| IssueTruth {
                // A task's number is its `T` id, unique across the instance.
                number: u64::from(if phabricator { issue.id } else { issue.number }),
                title: issue.title.clone(),
                open: issue.closed_at.is_none(),
                author: name(issue.author),
                labels: issue.labels.iter().map(|l| (*l).to_owned()).collect(),
                assignees: issue.assignees.iter().map(|a| name(*a)).collect(),
                comments: issue.comments.len() as u64,
                updated_at: issue.updated_at,
            })
            .collect()
    };
    items.sort_by_key(|i| i.number);
    items
}
