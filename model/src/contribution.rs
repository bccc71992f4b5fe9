//! The normalized contribution model every forge's data maps into. Each item
//! keeps the forge's own id and a link to the page it came from, so every
//! count Tally shows can be traced to the items behind it.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::forge::Forge;

/// A person's account on one forge instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub forge: Forge,
    /// The instance's host, e.g. `github.com` or `gerrit.example.org`.
    pub instance: String,
    pub username: String,
}

/// What kind of thing a contribution is. The day it counts on is the UTC
/// day of [`Contribution::occurred_at`]:
/// - a commit: when it was authored;
/// - a pull/merge request: opened when created, merged when merged;
/// - a review (also Gerrit votes and Phabricator accepts): when submitted;
/// - an issue or Phabricator task: when opened; a comment: when written;
/// - a Gerrit change or Differential revision: when created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContributionKind {
    Commit,
    PullRequestOpened,
    PullRequestMerged,
    Review,
    IssueOpened,
    IssueComment,
    GerritChange,
    PhabricatorTask,
    DifferentialRevision,
}

impl ContributionKind {
    pub const ALL: [ContributionKind; 9] = [
        Self::Commit,
        Self::PullRequestOpened,
        Self::PullRequestMerged,
        Self::Review,
        Self::IssueOpened,
        Self::IssueComment,
        Self::GerritChange,
        Self::PhabricatorTask,
        Self::DifferentialRevision,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Commit => "Commit",
            Self::PullRequestOpened => "Pull request opened",
            Self::PullRequestMerged => "Pull request merged",
            Self::Review => "Review",
            Self::IssueOpened => "Issue opened",
            Self::IssueComment => "Issue comment",
            Self::GerritChange => "Gerrit change",
            Self::PhabricatorTask => "Phabricator task",
            Self::DifferentialRevision => "Differential revision",
        }
    }
}

/// Where a request, change, revision, issue or task stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Merged,
    Abandoned,
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [Self::Open, Self::Merged, Self::Abandoned, Self::Closed];

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Merged => "merged",
            Self::Abandoned => "abandoned",
            Self::Closed => "closed",
        }
    }
}

/// One thing a person did on a forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub forge: Forge,
    pub instance: String,
    /// The forge's own id for the item (a commit SHA, `owner/repo#12`, a
    /// Gerrit change number, `D123`, a review or comment id).
    pub id: String,
    pub kind: ContributionKind,
    pub status: Option<Status>,
    /// The repository (or Gerrit project, or Phabricator repository/project)
    /// as the forge names it: `owner/name` where it has owners.
    pub repository: String,
    pub title: String,
    /// The page on the forge this item came from.
    pub url: String,
    /// The username it counts for.
    pub author: String,
    pub occurred_at: DateTime<Utc>,
    /// The offset from UTC where it happened, in minutes, when the forge
    /// records it (commits carry their author's offset).
    pub utc_offset_minutes: Option<i32>,
}

impl Contribution {
    /// A contribution of `kind` counting for `author`, with the item's own
    /// fields (id, status, repository, title, URL, time) still to be set.
    pub fn new(forge: Forge, instance: &str, kind: ContributionKind, author: &str) -> Self {
        Self {
            forge,
            instance: instance.to_owned(),
            id: String::new(),
            kind,
            status: None,
            repository: String::new(),
            title: String::new(),
            url: String::new(),
            author: author.to_owned(),
            occurred_at: DateTime::<Utc>::MIN_UTC,
            utc_offset_minutes: None,
        }
    }

    /// When it happened in the local time it was recorded in, if known.
    pub fn local_time(&self) -> Option<DateTime<FixedOffset>> {
        let offset = FixedOffset::east_opt(self.utc_offset_minutes? * 60)?;
        Some(self.occurred_at.with_timezone(&offset))
    }

    /// A key unique across forges, instances and kinds: what deduplicates
    /// items fetched twice.
    pub fn key(&self) -> (Forge, &str, ContributionKind, &str) {
        (self.forge, &self.instance, self.kind, &self.id)
    }
}

/// A person's profile on one forge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub identity: Identity,
    pub display_name: Option<String>,
    pub url: String,
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A repository with the figures the organisation health check sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repository {
    pub forge: Forge,
    pub instance: String,
    pub full_name: String,
    pub url: String,
    pub description: Option<String>,
    pub primary_language: Option<String>,
    pub topics: Vec<String>,
    pub stars: u64,
    pub watchers: u64,
    pub forks: u64,
    pub is_fork: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// An organisation, group, workspace or project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub forge: Forge,
    pub instance: String,
    pub login: String,
    pub name: Option<String>,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_serialize_as_the_simulators_truth_names_them() {
        let names: Vec<String> = ContributionKind::ALL
            .iter()
            .map(|k| serde_json::to_string(k).unwrap())
            .collect();
        assert_eq!(names[0], "\"commit\"");
        assert_eq!(names[3], "\"review\"");
        assert_eq!(names[8], "\"differential_revision\"");
    }

    #[test]
    fn local_time_keeps_the_recorded_offset() {
        let contribution = Contribution {
            forge: Forge::GitHub,
            instance: "github.com".into(),
            id: "abc".into(),
            kind: ContributionKind::Commit,
            status: None,
            repository: "o/r".into(),
            title: "t".into(),
            url: "https://github.com/o/r/commit/abc".into(),
            author: "o".into(),
            occurred_at: "2025-01-01T23:30:00Z".parse().unwrap(),
            utc_offset_minutes: Some(330),
        };
        assert_eq!(
            contribution.local_time().unwrap().to_rfc3339(),
            "2025-01-02T05:00:00+05:30"
        );
    }
}
