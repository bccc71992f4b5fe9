//! What a repository report needs beyond its issues, as every forge gives
//! it: pull/merge requests (Gerrit changes, Differential revisions) with
//! their reviews, and the commits of the default branch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

/// Where a pull request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeState {
    Open,
    Merged,
    /// Closed without merging (Gerrit: abandoned).
    Closed,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Merged => "merged",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "merged" => Some(Self::Merged),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// What a review said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approved,
    ChangesRequested,
    Commented,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::ChangesRequested => "changes_requested",
            Self::Commented => "commented",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "approved" => Some(Self::Approved),
            "changes_requested" => Some(Self::ChangesRequested),
            "commented" => Some(Self::Commented),
            _ => None,
        }
    }
}

/// One review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    /// The number of the pull request reviewed.
    pub change: u64,
    /// The forge's own id, unique within the repository.
    pub id: String,
    pub reviewer: Option<String>,
    pub verdict: Verdict,
    pub submitted_at: DateTime<Utc>,
}

/// One pull/merge request, Gerrit change or Differential revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Per repository (Phabricator: the `D` number, unique per instance).
    pub number: u64,
    pub title: String,
    pub url: String,
    pub author: Option<String>,
    pub state: ChangeState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub merged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One commit of the default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRecord {
    pub sha: String,
    /// The forge account the forge links the commit to; where it links
    /// none, the author's name as git records it.
    pub author: Option<String>,
    pub authored_at: DateTime<Utc>,
    pub title: String,
    pub url: String,
}

/// Pull requests read for a sync, and the forge's clock when the reading
/// began: the next sync asks for what changed since then.
#[derive(Debug, Clone, Default)]
pub struct ChangeList {
    /// The number of every pull request the listing saw.
    pub listed: Vec<u64>,
    /// Of those, the ones new or changed since stored.
    pub changes: Vec<ChangeRecord>,
    /// Their reviews, and any other review submitted since the watermark.
    pub reviews: Vec<ReviewRecord>,
    pub started: Option<DateTime<Utc>>,
}

/// Commits read for a sync, and the forge's clock when the reading began.
#[derive(Debug, Clone, Default)]
pub struct CommitList {
    pub commits: Vec<CommitRecord>,
    pub started: Option<DateTime<Utc>>,
}

/// What a forge answers for a list a report wants: the list, or why it
/// keeps none for this repository (said on the report, never shown as 0).
#[derive(Debug, Clone)]
pub enum Listing<T> {
    Read(T),
    Unavailable(String),
}

/// The pull requests stored of a repository, by number, with their last
/// update: a client reads the detail (reviews, activity) only of those new
/// or changed since.
#[derive(Debug, Clone, Default)]
pub struct Known(pub HashMap<u64, DateTime<Utc>>);

impl Known {
    pub fn changed(&self, number: u64, updated_at: DateTime<Utc>) -> bool {
        self.0.get(&number) != Some(&updated_at)
    }
}
